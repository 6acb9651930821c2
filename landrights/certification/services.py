"""Confirmation use cases (R5.3-R5.6): claims, public notice, objections, corrections, sign-off.

Each checks permission first, locks what it decides on, flushes so the database's rules fire, and
leaves the commit to its caller. Time comes from landrights.clock only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from landrights import clock, moments, ranges
from landrights.accounts.permissions import Actor
from landrights.certification import permissions, rules
from landrights.certification.models import Claim, Notice, NoticeEntry, Objection, SignOff
from landrights.db import flush_or_raise
from landrights.errors import Conflict, NotFound, ValidationFailed
from landrights.evidence import Upload, signature_method
from landrights.registry import services as registry
from landrights.registry.models import (
    Collective,
    Contract,
    ContractParcel,
    Household,
    HouseholdMember,
    Parcel,
)
from landrights.registry.queries import returned_land_in_term, setting


@dataclass
class HouseholdState:
    """Where a household stands: what it may confirm now, and why anything waits."""

    household_code: str
    blocked: object | None = None  # a lazy message when the whole household waits
    confirmable: list[tuple[Claim, Parcel]] = field(default_factory=list)
    kept: list[ContractParcel] = field(default_factory=list)  # confirmed before, unchanged
    withheld: dict[str, object] = field(default_factory=dict)  # parcel code -> lazy reason


def claim_parcels(session: Session, actor: Actor, *, household_code: str,
                  parcels: list[dict]) -> list[Claim]:
    """Record which surveyed parcels a household claims (承包地块归户): what its notice shows.

    Raises:
        Forbidden: not the township officer. ValidationFailed: a parcel of another collective.
        NotFound: unknown household or parcel. Conflict: a parcel already claimed by a household.
    """
    permissions.require_claim_parcels(actor, household_code)
    if session.scalar(sa.select(Household.id).where(Household.code == household_code)) is None:
        raise NotFound(_l("No household with code %(code)s.", code=household_code),
                       field="household_code")
    returned = returned_land_in_term(session, household_code)
    if returned is not None:
        raise Conflict(_l("The household returned its contracted land on %(date)s and gets no new "
                          "contracted land for the rest of the term.", date=returned),
                       field="household_code", rule="R1.14")
    claims = []
    for item in parcels:
        code = item["parcel_code"]
        if not code.startswith(household_code[:14]):  # before the lookup: no oracle of other codes
            raise ValidationFailed(_l("Parcel %(code)s belongs to another collective.", code=code),
                                   field="parcel_code", rule="R4.7")
        if session.scalar(sa.select(Parcel.id).where(Parcel.code == code,
                                                      Parcel.valid_to.is_(None))) is None:
            raise NotFound(_l("No parcel with code %(code)s.", code=code), field="parcel_code")
        claim = Claim(county_code=household_code[:6], household_code=household_code, parcel_code=code,
                      contract_area_m2=item.get("contract_area_m2"), created_by=actor.user_id)
        session.add(claim)
        claims.append(claim)
    flush_or_raise(session)
    registry.record(session, actor, "claim", "household", household_code,
                    details={"parcels": [c.parcel_code for c in claims]})
    return claims


def _claims_from_contracts(session: Session, collective_code: str) -> None:
    """A resurvey keeps each registered parcel with its household: claim it from the contract."""
    session.execute(sa.text("""
        INSERT INTO claims (county_code, household_code, parcel_code, contract_area_m2)
        SELECT c.county_code, c.household_code, cp.parcel_code, cp.contract_area_m2
        FROM contracts c JOIN contract_parcels cp ON cp.contract_id = c.id
        WHERE c.valid_to IS NULL AND left(c.household_code, 14) = :collective
        ON CONFLICT (county_code, parcel_code) DO NOTHING"""), {"collective": collective_code})


def open_notice(session: Session, actor: Actor, *, collective_code: str, days: int | None = None,
                place: str | None = None) -> Notice:
    """Put a collective's households, members and parcels that wait for confirmation on public
    notice (公示, R5.3) for at least the minimum period; a re-notice shows what changed since.

    Raises:
        Forbidden: not the township officer. ValidationFailed: shorter than the minimum.
        Conflict: a notice of this collective is still up, or nothing waits for a notice.
    """
    permissions.require_open_notice(actor, collective_code)
    registry.lock_code(session, "notice", collective_code)
    if session.scalar(sa.select(Collective.id).where(Collective.code == collective_code)) is None:
        raise NotFound(_l("Unknown collective (发包方) %(code)s.", code=collective_code),
                       field="collective_code")
    min_days = int(setting(session, "notice_min_days", str(rules.NOTICE_MIN_DAYS)))
    days = min_days if days is None else days
    if days < min_days:
        raise ValidationFailed(_l("A public notice stays up at least %(min)s days.", min=min_days),
                               field="days", rule="R5.3")
    ranges.NOTICE_DAYS.check(days, "days")
    now = clock.now()
    running = session.scalar(sa.select(Notice).where(Notice.collective_code == collective_code,
                                                     Notice.closes_at > now))
    if running is not None:
        raise Conflict(_l("Notice no. %(round)s of this collective is up until %(until)s; open the "
                          "next one after it closes.", round=running.round,
                          until=moments.later(running.closes_at)), field="collective_code", rule="R5.3")
    _claims_from_contracts(session, collective_code)
    waiting = _waiting_households(session, collective_code)
    if not waiting:
        raise Conflict(_l("Nothing in collective %(code)s waits for a public notice.",
                          code=collective_code), field="collective_code")
    last = session.scalar(sa.select(sa.func.max(Notice.round))
                          .where(Notice.collective_code == collective_code)) or 0
    notice = Notice(county_code=collective_code[:6], collective_code=collective_code, round=last + 1,
                    opened_at=now, closes_at=rules.notice_closes_at(now, days), min_days=min_days,
                    opened_by=actor.user_id, place=place)
    session.add(notice)
    flush_or_raise(session)
    for household_code, members, parcels in waiting:
        _add_entries(session, notice, household_code, members, parcels)
    flush_or_raise(session)
    registry.record(session, actor, "open_notice", "collective", collective_code,
                    details={"notice": notice.id, "round": notice.round, "households": len(waiting)})
    return notice


def _add_entries(session: Session, notice: Notice, household_code: str, members: list[int],
                 parcels: list[Parcel]) -> None:
    session.add(NoticeEntry(notice=notice, county_code=notice.county_code,
                            household_code=household_code, member_ids=members))
    for parcel in parcels:
        session.add(NoticeEntry(notice=notice, county_code=notice.county_code,
                                household_code=household_code, parcel_code=parcel.code,
                                parcel_id=parcel.id, area_m2=round(Decimal(parcel.area_m2), 2)))


def _live_member_ids(session: Session, household_code: str) -> list[int]:
    return sorted(session.scalars(
        sa.select(HouseholdMember.id).join(Household, Household.id == HouseholdMember.household_id)
        .where(Household.code == household_code, HouseholdMember.valid_to.is_(None))))


def _waiting_households(session: Session, collective_code: str) -> list[tuple]:
    """Households with something not yet shown: a claimed parcel version or member set never on a
    notice, and not already registered as it is. Four queries for the whole collective."""
    parcels = _claimed_parcels(session, collective_code)
    members = _live_members(session, collective_code)
    shown = set(session.execute(sa.select(NoticeEntry.household_code, NoticeEntry.parcel_id).where(
        NoticeEntry.household_code.startswith(collective_code), NoticeEntry.parcel_id.is_not(None))))
    last_shown = dict(session.execute(
        sa.select(NoticeEntry.household_code, NoticeEntry.member_ids).join(Notice)
        .where(Notice.collective_code == collective_code, NoticeEntry.parcel_code.is_(None))
        .order_by(NoticeEntry.household_code, Notice.opened_at.desc(), Notice.id.desc())
        .ext(distinct_on(NoticeEntry.household_code))).all())
    waiting = []
    for code in sorted(parcels):
        live_members, last = members.get(code, []), last_shown.get(code)
        fresh = [p for p in parcels[code] if (code, p.id) not in shown and p.registered_at is None]
        if fresh or (last is not None and sorted(last) != live_members):
            waiting.append((code, live_members, parcels[code] if last is None else fresh))
    return waiting


def _claimed_parcels(session: Session, collective_code: str) -> dict[str, list[Parcel]]:
    """Return {household code: live parcels it claims, by code} for a collective."""
    parcels: dict[str, list[Parcel]] = {}
    for code, parcel in session.execute(
            sa.select(Claim.household_code, Parcel).join(Parcel, Parcel.code == Claim.parcel_code)
            .where(Claim.household_code.startswith(collective_code), Parcel.valid_to.is_(None))
            .order_by(Parcel.code)):
        parcels.setdefault(code, []).append(parcel)
    return parcels


def _live_members(session: Session, collective_code: str) -> dict[str, list[int]]:
    """Return {household code: ids of its live members, ascending} for a collective."""
    members: dict[str, list[int]] = {}
    for code, member_id in session.execute(
            sa.select(Household.code, HouseholdMember.id)
            .join(HouseholdMember, HouseholdMember.household_id == Household.id)
            .where(Household.collective_code == collective_code, HouseholdMember.valid_to.is_(None))
            .order_by(HouseholdMember.id)):
        members.setdefault(code, []).append(member_id)
    return members


def _last_household_entry(session: Session, household_code: str) -> NoticeEntry | None:
    return session.scalar(
        sa.select(NoticeEntry).join(Notice).where(NoticeEntry.household_code == household_code,
                                                  NoticeEntry.parcel_code.is_(None))
        .order_by(Notice.opened_at.desc(), Notice.id.desc()).limit(1))


def household_state(session: Session, household_code: str) -> HouseholdState:
    """Tell what a household may confirm now: parcels shown on a closed notice as they are now,
    with no open objection; the rest waits, each with its reason (R5.4, R5.5)."""
    state = HouseholdState(household_code)
    now = clock.now()
    last = _last_household_entry(session, household_code)
    open_objections = list(session.scalars(sa.select(Objection).where(
        Objection.household_code == household_code, Objection.status == "open")))
    if last is None:
        state.blocked = _l("The household has not been on a public notice yet.")
    elif last.notice.closes_at > now:
        state.blocked = _l("The household is on public notice until %(date)s.",
                           date=moments.later(last.notice.closes_at))
    elif any(o.parcel_code is None for o in open_objections):
        state.blocked = _l("An objection against the household record is open.")
    elif sorted(last.member_ids) != _live_member_ids(session, household_code):
        state.blocked = _l("The members changed since the notice: they go on a new notice first.")
    if state.blocked is not None:
        return state
    _sort_parcels(session, state, {o.parcel_code for o in open_objections}, now)
    return state


def _sort_parcels(session: Session, state: HouseholdState, objected: set[str], now) -> None:
    code = state.household_code
    noticed = set(session.scalars(
        sa.select(NoticeEntry.parcel_id).join(Notice)
        .where(NoticeEntry.household_code == code, NoticeEntry.parcel_id.is_not(None),
               Notice.closes_at <= now)))
    contract = session.scalar(sa.select(Contract).where(Contract.household_code == code,
                                                        Contract.valid_to.is_(None)))
    in_contract = {cp.parcel_code: cp for cp in (contract.parcels if contract else [])}
    claims = session.execute(
        sa.select(Claim, Parcel).outerjoin(Parcel, sa.and_(Parcel.code == Claim.parcel_code,
                                                           Parcel.valid_to.is_(None)))
        .where(Claim.household_code == code).order_by(Claim.parcel_code)).all()
    for claim, parcel in claims:
        _sort_claim(state, claim, parcel, objected, in_contract, noticed)
    for parcel_code, cp in in_contract.items():  # confirmed before, now waiting: keep as confirmed
        if parcel_code in state.withheld:
            state.kept.append(cp)


def _sort_claim(state: HouseholdState, claim: Claim, parcel: Parcel | None, objected: set[str],
                in_contract: dict, noticed: set[int]) -> None:
    """Put one claimed parcel where it belongs: withheld (with the reason), kept as in the
    contract, or confirmable (shown on a closed notice as it is now)."""
    if parcel is None:
        state.withheld[claim.parcel_code] = _l("No live parcel with this code.")
    elif claim.parcel_code in objected:
        state.withheld[claim.parcel_code] = _l("An objection against this parcel is open.")
    elif claim.parcel_code in in_contract and in_contract[claim.parcel_code].parcel_id == parcel.id:
        state.kept.append(in_contract[claim.parcel_code])
    elif parcel.id in noticed:
        state.confirmable.append((claim, parcel))
    else:
        state.withheld[claim.parcel_code] = _l("Changed since the notice, or not yet on one.")


def sign_off(session: Session, actor: Actor, *, household_code: str, scan: Upload | None = None,
             signer_name: str | None = None) -> SignOff:
    """Record the household's confirmation of its notice result (结果确认, R5.5) and register its
    contract (R1.5, R4.8) and register entry (R4.9) with the confirmed parcels and areas.

    Raises:
        Forbidden: not the household itself nor the township officer.
        ValidationFailed: an officer without the scan of the signed, fingerprinted form.
        Conflict: the household waits (notice up, objection open) or nothing new to confirm.
    """
    method = signature_method(actor, household_code, scan, missing_scan=_l(
        "Attach the scan of the form the household signed and fingerprinted."), rule="R5.5")
    registry.lock_code(session, "sign_off", household_code)
    household = session.scalar(sa.select(Household).where(Household.code == household_code))
    if household is None:
        raise NotFound(_l("No household with code %(code)s.", code=household_code),
                       field="household_code")
    state = _confirmable_state(session, household_code)
    start, end = _term(session)
    signer = signer_name or (actor.name if method == "farmer" else household.name)
    entry = registry.record_contract_version(
        session, actor, household_code=household_code, term_start=start, term_end=end,
        parcels=_contract_items(state), registrar=actor.name or "system",
        document=f"结果确认 {clock.today().isoformat()} {signer}")
    signed = SignOff(county_code=household_code[:6], household_code=household_code,
                     signed_at=clock.now(), method=method, signer_name=signer, signed_by=actor.user_id,
                     **_scan_columns(scan), contract_code=entry.code,
                     contract_version=entry.version,
                     confirmed_codes=[p.code for _, p in state.confirmable],
                     withheld_codes=sorted(state.withheld))
    session.add(signed)
    flush_or_raise(session)
    return signed


def _confirmable_state(session: Session, household_code: str) -> HouseholdState:
    """Return the household's state, or refuse when it waits or has nothing new to confirm (R5.5)."""
    state = household_state(session, household_code)
    if state.blocked is not None:
        raise Conflict(state.blocked, field="household_code", rule="R5.5")
    if not state.confirmable:
        raise Conflict(_l("Nothing new to confirm for this household."), field="household_code",
                       rule="R5.5")
    return state


def _contract_items(state: HouseholdState) -> list[dict]:
    """Return the contract's parcels: those kept as confirmed before, then the newly confirmed
    ones with their confirmed (geodesic) area."""
    items = [{"parcel_code": cp.parcel_code, "parcel_id": cp.parcel_id,
              "contract_area_m2": cp.contract_area_m2, "confirmed_area_m2": cp.confirmed_area_m2}
             for cp in state.kept]
    items += [{"parcel_code": p.code, "parcel_id": p.id, "contract_area_m2": c.contract_area_m2,
               "confirmed_area_m2": round(Decimal(p.area_m2), 2)} for c, p in state.confirmable]
    return items


def _scan_columns(scan: Upload | None) -> dict:
    """Return the sign-off's scan columns: the file's name, type and bytes, or none."""
    if scan is None:
        return {"scan_name": None, "scan_type": None, "scan": None}
    return {"scan_name": scan.name, "scan_type": scan.content_type, "scan": scan.data}


def _term(session: Session) -> tuple[date, date]:
    start = date.fromisoformat(setting(session, "second_round_start", "1999-01-01"))
    return rules.contract_term(start, int(setting(session, "second_round_years", "30")))
