"""Failed logins are counted per user name and source address, and per user name over every source
(issue 16, section 4): a lock tells nothing about which names exist, one address cannot lock a
farmer out from another, and a county administrator or the operator lifts a lock."""
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from landrights.accounts import login as logins
from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM, Actor
from landrights.errors import Forbidden
from tests.conftest import PASSWORD, Auth

HOME, CAFE, ELSEWHERE = "203.0.113.10", "198.51.100.20", "192.0.2.30"


@pytest.fixture(autouse=True)
def no_earlier_logins(session):
    """Start from no login session and no failed-login count (browser tests log in through a live
    server and commit theirs); the test's transaction rolls this back."""
    session.execute(sa.text("DELETE FROM login_sessions"))
    session.execute(sa.text("DELETE FROM login_throttles"))


def attempt(app, username: str, password: str, source: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = source
    return Auth(client).login(username, password)


def page(response, username: str) -> str:
    """The answer with what legitimately differs (the name typed, the form's token) blanked."""
    html = response.get_data(as_text=True).replace(username, "NAME")
    return re.sub(r'value="[^"]{20,}"', 'value="TOKEN"', html)


def test_unknown_and_existing_names_answer_alike_at_every_attempt(app, session):
    statuses = []
    for _ in range(7):
        known = attempt(app, "officer", "wrong-guess-1", HOME)
        unknown = attempt(app, "no-such-user", "wrong-guess-1", HOME)
        assert known.status_code == unknown.status_code
        assert page(known, "officer") == page(unknown, "no-such-user")
        statuses.append(known.status_code)
    assert statuses == [401] * 5 + [429] * 2
    locked = attempt(app, "officer", PASSWORD, HOME)  # the right password gets the same answer
    assert locked.status_code == 429
    assert page(locked, "officer") == page(attempt(app, "no-such-user", PASSWORD, HOME), "no-such-user")


def test_a_lock_from_one_address_does_not_lock_the_farmer_out_from_another(app, session):
    for _ in range(5):
        attempt(app, "farmer", "wrong-guess-1", CAFE)
    assert attempt(app, "farmer", PASSWORD, CAFE).status_code == 429
    assert attempt(app, "farmer", PASSWORD, HOME).status_code == 302


def test_ipv6_addresses_of_one_subscriber_count_as_one_source(app, session):
    for host in range(1, 6):
        attempt(app, "farmer", "wrong-guess-1", f"2001:db8:1:2::{host}")
    assert attempt(app, "farmer", PASSWORD, "2001:db8:1:2::99").status_code == 429
    assert attempt(app, "farmer", PASSWORD, "2001:db8:1:3::1").status_code == 302


def test_guessing_spread_over_many_addresses_locks_the_name_everywhere(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 6)
    for name in ("farmer", "no-such-user"):
        for n in range(6):
            assert attempt(app, name, "wrong-guess-1", f"192.0.2.{n + 1}").status_code == 401
        assert attempt(app, name, PASSWORD, ELSEWHERE).status_code == 429


def test_a_success_forgets_this_addresses_failures(app, session):
    for _ in range(4):
        attempt(app, "farmer", "wrong-guess-1", HOME)
    assert attempt(app, "farmer", PASSWORD, HOME).status_code == 302
    for _ in range(4):
        assert attempt(app, "farmer", "wrong-guess-1", HOME).status_code == 401
    assert attempt(app, "farmer", PASSWORD, HOME).status_code == 302


def test_an_unknown_name_and_a_lock_cost_the_same_hash_work_as_a_real_password(app, session,
                                                                                monkeypatch):
    methods = []
    real = logins.check_password_hash

    def check(hashed, password):
        methods.append(hashed.split("$")[0])
        return real(hashed, password)

    monkeypatch.setattr(logins, "check_password_hash", check)
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 1)
    assert attempt(app, "officer", "wrong-guess-1", HOME).status_code == 401
    assert attempt(app, "no-such-user", "wrong-guess-1", HOME).status_code == 401
    assert attempt(app, "officer", PASSWORD, HOME).status_code == 429  # the hash is still checked
    assert len(methods) == 3 and set(methods) == {app.config["PASSWORD_METHOD"]}


def _lock(app, username: str, source: str = HOME) -> None:
    for _ in range(5):
        attempt(app, username, "wrong-guess-1", source)
    assert attempt(app, username, PASSWORD, source).status_code == 429


def test_the_county_administrator_sees_and_lifts_a_lock_on_the_accounts_page(app, session):
    _lock(app, "farmer")
    admin = app.test_client()
    Auth(admin).login("county")
    listing = admin.get("/accounts").get_data(as_text=True)
    row = re.search(r'<tr data-user="farmer">.*?</tr>', listing, re.S).group(0)
    assert "锁定至" in row and "解除锁定" in row
    token = Auth(admin).csrf("/accounts")
    response = admin.post("/accounts/farmer/unlock", data={"csrf_token": token})
    assert response.status_code == 302
    assert "已解除" in admin.get("/accounts").get_data(as_text=True)
    assert attempt(app, "farmer", PASSWORD, HOME).status_code == 302


def test_only_the_administrator_of_the_accounts_county_lifts_its_lock(app, session):
    _lock(app, "farmer")
    elsewhere = Actor(role="county_admin", user_id=None, name="x", county_code="220422")
    officer = Actor(role="township_officer", user_id=None, name="x", township_code="220421102")
    for actor in (elsewhere, officer):  # (the township officer of the farmer's own township may: issue 20)
        with pytest.raises(Forbidden):
            accounts.unlock_login(session, actor, "farmer")
    with pytest.raises(Forbidden):  # an unknown name answers the same: no way to probe names
        accounts.unlock_login(session, elsewhere, "no-such-user")
    assert attempt(app, "farmer", PASSWORD, HOME).status_code == 429
    assert accounts.unlock_login(session, SYSTEM, "FARMER") == 2  # this pair and the all-sources row
    assert attempt(app, "farmer", PASSWORD, HOME).status_code == 302


def test_old_failure_counts_are_forgotten_but_locks_in_force_are_kept(session):
    now = datetime.now(UTC)
    session.execute(sa.text(
        "INSERT INTO login_throttles (username, source, failures, updated_at, locked_until) VALUES "
        "('old', '*', 3, :old, NULL), ('held', '*', 0, :old, :later), ('new', '*', 1, :now, NULL)"),
        {"old": now - timedelta(days=2), "now": now, "later": now + timedelta(minutes=5)})
    assert logins.forget_old_failures(session, now) == 1
    assert set(session.scalars(sa.text("SELECT username FROM login_throttles"))) >= {"held", "new"}
