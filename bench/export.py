"""Time `export_package` (汇交 export) on the demo county and on a synthetic collective.

One throwaway cluster: the demo village is loaded, then a synthetic collective of N parcels
(strips in GK zone 42, no defects) is imported through the survey import (not timed). Each export
(GeoPackage and GBK shapefile, EPSG:4490 and EPSG:4530) runs in its own spawned process so its
peak RSS is its own; "query only" is the DK query read into memory without writing a file.

    .venv/bin/python bench/export.py [--parcels 10000]
"""
from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import discard_cluster, peak_rss_kib  # noqa: E402  (bench/common.py)

SYNTHETIC = "22042110120104"


def app_config(url: str, instance: Path) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret",
            "INSTANCE_DIR": str(instance), "DATABASE_URL": None, "DEMO_DATA": False}


def prepare(url: str, base: Path, n: int) -> None:
    """Migrate and load the demo village (n = 0), or import a synthetic collective of n parcels."""
    from landrights import create_app, migrate
    from landrights.accounts.permissions import SYSTEM
    from landrights.demo import load_demo
    from landrights.registry import services as registry
    from landrights.survey import services as survey
    from landrights.survey import synthetic as syn

    app = create_app(app_config(url, base))
    ext = app.extensions["landrights.db"]
    migrate.upgrade(ext.engine)
    with app.app_context():
        session = ext.session_factory()
        if not n:
            load_demo(session, hash_method="pbkdf2:sha256:1")
            session.commit()
            return
        registry.add_collective(session, SYSTEM, code=SYNTHETIC, name="永安村四组")
        parcels = syn.make_parcels(SYNTHETIC, n, per_row=max(40, round(2 * math.sqrt(n))))
        path = syn.write_geopackage(parcels, base / "synthetic.gpkg")
        record = survey.import_survey(session, SYSTEM, path, collective_code=SYNTHETIC)
        session.commit()
        print(f"prepared: {record.imported:,} synthetic parcels imported", flush=True)
        session.close()
    ext.engine.dispose()


def child_export(url: str, base: str, scope: dict, fmt: str, srid: int) -> dict:
    """Child process: one export; return seconds, rows and peak RSS."""
    from landrights import create_app
    from landrights.accounts.permissions import SYSTEM
    from landrights.survey.export import export_package

    app = create_app(app_config(url, Path(base)))
    ext = app.extensions["landrights.db"]
    out = Path(base) / f"out-{fmt}-{srid}-{os.getpid()}{'.gpkg' if fmt == 'gpkg' else ''}"
    with app.app_context():
        session = ext.session_factory()
        session.connection()
        t0 = time.perf_counter()
        result = export_package(session, SYSTEM, out, file_format=fmt, srid=srid, **scope)
        seconds = time.perf_counter() - t0
        session.close()
    ext.engine.dispose()
    size = sum(p.stat().st_size for p in out.rglob("*")) if out.is_dir() else out.stat().st_size
    return {"seconds": seconds, "counts": result.counts, "mib": size / 2**20,
            "maxrss_kib": peak_rss_kib()}


def child_query(url: str, base: str, scope: dict, srid: int) -> dict:
    """Child process: the DK query alone, all rows fetched into memory."""
    import sqlalchemy as sa

    from landrights import create_app
    from landrights.survey import export_tables as tables

    prefix = scope.get("collective_code") or scope["county_code"]
    app = create_app(app_config(url, Path(base)))
    ext = app.extensions["landrights.db"]
    with app.app_context():
        session = ext.session_factory()
        session.connection()
        t0 = time.perf_counter()
        rows = session.execute(sa.text(tables.DK.sql()), {
            "county": prefix[:6], "prefix": prefix + "%", "srid": srid}).all()
        seconds = time.perf_counter() - t0
        session.close()
    ext.engine.dispose()
    return {"seconds": seconds, "rows": len(rows)}


def in_child(func, *args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(func, args)


def measure(url: str, base: Path, label: str, scope: dict) -> None:
    """Print one line per format and CRS for one scope."""
    for srid in (4490, 4530):
        query = in_child(child_query, url, str(base), scope, srid)
        for fmt in ("gpkg", "shp"):
            r = in_child(child_export, url, str(base), scope, fmt, srid)
            n = r["counts"]["DK"]
            print(f"{label:36} {fmt:6} {'EPSG:' + str(srid):>9} {n:>8,} {r['seconds']:>6.2f} "
                  f"{n / r['seconds']:>8,.0f} {r['mib']:>6.1f} {r['maxrss_kib'] / 1024:>9.0f} "
                  f"{query['seconds']:>13.2f}", flush=True)
    print(f"  tables: {r['counts']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=10_000)
    args = parser.parse_args()
    from landrights.pg import EmbeddedPostgres

    base = Path(tempfile.mkdtemp(prefix="landrights-bench-export-"))
    base.chmod(0o755)
    cluster = EmbeddedPostgres(base / "pg", log=lambda *_: None, fast_unsafe=True)
    county = {"county_code": "220421"}
    try:
        cluster.start()
        cluster.ensure_database("lr_bench_export")
        url = cluster.url("lr_bench_export")
        prepare(url, base, 0)
        print(f"\n{'scope':36} {'format':6} {'CRS':>9} {'DK rows':>8} {'s':>6} {'DK/s':>8} "
              f"{'MiB':>6} {'peak MiB':>9} {'query only s':>13}")
        measure(url, base, "demo county 220421", county)
        prepare(url, base, args.parcels)
        measure(url, base, f"synthetic collective {SYNTHETIC}", {"collective_code": SYNTHETIC})
        measure(url, base, "demo county + synthetic collective", county)
    finally:
        discard_cluster(cluster, base)
    print(f"(cpus {os.cpu_count()}, {time.strftime('%Y-%m-%d')})")


if __name__ == "__main__":
    main()
