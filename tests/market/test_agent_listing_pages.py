"""An agent lists the household's land under its written entrustment (R2.4; issue 19's gap), through
the test client: from its home page's "land entrusted to you" to the parcels the entrustment covers
and the household's own listing form; the listing says the agent listed it for the household. Refused
plainly (403, the reason said, no form, nothing listed) when the entrustment was revoked, is past its
term or not yet begun, was never accepted, or does not entrust listing; only its agent opens it."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.accounts.models import User
from landrights.accounts.permissions import Actor
from landrights.market import entrustment_queries, entrustments
from landrights.market.models import Listing
from tests.market.conftest import farmer_of

MIGRANT = "220421101201020006"  # 赵振华's household, settled in town; the demo farmer is the relative


def _agent(session) -> Actor:
    return Actor.of(session.scalar(sa.select(User).where(User.username == "farmer")))


def _free_parcels(session) -> list[dict]:
    """The migrant's parcels not leased out (one of three: two run to the cooperative till 2028)."""
    form = entrustment_queries.entrust_form(session, farmer_of(MIGRANT), MIGRANT)
    return [p for p in form["parcels"] if not p["leased_until"]]


def _entrust(session, *, acts=("list", "sign"), accept=True, valid_to=date(2027, 12, 31), **kw):
    made = entrustments.create_entrustment(
        session, farmer_of(MIGRANT), household_code=MIGRANT, agent_username="farmer",
        parcel_codes=[p["code"] for p in entrustment_queries.entrust_form(session, farmer_of(MIGRANT),
                                                                           MIGRANT)["parcels"]],
        acts=list(acts), valid_from=kw.pop("valid_from", clock.today()), valid_to=valid_to,
        transfer_until=date(2028, 12, 31), min_price=Decimal("480"), scope="代我出租", **kw)
    if accept:
        entrustments.accept_entrustment(session, _agent(session), entrustment_id=made.id)
    return made


def _listing_form(session, **kw) -> dict:
    return {"parcel_codes": [_free_parcels(session)[0]["code"]], "mode": "lease", "land_use": "grain",
            "term_start": "2027-03-01", "term_end": "2028-12-31", "reserve_price": "500",
            "payment_schedule": "每年3月1日前付清当年租金"} | kw


def _post(client, auth, path: str, data: dict):
    return client.post(path, data={"csrf_token": auth.csrf(path), **data})


def _listings(session, entrustment_id: int) -> list[Listing]:
    return list(session.scalars(sa.select(Listing).where(Listing.entrustment_id == entrustment_id)))


def test_the_agent_lists_from_its_home_page_and_the_listing_says_for_whom(app, client, auth, session):
    made = _entrust(session)
    land = f"/market/entrustments/{made.id}/land"
    auth.login("farmer")
    home = client.get("/").get_data(as_text=True)
    assert f'href="{land}"' in home  # 委托您代办的土地 → this household's land
    page = client.get(land).get_data(as_text=True)
    free = _free_parcels(session)[0]
    assert 'id="entrusted-parcels"' in page and free["name"] in page and "已出租至" in page
    assert 'id="listing-form"' in page and "480" in page  # the lowest rent the household allows
    assert f'href="{land}?parcel={free["code"]}#listing-form"' in page  # rent out this parcel
    chosen = client.get(land, query_string={"parcel": free["code"]}).get_data(as_text=True)
    assert re.search(rf'value="{free["code"]}"\s+checked', chosen)
    done = _post(client, auth, land, _listing_form(session))
    assert done.status_code == 302
    [listing] = _listings(session, made.id)
    assert done.headers["Location"].endswith(f"/market/{listing.id}#listing-status")
    assert (listing.household_code, listing.listed_by) == (MIGRANT, _agent(session).user_id)
    shown = client.get(f"/market/{listing.id}").get_data(as_text=True)  # the agent sees the names
    assert 'id="listed-by"' in shown and "赵振华" in shown and f"第 {made.id} 号" in shown
    assert 'href="/parcels/' not in shown  # the household's parcel pages are not the agent's to open
    assert client.get(f"/parcels/{free['code']}").status_code == 403
    again = client.get(land).get_data(as_text=True)
    assert f'data-listing="{listing.id}"' in again and f"挂牌中（第 {listing.id} 号）" in again
    auth.login("migrant")  # the household sees who listed its land
    assert "赵振华" in client.get(f"/market/{listing.id}").get_data(as_text=True)
    public = app.test_client().get(f"/market/{listing.id}").get_data(as_text=True)  # anyone
    assert 'id="listed-by"' in public and "受托人凭农户的书面委托代为挂牌" in public
    assert "赵振华" not in public  # the public sees no household's name


def test_a_rent_below_the_entrustment_is_said_beside_the_price_and_kept(client, auth, session):
    made = _entrust(session)
    land = f"/market/entrustments/{made.id}/land"
    auth.login("farmer")
    refused = _post(client, auth, land, _listing_form(session, reserve_price="450"))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(r'id="reserve_price-error"[^>]*>[^<]*480', html)
    assert 'value="450"' in html and 'value="2027-03-01"' in html  # what was typed is kept
    assert "R2.4" not in re.sub(r"<[^>]+>", " ", html)
    assert _listings(session, made.id) == []


def _revoked(session):
    made = _entrust(session)
    entrustments.revoke_entrustment(session, farmer_of(MIGRANT), entrustment_id=made.id, reason="自己回来办")
    return made


CASES = {
    "revoked": _revoked,
    "not_entrusted": lambda session: _entrust(session, acts=("sign",)),
    "awaiting_agent": lambda session: _entrust(session, accept=False),
    "not_yet": lambda session: _entrust(session, valid_from=clock.today() + timedelta(days=30)),
}


@pytest.mark.parametrize("reason", [*CASES, "expired"])
def test_the_agent_is_refused_plainly_and_nothing_is_listed(client, auth, session, reason):
    made = _entrust(session) if reason == "expired" else CASES[reason](session)
    land = f"/market/entrustments/{made.id}/land"
    if reason == "expired":
        clock.travel(timedelta(days=(date(2028, 1, 1) - clock.today()).days))
    try:
        auth.login("farmer")
        page = client.get(land)
        html = page.get_data(as_text=True)
        assert page.status_code == 403 and f'data-reason="{reason}"' in html
        assert 'id="listing-form"' not in html
        assert f'href="{land}"' not in client.get("/").get_data(as_text=True)  # nothing offered at home
        refused = _post(client, auth, land, _listing_form(session))
        assert refused.status_code == 403 and f'data-reason="{reason}"' in refused.get_data(as_text=True)
        assert _listings(session, made.id) == []
    finally:
        clock.reset()


@pytest.mark.parametrize("who", ["migrant", "officer", "transferee"])
def test_only_the_agent_opens_the_page(client, auth, session, who):
    made = _entrust(session)
    auth.login(who)
    assert client.get(f"/market/entrustments/{made.id}/land").status_code == 403
    assert client.get("/market/entrustments/999999/land").status_code == 403  # one answer for none
    posted = _post(client, auth, f"/market/entrustments/{made.id}/land", _listing_form(session))
    assert posted.status_code == 403


def test_the_reasons_the_query_gives(session):
    agent = _agent(session)
    assert entrustment_queries.entrusted_land(session, agent, _entrust(session).id)["refusal"] is None
    for reason, make in CASES.items():
        assert entrustment_queries.entrusted_land(session, agent, make(session).id)["refusal"] == reason
