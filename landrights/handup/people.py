"""Enter the package's collectives, households, persons and members (R4.20), set-based.

Each staged row gets its fate: 'entered' (new), 'changed' (a new version, or an attribute of an
unversioned record corrected), 'unchanged'. Memberships are versioned: a changed or moved member
closes its live version at the import's time and a new version starts then; a member the package
no longer lists is closed. A new household's members are registered as of the package's own dates
(the household's survey date CBFDCRQ, else the register date DJSJ, else the signing date QDSJ).
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights.accounts.permissions import Actor
from landrights.db import flush_or_raise
from landrights.registry import rules as registry_rules
from landrights.registry.models import AdminUnit, ChangeEvent, Collective

CST = "(({0})::timestamp AT TIME ZONE 'Asia/Shanghai')"  # a package date, as of China's midnight
_UNIT_NAMES = re.compile(r"^(?P<county>.+?[县区市旗])?(?P<township>.+?[镇乡])?(?P<village>.+?村)?")
_FBF = ("fbfbm", "fbfmc", "fbffzrxm", "fzrzjlx", "fzrzjhm", "lxdh", "fbfdz", "yzbm")


def run(session: Session, statements: str, params: dict | None = None) -> None:
    """Execute statements separated by ';' at line ends, one at a time (a bound statement is
    sent alone)."""
    for statement in statements.split(";\n"):
        if statement.strip():
            session.execute(sa.text(statement), params or {})


def unit_names(name: str | None) -> dict[int, str]:
    """Return the admin units' names a collective's name spells (东丰县测试镇前进村01组)."""
    match = _UNIT_NAMES.match(name or "")
    found = {1: match["county"], 2: match["township"], 3: match["village"], 4: name} \
        if match else {4: name}
    return {level: text for level, text in found.items() if text}


def _collective_fields(row) -> dict:
    id_type, number = _responsible_id(row)
    return {"name": (row.fbfmc or row.fbfbm)[:100], "responsible_name": _clipped(row.fbffzrxm, 50),
            "responsible_id_type": id_type if number else None,
            "responsible_id_number": number[:30] if number else None,
            "phone": _clipped(row.lxdh, 30), "address": _clipped(row.fbfdz, 200),
            "postcode": row.yzbm if row.yzbm and len(row.yzbm) <= 6 else None}


def _clipped(text: str | None, most: int) -> str | None:
    """Return text cut to the column's width, or None for none or blank."""
    return text[:most] if text else None


def _responsible_id(row) -> tuple[int | None, str | None]:
    """Return the responsible person's ID type and number; an ID card number that fails its
    check is left out (reported by handup_fbf_responsible_id)."""
    id_type = int(row.fzrzjlx) if (row.fzrzjlx or "1").isdigit() else None
    id_type = id_type if id_type in registry_rules.ID_TYPES else None
    number = row.fzrzjhm
    if number and (id_type or 1) == 1 and registry_rules.id_number_problem(number):
        number = None
    return id_type, number


def enter_collectives(session: Session, actor: Actor) -> None:
    """Register the package's new collectives with the admin units their codes imply (a county
    has thousands: in three statements), and correct the attributes of those registered."""
    rows = session.execute(sa.text(f"SELECT row_no, {', '.join(_FBF)} FROM hu_fbf WHERE NOT out "
                                   "ORDER BY row_no")).all()
    existing = {c.code: c for c in session.scalars(sa.select(Collective).where(
        Collective.code.in_([r.fbfbm for r in rows])))}
    fates, new = {}, []
    for row in rows:
        fields = _collective_fields(row)
        if row.fbfbm not in existing:
            new.append((row, fields))
            fates[row.row_no] = "entered"
        else:
            fates[row.row_no] = "changed" if _correct(existing[row.fbfbm], fields) else "unchanged"
    _insert_collectives(session, actor, new)
    flush_or_raise(session)
    _record_fates(session, fates)


def _correct(collective: Collective, fields: dict) -> dict:
    """Set the package's values that differ on a registered collective; return those changed."""
    changed = {k: v for k, v in fields.items() if v is not None and getattr(collective, k) != v}
    for key, value in changed.items():
        setattr(collective, key, value)
    return changed


def _record_fates(session: Session, fates: dict[int, str]) -> None:
    """Mark each staged FBF row entered, changed or unchanged."""
    for fate in ("entered", "changed", "unchanged"):
        numbers = [n for n, f in fates.items() if f == fate]
        if numbers:
            session.execute(sa.text("UPDATE hu_fbf SET fate = :fate WHERE row_no = ANY(:rows)"),
                            {"fate": fate, "rows": numbers})


def _insert_collectives(session: Session, actor: Actor, new: list) -> None:
    """Insert new collectives, the admin units their codes imply that are missing (R4.5), and a
    change event for each."""
    if not new:
        return
    units = _implied_units(new)
    held = set(session.scalars(sa.select(AdminUnit.code).where(AdminUnit.code.in_(list(units)))))
    missing = [u for code, u in sorted(units.items(), key=lambda kv: len(kv[0]))
               if code not in held]
    if missing:
        session.execute(sa.insert(AdminUnit), missing)
    session.execute(sa.insert(Collective), [
        {"county_code": row.fbfbm[:6], "code": row.fbfbm,
         "admin_code": row.fbfbm[:12] if row.fbfbm.endswith("00") else row.fbfbm, **fields}
        for row, fields in new])
    session.execute(sa.insert(ChangeEvent), [
        {"county_code": row.fbfbm[:6], "actor_id": actor.user_id, "action": "create",
         "entity": "collective", "entity_code": row.fbfbm} for row, _ in new])


def _implied_units(new: list) -> dict[str, dict]:
    """Return {code: admin unit row} of the county, township, village and group each new
    collective's code implies (R4.5), named from the collective's name where it spells them."""
    units = {}
    for row, _ in new:
        names = unit_names(row.fbfmc)
        for level, length in registry_rules.ADMIN_LEVEL_LENGTH.items():
            if level == 4 and row.fbfbm.endswith("00"):
                continue  # group 00: the village itself is the collective
            code = row.fbfbm[:length]
            units.setdefault(code, {"county_code": code[:6], "code": code, "level": level,
                                    "name": (names.get(level) or code)[:100],
                                    "parent_code": None if level == 1 else
                                    code[:registry_rules.ADMIN_LEVEL_LENGTH[level - 1]]})
    return units


_HOUSEHOLD_VALUES = """coalesce(h.cbflx, '1')::smallint, left(coalesce(h.cbfmc, h.cbfbm), 100),
    left(h.cbfdz, 200), CASE WHEN length(h.yzbm) <= 6 THEN h.yzbm END, left(h.lxdh, 30),
    CASE WHEN h.cbfdcrq BETWEEN '1978-01-01' AND '2100-12-31' THEN h.cbfdcrq END,
    left(h.cbfdcy, 50)"""


def enter_households(session: Session, params: dict) -> None:
    """Insert new households; correct the attributes of registered ones (households are not
    versioned: their history is the change events)."""
    session.execute(sa.text(f"""
        WITH ins AS (
            INSERT INTO households (county_code, code, collective_code, type, name, address,
                                    postcode, phone, survey_date, surveyor)
            SELECT left(h.cbfbm, 6), h.cbfbm, left(h.cbfbm, 14), {_HOUSEHOLD_VALUES}
            FROM hu_cbf h WHERE NOT h.out AND NOT EXISTS (
                SELECT 1 FROM households x WHERE x.county_code = left(h.cbfbm, 6)
                AND x.code = h.cbfbm)
            RETURNING code)
        UPDATE hu_cbf h SET fate = 'entered' FROM ins WHERE ins.code = h.cbfbm"""))
    session.execute(sa.text(f"""
        WITH upd AS (
            UPDATE households x SET (type, name, address, postcode, phone, survey_date,
                                     surveyor) = ({_HOUSEHOLD_VALUES})
            FROM hu_cbf h WHERE NOT h.out AND h.fate IS NULL
              AND x.county_code = left(h.cbfbm, 6) AND x.code = h.cbfbm
              AND (x.type, x.name, x.address, x.postcode, x.phone, x.survey_date, x.surveyor)
                  IS DISTINCT FROM ({_HOUSEHOLD_VALUES})
            RETURNING x.code)
        UPDATE hu_cbf h SET fate = 'changed' FROM upd WHERE upd.code = h.cbfbm"""))
    session.execute(sa.text("UPDATE hu_cbf SET fate = 'unchanged' WHERE NOT out AND fate IS NULL"))
    session.execute(sa.text(f"""
        CREATE TEMP TABLE hu_hh ON COMMIT DROP AS
        SELECT h.cbfbm, x.id AS household_id, h.fate = 'entered' AS is_new,
               least(coalesce({CST.format("CASE WHEN h.cbfdcrq >= '1978-01-01' THEN h.cbfdcrq END")},
                              {CST.format('d.djsj')}, {CST.format('k.qdsj')}, :now), :now) AS as_of
        FROM hu_cbf h JOIN households x ON x.county_code = left(h.cbfbm, 6) AND x.code = h.cbfbm
        LEFT JOIN (SELECT left(cbjyqzbm, 18) AS c, min(djsj) AS djsj FROM hu_djb WHERE NOT out
                   GROUP BY 1) d ON d.c = h.cbfbm
        LEFT JOIN (SELECT left(cbhtbm, 18) AS c, min(qdsj) AS qdsj FROM hu_cbht WHERE NOT out
                   GROUP BY 1) k ON k.c = h.cbfbm
        WHERE NOT h.out"""), params)
    run(session, "ALTER TABLE hu_hh ADD PRIMARY KEY (cbfbm);\nANALYZE hu_hh;\n"
                 "ANALYZE households (id, county_code, code)")


def enter_persons(session: Session) -> None:
    """Decide which person each member row is (hu_who) and enter the persons the registry lacks;
    correct the name and sex of those it holds (persons are not versioned).

    One ID number, one identity: the registry's person, or the first listing by household code.
    A further listing in another household enters as a person row of its own, marked as a
    duplicate in conflict (persons.id_conflict_of, migration 0020): its household shows it as
    registered, and it is never an identity. Which listing is which is kept across imports."""
    session.execute(sa.text("""
        INSERT INTO persons (county_code, name, sex, id_type, id_number, birth_date)
        SELECT DISTINCT ON (j.id_type, j.cyzjhm) left(j.cbfbm, 6), left(j.cyxm, 50), j.sex,
               j.id_type, j.cyzjhm, j.birth_date
        FROM hu_jtcy j WHERE NOT j.out AND NOT EXISTS (
            SELECT 1 FROM persons p WHERE p.county_code = left(j.cbfbm, 6)
            AND p.id_type = j.id_type AND p.id_number = j.cyzjhm AND p.id_conflict_of IS NULL)
        ORDER BY j.id_type, j.cyzjhm, j.cbfbm, j.row_no"""))
    session.execute(sa.text("ANALYZE persons (id, county_code, id_type, id_number)"))
    run(session, _WHO)
    session.execute(sa.text("""
        INSERT INTO persons (id, county_code, name, sex, id_type, id_number, birth_date,
                             id_conflict_of)
        SELECT w.person_id, left(j.cbfbm, 6), left(j.cyxm, 50), j.sex, j.id_type, j.cyzjhm,
               j.birth_date, w.identity_id
        FROM hu_who w JOIN hu_jtcy j ON j.row_no = w.row_no WHERE w.is_new"""))
    session.execute(sa.text("""
        UPDATE persons p SET name = left(j.cyxm, 50), sex = j.sex
        FROM hu_who w JOIN hu_jtcy j ON j.row_no = w.row_no
        WHERE p.id = w.person_id AND NOT w.is_new
          AND (p.name, p.sex) IS DISTINCT FROM (left(j.cyxm, 50), j.sex)"""))


# which person each entering member row is: the identity where it lives (its household lists it),
# else the identity if it is free (no live household, or one of this package that no longer lists
# it) for the first listing by household code, else the duplicate this household listed before,
# else a new duplicate (its id drawn now, the row inserted next)
_WHO = """
CREATE TEMP TABLE hu_who ON COMMIT DROP AS
SELECT j.row_no, j.cbfbm, i.id AS identity_id, home.code AS identity_home,
       bool_or(home.code IS NOT DISTINCT FROM j.cbfbm) OVER (PARTITION BY i.id) AS at_home,
       min(j.cbfbm) OVER (PARTITION BY i.id) AS first_cbfbm, NULL::bigint AS person_id,
       false AS is_new
FROM hu_jtcy j JOIN persons i ON i.county_code = left(j.cbfbm, 6) AND i.id_type = j.id_type
     AND i.id_number = j.cyzjhm AND i.id_conflict_of IS NULL
LEFT JOIN household_members m ON m.person_id = i.id AND m.valid_to IS NULL
LEFT JOIN households home ON home.id = m.household_id
WHERE NOT j.out;
CREATE INDEX ON hu_who (row_no);
UPDATE hu_who w SET person_id = identity_id
WHERE identity_home = cbfbm OR NOT at_home AND cbfbm = first_cbfbm AND (identity_home IS NULL
      OR EXISTS (SELECT 1 FROM hu_hh hh WHERE hh.cbfbm = w.identity_home));
UPDATE hu_who w SET person_id = d.id FROM (
    SELECT DISTINCT ON (o.row_no) o.row_no, f.id
    FROM hu_who o JOIN persons f ON f.id_conflict_of = o.identity_id
    JOIN household_members m ON m.person_id = f.id
    JOIN households h ON h.id = m.household_id AND h.code = o.cbfbm
    WHERE o.person_id IS NULL
    ORDER BY o.row_no, m.valid_to IS NULL DESC, m.id DESC) d
WHERE w.row_no = d.row_no;
UPDATE hu_who SET person_id = nextval(pg_get_serial_sequence('persons', 'id')), is_new = true
WHERE person_id IS NULL;
ANALYZE hu_who"""


_SAME_MEMBER = ("m.household_id = w.household_id AND (m.relation, m.is_co_holder, m.remark_code, "
                "m.remark_text) IS NOT DISTINCT FROM (w.relation, w.co_holder, w.remark_code, "
                "w.remark_text)")


def enter_members(session: Session, params: dict) -> int:
    """Enter memberships as versions; return how many live ones the package no longer lists
    (closed)."""
    session.execute(sa.text("""
        CREATE TEMP TABLE hu_mem ON COMMIT DROP AS
        SELECT j.row_no, hh.household_id, p.id AS person_id, hh.is_new, hh.as_of,
               coalesce(j.yhzgx, '99') AS relation,
               coalesce(j.sfgyr NOT IN ('2', '否'), true) AS co_holder,
               j.cybz AS remark_code, left(j.cybzsm, 200) AS remark_text, m.id AS live_id,
               CASE WHEN m.id IS NULL THEN 'entered' ELSE 'changed' END AS fate
        FROM hu_jtcy j JOIN hu_hh hh ON hh.cbfbm = j.cbfbm
        JOIN hu_who who ON who.row_no = j.row_no JOIN persons p ON p.id = who.person_id
        LEFT JOIN household_members m ON m.person_id = p.id AND m.valid_to IS NULL
        WHERE NOT j.out"""))
    session.execute(sa.text("ANALYZE hu_mem"))
    session.execute(sa.text(f"""
        UPDATE hu_mem w SET fate = 'unchanged' FROM household_members m
        WHERE m.id = w.live_id AND {_SAME_MEMBER}"""))
    session.execute(sa.text(
        "UPDATE household_members m SET valid_to = :now FROM hu_mem w "
        "WHERE w.fate = 'changed' AND m.id = w.live_id"), params)
    gone = session.execute(sa.text("""
        UPDATE household_members m SET valid_to = :now FROM hu_hh hh
        WHERE m.household_id = hh.household_id AND m.valid_to IS NULL
          AND NOT EXISTS (SELECT 1 FROM hu_mem w WHERE w.person_id = m.person_id)"""),
        params).rowcount
    session.execute(sa.text("""
        INSERT INTO household_members (county_code, household_id, person_id, relation,
               is_co_holder, remark_code, remark_text, valid_from, registered_at, handup_id)
        SELECT x.county_code, w.household_id, w.person_id, w.relation, w.co_holder,
               w.remark_code, w.remark_text, t.at, t.at, :import_id
        FROM hu_mem w JOIN households x ON x.id = w.household_id
        CROSS JOIN LATERAL (SELECT CASE WHEN w.fate = 'entered' AND w.is_new THEN w.as_of
                                   ELSE :now END AS at) t
        WHERE w.fate <> 'unchanged'"""), params)
    _representatives(session)
    return gone


def _representatives(session: Session) -> None:
    """Name each household's representative: the member whose ID the CBF row gives, else the
    head (relation 01 or 02), else the first member."""
    session.execute(sa.text("""
        UPDATE households x SET representative_id = r.person_id FROM (
            SELECT DISTINCT ON (h.cbfbm) h.cbfbm, w.person_id
            FROM hu_cbf h JOIN hu_jtcy j ON j.cbfbm = h.cbfbm AND NOT j.out
            JOIN hu_mem w ON w.row_no = j.row_no
            WHERE NOT h.out
            ORDER BY h.cbfbm, (j.cyzjhm = h.cbfzjhm) IS TRUE DESC,
                     (j.yhzgx IN ('01', '02')) IS TRUE DESC, j.row_no) r
        WHERE x.county_code = left(r.cbfbm, 6) AND x.code = r.cbfbm
          AND x.representative_id IS DISTINCT FROM r.person_id"""))
