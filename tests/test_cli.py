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


def test_withdrawals_apply_gives_effect_on_the_date_only(instance, server, template_url):
    from datetime import timedelta
    from decimal import Decimal

    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from landrights import clock
    from landrights.accounts.permissions import Actor
    from landrights.rights import services
    from tests.conftest import TEMPLATE_DB

    folder, _ = instance
    url = server.create_db("lr_cli_withdrawals", template=TEMPLATE_DB)
    today = clock.today()
    engine = sa.create_engine(url)
    try:
        with Session(engine) as session:
            household = "220421101201010001"
            homestead = session.scalar(sa.text("SELECT code FROM homesteads WHERE household_code = :h"),
                                       {"h": household})
            holder = Actor(role="farmer", name="杨春林", household_code=household)
            services.request_withdrawal(session, holder, household_code=household, kind="homestead",
                                        compensation_yuan=Decimal("40000"), effective_on=today,
                                        homestead_code=homestead)
            session.commit()
        yesterday = (today - timedelta(days=1)).isoformat()
        early = invoke(folder, "withdrawals", "apply", "--date", yesterday, DATABASE_URL=url)
        assert "0 项生效" in early.output
        due = invoke(folder, "withdrawals", "apply", DATABASE_URL=url)
        assert homestead[:18] in due.output and "1 项生效" in due.output
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT status FROM homesteads WHERE code = :c AND valid_to IS NULL"),
                               {"c": homestead}) == "withdrawn"
    finally:
        engine.dispose()
        server.drop_db("lr_cli_withdrawals")


def test_withdrawals_apply_holds_a_request_a_later_settlement_flags(instance, server, template_url):
    """Issue 17 (G4): the holder files a homestead withdrawal due today; a member's settlement dated
    ten days before it is recorded after it. The daily run holds it for the county's review."""
    from datetime import timedelta
    from decimal import Decimal

    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from landrights import clock
    from landrights.accounts.permissions import SYSTEM, Actor
    from landrights.rights import services
    from tests.conftest import TEMPLATE_DB

    folder, _ = instance
    url = server.create_db("lr_cli_g4", template=TEMPLATE_DB)
    engine = sa.create_engine(url)
    household = "220421101201010001"
    try:
        with Session(engine) as session:
            homestead = session.scalar(sa.text("SELECT code FROM homesteads WHERE household_code = :h"),
                                       {"h": household})
            holder = Actor(role="farmer", name="杨春林", household_code=household)
            services.request_withdrawal(session, holder, household_code=household, kind="homestead",
                                        compensation_yuan=Decimal("40000"), notice_on=clock.today(),
                                        effective_on=clock.today(), homestead_code=homestead)
            session.commit()
            services.record_settlement(session, SYSTEM, id_number="220421198411303622", city="长春市",
                                       document="户口迁移证 2026-310",
                                       settled_on=clock.today() - timedelta(days=10))
            session.commit()
        run = invoke(folder, "withdrawals", "apply", DATABASE_URL=url)
        assert "0 项生效" in run.output and "1 项待县级审查" in run.output
        ahead = CliRunner().invoke(main, ["withdrawals", "apply", "--date",
                                          (clock.today() + timedelta(days=1)).isoformat()],
                                   env={"LANDRIGHTS_INSTANCE": str(folder), "DATABASE_URL": url})
        assert ahead.exit_code != 0 and "--date" in ahead.output
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT status FROM homesteads WHERE code = :c AND valid_to IS NULL"),
                               {"c": homestead}) == "active"
            assert conn.scalar(sa.text("SELECT review FROM withdrawals")) == "pending"
    finally:
        engine.dispose()
        server.drop_db("lr_cli_g4")


def test_export_writes_a_package_the_import_finds_unchanged_and_names_bad_options(
        instance, server, template_url):
    from tests.conftest import TEMPLATE_DB

    folder, _ = instance
    url = server.create_db("lr_cli_export", template=TEMPLATE_DB)
    out = folder.parent / "yongan-1.gpkg"
    try:
        done = invoke(folder, "export", str(out), "--collective", "22042110120101",
                      "--crs", "EPSG:4551", DATABASE_URL=url)
        assert "EPSG:4551" in done.output and "DK " in done.output and out.exists()
        back = invoke(folder, "import-survey", str(out), "--collective", "22042110120101",
                      "--json", DATABASE_URL=url)
        assert '"new": 0' in back.output and '"geometry_changed": 0' in back.output
        assert '"attributes_changed": 0' in back.output and '"imported": 0' in back.output
        for args, named in [(["--crs", "EPSG:3857"], "--crs EPSG:3857"),
                            (["--crs", "4530m"], "--crs"), (["--format", "kml"], "--format kml"),
                            (["--force", "--county", "220499"], "220499"), ([], "--force")]:
            scope = [] if "--county" in args else ["--collective", "22042110120101"]
            result = CliRunner().invoke(main, ["export", str(out), *scope, *args, "--lang", "en"],
                                        env={"LANDRIGHTS_INSTANCE": str(folder),
                                             "DATABASE_URL": url})
            assert result.exit_code != 0 and named in result.output, (args, result.output)
    finally:
        server.drop_db("lr_cli_export")
