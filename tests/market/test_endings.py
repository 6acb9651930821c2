"""Every way a listing ends without a transfer frees its parcels, so the household can list them
again (issue 16: an award that ended unsold left them listed, and every new listing of them was
refused with 409 "有地块在重叠期限内已挂牌或已流转"): unsold with no bid, unsold because no bidder
passed the county's review (R1.28), the award lapsing because the winner did not sign, withdrawn
before any bid; and the database frees them whatever path ends the listing."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.errors import Conflict, Forbidden
from landrights.market import contracts, endings
from landrights.market import services as market
from tests.factories import bearer
from tests.market.conftest import HOUSEHOLD, MEMBER_HOUSEHOLD, MEMBER_ID, farmer_of, make_bidder, parcels_of


def _list(session, **kw):
    args = {"household_code": HOUSEHOLD, "parcel_codes": parcels_of(session, HOUSEHOLD)[:2], "mode": "lease",
            "term_start": date(2027, 1, 1), "term_end": date(2028, 12, 31), "reserve_price": Decimal("500"),
            "payment_schedule": "每年1月15日前付清当年租金", "land_use": "grain"} | kw
    return market.create_listing(session, farmer_of(HOUSEHOLD), **args)


def _parcel_states(session, listing_id: int) -> set[str]:
    return set(session.scalars(sa.text("SELECT status FROM listing_parcels WHERE listing_id = :l"),
                               {"l": listing_id}))


def _past_the_windows():
    clock.travel(timedelta(days=11))  # bidding (7 days) and the members' window (72 hours) are over


def test_unsold_without_a_bid_frees_the_parcels(session, officer):
    listing = _list(session)
    _past_the_windows()
    assert contracts.award(session, officer, listing_id=listing.id) is None
    assert listing.status == "unsold" and _parcel_states(session, listing.id) == {"released"}
    again = _list(session)  # the same parcels, the same term: listed again
    assert again.status == "open" and _parcel_states(session, again.id) == {"listed"}


def test_unsold_when_no_bidder_passes_the_review_frees_the_parcels(session, officer):
    listing = _list(session)
    company = make_bidder(session, "agri_co", "company")  # social capital without a county review
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=company.transferee_id,
                          amount_yuan=Decimal("2000"), receipt="收据 001")
    market.place_bid(session, company.actor, listing_id=listing.id, price=Decimal("650"))
    _past_the_windows()
    assert contracts.award(session, officer, listing_id=listing.id) is None  # refused at the gate (R1.28)
    assert listing.status == "unsold"
    assert _list(session).status == "open"


def test_an_award_the_winner_does_not_sign_lapses_and_frees_the_parcels(session, officer):
    listing = _list(session)
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=member.transferee_id,
                          amount_yuan=Decimal("2000"), receipt="收据 002")
    market.place_bid(session, member.actor, listing_id=listing.id, price=Decimal("520"))
    _past_the_windows()
    contracts.award(session, officer, listing_id=listing.id)
    contract = contracts.draft_contract(session, officer, listing_id=listing.id)
    contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)  # the winner never signs
    assert _parcel_states(session, listing.id) == {"listed"}  # awarded: still blocking a new listing
    with pytest.raises(Forbidden):
        endings.lapse_award(session, farmer_of(HOUSEHOLD), listing_id=listing.id, reason="x")
    endings.lapse_award(session, officer, listing_id=listing.id, reason="中标人逾期未签订合同")
    assert (listing.status, contract.status) == ("unsold", "void")
    assert _parcel_states(session, listing.id) == {"released"}
    assert _list(session).status == "open"
    with pytest.raises(Conflict):  # a void contract is never signed (nor filed over the new listing)
        contracts.sign_contract(session, member.actor, code=contract.code)


def test_a_signed_award_cannot_lapse(session, officer):
    listing = _list(session)
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=member.transferee_id,
                          amount_yuan=Decimal("2000"), receipt="收据 003")
    market.place_bid(session, member.actor, listing_id=listing.id, price=Decimal("520"))
    _past_the_windows()
    contracts.award(session, officer, listing_id=listing.id)
    contract = contracts.draft_contract(session, officer, listing_id=listing.id)
    for party in (farmer_of(HOUSEHOLD), member.actor):
        contracts.sign_contract(session, party, code=contract.code)
    with pytest.raises(Conflict):
        endings.lapse_award(session, officer, listing_id=listing.id, reason="x")
    assert _parcel_states(session, listing.id) == {"transferred"}


def test_a_listing_withdrawn_before_any_bid_frees_the_parcels(session, officer):
    listing = _list(session)
    endings.withdraw_listing(session, farmer_of(HOUSEHOLD), listing_id=listing.id)
    assert listing.status == "withdrawn" and _parcel_states(session, listing.id) == {"released"}
    assert _list(session).status == "open"


def test_a_listing_with_bids_is_not_withdrawn_but_awarded(session, officer):
    listing = _list(session)
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    market.record_deposit(session, officer, listing_id=listing.id, transferee_id=member.transferee_id,
                          amount_yuan=Decimal("2000"), receipt="收据 004")
    market.place_bid(session, member.actor, listing_id=listing.id, price=Decimal("520"))
    with pytest.raises(Conflict):
        endings.withdraw_listing(session, farmer_of(HOUSEHOLD), listing_id=listing.id)
    with pytest.raises(Forbidden):  # another household
        endings.withdraw_listing(session, farmer_of(MEMBER_HOUSEHOLD), listing_id=listing.id)


def test_an_expired_listing_nobody_bid_on_is_withdrawn_by_the_household(session):
    listing = _list(session)
    _past_the_windows()  # nobody bid and nobody awarded it: the household need not wait for the officer
    endings.withdraw_listing(session, farmer_of(HOUSEHOLD), listing_id=listing.id)
    assert _list(session).status == "open"


def test_the_database_frees_the_parcels_whatever_path_ends_the_listing(session):
    for ending in ("unsold", "withdrawn"):
        listing = _list(session)
        session.execute(sa.text("UPDATE listings SET status = :s WHERE id = :l"),
                        {"s": ending, "l": listing.id})
        assert _parcel_states(session, listing.id) == {"released"}, ending  # trigger lr_listing_ended


def test_withdraw_and_lapse_through_the_api_and_the_page(client, session, auth):
    farmer, officer = bearer(session, "farmer"), bearer(session, "officer")
    body = {"household_code": HOUSEHOLD, "parcel_codes": parcels_of(session, HOUSEHOLD)[:1], "mode": "lease",
            "term_start": "2027-01-01", "term_end": "2027-12-31", "reserve_price": "480.00",
            "payment_schedule": "每年一次", "land_use": "grain"}
    first = client.post("/api/v1/listings", headers=farmer, json=body).get_json()["id"]
    ended = client.post(f"/api/v1/listings/{first}/withdrawal", headers=farmer)
    assert ended.status_code == 200 and ended.get_json()["status"] == "withdrawn"
    second = client.post("/api/v1/listings", headers=farmer, json=body)
    assert second.status_code == 201  # the same parcel and term again
    lapse = client.post(f"/api/v1/listings/{second.get_json()['id']}/award/lapse", headers=officer,
                        json={"reason": "   "})
    assert lapse.status_code == 422 and lapse.get_json()["error"]["field"] == "reason"
    auth.login("farmer")
    listing_id = second.get_json()["id"]
    page = client.get(f"/market/{listing_id}").get_data(as_text=True)
    assert f'href="/market/{listing_id}/withdraw"' in page  # it asks first (issue 19)
    asked = client.get(f"/market/{listing_id}/withdraw").get_data(as_text=True)
    assert 'id="withdraw-form"' in asked
