"""Permission matrix: who sees which records (role × jurisdiction), via the API and the pages."""
import pytest
import sqlalchemy as sa

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from tests.conftest import PASSWORD

OWN_COLLECTIVE, OTHER_COLLECTIVE = "22042110120101", "22042110120102"


@pytest.fixture
def headers(session):
    accounts.create_user(session, SYSTEM, username="other_officer", password=PASSWORD,
                         role="township_officer", display_name="别乡镇", township_code="220421102",
                         hash_method="pbkdf2:sha256:1")
    accounts.create_user(session, SYSTEM, username="other_county", password=PASSWORD,
                         role="county_admin", display_name="别县", county_code="220422",
                         hash_method="pbkdf2:sha256:1")

    def make(username):
        return {"Authorization": "Bearer " + accounts.issue_token(session, SYSTEM, username)}
    return make


def first(session, sql, **params):
    return session.scalar(sa.text(sql), params)


@pytest.fixture
def codes(session):
    farmer_household = first(session, "SELECT household_code FROM users WHERE username='farmer'")
    own_parcel = first(session, "SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c "
                       "ON c.id = cp.contract_id WHERE c.household_code = :h LIMIT 1",
                       h=farmer_household)
    neighbour_parcel = first(session, "SELECT code FROM parcels WHERE code LIKE :c AND code NOT IN "
                             "(SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c ON "
                             "c.id = cp.contract_id WHERE c.household_code = :h) LIMIT 1",
                             c=OWN_COLLECTIVE + "%", h=farmer_household)
    other_group_parcel = first(session, "SELECT code FROM parcels WHERE code LIKE :c LIMIT 1",
                               c=OTHER_COLLECTIVE + "%")
    return {"own": own_parcel, "neighbour": neighbour_parcel, "other_group": other_group_parcel}


@pytest.mark.parametrize("user, expected", [
    ("county", {"own": 200, "neighbour": 200, "other_group": 200}),
    ("officer", {"own": 200, "neighbour": 200, "other_group": 200}),
    ("clerk", {"own": 200, "neighbour": 200, "other_group": 403}),
    ("farmer", {"own": 200, "neighbour": 403, "other_group": 403}),
    ("transferee", {"own": 403, "neighbour": 403, "other_group": 403}),
    ("other_officer", {"own": 403, "neighbour": 403, "other_group": 403}),
    ("other_county", {"own": 403, "neighbour": 403, "other_group": 403}),
])
def test_parcel_access_matrix(client, headers, codes, user, expected):
    h = headers(user)
    seen = {name: client.get(f"/api/v1/parcels/{code}", headers=h).status_code
            for name, code in codes.items()}
    assert seen == expected


def test_officer_of_another_township_gets_403_on_the_parcel_page(client, session, auth, codes):
    accounts.create_user(session, SYSTEM, username="other_officer", password=PASSWORD,
                         role="township_officer", display_name="别乡镇", township_code="220421102",
                         hash_method="pbkdf2:sha256:1")
    auth.login("other_officer", PASSWORD)
    assert client.get(f"/parcels/{codes['own']}").status_code == 403


def test_listing_is_limited_to_the_area(client, headers):
    clerk = client.get("/api/v1/parcels?limit=2000", headers=headers("clerk")).get_json()
    assert clerk["features"]
    assert all(f["id"].startswith(OWN_COLLECTIVE) for f in clerk["features"])
    other = client.get("/api/v1/parcels", headers=headers("other_officer")).get_json()
    assert other["numberMatched"] == 0


def test_farmer_sees_only_own_household_page(client, session, headers):
    h = headers("farmer")
    own = first(session, "SELECT household_code FROM users WHERE username='farmer'")
    other = first(session, "SELECT code FROM households WHERE code <> :h LIMIT 1", h=own)
    assert client.get(f"/api/v1/households/{own}", headers=h).status_code == 200
    assert client.get(f"/api/v1/households/{other}", headers=h).status_code == 403


def test_only_county_admin_or_system_creates_accounts(session):
    from landrights.accounts.permissions import Actor
    from landrights.errors import Forbidden

    officer = Actor(role="township_officer", township_code="220421101")
    with pytest.raises(Forbidden):
        accounts.create_user(session, officer, username="x_user", password=PASSWORD,
                             role="transferee", display_name="x")
    county = Actor(role="county_admin", county_code="220421")
    with pytest.raises(Forbidden):
        accounts.create_user(session, county, username="y_user", password=PASSWORD,
                             role="township_officer", display_name="y", township_code="220422101")
    accounts.create_user(session, county, username="z_user", password=PASSWORD,
                         role="township_officer", display_name="z", township_code="220421101",
                         hash_method="pbkdf2:sha256:1")
