"""Household accounts issued per collective in one step (issue 20 §1): each household without an
account gets one, with an activation letter (one PDF, a page each: the name masked as on the verify
page, the one-time code, a QR code to the activation page). The household sets its password with the
code (and may leave a mobile number), then logs in. A new letter voids the old code; used, replaced
and expired codes are refused plainly; wrong codes lock like failed logins, and the township officer
lifts the lock. Only a hash of a code is kept, and no password is ever shown or stored in clear.
The PDF is read back with pdftotext and its QR code decoded with zbarimg."""
from __future__ import annotations

import re
import subprocess
from datetime import timedelta

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.accounts import activation, letters, rules
from landrights.accounts import services as accounts
from landrights.accounts.models import ActivationCode, User
from landrights.accounts.permissions import Actor
from landrights.errors import Conflict, Forbidden, TooManyAttempts
from landrights.signing.qr import mask_name
from tests.conftest import FAST_HASH, PASSWORD, Auth

GROUP_01, FARMER_HH = "22042110120101", "220421101201010001"
HOME, CAFE = "203.0.113.10", "198.51.100.20"
NEW_PASSWORD = "corn grows east of the well"


@pytest.fixture(autouse=True)
def no_earlier_counts(session):
    session.execute(sa.text("DELETE FROM login_throttles"))


def officer(session) -> Actor:
    return Actor.of(session.scalar(sa.select(User).where(User.username == "officer")))


def run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, check=True, text=True).stdout


def pdf_pages(pdf: bytes, folder) -> list[str]:
    (folder / "letters.pdf").write_bytes(pdf)
    return run("pdftotext", "-layout", str(folder / "letters.pdf"), "-").split("\f")[:-1]


def codes_in(pages: list[str]) -> dict[str, str]:
    """Return {user name: code} as printed on each page."""
    found = {}
    for page in pages:
        name = re.search(r"用户名\s+(\S+)", page).group(1)
        found[name] = re.search(r"激活码\s+(\d{4} \d{4} \d{4})", page).group(1).replace(" ", "")
    return found


def activate(session, username, code, password=NEW_PASSWORD, source=HOME, phone=None):
    return activation.activate(session, username=username, code=code, password=password, phone=phone,
                               source=source, hash_method=FAST_HASH)


def test_one_step_gives_every_household_without_an_account_its_letter(session):
    households = session.scalars(sa.text("SELECT code FROM households WHERE collective_code = :c "
                                         "ORDER BY code"), {"c": GROUP_01}).all()
    issued = activation.issue_collective_letters(session, officer(session), GROUP_01, hash_method=FAST_HASH)
    assert [one.username for one in issued] == [h for h in households if h != FARMER_HH]  # the demo
    assert all(re.fullmatch(r"\d{12}", one.code) for one in issued)  # farmer has an account already
    assert len({one.code for one in issued}) == len(issued)
    made = session.scalars(sa.select(User).where(User.username.in_([one.username for one in issued]))).all()
    assert {(u.role, u.household_code == u.username, u.password_hash) for u in made} == \
        {("farmer", True, rules.NO_PASSWORD)}
    stored = session.scalars(sa.select(ActivationCode.code_hash)).all()
    assert len(stored) == len(issued)
    assert not any(one.code in digest for one in issued for digest in stored)  # only a hash is kept
    with pytest.raises(Conflict):  # nothing left to issue
        activation.issue_collective_letters(session, officer(session), GROUP_01, hash_method=FAST_HASH)
    renewed = activation.issue_collective_letters(session, officer(session), GROUP_01, renew=True,
                                                  hash_method=FAST_HASH)
    assert len(renewed) == len(issued)
    live = session.scalar(sa.text("SELECT count(*) FROM activation_codes WHERE voided_at IS NULL"))
    assert live == len(issued)  # the first letters' codes are void


def test_an_officer_issues_only_in_its_own_township(session):
    elsewhere = Actor(role="township_officer", name="别乡", township_code="220421102")
    with pytest.raises(Forbidden):
        activation.issue_collective_letters(session, elsewhere, GROUP_01, hash_method=FAST_HASH)
    with pytest.raises(Forbidden):
        activation.issue_letter(session, elsewhere, "farmer", hash_method=FAST_HASH)
    with pytest.raises(Forbidden):  # a township officer prints no official's letter
        activation.issue_letter(session, officer(session), "clerk", hash_method=FAST_HASH)


def test_the_letters_pdf_has_a_page_per_household_with_the_name_masked_and_a_qr(app, session, tmp_path):
    issued = activation.issue_collective_letters(session, officer(session), GROUP_01,
                                                 hash_method=FAST_HASH)[:3]
    heads = dict(session.execute(sa.text("SELECT code, name FROM households WHERE code = ANY(:c)"),
                                 {"c": [one.username for one in issued]}).all())
    with app.app_context():
        pdf = letters.letters_pdf(issued, base_url="https://land.example.cn", min_length=10)
    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) == 3
    for one, page in zip(issued, pages, strict=True):
        flat = re.sub(r"\s+", "", page)
        assert "账户激活通知书" in flat and one.username in flat
        assert mask_name(heads[one.username]) in flat and heads[one.username] not in flat
        assert rules.printed_activation_code(one.code).replace(" ", "") in flat and "有效期至" in flat
        assert "发包方" in flat and "一组" in flat and "至少10个字" in flat
    assert codes_in(pages) == {one.username: one.code for one in issued}
    run("pdftoppm", "-r", "110", "-png", "-f", "2", "-l", "2", "-singlefile", str(tmp_path / "letters.pdf"),
        str(tmp_path / "p2"))
    assert run("zbarimg", "-q", "--raw", str(tmp_path / "p2.png")).strip() == \
        f"https://land.example.cn/activate?u={issued[1].username}"


def test_a_household_activates_with_its_code_and_logs_in(app, client, auth, session, tmp_path):
    auth.login("officer")
    page = client.get(f"/accounts/households/{GROUP_01}").get_data(as_text=True)
    assert 'id="issue-form"' in page and 'data-state="none"' in page
    pdf = client.post(f"/accounts/households/{GROUP_01}/letters",
                      data={"csrf_token": auth.csrf(f"/accounts/households/{GROUP_01}")})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    household, code = next(iter(codes_in(pdf_pages(pdf.data, tmp_path)).items()))
    page = client.get(f"/accounts/households/{GROUP_01}").get_data(as_text=True)
    assert f'<tr data-code="{household}" data-state="awaiting">' in page and 'data-state="none"' not in page

    farmer = app.test_client()  # the household, on its own phone
    form = farmer.get(f"/activate?u={household}").get_data(as_text=True)
    assert f'value="{household}"' in form
    token = Auth(farmer).csrf(f"/activate?u={household}")
    done = farmer.post("/activate", data={
        "csrf_token": token, "username": household, "code": rules.printed_activation_code(code),
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "phone": "139 0000 7165"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/login?u={household}")
    assert f'value="{household}"' in farmer.get(done.headers["Location"]).get_data(as_text=True)
    assert Auth(farmer).login(household, NEW_PASSWORD).status_code == 302
    home = farmer.get("/").get_data(as_text=True)
    assert 'href="/account/password"' in home  # changing it later: one click from every page
    account = session.scalar(sa.select(User).where(User.username == household))
    assert account.phone == "13900007165" and account.last_login_at is not None
    stored = " ".join(str(row) for table in ("users", "account_changes", "activation_codes", "login_sessions")
                      for row in session.execute(sa.text(f"SELECT row_to_json(t) FROM {table} t")).all())
    assert NEW_PASSWORD not in stored and code not in stored  # never in clear
    token = Auth(farmer).csrf("/activate")  # a new form token after the login
    again = farmer.post("/activate", data={"csrf_token": token, "username": household, "code": code,
                                           "password": NEW_PASSWORD + " x", "confirm": NEW_PASSWORD + " x"})
    assert again.status_code == 409 and "已在" in again.get_data(as_text=True)  # used: said plainly


def test_a_weak_password_is_refused_beside_its_field_keeping_what_was_typed(client, auth, session):
    issued = activation.issue_letter(session, officer(session), "farmer", hash_method=FAST_HASH)
    token = auth.csrf("/activate")
    refused = client.post("/activate", data={"csrf_token": token, "username": "farmer", "code": issued.code,
                                             "password": "1234567890", "confirm": "1234567890",
                                             "phone": "13900007165"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="password-error"' in html
    assert f'value="{issued.code}"' in html and 'value="13900007165"' in html and "1234567890" not in html
    bad_phone = client.post("/activate", data={
        "csrf_token": token, "username": "farmer", "code": issued.code, "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD, "phone": "12345"})
    assert bad_phone.status_code == 422 and 'id="phone-error"' in bad_phone.get_data(as_text=True)
    differ = client.post("/activate", data={"csrf_token": token, "username": "farmer", "code": issued.code,
                                            "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})
    assert differ.status_code == 422 and 'id="confirm-error"' in differ.get_data(as_text=True)
    assert activate(session, "farmer", issued.code).username == "farmer"  # the code was not spent


def test_a_new_letter_voids_the_old_code_and_codes_expire(session):
    first = activation.issue_letter(session, officer(session), "farmer", hash_method=FAST_HASH)
    second = activation.issue_letter(session, officer(session), "farmer", hash_method=FAST_HASH)
    with pytest.raises(Conflict) as refused:
        activate(session, "farmer", first.code)
    assert "新的通知书" in str(refused.value.message) or "newer letter" in str(refused.value.message)
    assert refused.value.field == "code"
    clock.travel(timedelta(days=61))
    try:
        with pytest.raises(Conflict) as refused:
            activate(session, "farmer", second.code)
        assert "expired" in str(refused.value.message) or "过期" in str(refused.value.message)
        third = activation.issue_letter(session, officer(session), "farmer", hash_method=FAST_HASH)
        assert activate(session, "farmer", third.code).password_hash != rules.NO_PASSWORD
    finally:
        clock.reset()
    with pytest.raises(Conflict):
        activate(session, "farmer", third.code, password=NEW_PASSWORD + " again")  # used once only


def test_a_new_letter_lets_a_farmer_who_forgot_the_password_set_another(app, session):
    issued = activation.issue_letter(session, officer(session), "farmer", hash_method=FAST_HASH)
    assert Auth(app.test_client()).login("farmer", PASSWORD).status_code == 302  # the old one until used
    activate(session, "farmer", issued.code)
    assert Auth(app.test_client()).login("farmer", PASSWORD).status_code == 401
    assert Auth(app.test_client()).login("farmer", NEW_PASSWORD).status_code == 302


def test_a_deactivated_account_gets_no_letter_and_its_code_dies(session):
    issued = activation.issue_letter(session, officer(session), "farmer", hash_method=FAST_HASH)
    accounts.set_active(session, Actor.of(session.scalar(sa.select(User).where(User.username == "county"))),
                        "farmer", False)
    with pytest.raises(Conflict):
        activate(session, "farmer", issued.code)
    with pytest.raises(Conflict):
        activation.issue_letter(session, officer(session), "farmer", hash_method=FAST_HASH)


def _post(app, source: str, username: str, code: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = source
    return client.post("/activate", data={"csrf_token": Auth(client).csrf("/activate"), "username": username,
                                          "code": code, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})


def test_wrong_codes_lock_like_failed_logins_and_the_officer_lifts_the_lock(app, session):
    issued = activation.issue_letter(session, officer(session), "farmer", hash_method=FAST_HASH)
    wrong = f"{(int(issued.code) + 1) % 10**12:012d}"
    answers = [_post(app, HOME, "farmer", wrong) for _ in range(5)]
    unknown = _post(app, HOME, "no-such-user", wrong)
    assert [a.status_code for a in answers] == [422] * 5 and unknown.status_code == 422
    assert "用户名或激活码不对" in unknown.get_data(as_text=True)  # the same answer for an unknown name
    locked = _post(app, HOME, "farmer", issued.code)  # the right code, too late
    assert locked.status_code == 429 and "解除锁定" in locked.get_data(as_text=True)
    with pytest.raises(TooManyAttempts):
        activate(session, "farmer", issued.code, source=HOME)
    assert accounts.unlock_login(session, officer(session), "farmer") >= 2  # the township officer lifts it
    assert _post(app, HOME, "farmer", issued.code).status_code == 302


def test_a_lock_from_one_address_does_not_stop_the_household_at_home(app, session):
    issued = activation.issue_letter(session, officer(session), "farmer", hash_method=FAST_HASH)
    for _ in range(5):
        _post(app, CAFE, "farmer", "000000000000")
    assert _post(app, CAFE, "farmer", issued.code).status_code == 429
    assert _post(app, HOME, "farmer", issued.code).status_code == 302


def test_the_township_officer_prints_a_new_letter_from_the_households_row(client, auth, session, tmp_path):
    auth.login("officer")
    back = f"/accounts/households/{GROUP_01}"
    pdf = client.post("/accounts/farmer/letter", data={"csrf_token": auth.csrf(back), "back": back})
    assert pdf.status_code == 200 and list(codes_in(pdf_pages(pdf.data, tmp_path))) == ["farmer"]
    page = client.get(back).get_data(as_text=True)
    row = re.search(rf'<tr data-code="{FARMER_HH}".*?</tr>', page, re.S).group(0)
    assert "有效期至" in row
    refused = client.post("/accounts/clerk/letter", data={"csrf_token": auth.csrf(back), "back": back})
    assert refused.status_code == 302  # an official's letter is its administrator's: refused, said why
    assert "只能管理本乡镇的农户账户" in client.get(back).get_data(as_text=True)


def test_mobile_numbers_are_read_as_people_write_them():
    assert rules.mobile_number(" +86 139-0000-7165 ") == "13900007165"
    assert rules.mobile_number("") is None
    for bad in ("12345", "23900007165", "1390000716５"):
        with pytest.raises(ValueError):
            rules.mobile_number(bad)
