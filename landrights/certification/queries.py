"""Named reads of the confirmation workflow: notices and their printable lists, objections,
certificates, and progress per county, township and collective."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import to_shape
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.permissions import (
    Actor,
    covers,
    is_household_account,
    require_area,
    require_certificate_issuer,
    require_login,
)
from landrights.certification import permissions, rules
from landrights.certification.models import Certificate, Claim, Notice, NoticeEntry, Objection
from landrights.db import local_settings
from landrights.errors import DomainError, Forbidden, NotFound, ValidationFailed, forbidden
from landrights.geo.area import display_mu
from landrights.registry import rules as registry_rules
from landrights.registry.models import (
    AdminUnit,
    Collective,
    Contract,
    Household,
    HouseholdMember,
    Parcel,
    Person,
)


def _in_area(actor: Actor, code_column):
    prefix = permissions.notice_scope(actor)  # a farmer: the notices of the own collective
    if prefix is None:
        return sa.false()
    return code_column.startswith(prefix)


def list_notices(session: Session, actor: Actor, *, collective: str | None = None) -> list[dict]:
    """Return the notices in the actor's area, newest first, each with its collective's name,
    whether it is up now, and whether it shows the actor's own household (a farmer's)."""
    require_login(actor)
    query = (sa.select(Notice, Collective.name)
             .join(Collective, sa.and_(Collective.county_code == Notice.county_code,
                                       Collective.code == Notice.collective_code))
             .where(_in_area(actor, Notice.collective_code)))
    if collective:
        query = query.where(Notice.collective_code == collective)
    rows = session.execute(query.order_by(Notice.opened_at.desc(), Notice.id.desc())).all()
    mine = set(session.scalars(sa.select(NoticeEntry.notice_id).where(
        NoticeEntry.household_code == actor.household_code, NoticeEntry.parcel_code.is_(None)))) \
        if actor.household_code else set()
    now = clock.now()
    return [{"notice": n, "collective_name": name, "is_open": n.opened_at <= now < n.closes_at,
             "shows_mine": n.id in mine} for n, name in rows]


def household_notice(session: Session, actor: Actor) -> dict | None:
    """Return what a farmer's home page says about the household's public notice: the notice of
    its collective that is up now (and whether it shows the household), or, once it closed,
    that the result waits for the household's confirmation (R5.3, R5.5); None otherwise."""
    if not is_household_account(actor) or not actor.household_code:
        return None
    code, now = actor.household_code, clock.now()
    found = session.execute(
        sa.select(Notice, Collective.name)
        .join(Collective, sa.and_(Collective.county_code == Notice.county_code,
                                  Collective.code == Notice.collective_code))
        .where(Notice.collective_code == code[:14], Notice.opened_at <= now, Notice.closes_at > now)
        .order_by(Notice.opened_at.desc()).limit(1)).first()
    if found is not None:
        shows = session.scalar(sa.select(NoticeEntry.id).where(
            NoticeEntry.notice_id == found[0].id, NoticeEntry.household_code == code).limit(1))
        return {"state": "on_notice" if shows else "collective_on_notice", "notice": found[0],
                "collective_name": found[1]}
    from landrights.certification.services import household_state

    state = household_state(session, code)
    if state.blocked is None and state.confirmable:
        return {"state": "to_confirm", "household_code": code, "count": len(state.confirmable)}
    return None


def objection_choices(session: Session, actor: Actor, found: dict) -> list[dict]:
    """Return what the actor may object to on a notice (R5.4), household by household: the
    household record and its parcels, each parcel named by 地块名称 and area. A farmer gets the
    own household and the parcels whose four sides name a member (a neighbour's); the collective
    and the township officer every household; anyone else nothing."""
    rows = found["households"]
    if is_household_account(actor):
        groups = _farmer_choices(session, actor, rows)
    elif permissions.can_object_to_any_household(actor):
        groups = [{"household": r["household"], "record": True, "parcels": r["parcels"]} for r in rows]
    else:
        groups = []
    for group in groups:
        group["labels"] = parcel_labels(group["parcels"])
    return groups


def _farmer_choices(session: Session, actor: Actor, rows: list[dict]) -> list[dict]:
    """Return a farmer's choices: the own household's record and parcels, and each other
    household's parcels whose four sides name a member of the farmer's household (R5.4)."""
    names = _member_names(session, actor.household_code)
    groups = [{"household": r["household"], "record": True, "parcels": r["parcels"]}
              for r in rows if r["household"].code == actor.household_code]
    for row in rows:
        if row["household"].code == actor.household_code:
            continue
        near = _neighbouring(row["parcels"], names)
        if near:
            groups.append({"household": row["household"], "record": False, "parcels": near})
    return groups


def _neighbouring(parcels: list[Parcel], names: set[str]) -> list[Parcel]:
    """Return the parcels whose four sides (四至) name one of NAMES."""
    if not names:
        return []
    return [p for p in parcels if rules.names_neighbour((p.east, p.south, p.west, p.north), names)]


def parcel_labels(parcels: list[Parcel]) -> dict[str, str]:
    """Name each parcel as people know it: 地块名称 and area in mu; the code's last digits only
    where two would read alike."""
    unnamed, mu = _l("unnamed parcel"), _l("mu")  # outside the f-strings, where pybabel finds them
    plain = {p.code: f"{p.name or unnamed} · {display_mu(p.area_m2)} {mu}" for p in parcels}
    seen = list(plain.values())
    return {code: label if seen.count(label) == 1 else
            f"{label} · {_l('code ending %(c)s', c=code[-5:])}" for code, label in plain.items()}


def live_parcel_labels(session: Session, codes) -> dict[str, str]:
    """Return the labels (parcel_labels) of the live parcels with these codes."""
    return parcel_labels(list(session.scalars(sa.select(Parcel).where(
        Parcel.code.in_(list(codes)), Parcel.valid_to.is_(None)))))


def _member_names(session: Session, household_code: str | None) -> set[str]:
    if not household_code:
        return set()
    return set(session.scalars(
        sa.select(Person.name).join(HouseholdMember, HouseholdMember.person_id == Person.id)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(Household.code == household_code, HouseholdMember.valid_to.is_(None))))


def get_notice(session: Session, actor: Actor, notice_id: int) -> dict:
    """Return a notice with its households, members (ID numbers masked), parcels and objections.

    Raises:
        Unauthenticated: anonymous. Forbidden: no such notice in the actor's collective or area
            (one answer for an unknown number and another area's notice).
    """
    require_login(actor)
    notice = session.get(Notice, notice_id)
    if notice is None or not permissions.can_see_notices(actor, notice.collective_code):
        raise unseen_notice()
    collective = session.scalar(sa.select(Collective).where(Collective.code == notice.collective_code))
    parcels = _notice_parcels(session, notice)
    rows = _notice_households(session, notice, parcels)
    objections = list(session.scalars(sa.select(Objection).where(Objection.notice_id == notice_id)
                                      .order_by(Objection.id)))
    return {"notice": notice, "collective": collective, "households": rows, "objections": objections,
            "labels": parcel_labels(list(parcels.values())),
            "is_open": notice.opened_at <= clock.now() < notice.closes_at,
            "area_m2": sum(float(p.area_m2) for p in parcels.values())}


def _notice_parcels(session: Session, notice: Notice) -> dict[int, Parcel]:
    """Return {id: parcel} of the parcels a notice lists."""
    ids = [e.parcel_id for e in notice.entries if e.parcel_id]
    return {p.id: p for p in session.scalars(sa.select(Parcel).where(Parcel.id.in_(ids)))}


def _notice_members(session: Session, notice: Notice) -> dict[int, tuple[HouseholdMember, Person]]:
    """Return {member id: (member, person)} of the members a notice lists."""
    member_ids = [i for e in notice.entries if e.member_ids for i in e.member_ids]
    return {m.id: (m, p) for m, p in session.execute(
        sa.select(HouseholdMember, Person).join(Person, Person.id == HouseholdMember.person_id)
        .where(HouseholdMember.id.in_(member_ids))).all()}


def _notice_households(session: Session, notice: Notice, parcels: dict[int, Parcel]) -> list[dict]:
    """Return a row per household entry of a notice: the household, its members (masked), its parcels."""
    households = {h.code: h for h in session.scalars(sa.select(Household).where(
        Household.code.in_({e.household_code for e in notice.entries})))}
    members = _notice_members(session, notice)
    parcel_entries = [e for e in notice.entries if e.parcel_id]
    return [_household_row(households[entry.household_code], entry, members, parcels, parcel_entries)
            for entry in notice.entries if entry.parcel_code is None]


def _household_row(household: Household, entry: NoticeEntry, members: dict, parcels: dict[int, Parcel],
                   parcel_entries: list[NoticeEntry]) -> dict:
    """Return one household of a notice with its members (masked) and parcels."""
    return {
        "household": household,
        "members": [_member_row(*members[i]) for i in entry.member_ids if i in members],
        "parcels": [parcels[e.parcel_id] for e in parcel_entries if e.household_code == household.code],
    }


def unseen_notice() -> Forbidden:
    """Return the one refusal for a notice number unknown or outside the actor's area."""
    return Forbidden(_l("There is no notice with this number that you may see."), field="notice_id")


def _member_row(member: HouseholdMember, person: Person) -> dict:
    return {"name": person.name, "relation": registry_rules.RELATIONS.get(member.relation, member.relation),
            "id_number": registry_rules.mask_id_number(person.id_number),  # public list: masked (R5.3)
            "co_holder": member.is_co_holder,
            "remark": registry_rules.MEMBER_REMARKS.get(member.remark_code or "", member.remark_text or "")}


def notice_shapes(session: Session, notice: dict) -> list:
    """Return (code, shapely geometry) of every parcel on a notice, for its map sheet."""
    return [(p.code, to_shape(p.geom)) for row in notice["households"] for p in row["parcels"]]


def get_objection(session: Session, actor: Actor, objection_id: int) -> Objection:
    """Return one objection in the actor's area.

    Raises:
        Unauthenticated: anonymous. Forbidden: no such objection that the actor may see (one
            answer for an unknown number and another's objection).
    """
    require_login(actor)
    objection = session.get(Objection, objection_id)
    if objection is None or not _sees_objection(actor, objection):
        raise unseen_objection()
    return objection


def objection_page(session: Session, actor: Actor, objection_id: int) -> dict:
    """Return an objection with what it is against named as people know it: the household's
    name and the parcel's 地块名称 and area (as the notice showed it).

    Raises:
        Unauthenticated: anonymous. Forbidden: no such objection that the actor may see.
    """
    objection = get_objection(session, actor, objection_id)
    household = session.scalar(sa.select(Household.name).where(Household.code == objection.household_code))
    parcel = session.scalar(
        sa.select(Parcel).join(NoticeEntry, NoticeEntry.parcel_id == Parcel.id)
        .where(NoticeEntry.notice_id == objection.notice_id,
               NoticeEntry.parcel_code == objection.parcel_code)) if objection.parcel_code else None
    return {"o": objection, "household_name": household or "",
            "parcel_label": parcel_labels([parcel])[parcel.code] if parcel else ""}


def may_see_objection(actor: Actor, objection: Objection) -> bool:
    """Tell whether the actor may open an objection (its page answers 403 otherwise)."""
    return _sees_objection(actor, objection)


def _sees_objection(actor: Actor, objection: Objection) -> bool:
    return permissions.can_see_objection(actor, objection.household_code, objection.filed_by)


def unseen_objection() -> Forbidden:
    """Return the one refusal for an objection number unknown or not the actor's to see."""
    return Forbidden(_l("There is no objection with this number that you may see."),
                     field="objection_id")


def certificates_of(session: Session, actor: Actor, code: str) -> list[Certificate]:
    """Return every certificate ever issued for a contract code, newest first.

    Raises:
        Forbidden: outside the actor's area (a farmer: the own household).
    """
    require_area(actor, code)
    return list(session.scalars(sa.select(Certificate).where(Certificate.code == code)
                                .order_by(Certificate.serial.desc())))


def certificate_page(session: Session, actor: Actor, code: str) -> dict:
    """Return a contract's certificates, newest first, the one in force, and the acts that apply
    to them for this actor (none unless the county administrator: R3.3, R5.8).

    Raises:
        Forbidden: outside the actor's area (a farmer: the own household).
    """
    items = certificates_of(session, actor, code)
    try:
        require_certificate_issuer(actor, code)
        actions = rules.certificate_actions([c.status for c in items])
    except DomainError:
        actions = ()
    return {"items": items, "in_force": next((c for c in items if c.status == "valid"), None),
            "cancelled": bool(items) and all(c.status != "valid" for c in items),
            "actions": actions, "household_code": code[:18]}


def get_certificate(session: Session, actor: Actor, code: str, serial: int) -> Certificate:
    """Return one certificate in the actor's area.

    Raises:
        NotFound: no such certificate. Forbidden: outside the area.
    """
    require_area(actor, code)
    certificate = session.scalar(sa.select(Certificate).where(Certificate.code == code,
                                                              Certificate.serial == serial))
    if certificate is None:
        raise NotFound(_l("No certificate %(code)s no. %(serial)s.", code=code, serial=serial),
                       field="code")
    return certificate


STAGES = ("surveyed", "on_notice", "objected", "confirmed", "certified")

# One row per live parcel that a claim, a live contract or an open notice names, with the furthest
# stage it reached; households take their parcels' stage, lowered by an open objection against the
# household record. Every other live parcel is surveyed and has no household (an objection needs
# one): those are counted from the village overviews (migration 0012), which hold each village's
# exact live count and area, so an area's untouched parcels cost a row per village, not a parcel
# each: 63-84 ms for a county of 100,000 parcels none of which is claimed yet, against 235-267 ms
# reading them one by one (when every parcel is claimed: 429-466 ms, against 457-679 ms).
_PROGRESS = sa.text("""
WITH holder AS (  -- one live contract's household per parcel code (any one, as claims hold most)
    SELECT DISTINCT ON (cp.parcel_code) cp.parcel_code, k.household_code
    FROM contracts k JOIN contract_parcels cp ON cp.contract_id = k.id
    WHERE k.valid_to IS NULL AND cp.parcel_code LIKE :prefix || '%'
    ORDER BY cp.parcel_code, k.household_code
), contracted AS (  -- parcel versions in a live contract, and whether one of those is certified
    SELECT cp.parcel_id, bool_or(z.id IS NOT NULL) AS certified
    FROM contracts k JOIN contract_parcels cp ON cp.contract_id = k.id
    LEFT JOIN certificates z ON z.contract_id = k.id AND z.status = 'valid'
    WHERE k.valid_to IS NULL AND cp.parcel_code LIKE :prefix || '%'
    GROUP BY cp.parcel_id
), touched AS (  -- each parcel code a claim, a live contract or an open notice names, once, with
                 -- its claim's household: one claim per parcel (uq_claims_county_code_parcel_code,
                 -- whose county is the parcel code's: ck_claims_county_prefix, _same_collective)
    SELECT parcel_code AS code, household_code AS claimed FROM claims
    WHERE parcel_code LIKE :prefix || '%'
    UNION ALL
    SELECT x.code, NULL FROM (SELECT parcel_code AS code FROM holder
                              UNION SELECT p.code FROM notice_entries e
                                    JOIN notices n ON n.id = e.notice_id JOIN parcels p ON p.id = e.parcel_id
                                    WHERE n.closes_at > :now AND p.code LIKE :prefix || '%') x
    WHERE NOT EXISTS (SELECT 1 FROM claims c WHERE c.county_code = left(x.code, 6)
                      AND c.parcel_code = x.code)
), live AS (
    SELECT p.id, p.code, p.collective_code, p.area_m2, coalesce(t.claimed, h.household_code)
           AS household_code
    FROM touched t
    JOIN parcels p ON p.county_code = left(t.code, 6) AND p.code = t.code AND p.valid_to IS NULL
    LEFT JOIN holder h ON h.parcel_code = p.code
), staged AS (
    -- set-based: hash joins and hashed subplans, not a probe per parcel
    SELECT l.*, CASE
        WHEN k.certified THEN 'certified'
        WHEN k.parcel_id IS NOT NULL THEN 'confirmed'
        WHEN (l.household_code, l.code) IN (SELECT household_code, parcel_code FROM objections
                                            WHERE status = 'open')
             OR l.household_code IN (SELECT household_code FROM objections
                                     WHERE status = 'open' AND parcel_code IS NULL) THEN 'objected'
        WHEN l.id IN (SELECT e.parcel_id FROM notice_entries e JOIN notices n ON n.id = e.notice_id
                      WHERE n.closes_at > :now) THEN 'on_notice'
        ELSE 'surveyed' END AS stage
    FROM live l LEFT JOIN contracted k ON k.parcel_id = l.id
), households AS (
    SELECT household_code, min(collective_code) AS collective_code,
           (ARRAY['surveyed', 'on_notice', 'objected', 'confirmed', 'certified'])[
               min(array_position(ARRAY['surveyed', 'on_notice', 'objected', 'confirmed',
                                        'certified'], stage))] AS stage,
           sum(area_m2) AS area_m2
    FROM staged WHERE household_code IS NOT NULL GROUP BY household_code
), by_stage AS (
    SELECT collective_code, stage, count(*) AS n, sum(area_m2) AS area_m2
    FROM staged GROUP BY collective_code, stage
), untouched AS (  -- per village: its live parcels less the touched ones
    SELECT o.collective_code, o.parcels - coalesce(t.n, 0) AS n,
           o.area_m2 - coalesce(t.area_m2, 0) AS area_m2
    FROM parcel_overviews o
    LEFT JOIN (SELECT collective_code, sum(n)::bigint AS n, sum(area_m2) AS area_m2 FROM by_stage
               GROUP BY collective_code) t ON t.collective_code = o.collective_code
    WHERE o.collective_code LIKE :prefix || '%'
)
SELECT 'parcels' AS what, collective_code, stage, n, area_m2 FROM by_stage
UNION ALL
SELECT 'households', collective_code, stage, count(*), sum(area_m2)
FROM households GROUP BY collective_code, stage
UNION ALL
SELECT 'parcels', collective_code, 'surveyed', n, area_m2 FROM untouched WHERE n > 0
""")


def progress(session: Session, actor: Actor, *, area: str | None = None) -> list[dict]:
    """Return confirmation progress per county, township and collective: households and parcels
    surveyed / on notice / objected / confirmed / certified, with areas in m².

    Raises:
        Forbidden: an area outside the actor's jurisdiction (farmers and the public see none).
    """
    require_login(actor)
    if not permissions.can_see_progress(actor):
        raise forbidden()
    if area and not covers(actor, area):
        raise forbidden()
    prefix = area or actor.area_prefix
    if len(prefix) > 14:  # the untouched parcels are counted per village
        raise ValidationFailed(_l("The place must be a county, a township or a collective: its code "
                                  "has 6, 9 or 14 digits."), field="area")
    # planned for this area each time (7 ms): a generic plan, which psycopg's prepared statement
    # gets after a few runs on a pooled connection, cannot size the area's touched parcels and
    # probed the parcels' index once for each of them (0.9 s instead of 0.7 s at 100,000 claimed
    # parcels)
    with local_settings(session, plan_cache_mode="force_custom_plan"):
        rows = session.execute(_PROGRESS, {"prefix": prefix, "now": clock.now()}).all()
    names = dict(session.execute(sa.select(AdminUnit.code, AdminUnit.name)
                                 .where(AdminUnit.code.startswith(prefix[:6]))).all())
    names |= dict(session.execute(sa.select(Collective.code, Collective.name)
                                  .where(Collective.code.startswith(prefix[:6]))).all())
    rows = _roll_up(rows, names)
    for row in rows:  # a clerk's page sums its collective into the county's and township's rows,
        row["yours"] = covers(actor, row["code"])  # which it may not open: no link to a 403
    return rows


def _roll_up(rows, names: dict) -> list[dict]:
    table: dict[tuple[int, str], dict] = {}
    for what, collective, stage, n, area in rows:
        for level, length in ((1, 6), (2, 9), (3, 14)):
            code = collective[:length]
            row = table.setdefault((level, code), _empty(level, code, names.get(code, code)))
            row[what][stage] += n
            row[what + "_area_m2"][stage] += float(area or 0)
    return [table[k] for k in sorted(table, key=lambda k: (k[1], k[0]))]


def _empty(level: int, code: str, name: str) -> dict:
    return {"level": ("county", "township", "collective")[level - 1], "code": code, "name": name,
            "parcels": dict.fromkeys(STAGES, 0), "households": dict.fromkeys(STAGES, 0),
            "parcels_area_m2": dict.fromkeys(STAGES, 0.0), "households_area_m2": dict.fromkeys(STAGES, 0.0)}


# the order a household's status is told in (the officer's household list): what needs the officer first
HOUSEHOLD_STATUSES = ("objected", "on_notice", "certified", "confirmed", "surveyed", "none")


def household_statuses(session: Session, codes: list[str]) -> dict[str, dict]:
    """Return each household's status and, on public notice, when its notice closes: five small
    queries for a page of households, each down an index whatever the size of the area (a
    contract's and a certificate's code is the household's and J or Q; a claim's parcel code starts
    with the household's collective; open notices are few)."""
    if not codes:
        return {}
    households = [(code[:6], code) for code in codes]
    contracts = [(code[:6], code + suffix) for code in codes for suffix in "JQ"]
    objected = set(session.scalars(sa.select(Objection.household_code).where(
        sa.tuple_(Objection.county_code, Objection.household_code).in_(households),
        Objection.status == "open")))
    on_notice = dict(session.execute(
        sa.select(NoticeEntry.household_code, sa.func.max(Notice.closes_at)).join(Notice)
        .where(Notice.closes_at > clock.now(), NoticeEntry.household_code.in_(codes))
        .group_by(NoticeEntry.household_code)).all())
    certified = {code[:18] for code in session.scalars(sa.select(Certificate.code).where(
        sa.tuple_(Certificate.county_code, Certificate.code).in_(contracts), Certificate.status == "valid"))}
    confirmed = set(session.scalars(sa.select(Contract.household_code).where(
        sa.tuple_(Contract.county_code, Contract.code).in_(contracts), Contract.valid_to.is_(None),
        Contract.status == "registered")))
    held = {"objected": objected, "on_notice": set(on_notice), "certified": certified,
            "confirmed": confirmed, "surveyed": _claiming(session, codes)}
    return {code: _household_status(code, held, on_notice) for code in codes}


def _claiming(session: Session, codes: list[str]) -> set[str]:
    """Return the households that claim a parcel (down the index of their collectives' codes)."""
    return set(session.scalars(sa.select(Claim.household_code).where(
        sa.or_(*(sa.and_(Claim.county_code == c[:6], Claim.parcel_code.startswith(c))
                 for c in {code[:14] for code in codes})), Claim.household_code.in_(codes))))


def _household_status(code: str, held: dict[str, set], on_notice: dict) -> dict:
    """Return a household's first status in HOUSEHOLD_STATUSES order and, on notice, when the notice
    closes."""
    status = next((s for s in HOUSEHOLD_STATUSES[:-1] if code in held[s]), "none")
    return {"status": status, "until": on_notice.get(code) if status == "on_notice" else None}
