"""Pages never show UTC (issue 16/17 follow-up): every moment a page prints is in China Standard
Time, as people write it (landrights.moments, the Jinja filter local_time): 2026年12月9日 16:00 in
Chinese, 9 Dec 2026 16:00 in English. Each page that shows a moment is rendered here and read for
"UTC", "+00:00" and the moment in China time; so is a refusal that names a moment."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.certification import objections, services
from landrights.market import contracts
from landrights.market import services as market
from landrights.survey.models import SurveyImport
from tests.certification.conftest import COLLECTIVE, PENDING
from tests.certification.conftest import farmer_of as cert_farmer
from tests.factories import LICENCE_ADDRESS, approved_company, bearer, make_listing, pay_deposit
from tests.market.conftest import HOUSEHOLD, farmer_of, make_bidder

CHINA = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def real_time():
    clock.reset()
    yield
    clock.reset()


def zh(moment, seconds=False) -> str:
    local = moment.astimezone(CHINA)
    return f"{local.year}年{local.month}月{local.day}日 " + local.strftime("%H:%M:%S" if seconds else "%H:%M")


def en(moment) -> str:
    local = moment.astimezone(CHINA)
    return f"{local.day} {local:%b} {local.year} {local:%H:%M}"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    text = response.get_data(as_text=True)
    assert "UTC" not in text and "+00:00" not in text, url
    return text


def _no_utc(text: str) -> None:
    assert "UTC" not in text and "+00:00" not in text


def test_the_notice_pages_show_china_time(client, auth, session, officer):
    notice = services.open_notice(session, officer, collective_code=COLLECTIVE, place="永安村委会")
    household = PENDING[0]
    filed = objections.file_objection(session, cert_farmer(household), notice_id=notice.id,
                                      household_code=household, text="地块面积有误")
    objections.dismiss_objection(session, officer, objection_id=filed.id, reason="经核实面积无误")
    auth.login("officer")
    listed = page(client, "/notices/")
    assert zh(notice.closes_at) in listed and zh(notice.opened_at) in listed
    shown = page(client, f"/notices/{notice.id}")
    assert zh(notice.closes_at) in shown
    assert en(notice.closes_at) in page(client, f"/notices/{notice.id}?lang=en")
    printed = page(client, f"/notices/{notice.id}/print/households.html?lang=en")  # posted in Chinese
    assert zh(notice.opened_at) in printed and zh(notice.closes_at) in printed
    objection = page(client, f"/objections/{filed.id}")
    assert zh(filed.filed_at) in objection and zh(filed.resolved_at) in objection


def test_the_survey_imports_list_shows_china_time(client, auth, session):
    record = SurveyImport(county_code="220421", collective_code="22042110120101", filename="dk.zip",
                          file_format="zip", source_crs="EPSG:4490", all_or_nothing=False, features=0)
    session.add(record)
    session.flush()
    session.refresh(record)
    auth.login("officer")
    assert zh(record.created_at) in page(client, "/surveys/")


def test_the_market_pages_show_china_time(client, auth, session, officer):
    company = approved_company(session)
    listing = make_listing(session)
    pay_deposit(session, officer, listing, company)
    bid = market.place_bid(session, company.actor, listing_id=listing.id, price=Decimal("560"))
    auth.login("officer")
    assert zh(listing.closes_at) in page(client, "/market/")
    shown = page(client, f"/market/{listing.id}")
    assert zh(listing.closes_at, seconds=True) in shown and zh(listing.priority_until) in shown
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("agri_co")
    assert zh(bid.placed_at, seconds=True) in page(client, "/market/bids")
    clock.travel(timedelta(days=11))
    contracts.award(session, officer, listing_id=listing.id)
    contract = contracts.draft_contract(session, officer, listing_id=listing.id,
                                        transferee_address=LICENCE_ADDRESS)
    contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)
    contracts.sign_contract(session, company.actor, code=contract.code)
    clock.reset()
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("officer")
    shown = page(client, f"/market/contracts/{contract.code}")
    assert zh(contract.household_signed_at) in shown and zh(contract.transferee_signed_at) in shown
    entry = session.scalar(sa.text("SELECT at FROM transfer_ledger WHERE contract_code = :c"),
                           {"c": contract.code})
    assert zh(entry) in page(client, "/market/ledger")


def test_a_refusal_naming_a_moment_says_it_in_china_time(client, session, officer):
    """Members match the best bid until a moment: the API's message says when, in China time."""
    listing = make_listing(session)
    make_bidder(session, "liu_m", "individual")
    refused = client.post(f"/api/v1/listings/{listing.id}/match?lang=en", headers=bearer(session, "liu_m"))
    assert refused.status_code == 409, refused.get_json()
    message = refused.get_json()["error"]["message"]
    _no_utc(message)
    assert en(listing.priority_until) in message
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d+", message)  # no raw timestamp
