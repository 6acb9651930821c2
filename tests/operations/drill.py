"""Helpers of the backup drills (their fixtures are in conftest.py): committed databases, private
folders, the command run as an operator runs it, and a fingerprint of every table."""
from __future__ import annotations

import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
from click.testing import CliRunner

from landrights.cli import main


@contextmanager
def private_folder():
    """A folder the embedded cluster's postgres account can reach (as root), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="landrights-ops-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class Databases:
    """Committed databases on the test server (the demo, or empty), dropped by drop_all()."""

    def __init__(self, server):
        self.server, self.made = server, []

    def __call__(self, *, demo: bool) -> str:
        name = f"lr_ops_{uuid.uuid4().hex[:8]}"
        self.made.append(name)
        return self.server.create_db(name, template="lr_template" if demo else None)

    def drop_all(self) -> None:
        for name in self.made:
            self.server.drop_db(name)


def landrights(instance: Path, database_url: str | None, *args: str, ok: bool = True,
               signing: Path | None = None, **more: str):
    """Run `landrights ARGS` on an instance folder and a database (None: the embedded cluster),
    with the signing key folder given (else the test run's) and more environment variables."""
    env = {"LANDRIGHTS_INSTANCE": str(instance), "DATABASE_URL": database_url, "LANDRIGHTS_ENV": None,
           **more}
    if signing:
        env["LANDRIGHTS_SIGNING_KEY_DIR"] = str(signing)
    result = CliRunner().invoke(main, list(args), env=env)
    if ok:
        assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def fingerprint(url: str) -> dict[str, tuple]:
    """Every table's row count and the MD5 of its rows' text in order, and every sequence's
    position: equal fingerprints mean equal content."""
    with psycopg.connect(libpq(url)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys' ORDER BY 1")]
        found = {t: conn.execute(f'SELECT count(*), md5(coalesce(string_agg(x::text, E\'\\n\' '
                                 f'ORDER BY x::text), \'\')) FROM public."{t}" x').fetchone()
                 for t in tables}
        for name, position in conn.execute("SELECT sequencename, last_value FROM pg_sequences "
                                           "WHERE schemaname = 'public'"):
            found[f"sequence {name}"] = (position,)
        return found


def table_count(url: str) -> int:
    with psycopg.connect(libpq(url)) as conn:
        return conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                            "'public' AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys'"
                            ).fetchone()[0]
