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
