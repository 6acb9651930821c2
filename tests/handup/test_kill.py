"""A killed import leaves nothing behind (issue 18 §2): the import is one transaction. The test
holds a lock on certificates so the import, run by the real command in a child process, stops
there after it has written households, persons, parcels and contracts; the child is killed
(SIGKILL), the lock released, and the database holds nothing of the package."""
import os
import subprocess
import sys
import time

import psycopg
import pytest

from tests.handup.conftest import SAMPLE_ZIP

TABLES = ("handup_imports", "households", "persons", "household_members", "parcels",
          "contracts", "contract_parcels", "register_entries", "certificates")


@pytest.fixture
def committed_db(server, clean_template):
    name = "lr_handup_kill"
    url = server.create_db(name, template=clean_template)
    yield url
    server.drop_db(name)


def _counts(conn) -> dict:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def _waiting_import(conn, database: str) -> bool:
    return conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND "
        "application_name = 'landrights' AND wait_event_type = 'Lock'", (database,)
    ).fetchone()[0] > 0


def _has_written(conn, database: str, table: str) -> bool:
    return conn.execute(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE a.datname = %s AND a.application_name = 'landrights' AND l.mode = 'RowExclusiveLock' "
        "AND l.relation = %s::regclass", (database, table)).fetchone()[0] > 0


def test_a_killed_import_leaves_nothing(committed_db, tmp_path):
    dsn = committed_db.replace("postgresql+psycopg://", "postgresql://")
    database = dsn.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(dsn) as watcher, psycopg.connect(dsn, autocommit=True) as observer:
        before = _counts(observer)
        watcher.execute("LOCK TABLE certificates IN ACCESS EXCLUSIVE MODE")
        env = {**os.environ, "DATABASE_URL": committed_db, "LANDRIGHTS_INSTANCE": str(tmp_path)}
        child = subprocess.Popen([sys.executable, "-m", "landrights.cli", "import-handup",
                                  str(SAMPLE_ZIP)], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            for _ in range(1200):  # until the import waits on the lock (it has written the rest)
                if _waiting_import(observer, database) or child.poll() is not None:
                    break
                time.sleep(0.1)
            assert child.poll() is None and _waiting_import(observer, database)
            assert _has_written(observer, database, "households")  # uncommitted, in its transaction
            assert _has_written(observer, database, "parcels")
            child.kill()
            child.wait()
        finally:
            watcher.rollback()
        for _ in range(600):  # the server ends the dead client's transaction
            if not observer.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                                    "AND application_name = 'landrights'",
                                    (database,)).fetchone()[0]:
                break
            time.sleep(0.1)
        assert _counts(observer) == before
