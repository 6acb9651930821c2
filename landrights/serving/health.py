"""The checks of /healthz: the database answers, its schema is the one this code was written for,
and the upload folder has room for an upload. Cheap (one pooled connection, two short queries,
one statfs) and with nothing secret in the answer: no address, user name or error text of the
database (the operator finds those in the log, under the request's id)."""
from __future__ import annotations

import functools
import logging
import shutil
import time

import sqlalchemy as sa

log = logging.getLogger(__name__)
STATEMENT_TIMEOUT_MS = 2000


@functools.cache
def code_heads() -> tuple[str, ...]:
    """Return the schema revision(s) this code expects: the heads of migrations/ (read once)."""
    from alembic.script import ScriptDirectory

    from landrights import migrate

    return tuple(sorted(ScriptDirectory.from_config(migrate.alembic_config()).get_heads()))


def database_heads(engine: sa.Engine) -> tuple[str, ...]:
    """Return the database's schema revision(s) (empty if never migrated); raise if unreachable."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        conn.execute(sa.text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def check_database(engine: sa.Engine) -> tuple[dict, dict]:
    """Return the database check and the schema check."""
    started = time.perf_counter()
    try:
        current = database_heads(engine)
    except sa.exc.SQLAlchemyError:
        log.warning("health check: the database did not answer", exc_info=True)
        return {"ok": False, "error": "unreachable"}, {"ok": False, "error": "unknown"}
    database = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    expected = code_heads()
    schema = {"ok": current == expected, "current": ",".join(current) or None,
              "expected": ",".join(expected)}
    if not schema["ok"]:
        schema["action"] = "landrights db upgrade"
    return database, schema


def check_disk(instance_dir: str, needed_mb: int) -> dict:
    """Return the disk check: free space in the upload folder against what one upload needs."""
    from landrights.uploads import scratch_root

    try:
        free_mb = shutil.disk_usage(scratch_root(instance_dir)).free >> 20
    except OSError:
        log.warning("health check: the upload folder cannot be used", exc_info=True)
        return {"ok": False, "error": "upload folder unusable", "needed_mb": needed_mb}
    return {"ok": free_mb >= needed_mb, "free_mb": free_mb, "needed_mb": needed_mb}


def report(app) -> dict:
    """Run every check; return {"status": "ok" | "failing", "checks": {...}}."""
    database, schema = check_database(app.extensions["landrights.db"].engine)
    checks = {"database": database, "schema": schema,
              "disk": check_disk(app.config["INSTANCE_DIR"], int(app.config["HEALTH_MIN_FREE_MB"]))}
    return {"status": "ok" if all(c["ok"] for c in checks.values()) else "failing", "checks": checks}
