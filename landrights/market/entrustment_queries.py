"""Named reads of entrustments (流转委托书, R2.4) for the pages: a household's entrustments, those
naming the reader as agent (its home page), one entrustment with what the reader may do on it, and
the choices of the entrustment form (the collective's clerks, the parcels by name and area)."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.models import User
from landrights.accounts.permissions import Actor, covers, require_area, require_login
from landrights.errors import Forbidden, forbidden
from landrights.market import permissions
from landrights.market.entrustments import may_revoke, status_of
from landrights.market.models import Entrustment, Listing, ListingParcel, TransferContract
from landrights.registry.models import Contract, ContractParcel, Household, Parcel

LIVE = ("awaiting_agent", "not_yet", "in_force")  # not revoked, not past its term


def household_entrustments(session: Session, actor: Actor, household_code: str) -> dict:
    """Return the household's entrustments, newest first, and whether the actor may add one.

    Raises:
        Unauthenticated: anonymous. Forbidden: not the household nor an official of its area.
    """
    require_area(actor, household_code)
    query = _rows().where(Entrustment.household_code == household_code).order_by(Entrustment.id.desc())
    return {"rows": _described(session, actor, session.execute(query).all()),
            "may_entrust": permissions.can_entrust(actor, household_code)}


def entrusted_to(session: Session, actor: Actor) -> list[dict]:
    """Return the entrustments naming the actor as agent that are not revoked nor past their term:
    those waiting for its acceptance first (its home page)."""
    if actor.user_id is None:
        return []
    query = _rows().where(Entrustment.agent_user_id == actor.user_id, Entrustment.revoked_at.is_(None),
                          Entrustment.valid_to >= clock.today())
    rows = _described(session, actor, session.execute(query.order_by(Entrustment.id.desc())).all())
    return sorted(rows, key=lambda r: r["status"] != "awaiting_agent")


def get_entrustment(session: Session, actor: Actor, entrustment_id: int) -> dict:
    """Return one entrustment to its household, its agent and the officials of the household's area.

    Raises:
        Unauthenticated: anonymous. Forbidden: anyone else, and an unknown number (one answer).
    """
    require_login(actor)
    found = session.execute(_rows().where(Entrustment.id == entrustment_id)).first()
    if found is None or not (actor.user_id is not None and found[0].agent_user_id == actor.user_id
                             or covers(actor, found[0].household_code)):
        raise Forbidden(_l("There is no entrustment with this number that you may see."),
                        field="entrustment_id")
    return _described(session, actor, [found])[0]


def _rows() -> sa.Select:
    return (sa.select(Entrustment, User.display_name, User.username, User.role, Household.name)
            .join(User, User.id == Entrustment.agent_user_id)
            .join(Household, Household.code == Entrustment.household_code))


def _described(session: Session, actor: Actor, rows) -> list[dict]:
    names = _parcel_names(session, {c for row in rows for c in row[0].parcel_codes})
    today = clock.today()
    return [{"id": e.id, "household_code": e.household_code, "household_name": household,
             "agent_name": agent, "agent_username": username, "agent_role": role,
             "parcels": [{"code": c, **names.get(c, {"name": None, "area_m2": None})}
                         for c in e.parcel_codes],
             "acts": e.acts, "scope": e.scope, "valid_from": e.valid_from, "valid_to": e.valid_to,
             "transfer_until": e.transfer_until, "min_price": e.min_price, "method": e.consent_method,
             "household_signed_at": e.household_signed_at, "agent_signed_at": e.agent_signed_at,
             "revoked_at": e.revoked_at, "revocation_reason": e.revocation_reason,
             "status": (status := status_of(e, today)), "is_agent": actor.user_id == e.agent_user_id,
             "may": {"accept": status == "awaiting_agent" and actor.user_id == e.agent_user_id,
                     "revoke": status in LIVE and may_revoke(actor, e)}}
            for e, agent, username, role, household in rows]


def _parcel_names(session: Session, codes: set[str]) -> dict[str, dict]:
    if not codes:
        return {}
    rows = session.execute(sa.select(Parcel.code, Parcel.name, Parcel.area_m2)
                           .where(Parcel.code.in_(codes), Parcel.valid_to.is_(None)))
    return {code: {"name": name, "area_m2": area} for code, name, area in rows}


def entrust_form(session: Session, actor: Actor, household_code: str) -> dict:
    """Return what the entrustment form offers: the household, its contract's end, its parcels by
    name and area (with the end of a transfer running on one), and the clerks of its collective.

    Raises:
        Unauthenticated: anonymous. Forbidden: neither the household nor the township officer of
            its area (one answer for an unknown code).
    """
    require_login(actor)
    if not permissions.can_entrust(actor, household_code):
        raise forbidden()
    household = session.scalar(sa.select(Household).where(Household.code == household_code))
    contract = session.scalar(sa.select(Contract).where(Contract.household_code == household_code,
                                                        Contract.valid_to.is_(None),
                                                        Contract.status == "registered"))
    if household is None:
        raise forbidden()
    clerks = session.execute(sa.select(User.username, User.display_name).where(
        User.role == "collective_clerk", User.is_active, User.collective_code == household_code[:14])
        .order_by(User.display_name)).all()
    return {"household": household, "contract_end": contract.term_end if contract else None,
            "parcels": _contract_parcels(session, contract) if contract else [],
            "clerks": [{"username": u, "name": n} for u, n in clerks]}


def _contract_parcels(session: Session, contract: Contract) -> list[dict]:
    leased = _leased_until(session, contract.household_code)
    rows = session.execute(
        sa.select(ContractParcel.parcel_code, Parcel.name, ContractParcel.confirmed_area_m2)
        .join(Parcel, Parcel.id == ContractParcel.parcel_id)
        .where(ContractParcel.contract_id == contract.id).order_by(Parcel.name, ContractParcel.parcel_code))
    return [{"code": code, "name": name, "area_m2": area, "leased_until": leased.get(code)}
            for code, name, area in rows]


def _leased_until(session: Session, household_code: str) -> dict[str, date]:
    """The last day of the filed transfer running on each parcel (it cannot be listed till then)."""
    today, until = clock.today(), {}
    for codes, term in session.execute(sa.select(TransferContract.parcel_codes, TransferContract.term).where(
            TransferContract.household_code == household_code, TransferContract.status == "filed")):
        last = term.upper - timedelta(days=1)
        if last >= today:
            until |= {c: max(last, until.get(c, last)) for c in codes}
    return until


def entrusted_land(session: Session, actor: Actor, entrustment_id: int) -> dict:
    """Return what the agent lists for the household under its entrustment (R2.4): the entrustment,
    the parcels it covers by name and area (with a running lease's last day and an open listing's
    number), the latest end of a rental it allows, the listings made under it, and why the agent
    may not list now ('revoked', 'expired', 'not_yet', 'awaiting_agent', 'not_entrusted'), or None.

    Raises:
        Unauthenticated: anonymous. Forbidden: not its agent (an unknown number alike).
    """
    from landrights.market.queries import listing_dict

    require_login(actor)
    found = session.execute(_rows().where(Entrustment.id == entrustment_id)).first()
    if found is None or actor.user_id is None or found[0].agent_user_id != actor.user_id:
        raise Forbidden(_l("There is no entrustment with this number that you may see."),
                        field="entrustment_id")
    entrustment, described = found[0], _described(session, actor, [found])[0]
    contract = session.scalar(sa.select(Contract).where(Contract.household_code == entrustment.household_code,
                                                        Contract.valid_to.is_(None),
                                                        Contract.status == "registered"))
    covered = set(entrustment.parcel_codes)
    listed = _open_listing_of(session, covered)
    parcels = [p | {"listing_id": listed.get(p["code"])}
               for p in (_contract_parcels(session, contract) if contract else []) if p["code"] in covered]
    made = session.scalars(sa.select(Listing).where(Listing.entrustment_id == entrustment.id)
                           .order_by(Listing.id.desc()))
    return {"e": described, "parcels": parcels, "listings": [listing_dict(x) for x in made],
            "latest": min(entrustment.transfer_until, contract.term_end) if contract else None,
            "refusal": _why_not_list(described)}


def _why_not_list(described: dict) -> str | None:
    """Why the agent may not list under the entrustment today, or None: not in force (revoked,
    past its term, not yet begun, not accepted), or listing not among the acts entrusted."""
    if described["status"] != "in_force":
        return described["status"]
    return None if "list" in described["acts"] else "not_entrusted"


def _open_listing_of(session: Session, codes: set[str]) -> dict[str, int]:
    """The listing each of these parcels is listed in now (open, or awarded and not yet filed), by
    parcel code."""
    if not codes:
        return {}
    return dict(session.execute(sa.select(ListingParcel.parcel_code, ListingParcel.listing_id).where(
        ListingParcel.parcel_code.in_(codes), ListingParcel.status == "listed")).all())
