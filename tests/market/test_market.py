"""The market path and its rules: listing -> bids -> member match -> award -> contract -> filing ->
rent; the term limit (R1.21(3)), the overlap exclusion, the social-capital gate (R1.28), anti-sniping,
statutory termination only (R1.25). Entrustments (R2.4): test_entrustments.py."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from landrights import clock
from landrights.accounts.permissions import Actor
from landrights.errors import Conflict, Forbidden, ValidationFailed
from landrights.market import contracts
from landrights.market import services as market
from landrights.market.models import Deposit, LedgerEntry, RentPayment
from tests.factories import COUNTY, make_listing, pay_deposit
from tests.market.conftest import HOUSEHOLD, MEMBER_HOUSEHOLD, MEMBER_ID, farmer_of, make_bidder, parcels_of


def test_listing_bids_member_match_award_contract_filing_rent(session, officer):
    listing = make_listing(session)
    company = make_bidder(session, "agri_co", "company")
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    for bidder in (company, member):
        pay_deposit(session, officer, listing, bidder)
    market.place_bid(session, company.actor, listing_id=listing.id, price=Decimal("520"))
    market.place_bid(session, member.actor, listing_id=listing.id, price=Decimal("540"))
    market.place_bid(session, company.actor, listing_id=listing.id, price=Decimal("600"))
    with pytest.raises(ValidationFailed):
        market.place_bid(session, member.actor, listing_id=listing.id, price=Decimal("600"))  # not higher
    clock.travel(timedelta(days=7, minutes=1))
    with pytest.raises(Conflict):
        market.place_bid(session, member.actor, listing_id=listing.id, price=Decimal("700"))  # closed
    with pytest.raises(Forbidden):
        market.match_as_member(session, company.actor, listing_id=listing.id)  # not a member
    match = market.match_as_member(session, member.actor, listing_id=listing.id)
    assert match.price == Decimal("600")
    with pytest.raises(Conflict):
        contracts.award(session, officer, listing_id=listing.id)  # the members' window is open
    clock.travel(timedelta(hours=72))
    offer = contracts.award(session, officer, listing_id=listing.id)
    assert (offer.transferee_id, offer.kind) == (member.transferee_id, "member_match")
    assert offer.price == Decimal("600")  # at equal terms
    deposits = dict(session.execute(sa.select(Deposit.transferee_id, Deposit.status)
                                    .where(Deposit.listing_id == listing.id)).all())
    assert deposits == {member.transferee_id: "applied", company.transferee_id: "released"}

    contract = contracts.draft_contract(session, officer, listing_id=listing.id)
    assert len(contract.code) == 18 and contract.code.startswith("2204212027")
    assert {p["code"] for p in contract.clauses["parcels"]} == set(listing_codes := contract.parcel_codes)
    assert all(p["east"] is not None for p in contract.clauses["parcels"])
    assert contract.clauses["expropriation"] and contract.clauses["termination"]
    assert not contract.registrable  # two years: below the five of R1.24
    contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)
    assert contract.status == "draft"
    contracts.sign_contract(session, member.actor, code=contract.code)
    assert contract.status == "filed" and contract.filed_at is not None
    with pytest.raises(Conflict) as refused:  # two years: no registration (R1.24)
        contracts.register_transfer(session, officer, code=contract.code)
    assert refused.value.rule == "R1.24"
    ledger = session.scalar(sa.select(LedgerEntry).where(LedgerEntry.contract_code == contract.code))
    assert ledger.township_code == "220421101" and ledger.parcel_codes == listing_codes
    dues = session.scalars(sa.select(RentPayment.due_on).where(RentPayment.contract_id == contract.id)
                           .order_by(RentPayment.due_on)).all()
    assert dues == [date(2027, 1, 1), date(2028, 1, 1)]
    paid = contracts.record_rent(session, farmer_of(HOUSEHOLD), code=contract.code, due_on=date(2027, 1, 1),
                                 paid_on=clock.today())  # paid ahead: a payment is never in the future
    assert paid.amount_yuan == contract.annual_rent_yuan > 0


def test_the_transfer_term_ends_by_the_contract_term(session):
    with pytest.raises(ValidationFailed) as info:
        make_listing(session, term_end=date(2029, 1, 1))  # the demo contracts end 2028-12-31
    assert info.value.rule == "R1.21"


def test_a_parcel_is_listed_or_transferred_once_for_overlapping_terms(session):
    make_listing(session)
    with pytest.raises(Conflict) as info:
        make_listing(session, term_start=date(2028, 6, 1), term_end=date(2028, 10, 1))
    assert info.value.rule == "R1.21"
    # a term after the first one is free
    assert make_listing(session, term_start=date(2027, 1, 1), term_end=date(2027, 12, 31),
                 parcel_codes=parcels_of(session, HOUSEHOLD)[2:3])


def test_the_exclusion_constraint_itself(session):
    listing = make_listing(session)
    with pytest.raises(IntegrityError) as info, session.begin_nested():
        session.execute(sa.text(
            "INSERT INTO listing_parcels (county_code, listing_id, parcel_code, term, area_m2, status) "
            "SELECT county_code, listing_id, parcel_code, daterange('2028-01-01', '2029-01-01'), area_m2, "
            "'transferred' FROM listing_parcels WHERE listing_id = :l LIMIT 1"), {"l": listing.id})
    assert info.value.orig.sqlstate == "23P01"


def test_social_capital_needs_an_approved_review_to_win(session, officer):
    listing = make_listing(session)
    company = make_bidder(session, "agri_co", "company")
    farm = make_bidder(session, "family_farm", "family_farm")
    for bidder in (company, farm):
        pay_deposit(session, officer, listing, bidder)
    market.place_bid(session, farm.actor, listing_id=listing.id, price=Decimal("550"))
    market.place_bid(session, company.actor, listing_id=listing.id, price=Decimal("650"))
    market.review_capital(session, COUNTY, transferee_id=farm.transferee_id, county_code="220421",
                          approved=True, max_area_mu=Decimal(500), qualification="家庭农场名录",
                          project="玉米种植", risk_measures="预付一年租金", valid_until=date(2030, 1, 1))
    clock.travel(timedelta(days=11))
    offer = contracts.award(session, officer, listing_id=listing.id)
    # the highest bidder has no review: the next one past the gate wins
    assert (offer.transferee_id, offer.price) == (farm.transferee_id, Decimal("550"))


def test_anti_sniping_extends_the_close(session, officer):
    listing = make_listing(session)
    bidder = make_bidder(session, "agri_co", "company")
    pay_deposit(session, officer, listing, bidder)
    close = listing.closes_at
    clock.travel(close - clock.now() - timedelta(minutes=2))
    market.place_bid(session, bidder.actor, listing_id=listing.id, price=Decimal("501"))
    assert listing.closes_at == close + timedelta(minutes=5)


def test_termination_only_for_statutory_causes(session, officer):
    listing = make_listing(session)
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    pay_deposit(session, officer, listing, member)
    market.place_bid(session, member.actor, listing_id=listing.id, price=Decimal("500"))
    clock.travel(timedelta(days=11))
    contracts.award(session, officer, listing_id=listing.id)
    contract = contracts.draft_contract(session, officer, listing_id=listing.id)
    contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)
    contracts.sign_contract(session, member.actor, code=contract.code)
    with pytest.raises(ValidationFailed) as info:
        contracts.terminate(session, farmer_of(HOUSEHOLD), code=contract.code, cause="better_offer",
                            evidence="x")
    assert info.value.rule == "R1.25"
    with pytest.raises(Forbidden):  # the collective may not end it for a mere breach (R1.26)
        clerk = Actor(role="collective_clerk", name="文书", collective_code=HOUSEHOLD[:14])
        contracts.terminate(session, clerk, code=contract.code, cause="serious_breach", evidence="x")
    ended = contracts.terminate(session, farmer_of(HOUSEHOLD), code=contract.code,
                                cause="abandoned_two_years", evidence="村委会证明：2027、2028 年撂荒")
    assert ended.status == "terminated"
    assert make_listing(session, term_start=date(2028, 3, 1), term_end=date(2028, 12, 31))  # free again


def test_a_county_sets_its_own_review_threshold(session, officer):
    session.execute(sa.text("INSERT INTO settings (key, value) "
                            "VALUES ('capital_review_from_mu:220421', '50')"))
    listing = make_listing(session)  # a few mu: below this county's 50 mu, no review needed
    company = make_bidder(session, "agri_co", "company")
    pay_deposit(session, officer, listing, company)
    market.place_bid(session, company.actor, listing_id=listing.id, price=Decimal("650"))
    clock.travel(timedelta(days=11))
    assert contracts.award(session, officer, listing_id=listing.id).transferee_id == company.transferee_id
