"""Named reads of the registry, each limited to the actor's jurisdiction first."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, aliased, defer, selectinload

from landrights.accounts.permissions import Actor, covers, require_login
from landrights.errors import DomainError, NotFound, forbidden
from landrights.registry import permissions
from landrights.registry.models import (
    Collective,
    Contract,
    ContractParcel,
    Household,
    HouseholdMember,
    Parcel,
    ParcelOverview,
    Person,
    RegisterEntry,
    Setting,
)


@dataclass
class Page:
    """One page of a listing with the total count."""

    items: list
    total: int
    limit: int
    offset: int


# The withdrawals table is retained rights' (rights.models.Withdrawal). The one fact of it the
# register's other users need, when a household's return of contracted land took effect (R1.14),
# is read here by table name, so that certification does not import retained rights for it.
_WITHDRAWALS = sa.table("withdrawals", sa.column("household_code"), sa.column("kind"), sa.column("status"),
                        sa.column("effective_on"))


def returned_land_in_term(session: Session, household_code: str) -> date | None:
    """Return when the household's return of contracted land took effect, if it did: it then gets
    no new contracted land for the rest of the term (R1.14)."""
    w = _WITHDRAWALS.c
    return session.scalar(sa.select(sa.func.max(w.effective_on)).where(
        w.household_code == household_code, w.kind == "land_return", w.status == "effective"))


def setting(session: Session, key: str, default: str) -> str:
    """Return a registry setting (settings table), or the default."""
    return session.scalar(sa.select(Setting.value).where(Setting.key == key)) or default


def _live_at(model, as_of: datetime | None):
    if as_of is None:
        return model.valid_to.is_(None)
    return sa.and_(model.valid_from <= as_of,
                   sa.or_(model.valid_to.is_(None), model.valid_to > as_of))


def _farmer_parcel_codes(household_code: str):
    return (sa.select(ContractParcel.parcel_code)
            .join(Contract, Contract.id == ContractParcel.contract_id)
            .where(Contract.household_code == household_code, Contract.valid_to.is_(None)))


def parcel_scope(actor: Actor):
    """Return the SQL condition on Parcel that the actor may see."""
    require_login(actor)
    if permissions.reads_own_household_only(actor):
        return Parcel.code.in_(_farmer_parcel_codes(actor.household_code))
    prefix = actor.area_prefix
    return sa.false() if prefix is None else Parcel.code.startswith(prefix)


def scope_kind(actor: Actor) -> str:
    """Name the shape of the actor's parcel scope: a household's, an area's, or none."""
    if permissions.reads_own_household_only(actor):
        return "household"
    return "none" if actor.area_prefix is None else "area"


def scope_code(actor: Actor) -> str | None:
    """Return the code that bounds the actor's parcel scope (household code or area prefix)."""
    return actor.household_code if permissions.reads_own_household_only(actor) else actor.area_prefix


@cache
def bound_parcel_scope(kind: str):
    """Return parcel_scope for actors of one kind with their code as the bound parameter 'scope',
    so one cached statement serves every account of that kind. The caller checks the login."""
    code = sa.bindparam("scope", type_=sa.String)
    return parcel_scope({"household": Actor(role="farmer", household_code=code),
                         "area": Actor(role="county_admin", county_code=code),
                         "none": Actor(role="transferee")}[kind])


def _area_overviews(actor: Actor):
    """The condition on ParcelOverview for the villages of an area actor's jurisdiction."""
    return ParcelOverview.collective_code.startswith(actor.area_prefix)


_OVERVIEW_COUNTS = {None: ParcelOverview.parcels, "registered": ParcelOverview.registered,
                    "surveyed": ParcelOverview.parcels - ParcelOverview.registered}


def live_parcel_count(session: Session, actor: Actor, collective: str | None = None,
                      status: str | None = None) -> int | None:
    """Count an area's live parcels (of a collective, of a status) from its villages' overviews,
    whose counts the triggers of migration 0012 keep exact, instead of every parcel (a county's
    whole list counted 200,000 parcels for each page); None where they cannot tell (no area)."""
    if scope_kind(actor) != "area" or status not in _OVERVIEW_COUNTS:
        return None
    where = [_area_overviews(actor)]
    if collective:
        where.append(ParcelOverview.collective_code == collective)
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(_OVERVIEW_COUNTS[status]), 0))
                              .where(*where)))


def _holder_subquery():
    """Live holder's name per parcel code (the household of the live contract)."""
    return (sa.select(Household.name)
            .join(Contract, Contract.household_code == Household.code)
            .join(ContractParcel, ContractParcel.contract_id == Contract.id)
            .where(ContractParcel.parcel_code == Parcel.code, Contract.valid_to.is_(None))
            .limit(1).scalar_subquery())


def list_parcels(session: Session, actor: Actor, *, bbox=None, collective: str | None = None,
                 status: str | None = None, limit: int = 100, offset: int = 0) -> Page:
    """List live parcels in the actor's area as dicts with GeoJSON geometry, one page at a time."""
    where = [parcel_scope(actor), Parcel.valid_to.is_(None)]
    if bbox:
        where.append(Parcel.geom.intersects(sa.func.ST_MakeEnvelope(*bbox, 4490)))
    if collective:
        where.append(Parcel.collective_code == collective)
    if status:
        where.append(Parcel.status == status)
    total = live_parcel_count(session, actor, collective, status) if not bbox else None
    if total is None:
        total = session.scalar(sa.select(sa.func.count()).select_from(Parcel).where(*where))
    rows = session.execute(
        sa.select(Parcel.code, Parcel.name, Parcel.collective_code, Parcel.status, Parcel.area_m2,
                  Parcel.surveyed_area_m2, Parcel.version,
                  _holder_subquery().label("holder"),
                  sa.func.ST_AsGeoJSON(Parcel.geom, 8).label("geometry"))
        # (county, code): the live-code index's order, the same as by code (a code leads with its county)
        .where(*where).order_by(Parcel.county_code, Parcel.code).limit(limit).offset(offset)
    ).mappings()
    items = [{**row, "geometry": json.loads(row["geometry"])} for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def get_parcel(session: Session, actor: Actor, code: str, as_of: datetime | None = None) -> dict:
    """Return one parcel version (live, or as of a time) with its contract and holder.

    Raises:
        NotFound: no such parcel (then) in the actor's area. Forbidden: a code outside it, or
            (a farmer) not the household's, whether or not such a parcel exists.
    """
    if as_of is None:  # a map click or an API lookup: one cached statement, one round trip
        require_login(actor)
        # on the connection: a Core result of plain columns, without the ORM's per-statement setup
        row = session.connection().execute(
            _live_parcel_statement(scope_kind(actor)),
            {"county": code[:6], "code": code, "scope": scope_code(actor)}).first()
        if row is None or not row.visible:
            raise missing_or_hidden(actor, code, _l("No parcel with code %(code)s.", code=code))
        return _found(row)
    row = session.execute(
        sa.select(Parcel, parcel_scope(actor), sa.func.ST_AsGeoJSON(Parcel.geom, 8))
        .options(defer(Parcel.geom)).where(Parcel.code == code, _live_at(Parcel, as_of))).first()
    if row is None or not row[1]:
        raise missing_or_hidden(actor, code, _l("No parcel with code %(code)s.", code=code))
    parcel, _visible, geometry = row
    link = session.execute(_contract_link(parcel.county_code, code, as_of)).first() or (None,) * 3
    return {"parcel": parcel, "geometry": json.loads(geometry),
            "contract_parcel": link[0], "contract": link[1], "household": link[2]}


# what a parcel lookup shows: every column but the WKB geometry (the GeoJSON is what is shown),
# and of its live contract only what the parcel page and the API print
_LINK_SHOWN = {"contract_parcel": ("confirmed_area_m2",), "contract": ("code", "term_start", "term_end"),
               "household": ("code", "name")}


def _shown_columns(kind: str):
    link = _contract_link(Parcel.county_code, Parcel.code).limit(1)
    models = {"contract_parcel": ContractParcel, "contract": Contract, "household": Household}
    link = link.with_only_columns(*[getattr(models[part], name).label(f"{part}__{name}")
                                    for part, names in _LINK_SHOWN.items() for name in names]).lateral("link")
    own = [c for c in Parcel.__table__.c if c.name != "geom"]
    return link, [*own, bound_parcel_scope(kind).label("visible"),
                  sa.func.ST_AsGeoJSON(Parcel.geom, 8).label("geometry"), *link.c]


def _found(row) -> dict:
    """Turn a row of _shown_columns into get_parcel's dict; a missing contract gives None parts."""
    values = row._mapping
    found = {"parcel": SimpleNamespace(**{c.name: values[c.name] for c in Parcel.__table__.c
                                          if c.name != "geom"}),
             "geometry": json.loads(values["geometry"])}
    for part, names in _LINK_SHOWN.items():
        first = values[f"{part}__{names[0]}"]
        found[part] = None if first is None else \
            SimpleNamespace(**{n: values[f"{part}__{n}"] for n in names})
    return found


@cache
def _live_parcel_statement(kind: str):
    """Select a live parcel by county and code with whether an actor of this kind may see it
    (bound 'scope'), its GeoJSON, and what is shown of its live contract (one round trip, plain
    columns: a lookup is a map click, PERFORMANCE.md's identify-parcel budget)."""
    link, columns = _shown_columns(kind)
    return (sa.select(*columns).select_from(Parcel).outerjoin(link, sa.true())
            .where(Parcel.county_code == sa.bindparam("county", type_=sa.String),
                   Parcel.code == sa.bindparam("code", type_=sa.String), Parcel.valid_to.is_(None)))


def _contract_link(county_code, code, as_of: datetime | None = None):
    """Select a parcel code's contract parcel, contract (live or as of a time) and household.

    It goes through indexes at any size: the code's versions (county, code, version), then
    contract_parcels.parcel_id (its FK with parcel_code makes this the same as matching the code,
    which has no index), the contract's id and the household's county and code.
    """
    version = aliased(Parcel)
    return (sa.select(ContractParcel, Contract, Household)
            .join(version, version.id == ContractParcel.parcel_id)
            .join(Contract, sa.and_(Contract.id == ContractParcel.contract_id, _live_at(Contract, as_of)))
            .join(Household, sa.and_(Household.county_code == Contract.county_code,
                                     Household.code == Contract.household_code))
            .where(version.county_code == county_code, version.code == code))


@cache
def _parcel_at_statement(kind: str):
    point = sa.func.ST_SetSRID(sa.func.ST_MakePoint(sa.bindparam("lon", type_=sa.Float),
                                                    sa.bindparam("lat", type_=sa.Float)), 4490)
    link, columns = _shown_columns(kind)
    return (sa.select(*columns).select_from(Parcel).outerjoin(link, sa.true())
            .where(Parcel.valid_to.is_(None), bound_parcel_scope(kind), Parcel.geom.ST_Intersects(point))
            .order_by(Parcel.code).limit(1))


def parcel_at(session: Session, actor: Actor, lon: float, lat: float) -> dict:
    """Return the live parcel the actor may see that contains a point (EPSG:4490 lon/lat), with its
    contract and holder, as get_parcel does, in one index-using query.

    A parcel outside the actor's area is not found, so a point lookup never reveals one.

    Raises:
        NotFound: no live parcel the actor may see there. Unauthenticated: anonymous.
    """
    require_login(actor)
    conn = session.connection()
    # PostgreSQL keeps planning this statement afresh for every point (a custom plan looks cheaper
    # than the generic one, whose GiST estimate cannot see the point), 0.8 ms of each lookup at
    # 100,000 parcels; the generic plan is the same GiST probe. For this transaction only.
    conn.execute(sa.text("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"))
    row = conn.execute(_parcel_at_statement(scope_kind(actor)),
                       {"lon": lon, "lat": lat, "scope": scope_code(actor)}).first()
    if row is None:
        raise NotFound(_l("No parcel you may see lies at %(lon)s, %(lat)s.", lon=lon, lat=lat),
                       field="lon")
    return _found(row)


def parcel_history(session: Session, actor: Actor, code: str) -> list[Parcel]:
    """Return every version of a parcel the actor may see, oldest first.

    Raises:
        NotFound: no such parcel in the actor's area. Forbidden: a code outside it, or (a farmer)
            not the household's, whether or not such a parcel exists.
    """
    versions = list(session.scalars(
        sa.select(Parcel).where(Parcel.code == code, parcel_scope(actor)).order_by(Parcel.version)))
    if not versions:
        raise missing_or_hidden(actor, code, _l("No parcel with code %(code)s.", code=code))
    return versions


def missing_or_hidden(actor: Actor, code: str, message) -> DomainError:
    """Return the refusal for a code the actor finds nothing under: 'not found' only where the
    actor's area covers the code, so it would see the record if there were one; anywhere else the
    same 403 as for an existing record outside the area, so no one learns which codes exist."""
    if covers(actor, code):
        return NotFound(message, field="code")
    return forbidden()


def household_scope(actor: Actor):
    """Return the SQL condition on Household that the actor may see."""
    require_login(actor)
    prefix = actor.area_prefix
    return sa.false() if prefix is None else Household.code.startswith(prefix)


def list_households(session: Session, actor: Actor, *, collective: str | None = None,
                    limit: int = 100, offset: int = 0) -> Page:
    """List households in the actor's area."""
    where = [household_scope(actor)]
    if collective:
        where.append(Household.collective_code == collective)
    total = session.scalar(sa.select(sa.func.count()).select_from(Household).where(*where))
    items = list(session.scalars(sa.select(Household).where(*where).order_by(Household.code)
                                 .limit(limit).offset(offset)))
    return Page(items=items, total=total, limit=limit, offset=offset)


def get_household(session: Session, actor: Actor, code: str) -> dict:
    """Return a household with its live members, live contract and that contract's parcels.

    Raises:
        Forbidden: a code outside the actor's area, whether or not it exists. NotFound: no such
            household in it.
    """
    permissions.require_see_record(actor, code)  # from the code alone, before the lookup: no oracle
    household = session.scalar(sa.select(Household).where(Household.code == code))
    if household is None:
        raise NotFound(_l("No household with code %(code)s.", code=code), field="code")
    members = list(session.scalars(
        sa.select(HouseholdMember).options(selectinload(HouseholdMember.person))
        .where(HouseholdMember.household_id == household.id, HouseholdMember.valid_to.is_(None))
        .order_by(HouseholdMember.relation, HouseholdMember.id)))
    contract = session.scalar(
        sa.select(Contract).options(selectinload(Contract.parcels))
        .where(Contract.household_code == code, Contract.valid_to.is_(None)))
    collective = session.scalar(sa.select(Collective).where(Collective.code == household.collective_code))
    return {"household": household, "members": members, "contract": contract,
            "collective": collective}


def person_in_area(session: Session, actor: Actor, id_number: str) -> tuple[Person, str | None] | None:
    """Return the person with this ID number whose live household (or, without one, whose county)
    lies in the actor's area, with that household's code; None when there is none there, alike
    for a number never registered and one registered elsewhere (persons are unique per county;
    a listing of the number in conflict, persons.id_conflict_of, identifies no one)."""
    rows = session.execute(
        sa.select(Person, Household.code)
        .outerjoin(HouseholdMember, sa.and_(HouseholdMember.person_id == Person.id,
                                            HouseholdMember.valid_to.is_(None)))
        .outerjoin(Household, Household.id == HouseholdMember.household_id)
        .where(Person.id_number == id_number, Person.id_conflict_of.is_(None))
        .order_by(Person.id)).all()
    return next(((p, code) for p, code in rows if covers(actor, code or p.county_code)), None)


def list_persons(session: Session, actor: Actor, *, household: str | None = None,
                 limit: int = 100, offset: int = 0) -> Page:
    """List persons who are live members of households in the actor's area, with household code."""
    where = [household_scope(actor), HouseholdMember.valid_to.is_(None)]
    if household:
        where.append(Household.code == household)
    base = (sa.select(Person, Household.code.label("household_code"), HouseholdMember.relation)
            .join(HouseholdMember, HouseholdMember.person_id == Person.id)
            .join(Household, Household.id == HouseholdMember.household_id).where(*where))
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    rows = session.execute(base.order_by(Household.code, HouseholdMember.relation, Person.id)
                           .limit(limit).offset(offset)).all()
    return Page(items=rows, total=total, limit=limit, offset=offset)


def list_contracts(session: Session, actor: Actor, *, collective: str | None = None,
                   limit: int = 100, offset: int = 0) -> Page:
    """List live contracts in the actor's area."""
    require_login(actor)
    prefix = actor.area_prefix
    where = [Contract.valid_to.is_(None),
             sa.false() if prefix is None else Contract.code.startswith(prefix)]
    if collective:
        where.append(Contract.household_code.startswith(collective))
    total = session.scalar(sa.select(sa.func.count()).select_from(Contract).where(*where))
    items = list(session.scalars(sa.select(Contract).options(selectinload(Contract.parcels))
                                 .where(*where).order_by(Contract.code).limit(limit).offset(offset)))
    return Page(items=items, total=total, limit=limit, offset=offset)


def get_contract(session: Session, actor: Actor, code: str, as_of: datetime | None = None) -> dict:
    """Return a contract version (live or as of a time) with parcels and its register entry.

    Raises:
        Forbidden: a code outside the actor's area, whether or not it exists. NotFound: no such
            contract in it.
    """
    permissions.require_see_record(actor, code)  # from the code alone, before the lookup: no oracle
    contract = session.scalar(sa.select(Contract).options(selectinload(Contract.parcels))
                              .where(Contract.code == code, _live_at(Contract, as_of)))
    if contract is None:
        raise NotFound(_l("No contract with code %(code)s.", code=code), field="code")
    entry = session.scalar(sa.select(RegisterEntry).where(RegisterEntry.code == code,
                                                          _live_at(RegisterEntry, as_of)))
    return {"contract": contract, "register_entry": entry}


def jurisdiction_bounds(session: Session, actor: Actor) -> tuple[float, float, float, float] | None:
    """Return the lon/lat box of the live parcels the actor may see, or None if none.

    For an area, from the overviews of its villages (migration 0012): each covers the bounding
    box of every live parcel of its village and no more than their boxes' extent, so theirs is the
    parcels' (to the float rounding of stored boxes, under 2 m), from a few hundred rows for a
    county instead of every parcel (88 ms at 200,000 parcels, on every opening of the map).
    """
    require_login(actor)
    if scope_kind(actor) == "area":
        geom, where = ParcelOverview.geom, [_area_overviews(actor)]
    else:  # a household's few parcels (or none)
        geom, where = Parcel.geom, [parcel_scope(actor), Parcel.valid_to.is_(None)]
    extent = sa.func.ST_Extent(geom)
    box = session.execute(sa.select(sa.func.ST_XMin(extent), sa.func.ST_YMin(extent),
                                    sa.func.ST_XMax(extent), sa.func.ST_YMax(extent)).where(*where)).one()
    return None if box[0] is None else tuple(box)


def parcel_time_extent(session: Session, actor: Actor) -> tuple[datetime | None, datetime | None] | None:
    """Return when the first version of the area's parcels began and when the last ended (None:
    one is still live), as (None, None) if it holds none; None where it cannot tell (no area).

    A village with live parcels has an overview that holds its first version's start (migration
    0013), so the area's live villages cost a row each instead of every parcel version (70-78 ms
    for /ogc/collections/parcels at 100,000 parcels, 17-19 ms with them). A village left with none
    live has no overview: its versions are read from its range of the code index, and only then
    does the end come from them.
    """
    require_login(actor)
    if scope_kind(actor) != "area":
        return None
    live_since, any_live = session.execute(
        sa.select(sa.func.min(ParcelOverview.since), sa.func.count())
        .where(_area_overviews(actor))).one()
    # per village without an overview, after that test (the select list of the rows it keeps):
    # one range of the code index each
    versions = sa.and_(Parcel.county_code == Collective.county_code,
                       Parcel.code.between(Collective.code + "00000", Collective.code + "99999"))
    closed = (sa.select(sa.select(sa.func.min(Parcel.valid_from)).where(versions).scalar_subquery()
                        .label("first"),
                        sa.select(sa.func.max(Parcel.valid_to)).where(versions).scalar_subquery()
                        .label("last"))
              .where(Collective.code.startswith(actor.area_prefix),
                     ~sa.exists().where(ParcelOverview.county_code == Collective.county_code,
                                        ParcelOverview.collective_code == Collective.code))
              .subquery())
    first, last = session.execute(sa.select(sa.func.min(closed.c.first), sa.func.max(closed.c.last))).one()
    starts = [t for t in (live_since, first) if t is not None]
    return (min(starts) if starts else None), (None if any_live else last)


def list_collectives(session: Session, actor: Actor) -> list[Collective]:
    """List the collectives in the actor's area, by code."""
    require_login(actor)
    if not permissions.can_list_collectives(actor):
        return []
    return list(session.scalars(sa.select(Collective).where(Collective.code.startswith(actor.area_prefix))
                                .order_by(Collective.code)))
