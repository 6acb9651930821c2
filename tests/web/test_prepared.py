"""A parcel lookup or a tile is one cached statement: read-only views end with COMMIT, so psycopg
keeps the statement prepared on the pooled connection (a ROLLBACK would make it forget it, and
every request would plan the statement again). Each request here has its own session and
connection checkout, as in production (not the shared test session)."""
import sqlalchemy as sa

from landrights import create_app
from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from landrights.extensions import db
from tests.conftest import _test_config


def test_lookups_stay_prepared_across_requests(scratch_db, instance_dir):
    app = create_app(_test_config(scratch_db.url.render_as_string(hide_password=False), instance_dir))
    engine = app.extensions["landrights.db"].engine
    try:
        with app.app_context():
            headers = {"Authorization": "Bearer " + accounts.issue_token(db.session, SYSTEM, "officer")}
            db.session.commit()
            code = db.session.scalar(sa.text("SELECT code FROM parcels WHERE valid_to IS NULL LIMIT 1"))
        client = app.test_client()
        for _ in range(8):  # psycopg prepares a statement at its 5th use on a connection
            assert client.get(f"/api/v1/parcels/{code}", headers=headers).status_code == 200
        with engine.connect() as conn:  # the pool's one connection, the requests' own
            prepared = conn.scalars(sa.text("SELECT statement FROM pg_prepared_statements")).all()
        assert any("FROM api_tokens" in s for s in prepared)
        assert any("FROM parcels" in s and "ST_AsGeoJSON" in s for s in prepared)
    finally:
        engine.dispose()
