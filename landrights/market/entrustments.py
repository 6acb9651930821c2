"""流转委托书 (R2.4): a household entrusts an agent's account with some acts on some parcels for a
term. Without a written entrustment nobody may transfer the household's land, so every act an
agent does passes ``require_agent_for`` at the moment it is done: signed by both, in its term,
not revoked, for these parcels and this act, and within its authority (``within_authority``).

Who may be an agent (R2.4 names the 发包方, an intermediary or another person): the clerk of the
household's own collective (the 发包方), another household's account (a relative, a neighbour),
or a transferee-role account (an intermediary, a person without land here). Never the household's
own account (it acts itself) and never an official who supervises the transfer (township officer,
county administrator): the one who records and awards cannot also act for a party.

An agent acts for the household, never for itself against it: the agent who listed the land may
not bid on it or match its best bid (services._not_its_agent), and an agent who is the transfer's
transferee signs only as the transferee (contracts.sign_contract).
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from landrights import clock, ranges
from landrights.accounts.models import User
from landrights.accounts.permissions import Actor, require_login
from landrights.db import flush_or_raise
from landrights.errors import Conflict, Forbidden, ValidationFailed, forbidden
from landrights.evidence import Upload, signature_method
from landrights.market import permissions
from landrights.market.models import ENTRUSTED_ACTS, Entrustment
from landrights.registry import services as registry
from landrights.registry.models import Contract

_NO_ENTRUSTMENT = _l("Only the household does this, or an agent holding its written entrustment, signed by "
                     "both and in force, for these parcels and this act.")


def in_force(session: Session, actor: Actor, household_code: str, parcel_codes: list[str], act: str, *,
             entrustment_id: int | None = None) -> Entrustment | None:
    """Return the actor's entrustment in force today for this act on all these parcels of the
    household (locked against a revocation until the act commits), or None."""
    if actor.user_id is None or not parcel_codes:
        return None
    query = _in_force_on(clock.today(), household_code, parcel_codes, act) \
        .where(Entrustment.agent_user_id == actor.user_id)
    if entrustment_id is not None:
        query = query.where(Entrustment.id == entrustment_id)
    return session.scalar(query.order_by(Entrustment.id).limit(1).with_for_update(read=True, of=Entrustment))


def _in_force_on(day: date, household_code: str, parcel_codes: list[str], act: str) -> sa.Select:
    """The entrustments of the household in force on a day (today, or one past) for this act on all
    these parcels: signed by both (by the end of a past day), in their term, not revoked (by then:
    a revocation takes effect at once, so one on that day counts as before), the agent's account
    active."""
    signed, not_revoked = Entrustment.agent_signed_at.is_not(None), Entrustment.revoked_at.is_(None)
    if day < clock.today():  # a day past: what was signed and not yet revoked by its end
        day_after = clock.start_of(day + timedelta(days=1))
        signed = sa.and_(Entrustment.agent_signed_at < day_after, Entrustment.household_signed_at < day_after)
        not_revoked = sa.or_(not_revoked, Entrustment.revoked_at >= day_after)
    return (sa.select(Entrustment).join(User, User.id == Entrustment.agent_user_id)
            .where(Entrustment.household_code == household_code, User.is_active, signed, not_revoked,
                   Entrustment.valid_from <= day, Entrustment.valid_to >= day,
                   Entrustment.acts.contains(sa.cast([act], ARRAY(sa.String(16)))),
                   Entrustment.parcel_codes.contains(sa.cast(sorted(set(parcel_codes)),
                                                             ARRAY(sa.String(19))))))


def require_signed_by_agent(session: Session, entrustment_id: int, household_code: str,
                            parcel_codes: list[str], signed_on: date) -> Entrustment:
    """Return the entrustment under which an agent signed a paper contract for the household on
    signed_on, as the officer states it: the rules of an agent's act in the app (require_agent_for),
    on the day the paper was signed, for the act 'sign' on all the contract's parcels (R2.4).

    Raises:
        ValidationFailed: no such entrustment of this household, or not in force that day for
            signing these parcels (field entrustment_id).
    """
    found = session.scalar(_in_force_on(signed_on, household_code, parcel_codes, "sign")
                           .where(Entrustment.id == entrustment_id)
                           .with_for_update(read=True, of=Entrustment)) if parcel_codes else None
    if found is None:
        raise ValidationFailed(_l("No entrustment with this number let an agent sign this contract for the "
                                  "household on %(date)s: signed by both, in force that day, for signing "
                                  "the transfer contract of all its parcels.", date=signed_on),
                               field="entrustment_id", rule="R2.4")
    return found


def require_agent_for(session: Session, actor: Actor, household_code: str, parcel_codes: list[str], act: str,
                      *, entrustment_id: int | None = None) -> Entrustment:
    """Return the entrustment under which the actor does this act for the household (R2.4).

    Raises:
        Unauthenticated: anonymous. Forbidden: no entrustment signed by both, in its term, not
            revoked, for this act on all these parcels (an unknown household alike).
    """
    require_login(actor)
    found = in_force(session, actor, household_code, parcel_codes, act, entrustment_id=entrustment_id)
    if found is None:
        raise Forbidden(_NO_ENTRUSTMENT, field="entrustment_id", rule="R2.4")
    return found


def within_authority(entrustment: Entrustment, term_end: date, price: Decimal, *,
                     fields: tuple[str, str] = ("term_end", "reserve_price")) -> None:
    """Refuse a transfer beyond the authority the household gave: ending after transfer_until,
    or below its lowest price per mu and year (R2.4: the 委托书 states the authority).

    Raises:
        ValidationFailed: naming the term's end or the price field.
    """
    if term_end > entrustment.transfer_until:
        raise ValidationFailed(_l("The household entrusted transfers ending by %(date)s only.",
                                  date=entrustment.transfer_until), field=fields[0], rule="R2.4")
    if price < entrustment.min_price:
        raise ValidationFailed(_l("The household entrusted transfers at %(price)s yuan per mu and year or "
                                  "more only.", price=entrustment.min_price), field=fields[1], rule="R2.4")


def create_entrustment(session: Session, actor: Actor, *, household_code: str, agent_username: str,
                       parcel_codes: list[str], acts: list[str], valid_from: date, valid_to: date,
                       transfer_until: date, min_price: Decimal, scope: str, document: str | None = None,
                       scan: Upload | None = None) -> Entrustment:
    """Record a household's entrustment: its consent in the app (the agent then accepts), or the
    township officer's record of the paper signed by both, with its scan (in force at once).

    Raises:
        Unauthenticated: anonymous. Forbidden: neither the household nor the officer of its area.
        ValidationFailed: an officer without a scan; an account that cannot be the agent; acts
            outside the closed set; parcels outside the household's registered contract; a term
            or latest transfer end outside the contract's term; no scope; a price out of range.
    """
    method = signature_method(actor, household_code, scan, rule="R2.4", in_app="app", missing_scan=_l(
        "Attach the scan of the entrustment signed by both the household and the agent."))
    agent = _eligible_agent(session, household_code, agent_username)
    acts = _closed_acts(acts)
    contract_end = _contract_end(session, household_code, parcel_codes)
    _check_term(valid_from, valid_to, transfer_until, contract_end, back_dated=method != "app")
    ranges.PRICE.check(min_price, "min_price")
    if not (scope or "").strip():
        raise ValidationFailed(_l("State the matters and the authority entrusted."), field="scope",
                               rule="R2.4")
    now = clock.now()
    entrustment = Entrustment(
        county_code=household_code[:6], household_code=household_code, agent_user_id=agent,
        scope=scope.strip(), parcel_codes=sorted(set(parcel_codes)), acts=acts, transfer_until=transfer_until,
        min_price=min_price, valid_from=valid_from, valid_to=valid_to, consent_method=method,
        household_signed_at=now, agent_signed_at=now if method == "officer_scan" else None,
        document=(document or "").strip() or None, recorded_by=actor.user_id)
    if scan is not None and method == "officer_scan":
        entrustment.scan_name, entrustment.scan_type = scan.name, scan.content_type
        entrustment.scan = scan.data
    session.add(entrustment)
    flush_or_raise(session)
    registry.record(session, actor, "entrust", "household", household_code, document=entrustment.document,
                    details={"entrustment": entrustment.id, "agent": agent, "acts": acts,
                             "parcels": entrustment.parcel_codes, "method": method})
    return entrustment


def _eligible_agent(session: Session, household_code: str, username: str) -> int:
    """Return the id of the account that may be this household's agent; any other name, known or
    not, gets the same answer."""
    user = session.scalar(sa.select(User).where(sa.func.lower(User.username) == (username or "").lower()))
    eligible = user is not None and user.is_active and permissions.can_be_agent(user, household_code)
    if not eligible:
        raise ValidationFailed(_l("This account cannot be the household's agent: give the user name of "
                                  "another person's account, or of the collective's clerk."),
                               field="agent_username", rule="R2.4")
    return user.id


def _closed_acts(acts: list[str]) -> list[str]:
    if not acts or not set(acts) <= set(ENTRUSTED_ACTS):
        raise ValidationFailed(_l("Entrust one or more of: list the land, withdraw its listing, sign the "
                                  "transfer contract."), field="acts", rule="R2.4")
    return [a for a in ENTRUSTED_ACTS if a in acts]


def _contract_end(session: Session, household_code: str, parcel_codes: list[str]) -> date:
    """Return the end of the household's registered contract holding all these parcels."""
    contract = session.scalar(sa.select(Contract).where(
        Contract.household_code == household_code, Contract.valid_to.is_(None),
        Contract.status == "registered"))
    held = {cp.parcel_code for cp in contract.parcels} if contract else set()
    if not parcel_codes or not set(parcel_codes) <= held:
        raise ValidationFailed(_l("Entrust only parcels of the household's registered contract."),
                               field="parcel_codes", rule="R2.4")
    return contract.term_end


def _check_term(valid_from: date, valid_to: date, transfer_until: date, contract_end: date, *,
                back_dated: bool) -> None:
    for span, value, field in ((ranges.TERM_START, valid_from, "valid_from"),
                               (ranges.TERM_END, valid_to, "valid_to"),
                               (ranges.TERM_END, transfer_until, "transfer_until")):
        span.check(value, field)
    today = clock.today()
    if not back_dated and valid_from < today:
        raise ValidationFailed(_l("An entrustment given in the app starts today or later."),
                               field="valid_from", rule="R2.4")
    if not (valid_from < valid_to and today <= valid_to <= contract_end):
        raise ValidationFailed(_l("The entrustment ends after it starts, not in the past, and by the end of "
                                  "the household's contract, %(end)s.", end=contract_end),
                               field="valid_to", rule="R2.4")
    if not valid_from <= transfer_until <= contract_end:
        raise ValidationFailed(_l("Transfers the agent makes end by the end of the household's contract, "
                                  "%(end)s.", end=contract_end), field="transfer_until", rule="R1.21")


def _locked(session: Session, entrustment_id: int) -> Entrustment | None:
    return session.scalar(sa.select(Entrustment).where(Entrustment.id == entrustment_id).with_for_update())


def accept_entrustment(session: Session, actor: Actor, *, entrustment_id: int) -> Entrustment:
    """Sign the entrustment as its agent, in the app: from now it is in force (R2.4, signed by both).

    Raises:
        Unauthenticated: anonymous. Forbidden: not its agent (an unknown number alike).
        Conflict: already signed, revoked or past its term.
    """
    require_login(actor)
    entrustment = _locked(session, entrustment_id)
    if entrustment is None or actor.user_id is None or entrustment.agent_user_id != actor.user_id:
        raise forbidden()
    if entrustment.agent_signed_at or entrustment.revoked_at or entrustment.valid_to < clock.today():
        raise Conflict(_l("This entrustment is signed already, revoked or past its term."),
                       field="entrustment_id", rule="R2.4")
    entrustment.agent_signed_at = clock.now()
    flush_or_raise(session)
    registry.record(session, actor, "accept_entrustment", "household", entrustment.household_code,
                    details={"entrustment": entrustment.id})
    return entrustment


def revoke_entrustment(session: Session, actor: Actor, *, entrustment_id: int, reason: str) -> Entrustment:
    """Revoke an entrustment, effective at once: the household, the township officer of its area
    (on the household's written revocation), or the agent renouncing it. Acts after it are refused.

    Raises:
        Unauthenticated: anonymous. Forbidden: anyone else (an unknown number alike).
        ValidationFailed: no reason. Conflict: already revoked.
    """
    require_login(actor)
    entrustment = _locked(session, entrustment_id)
    if entrustment is None or not may_revoke(actor, entrustment):
        raise forbidden()
    if not (reason or "").strip():
        raise ValidationFailed(_l("Say why the entrustment is revoked."), field="reason", rule="R2.4")
    if entrustment.revoked_at is not None:
        raise Conflict(_l("This entrustment was already revoked."), field="entrustment_id", rule="R2.4")
    entrustment.revoked_at, entrustment.revoked_by = clock.now(), actor.user_id
    entrustment.revocation_reason = reason.strip()
    flush_or_raise(session)
    registry.record(session, actor, "revoke_entrustment", "household", entrustment.household_code,
                    reason=reason.strip(), details={"entrustment": entrustment.id})
    return entrustment


def may_revoke(actor: Actor, entrustment: Entrustment) -> bool:
    """Tell whether the actor may revoke the entrustment: its household, its agent (renouncing),
    or the township officer of the household's area (on its written revocation)."""
    if actor.user_id is not None and actor.user_id == entrustment.agent_user_id:
        return True  # the agent renounces
    return permissions.can_revoke_entrustment(actor, entrustment.household_code)


def list_entrustments(session: Session, actor: Actor, *, household_code: str | None = None,
                      limit: int = 200) -> list[Entrustment]:
    """Return the entrustments the actor may see, newest first: its household's, those naming it as
    agent, and for officials those of households in their area.

    Raises:
        Unauthenticated: anonymous.
    """
    require_login(actor)
    mine = Entrustment.agent_user_id == actor.user_id if actor.user_id is not None else sa.false()
    prefix = actor.area_prefix  # None for the roles without an area (a transferee)
    area = sa.false() if prefix is None else Entrustment.household_code.startswith(prefix, autoescape=True)
    query = sa.select(Entrustment).where(sa.or_(mine, area))
    if household_code:
        query = query.where(Entrustment.household_code == household_code)
    return list(session.scalars(query.order_by(Entrustment.id.desc()).limit(limit)))


def status_of(entrustment: Entrustment, today: date | None = None) -> str:
    """Return 'revoked', 'awaiting_agent', 'expired', 'not_yet' or 'in_force'."""
    today = today or clock.today()
    if entrustment.revoked_at is not None:
        return "revoked"
    if entrustment.agent_signed_at is None:
        return "awaiting_agent"
    if entrustment.valid_to < today:
        return "expired"
    return "not_yet" if entrustment.valid_from > today else "in_force"


def entrustment_dict(session: Session, entrustment: Entrustment) -> dict:
    """Return an entrustment as the API and the CLI show it (no scan: it stays in the record)."""
    agent = session.scalar(sa.select(User.username).where(User.id == entrustment.agent_user_id))
    fields = ("id", "household_code", "parcel_codes", "acts", "transfer_until", "min_price", "valid_from",
              "valid_to", "consent_method", "household_signed_at", "agent_signed_at", "scope", "document",
              "revoked_at", "revocation_reason", "scan_name")
    return {name: getattr(entrustment, name) for name in fields} | {
        "agent_username": agent, "status": status_of(entrustment)}

