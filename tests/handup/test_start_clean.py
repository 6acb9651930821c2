"""Start clean (issue 18 §1): `run --no-demo` and LANDRIGHTS_DEMO=0 start with no demo data and say
how to create the first administrator; the demo loader skips a county that already has data
instead of crashing on uq_admin_units_county_code_code; `users create` makes the first county
administrator of a clean instance."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from landrights.cli import main
from landrights.pg import EmbeddedPostgres


@pytest.fixture
def instance():
    folder = Path(tempfile.mkdtemp(prefix="landrights-clean-"))
    folder.chmod(0o755)
    cluster = EmbeddedPostgres(folder / "instance", log=lambda *_: None)
    yield folder / "instance", cluster
    cluster.stop(mode="immediate")
    shutil.rmtree(folder, ignore_errors=True)


def invoke(instance_dir: Path, *args: str, ok: bool = True, **env: str):
    result = CliRunner().invoke(main, list(args), env={"LANDRIGHTS_INSTANCE": str(instance_dir),
                                                      "DATABASE_URL": None, **env})
    if ok:
        assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def _count(cluster: EmbeddedPostgres, sql: str) -> int:
    engine = sa.create_engine(cluster.url("landrights"))
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text(sql))
    finally:
        engine.dispose()


def test_demo_load_skips_a_county_that_already_has_data(instance):
    """Before the fix: `demo load` (and `run`) stopped with a UniqueViolation traceback on
    uq_admin_units_county_code_code."""
    folder, cluster = instance
    invoke(folder, "collectives", "add", "22042120700205", "某村五组")
    result = invoke(folder, "demo", "load", ok=False)
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "demo village not loaded" in result.output and "220421" in result.output
    cluster.start()
    assert _count(cluster, "SELECT count(*) FROM users") == 0
    assert _count(cluster, "SELECT count(*) FROM collectives") == 1


def test_first_county_administrator_on_a_clean_instance(instance):
    folder, cluster = instance
    invoke(folder, "users", "create", "admin", "--role", "county_admin", "--county", "220421",
           "--name", "县农业农村局", "--password", "long-enough-1")
    assert "admin" in invoke(folder, "users", "list").output
    cluster.start()
    assert _count(cluster, "SELECT count(*) FROM households") == 0


def _serve(folder: Path, *args: str, **env: str) -> str:
    """Start `landrights run` on a free port, return what it said until it served, stop it."""
    environ = {**os.environ, "LANDRIGHTS_INSTANCE": str(folder), **env}
    environ.pop("DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "landrights.cli", "run", "--port", "0", *args],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=environ,
                            text=True)
    said = []
    try:
        for line in proc.stderr:
            said.append(line)
            if "serving on" in line:
                break
    finally:
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=120)
    return "".join(said) + rest


@pytest.mark.parametrize("how", [("--no-demo",), ("LANDRIGHTS_DEMO=0",)])
def test_run_without_demo_starts_clean_and_says_how_to_begin(instance, how):
    folder, cluster = instance
    args = [a for a in how if a.startswith("--")]
    env = dict(a.split("=") for a in how if "=" in a)
    said = _serve(folder, *args, **env)
    assert "serving on" in said, said
    assert "users create" in said and "--role county_admin" in said and "import-handup" in said
    assert "demo" not in said.lower().replace("--no-demo", "")
    cluster.start()
    assert _count(cluster, "SELECT count(*) FROM users") == 0
    assert _count(cluster, "SELECT count(*) FROM admin_units") == 0


def test_a_county_goes_live_with_two_commands(instance):
    """A fresh instance: the first administrator, then the county's package; the report says
    what entered and what stayed out, and a second import says it changed nothing."""
    import json

    from tests.handup.conftest import SAMPLE_ZIP

    folder, _ = instance
    invoke(folder, "users", "create", "admin", "--role", "county_admin", "--county", "220421",
           "--name", "县农业农村局", "--password", "long-enough-1")
    first = invoke(folder, "import-handup", str(SAMPLE_ZIP))
    assert "户暂不入库" in first.output and "CBF_JTCY" in first.output
    assert "handup_id_checksum" in first.output
    again = json.loads(invoke(folder, "import-handup", str(SAMPLE_ZIP), "--json", "--lang",
                              "en").stdout)
    assert again["changed_nothing"] and again["counts"]["CBF"]["read"] == 40
    assert invoke(folder, "import-handup", str(SAMPLE_ZIP), "--lang", "en").output.count(
        "nothing changed") == 1
