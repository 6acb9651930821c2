"""Bearer tokens: checked in the database on every request, so revoking a token, its expiry or
deactivating the account takes effect on the very next call."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM


@pytest.fixture
def token(session):
    value = accounts.issue_token(session, SYSTEM, "officer", "test")
    return value, {"Authorization": f"Bearer {value}"}


def _parcel(session) -> str:
    return session.scalar(sa.text("SELECT code FROM parcels WHERE valid_to IS NULL ORDER BY code LIMIT 1"))


def _set_token(session, value: str, **columns) -> None:
    from landrights.accounts import rules
    from landrights.accounts.models import ApiToken

    session.execute(sa.update(ApiToken).where(ApiToken.token_hash == rules.token_digest(value))
                    .values(**columns))
    session.flush()


def test_live_token_acts_as_its_account(client, session, token):
    value, headers = token
    assert client.get(f"/api/v1/parcels/{_parcel(session)}", headers=headers).status_code == 200
    user = accounts.user_for_token(session, value)
    assert (user.role, user.township_code, user.is_authenticated) == ("township_officer", "220421101", True)


@pytest.mark.parametrize("columns", [
    {"revoked_at": datetime.now(UTC) - timedelta(seconds=1)},
    {"expires_at": datetime.now(UTC) - timedelta(seconds=1)},
], ids=["revoked", "expired"])
def test_revoked_or_expired_token_is_refused_at_once(client, session, token, columns):
    value, headers = token
    code = _parcel(session)
    assert client.get(f"/api/v1/parcels/{code}", headers=headers).status_code == 200
    _set_token(session, value, **columns)
    response = client.get(f"/api/v1/parcels/{code}", headers=headers)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthenticated"
    assert client.get("/tiles/parcels/14/13700/6000.mvt", headers=headers).status_code == 401


def test_token_expiring_later_still_works(client, session, token):
    value, headers = token
    _set_token(session, value, expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert client.get(f"/api/v1/parcels/{_parcel(session)}", headers=headers).status_code == 200
    assert accounts.user_for_token(session, value, now=datetime.now(UTC) + timedelta(hours=2)) is None


def test_deactivated_account_token_is_refused(client, session, token):
    value, headers = token
    session.execute(sa.text("UPDATE users SET is_active = false WHERE username = 'officer'"))
    session.flush()
    assert client.get(f"/api/v1/parcels/{_parcel(session)}", headers=headers).status_code == 401
    assert accounts.user_for_token(session, value) is None


def test_every_token_gets_a_lifetime_when_issued(app, session):
    issued = accounts.issue_token(session, SYSTEM, "officer", "test")
    lifetime = issued.expires_at - datetime.now(UTC)
    assert timedelta(days=89) < lifetime <= timedelta(days=app.config["API_TOKEN_DAYS"])
    assert accounts.user_for_token(session, issued, now=datetime.now(UTC) + timedelta(days=91)) is None
    short = accounts.issue_token(session, SYSTEM, "officer", "test", days=1)
    assert short.expires_at - datetime.now(UTC) <= timedelta(days=1)


def test_the_database_refuses_a_token_without_an_expiry(session):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError) as info, session.begin_nested():
        session.execute(sa.text("INSERT INTO api_tokens (user_id, token_hash, name) "
                                "SELECT id, repeat('a', 64), 'forever' FROM users LIMIT 1"))
    assert info.value.orig.sqlstate == "23502"


def test_a_revoked_token_is_refused_on_the_next_call(client, session, token):
    value, headers = token
    code = _parcel(session)
    assert client.get(f"/api/v1/parcels/{code}", headers=headers).status_code == 200
    accounts.revoke_token(session, SYSTEM, value.id)
    assert client.get(f"/api/v1/parcels/{code}", headers=headers).status_code == 401


def test_who_may_revoke_a_token(session, token):
    from landrights.accounts.permissions import Actor
    from landrights.errors import Forbidden

    value, _headers = token
    officer_id = session.scalar(sa.text("SELECT id FROM users WHERE username = 'officer'"))
    other_county = Actor(role="county_admin", user_id=None, county_code="220422")
    clerk = Actor(role="collective_clerk", user_id=None, collective_code="22042110120101")
    for actor in (other_county, clerk):
        with pytest.raises(Forbidden):
            accounts.revoke_token(session, actor, value.id)
        with pytest.raises(Forbidden):  # a token id that does not exist answers the same
            accounts.revoke_token(session, actor, 10 ** 9)
    own = Actor(role="township_officer", user_id=officer_id, township_code="220421101")
    assert accounts.revoke_token(session, own, value.id).revoked_at is not None
    county = Actor(role="county_admin", user_id=None, county_code="220421")
    another = accounts.issue_token(session, SYSTEM, "officer", "second")
    assert accounts.revoke_token(session, county, another.id).revoked_at is not None
