"""The officer's household search by name goes down pg_trgm's indexes, not through the tables
(migration 0026; issue 19's "households at county scale"). A township of 6,000 households with
two members each, ANALYZEd so the planner has the statistics a real county has: the plan the
planner chooses by itself (no enable_seqscan=off) for the finder's own SQL reads the name indexes
and scans neither households nor persons. And what a part of a name finds, wildcards included."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from landrights.accounts.permissions import SYSTEM, Actor
from landrights.registry import services as registry
from landrights.registry.finder import find_households

GROUP = "22042110120109"  # a new group of the demo's township, far from the demo's households
HOUSEHOLDS = 6000
OFFICER = Actor(role="township_officer", user_id=None, name="站长", township_code="220421101")
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢"
            "宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = ("春秋冬夏振华国庆建军立新海燕玉兰秀英桂芳志强"
         "永红德明淑珍凤云文广金宝小平丽娟山长青松柏梅竹荣贵福禄喜")

TOWNSHIP = """
WITH n AS (SELECT i, substr(:surnames, 1 + i % 50, 1) || substr(:given, 1 + (i / 50) % 50, 1)
                     || substr(:given, 1 + (i * 7 + i / 50 * 3 + i / 2500) % 50, 1) AS head,
                  substr(:surnames, 1 + (i * 3 + i / 50) % 50, 1) || substr(:given, 1 + (i * 11) % 50, 1)
                     || substr(:given, 1 + (i / 50 * 17 + 9) % 50, 1) AS spouse
           FROM generate_series(1, :n) AS i),
h AS (INSERT INTO households (county_code, code, collective_code, type, name)
      SELECT '220421', :group || lpad(i::text, 4, '0'), :group, 1, head FROM n RETURNING id, code),
p AS (INSERT INTO persons (county_code, name, sex, id_type, id_number)
      SELECT '220421', name, sex, 4, 'HKB' || lpad(i::text, 5, '0') || suffix
      FROM n, LATERAL (VALUES (head, 1, 'A'), (spouse, 2, 'B')) AS m(name, sex, suffix)
      RETURNING id, id_number)
INSERT INTO household_members (county_code, household_id, person_id, relation, is_co_holder)
SELECT '220421', h.id, p.id, CASE right(p.id_number, 1) WHEN 'A' THEN '01' ELSE '10' END, true
FROM p JOIN h ON right(h.code, 4)::int = substr(p.id_number, 4, 5)::int
"""


@pytest.fixture
def township(session):
    """6,000 more households with a head and a spouse each, and fresh statistics."""
    registry.add_collective(session, SYSTEM, code=GROUP, name="永安村九组")
    session.execute(sa.text(TOWNSHIP), {"surnames": SURNAMES, "given": GIVEN, "n": HOUSEHOLDS,
                                        "group": GROUP})
    for index in ("ix_households_name_trgm", "ix_persons_name_trgm"):  # as autovacuum does in a
        session.execute(sa.text("SELECT gin_clean_pending_list(:i)"), {"i": index})  # real database
    for table in ("households", "persons", "household_members"):
        session.execute(sa.text(f"ANALYZE {table}"))
    return session


def _name_of(session, household: int) -> tuple[str, str]:
    return session.execute(sa.text(
        "SELECT h.name, p.name FROM households h JOIN household_members m ON m.household_id = h.id "
        "JOIN persons p ON p.id = m.person_id WHERE h.code = :c AND m.relation = '10'"),
        {"c": GROUP + f"{household:04d}"}).one()


def _plans(session, q: str) -> list[dict]:
    """Run the finder and EXPLAIN each statement it sent, with its own parameters."""
    conn, sent = session.connection(), []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if "households" in statement and not statement.startswith("EXPLAIN"):
            sent.append((statement, parameters))

    sa.event.listen(conn, "before_cursor_execute", keep)
    try:
        page = find_households(session, OFFICER, q=q)
    finally:
        sa.event.remove(conn, "before_cursor_execute", keep)
    assert page.total >= 1
    return [conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()[0]["Plan"]
            for statement, parameters in sent[:2]]  # the count and the page (then statuses)


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.mark.parametrize("part", ["head", "spouse", "given name", "family name and one more"])
def test_a_name_search_reads_the_name_indexes_and_no_table_whole(township, part):
    head, spouse = _name_of(township, 4321)
    q = {"head": head, "spouse": spouse, "given name": head[1:], "family name and one more": head[:2]}[part]
    for plan in _plans(township, q):
        nodes = list(_nodes(plan))
        scanned = {n.get("Relation Name") for n in nodes if n["Node Type"] == "Seq Scan"}
        assert not scanned & {"households", "persons", "household_members"}, (q, plan)
        indexes = {n.get("Index Name") for n in nodes}
        assert {"ix_households_name_trgm", "ix_persons_name_trgm"} <= indexes, (q, plan)


def test_a_family_name_alone_is_matched_down_the_indexes_too(township):
    """One character matches a fiftieth of the county: reading the rest of a household's row by
    a hash join may be cheaper, but the names are never compared row by row."""
    head, _spouse = _name_of(township, 4321)
    for plan in _plans(township, head[0]):
        nodes = list(_nodes(plan))
        by_name = [n for n in nodes if n["Node Type"] == "Seq Scan" and "~~*" in n.get("Filter", "")]
        assert not by_name, plan
        assert {"ix_households_name_trgm", "ix_persons_name_trgm"} <= {n.get("Index Name") for n in nodes}


def test_what_a_part_of_a_name_finds(township):
    head, spouse = _name_of(township, 4321)
    code = GROUP + "4321"
    for q in (head, spouse, head[1:], spouse[1:], head[:2], head[:1]):
        found = find_households(township, OFFICER, q=q, limit=10_000)
        assert code in {h["code"] for h in found.items}, q
    exact = find_households(township, OFFICER, q=head, limit=10_000).items
    assert all(head in h["name"] or _member_named(township, h["code"], head) for h in exact)
    # one character is a family name: the names that start with it, not every name holding it
    assert all(h["name"].startswith(head[0]) or _member_named(township, h["code"], head[0], start=True)
               for h in find_households(township, OFFICER, q=head[0], limit=10_000).items)
    for wildcard in ("%", "_", "%%", "_" * 3, "\\"):
        assert find_households(township, OFFICER, q=wildcard).total == 0


def _member_named(session, code: str, part: str, *, start: bool = False) -> bool:
    pattern = part + "%" if start else "%" + part + "%"
    return bool(session.scalar(sa.text(
        "SELECT 1 FROM household_members m JOIN households h ON h.id = m.household_id JOIN persons p "
        "ON p.id = m.person_id WHERE h.code = :c AND m.valid_to IS NULL AND p.name LIKE :p"),
        {"c": code, "p": pattern}))
