"""The demo plus what reaches the rest of the pages, made through the services (issue 19's crawl):
a survey import with findings, an open notice of group 03 with an objection, the demo farmer's
open listing with bids of the demo cooperative and a company, a contract filed a year ago on two
other parcels of his with rent due and one instalment paid, a pledge, a certificate, the migrant's
entrustment of the demo farmer to list its land."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from landrights import clock
from landrights.accounts.models import User
from landrights.accounts.permissions import SYSTEM, Actor
from landrights.certification import certificates, objections
from landrights.certification import services as certification
from landrights.evidence import Upload
from landrights.market import contracts, entrustment_queries, entrustments, pledges
from landrights.market import services as market
from landrights.market.models import Transferee
from landrights.registry import services as registry
from landrights.survey import services as survey
from landrights.survey import synthetic as syn
from tests.certification.conftest import COLLECTIVE as NOTICE_GROUP
from tests.certification.conftest import PENDING
from tests.market.conftest import HOUSEHOLD, MEMBER_HOUSEHOLD, farmer_of, make_bidder, parcels_of

OFFICER = Actor(role="township_officer", user_id=None, name="乡镇农经站", township_code=HOUSEHOLD[:9])
COUNTY = Actor(role="county_admin", user_id=None, name="县管理员", county_code=HOUSEHOLD[:6])
SURVEY_GROUP = "22042110120104"  # a new group away from the demo parcels (tests/survey/test_web.py)
EVIDENCE = Upload("现场照片.pdf", "application/pdf", b"%PDF-1.4\n% evidence\n")


@dataclass
class Made:
    """What the richer demo added, for tests to name."""

    listing_id: int
    contract_code: str
    notice_id: int
    objection_id: int
    import_id: int


def richer_demo(session, folder: Path) -> Made:
    """Add to the demo (in the caller's transaction) what the demo lacks for a full crawl."""
    import_id = _survey_import(session, folder)
    cooperative = _demo_cooperative(session)
    company = make_bidder(session, "crawl_co", "company")
    codes = parcels_of(session, HOUSEHOLD)
    contract_code = _filed_last_year(session, cooperative, codes[:2])
    listing_id = _listing_with_bids(session, (cooperative, company), codes[2:4])
    pledges.record_pledge(session, OFFICER, household_code=MEMBER_HOUSEHOLD,
                          parcel_codes=parcels_of(session, MEMBER_HOUSEHOLD)[:1],
                          creditor="东辽县农村信用社", amount_yuan=Decimal("30000"),
                          term_start=date(2026, 1, 1), term_end=date(2027, 12, 31), document="抵押合同 001")
    notice = certification.open_notice(session, OFFICER, collective_code=NOTICE_GROUP)
    objection = objections.file_objection(session, farmer_of(PENDING[0]), notice_id=notice.id,
                                          household_code=PENDING[0], text="东至写错了，应为河沟",
                                          evidence=EVIDENCE)
    _certificate(session, HOUSEHOLD)
    _entrusted_to_the_farmer(session)
    return Made(listing_id, contract_code, notice.id, objection.id, import_id)


def _entrusted_to_the_farmer(session) -> None:
    """The migrant's household entrusts the demo farmer (a relative) to list its land; he accepted
    and listed its free parcel (R2.4): his home page leads to that land, its form and the listing."""
    migrant = "220421101201020006"
    form = entrustment_queries.entrust_form(session, farmer_of(migrant), migrant)
    made = entrustments.create_entrustment(
        session, farmer_of(migrant), household_code=migrant, agent_username="farmer",
        parcel_codes=[p["code"] for p in form["parcels"]], acts=["list", "sign"], valid_from=clock.today(),
        valid_to=clock.today() + timedelta(days=180), transfer_until=form["contract_end"],
        min_price=Decimal("480"), scope="代我出租土地")
    relative = Actor.of(session.scalar(sa.select(User).where(User.username == "farmer")))
    entrustments.accept_entrustment(session, relative, entrustment_id=made.id)
    free = [p["code"] for p in form["parcels"] if not p["leased_until"]]
    market.create_listing(session, relative, household_code=migrant, parcel_codes=free, mode="lease",
                          term_start=date(2027, 3, 1), term_end=form["contract_end"],
                          reserve_price=Decimal("500"), payment_schedule="每年3月1日前付清当年租金",
                          land_use="grain", entrustment_id=made.id)


def _certificate(session, household: str) -> None:
    """Issue the household's first certificate unless the demo already did."""
    code = session.scalar(sa.text("SELECT code FROM contracts WHERE household_code = :h "
                                  "AND valid_to IS NULL"), {"h": household})
    issued = session.scalar(sa.text("SELECT 1 FROM certificates c JOIN contracts k ON k.id = c.contract_id "
                                    "WHERE k.code = :c"), {"c": code})
    if not issued:
        certificates.issue_certificate(session, COUNTY, code=code)


def _survey_import(session, folder: Path) -> int:
    registry.add_collective(session, SYSTEM, code=SURVEY_GROUP, name="永安村四组")
    parcels = syn.make_parcels(SURVEY_GROUP, 12, start=901)
    syn.plant_defects(parcels, "22042110120102")
    shp = syn.write_shapefile(parcels, folder / "shp")
    archive = syn.zip_folder(shp.parent, folder / "四组调查成果.zip")
    return survey.import_survey(session, OFFICER, archive, collective_code=SURVEY_GROUP).id


def _demo_cooperative(session):
    user = session.scalar(sa.select(User).where(User.username == "transferee"))
    transferee_id = session.scalar(sa.select(Transferee.id).where(Transferee.user_id == user.id))
    return type("Bidder", (), {"actor": Actor.of(user), "transferee_id": transferee_id})


def _deposit(session, listing_id: int, bidder) -> None:
    market.record_deposit(session, OFFICER, listing_id=listing_id, transferee_id=bidder.transferee_id,
                          amount_yuan=Decimal("2000"), receipt="收据 2026-101")


def _filed_last_year(session, bidder, codes: list[str]) -> str:
    """Award and file a lease from 2025-12-01 (rent due each year since) as it was done then."""
    clock.travel(-timedelta(days=380))
    try:
        listing = market.create_listing(
            session, farmer_of(HOUSEHOLD), household_code=HOUSEHOLD, parcel_codes=codes, mode="lease",
            term_start=date(2025, 12, 1), term_end=date(2028, 12, 31), reserve_price=Decimal("500"),
            payment_schedule="每年12月1日前付清当年租金", land_use="grain")
        _deposit(session, listing.id, bidder)
        market.place_bid(session, bidder.actor, listing_id=listing.id, price=Decimal("520"))
        clock.travel(timedelta(days=11))
        contracts.award(session, OFFICER, listing_id=listing.id)
        contract = contracts.draft_contract(session, OFFICER, listing_id=listing.id,
                                            transferee_address="吉林省辽源市东辽县安石镇永安村")
        contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)
        contracts.sign_contract(session, bidder.actor, code=contract.code)
        contracts.record_rent(session, farmer_of(HOUSEHOLD), code=contract.code, due_on=date(2025, 12, 1),
                              paid_on=clock.today())
    finally:
        clock.reset()
    return contract.code


def _listing_with_bids(session, bidders, codes: list[str]) -> int:
    listing = market.create_listing(
        session, farmer_of(HOUSEHOLD), household_code=HOUSEHOLD, parcel_codes=codes, mode="lease",
        term_start=date(2027, 3, 1), term_end=date(2028, 12, 31), reserve_price=Decimal("450"),
        payment_schedule="每年3月1日前付清当年租金", land_use="grain")
    for n, bidder in enumerate(bidders):
        _deposit(session, listing.id, bidder)
        market.place_bid(session, bidder.actor, listing_id=listing.id, price=Decimal(460 + 20 * n))
    return listing.id
