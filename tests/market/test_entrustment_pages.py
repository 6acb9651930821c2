"""Entrustment pages (流转委托书, R2.4; issue 19, journey 3) through the test client: the migrant
entrusts a relative from the rights page, the form shows the parcels by name and area and keeps what
was typed on a refusal, with each error beside its field; the agent accepts on its home page; the
household revokes after a confirmation; the township officer records the paper signed by both."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from landrights.market.models import Entrustment
from tests.conftest import FAST_HASH, PASSWORD
from tests.market.conftest import parcels_of

MIGRANT = "220421101201020006"  # 赵振华, settled in Dongfeng town in 2019
ENTRUST = f"/market/households/{MIGRANT}/entrust"


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def _form(session, **kw) -> dict:
    codes = parcels_of(session, MIGRANT)
    return {"agent": "other", "agent_username": "farmer", "parcel_codes": codes[2:], "acts": ["list", "sign"],
            "valid_from": clock.today().isoformat(), "valid_to": "2027-12-31", "transfer_until": "2028-12-31",
            "min_price": "480", "scope": "代我出租这两块地"} | kw


def _entrusted(session) -> list[Entrustment]:
    return list(session.scalars(sa.select(Entrustment).where(Entrustment.household_code == MIGRANT)))


def test_the_migrant_opens_the_form_from_the_rights_page(client, auth, session):
    auth.login("migrant")
    rights = client.get(f"/rights/{MIGRANT}").get_data(as_text=True)
    assert f'href="{ENTRUST}"' in rights and 'id="entrustments"' in rights
    form = client.get(ENTRUST).get_data(as_text=True)
    names = session.execute(sa.text(
        "SELECT p.name FROM parcels p JOIN contract_parcels cp ON cp.parcel_id = p.id JOIN contracts c "
        "ON c.id = cp.contract_id WHERE c.household_code = :h AND c.valid_to IS NULL"),
        {"h": MIGRANT}).scalars()
    assert all(name in form for name in names)  # parcels by 地块名称, with their areas in mu
    assert "亩" in form and 'name="scan"' not in form  # a farmer consents in the app, no scan
    assert "出租至" in form  # the two parcels leased to the cooperative until 2028 say so


@pytest.mark.parametrize("change, field", [
    ({"agent_username": "officer"}, "agent_username"),  # an official never acts for a party
    ({"agent_username": "nobody-here"}, "agent_username"),
    ({"parcel_codes": []}, "parcel_codes"),
    ({"acts": []}, "acts"),
    ({"valid_to": "2026-02-30"}, "valid_to"),
    ({"transfer_until": "2040-12-31"}, "transfer_until"),  # past the contract's end
    ({"min_price": "abc"}, "min_price"),
    ({"min_price": "99999999999"}, "min_price"),
    ({"scope": " "}, "scope"),
])
def test_a_refused_entrustment_keeps_what_was_typed_and_names_the_field(client, auth, session, change, field):
    auth.login("migrant")
    data = _form(session, **change)
    refused = client.post(ENTRUST, data={"csrf_token": auth.csrf(ENTRUST), **data})
    html = refused.get_data(as_text=True)
    assert refused.status_code in (409, 422)
    assert f'id="{field}-error"' in html
    for kept in ("agent_username", "valid_from", "min_price"):
        assert f'value="{data[kept]}"' in html
    assert all(f'value="{code}" checked' in html for code in data["parcel_codes"])
    assert not re.search(r"R\d+\.\d+|Key \(|UTC|agent_username|parcel_codes", _text(html))
    assert _entrusted(session) == []


def test_the_agent_accepts_on_its_home_page_and_the_migrant_revokes(client, auth, session):
    auth.login("migrant")
    sent = client.post(ENTRUST, data={"csrf_token": auth.csrf(ENTRUST), **_form(session)})
    assert sent.status_code == 302
    (made,) = _entrusted(session)
    assert (made.consent_method, made.agent_signed_at) == ("app", None)
    page = f"/market/entrustments/{made.id}"
    assert 'data-status="awaiting_agent"' in client.get(page).get_data(as_text=True)
    auth.login("farmer")  # the relative
    home = client.get("/").get_data(as_text=True)
    assert 'id="entrusted-to-me"' in home and f'href="{page}"' in home
    assert client.post(f"{page}/accept", data={"csrf_token": auth.csrf(page)}).status_code == 302
    assert made.agent_signed_at is not None
    assert 'data-status="in_force"' in client.get(page).get_data(as_text=True)
    auth.login("migrant")
    shown = client.get(page).get_data(as_text=True)
    assert f'href="{page}/revoke"' in shown and 'id="accept-form"' not in shown
    confirm = client.get(f"{page}/revoke").get_data(as_text=True)
    assert 'id="consequence"' in confirm and made.revoked_at is None  # asking changes nothing
    refused = client.post(f"{page}/revoke", data={"csrf_token": auth.csrf(page), "reason": "  "})
    assert refused.status_code == 422 and 'id="reason-error"' in refused.get_data(as_text=True)
    assert made.revoked_at is None
    done = client.post(f"{page}/revoke", data={"csrf_token": auth.csrf(page), "reason": "我自己来办"})
    assert done.status_code == 302 and made.revoked_at is not None
    assert 'data-status="revoked"' in client.get(page).get_data(as_text=True)
    auth.login("farmer")
    assert 'id="entrusted-to-me"' not in client.get("/").get_data(as_text=True)


def test_the_collective_clerk_is_offered(client, auth, session):
    accounts.create_user(session, SYSTEM, username="clerk02", password=PASSWORD, role="collective_clerk",
                         display_name="二组文书", collective_code=MIGRANT[:14], hash_method=FAST_HASH)
    auth.login("migrant")
    form = client.get(ENTRUST).get_data(as_text=True)
    assert 'name="agent" value="clerk02" checked' in form and "二组文书" in form
    sent = client.post(ENTRUST, data={"csrf_token": auth.csrf(ENTRUST),
                                      **_form(session, agent="clerk02", agent_username="")})
    assert sent.status_code == 302
    assert [e.agent_user_id for e in _entrusted(session)] == [session.scalar(sa.text(
        "SELECT id FROM users WHERE username = 'clerk02'"))]


def test_the_officer_records_the_paper_with_its_scan(client, auth, session):
    auth.login("officer")
    rights = client.get(f"/rights/{MIGRANT}").get_data(as_text=True)
    assert f'href="{ENTRUST}"' in rights
    data = _form(session, valid_from="2026-11-01", document="委托书 2026-3")
    without = client.post(ENTRUST, data={"csrf_token": auth.csrf(ENTRUST), **data})
    assert without.status_code == 422 and 'id="scan-error"' in without.get_data(as_text=True)
    scan = (io.BytesIO(b"%PDF-1.4 signed by both"), "委托书.pdf", "application/pdf")
    done = client.post(ENTRUST, data={"csrf_token": auth.csrf(ENTRUST), **data, "scan": scan},
                       content_type="multipart/form-data")
    assert done.status_code == 302
    (made,) = _entrusted(session)
    assert made.consent_method == "officer_scan" and made.agent_signed_at is not None  # in force at once


def test_strangers_see_no_entrustment(client, auth, session):
    auth.login("migrant")
    client.post(ENTRUST, data={"csrf_token": auth.csrf(ENTRUST), **_form(session)})
    (made,) = _entrusted(session)
    for username in ("transferee", "clerk"):  # another collective's clerk
        auth.login(username)
        assert client.get(f"/market/entrustments/{made.id}").status_code == 403
        assert client.get(f"/market/entrustments/{made.id + 1000}").status_code == 403
        assert client.get(ENTRUST).status_code == 403
    auth.login("farmer")  # the agent may read it, but not entrust for the household
    assert client.get(f"/market/entrustments/{made.id}").status_code == 200
    assert client.get(ENTRUST).status_code == 403
