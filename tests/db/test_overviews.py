"""parcel_overviews (migration 0012): each collective's live parcels at a glance, kept exact by the
statement triggers on parcels after every insert, update and delete."""
import sqlalchemy as sa

from tests.db.test_constraints import COLLECTIVE, FAR, insert_parcel, square


def overview(session, collective: str):
    return session.execute(sa.text(
        "SELECT parcels, registered, round(area_m2) AS area, ST_GeometryType(geom) AS kind "
        "FROM parcel_overviews WHERE collective_code = :c"), {"c": collective}).one_or_none()


def live(session, collective: str):
    return session.execute(sa.text(
        "SELECT count(*), count(*) FILTER (WHERE status = 'registered'), round(sum(area_m2)) "
        "FROM parcels WHERE collective_code = :c AND valid_to IS NULL"), {"c": collective}).one()


def test_every_collective_with_live_parcels_has_its_exact_overview(session):
    expected = {r[0]: tuple(r[1:]) for r in session.execute(sa.text(
        "SELECT collective_code, count(*), count(*) FILTER (WHERE status = 'registered') "
        "FROM parcels WHERE valid_to IS NULL GROUP BY 1"))}
    found = {r[0]: tuple(r[1:]) for r in session.execute(sa.text(
        "SELECT collective_code, parcels, registered FROM parcel_overviews"))}
    assert expected and found == expected


def test_inserts_updates_and_closings_keep_the_overview_exact(session):
    assert overview(session, COLLECTIVE) is not None  # the demo group holds parcels
    before = overview(session, COLLECTIVE)
    insert_parcel(session, COLLECTIVE + "99901", square(*FAR))
    insert_parcel(session, COLLECTIVE + "99902", square(FAR[0] + 0.001, FAR[1]))
    grown = overview(session, COLLECTIVE)
    assert grown.parcels == before.parcels + 2 and (grown.parcels, grown.registered, grown.area) == \
        tuple(live(session, COLLECTIVE))
    session.execute(sa.text("UPDATE parcels SET status = 'registered' WHERE code = :c"),
                    {"c": COLLECTIVE + "99901"})
    assert overview(session, COLLECTIVE).registered == grown.registered + 1
    session.execute(sa.text("DELETE FROM parcels WHERE code = :c"), {"c": COLLECTIVE + "99902"})
    assert tuple(overview(session, COLLECTIVE)[:3]) == tuple(live(session, COLLECTIVE))


def test_a_collective_without_live_parcels_has_no_overview(session):
    session.execute(sa.text("UPDATE parcels SET valid_to = now() + interval '1 second' "
                            "WHERE collective_code = :c AND valid_to IS NULL"), {"c": COLLECTIVE})
    assert overview(session, COLLECTIVE) is None


def test_the_outline_covers_every_live_parcel_of_the_collective(session):
    uncovered = session.scalar(sa.text(
        "SELECT count(*) FROM parcels p JOIN parcel_overviews o ON o.collective_code = "
        "p.collective_code WHERE p.valid_to IS NULL AND NOT ST_Covers(o.geom, p.geom)"))
    assert uncovered == 0 and overview(session, COLLECTIVE).kind == "ST_Polygon"


def test_the_outline_holds_the_bounding_box_of_every_live_parcel(session):
    # what a tile's version relies on (gis.tiles._version_statement): a parcel whose box meets a
    # tile (&&) has an overview whose box meets it too; @ compares the same boxes as && does
    outside = session.scalar(sa.text(
        "SELECT count(*) FROM parcels p JOIN parcel_overviews o ON o.collective_code = "
        "p.collective_code WHERE p.valid_to IS NULL AND NOT (p.geom @ o.geom)"))
    assert outside == 0


def test_an_areas_bounds_from_its_overviews_are_its_live_parcels_extent(session):
    import pytest

    from landrights.accounts.permissions import Actor
    from landrights.registry.queries import jurisdiction_bounds

    insert_parcel(session, COLLECTIVE + "99903", square(*FAR))  # a village grows: the box grows
    for actor, prefix in ((Actor(role="county_admin", county_code="220421"), "220421"),
                          (Actor(role="township_officer", township_code=COLLECTIVE[:9]), COLLECTIVE[:9]),
                          (Actor(role="collective_clerk", collective_code=COLLECTIVE), COLLECTIVE)):
        exact = session.execute(sa.text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e "
            "FROM parcels WHERE valid_to IS NULL AND code LIKE :p || '%') s"), {"p": prefix}).one()
        # the stored boxes are float4, rounded outwards: under 2e-5 degrees (2 m)
        assert jurisdiction_bounds(session, actor) == pytest.approx(tuple(exact), abs=2e-5), prefix
    assert jurisdiction_bounds(session, Actor(role="county_admin", county_code="220499")) is None
