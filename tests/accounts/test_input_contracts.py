"""One input contract per use case (issue 21 §4): the account pages load their forms through the
schema the JSON API loads its body with (landrights.accounts.inputs), so a value the API refuses,
the form refuses too: the same field, the same words beside it, nothing written."""
from __future__ import annotations

import pytest

from tests.factories import same_refusal

TOWNSHIP = "220421101"
ACCOUNT = {"username": "wang_dy", "display_name": "王大勇", "role": "township_officer", "area_code": TOWNSHIP}


@pytest.mark.parametrize("change, field", [
    ({"username": "ab"}, "username"),  # 3 to 64 characters
    ({"username": "王大勇"}, "username"),
    ({"display_name": None}, "display_name"),
    ({"display_name": "   "}, "display_name"),
    ({"role": "king"}, "role"),
    ({"area_code": "22042199"}, "area_code"),  # 6, 9, 14 or 18 digits
])
def test_an_account_the_api_refuses_the_new_account_page_refuses_beside_the_same_field(
        client, auth, session, change, field):
    values = {k: v for k, v in (ACCOUNT | change).items() if v is not None}
    html = same_refusal(client, auth, session, user="county", api="/api/v1/accounts", body=values,
                        page="/accounts/new", form=values, field=field, table="users")
    assert 'value="王大勇"' in html or field == "display_name"  # what was typed is kept


@pytest.mark.parametrize("change, field", [
    ({"role": "king"}, "role"),
    ({"area_code": "2204211"}, "area_code"),
    ({"area_code": None}, "area_code"),
])
def test_an_edit_the_api_refuses_the_account_page_refuses_beside_the_same_field(client, auth, session, change,
                                                                                field):
    values = {k: v for k, v in ({"role": "collective_clerk", "area_code": "22042110120101"} | change).items()
              if v is not None}
    same_refusal(client, auth, session, user="county", api="/api/v1/accounts/officer", body=values,
                 page="/accounts/users/officer", form=values, field=field, table="account_changes",
                 api_method="patch")


def test_the_collective_letters_renew_box_is_read_as_the_apis_query(client, auth, session):
    """renew is LettersQuery's, the API's query and the page's box: a forged value is refused by
    both in the same words, and no account or letter is made."""
    import sqlalchemy as sa

    from tests.factories import bearer

    group = "22042110120101"
    before = session.scalar(sa.text("SELECT count(*) FROM users"))
    api = client.post(f"/api/v1/collectives/{group}/letters?renew=maybe", headers=bearer(session, "officer"))
    assert api.status_code == 422
    error = api.get_json()["error"]
    auth.login("officer")
    page = f"/accounts/households/{group}"
    answer = client.post(f"{page}/letters", data={"csrf_token": auth.csrf(page), "renew": "maybe"},
                         follow_redirects=True)
    assert error["field"] == "renew" and error["message"] in answer.get_data(as_text=True)
    assert answer.request.path == page and answer.mimetype == "text/html"
    assert session.scalar(sa.text("SELECT count(*) FROM users")) == before


@pytest.mark.parametrize("active, state", [("0", False), ("1", True), ("maybe", True)])
def test_the_active_switch_is_read_through_its_schema(client, auth, session, active, state):
    """A forged value of the switch is refused, never read as "off"."""
    import sqlalchemy as sa

    auth.login("county")
    page = "/accounts/users/clerk"
    answer = client.post("/accounts/clerk/active", data={"csrf_token": auth.csrf(page), "active": active,
                                                         "back": page}, follow_redirects=True)
    assert answer.status_code == 200
    assert session.scalar(sa.text("SELECT is_active FROM users WHERE username = 'clerk'")) is state
    assert ("请选择“是”或“否”。" in answer.get_data(as_text=True)) == (active == "maybe")
