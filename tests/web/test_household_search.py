"""The officer's household list (issue 19, journey 5): a search box finding a household by the
head's or a member's name, a member's ID number or the household code, and each household's status
in the confirmation of rights; only households of the user's own area, whatever is typed."""
from __future__ import annotations

import re

import pytest

from landrights.accounts.permissions import Actor
from landrights.certification import certificates, objections
from landrights.certification import services as certification
from landrights.registry.finder import find_households
from tests.certification.conftest import COLLECTIVE as GROUP_03
from tests.certification.conftest import PENDING

OFFICER = Actor(role="township_officer", user_id=None, name="站长", township_code="220421101")
COUNTY = Actor(role="county_admin", user_id=None, name="县", county_code="220421")
HEAD = ("220421101201010001", "杨春林", "220421196101240233")  # group 01's first household
SPOUSE = "高海燕"  # a member of it, not its head


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-code="(\d{18})"', html)


@pytest.mark.parametrize("typed", [HEAD[1], SPOUSE, HEAD[2], HEAD[0], HEAD[1][1:], f"  {HEAD[1]} "])
def test_the_officer_finds_a_household_by_name_member_id_number_or_code(client, auth, typed):
    auth.login("officer")
    response = client.get("/households", query_string={"q": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert HEAD[0] in _rows(html)
    assert f'value="{typed.strip()}"' in html  # the search box keeps what was typed
    if typed.strip() in (HEAD[1], SPOUSE, HEAD[2], HEAD[0]):
        assert _rows(html) == [HEAD[0]]


def test_a_code_prefix_finds_a_collective_and_the_pages_keep_the_search(client, auth):
    auth.login("officer")
    html = client.get("/households", query_string={"q": "22042110120102"}).get_data(as_text=True)
    rows = _rows(html)
    assert rows and all(code.startswith("22042110120102") for code in rows)
    everyone = client.get("/households").get_data(as_text=True)
    assert len(_rows(everyone)) == 50 and 'href="/households?offset=50"' in everyone  # a long list pages
    assert 'id="q"' in everyone


def test_no_match_says_so_and_nothing_outside_the_area_is_found(client, auth, session):
    auth.login("officer")
    html = client.get("/households", query_string={"q": "没有这个人"}).get_data(as_text=True)
    assert _rows(html) == [] and 'class="lr-flash-info"' in html
    other = Actor(role="township_officer", user_id=None, name="other", township_code="220421102")
    for typed in (HEAD[1], HEAD[2], HEAD[0], "%", "_"):
        assert find_households(session, other, q=typed).total == 0
    assert find_households(session, OFFICER, q="%").total == 0  # a wildcard is a character, not "all"


def test_a_farmer_finds_only_the_own_household(client, auth):
    auth.login("farmer")
    assert _rows(client.get("/households", query_string={"q": "刘"}).get_data(as_text=True)) == []
    assert _rows(client.get("/households").get_data(as_text=True)) == [HEAD[0]]


def test_each_household_shows_its_status(client, auth, session):
    contract = session.scalar(_live_contract(HEAD[0]))
    certificates.issue_certificate(session, COUNTY, code=contract)
    notice = certification.open_notice(session, OFFICER, collective_code=GROUP_03)
    filer = Actor(role="farmer", user_id=None, name="户主", household_code=PENDING[1])
    objections.file_objection(session, filer, notice_id=notice.id, household_code=PENDING[1],
                              text="姓名写错了")
    statuses = {code: s["status"] for code, s in _statuses(session, [HEAD[0], "220421101201010002",
                                                                       PENDING[0], PENDING[1]]).items()}
    assert statuses == {HEAD[0]: "certified", "220421101201010002": "confirmed", PENDING[0]: "on_notice",
                        PENDING[1]: "objected"}
    auth.login("officer")
    html = client.get("/households", query_string={"q": "2204211012010300"}).get_data(as_text=True)
    assert 'data-status="on_notice"' in html and 'data-status="objected"' in html
    assert "UTC" not in html and "+00:00" not in html  # the notice's end in China time
    first = client.get("/households", query_string={"q": HEAD[0]}).get_data(as_text=True)
    assert 'data-status="certified"' in first


def _live_contract(household: str):
    import sqlalchemy as sa

    return sa.text("SELECT code FROM contracts WHERE household_code = :h AND valid_to IS NULL").bindparams(
        h=household)


def _statuses(session, codes):
    from landrights.certification.queries import household_statuses

    return household_statuses(session, codes)
