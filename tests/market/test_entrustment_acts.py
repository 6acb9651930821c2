"""What an entrustment may authorise (R2.4): a closed set of market acts, list the land,
withdraw_listing (withdraw its listing) and sign the transfer contract, named so that none reads
as giving up a right. No entrustment authorises a withdrawal of rights (有偿退出): that starts only
from the holder's own request (G3), so an agent entrusted with every act is refused at
rights.services.request_withdrawal, in the service and through the API."""
from __future__ import annotations

import base64
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from landrights import clock
from landrights.errors import Forbidden, ValidationFailed
from landrights.market import entrustments
from landrights.market.models import ENTRUSTED_ACTS
from landrights.rights import rules
from landrights.rights import services as rights
from tests.factories import bearer
from tests.market.conftest import HOUSEHOLD, farmer_of, make_bidder, parcels_of
from tests.market.test_entrustments import _demo, _entrust, _terms, _user

SCAN = {"name": "申请.pdf", "content_type": "application/pdf",
        "data_base64": base64.b64encode(b"%PDF-1.4 signed").decode()}


def test_the_acts_are_the_closed_set_of_market_acts():
    assert ENTRUSTED_ACTS == ("list", "withdraw_listing", "sign")


@pytest.mark.parametrize("act", ["withdraw", "withdrawal", "land_return", "homestead", "shares", "terminate"])
def test_no_act_outside_the_set_is_entrusted(session, act):
    _user(session, "cousin", "farmer", household_code=HOUSEHOLD[:14] + "0002")
    with pytest.raises(ValidationFailed) as refused:
        entrustments.create_entrustment(session, farmer_of(HOUSEHOLD), **_terms(session, acts=[act]))
    assert (refused.value.field, refused.value.rule) == ("acts", "R2.4")
    made = _entrust(session, _demo(session, "cousin"), acts=["list"])
    with pytest.raises(IntegrityError) as database, session.begin_nested():
        session.execute(sa.text("UPDATE entrustments SET acts = ARRAY[:a]::varchar[] WHERE id = :i"),
                        {"a": act, "i": made.id})
    assert "ck_entrustments_acts_known" in str(database.value)


def _withdrawal(household: str = HOUSEHOLD) -> dict:
    return {"household_code": household, "kind": "land_return", "compensation_yuan": Decimal("30000"),
            "effective_on": rules.add_months(clock.today(), 7)}


def _agents(session):
    """An agent of every kind R2.4 allows, each entrusted with every act on the household's parcels."""
    cousin = _user(session, "cousin", "farmer", household_code=HOUSEHOLD[:14] + "0002")
    broker = make_bidder(session, "broker", "individual").actor
    clerk = _demo(session, "clerk")
    agents = {"cousin": cousin, "broker": broker, "clerk": clerk}
    for username, agent in agents.items():
        _entrust(session, agent, agent_username=username, acts=list(ENTRUSTED_ACTS),
                 parcel_codes=parcels_of(session, HOUSEHOLD))
    return agents


@pytest.mark.parametrize("who", ["cousin", "broker", "clerk"])
def test_no_entrustment_authorises_a_withdrawal_of_rights(session, who):
    agent = _agents(session)[who]
    before = session.scalar(sa.text("SELECT count(*) FROM withdrawals"))
    with pytest.raises(Forbidden):
        rights.request_withdrawal(session, agent, **_withdrawal(),
                                  parcel_codes=parcels_of(session, HOUSEHOLD)[:1])
    assert session.scalar(sa.text("SELECT count(*) FROM withdrawals")) == before
    # the household itself may: the refusal is the agent's, not the request's
    mine = rights.request_withdrawal(session, farmer_of(HOUSEHOLD), **_withdrawal(),
                                     parcel_codes=parcels_of(session, HOUSEHOLD)[:1])
    assert mine.request_method == "holder"
    with pytest.raises(Forbidden):  # nor may the agent cancel the holder's request for it
        rights.cancel_withdrawal(session, agent, withdrawal_id=mine.id)


def test_an_entrusted_agent_is_refused_through_the_api_too(client, session):
    _agents(session)
    body = {**_withdrawal(), "compensation_yuan": "30000",
            "effective_on": _withdrawal()["effective_on"].isoformat(),
            "parcel_codes": parcels_of(session, HOUSEHOLD)[:1]}
    for username in ("cousin", "broker", "clerk"):
        refused = client.post("/api/v1/withdrawals", headers=bearer(session, username), json=body)
        assert refused.status_code == 403, (username, refused.get_json())
        with_scan = client.post("/api/v1/withdrawals", headers=bearer(session, username),
                                json=body | {"scan": SCAN, "signed_by": "杨春林"})
        assert with_scan.status_code == 403, (username, with_scan.get_json())
    assert session.scalar(sa.text("SELECT count(*) FROM withdrawals WHERE household_code = :h"),
                          {"h": HOUSEHOLD}) == 0
