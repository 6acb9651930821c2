"""`landrights serve`: the app on gunicorn, with defaults fit for the machine and the uploads.

gunicorn runs in this process (its master), loading the app in each worker after the fork. In
production the database must be reachable and at the schema this code expects before a worker
starts; the embedded cluster is never started there (production has DATABASE_URL, always). In
development the command prepares the database as `landrights run` does.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from gunicorn.app.base import BaseApplication

from landrights.config import ConfigError

MAX_WORKERS = 8  # each worker holds ~150 MiB and up to 15 database connections (db.py's pool)
THREADS = 4


def cores() -> int:
    """Return the CPUs this process may run on (a container's or a cpuset's, not the host's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def default_workers() -> int:
    """Return 2 × cores + 1 worker processes, at most MAX_WORKERS."""
    return min(2 * cores() + 1, MAX_WORKERS)


def request_timeout(upload_mb: int) -> int:
    """Return the seconds a request may take: a minute, plus one a megabyte of survey upload.

    The survey import enters about 5,000 parcels a second (bench/RESULTS.md) and a megabyte of
    shapefile holds some 700, so one second a megabyte leaves the reading, the quality rules and a
    busy database room; at the default 200 MB that is 260 s. Under gthread a long request never
    stops the worker's heartbeat, so this is mostly how long a stopping or reloading worker lets
    an import finish (graceful_timeout) before it is cut off and rolled back.
    """
    return 60 + upload_mb


def multiproc_dir(instance_dir: str) -> Path:
    """Point PROMETHEUS_MULTIPROC_DIR at a private folder (the operator's, else <instance>/
    prometheus) before the Prometheus client is imported; return it."""
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or Path(instance_dir) / "prometheus")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return folder


def _empty(folder: Path) -> None:
    """Remove the metric files of the last run (only its *.db files: the folder may be shared)."""
    for path in folder.glob("*.db"):
        path.unlink(missing_ok=True)


def gunicorn_options(*, bind: list[str], workers: int, threads: int, timeout: int,
                     metrics_dir: Path) -> dict:
    """Return gunicorn's settings, with the hooks that keep the multiprocess metrics right."""
    # imported here, after multiproc_dir set PROMETHEUS_MULTIPROC_DIR (the client picks its mode on
    # import) and not in child_exit: that runs in the SIGCHLD handler, which can interrupt itself
    # in the middle of an import and then find the module half made
    from prometheus_client import multiprocess

    from landrights.serving.requestlog import json_formatter

    def on_starting(server):
        _empty(metrics_dir)  # before the first fork: counters start at zero with the master

    def child_exit(server, worker):
        multiprocess.mark_process_dead(worker.pid, str(metrics_dir))

    return {
        "bind": bind, "workers": workers, "worker_class": "gthread", "threads": threads,
        "timeout": timeout, "graceful_timeout": timeout, "keepalive": 5,
        # the heartbeat files in memory, not on a disk that can stall (gunicorn's advice)
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
        "proc_name": "landrights", "accesslog": None, "errorlog": "-", "loglevel": "info",
        # no max_requests: a recycled worker would end a hand-up import running in its thread
        "logconfig_dict": {
            "version": 1, "disable_existing_loggers": False,
            "formatters": {"json": {"()": json_formatter}},
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                    "stream": "ext://sys.stderr"}},
            "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["stderr"],
                                           "propagate": False}},
            "root": {"level": "INFO", "handlers": []},
        },
        "on_starting": on_starting, "child_exit": child_exit,
    }


class LandrightsGunicorn(BaseApplication):
    """gunicorn with these settings, loading `create_app()` in each worker."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply the settings."""
        for key, value in self.options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self):
        """Create the app (in the worker, after the fork: no connection crosses it)."""
        from landrights import create_app

        return create_app()


def run(options: dict) -> None:
    """Run gunicorn until it is stopped. A worker leaves gunicorn by SystemExit, in a copy of this
    stack: it must not run the master's `finally` blocks (such as stopping the embedded cluster),
    so a worker ends here, at once."""
    master = os.getpid()
    try:
        LandrightsGunicorn(options).run()
    except SystemExit as leaving:
        if os.getpid() != master:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(leaving.code if isinstance(leaving.code, int) else 1)
        raise


def check_schema(url: str) -> None:
    """Refuse to serve a database that does not answer or is not at this code's schema.

    Raises:
        ConfigError: the one sentence saying what is wrong and what to run.
    """
    import sqlalchemy as sa

    from landrights.serving import health

    engine = sa.create_engine(url, connect_args={} if "connect_timeout" in url
                              else {"connect_timeout": 10})
    try:
        current = health.database_heads(engine)
    except sa.exc.SQLAlchemyError as err:
        reason = str(getattr(err, "orig", err)).strip().splitlines()[0]
        raise ConfigError(f"cannot reach the database of DATABASE_URL ({reason}); refusing to "
                          "start.") from None
    finally:
        engine.dispose()
    expected = health.code_heads()
    if current != expected:
        raise ConfigError(f"the database schema is at {', '.join(current) or 'nothing (never migrated)'}"
                          f" but this code needs {', '.join(expected)}: back the database up, run "
                          "`landrights db upgrade`, then start again; refusing to start.")


def free_space_warning(instance_dir: str, upload_mb: int) -> str | None:
    """Say so when the upload folder has less room than one survey upload."""
    from landrights.uploads import scratch_root

    free_mb = shutil.disk_usage(scratch_root(instance_dir)).free >> 20
    if free_mb < upload_mb:
        return (f"warning: {free_mb} MB free in {scratch_root(instance_dir)}, less than one "
                f"upload of {upload_mb} MB (/healthz answers 503)")
    return None
