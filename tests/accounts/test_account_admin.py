"""Accounts at county scale (issue 20 §1): the county administrator creates an account, changes
its role and area, deactivates and reactivates it, creates officers and clerks from a CSV file with
a report per row; every change is recorded (who, when, what) and shown on the account's page.
Permission matrix for each new action: a county administrator only within its county, nobody gives
a role above their own, nobody deactivates or re-roles themself; a township officer looks after
the household accounts of its township only (letters, locks)."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from landrights.accounts import activation, admin, rules
from landrights.accounts import services as accounts
from landrights.accounts.models import AccountChange, User
from landrights.accounts.permissions import ANONYMOUS, SYSTEM, Actor
from landrights.errors import Conflict, Forbidden, Unauthenticated, ValidationFailed
from tests.conftest import FAST_HASH, PASSWORD, Auth

COUNTY, TOWNSHIP, GROUP_01, GROUP_02 = "220421", "220421101", "22042110120101", "22042110120102"
FARMER_HH = "220421101201010001"


def user(session, username: str) -> User:
    return session.scalar(sa.select(User).where(User.username == username))


def actor(session, username: str) -> Actor:
    return Actor.of(user(session, username))


ACTORS = {
    "system": lambda s: SYSTEM,
    "county": lambda s: actor(s, "county"),
    "other_county": lambda s: Actor(role="county_admin", name="别县", county_code="220422"),
    "officer": lambda s: actor(s, "officer"),
    "other_officer": lambda s: Actor(role="township_officer", name="别乡", township_code="220421102"),
    "clerk": lambda s: actor(s, "clerk"),
    "farmer": lambda s: actor(s, "farmer"),
    "transferee": lambda s: actor(s, "transferee"),
    "anonymous": lambda s: ANONYMOUS,
}
ADMINS = {"system", "county"}
LOOK_AFTER_HOUSEHOLDS = {"system", "county", "officer"}
ACTIONS = {  # name: (call, actors allowed)
    # listing and a file are the other county's own business (its rows elsewhere are refused)
    "list": (lambda s, a: admin.list_accounts(s, a), ADMINS | {"other_county"}),
    "create": (lambda s, a: admin.create_account(s, a, username="wang_dy", display_name="王大勇",
                                                 role="township_officer", area_code=TOWNSHIP), ADMINS),
    "edit": (lambda s, a: admin.edit_account(s, a, "clerk", role="collective_clerk", area_code=GROUP_02),
             ADMINS),
    "deactivate": (lambda s, a: accounts.set_active(s, a, "clerk", False), ADMINS),
    "import": (lambda s, a: admin.import_accounts(s, a, "用户名,姓名,角色,辖区编码\n".encode()),
               ADMINS | {"other_county"}),
    "letter": (lambda s, a: activation.issue_letter(s, a, "farmer", hash_method=FAST_HASH),
               LOOK_AFTER_HOUSEHOLDS),
    "collective_letters": (lambda s, a: activation.issue_collective_letters(s, a, GROUP_01,
                                                                            hash_method=FAST_HASH),
                           LOOK_AFTER_HOUSEHOLDS),
    "unlock": (lambda s, a: accounts.unlock_login(s, a, "farmer"), LOOK_AFTER_HOUSEHOLDS),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("who", sorted(ACTORS))
def test_permission_matrix_of_the_new_actions(session, who, action):
    call, allowed = ACTIONS[action]
    acting = ACTORS[who](session)
    nested = session.begin_nested()
    try:
        if who in allowed:
            call(session, acting)  # done: no refusal
        else:
            with pytest.raises(Unauthenticated if who == "anonymous" else Forbidden):
                call(session, acting)
    finally:
        nested.rollback()


def test_nobody_gives_a_role_above_their_own():
    assert rules.may_grant("county_admin", "county_admin")  # an equal: a county's second administrator
    assert rules.may_grant("county_admin", "township_officer")
    assert not rules.may_grant("township_officer", "county_admin")
    assert not rules.may_grant("collective_clerk", "township_officer")
    assert not rules.may_grant("farmer", "collective_clerk")
    assert not rules.may_grant("county_admin", "system")


def test_an_administrator_neither_deactivates_nor_re_roles_itself(session):
    county = actor(session, "county")
    with pytest.raises(Forbidden):
        accounts.set_active(session, county, "county", False)
    with pytest.raises(Forbidden) as refused:
        admin.edit_account(session, county, "county", role="township_officer", area_code=TOWNSHIP)
    assert refused.value.field == "role"
    assert user(session, "county").is_active and user(session, "county").role == "county_admin"


def test_a_county_administrator_works_only_inside_its_county(session):
    county = actor(session, "county")
    with pytest.raises(Forbidden) as refused:
        admin.create_account(session, county, username="outsider_o", display_name="某人",
                             role="township_officer", area_code="220422101")
    assert refused.value.field == "area_code"
    other = Actor(role="county_admin", name="别县", county_code="220422")
    for name in ("officer", "no-such-user"):  # an unknown name answers alike: no probing of names
        with pytest.raises(Forbidden):
            admin.edit_account(session, other, name, role="township_officer", area_code="220422101")
    assert [u.username for u in admin.list_accounts(session, other).items] == []


@pytest.mark.parametrize("fields, field", [
    ({"username": "x"}, "username"),
    ({"username": "220421101201019999"}, "username"),  # 18 digits: kept for households
    ({"username": "officer"}, "username"),  # taken
    ({"display_name": "  "}, "display_name"),
    ({"role": "transferee"}, "role"),
    ({"role": "collective_clerk"}, "area_code"),  # a township's code for a clerk
    ({"area_code": "220421199"}, "area_code"),  # no such township
])
def test_a_new_account_is_refused_naming_the_field(session, fields, field):
    values = {"username": "wang_dy", "display_name": "王大勇", "role": "township_officer",
              "area_code": TOWNSHIP, **fields}
    with pytest.raises((ValidationFailed, Conflict)) as refused:
        admin.create_account(session, actor(session, "county"), **values)
    assert refused.value.field == field
    assert user(session, "wang_dy") is None


def test_every_change_is_recorded_with_who_when_and_what(session):
    county = actor(session, "county")
    made = admin.create_account(session, county, username="wang_dy", display_name="王大勇",
                                role="township_officer", area_code=TOWNSHIP)
    assert made.password_hash == rules.NO_PASSWORD  # no password until the letter is used
    admin.edit_account(session, county, "wang_dy", role="collective_clerk", area_code=GROUP_01)
    accounts.set_active(session, county, "wang_dy", False)
    accounts.set_active(session, county, "wang_dy", True)
    activation.issue_letter(session, county, "wang_dy", hash_method=FAST_HASH)
    rows = session.scalars(sa.select(AccountChange).where(AccountChange.user_id == made.id)
                           .order_by(AccountChange.id)).all()
    assert [r.action for r in rows] == ["created", "edited", "deactivated", "reactivated", "letter_issued"]
    who = {(r.actor_id, r.actor_name, r.county_code) for r in rows}
    assert who == {(county.user_id, county.name, COUNTY)}
    edited = rows[1]
    assert (edited.role_before, edited.area_before, edited.role_after, edited.area_after) == \
        ("township_officer", TOWNSHIP, "collective_clerk", GROUP_01)
    assert (rows[2].active_before, rows[2].active_after) == (True, False)
    assert all(r.changed_at is not None for r in rows)
    columns = {c.name for c in AccountChange.__table__.columns}
    assert not any("password" in c or "hash" in c or "code" == c for c in columns)  # nowhere to put one


def test_recorded_changes_are_kept_as_recorded(session):
    from tests.factories import refused

    admin.create_account(session, actor(session, "county"), username="wang_dy", display_name="王大勇",
                         role="township_officer", area_code=TOWNSHIP)
    session.flush()
    state, _name = refused(session, "UPDATE account_changes SET action = 'edited'")
    assert state == "P0001"
    state, _name = refused(session, "DELETE FROM account_changes")
    assert state == "P0001"


# --- pages ------------------------------------------------------------------------------------

def _form(client, auth, path: str, **data):
    return client.post(path, data={"csrf_token": auth.csrf(path), **data})


def test_the_administrator_creates_edits_and_reads_the_history_on_pages(client, auth, session):
    auth.login("county")
    listing = client.get("/accounts").get_data(as_text=True)
    assert 'href="/accounts/new"' in listing and 'href="/accounts/import"' in listing
    assert 'href="/accounts/households"' in listing and 'href="/accounts/users/officer"' in listing
    refused = _form(client, auth, "/accounts/new", username="wang_dy", display_name="王大勇",
                    role="township_officer", area_code="22042199")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(r'id="area_code-error"[^>]*>[^<]*9', html)  # beside its field: 9 digits
    assert 'value="王大勇"' in html and 'value="wang_dy"' in html  # what was typed is kept
    created = _form(client, auth, "/accounts/new", username="wang_dy", display_name="王大勇",
                    role="township_officer", area_code=TOWNSHIP)
    assert created.status_code == 302 and created.headers["Location"].endswith("/accounts/users/wang_dy")
    page = client.get("/accounts/users/wang_dy").get_data(as_text=True)
    assert 'data-state="awaiting"' in page and "等待激活" in page and 'id="letter-form"' in page
    edited = _form(client, auth, "/accounts/users/wang_dy", role="collective_clerk", area_code=TOWNSHIP)
    assert edited.status_code == 422 and 'id="area_code-error"' in edited.get_data(as_text=True)
    edited = _form(client, auth, "/accounts/users/wang_dy", role="collective_clerk", area_code=GROUP_01)
    assert edited.status_code == 302
    page = client.get("/accounts/users/wang_dy").get_data(as_text=True)
    history = page[page.index('id="history"'):]
    assert history.count("<tr data-action") == 2 and "县农业农村局管理员" in history
    assert GROUP_01 in history and TOWNSHIP in history and "UTC" not in history
    own = client.get("/accounts/users/county").get_data(as_text=True)
    assert 'id="edit-form"' not in own and 'id="active-form"' not in own  # not on one's own account


def test_the_accounts_list_finds_by_name_and_code_and_pages(client, auth, session):
    for n in range(55):
        session.add(User(username=f"clerk_{n:02d}", display_name=f"文书{n}", role="collective_clerk",
                         collective_code=GROUP_02, password_hash=rules.NO_PASSWORD))
    session.flush()
    auth.login("county")
    first = client.get("/accounts").get_data(as_text=True)
    assert first.count("<tr data-user=") == 50 and "offset=50" in first
    found = client.get(f"/accounts?q={GROUP_02}").get_data(as_text=True)
    assert found.count("<tr data-user=") == 50 and 'data-user="clerk"' not in found
    found = client.get("/accounts?q=文书7").get_data(as_text=True)
    assert found.count("<tr data-user=") == 1 and "等待激活" in found


CSV = """用户名,姓名,角色,辖区编码
wang_dy,王大勇,乡镇农经站人员,220421101
li_yz,李玉珍,集体经济组织文书,22042110120101
x,短名,乡镇农经站人员,220421101
zhao_n,赵宁,农户,220421101201010002
sun_w,孙伟,乡镇农经站人员,220422101
qian_l,钱磊,乡镇农经站人员,220421199
wang_dy,王大勇,乡镇农经站人员,220421101
zhou_k,,集体经济组织文书,22042110120101
"""


def test_a_csv_file_creates_officers_and_clerks_with_a_report_per_row(client, auth, session):
    auth.login("county")
    page = client.get("/accounts/import").get_data(as_text=True)
    assert 'href="/accounts/import/template.csv"' in page and "辖区编码" in page
    template = client.get("/accounts/import/template.csv")
    assert template.data.startswith("\ufeff用户名,姓名,角色,辖区编码".encode())
    response = client.post("/accounts/import", data={
        "csrf_token": auth.csrf("/accounts/import"),
        "file": (io.BytesIO(CSV.encode("gb18030")), "县里的账户.csv")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    rows = dict(re.findall(r'<tr data-line="(\d+)" data-result="(\w+)">', html))
    assert rows == {"2": "created", "3": "created", "4": "refused", "5": "refused", "6": "refused",
                    "7": "refused", "8": "refused", "9": "refused"}
    reasons = {line: re.sub(r"<[^>]+>", "", html[html.index(f'data-line="{line}"'):]).split("\n")[2]
               for line in "456789"}
    assert "“用户名”列" in reasons["4"] and "“角色”列" in reasons["5"] and "“辖区编码”列" in reasons["6"]
    assert "“辖区编码”列" in reasons["7"] and "“用户名”列" in reasons["8"] and "“姓名”列" in reasons["9"]
    assert "已有人使用" in reasons["8"]
    assert "2 个已创建，6 个未创建" in html
    assert {u.username for u in session.scalars(sa.select(User).where(User.username.in_(
        ["wang_dy", "li_yz", "x", "zhao_n", "sun_w", "qian_l", "zhou_k"])))} == {"wang_dy", "li_yz"}
    assert 'id="letters-form"' in html  # their letters, in one PDF
    pdf = client.post("/accounts/letters", data={"csrf_token": auth.csrf("/accounts/import"),
                                                 "username": ["wang_dy", "li_yz"]})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_a_file_without_the_columns_is_refused_beside_the_file_field(client, auth, session):
    auth.login("county")
    response = client.post("/accounts/import", data={
        "csrf_token": auth.csrf("/accounts/import"),
        "file": (io.BytesIO(b"name,role\nx,y\n"), "a.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422 and 'id="file-error"' in response.get_data(as_text=True)


# --- the API ----------------------------------------------------------------------------------

def test_the_api_creates_edits_deactivates_and_reports(client, session):
    def bearer(name):
        return {"Authorization": "Bearer " + accounts.issue_token(session, SYSTEM, name)}

    county, officer = bearer("county"), bearer("officer")
    body = {"username": "wang_dy", "display_name": "王大勇", "role": "township_officer",
            "area_code": TOWNSHIP}
    assert client.post("/api/v1/accounts", json=body, headers=officer).status_code == 403
    made = client.post("/api/v1/accounts", json=body, headers=county)
    assert made.status_code == 201 and made.json["state"] == "awaiting"
    assert made.json["changes"][0] | {"changed_at": None} == {
        "changed_at": None, "by": "县农业农村局管理员", "action": "created", "role_before": None,
        "role_after": "township_officer", "area_before": None, "area_after": TOWNSHIP,
        "active_before": None, "active_after": True}
    again = client.post("/api/v1/accounts", json=body, headers=county)
    assert again.status_code == 409 and again.json["error"]["field"] == "username"
    edited = client.patch("/api/v1/accounts/wang_dy", headers=county,
                          json={"role": "collective_clerk", "area_code": GROUP_01})
    assert edited.status_code == 200 and edited.json["area_code"] == GROUP_01
    assert client.post("/api/v1/accounts/wang_dy/deactivation", headers=county).json["state"] == "deactivated"
    assert client.post("/api/v1/accounts/wang_dy/reactivation", headers=county).json["state"] == "awaiting"
    history = client.get("/api/v1/accounts/wang_dy", headers=county).json["changes"]
    assert [c["action"] for c in history] == ["reactivated", "deactivated", "edited", "created"]
    listed = client.get("/api/v1/accounts?q=wang", headers=county).json
    assert listed["total"] == 1 and "password" not in str(listed)
    report = client.post("/api/v1/account-imports", headers=county, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(CSV.encode()), "a.csv")}).json
    assert (report["created"], report["refused"]) == (1, 7)  # wang_dy exists now
    assert report["rows"][0] == {"line": 2, "username": "wang_dy", "result": "refused", "column": "username",
                                 "message": report["rows"][0]["message"]}


def test_a_password_never_travels_with_an_account(client, session):
    token = {"Authorization": "Bearer " + accounts.issue_token(session, SYSTEM, "county")}
    body = {"username": "wang_dy", "display_name": "王大勇", "role": "township_officer",
            "area_code": TOWNSHIP, "password": PASSWORD}
    response = client.post("/api/v1/accounts", json=body, headers=token)
    assert response.status_code in (201, 422)
    if response.status_code == 201:  # an unknown field ignored, never used
        assert user(session, "wang_dy").password_hash == rules.NO_PASSWORD


def test_the_farmer_lock_is_lifted_by_the_township_officer_on_its_households_page(app, client, auth, session):
    for _ in range(5):
        Auth(app.test_client()).login("farmer", "wrong-guess-1")
    auth.login("officer")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/accounts/households"' in home
    page = client.get(f"/accounts/households/{GROUP_01}").get_data(as_text=True)
    row = re.search(rf'<tr data-code="{FARMER_HH}" data-state="locked">.*?</tr>', page, re.S).group(0)
    assert "解除锁定" in row
    back = f"/accounts/households/{GROUP_01}"
    lifted = client.post("/accounts/farmer/unlock", data={"csrf_token": auth.csrf(back), "back": back})
    assert lifted.status_code == 302 and lifted.headers["Location"].endswith(GROUP_01)
    assert Auth(app.test_client()).login("farmer", PASSWORD).status_code == 302
