"""The transferee's own address (R1.23(1)): given when it registers, changed by it alone, printed
in its transfer contract when the officer gives none and the register has none; the officer's and
the register's addresses still come first, and a drafted contract keeps the address it printed."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.errors import NotFound, ValidationFailed
from landrights.market import contracts, identities
from tests.factories import LICENCE_ADDRESS, approved_company, bearer
from tests.market.conftest import HOUSEHOLD, MEMBER_HOUSEHOLD, MEMBER_ID, farmer_of, make_bidder
from tests.market.test_contract_pdf import HOUSEHOLD_ADDRESS, _awarded, _printed

OWN_ADDRESS = "吉林省四平市铁西区英雄大街1号"


def test_the_address_the_transferee_gave_is_printed_when_the_officer_gives_none(client, auth, session,
                                                                              officer, tmp_path):
    company = approved_company(session)
    identities.set_address(session, company.actor, f"  {OWN_ADDRESS} ")
    listing = _awarded(session, officer, company, "560")
    contract = contracts.draft_contract(session, officer, listing_id=listing.id)
    contracts.sign_contract(session, farmer_of(HOUSEHOLD), code=contract.code)
    contracts.sign_contract(session, company.actor, code=contract.code)
    clock.reset()
    assert contract.clauses["parties"]["transferee_address"] == OWN_ADDRESS
    flat = _printed(client, auth, contract.code, tmp_path)
    assert f"流入方住所{OWN_ADDRESS}" in flat and f"流出方住所{HOUSEHOLD_ADDRESS}" in flat
    # the contract keeps what it printed: a later change reaches only later contracts
    identities.set_address(session, company.actor, "吉林省长春市南关区人民大街2号")
    session.refresh(contract)
    assert contract.clauses["parties"]["transferee_address"] == OWN_ADDRESS


def test_the_officers_address_and_the_registers_come_first(session, officer):
    company = approved_company(session)
    identities.set_address(session, company.actor, OWN_ADDRESS)
    listing = _awarded(session, officer, company, "560")
    contract = contracts.draft_contract(session, officer, listing_id=listing.id,
                                        transferee_address=LICENCE_ADDRESS)
    clock.reset()
    assert contract.clauses["parties"]["transferee_address"] == LICENCE_ADDRESS


def test_a_members_household_address_in_the_register_comes_before_its_own(session, officer):
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    identities.set_address(session, member.actor, OWN_ADDRESS)
    listing = _awarded(session, officer, member, "540")
    contract = contracts.draft_contract(session, officer, listing_id=listing.id)
    clock.reset()
    assert contract.clauses["parties"]["transferee_address"] != OWN_ADDRESS


def test_the_transferee_registers_and_changes_its_address_through_the_api(client, session):
    from landrights.accounts import services as accounts
    from landrights.accounts.permissions import SYSTEM
    from tests.conftest import FAST_HASH, PASSWORD

    accounts.create_user(session, SYSTEM, username="farm_co", password=PASSWORD, role="transferee",
                         display_name="farm_co", hash_method=FAST_HASH)
    headers = bearer(session, "farm_co")
    made = client.post("/api/v1/transferees", headers=headers, json={
        "kind": "company", "name": "丰收农业公司", "operating_capacity": "拖拉机 4 台",
        "address": OWN_ADDRESS})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["address"] == OWN_ADDRESS
    changed = client.patch("/api/v1/transferees/mine", headers=headers,
                           json={"address": LICENCE_ADDRESS})
    assert changed.status_code == 200 and changed.get_json()["address"] == LICENCE_ADDRESS
    assert client.get("/api/v1/transferees/mine", headers=headers).get_json()["address"] == LICENCE_ADDRESS
    too_long = client.patch("/api/v1/transferees/mine", headers=headers, json={"address": "路" * 201})
    assert too_long.status_code == 422
    blank = client.patch("/api/v1/transferees/mine", headers=headers, json={"address": "   "})
    assert blank.status_code == 422
    assert client.patch("/api/v1/transferees/mine", headers=headers,
                        json={"address": None}).get_json()["address"] is None
    # only a transferee changes its own: an account that is none is told so, anonymous is 401
    assert client.patch("/api/v1/transferees/mine", headers=bearer(session, "officer"),
                        json={"address": OWN_ADDRESS}).status_code == 404
    assert client.patch("/api/v1/transferees/mine", json={"address": OWN_ADDRESS}).status_code == 401


def test_the_service_refuses_an_overlong_address_and_a_non_transferee(session, officer):
    company = approved_company(session)
    with pytest.raises(ValidationFailed) as refused:
        identities.set_address(session, company.actor, "路" * 201)
    assert refused.value.field == "address"
    with pytest.raises(NotFound):
        identities.set_address(session, officer, OWN_ADDRESS)
    assert session.scalar(sa.text("SELECT address FROM transferees WHERE id = :t"),
                          {"t": company.transferee_id}) is None
