"""Find households at the officer's desk: by the head's or a member's name, a member's ID number, or
the household code (or the first digits of it: a collective's 14), each with where it stands in the
confirmation of rights (surveyed, on public notice, objected, confirmed, certificate issued)."""
from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights import clock
from landrights.certification.models import Certificate, Claim, Notice, NoticeEntry, Objection
from landrights.registry.models import Collective, Contract, Household, HouseholdMember, Person
from landrights.registry.queries import Page, household_scope

# the order a household's status is told in: what needs the officer first
STATUSES = ("objected", "on_notice", "certified", "confirmed", "surveyed", "none")
_DOCUMENT_NUMBER = re.compile(r"[0-9A-Za-z-]{5,30}")  # an ID card's or another document's number (R4.26)


def find_households(session: Session, actor, *, q: str | None = None, collective: str | None = None,
                    limit: int = 50, offset: int = 0) -> Page:
    """Return a page of the households in the actor's area matching q, by code, each as a dict
    with its collective's name and its status.

    Raises:
        Unauthenticated: anonymous.
    """
    where = [household_scope(actor)]
    if collective:
        where.append(Household.collective_code == collective)
    if (q or "").strip():
        where.append(_matching(q.strip()))
    total = session.scalar(sa.select(sa.func.count()).select_from(Household).where(*where))
    found = list(session.scalars(sa.select(Household).where(*where).order_by(Household.code)
                                 .limit(limit).offset(offset)))
    codes = [h.code for h in found]
    names = dict(session.execute(sa.select(Collective.code, Collective.name).where(
        Collective.code.in_({h.collective_code for h in found}))).all()) if found else {}
    statuses = household_statuses(session, codes)
    items = [{"code": h.code, "name": h.name, "collective_code": h.collective_code,
              "collective_name": names.get(h.collective_code), **statuses[h.code]} for h in found]
    return Page(items=items, total=total, limit=limit, offset=offset)


def _matching(q: str):
    """The households q names: a code (or its first digits), a member's document number, or a part
    of the head's or a live member's name. One IN over a UNION of searches, each down an index
    (migration 0026): an OR across the two tables would read every household."""
    found = []
    if q.isdigit():
        found.append(sa.select(Household.id).where(Household.code.startswith(q, autoescape=True)))
    if _DOCUMENT_NUMBER.fullmatch(q) and any(ch.isdigit() for ch in q):
        found.append(_members_where(Person.id_number == q.upper()))
    if not q.isdigit():
        found += [sa.select(Household.id).where(_name_like(Household.name, q)),
                  _members_where(_name_like(Person.name, q))]
    return Household.id.in_(found[0] if len(found) == 1 else sa.union(*found))


def _name_like(column, q: str):
    """A part of a name, as pg_trgm's index serves it (migration 0026): any part of three characters
    or more; of two, the name's start or end (a family name, a given name, a whole two-character
    name); of one, its start (a family name). A wildcard typed is a character, not "any"."""
    typed = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if len(q) >= 3:
        patterns = [f"%{typed}%"]
    else:
        patterns = [f"{typed}%", f"%{typed}"] if len(q) == 2 else [f"{typed}%"]
    return sa.or_(*(column.ilike(p, escape="\\") for p in patterns))


def _members_where(condition) -> sa.Select:
    return (sa.select(HouseholdMember.household_id).join(Person, Person.id == HouseholdMember.person_id)
            .where(HouseholdMember.valid_to.is_(None), condition))


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
            "confirmed": confirmed, "surveyed": _surveyed(session, codes)}
    return {code: _status(code, held, on_notice) for code in codes}


def _surveyed(session: Session, codes: list[str]) -> set[str]:
    """Return the households that claim a parcel (down the index of their collectives' codes)."""
    return set(session.scalars(sa.select(Claim.household_code).where(
        sa.or_(*(sa.and_(Claim.county_code == c[:6], Claim.parcel_code.startswith(c))
                 for c in {code[:14] for code in codes})), Claim.household_code.in_(codes))))


def _status(code: str, held: dict[str, set], on_notice: dict) -> dict:
    """Return a household's first status in STATUSES order and, on notice, when the notice closes."""
    status = next((s for s in STATUSES[:-1] if code in held[s]), "none")
    return {"status": status, "until": on_notice.get(code) if status == "on_notice" else None}
