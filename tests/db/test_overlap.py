"""No two live parcels overlap beyond the tolerance (trigger parcels_no_overlap, 23P01)."""
import pytest
import sqlalchemy as sa

from tests.factories import COLLECTIVE, FAR, PARCEL_SQL, insert_parcel, refused, square

A, B = COLLECTIVE + "99901", COLLECTIVE + "99902"


def test_overlapping_parcel_is_refused_naming_both_codes(session):
    insert_parcel(session, A, square(*FAR))
    state, name = refused(session, PARCEL_SQL, county="220421", code=B, collective=COLLECTIVE,
                          geom=square(FAR[0] + 0.0005, FAR[1] + 0.0005))
    assert (state, name) == ("23P01", "parcels_no_overlap")


def test_message_names_both_codes_and_the_area(session):
    insert_parcel(session, A, square(*FAR))
    try:
        with session.begin_nested():
            insert_parcel(session, B, square(FAR[0] + 0.0005, FAR[1] + 0.0005))
    except sa.exc.DBAPIError as err:
        message = err.orig.diag.message_primary
    assert A in message and B in message and "m²" in message


def test_parcel_inside_another_is_refused(session):
    insert_parcel(session, A, square(*FAR, size_deg=0.002))
    state, name = refused(session, PARCEL_SQL, county="220421", code=B, collective=COLLECTIVE,
                          geom=square(FAR[0] + 0.0005, FAR[1] + 0.0005, size_deg=0.0005))
    assert (state, name) == ("23P01", "parcels_no_overlap")


def test_neighbours_sharing_an_edge_are_accepted(session):
    insert_parcel(session, A, square(*FAR))
    insert_parcel(session, B, square(FAR[0] + 0.001, FAR[1]))
    assert session.scalar(sa.text("SELECT count(*) FROM parcels WHERE code IN (:a, :b)"),
                          {"a": A, "b": B}) == 2


def test_overlap_below_the_tolerance_is_accepted(session):
    insert_parcel(session, A, square(*FAR))
    # shifted 0.000005° (≈0.4 m) into A along one edge of ≈111 m: ≈ 0.4 m × 111 m ≈ 45 m²
    # so use a 1 m² tolerance and a 0.05 m sliver instead: 0.0000006° ≈ 0.05 m -> ≈ 5.5 m²
    session.execute(sa.text("UPDATE settings SET value = '10' "
                            "WHERE key = 'parcel_overlap_tolerance_m2'"))
    insert_parcel(session, B, square(FAR[0] + 0.001 - 0.0000006, FAR[1]))
    overlap = session.scalar(sa.text(
        "SELECT ST_Area(ST_Intersection(a.geom, b.geom)::geography) FROM parcels a, parcels b "
        "WHERE a.code = :a AND b.code = :b"), {"a": A, "b": B})
    assert 0 < overlap < 10


def test_tolerance_is_configurable(session):
    insert_parcel(session, A, square(*FAR))
    session.execute(sa.text("UPDATE settings SET value = '0.5' "
                            "WHERE key = 'parcel_overlap_tolerance_m2'"))
    state, _ = refused(session, PARCEL_SQL, county="220421", code=B, collective=COLLECTIVE,
                       geom=square(FAR[0] + 0.001 - 0.0000006, FAR[1]))
    assert state == "23P01"


def test_overlap_with_a_closed_version_is_accepted(session):
    insert_parcel(session, A, square(*FAR))
    session.execute(sa.text("UPDATE parcels SET valid_to = now() + interval '1 second' "
                            "WHERE code = :a"), {"a": A})
    insert_parcel(session, B, square(FAR[0] + 0.0005, FAR[1] + 0.0005))


def test_overlap_across_collectives_is_refused(session):
    insert_parcel(session, A, square(*FAR))
    other = "22042110120102"
    state, name = refused(session, PARCEL_SQL, county="220421", code=other + "99901",
                          collective=other, geom=square(FAR[0] + 0.0005, FAR[1]))
    assert (state, name) == ("23P01", "parcels_no_overlap")


def test_demo_village_has_no_overlaps(session):
    pairs = session.scalar(sa.text(
        "SELECT count(*) FROM parcels a JOIN parcels b ON a.id < b.id AND a.geom && b.geom "
        "WHERE a.valid_to IS NULL AND b.valid_to IS NULL "
        "AND ST_Area(ST_Intersection(a.geom, b.geom)::geography) > 1"))
    assert pairs == 0


TWO_ROWS_SQL = ("INSERT INTO parcels (county_code, code, collective_code, version, geom, status) "
                "VALUES ('220421', :a, :c, 1, ST_GeomFromEWKT(:ga), 'surveyed'), "
                "('220421', :b, :c, 1, ST_GeomFromEWKT(:gb), 'surveyed')")


def test_two_overlapping_rows_of_one_statement_are_refused_either_way_round(session):
    # R4.15: a pair of one statement's rows is related once (migration 0008), whichever comes first
    big, inside = square(*FAR, size_deg=0.002), square(FAR[0] + 0.0005, FAR[1] + 0.0005)
    for first, second in ((big, inside), (inside, big)):
        state, name = refused(session, TWO_ROWS_SQL, a=A, b=B, c=COLLECTIVE, ga=first, gb=second)
        assert (state, name) == ("23P01", "parcels_no_overlap")


def test_two_neighbours_of_one_statement_are_accepted(session):
    session.execute(sa.text(TWO_ROWS_SQL), {"a": A, "b": B, "c": COLLECTIVE, "ga": square(*FAR),
                                            "gb": square(FAR[0] + 0.001, FAR[1])})
    assert session.scalar(sa.text("SELECT count(*) FROM parcels WHERE code IN (:a, :b)"),
                          {"a": A, "b": B}) == 2


def test_moving_a_parcel_onto_a_later_one_is_refused(session):
    # the moved row has the lower id and the live parcel it now overlaps is not in the statement
    insert_parcel(session, A, square(*FAR))
    insert_parcel(session, B, square(FAR[0] + 0.01, FAR[1]))
    state, name = refused(session, "UPDATE parcels SET geom = ST_GeomFromEWKT(:g) WHERE code = :a",
                          a=A, g=square(FAR[0] + 0.0105, FAR[1]))
    assert (state, name) == ("23P01", "parcels_no_overlap")


# A statement of 5,000 live rows or more (a survey import) is checked by lr_parcels_overlap_hits,
# in parallel (migration 0010); the same rule, the same error.
GRID_SQL = """
INSERT INTO parcels (county_code, code, collective_code, version, geom, status)
SELECT '220421', :c || (80000 + i)::text, :c, 1,
       ST_Multi(ST_MakeEnvelope(:x + (i % 100) * 0.0001, :y + (i / 100) * 0.0001,
                                :x + (i % 100 + 1) * 0.0001, :y + (i / 100 + 1) * 0.0001, 4490)),
       'surveyed'
FROM generate_series(0, 5999) i
UNION ALL
SELECT '220421', :c || '86000', :c, 1,
       ST_Multi(ST_MakeEnvelope(:x + :shift, :y, :x + :shift + 0.0001, :y + 0.0001, 4490)), 'surveyed'
"""


def grid(shift: float) -> dict:
    """6,001 parcels of about 8 m x 11 m, edge to edge; the last one lies `shift` degrees east of
    the first cell (0.00005: half over it)."""
    return {"c": COLLECTIVE, "x": FAR[0], "y": FAR[1], "shift": shift}


def helper_calls(session) -> int:
    return session.scalar(sa.text(
        "SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions "
        "WHERE funcname = 'lr_parcels_overlap_hits'"))


def test_a_large_statement_of_neighbours_is_accepted_by_the_parallel_check(session):
    session.execute(sa.text("SET LOCAL track_functions = 'pl'"))
    before = helper_calls(session)
    # the extra parcel lies south of the grid's first cell, sharing its edge
    session.execute(sa.text(GRID_SQL.replace(":y, :x + :shift + 0.0001, :y + 0.0001",
                                             ":y - 0.0001, :x + :shift + 0.0001, :y")),
                    grid(0.0))
    assert helper_calls(session) == before + 1
    assert session.scalar(sa.text("SELECT count(*) FROM parcels WHERE code LIKE :p"),
                          {"p": COLLECTIVE + "8%"}) == 6001


def test_an_overlap_inside_a_large_statement_is_refused(session):
    session.execute(sa.text("SET LOCAL track_functions = 'pl'"))
    before = helper_calls(session)
    with pytest.raises(sa.exc.DBAPIError) as info:
        with session.begin_nested():
            session.execute(sa.text(GRID_SQL), grid(0.00005))
    assert (info.value.orig.sqlstate, info.value.orig.diag.constraint_name) == (
        "23P01", "parcels_no_overlap"), str(info.value.orig)
    message = info.value.orig.diag.message_primary
    # the shifted parcel lies half over each of the first two cells: either may be named first
    assert COLLECTIVE + "86000" in message
    assert COLLECTIVE + "80000" in message or COLLECTIVE + "80001" in message
    assert helper_calls(session) == before + 1


def test_a_large_statement_overlapping_a_live_parcel_is_refused(session):
    insert_parcel(session, A, square(FAR[0] + 0.0055, FAR[1] + 0.0025, size_deg=0.0002))
    state, name = refused(session, GRID_SQL.split("UNION ALL")[0], **grid(0.0))
    assert (state, name) == ("23P01", "parcels_no_overlap")


@pytest.mark.parametrize("function", ["lr_parcels_no_overlap_rows", "lr_parcels_overlap_hits"])
def test_the_overlap_search_never_plans_a_bitmap_scan(session, function):
    # migration 0011: with statistics from a smaller registry, a plan ANDed each GiST probe with a
    # bitmap scan of the whole live-parcel index (65 s for one village of 4,997 parcels among
    # 200,000 in bench/county_million.py); both functions carry the setting that rules it out
    config = session.scalar(sa.text("SELECT proconfig FROM pg_proc WHERE proname = :f"),
                            {"f": function})
    assert "enable_bitmapscan=off" in config
