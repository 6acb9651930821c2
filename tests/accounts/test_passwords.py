"""Passwords a farmer can live with (issue 16, section 4): length over complexity, no composition
rules, but never one of the most used passwords, the user name, a date, a keyboard row or a
sequence; the error says why. One rule for account creation, the command line and a change."""
import pytest

from landrights.accounts import rules
from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from landrights.errors import ValidationFailed
from tests.conftest import FAST_HASH, PASSWORD, Auth


@pytest.mark.parametrize("password, problem", [
    ("12345678", "too_short"),  # the examples: accepted before
    ("password", "too_short"),
    ("1234567890", "common"),
    ("password123", "common"),
    ("Password2024", "common"),
    ("qwertyuiop12", "common"),
    ("woaini1314", "common"),  # "I love you for ever": among the commonest in China
    ("aaaaaaaaaaaa", "repeated"),
    ("abcabcabcabc", "repeated"),
    ("abcdefghijkl", "repeated"),
    ("19850612abcd", "date"),
    ("zxcvbnmasdfg", "common"),  # keyboard rows are among the commonest passwords
    ("farmer01-field", "has_user_name"),
    ("FARMER01wheat", "has_user_name"),
    ("x" * 129, "too_long"),
])
def test_weak_passwords_are_refused_with_the_reason(password, problem):
    assert rules.password_problem(password, username="farmer01", min_length=10) == problem


@pytest.mark.parametrize("password", [
    "cows graze by the river",  # a passphrase: spaces are fine, no digit or capital needed
    "dongfeng-corn-2026",
    "zhangsan1985",
    "Tr0ub4dor&3x",
    "东丰县的玉米地又大又好",  # Chinese characters count as characters
    "our corn field lies east of the old well by the road to town " * 2,  # 122 characters
])
def test_long_or_unpredictable_passwords_are_accepted(password):
    assert rules.password_problem(password, username="farmer01", min_length=10) is None


def test_runs_of_spaces_count_as_one_character():
    assert rules.password_length("corn    wheat") == len("corn wheat")
    assert rules.password_problem("ab      cd e", username="farmer01", min_length=10) == "too_short"


def test_the_display_name_counts_as_the_users_own_words():
    assert rules.password_problem("yangchunlin88", username="farmer01", names=("yangchunlin",),
                                  min_length=10) == "has_user_name"


@pytest.mark.parametrize("password, says", [
    ("12345678", "至少需要 10 个字符"),
    ("password", "至少需要 10 个字符"),
    ("password123", "最常用的密码"),
    ("newfarmer-plot", "不能包含用户名"),
])
def test_account_creation_refuses_a_weak_password_in_plain_words(app, session, password, says):
    with app.test_request_context("/?lang=zh"):
        with pytest.raises(ValidationFailed) as info:
            accounts.create_user(session, SYSTEM, username="newfarmer", password=password,
                                 role="transferee", display_name="新用户", hash_method=FAST_HASH)
        assert info.value.field == "password" and says in str(info.value.message)


def test_the_password_change_page_uses_the_same_rule(client, session, auth):
    auth.login("farmer")
    response = client.post("/account/password", data={
        "csrf_token": auth.csrf("/account/password"), "current_password": PASSWORD,
        "new_password": "12345678", "confirm": "12345678"})
    assert response.status_code == 422
    assert "至少需要 10 个字符" in response.get_data(as_text=True)
    assert Auth(client.application.test_client()).login("farmer", PASSWORD).status_code == 302


def test_the_change_page_says_the_rule_before_anyone_types(client, auth):
    auth.login("farmer")
    page = client.get("/account/password").get_data(as_text=True)
    assert "至少 10 个字符" in page and 'autocomplete="new-password"' in page


def test_a_farmer_resets_no_other_password_and_the_operator_any(session):
    from landrights.accounts.permissions import Actor
    from landrights.errors import Forbidden

    farmer = Actor(role="farmer", user_id=None, household_code="220421101201010001")
    with pytest.raises(Forbidden):
        accounts.set_password(session, farmer, "officer", "cows graze by the river")
    assert accounts.set_password(session, SYSTEM, "officer", "cows graze by the river",
                                 hash_method=FAST_HASH) == 0
