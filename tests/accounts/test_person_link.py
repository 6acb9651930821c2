"""An account linked to the person it belongs to (users.person_id), so that a transferee verifies
its identity by its own account (market.identities, R1.21(5)): `landrights users create --person`
and `users link`; a farmer's account links only a member of its household; one person, one active
account (uq_users_person_active); the accounts page shows the person with the number masked."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.exc import IntegrityError

from landrights import create_app
from landrights.accounts import services as accounts
from landrights.accounts.models import User
from landrights.accounts.permissions import SYSTEM, Actor
from landrights.cli import main
from landrights.errors import Conflict, Forbidden, ValidationFailed
from landrights.market import services as market
from tests.conftest import FAST_HASH, PASSWORD, TEMPLATE_DB, _test_config
from tests.market.conftest import MEMBER_HOUSEHOLD, MEMBER_ID

OTHER_MEMBER_HOUSEHOLD = "220421101201010001"  # 杨春林's: 刘立军 is not of it
COUNTY = Actor(role="county_admin", county_code="220421", user_id=None)


def _create(session, username, role="transferee", *, actor=SYSTEM, **kwargs) -> User:
    return accounts.create_user(session, actor, username=username, password=PASSWORD, role=role,
                                display_name=username, hash_method=FAST_HASH, **kwargs)


def _person(session, id_number=MEMBER_ID) -> int:
    return session.scalar(sa.text("SELECT id FROM persons WHERE id_number = :n"), {"n": id_number})


def test_an_account_is_created_linked_to_its_person(session):
    user = _create(session, "liu_own", person=MEMBER_ID)
    assert user.person_id == _person(session)


def test_a_farmers_account_links_only_a_member_of_its_household(session):
    with pytest.raises(ValidationFailed) as refused:
        _create(session, "liu_wrong", "farmer", household_code=OTHER_MEMBER_HOUSEHOLD, person=MEMBER_ID)
    assert (refused.value.field, refused.value.rule) == ("person", "R1.3")
    user = _create(session, "liu_home", "farmer", household_code=MEMBER_HOUSEHOLD, person=MEMBER_ID)
    assert user.person_id == _person(session)


@pytest.mark.parametrize("number", ["220421199001011234", "not a number", ""])
def test_an_unknown_person_is_refused_and_nothing_is_created(session, number):
    with pytest.raises(ValidationFailed) as refused:
        _create(session, "nobody_acc", person=number)
    assert refused.value.field == "person"
    assert session.scalar(sa.text("SELECT count(*) FROM users WHERE username = 'nobody_acc'")) == 0


def test_one_person_has_one_active_account(session):
    first = _create(session, "liu_phone", person=MEMBER_ID)
    with pytest.raises(Conflict) as refused:
        _create(session, "liu_tablet", person=MEMBER_ID)
    assert refused.value.field == "person"
    second = _create(session, "liu_tablet")
    with pytest.raises(Conflict):
        accounts.link_person(session, SYSTEM, "liu_tablet", MEMBER_ID)
    # once the first is deactivated the person may be linked to another; reactivating the first
    # would make two, and is refused in the database's words
    accounts.set_active(session, SYSTEM, "liu_phone", False)
    accounts.link_person(session, SYSTEM, "liu_tablet", MEMBER_ID)
    assert second.person_id == first.person_id
    with pytest.raises(Conflict) as again:
        accounts.set_active(session, SYSTEM, "liu_phone", True)
    assert again.value.field == "person"


def test_the_database_holds_one_active_account_per_person(session):
    _create(session, "liu_phone", person=MEMBER_ID)
    with pytest.raises(IntegrityError) as refused, session.begin_nested():
        session.execute(sa.text(
            "INSERT INTO users (username, password_hash, display_name, role, person_id) "
            "VALUES ('liu_sql', 'x', 'x', 'transferee', :p)"), {"p": _person(session)})
    assert refused.value.orig.sqlstate == "23505"
    assert "uq_users_person_active" in str(refused.value)


def test_a_county_administrator_links_only_in_the_county_and_others_not_at_all(session):
    _create(session, "liu_t")
    elsewhere = Actor(role="county_admin", county_code="220422", user_id=None)
    with pytest.raises(ValidationFailed):  # the person is registered in 220421: none found there
        accounts.link_person(session, elsewhere, "liu_t", MEMBER_ID)
    with pytest.raises(Forbidden):
        accounts.link_person(session, Actor(role="township_officer", township_code="220421101"),
                             "liu_t", MEMBER_ID)
    _create(session, "county_t", actor=COUNTY, county_code="220421")
    with pytest.raises(ValidationFailed):  # the person is registered in 220421, not in 220422
        accounts.create_user(session, Actor(role="county_admin", county_code="220422"),
                             username="far_t", password=PASSWORD, role="transferee", display_name="x",
                             hash_method=FAST_HASH, person=MEMBER_ID)
    assert accounts.link_person(session, COUNTY, "county_t", MEMBER_ID).person_id == _person(session)


def test_a_link_an_identity_rests_on_is_not_moved_to_another_person(session):
    user = _create(session, "liu_t", person=MEMBER_ID)
    market.register_transferee(session, Actor.of(user), kind="individual", name="刘立军",
                               operating_capacity="拖拉机 1 台", id_number=MEMBER_ID)
    other = session.scalar(sa.text(
        "SELECT p.id_number FROM persons p JOIN household_members m ON m.person_id = p.id "
        "JOIN households h ON h.id = m.household_id WHERE h.code = :h AND m.valid_to IS NULL "
        "AND p.id_number <> :n LIMIT 1"), {"h": MEMBER_HOUSEHOLD, "n": MEMBER_ID})
    with pytest.raises(Conflict) as refused:
        accounts.link_person(session, SYSTEM, "liu_t", other)
    assert refused.value.rule == "R1.21"
    assert accounts.link_person(session, SYSTEM, "liu_t", MEMBER_ID).person_id == _person(session)


def test_the_accounts_page_shows_the_linked_person_masked(client, auth, session):
    _create(session, "liu_home", "farmer", household_code=MEMBER_HOUSEHOLD, person=MEMBER_ID)
    auth.login("county")
    page = client.get("/accounts").get_data(as_text=True)
    row = page[page.index('data-user="liu_home"'):]
    row = row[:row.index("</tr>")]
    assert "刘立军" in row and "220421********1431" in row
    assert MEMBER_ID not in page


# --- end to end: the operator's commands, then the transferee's own account through the API ----

@pytest.fixture
def instance(server, template_url, tmp_path):
    name = f"lr_link_{uuid.uuid4().hex[:8]}"
    url = server.create_db(name, template=TEMPLATE_DB)
    env = {"DATABASE_URL": url, "LANDRIGHTS_INSTANCE": str(tmp_path), "SECRET_KEY": None,
           "LANDRIGHTS_ENV": None}
    app = create_app(_test_config(url, tmp_path))
    yield env, app
    app.extensions["landrights.db"].engine.dispose()
    server.drop_db(name)


def _run(env, *args, ok=True):
    result = CliRunner().invoke(main, list(args), env=env)
    assert (result.exit_code == 0) == ok, result.output + repr(result.exception)
    return result


def _register(client, token, **extra):
    return client.post("/api/v1/transferees", headers={"Authorization": f"Bearer {token}"}, json={
        "kind": "individual", "name": "刘立军", "operating_capacity": "拖拉机 1 台", **extra})


def test_own_account_identity_end_to_end_with_users_create_person(instance):
    env, app = instance
    _run(env, "users", "create", "liu_own", "--role", "transferee", "--name", "刘立军",
         "--password", PASSWORD, "--person", MEMBER_ID)
    token = _run(env, "users", "token", "liu_own").stdout.strip()
    client = app.test_client()
    made = _register(client, token, id_number=MEMBER_ID)
    assert made.status_code == 201, made.get_json()
    identity = made.get_json()["identity"]
    assert identity["method"] == "own_account" and identity["id_number"] == "220421********1431"
    # a second account for the same person is refused by the command, naming the field
    refused = _run(env, "users", "create", "liu_two", "--role", "transferee", "--name", "x",
                   "--password", PASSWORD, "--person", MEMBER_ID, ok=False)
    assert "person" in refused.output


def test_own_account_identity_end_to_end_with_users_link(instance):
    env, app = instance
    _run(env, "users", "create", "liu_later", "--role", "transferee", "--name", "刘立军",
         "--password", PASSWORD)
    token = _run(env, "users", "token", "liu_later").stdout.strip()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    # not linked yet: its own word is not the person's
    assert _register(client, token, id_number=MEMBER_ID).status_code == 422
    made = _register(client, token)
    assert made.status_code == 201 and made.get_json()["identity"] is None
    _run(env, "users", "link", "liu_later", "--person", MEMBER_ID)
    verified = client.post(f"/api/v1/transferees/{made.get_json()['id']}/identity", headers=headers,
                           json={"id_number": MEMBER_ID})
    assert verified.status_code == 201, verified.get_json()
    assert verified.get_json()["method"] == "own_account"
    # a farmer's account of another household cannot be linked to this person
    _run(env, "users", "create", "yang_home", "--role", "farmer", "--name", "杨家",
         "--household", OTHER_MEMBER_HOUSEHOLD, "--password", PASSWORD)
    wrong = _run(env, "users", "link", "yang_home", "--person", MEMBER_ID, ok=False)
    assert "person" in wrong.output and OTHER_MEMBER_HOUSEHOLD in wrong.output
