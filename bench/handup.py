"""Import a county's hand-up package and compare with the raw floor measured in the same run.

The package (bench/handup_package.py, not timed): H households (default 100,000: about 350,000
members, 1,000,000 contract parcels and the DK layer of 1,004,000 parcels), as a vendor delivers
it: 矢量数据/DK.shp and 权属数据/*.dbf. Then, in one throwaway cluster with fsync on:

* app: `import_handup(...)` + `commit()` in a spawned child process (its peak memory is its own),
  one transaction; each step timed (the layer's: staging, its rules, entering the parcels; the
  ownership tables': staging, their rules, deciding, entering households, persons, members,
  contracts with their parcels, register entries, certificates);
* raw floor, the same rows already in memory: binary COPY of the ownership rows into bare tables
  (no index, no constraint), and the survey import's raw pipeline for the layer (binary COPY of
  EWKB, GiST, ST_IsValid, the && / ST_Relate self-join: bench/import_survey.py).

Targets (issue 18 §3): the ownership tables within 4x their raw COPY; peak memory under 1 GiB.

    .venv/bin/python bench/handup.py [--households 100000]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import discard_cluster, peak_rss_kib  # noqa: E402  (bench/common.py)
from handup_package import FIELDS, generate, storage_geometries, write  # noqa: E402
from import_survey import raw_pipeline  # noqa: E402

OWNERSHIP_TARGET, MEMORY_TARGET_MIB = 4.0, 1024
LAYER_STEPS = ("stage_layer", "rules_layer", "enter_parcels")
_TYPES = {"HTMJ": "float8", "YHTMJ": "float8", "HTZMJ": "float8", "CBDKZS": "int8",
          "CBFCYSL": "int8"}


def app_config(url: str, instance: Path) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_DIR": str(instance),
            "DATABASE_URL": None, "DEMO_DATA": False}


def _timed(timings: dict, name: str, func):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - t
    return wrapper


def _instrument(timings: dict, rule_times: dict) -> None:
    """Time each step of the import (bench only: wraps the module functions it calls)."""
    import json

    import sqlalchemy as sa

    from landrights.handup import certs, checks, land, people, services
    from landrights.survey import rules as survey_rules

    for module, names in ((services, ("stage_layer", "stage_ownership", "_counts",
                                      "_change_events")),
                          (people, ("enter_collectives", "enter_households", "enter_persons",
                                    "enter_members")),
                          (land, ("stage_contracts", "enter_parcels", "enter_contracts")),
                          (certs, ("enter_certificates",)), (checks, ("decide",))):
        for name in names:
            setattr(module, name, _timed(timings, name.lstrip("_"), getattr(module, name)))

    def run_rules(session, import_id, county_code):
        enabled = survey_rules.enabled_rules(session, county_code, "handup")
        enabled.sort(key=lambda r: ("handup_findings" in r.body, r.id))
        for rule in enabled:
            t = time.perf_counter()
            session.execute(sa.text(checks._INSERT.format(body=rule.body)), {
                "import_id": import_id, "county": county_code, "rule_id": rule.id,
                "severity": rule.severity, "params": json.dumps(rule.params)})
            key = "rules_layer" if rule.id.startswith("handup_dk_") else "rules_ownership"
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - t
            rule_times[rule.id] = time.perf_counter() - t

    checks.run_rules = run_rules


def _time_statements(statements: dict) -> None:
    """Time every SQL statement the import runs (bench only, --statements)."""
    from sqlalchemy.orm import Session

    execute = Session.execute

    def timed(self, statement, *args, **kwargs):
        t = time.perf_counter()
        try:
            return execute(self, statement, *args, **kwargs)
        finally:
            key = " ".join(str(statement).split())[:110]
            statements[key] = statements.get(key, 0.0) + time.perf_counter() - t

    Session.execute = timed


def child_import(url: str, instance: str, path: str, statements: bool = False) -> dict:
    """Child process: import the package as the system, commit; time each step; peak memory."""
    import sqlalchemy as sa

    from landrights import create_app
    from landrights.accounts.permissions import SYSTEM
    from landrights.handup import services

    timings: dict[str, float] = {}
    rule_times: dict[str, float] = {}
    _instrument(timings, rule_times)
    sql: dict[str, float] = {}
    if statements:
        _time_statements(sql)
    app = create_app(app_config(url, Path(instance)))
    ext = app.extensions["landrights.db"]
    with app.app_context(), app.test_request_context("/?lang=zh"):
        session = ext.session_factory()
        session.execute(sa.text("SELECT 1"))
        t0 = time.perf_counter()
        record = services.import_handup(session, SYSTEM, path, workdir=instance)
        t = time.perf_counter()
        session.commit()
        timings["commit"] = time.perf_counter() - t
        seconds = time.perf_counter() - t0
        out = {"seconds": seconds, "steps": timings, "counts": record.counts,
               "kept_out": record.households_kept_out, "maxrss_kib": peak_rss_kib(),
               "findings": session.scalar(sa.text(
                   "SELECT count(*) FROM handup_findings WHERE import_id = :i"), {"i": record.id}),
               "statements": sorted([*sql.items(), *((f"rule {r}", v) for r, v in rule_times.items())],
                             key=lambda kv: -kv[1])[:40]}
        session.close()
    ext.engine.dispose()
    return out


def in_child(func, *args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(func, args)


def raw_ownership(cluster, dbname: str, tables: dict) -> dict:
    """Binary COPY of the same ownership rows into bare tables, one transaction; time each."""
    import datetime

    import psycopg

    cluster.ensure_database(dbname)
    steps = {}
    with psycopg.connect(cluster.conninfo(dbname)) as conn:
        t_all = time.perf_counter()
        for table, rows in tables.items():
            names = FIELDS[table]
            types = [_TYPES.get(n, "date" if n.endswith(("RQ", "SJ", "QXQ", "QXZ")) else "text")
                     for n in names]
            conn.execute(f"CREATE TABLE raw_{table.lower()} ("
                         + ", ".join(f"{n.lower()} {k}" for n, k in zip(names, types, strict=True))
                         + ")")
            dates = [i for i, k in enumerate(types) if k == "date"]
            t = time.perf_counter()
            with conn.cursor().copy(f"COPY raw_{table.lower()} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    if dates:
                        row = list(row)
                        for i in dates:
                            row[i] = datetime.date.fromisoformat(row[i])
                    copy.write_row(row)
            steps[table] = time.perf_counter() - t
        t = time.perf_counter()
        conn.commit()
        steps["commit"] = time.perf_counter() - t
    return {"seconds": time.perf_counter() - t_all, "steps": steps}


# the registry tables the import writes, in an order their foreign keys accept; what their own
# triggers derive (the hash chain, parcel overviews) is made again by those triggers
REGISTRY_SETUP = ("handup_imports",)
REGISTRY_LAYER = ("parcels",)
REGISTRY_OWNERSHIP = ("admin_units", "collectives", "persons", "households", "household_members",
                      "memberships", "contracts", "contract_parcels", "register_entries",
                      "certificates", "change_events")


def registry_floor(cluster, app_db: str, dbname: str, instance: Path) -> dict:
    """The rows the import wrote, binary-COPYed into the registry's own tables of a freshly
    migrated database (their indexes, CHECKs, foreign keys, history and chain triggers), one
    transaction; and GDAL reading the package's DBF files with no conversion. What any import
    pays for the files it reads and the guarantees the registry keeps, whatever its own work."""
    import io

    import psycopg

    prepare_app_db(cluster, instance, dbname)
    steps = {}
    with psycopg.connect(cluster.conninfo(app_db)) as source, \
            psycopg.connect(cluster.conninfo(dbname)) as target:
        for table in (*REGISTRY_SETUP, *REGISTRY_OWNERSHIP[:2], *REGISTRY_LAYER,
                      *REGISTRY_OWNERSHIP[2:]):
            buffer = io.BytesIO()
            columns = ", ".join(source.execute(
                "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
                "AND attgenerated = ''", (table,)).fetchone()[0].split(", "))
            # a registered contract's parcels are immutable: as the import does, the contracts
            # go in as drafts, their parcels follow, then they are registered
            picked = columns.replace("status", "'draft'::varchar").replace(
                "registered_at", "NULL::timestamptz") if table == "contracts" else columns
            with source.cursor().copy(f"COPY (SELECT {picked} FROM {table} ORDER BY 1) TO STDOUT "
                                      "(FORMAT BINARY)") as out:
                for chunk in out:
                    buffer.write(chunk)
            t = time.perf_counter()
            with target.cursor().copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as into:
                into.write(buffer.getbuffer())
            steps[table] = time.perf_counter() - t
            if table == "contract_parcels":
                steps["contracts"] += _register_contracts(source, target)
        t = time.perf_counter()
        target.commit()
        steps["commit"] = time.perf_counter() - t
    return steps


def _register_contracts(source, target) -> float:
    """Register the floor's contracts as the package has them (status, registered_at)."""
    import io

    buffer = io.BytesIO()
    with source.cursor().copy("COPY (SELECT id, status, registered_at FROM contracts) TO STDOUT "
                              "(FORMAT BINARY)") as out:
        for chunk in out:
            buffer.write(chunk)
    t = time.perf_counter()
    target.execute("CREATE TEMP TABLE registered (id bigint, status varchar, at timestamptz)")
    with target.cursor().copy("COPY registered FROM STDIN (FORMAT BINARY)") as into:
        into.write(buffer.getbuffer())
    target.execute("UPDATE contracts c SET status = r.status, registered_at = r.at "
                   "FROM registered r WHERE r.id = c.id AND r.at IS NOT NULL")
    return time.perf_counter() - t


def read_files(package: Path) -> float:
    """Seconds GDAL takes to read every DBF of the ownership tables (values as GDAL gives them)."""
    import pyogrio.raw

    t = time.perf_counter()
    for dbf in sorted((package / "权属数据").glob("*.dbf")):
        pyogrio.raw.read(dbf, read_geometry=False, encoding="UTF-8")
    return time.perf_counter() - t


def prepare_app_db(cluster, instance: Path, dbname: str = "county") -> str:
    from landrights import create_app, migrate

    cluster.ensure_database(dbname)
    url = cluster.url(dbname)
    app = create_app(app_config(url, instance))
    migrate.upgrade(app.extensions["landrights.db"].engine)
    app.extensions["landrights.db"].engine.dispose()
    return url


def report(households: int, rows: dict, gen: float, app: dict, raw_own: dict, raw_layer: dict,
           floor: dict, reading: float):
    steps = app["steps"]
    layer = sum(steps.get(k, 0.0) for k in LAYER_STEPS)
    ownership = app["seconds"] - layer - steps.get("commit", 0.0)
    ratio = ownership / raw_own["seconds"]
    peak = app["maxrss_kib"] / 1024
    counts = {t: len(r) for t, r in rows.items()}
    print(f"\nhand-up package of {households:,} households: " + ", ".join(
        f"{t} {n:,}" for t, n in counts.items()) + f"; DK {app['counts']['DK']['read']:,} "
        f"(generated and written in {gen:.0f} s, not timed)")
    print("| measure | app | raw, same run | ratio | target |\n|---|---|---|---|---|")
    print(f"| ownership tables (staging, rules, entry) | {ownership:.1f} s | {raw_own['seconds']:.1f}"
          f" s binary COPY into bare tables | {ratio:.1f}x | 4x: "
          f"{'met' if ratio <= OWNERSHIP_TARGET else '**missed**'} |")
    fair = reading + sum(floor[t] for t in REGISTRY_OWNERSHIP)
    print(f"| ownership tables, against what any import pays | {ownership:.1f} s | {fair:.1f} s: GDAL "
          f"reading the DBFs ({reading:.1f} s) + binary COPY of the rows the import wrote into the "
          f"registry's own tables ({fair - reading:.1f} s) | {ownership / fair:.1f}x | — |")
    print(f"| DK layer (staging, rules, entry of parcels) | {layer:.1f} s | {raw_layer['seconds']:.1f}"
          f" s survey raw pipeline | {layer / raw_layer['seconds']:.1f}x | — |")
    print(f"| whole import, one transaction, with commit | {app['seconds']:.1f} s | "
          f"{raw_own['seconds'] + raw_layer['seconds']:.1f} s | "
          f"{app['seconds'] / (raw_own['seconds'] + raw_layer['seconds']):.1f}x | — |")
    print(f"| peak memory of the import process | {peak:.0f} MiB | — | — | < 1 GiB: "
          f"{'met' if peak < MEMORY_TARGET_MIB else '**missed**'} |")
    print("\napp steps: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(
        steps.items(), key=lambda kv: -kv[1])))
    print("raw ownership COPY: " + ", ".join(f"{k} {v:.2f}" for k, v in raw_own["steps"].items()))
    print("raw layer: " + ", ".join(f"{k} {v:.2f}" for k, v in raw_layer["steps"].items()))
    print("registry floor (COPY into the registry's tables): " + ", ".join(
        f"{k} {v:.2f}" for k, v in floor.items()))
    print(f"households kept out {app['kept_out']}, findings {app['findings']}; counts "
          + "; ".join(f"{t} {c['entered']}/{c['read']}" for t, c in app["counts"].items()
                      if isinstance(c, dict)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--statements", action="store_true",
                        help="also print the 30 slowest SQL statements of the import")
    args = parser.parse_args()
    from landrights.pg import EmbeddedPostgres

    base = Path(tempfile.mkdtemp(prefix="landrights-bench-handup-"))
    base.chmod(0o755)
    cluster = EmbeddedPostgres(base / "pg", log=lambda *_: None, fast_unsafe=False)
    t0 = time.perf_counter()
    try:
        t = time.perf_counter()
        tables, _, codes, boxes = generate(args.households)
        package = base / "package"
        write(package, tables, codes, boxes)
        gen = time.perf_counter() - t
        print(f"package written ({gen:.0f} s)", flush=True)
        cluster.start()
        url = prepare_app_db(cluster, base)
        app = in_child(child_import, url, str(base), str(package), args.statements)
        print(f"app import {app['seconds']:.0f} s", flush=True)
        raw_own = raw_ownership(cluster, "raw_ownership", tables)
        raw_layer = raw_pipeline(cluster, "raw_layer", codes, storage_geometries(boxes))
        floor = registry_floor(cluster, "county", "registry_floor", base)
        reading = read_files(package)
        report(args.households, tables, gen, app, raw_own, raw_layer, floor, reading)
        for statement, seconds in app["statements"] if args.statements else ():
            print(f"{seconds:7.2f} s  {statement}")
    finally:
        discard_cluster(cluster, base)
    print(f"\nbenchmark wall time {time.perf_counter() - t0:.0f} s (cpus {os.cpu_count()})")


if __name__ == "__main__":
    main()
