"""A paper contract the household's agent signed (R2.4): the township officer recording its scan
states the entrustment, which is checked as an agent's signature in the app is (require_agent_for):
signed by both, in force on the day the paper was signed, for the act 'sign' on all the contract's
parcels, within its authority, never the transferee's own. Otherwise the record is refused and the
contract stays a draft."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.errors import ValidationFailed
from landrights.market import contracts, entrustments
from landrights.registry.models import ChangeEvent
from tests.factories import bearer
from tests.market.conftest import HOUSEHOLD, farmer_of, make_bidder
from tests.market.test_after_signing import SCAN
from tests.market.test_entrustments import SCAN as SCAN_JSON
from tests.market.test_entrustments import _awarded_contract, _entrust, _user


@pytest.fixture
def cousin(session):
    """A relative of the household, with an account of another household."""
    return _user(session, "cousin", "farmer", household_code=HOUSEHOLD[:14] + "0002")


def _record(session, officer, contract, **kw):
    return contracts.record_scanned_signatures(session, officer, code=contract.code, scan=SCAN, **kw)


def _refused(session, officer, contract, field="entrustment_id", **kw) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        _record(session, officer, contract, **kw)
    assert refused.value.field == field
    assert (contract.status, contract.household_entrustment_id) == ("draft", None)
    return refused.value


def test_the_officer_records_the_agents_paper_signature_under_its_entrustment(session, cousin, officer):
    made = _entrust(session, cousin)
    contract, _company = _awarded_contract(session, officer, farmer_of(HOUSEHOLD))
    filed = _record(session, officer, contract, entrustment_id=made.id)
    assert (filed.status, filed.signature_method, filed.household_entrustment_id) == (
        "filed", "officer_scan", made.id)
    event = session.scalar(sa.select(ChangeEvent).where(ChangeEvent.action == "sign_scan",
                                                        ChangeEvent.entity_code == contract.code))
    assert event.details == {"signed_on": clock.today().isoformat(), "entrustment": made.id}


def test_without_an_agent_the_household_signed_itself(session, officer):
    contract, _company = _awarded_contract(session, officer, farmer_of(HOUSEHOLD))
    assert _record(session, officer, contract).household_entrustment_id is None


def test_an_entrustment_to_list_only_signs_nothing(session, cousin, officer):
    made = _entrust(session, cousin, acts=["list"])
    contract, _company = _awarded_contract(session, officer, farmer_of(HOUSEHOLD))
    assert _refused(session, officer, contract, entrustment_id=made.id).rule == "R2.4"


def test_an_entrustment_the_agent_never_accepted_signs_nothing(session, cousin, officer):
    made = _entrust(session, cousin, accept=False)
    contract, _company = _awarded_contract(session, officer, farmer_of(HOUSEHOLD))
    _refused(session, officer, contract, entrustment_id=made.id)


def test_an_entrustment_of_other_parcels_or_an_unknown_number_signs_nothing(session, cousin, officer):
    from tests.market.conftest import parcels_of

    made = _entrust(session, cousin, parcel_codes=parcels_of(session, HOUSEHOLD)[:1])
    contract, _company = _awarded_contract(session, officer, farmer_of(HOUSEHOLD))
    one = _refused(session, officer, contract, entrustment_id=made.id)
    unknown = _refused(session, officer, contract, entrustment_id=made.id + 1000)
    assert str(one.message) == str(unknown.message)  # no oracle of entrustment numbers


def test_the_day_the_paper_was_signed_decides(session, cousin, officer):
    made = _entrust(session, cousin)
    contract, _company = _awarded_contract(session, officer, farmer_of(HOUSEHOLD))
    signed_on = clock.today()  # the agent signs the paper the day the contract is drawn up
    clock.travel(timedelta(days=2))
    entrustments.revoke_entrustment(session, farmer_of(HOUSEHOLD), entrustment_id=made.id,
                                    reason="改由本人办理")
    clock.travel(timedelta(days=1))
    # signed after the revocation (or on its day): refused; signed while in force: recorded
    _refused(session, officer, contract, entrustment_id=made.id, signed_on=signed_on + timedelta(days=2))
    assert _record(session, officer, contract, entrustment_id=made.id,
                   signed_on=signed_on).household_entrustment_id == made.id


def test_an_entrustment_not_yet_in_force_or_past_its_term_signs_nothing(session, cousin, officer):
    made = _entrust(session, cousin, valid_from=clock.today() + timedelta(days=20))
    contract, _company = _awarded_contract(session, officer, farmer_of(HOUSEHOLD))  # 11 days on
    _refused(session, officer, contract, entrustment_id=made.id)


def test_the_signing_date_is_neither_in_the_future_nor_before_the_award(session, cousin, officer):
    made = _entrust(session, cousin)
    contract, _company = _awarded_contract(session, officer, farmer_of(HOUSEHOLD))
    _refused(session, officer, contract, field="signed_on", entrustment_id=made.id,
             signed_on=clock.today() + timedelta(days=1))
    _refused(session, officer, contract, field="signed_on", entrustment_id=made.id,
             signed_on=clock.today() - timedelta(days=1))


def test_beyond_the_entrustments_authority_is_refused(session, cousin, officer):
    made = _entrust(session, cousin, min_price=Decimal("650"))  # the contract's price is 600
    contract, _company = _awarded_contract(session, officer, farmer_of(HOUSEHOLD))
    _refused(session, officer, contract, entrustment_id=made.id)


def test_the_transferee_never_signs_for_the_household_too(session, officer):
    """An intermediary holds the household's entrustment to sign, then wins the listing itself:
    the paper it signed on both sides is not a household's signature."""
    from landrights.market import services as market
    from tests.factories import COUNTY, make_listing, pay_deposit

    broker = make_bidder(session, "broker", "individual")
    market.review_capital(session, COUNTY, transferee_id=broker.transferee_id, county_code="220421",
                          approved=True, max_area_mu=Decimal(500), qualification="中介机构备案",
                          project="玉米", risk_measures="预付租金", valid_until=date(2031, 1, 1))
    made = _entrust(session, broker.actor, agent_username="broker", acts=["sign"])
    listing = make_listing(session)
    pay_deposit(session, officer, listing, broker)
    market.place_bid(session, broker.actor, listing_id=listing.id, price=Decimal("520"))
    clock.travel(timedelta(days=11))
    contracts.award(session, officer, listing_id=listing.id)
    contract = contracts.draft_contract(session, officer, listing_id=listing.id,
                                        transferee_address="吉林省长春市绿园区开发区大街8号")
    assert _refused(session, officer, contract, entrustment_id=made.id).rule == "R2.4"


def test_the_api_takes_the_entrustment_and_the_date(client, session, cousin, officer):
    made = _entrust(session, cousin)
    contract, _company = _awarded_contract(session, officer, farmer_of(HOUSEHOLD))
    url = f"/api/v1/transfer-contracts/{contract.code}/scanned-signatures"
    headers = bearer(session, "officer")
    wrong = client.post(url, headers=headers, json={"scan": SCAN_JSON, "entrustment_id": made.id + 1000})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["field"] == "entrustment_id"
    done = client.post(url, headers=headers, json={"scan": SCAN_JSON, "entrustment_id": made.id,
                                                   "signed_on": clock.today().isoformat()})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["household_entrustment_id"] == made.id


def test_the_page_takes_the_entrustment(client, auth, session, cousin, officer):
    made = _entrust(session, cousin, acts=["list"])
    contract, _company = _awarded_contract(session, officer, farmer_of(HOUSEHOLD))
    auth.login("officer")
    page = f"/market/contracts/{contract.code}"
    assert 'name="entrustment_id"' in client.get(page).get_data(as_text=True)
    shown = client.post(f"{page}/scan", data={
        "csrf_token": auth.csrf(page), "by_agent": "1", "entrustment_id": str(made.id),
        "scan": (__import__("io").BytesIO(SCAN.data), "signed.pdf", "application/pdf")},
        content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "委托" in shown
    session.refresh(contract)
    assert contract.status == "draft"


def test_an_old_date_before_the_register_began_is_refused(session, officer):
    contract, _company = _awarded_contract(session, officer, farmer_of(HOUSEHOLD))
    _refused(session, officer, contract, field="signed_on", signed_on=date(1970, 1, 1))
