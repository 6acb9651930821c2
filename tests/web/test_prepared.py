"""A parcel lookup or a tile is one cached statement: read-only views end with COMMIT, so psycopg
keeps the statement prepared on the pooled connection (a ROLLBACK would make it forget it, and
every request would plan the statement again). Each request here has its own session and
connection checkout, as in production (not the shared test session)."""
import pytest
import sqlalchemy as sa

from landrights import create_app
from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from landrights.extensions import db
from tests.conftest import _test_config


@pytest.fixture
def own_app(scratch_db, instance_dir):
    """An app of its own on the scratch database, with an officer's bearer token; yields (app,
    engine, headers); the pool's one connection is the requests' own."""
    app = create_app(_test_config(scratch_db.url.render_as_string(hide_password=False), instance_dir))
    engine = app.extensions["landrights.db"].engine
    try:
        with app.app_context():
            headers = {"Authorization": "Bearer " + accounts.issue_token(db.session, SYSTEM, "officer")}
            db.session.commit()
        yield app, engine, headers
    finally:
        engine.dispose()


def test_lookups_stay_prepared_across_requests(own_app):
    app, engine, headers = own_app
    with app.app_context():
        code = db.session.scalar(sa.text("SELECT code FROM parcels WHERE valid_to IS NULL LIMIT 1"))
    client = app.test_client()
    for _ in range(8):  # psycopg prepares a statement at its 5th use on a connection
        assert client.get(f"/api/v1/parcels/{code}", headers=headers).status_code == 200
    with engine.connect() as conn:
        prepared = conn.scalars(sa.text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("FROM api_tokens" in s for s in prepared)
    assert any("FROM parcels" in s and "ST_AsGeoJSON" in s for s in prepared)


def test_the_point_lookup_runs_one_generic_plan(own_app):
    # without plan_cache_mode=force_generic_plan PostgreSQL planned the statement for every
    # point (custom plans, 0.8 ms a lookup at 100,000 parcels)
    app, engine, headers = own_app
    with app.app_context():
        points = db.session.execute(sa.text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM parcels "
            "WHERE valid_to IS NULL ORDER BY code LIMIT 10) s")).all()
    client = app.test_client()
    for lon, lat in points:
        assert client.get(f"/api/v1/parcels/at?lon={lon}&lat={lat}", headers=headers).status_code == 200
    with engine.connect() as conn:
        plans = conn.execute(sa.text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE '%ST_Intersects%' AND statement LIKE '%FROM parcels%'")).all()
    assert len(plans) == 1
    generic, custom = plans[0]
    assert generic >= 5 and custom == 0
