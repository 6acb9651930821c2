"""Bad input gets an error naming the field and the rule, in the user's language, and the
database stays as it was."""
import pytest
import sqlalchemy as sa

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from landrights.registry.rules import id_check_char

COLLECTIVE = "22042110120101"


@pytest.fixture
def officer_h(session):
    return {"Authorization": "Bearer " + accounts.issue_token(session, SYSTEM, "officer")}


def count(session, table: str) -> int:
    return session.scalar(sa.text(f"SELECT count(*) FROM {table}"))


def person(**overrides) -> dict:
    body17 = "22042119850315123"
    return {"county_code": "220421", "name": "测试人", "sex": 1, "id_type": 1,
            "id_number": body17 + id_check_char(body17)} | overrides


def feature(code: str, coords, srid: int = 4490) -> dict:
    return {"type": "Feature", "srid": srid, "properties": {"code": code, "name": "试验地"},
            "geometry": {"type": "Polygon", "coordinates": [coords]}}


FREE = [[125.3, 42.6], [125.301, 42.6], [125.301, 42.601], [125.3, 42.601], [125.3, 42.6]]


@pytest.mark.parametrize("overrides, field, rule", [
    ({"id_number": "220421198503151230"}, "id_number", "R4.26"),  # wrong check character
    ({"id_number": "22042119851315123X"}, "id_number", "R4.26"),  # month 13
    ({"id_number": "2204211985"}, "id_number", "R4.26"),
    ({"sex": 2}, "sex", "R4.26"),  # 17th digit 3 is odd: male
])
def test_bad_person_is_refused_and_nothing_written(client, session, officer_h, overrides, field,
                                                   rule):
    before = count(session, "persons")
    response = client.post("/api/v1/persons", json=person(**overrides), headers=officer_h)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["field"], error["rule"]) == (field, rule)
    assert count(session, "persons") == before


def test_good_person_is_created(client, session, officer_h):
    before = count(session, "persons")
    response = client.post("/api/v1/persons", json=person(), headers=officer_h)
    assert response.status_code == 201
    assert count(session, "persons") == before + 1


def test_error_message_is_in_chinese_by_default_and_english_on_request(client, officer_h):
    bad = person(id_number="220421198503151230")
    zh = client.post("/api/v1/persons", json=bad, headers=officer_h).get_json()["error"]
    en = client.post("/api/v1/persons?lang=en", json=bad, headers=officer_h).get_json()["error"]
    assert "校验码" in zh["message"]
    assert "check character" in en["message"]


@pytest.mark.parametrize("body, status, field", [
    (feature("220421101201019990", FREE), 422, "code"),  # 18 digits
    (feature("2204211012019900001", FREE), 422, "collective_code"),  # unknown collective
    (feature(COLLECTIVE + "99901", FREE, srid=4326), 422, "geometry"),  # wrong SRID
    (feature(COLLECTIVE + "99901", [[547113.7, 5063475.2], [547213.7, 5063475.2],
                                    [547213.7, 5063575.2], [547113.7, 5063475.2]]), 422,
     "geometry"),  # Gauss-Krüger metres instead of degrees
    (feature(COLLECTIVE + "99901", [[125.3, 42.6], [125.301, 42.601], [125.301, 42.6],
                                    [125.3, 42.601], [125.3, 42.6]]), 422, "geometry"),  # bow-tie
    ({"type": "Feature", "properties": {"code": COLLECTIVE + "99901"},
      "geometry": {"type": "Polygon", "coordinates": "nonsense"}}, 422, "geometry"),
])
def test_bad_parcel_is_refused_and_nothing_written(client, session, officer_h, body, status,
                                                   field):
    before = count(session, "parcels")
    response = client.post("/api/v1/parcels", json=body, headers=officer_h)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["field"] == field
    assert count(session, "parcels") == before


def test_self_intersection_is_reported_with_its_location(client, officer_h):
    bowtie = feature(COLLECTIVE + "99901", [[125.3, 42.6], [125.301, 42.601], [125.301, 42.6],
                                            [125.3, 42.601], [125.3, 42.6]])
    message = client.post("/api/v1/parcels?lang=en", json=bowtie,
                          headers=officer_h).get_json()["error"]["message"]
    assert "Self-intersection" in message and "125.3005" in message


def test_overlapping_parcel_gets_409_naming_both_codes(client, session, officer_h):
    existing = session.execute(sa.text(
        "SELECT code, ST_AsGeoJSON(ST_GeometryN(geom, 1))::json AS g FROM parcels "
        "WHERE valid_to IS NULL AND code LIKE :c ORDER BY code LIMIT 1"),
        {"c": COLLECTIVE + "%"}).one()
    body = {"type": "Feature", "properties": {"code": COLLECTIVE + "99901"},
            "geometry": existing.g}
    before = count(session, "parcels")
    response = client.post("/api/v1/parcels", json=body, headers=officer_h)
    assert response.status_code == 409
    message = response.get_json()["error"]["message"]
    assert existing.code in message and COLLECTIVE + "99901" in message
    assert count(session, "parcels") == before


def test_good_parcel_is_created_with_its_area(client, session, officer_h):
    response = client.post("/api/v1/parcels", json=feature(COLLECTIVE + "99901", FREE),
                           headers=officer_h)
    assert response.status_code == 201
    assert 9000 < response.get_json()["properties"]["area_m2"] < 9300


def test_forged_cookie_post_without_csrf_token_is_refused(client, session, auth):
    auth.login("officer")
    before = count(session, "persons")
    response = client.post("/api/v1/persons", json=person())
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "csrf_token"
    assert count(session, "persons") == before


def test_forged_login_form_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "officer", "password": "x"})
    assert response.status_code == 400


def test_missing_field_names_the_field(client, officer_h):
    body = person()
    del body["name"]
    error = client.post("/api/v1/persons", json=body, headers=officer_h).get_json()["error"]
    assert error["field"] == "name" and error["message"] == "此项必填。"
