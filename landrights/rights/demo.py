"""The demo village's retained rights: the roster, shares and two years of dividends, homesteads
north of the fields, and the settlement of the household that moved to Dongfeng town in 2019."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from shapely.geometry import box
from sqlalchemy.orm import Session

from landrights.accounts.permissions import SYSTEM
from landrights.collective import services as collective
from landrights.collective.models import CollectiveSettings, Payout
from landrights.homestead import services as homestead
from landrights.registry.models import Collective, Household, HouseholdMember, Person
from landrights.rights import services as rights

ROSTER_DOCUMENT = "永安村集体经济组织成员确认公示（演示）"
SPOUSES = ("10", "11", "12", "38", "28")  # married in (GB/T 4761): basis marriage (R7.3)
# homesteads in a row north of the fields (lon/lat of the first; 14 m x 13 m each, 24 m apart)
ROW = (125.4437, 42.7361)
STEP_LON, WIDTH_LON, HEIGHT_LAT = 0.00030, 0.000171, 0.000117


def load_retained_rights(session: Session) -> None:
    """Load roster, shares, dividends, homesteads and the 2019 settlements of the demo village."""
    collectives = session.scalars(sa.select(Collective.code).order_by(Collective.code)).all()
    members = session.execute(
        sa.select(Household.collective_code, Person.id_number, Person.birth_date, HouseholdMember.relation,
                  HouseholdMember.remark_text)
        .join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .join(Person, Person.id == HouseholdMember.person_id)
        .where(HouseholdMember.valid_to.is_(None)).order_by(Household.code, Person.id)).all()
    for code, id_number, born, relation, _remark in members:
        married = relation in SPOUSES
        collective.admit_member(session, SYSTEM, collective_code=code, id_number=id_number,
                                basis="marriage" if married else "birth",
                                basis_date=(born + timedelta(days=365 * 22)) if married else born,
                                basis_document=ROSTER_DOCUMENT)
    session.add(CollectiveSettings(county_code=collectives[1][:6], collective_code=collectives[1],
                                   collective_share_percent=Decimal(10), inheritance_allowed=False))
    for code in collectives:
        collective.quantify_shares(session, SYSTEM, collective_code=code, per_member=Decimal("1.0000"),
                                   issued_on=date(2018, 12, 1), reason="股份合作制改革 股权量化（演示）")
        for year, amount in ((2024, Decimal("320.00")), (2025, Decimal("356.50"))):
            paid = collective.distribute(session, SYSTEM, collective_code=code, year=year,
                                         amount_per_share=amount, decided_on=date(year, 12, 20),
                                         document=f"{year}年度成员大会收益分配决议（演示）")
            if year == 2024:
                session.execute(sa.update(Payout).where(Payout.distribution_id == paid.id)
                                .values(paid_on=date(year + 1, 1, 15)))
    _homesteads(session)
    for (id_number,) in session.execute(sa.select(Person.id_number).join(
            HouseholdMember, HouseholdMember.person_id == Person.id)
            .where(HouseholdMember.valid_to.is_(None), HouseholdMember.remark_text.like("%进城落户%"))):
        rights.record_settlement(session, SYSTEM, id_number=id_number, settled_on=date(2019, 6, 1),
                                 city="吉林省辽源市东丰县东丰镇", document="户口迁移证（演示）")


def _homesteads(session: Session) -> None:
    households = session.scalars(sa.select(Household.code).where(
        Household.collective_code.in_(["22042110120101", "22042110120102"])).order_by(Household.code)).all()
    for i, code in enumerate(households):
        lon, lat = ROW[0] + (i % 40) * STEP_LON, ROW[1] + (i // 40) * 0.0003
        homestead.add_homestead(session, SYSTEM, household_code=code,
                                geometry=box(lon, lat, lon + WIDTH_LON, lat + HEIGHT_LAT),
                                land_source="original", approval_document="大阳镇宅基地审批（演示）",
                                approved_on=date(1995, 4, 1))
