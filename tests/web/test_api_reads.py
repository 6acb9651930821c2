"""What a client needs to read (issue 17, section 4): a listing's bids, a withdrawal request, a
transfer contract, and the statement of retained rights as a PDF. Permission first: an unknown
number or code gets the same refusal as another's record (tests/security/test_oracles.py)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.security.world import NEIGHBOUR, SETTLED, build, token


@pytest.fixture
def world(session):
    return build(session)


def _listing_with_bids(session):
    """The demo listing, and a second bidder (the outsider company of the world) with a bid on it."""
    listing = session.scalar(sa.text("SELECT id FROM listings ORDER BY id LIMIT 1"))
    outsider = session.scalar(sa.text("SELECT t.id FROM transferees t JOIN users u ON u.id = t.user_id "
                                      "WHERE u.username = 'outsider'"))
    session.execute(sa.text("INSERT INTO bids (listing_id, transferee_id, price, placed_at) "
                            "VALUES (:l, :t, 1.00, now())"), {"l": listing, "t": outsider})
    session.commit()
    return listing


def test_the_household_and_officials_see_every_bid_a_bidder_its_own(client, session, world):
    listing = _listing_with_bids(session)
    seen = {}
    for who in ("migrant", "officer", "county", "transferee", "outsider", "farmer", "officer2", "clerk"):
        response = client.get(f"/api/v1/listings/{listing}/bids", headers=token(session, who))
        body = response.get_json()
        seen[who] = (response.status_code, body.get("scope"), len(body.get("items", [])))
    total = session.scalar(sa.text("SELECT count(*) FROM bids WHERE listing_id = :l"), {"l": listing})
    # the migrant's household listed the land
    assert seen["migrant"] == seen["officer"] == seen["county"] == (200, "all", total)
    assert seen["transferee"][:2] == (200, "own") and seen["transferee"][2] == total - 1
    assert seen["outsider"] == (200, "own", 1)
    for who in ("farmer", "officer2", "clerk"):  # another household, township, collective: no bidder
        assert seen[who][0] == 403, who
    assert client.get(f"/api/v1/listings/{listing}/bids").status_code == 401
    assert client.get("/api/v1/listings/999999999/bids", headers=token(session, "officer")).status_code == 404


def test_the_agent_of_the_listing_sees_every_bid(client, session, world):
    """An agent lists for the household (R2.4) and so sees the bids it must weigh."""
    listing = _listing_with_bids(session)
    agent = session.scalar(sa.text("SELECT id FROM users WHERE username = 'farmer'"))
    entrustment = session.scalar(sa.text(
        "INSERT INTO entrustments (county_code, household_code, agent_user_id, scope, parcel_codes, acts, "
        "transfer_until, min_price, valid_from, valid_to, consent_method, household_signed_at, "
        "agent_signed_at) VALUES ('220421', :h, :a, '代为挂牌', "
        "ARRAY(SELECT parcel_code FROM listing_parcels WHERE listing_id = :l), ARRAY['list'], "
        "current_date + 30, 1, current_date, current_date + 30, 'app', now(), now()) RETURNING id"),
        {"h": SETTLED, "a": agent, "l": listing})
    session.execute(sa.text("UPDATE listings SET entrustment_id = :e WHERE id = :l"),
                    {"e": entrustment, "l": listing})
    session.commit()
    body = client.get(f"/api/v1/listings/{listing}/bids", headers=token(session, "farmer")).get_json()
    assert body["scope"] == "all"


def test_a_withdrawal_request_is_read_by_its_household_and_the_officials_of_its_area(client, session, world):
    number = world.known["withdrawal"]  # the neighbour's homestead withdrawal
    from tests.security.world import _user

    _user(session, "neighbour", "farmer", household_code=NEIGHBOUR)
    session.commit()
    for who in ("neighbour", "clerk", "officer", "county"):
        response = client.get(f"/api/v1/withdrawals/{number}", headers=token(session, who))
        assert response.status_code == 200, who
        assert response.get_json()["kind"] == "homestead" and response.get_json()["status"] == "requested"
    for who in ("farmer", "migrant", "officer2", "transferee"):
        assert client.get(f"/api/v1/withdrawals/{number}", headers=token(session, who)).status_code == 403
    assert client.get(f"/api/v1/withdrawals/{number}").status_code == 401


def test_a_transfer_contract_is_read_by_its_parties_and_the_officials_of_its_area(client, session, world):
    code = world.known["transfer"]
    for who in ("migrant", "transferee", "officer", "county"):
        response = client.get(f"/api/v1/transfer-contracts/{code}", headers=token(session, who))
        assert response.status_code == 200, who
        assert response.get_json()["code"] == code and response.get_json()["status"] == "filed"
    for who in ("farmer", "outsider", "officer2"):
        response = client.get(f"/api/v1/transfer-contracts/{code}", headers=token(session, who))
        assert response.status_code == 403, who


def test_the_statement_comes_as_a_pdf_when_asked(client, session, world):
    headers = {**token(session, "migrant"), "Accept": "application/pdf"}
    response = client.post(f"/api/v1/households/{SETTLED}/statements", headers=headers)
    assert response.status_code == 201 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    as_json = client.post(f"/api/v1/households/{SETTLED}/statements", headers=token(session, "migrant"))
    assert as_json.status_code == 201 and as_json.get_json()["code"]


def test_the_calling_accounts_transferee_is_read_back(client, session, world):
    mine = client.get("/api/v1/transferees/mine", headers=token(session, "outsider"))
    assert mine.status_code == 200 and mine.get_json()["name"] == "外来公司"
    assert client.get("/api/v1/transferees/mine", headers=token(session, "farmer")).status_code == 404
    assert client.get("/api/v1/transferees/mine").status_code == 401

