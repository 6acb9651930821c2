"""Homestead use cases: record an approved homestead (R6.1-R6.5, R6.8), a house disposal (R6.5), and
a homestead's withdrawal as a new version (R6.6, called only by an effective withdrawal)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import from_shape
from sqlalchemy.orm import Session

from landrights import clock, ranges
from landrights.accounts.permissions import Actor
from landrights.db import flush_or_raise
from landrights.errors import Conflict, NotFound, ValidationFailed
from landrights.geo.crs import STORAGE_SRID
from landrights.homestead import permissions
from landrights.homestead.models import LAND_SOURCES, Homestead, HomesteadStandard, HouseDisposal
from landrights.registry import services as registry
from landrights.registry.models import Household, Parcel


def add_homestead(session: Session, actor: Actor, *, household_code: str, geometry, land_source: str,
                  approval_document: str, approved_on: date, real_estate_unit: str | None = None,
                  srid: int = STORAGE_SRID) -> Homestead:
    """Record a homestead the township approved (R6.4) for a household.

    Raises:
        Forbidden: not a registry writer of the area. NotFound: unknown household.
        ValidationFailed: bad geometry or land source, area above the county standard (R6.8), on
            permanent basic farmland (R6.3). Conflict: the household sold, leased or gave away its
            house (R6.5), or already has an active homestead (R6.1, the database's unique index).
    """
    permissions.require_record_homestead(actor, household_code)
    if land_source not in LAND_SOURCES:
        raise ValidationFailed(_l("Land source is one of: original homestead, vacant village land, "
                                  "cultivated land."), field="land_source", rule="R6.3")
    if not (approval_document or "").strip():
        raise ValidationFailed(_l("Name the township's approval document."), field="approval_document",
                               rule="R6.4")
    ranges.APPROVED_ON.check(approved_on, "approved_on")
    geom = registry.check_geometry(geometry, srid)
    registry.lock_code(session, "homestead", household_code)
    if session.scalar(sa.select(Household.id).where(Household.code == household_code)) is None:
        raise NotFound(_l("No household with code %(code)s.", code=household_code), field="household_code")
    _no_disposal(session, household_code)
    shape = from_shape(geom, srid=STORAGE_SRID, extended=True)
    expression = sa.func.ST_GeomFromText(geom.wkt, STORAGE_SRID)
    _within_standard(session, household_code[:6], land_source, expression)
    _off_basic_farmland(session, expression)
    count = session.scalar(sa.select(sa.func.count(sa.distinct(Homestead.code)))
                           .where(Homestead.household_code == household_code))
    homestead = Homestead(county_code=household_code[:6], code=f"{household_code}Z{count + 1:02d}",
                          version=1, household_code=household_code, geom=shape, land_source=land_source,
                          approval_document=approval_document.strip(), approved_on=approved_on,
                          real_estate_unit=real_estate_unit or None, status="active",
                          valid_from=clock.now(), registered_at=clock.now())
    session.add(homestead)
    flush_or_raise(session)
    registry.record(session, actor, "create", "homestead", homestead.code, document=approval_document)
    return homestead


def _no_disposal(session: Session, household_code: str) -> None:
    disposal = session.scalar(sa.select(HouseDisposal).where(HouseDisposal.household_code == household_code)
                              .order_by(HouseDisposal.disposed_on.desc()).limit(1))
    if disposal is not None:
        raise Conflict(_l("The household %(kind)s its house on %(date)s: no new homestead may be "
                          "approved.", kind=_DISPOSALS[disposal.kind], date=disposal.disposed_on),
                       field="household_code", rule="R6.5")


_DISPOSALS = {"sold": _l("sold"), "leased": _l("leased"), "gifted": _l("gave away")}


def _within_standard(session: Session, county_code: str, land_source: str, expression) -> None:
    standard = session.get(HomesteadStandard, (county_code, land_source))
    if standard is None:
        raise ValidationFailed(_l("County %(county)s has no homestead area standard for this land "
                                  "source: configure homestead_standards first.", county=county_code),
                               field="land_source", rule="R6.8")
    area = session.scalar(sa.select(sa.func.ST_Area(sa.func.geography(expression))))
    if area > float(standard.max_area_m2):
        raise ValidationFailed(_l("The homestead has %(area)s m², more than the county standard of "
                                  "%(max)s m² for this land source.", area=round(area, 1),
                                  max=standard.max_area_m2), field="geometry", rule="R6.1")


def _off_basic_farmland(session: Session, expression) -> None:
    hit = session.scalar(sa.select(Parcel.code).where(
        Parcel.valid_to.is_(None), Parcel.is_basic_farmland.is_(True), Parcel.geom.op("&&")(expression),
        sa.func.ST_Relate(Parcel.geom, expression, "2********")).limit(1))
    if hit is not None:
        raise ValidationFailed(_l("The homestead lies on permanent basic farmland (parcel %(code)s).",
                                  code=hit), field="geometry", rule="R6.3")


def record_house_disposal(session: Session, actor: Actor, *, household_code: str, kind: str,
                          disposed_on: date, document: str) -> HouseDisposal:
    """Record that a household sold, leased or gave away its house (R6.5).

    Raises:
        Forbidden: not a registry writer of the area. ValidationFailed: unknown kind or no document.
    """
    permissions.require_record_homestead(actor, household_code)
    if kind not in _DISPOSALS:
        raise ValidationFailed(_l("Kind is sold, leased or gifted."), field="kind", rule="R6.5")
    if not (document or "").strip():
        raise ValidationFailed(_l("Name the document (contract, deed)."), field="document", rule="R6.5")
    ranges.DISPOSED_ON.check(disposed_on, "disposed_on")
    disposal = HouseDisposal(county_code=household_code[:6], household_code=household_code, kind=kind,
                             disposed_on=disposed_on, document=document.strip())
    session.add(disposal)
    flush_or_raise(session)
    registry.record(session, actor, "dispose_house", "household", household_code, document=document)
    return disposal


def withdraw_homestead(session: Session, actor: Actor, *, code: str, document: str) -> Homestead:
    """End an active homestead by a new version with status withdrawn (an effective withdrawal).

    Raises:
        NotFound: no active homestead with this code.
    """
    old = session.scalar(sa.select(Homestead).where(Homestead.code == code, Homestead.valid_to.is_(None),
                                                    Homestead.status == "active").with_for_update())
    if old is None:
        raise NotFound(_l("No active homestead %(code)s.", code=code), field="homestead_code")
    now = clock.now()
    old.valid_to = now
    flush_or_raise(session)
    new = Homestead(county_code=old.county_code, code=code, version=old.version + 1,
                    household_code=old.household_code, geom=old.geom, land_source=old.land_source,
                    approval_document=old.approval_document, approved_on=old.approved_on,
                    real_estate_unit=old.real_estate_unit, status="withdrawn", valid_from=now,
                    registered_at=now)
    session.add(new)
    flush_or_raise(session)
    registry.record(session, actor, "withdraw", "homestead", code, document=document)
    return new
