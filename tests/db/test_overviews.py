"""parcel_overviews (migration 0012): each collective's live parcels at a glance, kept exact by the
statement triggers on parcels after every insert, update and delete."""
import sqlalchemy as sa

from tests.factories import COLLECTIVE, FAR, insert_parcel, square


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
    # what a tile's version relies on (maps.tiles._version_statement): a parcel whose box meets a
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


def _versions(session, code: str, *periods):
    """Insert versions 1, 2, ... of a parcel code, each (valid_from, valid_to or None)."""
    for version, (since, until) in enumerate(periods, start=1):
        session.execute(sa.text(
            "INSERT INTO parcels (county_code, code, collective_code, version, geom, status, "
            "valid_from, valid_to) VALUES (left(:code, 6), :code, left(:code, 14), :version, "
            "ST_GeomFromEWKT(:geom), 'surveyed', :since, :until)"),
            {"code": code, "version": version, "geom": square(FAR[0] + 0.01, FAR[1] + 0.01 * version),
             "since": since, "until": until})


def test_since_is_the_first_version_of_the_collective_closed_ones_included(session):
    from datetime import UTC, datetime

    # a resurvey (R3.1): the live version is new, the closed one it replaced began in 2015
    _versions(session, COLLECTIVE + "99904", ("2015-03-01T00:00:00Z", "2020-01-01T00:00:00Z"),
              ("2020-01-01T00:00:00Z", None))
    expected = dict(session.execute(sa.text(
        "SELECT collective_code, min(valid_from) FROM parcels GROUP BY 1 "
        "HAVING bool_or(valid_to IS NULL)")).all())
    found = dict(session.execute(sa.text("SELECT collective_code, since FROM parcel_overviews")).all())
    assert found == expected and found[COLLECTIVE] == datetime(2015, 3, 1, tzinfo=UTC)


def test_an_areas_time_extent_is_that_of_every_version_of_its_parcels(session):
    from landrights.accounts.permissions import SYSTEM, Actor
    from landrights.registry.queries import parcel_time_extent
    from landrights.registry.services import add_collective

    retired = COLLECTIVE[:12] + "07"  # a group of the same village whose every parcel closed
    add_collective(session, SYSTEM, code=retired, name="七组")
    _versions(session, retired + "00001", ("2012-05-01T00:00:00Z", "2016-05-01T00:00:00Z"))
    _versions(session, COLLECTIVE + "99905", ("2014-01-01T00:00:00Z", "2019-01-01T00:00:00Z"),
              ("2019-01-01T00:00:00Z", None))
    for actor, prefix in ((SYSTEM, ""), (Actor(role="county_admin", county_code="220421"), "220421"),
                          (Actor(role="township_officer", township_code=COLLECTIVE[:9]), COLLECTIVE[:9]),
                          (Actor(role="collective_clerk", collective_code=COLLECTIVE), COLLECTIVE),
                          (Actor(role="collective_clerk", collective_code=retired), retired),
                          (Actor(role="county_admin", county_code="220422"), "220422")):
        exact = tuple(session.execute(sa.text(
            "SELECT min(valid_from), CASE WHEN bool_or(valid_to IS NULL) THEN NULL "
            "ELSE max(valid_to) END FROM parcels WHERE code LIKE :p || '%'"), {"p": prefix}).one())
        assert parcel_time_extent(session, actor) == exact, prefix
    # the retired group alone: from its versions (it has no overview), ended when they ended
    assert parcel_time_extent(session, Actor(role="collective_clerk", collective_code=retired))[1] \
        is not None
    assert parcel_time_extent(session, Actor(role="farmer", household_code="220421101201010001")) \
        is None  # a household's few parcels: features.time_extent reads them
