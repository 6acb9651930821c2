"""Time `landrights backup` and `landrights restore` next to raw pg_dump / pg_restore, same run.

One throwaway cluster (safe settings: fsync on): the demo village, plus a synthetic collective of
N parcels imported through the survey import (not timed). Each command runs as an operator runs
it, a new process with DATABASE_URL; "python start" is `landrights --help` in the same run (the
fixed cost of any command). Raw: `pg_dump -Fc` of the same database, and `pg_restore -d` of that
dump into an empty database with the extensions (what one would type by hand). Best of 3.

    .venv/bin/python bench/backup.py [--parcels 20000]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import discard_cluster  # noqa: E402  (bench/common.py)
from export import prepare  # noqa: E402  (the demo and a synthetic collective, as bench/export.py)

LANDRIGHTS = str(Path(sys.executable).parent / "landrights")
RUNS = 3


def best(run) -> float:
    """Run a callable RUNS times; return the shortest wall time in seconds."""
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return min(times)


def sh(*args: str, env: dict | None = None) -> None:
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=20_000)
    args = parser.parse_args()
    from landrights.pg import EmbeddedPostgres, find_bindir

    base = Path(tempfile.mkdtemp(prefix="landrights-bench-backup-"))
    base.chmod(0o755)
    cluster = EmbeddedPostgres(base / "pg", log=lambda *_: None)
    bindir = find_bindir()
    try:
        cluster.start()
        cluster.ensure_database("lr_bench_source")
        source = cluster.url("lr_bench_source")
        prepare(source, base, 0)
        if args.parcels:
            prepare(source, base, args.parcels)
        conninfo = cluster.conninfo("lr_bench_source")
        env = {k: v for k, v in os.environ.items() if k != "LANDRIGHTS_ENV"}
        env.update(LANDRIGHTS_INSTANCE=str(base / "instance"), DATABASE_URL=source)
        out, raw = base / "app.tar", base / "raw.dump"

        start = best(lambda: sh(LANDRIGHTS, "--help", env=env))
        app_backup = best(lambda: sh(LANDRIGHTS, "backup", "--force", str(out), env=env))
        raw_dump = best(lambda: sh(str(bindir / "pg_dump"), "-Fc", "-f", str(raw), f"--dbname={conninfo}"))

        def fresh(name: str) -> str:
            with cluster._connect() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cluster.ensure_database(name)
            return name

        def app_restore() -> None:
            target = cluster.url(fresh("lr_bench_app"))
            sh(LANDRIGHTS, "restore", str(out), env=env | {"DATABASE_URL": target,
                                                           "LANDRIGHTS_INSTANCE": str(base / "target")})

        def raw_restore() -> None:
            target = cluster.conninfo(fresh("lr_bench_raw"))
            sh(str(bindir / "pg_restore"), "--no-owner", "-d", target, str(raw))

        app_restore_s, raw_restore_s = best(app_restore), best(raw_restore)
        with cluster._connect("lr_bench_source") as conn:
            parcels = conn.execute("SELECT count(*) FROM parcels").fetchone()[0]
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        print(f"\ndemo + {args.parcels:,} synthetic parcels: {parcels:,} parcels, database "
              f"{size / 2**20:.0f} MiB; backup file {out.stat().st_size / 2**20:.1f} MiB, raw dump "
              f"{raw.stat().st_size / 2**20:.1f} MiB; best of {RUNS}, wall time\n")
        print(f"{'step':10} {'landrights':>11} {'raw':>8} {'ratio':>6}   raw = ")
        print(f"{'backup':10} {app_backup:>10.2f}s {raw_dump:>7.2f}s {app_backup / raw_dump:>5.1f}x   "
              "pg_dump -Fc")
        print(f"{'restore':10} {app_restore_s:>10.2f}s {raw_restore_s:>7.2f}s "
              f"{app_restore_s / raw_restore_s:>5.1f}x   pg_restore -d (into an empty database)")
        print(f"python start (landrights --help), included in each landrights figure: {start:.2f}s")
    finally:
        discard_cluster(cluster, base)


if __name__ == "__main__":
    main()
