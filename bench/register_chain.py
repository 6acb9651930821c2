"""What the register's hash chain (issue 20 §3, migration 0022) adds to writes, against the same
writes with the chain's triggers off, measured in the same run on one throwaway cluster (fsync on).

For each size N (default 10,000 and 100,000), each in one transaction rolled back after:

* bulk: one INSERT ... SELECT of N register entries, then of N certificates (the hand-up import's
  shape: a statement per table), then one UPDATE closing the N entries and one ending the N
  certificates (a re-import's shape); foreign keys off in both runs (no contracts behind the rows),
  the history triggers on;
* interactive (first, on an empty chain): 500 certificates, one per transaction with its commit
  (an officer's pace);
* verify: `landrights audit verify` of a county whose chain holds 4 N links.

The raw side is the same statements with `ALTER TABLE ... DISABLE TRIGGER <table>_chain_*`.

    .venv/bin/python bench/register_chain.py [--sizes 10000 100000]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import discard_cluster  # noqa: E402  (bench/common.py)

COUNTY = "220421"
INSERT_ENTRIES = """
INSERT INTO register_entries (county_code, code, version, contract_id, registrar, document, valid_from,
                              registered_at)
SELECT '220421', '220421101201' || lpad(g::text, 6, '0') || 'J', 1, g, '东丰县农业农村局',
       '汇交成果 220421.zip', now() - interval '1 year', now() - interval '1 year'
FROM generate_series(1, :n) g"""
INSERT_CERTIFICATES = """
INSERT INTO certificates (county_code, code, serial, printed_no, contract_id, register_entry_id, kind,
                          status, authority, issued_at, document)
SELECT '220421', '220421101201' || lpad(g::text, 6, '0') || 'J', 1, 'NO.J' || lpad(g::text, 13, '0'),
       g, g, 'issue', 'valid', '东丰县人民政府', now() - interval '1 year', '汇交成果 证书流水号 ' || g
FROM generate_series(1, :n) g"""
CLOSE_ENTRIES = "UPDATE register_entries SET valid_to = now() WHERE valid_to IS NULL"
END_CERTIFICATES = ("UPDATE certificates SET status = 'superseded', ended_at = now(), "
                    "end_reason = '换发', end_document = '汇交成果' WHERE status = 'valid'")
STEPS = (("insert register entries", INSERT_ENTRIES), ("insert certificates", INSERT_CERTIFICATES),
         ("close register entries", CLOSE_ENTRIES), ("end certificates", END_CERTIFICATES))
TABLES = ("register_entries", "certificates")


def _chain_triggers(conn, on: bool) -> None:
    import sqlalchemy as sa

    for table in TABLES:
        conn.execute(sa.text(f"ALTER TABLE {table} {'ENABLE' if on else 'DISABLE'} TRIGGER ALL"))
        if not on:  # the registry's own triggers stay on; the foreign keys and the chain go off
            conn.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_history"))


def bulk(engine, n: int, chained: bool) -> dict:
    """Time each bulk statement of N rows, in one transaction rolled back after."""
    import sqlalchemy as sa

    times = {}
    with engine.connect() as conn:
        with conn.begin():
            _chain_triggers(conn, False)
            if chained:
                for table in TABLES:
                    conn.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_chain_insert"))
                    conn.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_chain_update"))
        trans = conn.begin()
        for name, sql in STEPS:
            t = time.perf_counter()
            conn.execute(sa.text(sql), {"n": n})
            times[name] = time.perf_counter() - t
        links = conn.scalar(sa.text("SELECT count(*) FROM register_chain"))
        trans.rollback()
        with conn.begin():
            _chain_triggers(conn, True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM register_chain, register_entries, certificates"))
    times["links"] = links
    return times


def interactive(engine, rows: int, chained: bool) -> float:
    """Return seconds per committed single-certificate transaction."""
    import sqlalchemy as sa

    with engine.begin() as conn:
        _chain_triggers(conn, False)
        if chained:
            conn.execute(sa.text("ALTER TABLE certificates ENABLE TRIGGER certificates_chain_insert"))
    t = time.perf_counter()
    with engine.connect() as conn:
        for i in range(rows):
            with conn.begin():
                conn.execute(sa.text(INSERT_CERTIFICATES.replace("generate_series(1, :n) g",
                                                                 f"(SELECT {900000 + i} AS g) s")))
    per_row = (time.perf_counter() - t) / rows
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text("DELETE FROM certificates WHERE contract_id >= 900000"))
        conn.execute(sa.text("DELETE FROM register_chain"))
        _chain_triggers(conn, True)
    return per_row


def verify(engine, n: int) -> tuple[float, int]:
    """Chain 4 N links in one county (committed), then time one verification of it."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from landrights.audit import chain

    with engine.begin() as conn:
        _chain_triggers(conn, False)
        for table in TABLES:
            conn.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_chain_insert"))
            conn.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_chain_update"))
    with engine.begin() as conn:
        for _, sql in STEPS:
            conn.execute(sa.text(sql), {"n": n})
    with engine.begin() as conn:
        _chain_triggers(conn, True)
    t = time.perf_counter()
    with Session(engine) as session:
        report = chain.verify_county(session, COUNTY)
    seconds = time.perf_counter() - t
    assert report.ok, report.findings[:3]
    return seconds, report.entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    import sqlalchemy as sa

    from landrights import migrate
    from landrights.pg import EmbeddedPostgres

    base = Path(tempfile.mkdtemp(prefix="landrights-bench-chain-"))
    base.chmod(0o755)
    cluster = EmbeddedPostgres(base / "pg", log=lambda *_: None, fast_unsafe=False)
    t0 = time.perf_counter()
    try:
        cluster.start()
        print("| measure | with the chain | chain off (raw) | added | added per row |")
        print("|---|---|---|---|---|")
        for n in args.sizes:
            cluster.ensure_database(f"chain{n}")
            engine = sa.create_engine(cluster.url(f"chain{n}"))
            migrate.upgrade(engine)
            per_raw, per_chained = interactive(engine, 500, False), interactive(engine, 500, True)
            raw, chained = bulk(engine, n, False), bulk(engine, n, True)
            for name, _ in STEPS:
                added = chained[name] - raw[name]
                print(f"| {name}, {n:,} rows in one statement | {chained[name]:.2f} s | {raw[name]:.2f} s "
                      f"| {added:+.2f} s ({chained[name] / raw[name]:.1f}x) | {added / n * 1e6:+.0f} µs |")
            assert chained["links"] == 4 * n and raw["links"] == 0
            print(f"| one certificate per transaction with commit (500) | {per_chained * 1e3:.2f} ms "
                  f"| {per_raw * 1e3:.2f} ms | {(per_chained - per_raw) * 1e3:+.2f} ms | — |")
            seconds, links = verify(engine, n)
            print(f"| `audit verify` of a county chain of {links:,} links | {seconds:.2f} s | — | — "
                  f"| {seconds / links * 1e6:.0f} µs per link |", flush=True)
            engine.dispose()
    finally:
        discard_cluster(cluster, base)
    print(f"\nbenchmark wall time {time.perf_counter() - t0:.0f} s (cpus {os.cpu_count()})")


if __name__ == "__main__":
    main()
