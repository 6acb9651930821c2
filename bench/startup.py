"""Time from `landrights run` to the first served page, on a fresh and on an existing instance.

Prints each time next to the raw limit measured in the same run: PostgreSQL's own initdb + start
(fresh) and start alone (existing), both run through landrights.pg exactly as the app does.
Targets (issue 2): existing instance < 5 s, fresh instance < 60 s.

    .venv/bin/python bench/startup.py            # uses a new instance under /tmp
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from common import free_port  # noqa: E402  (bench/common.py)

LANDRIGHTS = ROOT / ".venv" / "bin" / "landrights"


def time_run(instance: Path) -> float:
    """Start `landrights run`, wait for the login page, stop it with Ctrl-C; return seconds."""
    port = free_port()
    env = {**os.environ, "LANDRIGHTS_INSTANCE": str(instance)}
    env.pop("DATABASE_URL", None)
    start = time.monotonic()
    proc = subprocess.Popen([str(LANDRIGHTS), "run", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"landrights run exited: {proc.stderr.read()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic() - start
            except OSError:
                time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


def raw_postgres(instance: Path) -> tuple[float, float]:
    """Return (initdb + start, start alone) seconds for a bare cluster, via landrights.pg."""
    sys.path.insert(0, str(ROOT))
    from landrights.pg import EmbeddedPostgres

    cluster = EmbeddedPostgres(instance, log=lambda *_: None)
    t0 = time.monotonic()
    cluster.start()
    fresh = time.monotonic() - t0
    cluster.stop()
    t0 = time.monotonic()
    cluster.start()
    again = time.monotonic() - t0
    cluster.stop()
    return fresh, again


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="landrights-bench-"))
    base.chmod(0o755)
    try:
        raw_fresh, raw_again = raw_postgres(base / "raw")
        fresh = time_run(base / "app")
        existing = [time_run(base / "app") for _ in range(3)]
    finally:
        for folder in ("raw", "app"):
            _stop(base / folder)
        shutil.rmtree(base, ignore_errors=True)
    best = min(existing)
    print("landrights run -> first page")
    print(f"  fresh instance   : {fresh:6.2f} s   (target < 60 s)   raw initdb+start {raw_fresh:5.2f} s"
          f"   ratio raw/app {raw_fresh / fresh:.2f}")
    print(f"  existing instance: {best:6.2f} s   (target < 5 s)    raw start        {raw_again:5.2f} s"
          f"   ratio raw/app {raw_again / best:.2f}   (runs: {', '.join(f'{t:.2f}' for t in existing)})")


def _stop(instance: Path) -> None:
    from landrights.pg import EmbeddedPostgres

    if instance.exists():
        cluster = EmbeddedPostgres(instance, log=lambda *_: None)
        if cluster.is_running():
            cluster.stop(mode="immediate")
        if cluster.root != instance / "pgdata":
            shutil.rmtree(cluster.root, ignore_errors=True)


if __name__ == "__main__":
    main()
