"""JSON API: OpenAPI document, GeoJSON parcels with areas, paging, errors, bad input."""
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM

BBOX_ALL = "125.0,42.0,126.0,43.0"


@pytest.fixture
def token(session):
    def make(username: str) -> dict:
        value = accounts.issue_token(session, SYSTEM, username, "test")
        return {"Authorization": f"Bearer {value}"}
    return make


@pytest.fixture
def officer_h(token):
    return token("officer")


def a_parcel(session) -> str:
    return session.scalar(sa.text("SELECT code FROM parcels WHERE valid_to IS NULL ORDER BY code "
                                  "LIMIT 1"))


def test_openapi_document_is_valid_openapi_3(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/parcels", "/api/v1/parcels/{code}", "/api/v1/households",
                 "/api/v1/persons", "/api/v1/contracts"):
        assert path in spec["paths"]


def test_parcel_by_code_has_geometry_and_areas(client, session, officer_h):
    code = a_parcel(session)
    body = client.get(f"/api/v1/parcels/{code}", headers=officer_h).get_json()
    assert body["type"] == "Feature" and body["id"] == code
    assert body["geometry"]["type"] == "MultiPolygon"
    props = body["properties"]
    stored = session.scalar(sa.text("SELECT area_m2 FROM parcels WHERE code = :c AND "
                                    "valid_to IS NULL"), {"c": code})
    assert props["area_m2"] == pytest.approx(stored, abs=0.01)
    assert Decimal(str(props["area_mu"])) == (Decimal(str(stored)) * 15 / 10000).quantize(
        Decimal("0.01"))
    assert props["holder"] and props["contract_code"].endswith("J")


def test_parcel_list_is_limited_to_the_bbox(client, session, officer_h):
    code = a_parcel(session)
    x0, y0, x1, y1 = session.execute(sa.text(
        "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM parcels "
        "WHERE code = :c AND valid_to IS NULL"), {"c": code}).one()
    small = f"{x0},{y0},{x1},{y1}"
    body = client.get(f"/api/v1/parcels?bbox={small}", headers=officer_h).get_json()
    everything = client.get(f"/api/v1/parcels?bbox={BBOX_ALL}&limit=1",
                            headers=officer_h).get_json()
    assert code in [f["id"] for f in body["features"]]
    assert 0 < body["numberMatched"] < everything["numberMatched"]
    assert everything["numberReturned"] == 1


def test_parcel_list_pages(client, officer_h):
    first = client.get("/api/v1/parcels?limit=5", headers=officer_h).get_json()
    second = client.get("/api/v1/parcels?limit=5&offset=5", headers=officer_h).get_json()
    assert len(first["features"]) == len(second["features"]) == 5
    assert not {f["id"] for f in first["features"]} & {f["id"] for f in second["features"]}
    assert first["numberMatched"] >= 200


def test_filters_by_collective_and_status(client, officer_h):
    body = client.get("/api/v1/parcels?collective=22042110120102&status=registered&limit=2000",
                      headers=officer_h).get_json()
    assert body["features"]
    assert all(f["id"].startswith("22042110120102") for f in body["features"])


def test_errors_are_json_with_code_message_field(client, officer_h):
    body = client.get("/api/v1/parcels?bbox=1,2,3", headers=officer_h)
    assert body.status_code == 422
    assert body.get_json() == {"error": {"code": "validation_failed", "field": "bbox", "in": "query",
                                         "message": body.get_json()["error"]["message"]}}
    missing = client.get("/api/v1/parcels/2204211012010199999", headers=officer_h)
    assert missing.status_code == 404 and missing.get_json()["error"]["field"] == "code"


def test_anonymous_gets_401(client, session):
    response = client.get(f"/api/v1/parcels/{a_parcel(session)}")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"


def test_invalid_token_is_anonymous(client):
    assert client.get("/api/v1/parcels", headers={"Authorization": "Bearer lr_forged"}) \
        .status_code == 401


def test_contract_and_household_by_code(client, session, officer_h):
    household = session.scalar(sa.text("SELECT code FROM households ORDER BY code LIMIT 1"))
    body = client.get(f"/api/v1/households/{household}", headers=officer_h).get_json()
    assert body["members"] and body["contract"]["code"] == household + "J"
    contract = client.get(f"/api/v1/contracts/{household}J", headers=officer_h).get_json()
    assert contract["parcel_count"] == len(contract["parcels"]) > 0
    assert contract["total_confirmed_area_m2"] == pytest.approx(
        sum(p["confirmed_area_m2"] for p in contract["parcels"]))


def test_farmer_sees_only_own_household_members_unmasked(client, session, token):
    body = client.get("/api/v1/persons?limit=2000", headers=token("farmer")).get_json()
    own = session.scalar(sa.text("SELECT household_code FROM users WHERE username = 'farmer'"))
    assert body["items"] and all(p["household_code"] == own for p in body["items"])
    assert all("*" not in p["id_number"] for p in body["items"])
    officer_view = client.get("/api/v1/persons?limit=1", headers=token("officer")).get_json()
    assert "*" not in officer_view["items"][0]["id_number"]


def test_collective_clerk_sees_id_numbers_masked(client, token):
    body = client.get("/api/v1/persons?limit=2000", headers=token("clerk")).get_json()
    assert body["items"]
    assert all(p["household_code"].startswith("22042110120101") for p in body["items"])
    assert all(p["id_number"][6:14] == "********" for p in body["items"])


def test_transferee_sees_no_persons(client, token):
    body = client.get("/api/v1/persons", headers=token("transferee")).get_json()
    assert body == {"items": [], "total": 0}


@pytest.mark.parametrize("query", ["", "status=registered", "status=surveyed", "collective=22042110120102",
                                   "collective=22042110120102&status=surveyed", "collective=22042110129999"])
def test_the_list_counts_exactly_what_it_pages_through(client, session, officer_h, query):
    from tests.factories import COLLECTIVE, FAR, insert_parcel, square

    insert_parcel(session, COLLECTIVE + "99905", square(*FAR))  # counted at once
    body = client.get(f"/api/v1/parcels?limit=2000&{query}", headers=officer_h).get_json()
    assert body["numberMatched"] == len(body["features"]) and body["numberReturned"] <= 2000
