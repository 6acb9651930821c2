"""Test fixtures: a throwaway PostGIS cluster started by the project's own code (landrights.pg),
or TEST_DATABASE_URL; the schema built by `alembic upgrade head` once, the demo village loaded
once into a template database, and every test in a savepoint that rolls back."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from landrights import create_app, migrate
from landrights.accounts.permissions import SYSTEM, Actor

TEMPLATE_DB = "lr_template"
TEST_DB = "lr_test"
PASSWORD = "test-password-1"
FAST_HASH = "pbkdf2:sha256:1"


class Server:
    """A PostgreSQL server the tests may create databases on."""

    def __init__(self, url: str, cluster=None):
        self.url = make_url(url)
        self.cluster = cluster

    def db_url(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def admin(self):
        u = self.url.set(drivername="postgresql", database="postgres")
        return psycopg.connect(u.render_as_string(hide_password=False), autocommit=True)

    def create_db(self, name: str, template: str | None = None) -> str:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        if template is None:
            with psycopg.connect(self.url.set(drivername="postgresql", database=name)
                                 .render_as_string(hide_password=False), autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                conn.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # migration 0026
        return self.db_url(name)

    def drop_db(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def instance_dir():
    folder = Path(tempfile.mkdtemp(prefix="landrights-test-"))
    folder.chmod(0o755)
    # the run's signing keys, also for services a test calls outside an app context
    before = os.environ.get("LANDRIGHTS_SIGNING_KEY_DIR")
    os.environ["LANDRIGHTS_SIGNING_KEY_DIR"] = str(folder / "signing")
    yield folder
    if before is None:
        os.environ.pop("LANDRIGHTS_SIGNING_KEY_DIR", None)
    else:
        os.environ["LANDRIGHTS_SIGNING_KEY_DIR"] = before
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def server(instance_dir):
    """Start a throwaway cluster with landrights.pg (or use TEST_DATABASE_URL)."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield Server(os.environ["TEST_DATABASE_URL"])
        return
    from landrights.pg import EmbeddedPostgres

    cluster = EmbeddedPostgres(instance_dir, log=lambda *_: None, fast_unsafe=True)
    cluster.start()
    yield Server(cluster.url("postgres"), cluster)
    cluster.stop(mode="immediate")


def _test_config(url: str, instance_dir: Path) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "test-secret",
            "PASSWORD_METHOD": FAST_HASH, "RATELIMIT_ENABLED": False,
            "INSTANCE_DIR": str(instance_dir), "DATABASE_URL": None}


@pytest.fixture(scope="session")
def template_url(server, instance_dir):
    """Migrate a template database and load the demo village into it, once per run."""
    from landrights.demo import load_demo
    from landrights.extensions import db

    url = server.create_db(TEMPLATE_DB)
    app = create_app(_test_config(url, instance_dir))
    engine = app.extensions["landrights.db"].engine
    migrate.upgrade(engine)
    with app.app_context():
        load_demo(db.session, hash_method=FAST_HASH)
        # the demo county's SM2 signing key (its private half in the run's instance folder), made
        # here rather than by the first document a test signs, so it is in force from the start
        from landrights.signing import keys

        keys.new_signing_key(db.session, "220421")
        db.session.execute(sa.text("UPDATE users SET password_hash = :h"),
                           {"h": generate_password_hash(PASSWORD, method=FAST_HASH)})
        db.session.commit()
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def app(server, template_url, instance_dir):
    url = server.create_db(TEST_DB, template=TEMPLATE_DB)
    application = create_app(_test_config(url, instance_dir))
    yield application
    application.extensions["landrights.db"].engine.dispose()


@pytest.fixture(scope="session")
def engine(app):
    return app.extensions["landrights.db"].engine


@pytest.fixture
def session(app, engine):
    """A session whose work is rolled back after the test; the app's requests share it."""
    conn = engine.connect()
    outer = conn.begin()
    sess = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    ext = app.extensions["landrights.db"]
    factory, ext.session_factory = ext.session_factory, (lambda: sess)
    ext.close_on_teardown = False
    yield sess  # no app context held open: each test-client request gets its own, like production
    ext.session_factory, ext.close_on_teardown = factory, True
    sess.close()
    outer.rollback()
    conn.close()


@pytest.fixture
def scratch_db(server, template_url):
    """A committed-data copy of the template database, for tests racing two connections."""
    name = f"lr_scratch_{uuid.uuid4().hex[:8]}"
    url = server.create_db(name, template=TEMPLATE_DB)
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()
    server.drop_db(name)


@pytest.fixture
def client(app, session):
    return app.test_client()


class Auth:
    """Log a test client in and out through the real login form."""

    def __init__(self, client):
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        html = self.client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)

    def login(self, username: str, password: str = PASSWORD):
        token = self.csrf()
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": token})


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def system():
    return SYSTEM


@pytest.fixture
def officer():
    return Actor(role="township_officer", user_id=None, name="officer", township_code="220421101")
