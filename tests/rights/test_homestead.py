"""Homesteads: one active per household (R6.1, database), the county standard (R6.8 placeholder),
no homestead after selling the house (R6.5), not on permanent basic farmland (R6.3), history."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from shapely.geometry import box
from sqlalchemy.exc import IntegrityError

from landrights.errors import Conflict, ValidationFailed
from landrights.homestead import services
from landrights.homestead.models import Homestead, HomesteadStandard
from tests.rights.conftest import HOUSEHOLD

GROUP3 = "220421101201030001"  # no homestead in the demo
FREE = box(125.4440, 42.7375, 125.44417, 42.73762)  # north of the fields, about 14 m x 13 m


def _add(session, actor, household=GROUP3, geometry=FREE, **kw):
    return services.add_homestead(session, actor, household_code=household, geometry=geometry,
                                  land_source=kw.pop("land_source", "original"),
                                  approval_document="大阳镇宅审〔2026〕1号", approved_on=date(2026, 5, 1),
                                  **kw)


def test_a_household_gets_its_homestead_with_area_and_code(session, officer):
    homestead = _add(session, officer, real_estate_unit="220421101201JC00001F00010001")
    assert homestead.code == GROUP3 + "Z01" and 150 < homestead.area_m2 < 200
    assert homestead.status == "active" and homestead.registered_at is not None


def test_one_active_homestead_per_household(session, officer):
    with pytest.raises(Conflict):  # the demo household already has one
        _add(session, officer, household=HOUSEHOLD)
    live = session.scalar(sa.select(Homestead).where(Homestead.household_code == HOUSEHOLD))
    with pytest.raises(IntegrityError) as info, session.begin_nested():
        session.execute(sa.text(
            "INSERT INTO homesteads (county_code, code, version, household_code, geom, land_source, "
            "approval_document, approved_on, status) SELECT county_code, household_code || 'Z09', 1, "
            "household_code, ST_Translate(geom, 0.01, 0), land_source, approval_document, approved_on, "
            "'active' FROM homesteads WHERE id = :id"), {"id": live.id})
    assert info.value.orig.sqlstate == "23505" and "uq_homesteads_one_active" in str(info.value)


def test_area_above_the_county_standard_is_refused(session, officer):
    big = box(125.4440, 42.7375, 125.4443, 42.7378)  # about 25 m x 33 m
    with pytest.raises(ValidationFailed) as info:
        _add(session, officer, geometry=big)
    assert (info.value.field, info.value.rule) == ("geometry", "R6.1")
    standard = session.get(HomesteadStandard, ("220421", "original"))
    assert standard.placeholder and "R6.8" in standard.note  # says it is a placeholder


def test_no_homestead_on_basic_farmland(session, officer):
    parcel = session.execute(sa.text(
        "SELECT code, ST_AsText(ST_PointOnSurface(geom)) FROM parcels WHERE is_basic_farmland "
        "AND valid_to IS NULL LIMIT 1")).one()
    x, y = map(float, parcel[1][6:-1].split())
    with pytest.raises(ValidationFailed) as info:
        _add(session, officer, geometry=box(x - 0.00002, y - 0.00002, x + 0.00002, y + 0.00002))
    assert info.value.rule == "R6.3" and parcel[0] in str(info.value.message)


def test_no_new_homestead_after_the_house_was_sold(session, officer):
    services.record_house_disposal(session, officer, household_code=GROUP3, kind="sold",
                                   disposed_on=date(2025, 3, 1), document="房屋买卖合同")
    with pytest.raises(Conflict) as info:
        _add(session, officer)
    assert info.value.rule == "R6.5"
    assert "R6.5" not in str(info.value.message)  # the rule id stays in the API's rule field (issue 19)


def test_withdrawn_homestead_keeps_its_history(session, officer, system):
    code = session.scalar(sa.select(Homestead.code).where(Homestead.household_code == HOUSEHOLD))
    services.withdraw_homestead(session, system, code=code, document="退出协议")
    versions = session.scalars(sa.select(Homestead).where(Homestead.code == code)
                               .order_by(Homestead.version)).all()
    assert [(v.version, v.status, v.valid_to is None) for v in versions] == [
        (1, "active", False), (2, "withdrawn", True)]
    assert _add(session, officer, household=HOUSEHOLD).code == HOUSEHOLD + "Z02"  # may apply anew
