"""The answers schemathesis found wrong (issue 17, section 4), each pinned: numbers beyond a BIGINT in a
path or query, undeclared methods, malformed bodies, requests without an account, an empty bbox, a
whole number written 142.0; and the OpenAPI document stating what each operation takes and gives."""
from __future__ import annotations

import pytest

from landrights.registry.rules import id_check_char
from tests.security.world import token

HUGE = "1746655920248479894462267392"  # beyond 2^63 - 1


@pytest.fixture
def officer(session):
    return token(session, "officer")


@pytest.fixture
def spec(app):
    with app.test_request_context():
        return app._get_spec("json", force_update=True)


@pytest.mark.parametrize("path", [f"/api/v1/notices/{HUGE}", f"/api/v1/surveys/{HUGE}",
                                  f"/api/v1/listings/{HUGE}", "/api/v1/listings/9223372036854775808/bids",
                                  f"/api/v1/withdrawals/{HUGE}"])
def test_a_number_beyond_any_row_in_a_path_is_404(client, officer, path):
    """It reached the database as a numeric overflow (500); on a path with a GET and a POST the
    converter's refusal let the other method's rule answer 405."""
    response = client.get(path, headers=officer)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", [f"/api/v1/contracts?offset={HUGE}&collective=02057390621361&limit=1339",
                                   f"/api/v1/persons?offset={HUGE}&household=490028723412535547&limit=576",
                                   f"/api/v1/households?offset={HUGE}"])
def test_an_offset_beyond_the_bound_is_refused_naming_it(client, officer, query):
    response = client.get(query, headers=officer)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["field"], error["in"]) == ("offset", "query")
    assert "10000000" in error["message"]


def test_an_undeclared_method_is_405_with_allow_and_the_json_error(client, officer):
    response = client.open("/api/v1/parcels", method="TRACE", headers=officer)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_a_malformed_body_is_400_bad_request(client, officer):
    response = client.post("/api/v1/persons", data="\x00", content_type="application/json", headers=officer)
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "bad_request", "field": None,
                                            "message": response.get_json()["error"]["message"]}


def test_without_an_account_the_answer_is_401_whatever_the_input(client):
    """A request without an account met the input's validation first (422 for a bad bbox): the
    answer told the public about the input before asking who it was."""
    for path in ("/api/v1/parcels?bbox=0,0,0,0", "/api/v1/parcels/at?lon=999&lat=0",
                 "/api/v1/quality-rules"):
        assert client.get(path).status_code == 401, path
    assert client.post("/api/v1/notices", json={"days": "many"}).status_code == 401


def test_the_map_refuses_an_empty_bbox(client):
    """An empty bbox reached PostGIS as ST_MakeEnvelope(*None) (500)."""
    response = client.get("/api/v1/listings/parcels?bbox=&listing=0&limit=500")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "bbox"


def test_a_whole_number_may_be_written_with_a_point_zero(client, officer):
    """JSON Schema's integer takes 30.0; the API refused it as not a whole number."""
    response = client.post("/api/v1/notices", headers=officer,
                           json={"collective_code": "22042110120103", "days": 30.0})
    assert response.status_code == 201, response.get_json()
    refused = client.post("/api/v1/notices", headers=officer,
                          json={"collective_code": "22042110120101", "days": 30.5})
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "days"


def test_a_rule_refusal_carries_no_in_and_a_shape_refusal_does(client, officer):
    """"in" tells the document's refusals (shape, range) from the registry's rules, which need its state."""
    shape = client.post("/api/v1/persons", headers=officer, json={"county_code": "22", "name": "x", "sex": 1,
                                                                  "id_type": 1, "id_number": "1"})
    assert shape.status_code == 422 and shape.get_json()["error"]["in"] == "body"
    first17 = "22042119900101123"
    wrong = first17 + ("0" if id_check_char(first17) != "0" else "1")  # GB 11643: a bad check character
    rule = client.post("/api/v1/persons", headers=officer, json={
        "county_code": "220421", "name": "x", "sex": 1, "id_type": 1, "id_number": wrong})
    assert rule.status_code == 422 and "in" not in rule.get_json()["error"]


def test_the_document_bounds_every_path_number_and_names_the_error_body(spec):
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"]["type"] == "integer":
                    assert parameter["schema"]["maximum"] == 2**63 - 1, (method, path)
            for status, response in operation["responses"].items():
                if status >= "400":
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"}, (method, path, status)


def test_the_document_says_which_operations_need_an_account(spec):
    public = {(m, p) for p, ops in spec["paths"].items() for m, o in ops.items() if o["security"] == []}
    assert public == {("get", "/api/v1/listings"), ("get", "/api/v1/listings/{listing_id}"),
                      ("get", "/api/v1/listings/parcels"), ("get", "/api/v1/verify/{code}"),
                      ("get", "/api/v1/verify/statements/{code}")}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert ("401" in operation["responses"]) == (operation["security"] != []), (method, path)


def test_the_document_states_bounds_and_required_bodies(spec):
    schemas = spec["components"]["schemas"]
    price = schemas["BidIn"]["properties"]["price"]
    assert (price["minimum"], price["maximum"]) == (0.01, 100000)  # 0.001 would round to nothing
    assert schemas["NoticeIn"]["properties"]["days"]["maximum"] == 365
    assert schemas["LapseIn"]["properties"]["reason"]["pattern"]  # not only spaces
    assert spec["paths"]["/api/v1/listings"]["post"]["requestBody"]["required"] is True
    assert "required" not in spec["paths"]["/api/v1/households/{code}/sign-off"]["post"]["requestBody"]
    assert {"400", "413"} <= set(spec["paths"]["/api/v1/listings"]["post"]["responses"])
    offset = next(p for p in spec["paths"]["/api/v1/contracts"]["get"]["parameters"] if p["name"] == "offset")
    assert offset["schema"]["maximum"] == 10_000_000


def test_a_nul_character_is_refused_not_sent_to_the_database(client, officer):
    """PostgreSQL text cannot hold U+0000: the 300 s fuzz found POST /settlements answering 500."""
    body = {"id_number": "x\x00y", "settled_on": "1999-01-01", "city": "长春市", "document": "户口迁移证"}
    response = client.post("/api/v1/settlements", headers=officer, json=body)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "id_number" and "in" not in response.get_json()["error"]
    assert client.get("/api/v1/households/2204211012010100%00", headers=officer).status_code == 422
    assert client.get("/api/v1/persons?household=%00", headers=officer).status_code == 422


def test_an_amount_is_checked_as_sent_before_it_is_rounded(client, officer):
    """150000.00000000003 mu passed the filter's maximum of 150000 once rounded to cents."""
    for query in ("min_area_mu=150000.00000000003", "max_price=100000.004", "min_area_mu=-0.001"):
        response = client.get(f"/api/v1/listings?{query}")
        assert response.status_code == 422, query
        assert response.get_json()["error"]["in"] == "query"
    assert client.get("/api/v1/listings?min_area_mu=150000&max_price=0.001").status_code == 200
    for price in (100000.004, 0.005, "0.004"):  # above the maximum; below the least amount, 0.01
        response = client.post("/api/v1/listings/1/bids", headers=officer, json={"price": price})
        assert response.status_code == 422 and response.get_json()["error"]["field"] == "price", price
