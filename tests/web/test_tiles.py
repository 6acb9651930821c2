"""Vector tiles: decoded with mapbox-vector-tile — features, attributes, no personal data, zoom
limits, ETag/304 and a change showing at once, the listings layer, and the GiST index in use."""
from datetime import timedelta

import mapbox_vector_tile
import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from tests.factories import make_listing, parcel_tile, tile_of

PARCEL_KEYS = {"code", "name", "status", "area_mu"}


@pytest.fixture
def token(session):
    def make(username: str) -> dict:
        return {"Authorization": f"Bearer {accounts.issue_token(session, SYSTEM, username, 'test')}"}
    return make


def a_code(session, status: str = "registered") -> str:
    return session.scalar(sa.text("SELECT code FROM parcels WHERE valid_to IS NULL AND status = :s "
                                  "ORDER BY code LIMIT 1"), {"s": status})


def features(body: bytes, layer: str = "parcels") -> list[dict]:
    return mapbox_vector_tile.decode(body).get(layer, {}).get("features", [])


def test_parcel_tile_has_the_parcel_with_code_status_and_area(client, session, token):
    code = a_code(session)
    res = client.get(f"/tiles/parcels/{parcel_tile(session, code, 16)}.mvt", headers=token("officer"))
    assert res.status_code == 200 and res.mimetype == "application/vnd.mapbox-vector-tile"
    found = {f["properties"]["code"]: f for f in features(res.data)}
    assert code in found
    props = found[code]["properties"]
    assert set(props) == PARCEL_KEYS
    area = session.scalar(sa.text("SELECT area_m2 FROM parcels WHERE code = :c AND valid_to IS NULL"),
                          {"c": code})
    assert props["status"] == "registered"
    assert props["area_mu"] == pytest.approx(round(area * 15 / 10000, 2))
    assert found[code]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_tiles_carry_no_personal_data(client, session, token):
    code = a_code(session)
    body = client.get(f"/tiles/parcels/{parcel_tile(session, code, 14)}.mvt",
                      headers=token("officer")).data
    assert len(features(body)) >= 50
    secrets = session.scalars(sa.text(
        "SELECT name FROM households UNION SELECT name FROM persons UNION SELECT id_number FROM persons "
        "UNION SELECT phone FROM persons WHERE phone IS NOT NULL "
        "UNION SELECT pointer_name FROM parcels WHERE pointer_name IS NOT NULL")).all()
    leaked = [s for s in secrets if s and s.encode() in body]
    assert leaked == []


def test_farmer_tile_holds_only_the_own_parcels(client, session, token):
    own = set(session.scalars(sa.text(
        "SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c ON c.id = cp.contract_id "
        "JOIN users u ON u.household_code = c.household_code WHERE u.username = 'farmer' "
        "AND c.valid_to IS NULL")).all())
    path = parcel_tile(session, sorted(own)[0], 14)
    farmer = {f["properties"]["code"] for f in features(client.get(f"/tiles/parcels/{path}.mvt",
                                                                   headers=token("farmer")).data)}
    officer = {f["properties"]["code"] for f in features(client.get(f"/tiles/parcels/{path}.mvt",
                                                                    headers=token("officer")).data)}
    assert farmer and farmer <= own and len(officer) > len(farmer)


def test_anonymous_gets_401(client, session):
    res = client.get(f"/tiles/parcels/{parcel_tile(session, a_code(session), 16)}.mvt")
    assert res.status_code == 401 and res.get_json()["error"]["code"] == "unauthenticated"


def test_below_the_minimum_zoom_the_tile_is_empty(client, session, token):
    res = client.get(f"/tiles/parcels/{parcel_tile(session, a_code(session), 13)}.mvt",
                     headers=token("officer"))
    assert res.status_code == 200 and res.data == b"" and features(res.data) == []


@pytest.mark.parametrize("path, field", [
    ("/tiles/parcels/3/8/0.mvt", "x"), ("/tiles/parcels/3/0/8.mvt", "y"),
    ("/tiles/parcels/3/-1/0.mvt", "x"), ("/tiles/parcels/23/0/0.mvt", "z"),
    ("/tiles/owners/14/0/0.mvt", "layer")])
def test_tiles_outside_the_grid_are_404_naming_the_field(client, token, path, field):
    res = client.get(path, headers=token("officer"))
    assert res.status_code == 404 and res.get_json()["error"]["field"] == field


def test_etag_gives_304_and_a_changed_parcel_changes_it(client, session, token):
    code = a_code(session, "surveyed")
    url, h = f"/tiles/parcels/{parcel_tile(session, code, 16)}.mvt", token("officer")
    first = client.get(url, headers=h)
    etag = first.headers["ETag"]
    assert "private" in first.headers["Cache-Control"]
    again = client.get(url, headers={**h, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    session.execute(sa.text("UPDATE parcels SET name = '新改名地块' WHERE code = :c AND valid_to IS NULL"),
                    {"c": code})
    changed = client.get(url, headers={**h, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    names = {f["properties"]["code"]: f["properties"]["name"] for f in features(changed.data)}
    assert names[code] == "新改名地块"


def test_etag_differs_between_accounts_of_different_scope(client, session, token):
    url = f"/tiles/parcels/{parcel_tile(session, a_code(session), 16)}.mvt"
    officer = client.get(url, headers=token("officer")).headers["ETag"]
    county = client.get(url, headers=token("county")).headers["ETag"]
    assert officer != county


def test_listings_layer_shows_open_listings_until_they_close(client, session, token):
    listing = make_listing(session)
    code = listing.parcels[0].parcel_code
    url, h = f"/tiles/listings/{parcel_tile(session, code, 16)}.mvt", token("transferee")
    res = client.get(url, headers=h)
    found = [f["properties"] for f in features(res.data, "listings")]
    mine = [p for p in found if p["code"] == code]
    assert mine and mine[0]["listing_id"] == listing.id
    assert mine[0]["price"] == 500.0 and mine[0]["term_start"] == "2027-01-01"
    assert mine[0]["term_end"] == "2028-12-31"
    clock.travel(listing.closes_at - clock.now() + timedelta(minutes=1))
    try:
        closed = client.get(url, headers={**h, "If-None-Match": res.headers["ETag"]})
    finally:
        clock.reset()
    assert closed.status_code == 200
    assert code not in {f["properties"]["code"] for f in features(closed.data, "listings")}


def test_tile_query_can_use_the_gist_index(app, session):
    from landrights.maps import tiles as t

    z, x, y = tile_of(125.4, 42.9, 14)
    with app.app_context():
        query = t._tile_statement("parcels", "area", True).params(z=z, x=x, y=y, tolerance=1.0,
                                                                  scope="220421")
        sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(session.scalars(sa.text("EXPLAIN " + sql)).all())
    assert "idx_parcels_geom" in plan


def test_a_transferee_without_an_area_sees_the_open_listings_on_the_map(client, session, auth):
    auth.login("transferee")
    assert 'id="map"' not in client.get("/").get_data(as_text=True)
    make_listing(session)
    page = client.get("/").get_data(as_text=True)
    assert 'id="map"' in page and "/tiles/{layer}/{z}/{x}/{y}.mvt" in page


def test_a_new_version_of_a_registered_parcel_changes_the_etag(client, session, token):
    from landrights.registry import services

    code = a_code(session)
    url, h = f"/tiles/parcels/{parcel_tile(session, code, 16)}.mvt", token("officer")
    etag = client.get(url, headers=h).headers["ETag"]
    services.revise_parcel(session, SYSTEM, code=code, reason="更正地块名称", name="更正后名称")
    changed = client.get(url, headers={**h, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    found = {f["properties"]["code"]: f["properties"] for f in features(changed.data)}
    assert found[code]["name"] == "更正后名称" and found[code]["status"] == "surveyed"


def test_if_none_match_star_or_a_foreign_tag(client, session, token):
    url, h = f"/tiles/parcels/{parcel_tile(session, a_code(session), 16)}.mvt", token("officer")
    etag = client.get(url, headers=h).headers["ETag"]
    assert client.get(url, headers={**h, "If-None-Match": "*"}).status_code == 304
    other = client.get(url, headers={**h, "If-None-Match": '"1-parcels-16-0123-abc", "x"'})
    assert other.status_code == 200 and other.headers["ETag"] == etag and features(other.data)
    both = client.get(url, headers={**h, "If-None-Match": f'"x", {etag}'})
    assert both.status_code == 304 and both.headers["ETag"] == etag


VILLAGE_KEYS = {"code", "name", "parcels", "registered", "area_mu"}


def live_counts(session) -> dict:
    return {r.c: (r.n, r.reg, r.area) for r in session.execute(sa.text(
        "SELECT collective_code c, count(*) n, count(*) FILTER (WHERE status = 'registered') reg, "
        "sum(area_m2) area FROM parcels WHERE valid_to IS NULL GROUP BY 1"))}


def test_villages_layer_below_zoom_14_shows_each_collective_with_its_counts(client, session, token):
    res = client.get(f"/tiles/villages/{parcel_tile(session, a_code(session), 11)}.mvt",
                     headers=token("county"))
    assert res.status_code == 200
    found = {f["properties"]["code"]: f for f in features(res.data, "villages")}
    counts = live_counts(session)
    assert found and set(found) <= set(counts)
    for code, feature in found.items():
        props = feature["properties"]
        assert set(props) == VILLAGE_KEYS
        n, registered, area = counts[code]
        assert (props["parcels"], props["registered"]) == (n, registered)
        assert props["area_mu"] == pytest.approx(round(area * 15 / 10000, 2), abs=0.01)
        assert feature["geometry"]["type"] == "Polygon"
    names = dict(session.execute(sa.text("SELECT code, name FROM collectives")).all())
    assert {c: f["properties"]["name"] for c, f in found.items()} == {c: names[c] for c in found}


def test_villages_layer_is_empty_from_zoom_14_and_for_a_household(client, session, token):
    code = a_code(session)
    at14 = client.get(f"/tiles/villages/{parcel_tile(session, code, 14)}.mvt", headers=token("county"))
    assert at14.status_code == 200 and at14.data == b""
    farmer = client.get(f"/tiles/villages/{parcel_tile(session, code, 11)}.mvt", headers=token("farmer"))
    assert farmer.status_code == 200 and features(farmer.data, "villages") == []


def registered_in_an_overview(client, session, token, layer: str, z: int):
    """Register a surveyed parcel between two requests for its overview tile (the second with
    the first's ETag); return its code, the tile's features by code before and after, and the
    second response with its URL and headers."""
    code = a_code(session, "surveyed")
    url, h = f"/tiles/{layer}/{parcel_tile(session, code, z)}.mvt", token("county")
    first = client.get(url, headers=h)
    session.execute(sa.text("UPDATE parcels SET status = 'registered' WHERE code = :c "
                            "AND valid_to IS NULL"), {"c": code})
    changed = client.get(url, headers={**h, "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]

    def by_code(res):
        return {f["properties"]["code"]: f["properties"] for f in features(res.data, layer)}
    return code, by_code(first), by_code(changed), (changed, url, h)


def test_a_registration_changes_the_village_tile_at_once(client, session, token):
    code, before, after, _ = registered_in_an_overview(client, session, token, "villages", 11)
    assert after[code[:14]]["registered"] == before[code[:14]]["registered"] + 1


def held_key(app, data: bytes):
    """The key under which the app's tile cache holds a tile's bytes."""
    tiles = app.extensions["landrights.tiles"]._tiles
    return next(key for key, (_, held) in tiles.items() if held == data)


def test_a_tile_whose_version_holds_is_sent_from_the_cache_and_a_change_makes_it_again(
        app, client, session, token):
    code = a_code(session, "surveyed")
    url, h = f"/tiles/parcels/{parcel_tile(session, code, 16)}.mvt", token("officer")
    first = client.get(url, headers=h)
    cache = app.extensions["landrights.tiles"]
    key = held_key(app, first.data)
    version = cache.get(key)[0]
    assert first.headers["ETag"].strip('"').split("-")[3] == version
    # the same version: what the cache holds is what is sent (marked here to tell it apart)
    cache.put(key, version, b"held")
    assert client.get(url, headers=h).data == b"held"
    # a change to one of the tile's parcels: a new version, so the tile is made again
    session.execute(sa.text("UPDATE parcels SET name = '缓存后改名' WHERE code = :c AND valid_to IS NULL"),
                    {"c": code})
    changed = client.get(url, headers=h)
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert {f["properties"]["code"]: f["properties"]["name"]
            for f in features(changed.data)}[code] == "缓存后改名"
    assert cache.get(key) == (changed.headers["ETag"].strip('"').split("-")[3], changed.data)


def test_a_parcel_closed_or_added_in_the_tile_changes_it_despite_the_cache(client, session, token):
    from tests.factories import insert_parcel, square

    code = a_code(session, "surveyed")
    path = parcel_tile(session, code, 14)
    url, h = f"/tiles/parcels/{path}.mvt", token("county")
    before = {f["properties"]["code"] for f in features(client.get(url, headers=h).data)}
    session.execute(sa.text("UPDATE parcels SET valid_to = now() + interval '1 second' "
                            "WHERE code = :c AND valid_to IS NULL"), {"c": code})
    closed = {f["properties"]["code"] for f in features(client.get(url, headers=h).data)}
    assert closed == before - {code}
    # a new parcel of the same collective, just beyond its other parcels but in this tile
    lon, lat = session.execute(sa.text(
        "SELECT ST_XMin(e) - 0.0006, ST_YMin(e) FROM (SELECT ST_Extent(geom)::geometry e FROM parcels "
        "WHERE collective_code = :c AND valid_to IS NULL) s"), {"c": code[:14]}).one()
    assert "/".join(map(str, tile_of(lon, lat, 14))) == path
    insert_parcel(session, code[:14] + "99911", square(lon, lat, 0.0004), collective=code[:14])
    added = {f["properties"]["code"] for f in features(client.get(url, headers=h).data)}
    assert added == closed | {code[:14] + "99911"}


def test_accounts_of_different_scope_never_get_each_others_held_tile(client, session, token):
    own = set(session.scalars(sa.text(
        "SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c ON c.id = cp.contract_id "
        "JOIN users u ON u.household_code = c.household_code WHERE u.username = 'farmer' "
        "AND c.valid_to IS NULL")).all())
    url = f"/tiles/parcels/{parcel_tile(session, sorted(own)[0], 14)}.mvt"
    county = {f["properties"]["code"] for f in features(client.get(url, headers=token("county")).data)}
    farmer = {f["properties"]["code"] for f in features(client.get(url, headers=token("farmer")).data)}
    assert farmer and farmer <= own and len(county) > len(farmer)


def test_the_tile_cache_holds_at_most_its_size_and_drops_the_least_recently_used():
    from landrights.maps.tiles import TileCache

    cache = TileCache(3 * (1000 + TileCache.ENTRY_OVERHEAD))
    for name in "abc":
        cache.put(name, "v", name.encode() * 1000)
    assert cache.get("a") is not None  # a used: b is now the least recently used
    cache.put("d", "v", b"d" * 1000)
    assert cache.get("b") is None and {k for k in "acd" if cache.get(k)} == set("acd")
    assert cache.size <= cache.max_bytes
    cache.put("huge", "v", b"x" * cache.max_bytes)
    assert cache.get("huge") is None and cache.get("d") is not None
    off = TileCache(0)
    off.put("a", "v", b"a")
    assert off.get("a") is None and off.size == 0


TOWNSHIP_KEYS = {"code", "name", "villages", "parcels", "registered", "area_mu"}


def township_counts(session) -> dict:
    return {r.town: (r.v, r.n, r.reg) for r in session.execute(sa.text(
        "SELECT left(collective_code, 9) town, count(DISTINCT collective_code) v, count(*) n, "
        "count(*) FILTER (WHERE status = 'registered') reg FROM parcels WHERE valid_to IS NULL "
        "GROUP BY 1"))}


def test_townships_layer_below_zoom_8_sums_the_villages_of_each_township(client, session, token):
    code = a_code(session)
    res = client.get(f"/tiles/townships/{parcel_tile(session, code, 7)}.mvt", headers=token("county"))
    assert res.status_code == 200
    found = {f["properties"]["code"]: f for f in features(res.data, "townships")}
    assert code[:9] in found
    props = found[code[:9]]["properties"]
    assert set(props) == TOWNSHIP_KEYS
    assert (props["villages"], props["parcels"], props["registered"]) == township_counts(session)[code[:9]]
    assert props["name"] == session.scalar(sa.text("SELECT name FROM admin_units WHERE code = :c"),
                                           {"c": code[:9]})
    assert found[code[:9]]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert features(client.get(f"/tiles/townships/{parcel_tile(session, code, 8)}.mvt",
                               headers=token("county")).data, "townships") == []


def test_townships_layer_is_for_accounts_with_a_township_or_more(client, session, token):
    code = a_code(session)
    url = f"/tiles/townships/{parcel_tile(session, code, 6)}.mvt"
    officer = {f["properties"]["code"] for f in features(client.get(url, headers=token("officer")).data,
                                                         "townships")}
    assert officer == {code[:9]}  # the demo township officer's own township
    for username in ("clerk", "farmer", "transferee"):
        res = client.get(url, headers=token(username))
        assert res.status_code == 200 and res.data == b"", username


def test_a_registration_changes_the_township_tile_at_once(client, session, token):
    code, before, after, (changed, url, h) = registered_in_an_overview(client, session, token,
                                                                       "townships", 7)
    assert after[code[:9]]["registered"] == before[code[:9]]["registered"] + 1
    session.execute(sa.text("UPDATE admin_units SET name = '改名后乡镇' WHERE code = :c"), {"c": code[:9]})
    renamed = client.get(url, headers={**h, "If-None-Match": changed.headers["ETag"]})
    assert renamed.status_code == 200
    assert {f["properties"]["code"]: f["properties"]["name"]
            for f in features(renamed.data, "townships")}[code[:9]] == "改名后乡镇"
