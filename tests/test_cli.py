"""The `landrights` command on a real instance: it starts the embedded cluster for a command and
stops it after, uses a running one and leaves it running, and never starts one with DATABASE_URL."""
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from landrights.cli import main
from landrights.pg import EmbeddedPostgres


@pytest.fixture
def instance():
    folder = Path(tempfile.mkdtemp(prefix="landrights-cli-"))
    folder.chmod(0o755)
    cluster = EmbeddedPostgres(folder / "instance", log=lambda *_: None)
    yield folder / "instance", cluster
    cluster.stop(mode="immediate")
    shutil.rmtree(folder, ignore_errors=True)


def invoke(instance_dir: Path, *args: str, **env: str):
    result = CliRunner().invoke(main, list(args), env={"LANDRIGHTS_INSTANCE": str(instance_dir),
                                                      "DATABASE_URL": None, **env})
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def test_command_on_a_stopped_instance_starts_and_stops_the_cluster(instance):
    folder, cluster = instance
    invoke(folder, "users", "create", "buyer1", "--role", "transferee", "--name", "合作社",
           "--password", "long-enough-1")
    assert not cluster.is_running()
    listing = invoke(folder, "users", "list").output
    assert "buyer1" in listing and "transferee" in listing
    assert not cluster.is_running()


def test_command_uses_a_running_cluster_and_leaves_it_running(instance):
    folder, cluster = instance
    cluster.start()
    invoke(folder, "db", "upgrade")
    token = invoke(folder, "users", "create", "buyer2", "--role", "transferee", "--name", "x",
                   "--password", "long-enough-1")
    assert token.exit_code == 0 and cluster.is_running()
    assert invoke(folder, "users", "token", "buyer2").output.startswith("lr_")


def test_bad_input_is_named_and_nothing_is_created(instance):
    folder, _ = instance
    result = CliRunner().invoke(main, ["users", "create", "officer9", "--role", "township_officer",
                                       "--name", "x", "--password", "long-enough-1"],
                                env={"LANDRIGHTS_INSTANCE": str(folder), "DATABASE_URL": None})
    assert result.exit_code != 0 and "township_code" in result.output
    assert "officer9" not in invoke(folder, "users", "list").output


def test_with_database_url_no_cluster_is_started(instance, server):
    folder, _ = instance
    url = server.create_db("lr_cli_external")
    try:
        result = invoke(folder, "db", "upgrade", DATABASE_URL=url)
        assert "-> " in result.output
        assert not (folder / "pgdata").exists()
    finally:
        server.drop_db("lr_cli_external")
