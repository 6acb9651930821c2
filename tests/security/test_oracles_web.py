"""No oracles in the pages (issue 16, section 3): every page and form that takes a code, an ID
number or a record's number answers an outsider (the public, a farmer of another household, a
transferee who is no party, an officer of another township) the same for a key that exists and
for one that does not: the same status, redirect, page and flashed message."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from tests.security.world import NEIGHBOUR, OUTSIDERS, build, normalised

PAGES = [
    ("household", "/households/{key}"),
    ("household", "/rights/{key}"),
    ("household", "/households/{key}/confirm"),
    ("parcel", "/parcels/{key}"),
    ("contract", "/certificates/{key}"),
    ("contract", "/certificates/{key}/1.pdf"),
    ("collective", "/collectives/{key}/members"),
    ("transfer", "/market/contracts/{key}"),
    ("transfer", "/market/contracts/{key}.pdf"),
    ("transfer", "/market/contracts/{key}/attestation.pdf"),
    ("transfer", "/market/contracts/{key}/signatures"),
    ("notice", "/notices/{key}"),
    ("notice", "/notices/{key}/print/households.html"),
    ("objection", "/objections/{key}"),
    ("objection", "/objections/{key}/evidence"),
]

FORMS = [
    ("id_number", f"/rights/{NEIGHBOUR}/settlement",
     {"id_number": "{key}", "settled_on": "{today}", "city": "长春市", "document": "户口迁移证"}),
    ("household", "/rights/{key}/settlement",
     {"id_number": "220421198212181431", "settled_on": "{today}", "city": "长春市", "document": "证明"}),
    ("household", "/rights/{key}/withdrawals",
     {"kind": "homestead", "compensation_yuan": "1000", "notice_on": "{today}", "effective_on": "{today}"}),
    ("household", "/households/{key}/claims", {"parcel_codes": "{key}1"}),
    ("household", "/households/{key}/confirm", {}),
    ("transfer", "/market/contracts/{key}/sign", {}),
    ("transfer", "/market/contracts/{key}/registration", {}),
    ("transfer", "/market/contracts/{key}/consent", {}),
    ("transfer", "/market/contracts/{key}/retransfer",
     {"to_transferee_id": "1", "term_start": "{today}", "term_end": "{today}", "price": "500",
      "payment_schedule": "每年"}),
    ("retransfer", "/market/retransfers/{key}/sign", {}),
    ("withdrawal", "/withdrawals/{key}/cancel", {}),
    ("notice", "/notices/{key}/objections", {"household_code": "220421101201030016", "text": "面积不对"}),
    ("objection", "/objections/{key}", {"decision": "dismiss", "reason": "无误"}),
]


@pytest.fixture
def world(session):
    return build(session)


def _login(auth, who: str) -> str:
    """Log in (not the public) and return a CSRF token of the session."""
    if who == "anonymous":
        return auth.csrf("/login")
    auth.login(who)
    return auth.csrf("/")


def _flashes(client) -> list:
    with client.session_transaction() as state:
        return state.pop("_flashes", [])


def _seen(client, response, path: str, key: str) -> tuple:
    """Status, redirect, page and flashed messages, less the echo of the path asked for."""
    echo = (path, quote(path, safe=""), key)

    def blank(text: str) -> str:  # also a record's number in a path sent back (/notices/12)
        return re.sub(rf"/{re.escape(key)}(?=$|[/?.\"<])", "/<KEY>", normalised(text, *echo))

    return (response.status_code, blank(response.headers.get("Location", "")),
            blank(response.get_data(as_text=True)),
            [(kind, blank(text)) for kind, text in _flashes(client)])


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("page", PAGES, ids=[p[1] for p in PAGES])
def test_a_page_answers_an_outsider_alike(client, auth, session, world, who, page):
    kind, path = page
    _login(auth, who)
    answers = []
    for key in (world.known[kind], world.unknown[kind]):
        asked = path.replace("{key}", key)
        answers.append(_seen(client, client.get(asked), asked, key))
    assert answers[0] == answers[1], (who, path)
    assert answers[0][0] in ((302,) if who == "anonymous" else (403,)), answers[0][:2]


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("form", FORMS, ids=[f[1] for f in FORMS])
def test_a_form_answers_an_outsider_alike(client, auth, session, world, who, form):
    kind, path, fields = form
    token = _login(auth, who)
    answers = []
    for key in (world.known[kind], world.unknown[kind]):
        data = {name: value.replace("{key}", key).replace("{today}", world.today)
                for name, value in fields.items()} | {"csrf_token": token}
        asked = path.replace("{key}", key)
        answers.append(_seen(client, client.post(asked, data=data), asked, key))
    assert answers[0] == answers[1], (who, path)
    status, _location, _page, flashed = answers[0]
    assert status in (302, 403) and "success" not in [kind for kind, _ in flashed]


@pytest.mark.parametrize("who, sees", [("anonymous", False), ("outsider", False), ("farmer", False),
                                       ("officer2", False), ("migrant", True), ("officer", True)])
def test_a_public_listing_shows_its_contract_to_the_parties_only(client, auth, session, who, sees):
    """The listing page is public; it showed its transfer contract's code and state to anyone."""
    world = build(session)
    listing = session.scalar(sa.text("SELECT listing_id FROM transfer_contracts WHERE code = :c"),
                             {"c": world.known["transfer"]})
    _login(auth, who)
    page = client.get(f"/market/{listing}")
    assert page.status_code == 200
    assert (world.known["transfer"] in page.get_data(as_text=True)) is sees
