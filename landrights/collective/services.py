"""Collective economic organization use cases: the roster (R7.3-R7.6), shares quantified once and
then static (R7.10), transfers inside the collective or bought back by it (R7.11), inheritance only
where the charter allows it (R7.12), and yearly dividends that reconcile to the cent (R7.13)."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights import clock, ranges
from landrights.accounts.permissions import Actor, covers
from landrights.collective import permissions
from landrights.collective.models import (
    BASES,
    LOSS_CAUSES,
    CollectiveSettings,
    Distribution,
    Membership,
    Payout,
    ShareAccount,
    ShareHolding,
    ShareTransfer,
)
from landrights.db import flush_or_raise
from landrights.errors import Conflict, Forbidden, ValidationFailed
from landrights.registry import services as registry
from landrights.registry.conflicts import identity_number, refuse_number_in_conflict
from landrights.registry.models import Household, HouseholdMember, Person

CENT = Decimal("0.01")


def settings_of(session: Session, collective_code: str) -> CollectiveSettings:
    """Return the collective's charter settings (defaults: no collective share, no inheritance)."""
    found = session.get(CollectiveSettings, (collective_code[:6], collective_code))
    return found or CollectiveSettings(county_code=collective_code[:6], collective_code=collective_code,
                                       collective_share_percent=Decimal(0), inheritance_allowed=False)


def _household_person(session: Session, collective_code: str, id_number: str) -> Person:
    """Return the person with this ID number living in a household of the collective: the roster
    admits its households' members (R7.3), and a number unknown or registered elsewhere gets the
    same answer, so admitting tells nothing about persons outside the collective."""
    person = session.scalar(
        sa.select(Person).join(HouseholdMember, sa.and_(HouseholdMember.person_id == Person.id,
                                                        HouseholdMember.valid_to.is_(None)))
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(identity_number(id_number), Household.collective_code == collective_code))
    if person is None:
        raise ValidationFailed(_l("No one with this ID number lives in a household of this "
                                  "collective: the township records the person in the household "
                                  "first."), field="id_number", rule="R7.3")
    return person


def _member_in_area(session: Session, actor: Actor, id_number: str):
    """Return (person, membership) of a live member with this ID number in the actor's area,
    locked; None when there is none there, unknown or elsewhere alike."""
    rows = session.execute(
        sa.select(Person, Membership).join(Membership, Membership.person_id == Person.id)
        .where(identity_number(id_number), Membership.status == "member")
        .order_by(Membership.id).with_for_update(of=Membership)).all()
    return next(((p, m) for p, m in rows if covers(actor, m.collective_code)), None)


def admit_member(session: Session, actor: Actor, *, collective_code: str, id_number: str, basis: str,
                 basis_date: date, basis_document: str) -> Membership:
    """Admit a person to the roster on a basis of R7.3, with its date and document.

    Raises:
        Forbidden: not the roster keeper. ValidationFailed: unknown basis or no document.
        Conflict: already a member of a collective (one at a time).
    """
    permissions.require_keep_roster(actor, collective_code)
    if basis not in BASES:
        raise ValidationFailed(_l("Basis is birth, marriage, adoption, policy migration or a members' "
                                  "vote."), field="basis", rule="R7.3")
    if not (basis_document or "").strip():
        raise ValidationFailed(_l("Name the document of the basis."), field="basis_document", rule="R7.3")
    ranges.BASIS_DATE.check(basis_date, "basis_date")
    refuse_number_in_conflict(session, actor, id_number)  # whose number it is, nobody can tell
    person = _household_person(session, collective_code, id_number)
    current = session.scalar(sa.select(Membership.collective_code).where(
        Membership.person_id == person.id, Membership.status == "member"))
    if current is not None:  # named only inside the actor's area
        raise Conflict(_l("The person is a member of collective %(code)s; membership of another "
                          "collective ends that one first.", code=current) if covers(actor, current)
                       else _l("The person is a member of another collective; membership of another "
                               "collective ends that one first."), field="id_number", rule="R7.5")
    membership = Membership(county_code=collective_code[:6], collective_code=collective_code,
                            person_id=person.id, basis=basis, basis_date=basis_date,
                            basis_document=basis_document.strip(), status="member")
    session.add(membership)
    flush_or_raise(session)
    registry.record(session, actor, "admit", "member", collective_code, document=basis_document,
                    details={"person_id": person.id, "basis": basis})
    return membership


def end_membership(session: Session, actor: Actor, *, id_number: str, cause: str, lost_on: date,
                   document: str, contract_hired: bool = False) -> Membership:
    """End a membership for one of the four statutory causes only (R7.5).

    Studying, military service, working away and settling in a town are not causes (R7.6).

    Raises:
        Unauthenticated: anonymous. Forbidden: not a roster keeper; no member with this ID number
            in the actor's area (one answer for a number unknown, not a member, or elsewhere).
        ValidationFailed: any other cause, a contract-hired civil servant, or no document.
    """
    permissions.require_keeper_role(actor)  # the role first: no lookup for those who never keep a roster
    found = _member_in_area(session, actor, id_number)
    if found is None:
        raise Forbidden(_l("There is no member with this ID number in your area."), field="id_number")
    person, membership = found
    permissions.require_keep_roster(actor, membership.collective_code)
    if cause not in LOSS_CAUSES:
        raise ValidationFailed(_l("Membership ends only when the member becomes a civil servant, joins "
                                  "another collective, loses Chinese nationality or dies; studying, "
                                  "military service, working away or settling in a town never end "
                                  "it."), field="cause", rule="R7.5, R7.6")
    if cause == "civil_servant" and contract_hired:
        raise ValidationFailed(_l("A contract-hired civil servant keeps the membership."),
                               field="cause", rule="R7.5")
    if not (document or "").strip():
        raise ValidationFailed(_l("Name the document."), field="document", rule="R7.5")
    ranges.LOST_ON.check(lost_on, "lost_on")
    ranges.not_before(lost_on, membership.basis_date, "lost_on", _l(
        "A membership ends after it began, on %(date)s.", date=membership.basis_date), "R7.5")
    membership.status, membership.lost_on, membership.loss_cause = "lost", lost_on, cause
    membership.loss_document = document.strip()
    flush_or_raise(session)
    registry.record(session, actor, "end", "member", membership.collective_code, document=document,
                    reason=cause, details={"person_id": person.id})
    return membership


def quantify_shares(session: Session, actor: Actor, *, collective_code: str, per_member: Decimal,
                    issued_on: date, reason: str) -> list[ShareAccount]:
    """Quantify shares once: per_member shares to every live member, held on one certificate per
    household (一户一证), plus the collective share the charter sets (R7.10). Static afterwards.

    Raises:
        Forbidden: not the roster keeper. Conflict: already quantified. ValidationFailed: no members.
    """
    permissions.require_keep_roster(actor, collective_code)
    ranges.PER_MEMBER.check(per_member, "per_member")
    ranges.ISSUED_ON.check(issued_on, "issued_on")
    registry.lock_code(session, "shares", collective_code)
    if session.scalar(sa.select(ShareHolding.id).where(ShareHolding.collective_code == collective_code)
                      .limit(1)):
        raise Conflict(_l("Shares of this collective are already quantified; they stay static "
                          "(增人不增股、减人不减股)."), field="collective_code", rule="R7.10")
    members = session.execute(
        sa.select(Household.code, Person.id)
        .join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .join(Person, Person.id == HouseholdMember.person_id)
        .join(Membership, sa.and_(Membership.person_id == Person.id, Membership.status == "member",
                                  Membership.collective_code == collective_code))
        .where(HouseholdMember.valid_to.is_(None)).order_by(Household.code, Person.id)).all()
    if not members:
        raise ValidationFailed(_l("The collective has no members on its roster."), field="collective_code",
                               rule="R7.10")
    accounts: dict[str, ShareAccount] = {}
    for household_code, person_id in members:
        if household_code not in accounts:
            accounts[household_code] = _account(session, collective_code, household_code, issued_on)
        account = accounts[household_code]
        session.add(ShareHolding(county_code=collective_code[:6], collective_code=collective_code,
                                 kind="member", account_id=account.id, person_id=person_id,
                                 quantity=per_member, valid_from=clock.now(), reason=reason))
    percent = settings_of(session, collective_code).collective_share_percent
    if percent:
        collective = (per_member * len(members) * percent / (100 - percent)).quantize(Decimal("0.0001"))
        if collective > ranges.SHARES_MAX:
            raise ValidationFailed(_l("The collective share would exceed %(max)s shares: quantify fewer "
                                      "shares per member.", max=ranges.SHARES_MAX), field="per_member",
                                   rule="R7.10")
        session.add(ShareHolding(county_code=collective_code[:6], collective_code=collective_code,
                                 kind="collective", quantity=collective, valid_from=clock.now(),
                                 reason=reason))
    flush_or_raise(session)
    registry.record(session, actor, "quantify", "shares", collective_code, reason=reason,
                    details={"members": len(members), "per_member": str(per_member)})
    return list(accounts.values())


def _account(session: Session, collective_code: str, household_code: str, issued_on: date) -> ShareAccount:
    account = session.scalar(sa.select(ShareAccount).where(ShareAccount.household_code == household_code))
    if account is None:
        account = ShareAccount(county_code=household_code[:6], code=household_code + "G",
                               collective_code=collective_code, household_code=household_code,
                               issued_on=issued_on)
        session.add(account)
        flush_or_raise(session)
    return account


def _live_holding(session: Session, collective_code: str, person_id: int | None) -> ShareHolding | None:
    query = sa.select(ShareHolding).where(ShareHolding.collective_code == collective_code,
                                          ShareHolding.valid_to.is_(None))
    query = query.where(ShareHolding.kind == "collective") if person_id is None else \
        query.where(ShareHolding.person_id == person_id)
    return session.scalar(query.with_for_update())


def _change_holding(session: Session, holding: ShareHolding | None, delta: Decimal, reason: str, *,
                    template: dict) -> None:
    """Close a live holding and open the changed one (or a new one)."""
    now = clock.now()
    quantity = (holding.quantity if holding else Decimal(0)) + delta
    if holding is not None:
        holding.valid_to = now
        flush_or_raise(session)
    if quantity > 0:
        session.add(ShareHolding(**template, quantity=quantity, valid_from=now, reason=reason))
        flush_or_raise(session)


def move_shares(session: Session, actor: Actor, *, kind: str, from_id_number: str, quantity: Decimal,
                document: str, to_id_number: str, price_yuan: Decimal = Decimal(0)) -> ShareTransfer:
    """Move shares of one member to a member of the same collective: a transfer (R7.11), or an
    inheritance where the charter allows it (R7.12). A buy-back only follows the holder's own
    withdrawal request (rights.services).

    Raises:
        Forbidden: not the roster keeper. ValidationFailed: outside the collective, more shares than
            held. Conflict: inheritance not allowed by the charter.
    """
    if kind not in ("transfer", "inheritance"):
        raise ValidationFailed(_l("Kind is transfer or inheritance; a buy-back follows the member's own "
                                  "withdrawal request."), field="kind", rule="R7.11, G3")
    seller, holding = _seller(session, actor, from_id_number, quantity)
    ranges.SHARE_PRICE.check(price_yuan, "price_yuan")
    if kind == "inheritance" and not settings_of(session, holding.collective_code).inheritance_allowed:
        raise Conflict(_l("The charter of this collective does not allow shares to be inherited."),
                       field="kind", rule="R7.12")
    household, buyer = _buyer(session, holding.collective_code, to_id_number)
    return _move(session, actor, kind, seller, holding, quantity, document, price_yuan, household, buyer)


def buy_back_shares(session: Session, actor: Actor, *, from_id_number: str, quantity: Decimal,
                    document: str, price_yuan: Decimal) -> ShareTransfer:
    """The collective buys a member's shares back (R7.11); called by an effective withdrawal only."""
    seller, holding = _seller(session, actor, from_id_number, quantity)
    return _move(session, actor, "buy_back", seller, holding, quantity, document, price_yuan, None, None)


def _seller(session: Session, actor: Actor, id_number: str, quantity: Decimal):
    permissions.require_keeper_role(actor)
    rows = session.execute(
        sa.select(Person, ShareHolding).join(ShareHolding, ShareHolding.person_id == Person.id)
        .where(identity_number(id_number), ShareHolding.valid_to.is_(None))
        .order_by(ShareHolding.id).with_for_update(of=ShareHolding)).all()
    seller, holding = next(((p, h) for p, h in rows if covers(actor, h.collective_code)), (None, None))
    if holding is None:  # unknown, no shares, or shares elsewhere: one answer
        raise Forbidden(_l("No one with this ID number holds shares in your area."),
                        field="from_id_number")
    permissions.require_keep_roster(actor, holding.collective_code)
    if not Decimal(0) < quantity <= holding.quantity:
        raise ValidationFailed(_l("The member holds %(held)s shares.", held=holding.quantity),
                               field="quantity", rule="R7.11")
    ranges.SHARE_QUANTITY.check(quantity, "quantity")
    return seller, holding


def _move(session: Session, actor: Actor, kind: str, seller: Person, holding: ShareHolding,
          quantity: Decimal, document: str, price_yuan: Decimal, buyer_household: str | None,
          buyer: Person | None) -> ShareTransfer:
    collective = holding.collective_code
    seller_household = session.scalar(sa.select(ShareAccount.household_code)
                                      .where(ShareAccount.id == holding.account_id))
    base = {"county_code": collective[:6], "collective_code": collective}
    _change_holding(session, holding, -quantity, document,
                    template=base | {"kind": "member", "account_id": holding.account_id,
                                     "person_id": seller.id})
    if buyer is None:
        _change_holding(session, _live_holding(session, collective, None), quantity, document,
                        template=base | {"kind": "collective"})
    else:
        account = _account(session, collective, buyer_household, clock.today())
        _change_holding(session, _live_holding(session, collective, buyer.id), quantity, document,
                        template=base | {"kind": "member", "account_id": account.id, "person_id": buyer.id})
    transfer = ShareTransfer(**base, kind=kind, from_household_code=seller_household,
                             from_person_id=seller.id, to_household_code=buyer_household,
                             to_person_id=buyer.id if buyer else None, quantity=quantity,
                             price_yuan=price_yuan, document=document, at=clock.now())
    session.add(transfer)
    flush_or_raise(session)
    registry.record(session, actor, kind, "shares", collective, document=document,
                    details={"quantity": str(quantity), "from": seller.id, "to": buyer and buyer.id})
    return transfer


def _buyer(session: Session, collective: str, to_id_number: str):
    found = session.scalar(sa.select(Person).join(Membership, Membership.person_id == Person.id).where(
        identity_number(to_id_number), Membership.status == "member",
        Membership.collective_code == collective))
    if found is None:  # unknown, or a member elsewhere: one answer
        raise ValidationFailed(_l("Shares move only inside the collective: the buyer must be its member."),
                               field="to_id_number", rule="R7.11")
    buyer = found
    household = session.scalar(
        sa.select(Household.code).join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(HouseholdMember.person_id == buyer.id, HouseholdMember.valid_to.is_(None)))
    return household, buyer


def distribute(session: Session, actor: Actor, *, collective_code: str, year: int,
               amount_per_share: Decimal, decided_on: date, document: str) -> Distribution:
    """Pay a yearly dividend: each share certificate (and the collective share) gets its shares ×
    the amount per share, rounded to the cent; the total is the sum of the payouts (R7.13).

    Raises:
        Forbidden: not the roster keeper. ValidationFailed: no assembly document or no shares.
        Conflict: this year was already distributed (unique per collective and year).
    """
    permissions.require_keep_roster(actor, collective_code)
    if not (document or "").strip():
        raise ValidationFailed(_l("Name the members' assembly resolution."), field="document", rule="R7.13")
    ranges.YEAR.check(year, "year")
    ranges.PER_SHARE.check(amount_per_share, "amount_per_share")
    ranges.DECIDED_ON.check(decided_on, "decided_on")
    registry.lock_code(session, "distribution", collective_code)
    if session.scalar(sa.select(Distribution.id).where(Distribution.collective_code == collective_code,
                                                       Distribution.year == year)):
        raise Conflict(_l("This year's dividend was already distributed."), field="year", rule="R7.13")
    rows = session.execute(
        sa.select(ShareHolding.account_id, sa.func.sum(ShareHolding.quantity))
        .where(ShareHolding.collective_code == collective_code, ShareHolding.valid_to.is_(None))
        .group_by(ShareHolding.account_id).order_by(ShareHolding.account_id)).all()
    if not rows:
        raise ValidationFailed(_l("The collective has no shares yet."), field="collective_code",
                               rule="R7.13")
    payouts = [Payout(county_code=collective_code[:6], account_id=account, shares=shares,
                      amount_yuan=(shares * amount_per_share).quantize(CENT, ROUND_HALF_UP))
               for account, shares in rows]
    _payouts_fit(payouts)
    distribution = Distribution(county_code=collective_code[:6], collective_code=collective_code,
                                year=year, amount_per_share=amount_per_share, decided_on=decided_on,
                                document=document.strip(), total_yuan=sum(p.amount_yuan for p in payouts))
    session.add(distribution)
    flush_or_raise(session)
    for payout in payouts:
        payout.distribution_id = distribution.id
        session.add(payout)
    flush_or_raise(session)
    registry.record(session, actor, "distribute", "collective", collective_code, document=document,
                    details={"year": year, "total": str(distribution.total_yuan)})
    return distribution


def _payouts_fit(payouts: list[Payout]) -> None:
    """Refuse an amount per share whose payouts would not fit their columns (shares x amount)."""
    if max(p.amount_yuan for p in payouts) > ranges.PAYOUT_MAX or \
            sum(p.amount_yuan for p in payouts) > ranges.DISTRIBUTION_MAX:
        raise ValidationFailed(_l("This amount per share gives payouts beyond %(max)s yuan a household: "
                                  "check the amount.", max=ranges.PAYOUT_MAX), field="amount_per_share",
                               rule="R7.13")


def mark_paid(session: Session, actor: Actor, *, payout_id: int, paid_on: date) -> Payout:
    """Mark a payout paid (once).

    Raises:
        Unauthenticated: anonymous. Forbidden: not a roster keeper; no such payout in the actor's
            area (one answer for both). Conflict: already paid.
    """
    permissions.require_keeper_role(actor)
    payout = session.scalar(sa.select(Payout).where(Payout.id == payout_id).with_for_update())
    distribution = payout and session.get(Distribution, payout.distribution_id)
    if distribution is None or not covers(actor, distribution.collective_code):
        raise Forbidden(_l("There is no payout with this number in your area."), field="payout_id")
    permissions.require_keep_roster(actor, distribution.collective_code)
    if payout.paid_on is not None:
        raise Conflict(_l("This payout was paid on %(date)s.", date=payout.paid_on), field="payout_id")
    ranges.PAID_ON.check(paid_on, "paid_on")
    ranges.not_before(paid_on, distribution.decided_on, "paid_on", _l(
        "A dividend is paid after the assembly decided it, on %(date)s.", date=distribution.decided_on),
        "R7.13")
    payout.paid_on = paid_on
    flush_or_raise(session)
    return payout
