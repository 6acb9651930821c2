"""Objections to a public notice (异议, R5.4): who may file them, and the township officer's
decision — dismissed with its reason, or upheld with the correction recorded as a new version."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights import clock, moments
from landrights.accounts.permissions import (
    Actor,
    acts_for_household,
    covers,
    is_household_account,
    require_login,
)
from landrights.certification import permissions, rules
from landrights.certification.models import Claim, Notice, NoticeEntry, Objection
from landrights.certification.queries import unseen_objection
from landrights.db import flush_or_raise
from landrights.errors import Conflict, Forbidden, NotFound, ValidationFailed, forbidden
from landrights.evidence import Upload, check_upload
from landrights.registry import services as registry
from landrights.registry.models import Contract, ContractParcel, Household, HouseholdMember, Parcel, Person


def _filer_kind(session: Session, actor: Actor, notice: Notice, household_code: str,
                parcel: Parcel | None) -> str:
    """Who may object (R5.4): a member, a neighbour named in the parcel's four sides, the
    collective; an officer records a paper objection for any of them."""
    if acts_for_household(actor, household_code):
        return "member"
    if is_household_account(actor) and parcel is not None and actor.household_code:
        names = set(session.scalars(
            sa.select(Person.name).join(HouseholdMember, HouseholdMember.person_id == Person.id)
            .join(Household, Household.id == HouseholdMember.household_id)
            .where(Household.code == actor.household_code, HouseholdMember.valid_to.is_(None))))
        if rules.names_neighbour((parcel.east, parcel.south, parcel.west, parcel.north), names):
            return "neighbour"
    if permissions.can_object_as_collective(actor, notice.collective_code):
        return "collective"
    raise not_yours_to_object()


def not_yours_to_object() -> Forbidden:
    """Return the one refusal of an objection: no such notice, or none showing the record named
    that the actor may object to; alike whether the notice or the record exists (no oracle)."""
    return Forbidden(_l("There is no notice with this number showing this record for you to object "
                        "to."), field="notice_id")


def file_objection(session: Session, actor: Actor, *, notice_id: int, household_code: str,
                   text: str, parcel_code: str | None = None, filer_name: str | None = None,
                   filer_kind: str | None = None, evidence: Upload | None = None) -> Objection:
    """File an objection (异议, R5.4) against a household record or one parcel of an open notice.

    Raises:
        Unauthenticated: anonymous. Forbidden: not a member, named neighbour, the collective or
            the township officer (whether or not the notice shows the household or parcel named).
        NotFound: the notice does not show it (told to those who may object to it).
        Conflict: the notice is not up.
        ValidationFailed: no text, a bad evidence file, or an officer not naming the filer.
    """
    notice = _notice_to_object_on(session, actor, notice_id)
    entry = _entry(session, actor, notice_id, household_code, parcel_code)
    kind, name = _who_objects(session, actor, notice, entry, filer_kind, filer_name)
    now = clock.now()
    if not notice.opened_at <= now < notice.closes_at:
        raise Conflict(_l("Notice no. %(round)s closed on %(date)s; objections are filed while it "
                          "is up.", round=notice.round, date=moments.later(notice.closes_at)),
                       field="notice_id", rule="R5.4")
    if not (text or "").strip():
        raise ValidationFailed(_l("Say what is wrong."), field="text", rule="R5.4")
    check_upload(evidence, "evidence")
    objection = Objection(county_code=household_code[:6], notice_id=notice_id,
                          household_code=household_code, parcel_code=parcel_code, filer_kind=kind,
                          filer_name=name, filed_by=actor.user_id, filed_at=now, text=text.strip(),
                          **_evidence_columns(evidence))
    session.add(objection)
    flush_or_raise(session)
    registry.record(session, actor, "object", "parcel" if parcel_code else "household",
                    parcel_code or household_code, reason=objection.text,
                    details={"objection": objection.id, "notice": notice_id})
    return objection


def _who_objects(session: Session, actor: Actor, notice: Notice, entry: NoticeEntry,
                 filer_kind: str | None, filer_name: str | None) -> tuple[str, str]:
    """Return (filer kind, filer name): as the township officer records them for a paper
    objection, or as the actor is (R5.4)."""
    if permissions.can_record_paper_objection(actor, entry.household_code):
        if filer_kind not in rules.OBJECTION_FILERS or not (filer_name or "").strip():
            raise ValidationFailed(_l("Record who objects: their name and whether they are a member, "
                                      "a neighbour or the collective."), field="filer_name")
        return filer_kind, filer_name.strip()
    parcel = session.get(Parcel, entry.parcel_id) if entry.parcel_id else None
    return _filer_kind(session, actor, notice, entry.household_code, parcel), actor.name


def _evidence_columns(evidence: Upload | None) -> dict:
    """Return the objection's evidence columns: the file's name, type and bytes, or none."""
    if evidence is None:
        return {"evidence_name": None, "evidence_type": None, "evidence": None}
    return {"evidence_name": evidence.name, "evidence_type": evidence.content_type,
            "evidence": evidence.data}


def _notice_to_object_on(session: Session, actor: Actor, notice_id: int) -> Notice:
    """Return the notice if the actor may object on it at all: any farmer (a member, or a
    neighbour from anywhere), the collective's clerk, the township officer of its area."""
    require_login(actor)
    notice = session.get(Notice, notice_id)
    if notice is None or not permissions.can_object(actor, notice.collective_code):
        raise not_yours_to_object()
    return notice


def _entry(session: Session, actor: Actor, notice_id: int, household_code: str,
           parcel_code: str | None) -> NoticeEntry:
    entry = session.scalar(sa.select(NoticeEntry).where(
        NoticeEntry.notice_id == notice_id, NoticeEntry.household_code == household_code,
        NoticeEntry.parcel_code.is_(None) if parcel_code is None else NoticeEntry.parcel_code == parcel_code))
    if entry is not None:
        return entry
    if is_household_account(actor) and not acts_for_household(actor, household_code):
        raise not_yours_to_object()  # as for a record shown that the farmer may not object to
    raise NotFound(_l("This notice does not show that household or parcel."),
                   field="parcel_code" if parcel_code else "household_code")


def _open_objection(session: Session, actor: Actor, objection_id: int) -> Objection:
    require_login(actor)
    if not permissions.role_may_decide_objection(actor):  # the role first, then the lookup
        raise forbidden()
    objection = session.scalar(sa.select(Objection).where(Objection.id == objection_id)
                               .with_for_update())
    if objection is None or not covers(actor, objection.household_code):
        raise unseen_objection()
    permissions.require_decide_objection(actor, objection.household_code)
    if objection.status != "open":
        raise Conflict(_l("Objection no. %(id)s was already decided.", id=objection_id),
                       field="objection_id")
    return objection


def _resolve(objection: Objection, actor: Actor, status: str, reason: str, document: str | None):
    if not (reason or "").strip():
        raise ValidationFailed(_l("Give the reason for the decision."), field="reason", rule="R5.4")
    objection.status, objection.resolution, objection.document = status, reason.strip(), document
    objection.resolved_by, objection.resolved_at = actor.user_id, clock.now()


def dismiss_objection(session: Session, actor: Actor, *, objection_id: int, reason: str,
                      document: str | None = None) -> Objection:
    """Dismiss an objection with the reason; what it named may be confirmed again.

    Raises:
        Forbidden: not the township officer. Conflict: already decided. ValidationFailed: no reason.
    """
    objection = _open_objection(session, actor, objection_id)
    _resolve(objection, actor, "dismissed", reason, document)
    flush_or_raise(session)
    registry.record(session, actor, "dismiss", "objection", objection.parcel_code or
                    objection.household_code, reason=reason, document=document,
                    details={"objection": objection.id})
    return objection


def uphold_objection(session: Session, actor: Actor, *, objection_id: int, reason: str,
                     document: str | None = None, parcel_changes: dict | None = None,
                     geometry=None, reassign_to: str | None = None,
                     member_changes: list[dict] | None = None) -> Objection:
    """Uphold an objection and record its correction as a new version (R5.4); the corrected
    records then wait for a new notice.

    Raises:
        Forbidden: not the township officer. Conflict: already decided or a correction that clashes.
        ValidationFailed: no reason, or no correction of what the objection named.
    """
    objection = _open_objection(session, actor, objection_id)
    on_parcel = objection.parcel_code is not None
    corrected = (parcel_changes or geometry is not None or reassign_to) if on_parcel else member_changes
    if not corrected:
        raise ValidationFailed(_l("An upheld objection needs its correction: the changed parcel "
                                  "fields or boundary, the household it belongs to, or the "
                                  "members' records."), field="correction", rule="R5.4")
    _resolve(objection, actor, "upheld", reason, document)
    flush_or_raise(session)
    if on_parcel:
        _correct_parcel(session, actor, objection, parcel_changes or {}, geometry, reassign_to)
    else:
        for change in member_changes:
            registry.revise_member(session, actor, household_code=objection.household_code,
                                   reason=reason, document=document, **change)
    registry.record(session, actor, "uphold", "objection", objection.parcel_code or
                    objection.household_code, reason=reason, document=document,
                    details={"objection": objection.id})
    return objection


def _correct_parcel(session: Session, actor: Actor, objection: Objection, changes: dict, geometry,
                    reassign_to: str | None) -> None:
    code = objection.parcel_code
    if changes or geometry is not None:
        registry.revise_parcel(session, actor, code=code, reason=objection.resolution,
                               document=objection.document, geometry=geometry, **changes)
    if reassign_to:
        if not reassign_to.startswith(code[:14]):  # before the lookup: no oracle of other codes
            raise ValidationFailed(_l("A parcel moves only to a household of its own collective."),
                                   field="reassign_to", rule="R4.7")
        if session.scalar(sa.select(Household.id).where(Household.code == reassign_to)) is None:
            raise NotFound(_l("No household with code %(code)s.", code=reassign_to),
                           field="reassign_to")
        in_contract = session.scalar(
            sa.select(Contract.code).join(ContractParcel, ContractParcel.contract_id == Contract.id)
            .where(ContractParcel.parcel_code == code, Contract.valid_to.is_(None)))
        if in_contract:
            raise Conflict(_l("Parcel %(code)s is registered in contract %(contract)s; moving it to "
                              "another household needs a change of that contract.", code=code,
                              contract=in_contract), field="reassign_to", rule="R1.3")
        claim = session.scalar(sa.select(Claim).where(Claim.parcel_code == code).with_for_update())
        claim.household_code = reassign_to
        flush_or_raise(session)
