"""Find households at the officer's desk: by the head's or a member's name, a member's ID number, or
the household code (or the first digits of it: a collective's 14), each with what the caller adds
about it (the pages: where it stands in the confirmation of rights, certification.queries)."""
from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights.registry.models import Collective, Household, HouseholdMember, Person
from landrights.registry.queries import Page, household_scope

_DOCUMENT_NUMBER = re.compile(r"[0-9A-Za-z-]{5,30}")  # an ID card's or another document's number (R4.26)


def find_households(session: Session, actor, *, q: str | None = None, collective: str | None = None,
                    limit: int = 50, offset: int = 0,
                    statuses: Callable[[Session, list[str]], dict[str, dict]] | None = None) -> Page:
    """Return a page of the households in the actor's area matching q, by code, each as a dict
    with its collective's name and what `statuses(session, codes)` says of it ({code: {key: value}},
    e.g. certification.queries.household_statuses).

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
    said = statuses(session, codes) if statuses else {}
    items = [{"code": h.code, "name": h.name, "collective_code": h.collective_code,
              "collective_name": names.get(h.collective_code), **said.get(h.code, {})} for h in found]
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
