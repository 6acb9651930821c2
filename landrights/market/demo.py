"""The demo's one transfer: the household that settled in Dongfeng town in 2019 leased two parcels
to the village's machinery cooperative in 2020, through the market's own steps (the clock is moved
back for the history and put back after), and has received its rent every year since."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from landrights import clock
from landrights.accounts.permissions import SYSTEM, Actor
from landrights.market import contracts, services
from landrights.market.models import RentPayment
from landrights.registry.models import Contract, ContractParcel

SETTLED = "220421101201020006"
STARTED = datetime(2020, 3, 2, 1, 0, tzinfo=UTC)


def load_market_demo(session: Session, transferee_user) -> None:
    """Register the demo cooperative and give it the settled household's 2020-2028 lease."""
    officer = Actor(role="township_officer", name="乡镇农经站（演示）", township_code=SETTLED[:9])
    household = Actor(role="farmer", name="赵振华", household_code=SETTLED)
    cooperative = Actor.of(transferee_user)
    codes = session.scalars(sa.select(ContractParcel.parcel_code).join(Contract)
                            .where(Contract.household_code == SETTLED, Contract.valid_to.is_(None))
                            .order_by(ContractParcel.parcel_code).limit(2)).all()
    clock.travel(STARTED - clock.now())
    try:
        transferee = services.register_transferee(
            session, cooperative, kind="cooperative", name="永安农机合作社",
            operating_capacity="大中型拖拉机 4 台、收割机 2 台，社员 36 户")
        services.review_capital(session, SYSTEM, transferee_id=transferee.id, county_code=SETTLED[:6],
                                approved=True, max_area_mu=Decimal(800), qualification="合作社登记证（演示）",
                                project="玉米规模化种植（演示）", risk_measures="预付首年租金（演示）",
                                valid_until=date(2029, 1, 1))
        listing = services.create_listing(
            session, household, household_code=SETTLED, parcel_codes=codes, mode="lease",
            term_start=date(2020, 4, 1), term_end=date(2028, 12, 31), reserve_price=Decimal("450"),
            payment_schedule="每年4月1日前付清当年租金", land_use="grain")
        services.record_deposit(session, officer, listing_id=listing.id, transferee_id=transferee.id,
                                amount_yuan=Decimal("1000"), receipt="收据 2020-015（演示）")
        services.place_bid(session, cooperative, listing_id=listing.id, price=Decimal("480"))
        clock.travel(STARTED.replace(month=3, day=20) - clock.now())
        contracts.award(session, officer, listing_id=listing.id)
        contract = contracts.draft_contract(session, officer, listing_id=listing.id,
                                            transferee_address="吉林省辽源市东丰县大阳镇永安村（演示）")
        contracts.sign_contract(session, household, code=contract.code)
        contracts.sign_contract(session, cooperative, code=contract.code)
    finally:
        clock.reset()
    session.execute(sa.update(RentPayment).where(RentPayment.contract_id == contract.id,
                                                 RentPayment.due_on < date(2026, 1, 1))
                    .values(paid_on=RentPayment.due_on))
