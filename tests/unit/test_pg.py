"""The embedded cluster (landrights.pg) against real PostgreSQL: create, start, stop, recover, fall back."""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from landrights.pg import FALLBACK_BASE, EmbeddedPostgres, PostgresError, find_bindir

AS_ROOT = os.geteuid() == 0


class Clusters:
    """Make clusters in fresh folders under /tmp; stop and remove them all afterwards."""

    def __init__(self):
        self.made: list[EmbeddedPostgres] = []
        self.folders: list[Path] = []
        self.messages: list[str] = []

    def folder(self, mode: int = 0o755) -> Path:
        # not pytest's tmp_path: /tmp/pytest-of-root is 0700, which the postgres account cannot pass
        path = Path(tempfile.mkdtemp(prefix="landrights-pgtest-"))
        path.chmod(mode)
        self.folders.append(path)
        return path

    def new(self, instance: Path | None = None) -> EmbeddedPostgres:
        cluster = EmbeddedPostgres(instance or self.folder() / "instance", log=self.messages.append,
                                   fast_unsafe=True)
        self.made.append(cluster)
        return cluster

    def cleanup(self) -> None:
        for cluster in self.made:
            cluster.stop(mode="immediate")
            if cluster.root.is_relative_to(FALLBACK_BASE):
                shutil.rmtree(cluster.root, ignore_errors=True)
            if str(cluster.socket_dir).startswith("/tmp/landrights-"):
                shutil.rmtree(cluster.socket_dir, ignore_errors=True)
        for folder in self.folders:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def clusters():
    made = Clusters()
    yield made
    made.cleanup()


@pytest.fixture(scope="module")
def shared():
    """One running cluster with the landrights database, for the tests that leave it running."""
    made = Clusters()
    cluster = made.new()
    t0 = time.monotonic()
    cluster.init()
    t1 = time.monotonic()
    assert cluster.start() is True
    print(f"\ninitdb {t1 - t0:.2f} s, start {time.monotonic() - t1:.2f} s")
    cluster.ensure_database("landrights")
    yield cluster
    made.cleanup()


def _scalar(cluster: EmbeddedPostgres, query: str, dbname: str = "landrights"):
    with psycopg.connect(cluster.conninfo(dbname)) as conn:
        return conn.execute(query).fetchone()[0]


def test_find_bindir_has_the_server_binaries():
    bindir = find_bindir()
    assert all((bindir / name).exists() for name in ("initdb", "pg_ctl", "postgres"))


def test_create_start_connect(shared):
    assert shared.exists() and shared.is_running()
    assert shared.root == shared.instance_dir / "pgdata"  # /tmp is reachable: no fallback
    assert _scalar(shared, "SELECT postgis_version()")
    assert _scalar(shared, "SELECT extname FROM pg_extension WHERE extname = 'btree_gist'") == "btree_gist"
    assert _scalar(shared, "SHOW listen_addresses") == ""  # socket only, no TCP port
    assert shared.url() == f"postgresql+psycopg://postgres@/landrights?host={shared.socket_dir}"
    engine = sa.create_engine(shared.url())
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT current_database()")).scalar() == "landrights"
    engine.dispose()
    assert shared.data_dir.stat().st_mode & 0o777 == 0o700
    if AS_ROOT:
        assert shared.data_dir.owner() == "postgres"
    assert shared.ensure_database("landrights") is False  # second call: already there


def test_start_when_running_returns_false(shared):
    assert shared.start() is False
    # a second object for the same instance (another process, say) sees the running server too
    assert EmbeddedPostgres(shared.instance_dir, log=lambda *_: None).start() is False


def test_running_context_leaves_an_already_running_cluster_running(shared):
    with EmbeddedPostgres(shared.instance_dir, log=lambda *_: None).running() as cluster:
        assert cluster.is_running()
    assert shared.is_running()


def test_stop_if_idle_refuses_while_another_client_is_connected(shared):
    with psycopg.connect(shared.conninfo("landrights")):
        assert shared.other_clients() >= 1
        assert shared.stop_if_idle() is False
        assert shared.is_running()


def test_stop_and_restart_keep_the_data(clusters):
    cluster = clusters.new()
    assert cluster.start() is True
    cluster.ensure_database("landrights")
    with psycopg.connect(cluster.conninfo("landrights"), autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
    assert cluster.stop_if_idle() is True  # nobody else connected
    assert not cluster.is_running()
    cluster.stop()  # stopping a stopped cluster does nothing
    with cluster.running():  # started here, idle at the end: stopped again
        assert _scalar(cluster, "SELECT n FROM kept") == 42
    assert not cluster.is_running()
    t0 = time.monotonic()
    assert cluster.start() is True
    started = time.monotonic() - t0
    assert _scalar(cluster, "SELECT n FROM kept") == 42
    t0 = time.monotonic()
    cluster.stop()
    print(f"\nrestart {started:.2f} s, stop {time.monotonic() - t0:.2f} s")
    assert not cluster.is_running()


def _wait_gone(pid: int) -> None:
    """Wait until PID has exited (a zombie counts: nobody may reap it in a container)."""
    for _ in range(200):
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return
        except FileNotFoundError:
            return
        time.sleep(0.05)
    raise AssertionError(f"PID {pid} still alive")


def test_stale_lock_with_a_reused_pid_is_removed(clusters):
    cluster = clusters.new()
    cluster.start()
    pid_file = cluster.data_dir / "postmaster.pid"
    postmaster = int(pid_file.read_text().split("\n", 1)[0])
    os.kill(postmaster, signal.SIGKILL)  # a crash: postmaster.pid and the socket lock stay behind
    _wait_gone(postmaster)
    lines = pid_file.read_text().split("\n")
    # the PID is now "reused" by a live program that is not postgres: this test process
    pid_file.write_text("\n".join([str(os.getpid()), *lines[1:]]))
    assert not cluster.is_running()
    clusters.messages.clear()
    assert cluster.start() is True
    assert cluster.is_running()
    assert _scalar(cluster, "SELECT 1", "postgres") == 1
    assert any("stale lock" in m and str(os.getpid()) in m for m in clusters.messages)


def test_failed_start_raises_with_the_log_tail(clusters):
    cluster = clusters.new()
    cluster.init()
    with (cluster.data_dir / "postgresql.conf").open("a") as conf:
        conf.write("\nshared_buffers = 'plenty'\n")
    with pytest.raises(PostgresError) as info:
        cluster.start()
    message = str(info.value)
    assert str(cluster.log_file) in message
    assert "shared_buffers" in message  # the server's complaint, from the log's last lines
    assert not cluster.is_running()


def test_long_instance_path_gets_a_short_socket_dir(clusters):
    cluster = clusters.new(clusters.folder() / ("x" * 90) / "instance")
    assert str(cluster.socket_dir) == f"/tmp/landrights-{cluster.key}"
    assert cluster.start() is True
    assert (cluster.socket_dir / ".s.PGSQL.5432").exists()
    assert cluster.socket_dir.stat().st_mode & 0o777 == 0o700
    assert _scalar(cluster, "SELECT 1", "postgres") == 1
    assert any("socket path" in m for m in clusters.messages)


@pytest.mark.skipif(not AS_ROOT, reason="the fallback is for root, whose server runs as postgres")
def test_root_falls_back_when_postgres_cannot_reach_the_instance(clusters):
    locked = clusters.folder(mode=0o700)  # like /root
    cluster = clusters.new(locked / "instance")
    assert cluster.root == FALLBACK_BASE / cluster.key
    assert cluster.start() is True
    assert cluster.data_dir.owner() == "postgres"
    assert any("not reachable by user postgres" in m and str(cluster.root) in m for m in clusters.messages)
    cluster.ensure_database("landrights")
    assert _scalar(cluster, "SELECT postgis_version()")
    assert not (locked / "instance" / "pgdata").exists()
