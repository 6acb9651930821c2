"""The market's later steps: the officer records scanned signatures (filed as in the app), the
current transferee's renewal priority (R2.6) and how it ranks after members (R1.21(5)), re-transfer
only with the household's written consent (R1.29), pledges block listings (R1.30)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from landrights import clock
from landrights.errors import Conflict, Forbidden, ValidationFailed
from landrights.evidence import Upload
from landrights.market import contracts, pledges, retransfers
from landrights.market import services as market
from landrights.market.models import LedgerEntry, RentPayment
from tests.factories import COUNTY, make_listing, pay_deposit
from tests.market.conftest import HOUSEHOLD, MEMBER_HOUSEHOLD, MEMBER_ID, farmer_of, make_bidder, parcels_of

SCAN = Upload("contract-signed.pdf", "application/pdf", b"%PDF-1.4\n% signed paper contract\n")


def _review(session, bidder, area=Decimal(500)):
    market.review_capital(session, COUNTY, transferee_id=bidder.transferee_id, county_code="220421",
                          approved=True, max_area_mu=area, qualification="家庭农场名录", project="玉米种植",
                          risk_measures="预付一年租金", valid_until=date(2031, 1, 1))


def _awarded(session, officer, bidder, price="520", **listing):
    found = make_listing(session, **listing)
    pay_deposit(session, officer, found, bidder)
    market.place_bid(session, bidder.actor, listing_id=found.id, price=Decimal(price))
    clock.travel(timedelta(days=11))
    contracts.award(session, officer, listing_id=found.id)
    return contracts.draft_contract(session, officer, listing_id=found.id,
                                    transferee_address="吉林省长春市绿园区开发区大街8号")  # R1.23(1)


def _filed(session, officer, bidder, **listing):
    contract = _awarded(session, officer, bidder, **listing)
    contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)
    contracts.sign_contract(session, bidder.actor, code=contract.code)
    assert contract.status == "filed"
    return contract


def test_officer_records_scanned_signatures_and_the_contract_is_filed(session, officer):
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    contract = _awarded(session, officer, member)
    with pytest.raises(Forbidden):  # only the township officer records the paper's signatures
        contracts.record_scanned_signatures(session, farmer_of(HOUSEHOLD), code=contract.code, scan=SCAN)
    with pytest.raises(ValidationFailed) as missing:
        contracts.record_scanned_signatures(session, officer, code=contract.code, scan=None)
    assert missing.value.field == "scan"
    with pytest.raises(ValidationFailed) as disguised:  # a PNG sent as a PDF
        contracts.record_scanned_signatures(session, officer, code=contract.code,
                                            scan=Upload("x.pdf", "application/pdf", b"\x89PNG...."))
    assert disguised.value.field == "scan" and contract.status == "draft"
    contracts.record_scanned_signatures(session, officer, code=contract.code, scan=SCAN)
    assert (contract.status, contract.signature_method) == ("filed", "officer_scan")
    assert contract.household_signed_at and contract.transferee_signed_at and contract.filed_at
    ledger = session.scalars(sa.select(LedgerEntry.event)
                             .where(LedgerEntry.contract_code == contract.code)).all()
    assert ledger == ["filed"]  # filed as when both sign in the app
    dues = session.scalars(sa.select(RentPayment.due_on).where(RentPayment.contract_id == contract.id)).all()
    assert sorted(dues) == [date(2027, 1, 1), date(2028, 1, 1)]
    with pytest.raises(Conflict):
        contracts.record_scanned_signatures(session, officer, code=contract.code, scan=SCAN)
    with pytest.raises(IntegrityError), session.begin_nested():  # officer_scan without the scan: refused
        session.execute(sa.text("UPDATE transfer_contracts SET signature_scan = NULL WHERE code = :c"),
                        {"c": contract.code})


def _renewal_listing(session, officer, holder):
    first = _filed(session, officer, holder, term_start=date(2027, 1, 1), term_end=date(2027, 12, 31))
    again = make_listing(session, term_start=date(2028, 1, 1), term_end=date(2028, 12, 31))
    assert again.renewal_of_id == first.id  # the same parcels right after: a renewal (R2.6)
    return again


def test_the_current_transferee_matches_the_best_bid_at_renewal(session, officer):
    holder = make_bidder(session, "farm", "family_farm")
    company = make_bidder(session, "agri_co", "company")
    for bidder in (holder, company):
        _review(session, bidder)
    listing = _renewal_listing(session, officer, holder)
    pay_deposit(session, officer, listing, company)
    market.place_bid(session, company.actor, listing_id=listing.id, price=Decimal("700"))
    clock.travel(timedelta(days=7, minutes=1))
    with pytest.raises(Forbidden):  # neither a member nor the current transferee
        market.match_as_member(session, company.actor, listing_id=listing.id)
    offer = market.match_as_member(session, holder.actor, listing_id=listing.id)
    assert (offer.kind, offer.price) == ("renewal_match", Decimal("700"))
    clock.travel(timedelta(hours=72))
    won = contracts.award(session, officer, listing_id=listing.id)
    assert (won.transferee_id, won.kind, won.price) == (holder.transferee_id, "renewal_match", Decimal("700"))


def test_a_members_match_ranks_before_the_renewal_match(session, officer):
    holder = make_bidder(session, "farm", "family_farm")
    _review(session, holder)
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    listing = _renewal_listing(session, officer, holder)
    pay_deposit(session, officer, listing, member)
    market.place_bid(session, member.actor, listing_id=listing.id, price=Decimal("650"))
    clock.travel(timedelta(days=7, minutes=1))
    market.match_as_member(session, holder.actor, listing_id=listing.id)  # first in time
    market.match_as_member(session, member.actor, listing_id=listing.id)
    clock.travel(timedelta(hours=72))
    won = contracts.award(session, officer, listing_id=listing.id)
    assert (won.transferee_id, won.kind) == (member.transferee_id, "member_match")  # the statute first


def test_a_listing_long_after_the_transfer_is_no_renewal(session, officer):
    session.execute(sa.text("UPDATE settings SET value = '30' WHERE key = 'market_renewal_gap_days'"))
    holder = make_bidder(session, "farm", "family_farm")
    _review(session, holder)
    _filed(session, officer, holder, term_start=date(2027, 1, 1), term_end=date(2027, 6, 30))
    later = make_listing(session, term_start=date(2027, 9, 1), term_end=date(2028, 12, 31))
    assert later.renewal_of_id is None
    clock.travel(timedelta(days=7, minutes=1))
    with pytest.raises(Conflict):  # no bid yet: nothing to match, whoever asks
        market.match_as_member(session, holder.actor, listing_id=later.id)


def test_retransfer_needs_the_households_written_consent(session, officer):
    farm = make_bidder(session, "farm", "family_farm")
    _review(session, farm)
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    contract = _filed(session, officer, farm)  # 2027-01-01 .. 2028-12-31
    terms = {"to_transferee_id": member.transferee_id, "term_start": date(2027, 6, 1),
             "term_end": date(2028, 6, 30), "price": Decimal("560"), "payment_schedule": "每年一次"}
    with pytest.raises(ValidationFailed) as refused:
        retransfers.retransfer(session, farm.actor, code=contract.code, **terms)
    assert (refused.value.rule, refused.value.field) == ("R1.29", "consent")
    with pytest.raises(ValidationFailed) as no_scan:  # the officer records the paper consent with its scan
        retransfers.consent_to_retransfer(session, officer, code=contract.code)
    assert no_scan.value.field == "scan"
    retransfers.consent_to_retransfer(session, farmer_of(HOUSEHOLD), code=contract.code)
    with pytest.raises(Forbidden):  # only the transferee re-transfers
        retransfers.retransfer(session, member.actor, code=contract.code, **terms)
    with pytest.raises(ValidationFailed) as too_long:  # never past the original term
        retransfers.retransfer(session, farm.actor, code=contract.code,
                               **terms | {"term_end": date(2029, 3, 31)})
    assert (too_long.value.rule, too_long.value.field) == ("R1.29", "term_end")
    done = retransfers.retransfer(session, farm.actor, code=contract.code, **terms)
    assert done.status == "draft" and len(done.code) == 18 and done.consent_id
    retransfers.sign_retransfer(session, member.actor, code=done.code)
    assert done.status == "filed" and done.filed_at
    events = session.scalars(sa.select(LedgerEntry.event)
                             .where(LedgerEntry.contract_code == done.code)).all()
    assert events == ["retransferred"]
    assert contract.status == "filed"  # the household's transfer and rent stay (R1.22, R1.27)
    with pytest.raises(Conflict) as overlap:  # the database: one re-transfer per term
        retransfers.retransfer(session, farm.actor, code=contract.code,
                               **terms | {"term_start": date(2028, 1, 1)})
    assert overlap.value.rule == "R1.29"


def test_a_consent_can_limit_the_retransfer_term(session, officer):
    farm = make_bidder(session, "farm", "family_farm")
    _review(session, farm)
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    contract = _filed(session, officer, farm)
    terms = {"to_transferee_id": member.transferee_id, "term_start": date(2027, 6, 1),
             "term_end": date(2028, 6, 30), "price": Decimal("560"), "payment_schedule": "每年一次"}
    retransfers.consent_to_retransfer(session, officer, code=contract.code, until=date(2027, 12, 31),
                                      scan=Upload("consent.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 consent"),
                                      signer_name="户主")
    with pytest.raises(ValidationFailed):
        retransfers.retransfer(session, farm.actor, code=contract.code, **terms)
    assert retransfers.retransfer(session, farm.actor, code=contract.code,
                                  **terms | {"term_end": date(2027, 12, 31)}).status == "draft"


def _pledge(session, officer, codes, start=date(2027, 1, 1), end=date(2027, 12, 31), **kw):
    return pledges.record_pledge(session, officer, household_code=HOUSEHOLD, parcel_codes=codes,
                                 creditor="辽源农商银行东丰支行", amount_yuan=Decimal("50000"),
                                 term_start=start, term_end=end, document="抵押合同 2027-011", **kw)


def test_a_pledged_parcel_cannot_be_listed_for_an_overlapping_term(session, officer):
    codes = parcels_of(session, HOUSEHOLD)
    pledge = _pledge(session, officer, codes[:1])
    with pytest.raises(Conflict) as refused:
        make_listing(session, term_start=date(2027, 6, 1), term_end=date(2028, 12, 31))
    assert (refused.value.rule, refused.value.field) == ("R1.30", "parcel_codes")
    assert codes[0] in str(refused.value.message)
    assert make_listing(session, term_start=date(2028, 1, 1), term_end=date(2028, 12, 31))  # after the pledge
    with pytest.raises(Forbidden):
        pledges.release_pledge(session, farmer_of(HOUSEHOLD), pledge_id=pledge.id, document="结清证明")
    pledges.release_pledge(session, officer, pledge_id=pledge.id, document="结清证明 2027-020")
    assert make_listing(session, term_start=date(2027, 1, 1), term_end=date(2027, 12, 31)).status == "open"
    with pytest.raises(Conflict):
        pledges.release_pledge(session, officer, pledge_id=pledge.id, document="again")


def test_the_trigger_refuses_a_listing_of_a_pledged_parcel(session, officer):
    codes = parcels_of(session, HOUSEHOLD)
    listing = make_listing(session, parcel_codes=codes[1:2], term_start=date(2028, 1, 1),
                    term_end=date(2028, 12, 31))
    _pledge(session, officer, codes[:1])
    with pytest.raises(IntegrityError) as info, session.begin_nested():  # past the service's check
        session.execute(sa.text(
            "INSERT INTO listing_parcels (county_code, listing_id, parcel_code, term, area_m2, status) "
            "VALUES ('220421', :l, :p, daterange('2027-03-01', '2027-04-01'), 100, 'listed')"),
            {"l": listing.id, "p": codes[0]})
    assert info.value.orig.sqlstate == "23P01"
    assert info.value.orig.diag.constraint_name == "listing_parcels_not_pledged"


def test_pledge_rules(session, officer):
    codes = parcels_of(session, HOUSEHOLD)
    with pytest.raises(ValidationFailed) as past_end:
        _pledge(session, officer, codes[:1], end=date(2029, 6, 30))  # the contract ends 2028-12-31
    assert past_end.value.rule == "R1.30"
    with pytest.raises(ValidationFailed) as no_creditor:
        pledges.record_pledge(session, officer, household_code=HOUSEHOLD, parcel_codes=codes[:1],
                              creditor=" ", amount_yuan=Decimal(1), term_start=date(2027, 1, 1),
                              term_end=date(2027, 2, 1), document="x")
    assert no_creditor.value.field == "creditor"
    farm = make_bidder(session, "farm", "family_farm")
    _review(session, farm)
    contract = _filed(session, officer, farm)
    with pytest.raises(ValidationFailed) as no_consent:  # a transferee's pledge needs the consent
        _pledge(session, officer, contract.parcel_codes, contract_code=contract.code)
    assert (no_consent.value.rule, no_consent.value.field) == ("R1.30", "consent_document")
    done = _pledge(session, officer, contract.parcel_codes, contract_code=contract.code,
                   consent_document="承包方书面同意书 2027-03")
    assert (done.pledgor, done.contract_id) == ("transferee", contract.id)
