"""OGC API – Features through the test client: landing page, conformance, collections, items with
bbox and paging, single items, content types, no personal data, access as for the map."""
import pytest
import sqlalchemy as sa

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from tests.factories import make_listing

GEO = "application/geo+json"


@pytest.fixture
def token(session):
    def make(username: str) -> dict:
        return {"Authorization": f"Bearer {accounts.issue_token(session, SYSTEM, username, 'test')}"}
    return make


def live_count(session, prefix: str) -> int:
    return session.scalar(sa.text("SELECT count(*) FROM parcels WHERE valid_to IS NULL AND "
                                  "code LIKE :p || '%'"), {"p": prefix})


def test_landing_page_links_and_conformance(client):
    body = client.get("/ogc").get_json()
    rels = {link["rel"]: link for link in body["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    conf = client.get("/ogc/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf
    api = client.get("/ogc/api")
    assert api.mimetype == "application/vnd.oai.openapi+json"
    assert "/collections/{collectionId}/items/{featureId}" in api.get_json()["paths"]


def test_collections_need_an_account(client):
    assert client.get("/ogc/collections").status_code == 401
    assert client.get("/ogc/collections/parcels/items").status_code == 401


def test_collections_list_the_three_with_extent_in_crs84(client, token):
    body = client.get("/ogc/collections", headers=token("officer")).get_json()
    found = {c["id"]: c for c in body["collections"]}
    assert set(found) == {"parcels", "homesteads", "listings"}
    x0, y0, x1, y1 = found["parcels"]["extent"]["spatial"]["bbox"][0]
    assert 124 < x0 < x1 < 127 and 42 < y0 < y1 < 44  # lon first: Liaoyuan, not swapped
    assert found["parcels"]["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]


def test_the_temporal_extent_runs_from_the_first_version_and_stays_open(client, session, token):
    from datetime import datetime

    found = {c["id"]: c for c in client.get("/ogc/collections", headers=token("officer")).get_json()
             ["collections"]}
    start, end = found["parcels"]["extent"]["temporal"]["interval"][0]
    first = session.scalar(sa.text("SELECT min(valid_from) FROM parcels WHERE code LIKE '220421101%'"))
    assert datetime.fromisoformat(start) == first and end is None  # live parcels: not ended
    assert found["parcels"]["extent"]["temporal"]["trs"].endswith("ISO-8601/0/Gregorian")
    listing = make_listing(session)
    start, end = client.get("/ogc/collections/listings", headers=token("officer")).get_json()[
        "extent"]["temporal"]["interval"][0]
    assert datetime.fromisoformat(start) <= listing.opens_at
    assert datetime.fromisoformat(end) >= listing.closes_at  # an open listing's window ends


def test_items_page_with_next_and_prev_links_and_counts(client, session, token):
    h = token("officer")
    first = client.get("/ogc/collections/parcels/items?limit=50", headers=h)
    assert first.status_code == 200 and first.mimetype == GEO
    body = first.get_json()
    assert body["numberMatched"] == live_count(session, "220421101")
    assert body["numberReturned"] == len(body["features"]) == 50
    ids = [f["id"] for f in body["features"]]
    assert ids == sorted(ids)
    nxt = next(link["href"] for link in body["links"] if link["rel"] == "next")
    # the next page by a cursor: the last feature's id
    assert f"after={ids[-1]}" in nxt and "offset" not in nxt
    assert not any(link["rel"] == "prev" for link in body["links"])
    second = client.get(nxt.replace("http://localhost", ""), headers=h).get_json()
    assert min(f["id"] for f in second["features"]) > ids[-1] and len(second["features"]) == 50
    assert "numberMatched" not in second  # counted where a client starts, not on every page
    # the same page by offset has the same features, a count and a prev link
    by_offset = client.get("/ogc/collections/parcels/items?limit=50&offset=50", headers=h).get_json()
    assert [f["id"] for f in by_offset["features"]] == [f["id"] for f in second["features"]]
    assert by_offset["numberMatched"] == body["numberMatched"]
    assert any(link["rel"] == "prev" and "offset=0" in link["href"] for link in by_offset["links"])


def test_the_cursor_pages_read_every_feature_once(client, session, token):
    h, seen, path = token("officer"), [], "/ogc/collections/parcels/items?limit=17"
    while path:
        body = client.get(path, headers=h).get_json()
        seen += [f["id"] for f in body["features"]]
        path = next((link["href"].replace("http://localhost", "") for link in body["links"]
                     if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == live_count(session, "220421101")


def test_a_listing_of_two_parcels_is_one_feature_on_one_page(client, session, token):
    listing = make_listing(session)
    assert len(listing.parcels) == 2
    body = client.get("/ogc/collections/listings/items?limit=1", headers=token("officer")).get_json()
    assert body["numberReturned"] == body["numberMatched"] == 1
    assert sorted(body["features"][0]["properties"]["parcel_codes"]) == sorted(
        p.parcel_code for p in listing.parcels)
    assert not any(link["rel"] == "next" for link in body["links"])  # its two rows are one id


def test_last_page_has_no_next_link(client, session, token):
    n = live_count(session, "220421101")
    body = client.get(f"/ogc/collections/parcels/items?limit=100&offset={n - 3}",
                      headers=token("officer")).get_json()
    assert body["numberReturned"] == 3 and not any(link["rel"] == "next" for link in body["links"])


def test_limit_above_the_maximum_is_lowered(client, token):
    body = client.get("/ogc/collections/parcels/items?limit=5000", headers=token("officer")).get_json()
    self_link = next(link["href"] for link in body["links"] if link["rel"] == "self")
    assert "limit=1000" in self_link


def test_bbox_limits_the_items_and_lon_comes_first(client, session, token):
    code, x0, y0, x1, y1 = session.execute(sa.text(
        "SELECT code, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM parcels "
        "WHERE valid_to IS NULL ORDER BY code LIMIT 1")).one()
    body = client.get(f"/ogc/collections/parcels/items?bbox={x0},{y0},{x1},{y1}",
                      headers=token("officer")).get_json()
    assert code in {f["properties"]["code"] for f in body["features"]}
    assert 0 < body["numberMatched"] < 20
    lon, lat = body["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 124 < lon < 127 and 42 < lat < 44


def test_items_carry_no_personal_data(client, session, token):
    body = client.get("/ogc/collections/parcels/items?limit=1000", headers=token("county"))
    text = body.get_data(as_text=True)
    props = body.get_json()["features"][0]["properties"]
    assert not {"holder", "east", "west", "south", "north", "pointer_name"} & set(props)
    names = session.scalars(sa.text("SELECT name FROM households UNION SELECT id_number FROM persons "
                                    "UNION SELECT name FROM persons")).all()
    assert [n for n in names if n and n in text] == []


def test_single_item_by_id_and_404(client, session, token):
    h = token("officer")
    pid, code = session.execute(sa.text("SELECT id, code FROM parcels WHERE valid_to IS NULL "
                                        "ORDER BY id LIMIT 1")).one()
    res = client.get(f"/ogc/collections/parcels/items/{pid}", headers=h)
    assert res.status_code == 200 and res.mimetype == GEO
    assert res.get_json()["id"] == pid and res.get_json()["properties"]["code"] == code
    assert client.get("/ogc/collections/parcels/items/999999999", headers=h).status_code == 404
    assert client.get("/ogc/collections/owners/items", headers=h).get_json()["error"]["field"] == \
        "collectionId"


def test_farmer_reads_only_own_parcels(client, session, token):
    body = client.get("/ogc/collections/parcels/items", headers=token("farmer")).get_json()
    own = set(session.scalars(sa.text(
        "SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c ON c.id = cp.contract_id "
        "JOIN users u ON u.household_code = c.household_code WHERE u.username = 'farmer' "
        "AND c.valid_to IS NULL")).all())
    assert {f["properties"]["code"] for f in body["features"]} == own


def test_homesteads_and_open_listings(client, session, token):
    h = token("officer")
    homesteads = client.get("/ogc/collections/homesteads/items", headers=h).get_json()
    assert homesteads["numberMatched"] == session.scalar(sa.text(
        "SELECT count(*) FROM homesteads WHERE valid_to IS NULL"))
    listing = make_listing(session)
    body = client.get("/ogc/collections/listings/items", headers=h).get_json()
    mine = [f for f in body["features"] if f["id"] == listing.id]
    assert mine and mine[0]["geometry"]["type"] == "MultiPolygon"
    props = mine[0]["properties"]
    assert props["price"] == 500.0 and props["term_end"] == "2028-12-31"
    assert sorted(props["parcel_codes"]) == sorted(p.parcel_code for p in listing.parcels)


@pytest.mark.parametrize("query, field", [("bbox=1,2,3", "bbox"), ("bbox=5,5,1,1", "bbox"),
                                          ("limit=0", "limit"), ("limit=x", "limit"),
                                          ("offset=-1", "offset"), ("limit=10&offset=x", "offset"),
                                          ("after=x", "after"), ("after=-1", "after")])
def test_bad_parameters_are_400_naming_the_field(client, token, query, field):
    res = client.get(f"/ogc/collections/parcels/items?{query}", headers=token("officer"))
    assert res.status_code == 400 and res.get_json()["error"]["field"] == field


def test_datetime_reads_the_registry_as_it_stood_then(client, session, token):
    from landrights.registry import services

    h = token("officer")
    code = session.scalar(sa.text("SELECT code FROM parcels WHERE valid_to IS NULL "
                                  "AND code LIKE '220421101%' ORDER BY code LIMIT 1"))
    services.revise_parcel(session, SYSTEM, code=code, reason="更正地块名称", name="新名称")
    old, new = session.execute(sa.text(
        "SELECT id, valid_from, valid_to, name FROM parcels WHERE code = :c ORDER BY version"),
        {"c": code}).all()[-2:]
    middle = (old.valid_from + (old.valid_to - old.valid_from) / 2).isoformat()

    def found(query: str) -> dict:
        body = client.get("/ogc/collections/parcels/items?limit=1000&" + query, headers=h).get_json()
        return {f["id"]: f["properties"] for f in body["features"]}, body["numberMatched"]

    now, matched_now = found("")
    assert new.id in now and old.id not in now and now[new.id]["name"] == "新名称"
    then, matched_then = found("datetime=" + middle.replace("+", "%2B"))
    assert old.id in then and new.id not in then and then[old.id]["name"] == old.name
    assert matched_then == matched_now  # the same parcels, one in its earlier version
    until, _ = found("datetime=../" + middle.replace("+", "%2B"))
    assert old.id in until and new.id not in until
    since, _ = found("datetime=" + middle.replace("+", "%2B") + "/..")
    assert {old.id, new.id} <= set(since)
    before = session.scalar(sa.text("SELECT min(valid_from)::date - 2 FROM parcels"))
    assert found(f"datetime={before.isoformat()}") == ({}, 0)
    nxt = client.get(f"/ogc/collections/parcels/items?limit=1&datetime={middle.replace('+', '%2B')}",
                     headers=h).get_json()["links"]
    assert any(link["rel"] == "next" and "datetime=" in link["href"] for link in nxt)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-06-30T12:00:00", "../..",
                                   "2026-02-01/2026-01-01", "2026-01-01/2026-02-01/2026-03-01", ""])
def test_a_bad_datetime_is_400_naming_the_field(client, token, value):
    res = client.get(f"/ogc/collections/parcels/items?datetime={value}", headers=token("officer"))
    assert res.status_code == 400 and res.get_json()["error"]["field"] == "datetime"


def test_datetime_values():
    from datetime import UTC, datetime, timedelta

    from landrights.maps.features import CHINA, Period, parse_datetime

    z = datetime(2026, 6, 30, 4, 0, tzinfo=UTC)
    assert parse_datetime("2026-06-30T04:00:00Z") == Period(z, z)
    assert parse_datetime("2026-06-30T12:00:00+08:00") == Period(z, z)
    day = datetime(2026, 6, 30, tzinfo=CHINA)
    assert parse_datetime("2026-06-30") == Period(day, day + timedelta(days=1))
    assert parse_datetime("2026-06-30/..") == Period(day, None)
    assert parse_datetime("../2026-06-30") == Period(None, day + timedelta(days=1))
    assert parse_datetime("/2026-06-30T04:00:00Z") == Period(None, z)
