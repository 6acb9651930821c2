"""The township officer's desk (issue 19, journey 5) through the test client: the transferee of a
deposit is found by name and chosen, never typed as a number; a wrong or missing choice is refused
beside its field with what was typed kept (never the database's foreign-key text); the award, the
contract's draft; the rent page where a payment received is recorded; ledger codes as links."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.errors import ValidationFailed
from landrights.market import contracts
from landrights.market import services as market
from landrights.market.models import Deposit
from tests.factories import COUNTY, make_listing, pay_deposit
from tests.market.conftest import HOUSEHOLD, farmer_of, make_bidder

LEAKS = ("Key (", "fk_", "transferees", "23503", "R8.4", "UTC", "+00:00", "Traceback")


def _leaks(html: str) -> list[str]:
    """What a person must never read on the page (its text, not its attributes)."""
    text = re.sub(r"<[^>]+>", " ", html)
    return [leak for leak in LEAKS if leak in text]


def _post(client, auth, path: str, **data):
    return client.post(path, data={"csrf_token": auth.csrf(path), **data})


def _approved(session, username: str):
    """A company the county approved to take land (social capital, R1.28)."""
    company = make_bidder(session, username, "company")
    market.review_capital(session, COUNTY, transferee_id=company.transferee_id, county_code="220421",
                          approved=True, max_area_mu=Decimal(500), qualification="营业执照",
                          project="玉米种植",
                          risk_measures="预付租金", valid_until=date(2030, 1, 1))
    return company


def _deposits(session, listing_id: int) -> list:
    return session.execute(sa.select(Deposit.transferee_id, Deposit.amount_yuan, Deposit.receipt)
                           .where(Deposit.listing_id == listing_id)).all()


def test_the_officer_finds_the_transferee_by_name_and_records_its_deposit(client, auth, session):
    listing = make_listing(session)
    company = make_bidder(session, "agri_co", "company")
    auth.login("officer")
    path = f"/market/{listing.id}/desk"
    found = client.get(path, query_string={"q": "agri"}).get_data(as_text=True)
    assert f'name="transferee_id" value="{company.transferee_id}"' in found
    assert "受让方编号" not in found and "Transferee no." not in found  # no number to type
    done = _post(client, auth, path, action="deposit", q="agri", transferee_id=str(company.transferee_id),
                 amount_yuan="2000", receipt="收据 2026-07")
    assert done.status_code == 302
    assert _deposits(session, listing.id) == [(company.transferee_id, Decimal("2000.00"), "收据 2026-07")]
    page = client.get(path, query_string={"q": "agri"}).get_data(as_text=True)
    assert 'id="deposits"' in page and "agri_co" in page and "收据 2026-07" in page
    assert re.search(rf'value="{company.transferee_id}"\s+disabled', page)  # recorded: not chosen twice


@pytest.mark.parametrize("chosen", ["", "0", "999999", "abc", "99999999999999999999"])
def test_a_deposit_without_a_real_transferee_is_refused_beside_its_field(client, auth, session, chosen):
    listing = make_listing(session)
    make_bidder(session, "agri_co", "company")
    auth.login("officer")
    path = f"/market/{listing.id}/desk"
    refused = _post(client, auth, path, action="deposit", q="agri", transferee_id=chosen, amount_yuan="2000",
                    receipt="收据 2026-08")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="transferee_id-error"' in html  # beside the choice of transferee
    assert 'value="2000"' in html and 'value="收据 2026-08"' in html  # what was typed is kept
    assert not _leaks(html)
    assert _deposits(session, listing.id) == []


def test_the_service_refuses_an_unknown_transferee_naming_the_field(session, officer):
    listing = make_listing(session)
    with pytest.raises(ValidationFailed) as refused:
        market.record_deposit(session, officer, listing_id=listing.id, transferee_id=0,
                              amount_yuan=Decimal("2000"), receipt="收据 1")
    assert (refused.value.field, refused.value.rule) == ("transferee_id", "R8.4")


@pytest.mark.parametrize("field, values", [("receipt", {"receipt": "  "}),
                                           ("amount_yuan", {"amount_yuan": "-5"}),
                                           ("amount_yuan", {"amount_yuan": "99999999999"})])
def test_deposit_amount_and_receipt_are_checked_beside_their_fields(client, auth, session, field, values):
    listing = make_listing(session)
    company = make_bidder(session, "agri_co", "company")
    auth.login("officer")
    path = f"/market/{listing.id}/desk"
    data = {"action": "deposit", "q": "agri_co", "transferee_id": str(company.transferee_id),
            "amount_yuan": "2000", "receipt": "收据 1"} | values
    refused = _post(client, auth, path, **data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and f'id="{field}-error"' in html
    assert f'name="transferee_id" value="{company.transferee_id}" checked' in html  # the choice is kept
    assert not _leaks(html)
    assert _deposits(session, listing.id) == []


def test_only_the_township_officer_works_the_desk(client, auth, session):
    listing = make_listing(session)
    for username in ("farmer", "clerk", "transferee", "county"):
        auth.login(username)
        assert client.get(f"/market/{listing.id}/desk").status_code == 403


def test_award_and_contract_from_the_desk(client, auth, session, officer):
    listing = make_listing(session)
    company = _approved(session, "agri_co")
    pay_deposit(session, officer, listing, company)
    market.place_bid(session, company.actor, listing_id=listing.id, price=Decimal("560"))
    auth.login("officer")
    path = f"/market/{listing.id}/desk"
    early = client.get(path).get_data(as_text=True)
    assert 'id="award-wait"' in early and 'id="award-form"' not in early  # not before the window closes
    clock.travel(timedelta(days=11))
    try:
        assert _post(client, auth, path, action="award").status_code == 302
        page = client.get(path).get_data(as_text=True)
        assert 'id="winner"' in page and "agri_co" in page and 'id="contract-form"' in page
        refused = _post(client, auth, path, action="contract", transferee_address="")
        assert refused.status_code == 422
        assert 'id="transferee_address-error"' in refused.get_data(as_text=True)
        drafted = _post(client, auth, path, action="contract", transferee_address="辽源市龙山区 1 号")
        assert drafted.status_code == 302
        page = client.get(path).get_data(as_text=True)
    finally:
        clock.reset()
    code = session.scalar(sa.text("SELECT code FROM transfer_contracts WHERE listing_id = :l"),
                          {"l": listing.id})
    assert f'href="/market/contracts/{code}"' in page


def _filed(session, officer) -> str:
    """A lease filed about two years ago, from 2025-01-01: two instalments overdue since."""
    clock.travel(-timedelta(days=730))
    try:
        listing = make_listing(session, term_start=date(2025, 1, 1), term_end=date(2028, 12, 31))
        company = _approved(session, "agri_co")
        pay_deposit(session, officer, listing, company)
        market.place_bid(session, company.actor, listing_id=listing.id, price=Decimal("560"))
        clock.travel(timedelta(days=11))
        contracts.award(session, officer, listing_id=listing.id)
        contract = contracts.draft_contract(session, officer, listing_id=listing.id,
                                            transferee_address="辽源市龙山区 1 号")
        contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)
        contracts.sign_contract(session, company.actor, code=contract.code)
    finally:
        clock.reset()
    return contract.code


def test_the_officer_records_a_rent_payment_on_the_rent_page(client, auth, session, officer):
    code = _filed(session, officer)
    auth.login("officer")
    contract_page = client.get(f"/market/contracts/{code}").get_data(as_text=True)
    assert f'href="/market/contracts/{code}/rent"' in contract_page
    path = f"/market/contracts/{code}/rent"
    page = client.get(path).get_data(as_text=True)
    assert 'data-due="2025-01-01" data-state="overdue"' in page
    assert 'data-due="2028-01-01" data-state="due"' in page
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    refused = _post(client, auth, path, due_on="2025-01-01", paid_on=tomorrow)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="paid_on-error"' in html and f'value="{tomorrow}"' in html
    assert not _leaks(html)
    assert _post(client, auth, path, due_on="2025-01-01", paid_on="2025-01-10").status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert 'data-due="2025-01-01" data-state="paid"' in page and "2025年1月10日" in page
    again = _post(client, auth, path, due_on="2025-01-01", paid_on="2025-01-11")
    assert again.status_code == 409 and 'id="due_on-error"' in again.get_data(as_text=True)
    ledger = client.get("/market/ledger").get_data(as_text=True)
    assert f'<a href="/market/contracts/{code}">{code}</a>' in ledger  # ledger codes are links


def test_the_household_sees_its_rent_and_a_stranger_does_not(client, auth, session, officer):
    code = _filed(session, officer)
    auth.login("farmer")
    page = client.get(f"/market/contracts/{code}/rent").get_data(as_text=True)
    assert 'data-state="overdue"' in page and 'name="paid_on"' in page  # the household records it too
    auth.login("transferee")
    assert client.get(f"/market/contracts/{code}/rent").status_code == 403


def test_the_desk_link_shows_only_to_the_officer_of_the_lands_township(client, auth, session):
    # a link that answers 403 is a dead end on a phone: an officer of another township reads the
    # listing (it is public) but is offered no desk (R8.4: the township of the land keeps it)
    from landrights.accounts import services as accounts
    from landrights.accounts.permissions import SYSTEM
    from tests.conftest import FAST_HASH, PASSWORD

    listing = make_listing(session)
    accounts.create_user(session, SYSTEM, username="officer2", password=PASSWORD, role="township_officer",
                         display_name="officer2", hash_method=FAST_HASH, township_code="220421102")
    auth.login("officer2")
    page = client.get(f"/market/{listing.id}").get_data(as_text=True)
    assert 'id="officer-desk"' not in page
    auth.login("officer")
    assert 'id="officer-desk"' in client.get(f"/market/{listing.id}").get_data(as_text=True)
