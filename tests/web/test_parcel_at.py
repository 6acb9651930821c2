"""Parcel at a point: the same Feature as by code, within the viewer's area, 404 and 422."""
import pytest
import sqlalchemy as sa

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM


@pytest.fixture
def token(session):
    def make(username: str) -> dict:
        return {"Authorization": f"Bearer {accounts.issue_token(session, SYSTEM, username, 'test')}"}
    return make


def inside(session, code: str) -> tuple[float, float]:
    return session.execute(sa.text(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM parcels "
        "WHERE code = :c AND valid_to IS NULL) s"), {"c": code}).one()


def registered(session) -> str:
    return session.scalar(sa.text("SELECT code FROM parcels WHERE valid_to IS NULL AND "
                                  "status = 'registered' ORDER BY code LIMIT 1"))


def test_point_inside_a_parcel_returns_it_as_by_code(client, session, token):
    code, h = registered(session), token("officer")
    lon, lat = inside(session, code)
    at = client.get(f"/api/v1/parcels/at?lon={lon}&lat={lat}", headers=h)
    assert at.status_code == 200
    assert at.get_json() == client.get(f"/api/v1/parcels/{code}", headers=h).get_json()
    assert at.get_json()["properties"]["holder"]


def test_the_live_version_is_returned_after_a_change(client, session, token):
    code = session.scalar(sa.text("SELECT code FROM parcels WHERE valid_to IS NULL AND "
                                  "status = 'surveyed' ORDER BY code LIMIT 1"))
    lon, lat = inside(session, code)
    session.execute(sa.text("UPDATE parcels SET name = '改名后' WHERE code = :c AND valid_to IS NULL"),
                    {"c": code})
    body = client.get(f"/api/v1/parcels/at?lon={lon}&lat={lat}", headers=token("officer")).get_json()
    assert body["id"] == code and body["properties"]["name"] == "改名后"


def test_no_parcel_there_is_404(client, token):
    res = client.get("/api/v1/parcels/at?lon=100.0&lat=30.0", headers=token("officer"))
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "not_found"


def test_a_parcel_outside_the_farmers_own_is_not_revealed(client, session, token):
    own = session.scalars(sa.text(
        "SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c ON c.id = cp.contract_id "
        "JOIN users u ON u.household_code = c.household_code WHERE u.username = 'farmer' "
        "AND c.valid_to IS NULL")).all()
    other = session.scalar(sa.text("SELECT code FROM parcels WHERE valid_to IS NULL AND "
                                   "NOT code = ANY(:own) ORDER BY code LIMIT 1"), {"own": list(own)})
    lon, lat = inside(session, other)
    assert client.get(f"/api/v1/parcels/at?lon={lon}&lat={lat}",
                      headers=token("farmer")).status_code == 404
    lon, lat = inside(session, own[0])
    assert client.get(f"/api/v1/parcels/at?lon={lon}&lat={lat}",
                      headers=token("farmer")).get_json()["id"] == own[0]


def test_anonymous_is_401(client, session):
    lon, lat = inside(session, registered(session))
    assert client.get(f"/api/v1/parcels/at?lon={lon}&lat={lat}").status_code == 401


@pytest.mark.parametrize("query, field", [
    ("lon=abc&lat=42.9", "lon"), ("lon=125.3", "lat"), ("lon=181&lat=42.9", "lon"),
    ("lon=125.3&lat=-91", "lat"), ("lon=nan&lat=42.9", "lon")])
def test_bad_coordinates_are_422_naming_the_field(client, token, query, field):
    res = client.get(f"/api/v1/parcels/at?{query}", headers={**token("officer"), "Accept-Language": "zh"})
    error = res.get_json()["error"]
    assert res.status_code == 422 and error["field"] == field


def test_openapi_documents_the_point_lookup(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"] for p in spec["paths"]["/api/v1/parcels/at"]["get"]["parameters"]}
    assert {"lon", "lat"} <= params


def test_point_lookup_uses_the_gist_index(session):
    session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(session.scalars(sa.text(
        "EXPLAIN SELECT code FROM parcels WHERE valid_to IS NULL AND "
        "ST_Intersects(geom, ST_SetSRID(ST_MakePoint(125.3, 42.9), 4490))")).all())
    assert "idx_parcels_geom" in plan
