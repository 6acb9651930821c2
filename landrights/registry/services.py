"""Registry use cases. Each checks permission first, flushes so the database's rules fire, and
leaves the commit to its caller (view, API, CLI)."""
from __future__ import annotations

from datetime import date

import shapely
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import from_shape
from sqlalchemy.orm import Session

from landrights import clock, patterns, ranges
from landrights.accounts.permissions import Actor
from landrights.db import flush_or_raise
from landrights.errors import Conflict, NotFound, ValidationFailed
from landrights.geo.crs import STORAGE_SRID
from landrights.geo.geojson import as_multipolygon
from landrights.registry import permissions, rules
from landrights.registry.models import (
    AdminUnit,
    ChangeEvent,
    Collective,
    Contract,
    ContractParcel,
    Household,
    HouseholdMember,
    Parcel,
    Person,
    RegisterEntry,
)

# Rough extent of China in CGCS2000 lon/lat: a point outside it is projected metres or swapped axes.
_CHINA = (73.0, 3.0, 136.0, 54.0)
PARCEL_FIELDS = ("name", "ownership", "category", "land_use_type", "soil_grade", "land_use",
                 "is_basic_farmland", "east", "south", "west", "north", "pointer_name", "remark",
                 "surveyed_area_m2", "surveyed_area_mu", "extra")


def record(session: Session, actor: Actor, action: str, entity: str, code: str, *,
           reason: str | None = None, document: str | None = None, details: dict | None = None):
    """Record who changed which right, when, why and on what document."""
    session.add(ChangeEvent(county_code=code[:6], actor_id=actor.user_id, action=action,
                            entity=entity, entity_code=code, reason=reason, document=document,
                            details=details))


def lock_code(session: Session, kind: str, code: str) -> None:
    """Serialize decisions about one record (a check-then-write) until the transaction ends."""
    session.execute(sa.select(sa.func.pg_advisory_xact_lock(
        sa.func.hashtextextended(f"lr_{kind}:{code}", 0))))


def check_geometry(geom, srid: int = STORAGE_SRID):
    """Return geom as a valid MultiPolygon in EPSG:4490, or say exactly what is wrong.

    Raises:
        ValidationFailed: wrong SRID, wrong type, outside China (projected or swapped axes),
            invalid (with the location GEOS reports), or empty.
    """
    if srid != STORAGE_SRID:
        raise ValidationFailed(_l("The geometry must be in CGCS2000 geographic coordinates "
                                  "(EPSG:4490), not EPSG:%(srid)s.", srid=srid),
                               field="geometry", rule="R4.12")
    if geom is None or geom.is_empty:
        raise ValidationFailed(_l("The geometry is empty."), field="geometry", rule="R4.18")
    try:
        geom = as_multipolygon(geom)
    except ValueError:
        raise ValidationFailed(_l("A parcel must be a Polygon or MultiPolygon, not %(type)s.",
                                  type=geom.geom_type), field="geometry", rule="R4.18") from None
    x0, y0, x1, y1 = geom.bounds
    if not (_CHINA[0] <= x0 and x1 <= _CHINA[2] and _CHINA[1] <= y0 and y1 <= _CHINA[3]):
        raise ValidationFailed(_l("The coordinates are not longitude/latitude in China: are they "
                                  "projected metres (Gauss-Krüger) or latitude first?"),
                               field="geometry", rule="R4.13")
    if not geom.is_valid:
        raise ValidationFailed(_l("The geometry is not valid: %(reason)s.",
                                  reason=shapely.is_valid_reason(geom)),
                               field="geometry", rule="R4.18")
    return geom


def add_admin_unit(session: Session, actor: Actor, *, code: str, level: int, name: str,
                   boundary=None) -> AdminUnit:
    """Register an administrative unit, optionally with its boundary (EPSG:4490).

    Raises:
        Forbidden: outside the actor's area. ValidationFailed: bad code or boundary.
    """
    permissions.require_edit_register(actor, code)
    parent = None if level == 1 else code[: rules.ADMIN_LEVEL_LENGTH[level - 1]]
    geom = None if boundary is None else from_shape(check_geometry(boundary), srid=STORAGE_SRID,
                                                    extended=True)
    unit = AdminUnit(county_code=code[:6], code=code, level=level, name=name, parent_code=parent,
                     boundary=geom)
    session.add(unit)
    flush_or_raise(session)
    return unit


def ensure_admin_units(session: Session, actor: Actor, code: str, names: dict[int, str]) -> None:
    """Create the county/township/village/group units a 14-digit code implies, if missing.

    Raises:
        Forbidden: not a registry writer for this area.
    """
    permissions.require_edit_register(actor, code)
    levels = [lvl for lvl, n in rules.ADMIN_LEVEL_LENGTH.items() if n <= len(code)]
    if code.endswith("00") and len(code) == 14:
        levels.remove(4)  # group "00": the village itself is the collective (R4.5)
    for level in levels:
        unit_code = code[: rules.ADMIN_LEVEL_LENGTH[level]]
        if session.scalar(sa.select(AdminUnit.id).where(AdminUnit.code == unit_code)) is None:
            session.add(AdminUnit(county_code=code[:6], code=unit_code, level=level,
                                  name=names.get(level) or unit_code,
                                  parent_code=None if level == 1
                                  else code[: rules.ADMIN_LEVEL_LENGTH[level - 1]]))
            flush_or_raise(session)


def add_collective(session: Session, actor: Actor, *, code: str, name: str,
                   unit_names: dict[int, str] | None = None, **fields) -> Collective:
    """Register a collective (发包方) and the admin units its code implies.

    Raises:
        ValidationFailed: malformed code. Forbidden: outside the actor's area.
    """
    patterns.COLLECTIVE.check(code, "code")
    permissions.require_edit_register(actor, code)
    ensure_admin_units(session, actor, code, unit_names or {})
    admin_code = code[:12] if code.endswith("00") else code
    collective = Collective(county_code=code[:6], code=code, name=name, admin_code=admin_code,
                            **fields)
    session.add(collective)
    flush_or_raise(session)
    record(session, actor, "create", "collective", code)
    return collective


def add_person(session: Session, actor: Actor, *, county_code: str, name: str, sex: int,
               id_type: int, id_number: str, **fields) -> Person:
    """Register a person; an ID card number must pass GB 11643.

    Raises:
        ValidationFailed: bad ID number or sex. Forbidden: outside the actor's county.
    """
    permissions.require_add_person(actor, county_code)
    id_number = _check_id_number(id_type, (id_number or "").strip(), sex)
    ranges.BIRTH_DATE.check(fields.get("birth_date"), "birth_date")
    person = Person(county_code=county_code, name=name, sex=sex, id_type=id_type,
                    id_number=id_number, **fields)
    session.add(person)
    flush_or_raise(session)
    return person


def _check_id_number(id_type: int, id_number: str, sex: int) -> str:
    """Return the (trimmed) number if it has its document type's shape (R4.26)."""
    if id_type not in rules.ID_TYPES:
        raise ValidationFailed(_l("The type of identity document is one of 1 resident ID card, 2 officer's "
                                  "card, 3 organization code, 4 household register, 5 passport, 9 other."),
                               field="id_type", rule="R4.26")
    if id_type != 1:
        problem = rules.other_id_number_problem(id_type, id_number)
        if problem:
            raise ValidationFailed(_OTHER_ID_PROBLEMS[problem], field="id_number", rule="R4.26")
        return id_number
    problem = rules.id_number_problem(id_number)
    if problem:
        raise ValidationFailed(_ID_PROBLEMS[problem], field="id_number", rule="R4.26")
    if rules.sex_from_id_number(id_number) != sex:
        raise ValidationFailed(_l("The sex does not match the ID card number (its 17th digit: "
                                  "odd male, even female)."), field="sex", rule="R4.26")
    return id_number


_OTHER_ID_PROBLEMS = {
    "blank": _l("Enter the number of the identity document."),
    "shape": _l("The document number does not have the shape of its type: no spaces; an "
                "organization code has 9 or 18 characters, a passport 5 to 20 letters and digits."),
}
_ID_PROBLEMS = {
    "shape": _l("An ID card number has 17 digits followed by a digit or X."),
    "birth_date": _l("The ID card number contains no real birth date (digits 7-14)."),
    "checksum": _l("The ID card number's check character is wrong (GB 11643): please check "
                   "every digit."),
}


def _collective(session: Session, code: str) -> Collective:
    collective = session.scalar(sa.select(Collective).where(Collective.code == code))
    if collective is None:
        raise ValidationFailed(_l("Unknown collective (发包方) %(code)s: register it first.",
                                  code=code), field="collective_code", rule="R4.5")
    return collective


def add_household(session: Session, actor: Actor, *, code: str, name: str, type: int = 1,
                  **fields) -> Household:
    """Register a household (承包方) of a known collective.

    Raises:
        ValidationFailed: malformed code or unknown collective. Forbidden: outside the area.
    """
    patterns.HOUSEHOLD.check(code, "code")
    permissions.require_edit_register(actor, code)
    ranges.SURVEY_DATE.check(fields.get("survey_date"), "survey_date")
    _collective(session, code[:14])
    household = Household(county_code=code[:6], code=code, collective_code=code[:14], name=name,
                          type=type, **fields)
    session.add(household)
    flush_or_raise(session)
    record(session, actor, "create", "household", code)
    return household


def _household(session: Session, code: str) -> Household:
    household = session.scalar(sa.select(Household).where(Household.code == code))
    if household is None:
        raise NotFound(_l("No household with code %(code)s.", code=code), field="household_code")
    return household


def add_member(session: Session, actor: Actor, *, household_code: str, person: Person,
               relation: str, is_co_holder: bool, remark_code: str | None = None,
               remark_text: str | None = None) -> HouseholdMember:
    """Add a person to a household as a (co-holding) member (R1.3).

    Raises:
        NotFound: unknown household. Conflict: the person is already in a household.
    """
    permissions.require_edit_register(actor, household_code)
    household = _household(session, household_code)
    member = HouseholdMember(county_code=household.county_code, household=household,
                             person=person, relation=relation, is_co_holder=is_co_holder,
                             remark_code=remark_code, remark_text=remark_text)
    session.add(member)
    flush_or_raise(session)
    return member


def add_parcel(session: Session, actor: Actor, *, code: str, geometry, srid: int = STORAGE_SRID,
               status: str = "surveyed", **attrs) -> Parcel:
    """Register a surveyed parcel; the database refuses overlaps beyond the tolerance.

    Raises:
        ValidationFailed: malformed code, unknown collective, bad geometry.
        Conflict: overlaps a live parcel, or the code is taken. Forbidden: outside the area.
    """
    patterns.PARCEL.check(code, "code")
    permissions.require_edit_register(actor, code)
    _collective(session, code[:14])
    geom = check_geometry(geometry, srid)
    parcel = Parcel(county_code=code[:6], code=code, collective_code=code[:14], version=1,
                    status=status, geom=from_shape(geom, srid=STORAGE_SRID, extended=True),
                    **_parcel_attrs(attrs))
    session.add(parcel)
    flush_or_raise(session)
    record(session, actor, "create", "parcel", code)
    return parcel


def _parcel_attrs(attrs: dict) -> dict:
    unknown = set(attrs) - set(PARCEL_FIELDS)
    if unknown:
        raise ValidationFailed(_l("Unknown parcel field: %(name)s", name=sorted(unknown)[0]),
                               field=sorted(unknown)[0])
    for name, span in (("surveyed_area_m2", ranges.PARCEL_AREA), ("surveyed_area_mu", ranges.PARCEL_AREA_MU)):
        if attrs.get(name) is not None:
            attrs = attrs | {name: ranges.decimal_in(span, attrs[name], name)}
    return attrs


def revise_parcel(session: Session, actor: Actor, *, code: str, reason: str,
                  document: str | None = None, geometry=None, srid: int = STORAGE_SRID,
                  **changes) -> Parcel:
    """Close the live version of a parcel and add the changed one as the next version.

    Raises:
        NotFound: no live parcel. ValidationFailed: bad geometry or field. Conflict: overlap.
    """
    permissions.require_edit_register(actor, code)
    if not reason:
        raise ValidationFailed(_l("Say why the parcel changes."), field="reason")
    old = session.scalar(sa.select(Parcel).where(Parcel.code == code, Parcel.valid_to.is_(None))
                         .with_for_update())
    if old is None:
        raise NotFound(_l("No parcel with code %(code)s.", code=code), field="code")
    now = clock.now()
    old.valid_to = now
    flush_or_raise(session)
    values = {f: getattr(old, f) for f in PARCEL_FIELDS} | _parcel_attrs(changes)
    geom = old.geom if geometry is None else from_shape(check_geometry(geometry, srid),
                                                        srid=STORAGE_SRID, extended=True)
    new = Parcel(county_code=old.county_code, code=code, collective_code=old.collective_code,
                 version=old.version + 1, status="surveyed", geom=geom, valid_from=now, **values)
    session.add(new)
    flush_or_raise(session)
    record(session, actor, "revise", "parcel", code, reason=reason, document=document,
           details={"version": new.version})
    return new


def create_contract(session: Session, actor: Actor, *, household_code: str, term_start: date,
                    term_end: date, parcels: list[dict], mode: str = "110",
                    signed_on: date | None = None, original_code: str | None = None) -> Contract:
    """Draft a household's contract over live parcels of its collective (R1.5, R4.8, R4.19).

    Raises:
        NotFound: unknown household or parcel. ValidationFailed: a parcel of another collective,
            or a parcel already in another live contract. Conflict: a live contract exists.
    """
    permissions.require_edit_register(actor, household_code)
    check_contract_term(term_start, term_end)
    ranges.SIGNED_ON.check(signed_on, "signed_on")
    _household(session, household_code)
    contract = Contract(county_code=household_code[:6], household_code=household_code, mode=mode,
                        code=rules.contract_code_for(household_code, mode), version=1,
                        term_start=term_start, term_end=term_end, signed_on=signed_on,
                        original_code=original_code, status="draft")
    _add_contract(session, actor, contract, parcels)
    return contract


def check_contract_term(term_start: date, term_end: date) -> None:
    """Refuse a contract term that starts before household contracting or after the horizon, ends
    before it starts, or lasts longer than the longest statutory term, 70 years (R1.5).

    Raises:
        ValidationFailed: naming term_start or term_end.
    """
    ranges.CONTRACT_START.check(term_start, "term_start")
    longest = ranges.years_after(term_start, ranges.LONGEST_TERM_YEARS)
    if not term_start < term_end <= longest:
        raise ValidationFailed(_l("The contract term ends after it starts and lasts at most 70 years "
                                  "(forest land; cultivated land 30): by %(end)s.", end=longest),
                               field="term_end", rule="R1.5")


def _add_contract(session: Session, actor: Actor, contract: Contract, parcels: list[dict]) -> None:
    session.add(contract)
    flush_or_raise(session)
    for item in parcels:
        session.add(_contract_parcel(session, contract, item))
    flush_or_raise(session)
    record(session, actor, "create", "contract", contract.code, details={"version": contract.version})


def _contract_parcel(session: Session, contract: Contract, item: dict) -> ContractParcel:
    code = item["parcel_code"]
    if not code.startswith(contract.household_code[:14]):
        raise ValidationFailed(_l("Parcel %(code)s belongs to another collective.", code=code),
                               field="parcel_code", rule="R4.7")
    parcel = (session.get(Parcel, item["parcel_id"]) if item.get("parcel_id") else
              session.scalar(sa.select(Parcel).where(Parcel.code == code, Parcel.valid_to.is_(None))))
    if parcel is None or parcel.code != code:
        raise NotFound(_l("No parcel with code %(code)s.", code=code), field="parcel_code")
    taken = session.scalar(
        sa.select(Contract.code).join(ContractParcel, ContractParcel.contract_id == Contract.id)
        .where(ContractParcel.parcel_code == code, Contract.valid_to.is_(None),
               Contract.code != contract.code))
    if taken:
        raise Conflict(_l("Parcel %(code)s is already in contract %(other)s.", code=code,
                          other=taken), field="parcel_code", rule="R1.3")
    return ContractParcel(county_code=contract.county_code, contract=contract, parcel_id=parcel.id,
                          parcel_code=code, contract_area_m2=item.get("contract_area_m2"),
                          confirmed_area_m2=item.get("confirmed_area_m2") or round(parcel.area_m2, 2))


def register_contract(session: Session, actor: Actor, *, code: str, registrar: str,
                      document: str | None = None, note: str | None = None) -> RegisterEntry:
    """Enter a drafted contract in the register book (登记簿, R3.6, R4.9); its parcels and the
    household's members become registered facts that change only by new versions.

    Raises:
        NotFound: no draft contract. Conflict: the contract is already registered.
    """
    permissions.require_edit_register(actor, code)
    contract = session.scalar(sa.select(Contract).where(Contract.code == code,
                                                        Contract.valid_to.is_(None))
                              .with_for_update())
    if contract is None:
        raise NotFound(_l("No contract with code %(code)s.", code=code), field="code")
    if contract.registered_at is not None:
        raise Conflict(_l("Contract %(code)s is already registered.", code=code), field="code")
    return _register(session, actor, contract, registrar=registrar, document=document, note=note)


def _register(session: Session, actor: Actor, contract: Contract, *, registrar: str,
              document: str | None, note: str | None, version: int = 1) -> RegisterEntry:
    now = clock.now()
    contract.status, contract.registered_at = "registered", now
    parcel_ids = [cp.parcel_id for cp in contract.parcels]
    session.execute(sa.update(Parcel).where(Parcel.id.in_(parcel_ids), Parcel.registered_at.is_(None))
                    .values(status="registered", registered_at=now))
    household = _household(session, contract.household_code)
    session.execute(sa.update(HouseholdMember)
                    .where(HouseholdMember.household_id == household.id,
                           HouseholdMember.valid_to.is_(None), HouseholdMember.registered_at.is_(None))
                    .values(registered_at=now))
    entry = RegisterEntry(county_code=contract.county_code, code=contract.code, version=version,
                          contract_id=contract.id, registrar=registrar, registered_at=now,
                          document=document, note=note)
    session.add(entry)
    flush_or_raise(session)
    record(session, actor, "register", "contract", contract.code, document=document,
           details={"version": contract.version})
    return entry


def record_contract_version(session: Session, actor: Actor, *, household_code: str,
                            term_start: date, term_end: date, parcels: list[dict], registrar: str,
                            document: str | None = None, note: str | None = None) -> RegisterEntry:
    """Register the household's family contract (R4.8 J) with these parcels: the first version, or
    the next one closing the live contract and register entry, which stay readable as of their time.

    The caller checks who may confirm (certification); parcels name the exact versions confirmed.

    Raises:
        NotFound: unknown household or parcel. Conflict: a parcel in another household's contract.
    """
    code = rules.contract_code_for(household_code, "110")
    old = session.scalar(sa.select(Contract).where(Contract.code == code, Contract.valid_to.is_(None))
                         .with_for_update())
    now = clock.now()
    if old is not None:
        old.valid_to = now
        session.execute(sa.update(RegisterEntry).where(RegisterEntry.code == code,
                                                       RegisterEntry.valid_to.is_(None))
                        .values(valid_to=now))
        flush_or_raise(session)
    contract = Contract(county_code=household_code[:6], household_code=household_code, mode="110",
                        code=code, version=1 if old is None else old.version + 1,
                        term_start=term_start, term_end=term_end, signed_on=clock.today(),
                        status="draft", valid_from=now)
    _add_contract(session, actor, contract, parcels)
    return _register(session, actor, contract, registrar=registrar, document=document, note=note,
                     version=contract.version)


def revise_member(session: Session, actor: Actor, *, household_code: str, id_number: str,
                  reason: str, document: str | None = None, remove: bool = False,
                  **changes) -> HouseholdMember | None:
    """Close a member's live version and add the changed one (or none, when removed).

    Raises:
        NotFound: no such live member. ValidationFailed: no reason or an unknown field.
    """
    permissions.require_edit_register(actor, household_code)
    if not reason:
        raise ValidationFailed(_l("Say why the member record changes."), field="reason")
    unknown = set(changes) - {"relation", "is_co_holder", "remark_code", "remark_text"}
    if unknown:
        raise ValidationFailed(_l("Unknown member field: %(name)s", name=sorted(unknown)[0]),
                               field=sorted(unknown)[0])
    old = session.scalar(
        sa.select(HouseholdMember).join(Person, Person.id == HouseholdMember.person_id)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(Household.code == household_code, Person.id_number == id_number,
               HouseholdMember.valid_to.is_(None)).with_for_update(of=HouseholdMember))
    if old is None:
        raise NotFound(_l("No member with ID number %(id)s in household %(code)s.",
                          id=rules.mask_id_number(id_number), code=household_code), field="id_number")
    now = clock.now()
    old.valid_to = now
    flush_or_raise(session)
    new = None
    if not remove:
        values = {f: getattr(old, f) for f in ("relation", "is_co_holder", "remark_code", "remark_text")}
        new = HouseholdMember(county_code=old.county_code, household_id=old.household_id,
                              person_id=old.person_id, valid_from=now, **(values | changes))
        session.add(new)
        flush_or_raise(session)
    record(session, actor, "remove" if remove else "revise", "member", household_code, reason=reason,
           document=document, details={"person_id": old.person_id})
    return new


def return_parcels(session: Session, actor: Actor, *, household_code: str, kept: list[dict],
                   returned: list[str], document: str) -> None:
    """Take returned parcels out of the household's contract (R1.14): the next version keeps the
    rest for the same term; with none left, the contract and its register entry end. Both stay
    readable as of their time.

    Raises:
        NotFound: the household has no live contract.
    """
    code = rules.contract_code_for(household_code, "110")
    contract = session.scalar(sa.select(Contract).where(Contract.code == code, Contract.valid_to.is_(None))
                              .with_for_update())
    if contract is None:
        raise NotFound(_l("No contract with code %(code)s.", code=code), field="code")
    if kept:
        record_contract_version(session, actor, household_code=household_code,
                                term_start=contract.term_start, term_end=contract.term_end, parcels=kept,
                                registrar=actor.name or "system", document=document)
    else:
        now = clock.now()
        contract.valid_to = now
        session.execute(sa.update(RegisterEntry).where(RegisterEntry.code == code,
                                                       RegisterEntry.valid_to.is_(None)).values(valid_to=now))
        flush_or_raise(session)
    record(session, actor, "return", "contract", code, document=document, details={"parcels": returned})
