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
