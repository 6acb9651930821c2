"""Login sessions live on the server (issue 16, section 4): logout, a password change, deactivation
and timeouts end them, a copied or forged cookie is refused; a request with an Authorization
header is judged by that header alone; redirects never leave the site."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from landrights.web.security import is_local_path
from tests.conftest import PASSWORD, Auth

NEW_PASSWORD = "cows graze by the river"


@pytest.fixture(autouse=True)
def no_earlier_logins(session):
    """Start from no login session and no failed-login count (browser tests log in through a live
    server and commit theirs); the test's transaction rolls this back."""
    session.execute(sa.text("DELETE FROM login_sessions"))
    session.execute(sa.text("DELETE FROM login_throttles"))


def logged_in(app, username: str = "officer"):
    client = app.test_client()
    assert Auth(client).login(username).status_code == 302
    return client


@pytest.fixture
def login(app, session):
    return lambda username="officer": logged_in(app, username)


def logout(client) -> None:
    token = Auth(client).csrf("/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, value: str):
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief


def test_a_cookie_copied_before_logout_is_refused_after_it(app, login):
    client = login()
    copied = cookie(client)
    assert replay(app, copied).get("/").status_code == 200  # the copy works while logged in
    logout(client)
    response = replay(app, copied).get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_cookie_signed_with_the_secret_key_but_naming_an_account_is_refused(app, session, client):
    # issue 16 section 1: SECRET_KEY was read out; a cookie naming the county administrator's id
    # was then accepted. Now the cookie must name a live session the server holds.
    admin_id = session.scalar(sa.text("SELECT id FROM users WHERE username = 'county'"))
    forged = app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": str(admin_id), "_fresh": True})
    assert replay(app, forged).get("/api/v1/persons?limit=1").status_code == 401


def test_the_cookie_carries_a_random_session_id_stored_only_as_a_digest(app, session, login):
    client = login()
    data = app.session_interface.get_signing_serializer(app).loads(cookie(client))
    raw = data["_user_id"]
    assert len(raw) >= 40 and not raw.isdigit()
    stored = session.scalars(sa.text("SELECT token_hash FROM login_sessions WHERE ended_at IS NULL")).all()
    assert raw not in stored and len(stored) == 1


def _age(session, **columns) -> None:
    sets = ", ".join(f"{k} = now() - interval '{v}'" for k, v in columns.items())
    session.execute(sa.text(f"UPDATE login_sessions SET {sets} WHERE ended_at IS NULL"))
    session.flush()


def test_an_idle_session_ends_after_the_idle_timeout(app, session, login):
    client = login()
    _age(session, last_seen_at="29 minutes", created_at="29 minutes")
    assert client.get("/").status_code == 200
    seen = session.scalar(sa.text("SELECT now() - last_seen_at FROM login_sessions WHERE ended_at IS NULL"))
    assert seen < timedelta(minutes=1)  # the request moved last-seen on (and it was committed)
    _age(session, last_seen_at="31 minutes")
    assert client.get("/").status_code == 302


def test_a_busy_session_still_ends_after_the_absolute_timeout(session, login):
    client = login()
    _age(session, created_at="12 hours 1 minute")
    assert client.get("/").status_code == 302


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, session, login):
    mine, other = login(), login()
    token = Auth(mine).csrf("/account/password")
    response = mine.post("/account/password", data={
        "csrf_token": token, "current_password": PASSWORD, "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert mine.get("/").status_code == 200
    assert other.get("/").status_code == 302
    reasons = session.scalars(sa.text("SELECT end_reason FROM login_sessions "
                                      "WHERE ended_at IS NOT NULL")).all()
    assert reasons == ["password"]
    assert Auth(app.test_client()).login("officer", NEW_PASSWORD).status_code == 302
    assert Auth(app.test_client()).login("officer", PASSWORD).status_code == 401


def test_a_password_change_needs_the_current_password(session, login):
    client = login()
    response = client.post("/account/password", data={
        "csrf_token": Auth(client).csrf("/account/password"), "current_password": "not-it-at-all",
        "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 422 and "当前密码不正确" in response.get_data(as_text=True)


@pytest.mark.parametrize("end", ["deactivate", "revoke"])
def test_deactivating_or_revoking_an_account_ends_its_sessions_and_tokens(session, client, login,
                                                                          end):
    browser = login()
    token = accounts.issue_token(session, SYSTEM, "officer", "test")
    if end == "deactivate":
        accounts.set_active(session, SYSTEM, "officer", False)
        accounts.set_active(session, SYSTEM, "officer", True)  # back: the old ones stay dead
    else:
        assert accounts.revoke_access(session, SYSTEM, "officer") == (1, 1)
    assert browser.get("/").status_code == 302
    assert client.get("/api/v1/persons", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_login_drops_what_the_cookie_held_before_it(client, session, auth):
    auth.csrf()  # the login form put a CSRF secret in the cookie a forger may have planted
    with client.session_transaction() as data:
        before = data["csrf_token"]
    auth.login("officer")
    with client.session_transaction() as data:
        assert data.get("csrf_token") != before


# --- the Authorization header alone authenticates the request it is on ---

PERSON = {"county_code": "220421", "name": "测试人", "sex": 1, "id_type": 1,
          "id_number": "220421198001010012"}


def _person_body() -> dict:
    from landrights.registry.rules import id_number_problem

    for check in "0123456789X":
        number = PERSON["id_number"][:17] + check
        if id_number_problem(number) is None:
            return {**PERSON, "id_number": number}
    raise AssertionError("no check digit fits")


def _persons_named(session) -> int:
    return session.scalar(sa.text("SELECT count(*) FROM persons WHERE name = :n"), {"n": PERSON["name"]})


@pytest.mark.parametrize("header", ["Bearer junk", "Bearer ", "Basic b2ZmaWNlcjp4", "Token lr_x"])
def test_a_cookie_session_with_a_bad_authorization_header_is_refused_not_let_through(
        session, login, header):
    client = login()  # a township officer's browser, who may register persons
    response = client.post("/api/v1/persons", json=_person_body(), headers={"Authorization": header})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthenticated"
    assert _persons_named(session) == 0


def test_a_valid_token_acts_as_its_own_account_not_the_cookies(session, login):
    client = login("officer")
    farmer = accounts.issue_token(session, SYSTEM, "farmer", "test")
    response = client.post("/api/v1/persons", json=_person_body(),
                           headers={"Authorization": f"Bearer {farmer}"})
    assert response.status_code == 403 and _persons_named(session) == 0


def test_a_cookie_session_write_needs_the_csrf_token(session, login):
    client = login()
    refused = client.post("/api/v1/persons", json=_person_body())
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    token = Auth(client).csrf("/")
    accepted = client.post("/api/v1/persons", json=_person_body(), headers={"X-CSRFToken": token})
    assert accepted.status_code == 201 and _persons_named(session) == 1


def test_an_anonymous_write_is_told_to_log_in(client, session):
    response = client.post("/api/v1/persons", json=_person_body())
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthenticated"
    assert client.post("/api/v1/persons", data="not json").status_code == 401


# --- redirects stay on the site ---

@pytest.mark.parametrize("target", [
    "//evil.example/x", "///evil.example", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
    "/\n/evil.example", "https://evil.example/", "javascript:alert(1)", "evil.example", "",
    "http:/evil.example", "/%09/x\x00",
])
def test_only_a_local_path_is_a_redirect_target(target):
    assert not is_local_path(target)


@pytest.mark.parametrize("target", ["/", "/market/", "/households?offset=20", "/parcels/1#map"])
def test_local_paths_are_redirect_targets(target):
    assert is_local_path(target)


def test_signing_a_contract_never_redirects_off_site(session, login):
    client = login("farmer")
    token = Auth(client).csrf("/")
    for back in ("//evil.example/x", "/\\evil.example", "https://evil.example/"):
        form = {"back": back, "csrf_token": token}
        response = client.post("/market/contracts/220421101201010001J9/sign", data=form)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/") and "evil" not in response.headers["Location"]


def test_cancelling_a_withdrawal_never_redirects_off_site(session, login):
    client = login("farmer")
    response = client.post("/withdrawals/999999/cancel", data={"back": "//evil.example/x",
                                                               "csrf_token": Auth(client).csrf("/")})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_login_never_redirects_off_site(app, session):
    client = app.test_client()
    token = Auth(client).csrf()
    response = client.post("/login?next=//evil.example/x", data={
        "username": "officer", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    kept = Auth(app.test_client())
    token = kept.csrf()
    response = kept.client.post("/login?next=/households", data={
        "username": "officer", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/households"


def test_sessions_record_where_they_came_from(session, app):
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": "198.51.100.7", "HTTP_USER_AGENT": "Phone/1.0"})
    assert Auth(client).login("officer").status_code == 302
    row = session.execute(sa.text("SELECT source_address, user_agent, created_at FROM login_sessions")).one()
    assert row[:2] == ("198.51.100.7", "Phone/1.0")
    assert datetime.now(UTC) - row[2] < timedelta(minutes=5)
