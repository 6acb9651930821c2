"""Fixtures of the hand-up tests: the sample package (a copy of ../shared/fixtures/handup-sample)
and an import of it as the county administrator."""
import json
from pathlib import Path

import pytest

from landrights.accounts.permissions import Actor

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "220421103004"
SAMPLE_ZIP = DATA / "220421103004.zip"
EXPECTED = json.loads((DATA / "220421103004.expected.json").read_text(encoding="utf-8"))
COUNTY_ADMIN = Actor(role="county_admin", name="县管理员", county_code="220421")


@pytest.fixture
def county_admin():
    return COUNTY_ADMIN


@pytest.fixture(scope="session")
def clean_template(server, instance_dir):
    """A county's fresh database, migrated, with no demo village (a county going live): the
    template the clean databases are copied from (no one stays connected to it)."""
    from landrights import create_app, migrate
    from tests.conftest import _test_config

    name = "lr_handup_template"
    url = server.create_db(name)
    app = create_app(_test_config(url, instance_dir))
    migrate.upgrade(app.extensions["landrights.db"].engine)
    app.extensions["landrights.db"].engine.dispose()
    return name


@pytest.fixture(scope="session")
def clean_url(server, clean_template):
    return server.create_db("lr_handup_clean", template=clean_template)


@pytest.fixture(scope="session")
def clean_app(clean_url, instance_dir):
    from landrights import create_app
    from tests.conftest import _test_config

    application = create_app(_test_config(clean_url, instance_dir))
    yield application
    application.extensions["landrights.db"].engine.dispose()


@pytest.fixture
def clean_session(clean_app):
    """A session on the clean database whose work is rolled back after the test; the app's
    requests share it (as tests/conftest.py's session)."""
    from sqlalchemy.orm import Session

    engine = clean_app.extensions["landrights.db"].engine
    conn = engine.connect()
    outer = conn.begin()
    sess = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    ext = clean_app.extensions["landrights.db"]
    factory, ext.session_factory = ext.session_factory, (lambda: sess)
    ext.close_on_teardown = False
    yield sess
    ext.session_factory, ext.close_on_teardown = factory, True
    sess.close()
    outer.rollback()
    conn.close()


@pytest.fixture
def clean_client(clean_app, clean_session):
    return clean_app.test_client()


def import_package(app, session, path, tmp_path, actor=COUNTY_ADMIN, **options):
    """Import a package as the county administrator; return (record, report in zh)."""
    from landrights.handup import services

    with app.test_request_context("/?lang=zh"):
        record = services.import_handup(session, actor, path, workdir=tmp_path, **options)
        return record, services.report(session, record, "zh")
