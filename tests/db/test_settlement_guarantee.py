"""The settlement guarantee in the database (migration 0016; DESIGN.md G3, G4; R1.14): raw SQL that
bypasses the services meets the same refusals. The notice is dated by the filing (China Standard
Time); a settlement of a household's member flags its waiting withdrawals whatever the order of
recording; no withdrawal takes effect while a settlement lies in the review window unreviewed."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import refused

HOUSEHOLD = "220421101201010001"  # demo: 杨春林, with a homestead
DAUGHTER = "220421198411303622"  # a member of HOUSEHOLD
NEIGHBOUR = "220421101201010002"
SCAN = b"%PDF-1.4 signed"

WITHDRAWAL = (
    "INSERT INTO withdrawals (county_code, household_code, kind, homestead_code, request_method, "
    "request_signed_by, request_scan, requested_at, compensation_yuan, notice_on, effective_on, status, "
    "review) SELECT '220421', household_code, 'homestead', code, CAST(:method AS text), '杨春林', "
    "CASE WHEN CAST(:method AS text) = 'officer_scan' THEN CAST(:scan AS bytea) END, "
    "CAST(:requested_at AS timestamptz), 50000, CAST(:notice AS date), CAST(:effective AS date), "
    "CAST(:status AS text), CAST(:review AS text) FROM homesteads "
    "WHERE household_code = CAST(:h AS text) AND valid_to IS NULL RETURNING id")
SETTLEMENT = ("INSERT INTO settlements (county_code, person_id, settled_on, city, document) "
              "SELECT '220421', id, CAST(:on AS date), '长春市', '户口迁移证' FROM persons "
              "WHERE id_number = :n")
TODAY = "(now() AT TIME ZONE 'Asia/Shanghai')::date"
IN_APP = "ck_withdrawals_in_app_notice_on_filing"


def _params(**kw) -> dict:
    return {"h": HOUSEHOLD, "method": "holder", "scan": SCAN, "requested_at": "2026-12-02 10:00+08",
            "notice": "2026-12-02", "effective": "2027-06-01", "status": "requested", "review": "none"} | kw


def _file(session, **kw) -> int:
    return session.execute(sa.text(WITHDRAWAL), _params(**kw)).scalar_one()


def _review(session, withdrawal_id: int) -> str:
    return session.scalar(sa.text("SELECT review FROM withdrawals WHERE id = :i"), {"i": withdrawal_id})


def _settle(session, days_ago: int, id_number: str = DAUGHTER) -> None:
    session.execute(sa.text(SETTLEMENT.replace("CAST(:on AS date)", f"{TODAY} - {days_ago}")),
                    {"n": id_number})


def test_the_china_date_of_the_filing_is_an_immutable_expression(session):
    volatility = session.scalar(sa.text(
        "SELECT provolatile FROM pg_proc WHERE oid = 'timezone(text, timestamptz)'::regprocedure"))
    assert volatility == "i"  # so the CHECKs below are sound


@pytest.mark.parametrize("params, constraint", [
    # a request in the app is notice given that day: issue 17's 200 days back
    (_params(notice="2026-05-16", requested_at="2026-12-02 10:00+08"), IN_APP),
    # the China day, not UTC: 2026-12-01 17:00 UTC is 2 December in Liaoyuan
    (_params(notice="2026-12-01", requested_at="2026-12-01 17:00+00"), IN_APP),
    (_params(method="officer_scan", notice="2026-12-03", requested_at="2026-12-02 10:00+08"),
     "ck_withdrawals_notice_not_after_filing"),
    (_params(method="officer_scan", notice="2026-11-01", requested_at="2026-12-02 10:00+08"),
     "ck_withdrawals_paper_notice_recent"),
], ids=["back-dated", "utc-day", "paper-in-future", "paper-31-days"])
def test_the_notice_is_dated_by_the_filing(session, params, constraint):
    assert refused(session, WITHDRAWAL, **params) == ("23514", constraint)


def test_a_notice_on_the_filing_day_and_a_paper_one_of_30_days_are_accepted(session):
    in_app = _file(session, notice="2026-12-02", requested_at="2026-12-01 17:00+00")
    paper = _file(session, method="officer_scan", notice="2026-11-02", requested_at="2026-12-02 10:00+08")
    assert in_app and paper


@pytest.mark.parametrize("status, review", [("effective", "none"), ("cancelled", "none"),
                                            ("requested", "voluntary")])
def test_a_withdrawal_is_filed_as_a_request_not_yet_reviewed(session, status, review):
    params = _params(status=status, review=review)
    sql = WITHDRAWAL.replace("CAST(:notice AS date)", TODAY).replace("CAST(:requested_at AS timestamptz)",
                                                                      "now()")
    assert refused(session, sql, **params) == ("P0001", "withdrawals_filed_as_requested")


def _file_today(session, household: str = HOUSEHOLD, effective: str = TODAY) -> int:
    sql = (WITHDRAWAL.replace("CAST(:notice AS date)", TODAY)
           .replace("CAST(:requested_at AS timestamptz)", "now()")
           .replace("CAST(:effective AS date)", effective))
    return session.execute(sa.text(sql), _params(h=household)).scalar_one()


def test_a_settlement_recorded_after_the_filing_flags_the_waiting_withdrawal(session):
    """Issue 17: the settlement, dated ten days before the filing, is recorded after it."""
    waiting = _file_today(session)
    assert _review(session, waiting) == "none"
    _settle(session, days_ago=10)
    assert _review(session, waiting) == "pending"


def test_a_withdrawal_filed_after_a_settlement_is_flagged_however_it_is_written(session):
    _settle(session, days_ago=10)
    assert _review(session, _file_today(session)) == "pending"  # written with review 'none'


def test_a_settlement_outside_the_window_flags_nothing(session):
    _settle(session, days_ago=181)
    assert _review(session, _file_today(session)) == "none"


def test_no_effect_while_a_settlement_lies_in_the_window_unreviewed(session):
    waiting = _file_today(session)
    _settle(session, days_ago=10)
    effect = "UPDATE withdrawals SET status = 'effective', effected_at = now() WHERE id = :i"
    assert refused(session, effect, i=waiting) == ("P0001", "withdrawals_settlement_review")
    # nor by clearing the flag or finding it voluntary without the county's note
    assert refused(session, "UPDATE withdrawals SET review = 'none' WHERE id = :i", i=waiting) == \
        ("P0001", "withdrawals_review_order")
    assert refused(session, "UPDATE withdrawals SET review = 'voluntary' WHERE id = :i", i=waiting) == \
        ("23514", "ck_withdrawals_review_noted")
    session.execute(sa.text("UPDATE withdrawals SET review = 'voluntary', review_note = '县审查：自愿' "
                            "WHERE id = :i"), {"i": waiting})
    session.execute(sa.text(effect), {"i": waiting})  # the county found it voluntary


def test_the_effect_is_checked_again_for_a_member_who_joined_after(session):
    """A person settled a month ago joins the household after its filing: the settlement's
    trigger saw no withdrawal of this household, the effect's trigger finds it."""
    waiting = _file_today(session)
    stranger = session.execute(sa.text(
        "SELECT m.id, m.person_id FROM household_members m JOIN households h ON h.id = m.household_id "
        "WHERE h.code = :h AND m.valid_to IS NULL ORDER BY m.person_id LIMIT 1"), {"h": NEIGHBOUR}).one()
    session.execute(sa.text("INSERT INTO settlements (county_code, person_id, settled_on, city, document) "
                            f"VALUES ('220421', :p, {TODAY} - 30, '长春市', '户口迁移证')"),
                    {"p": stranger.person_id})
    assert _review(session, waiting) == "none"
    session.execute(sa.text("UPDATE household_members SET valid_to = now() WHERE id = :i"),
                    {"i": stranger.id})
    session.execute(sa.text(
        "INSERT INTO household_members (county_code, household_id, person_id, relation, is_co_holder, "
        "valid_from) SELECT '220421', id, :p, '99', false, now() FROM households WHERE code = :h"),
        {"p": stranger.person_id, "h": HOUSEHOLD})
    assert refused(session, "UPDATE withdrawals SET status = 'effective', effected_at = now() WHERE id = :i",
                   i=waiting) == ("P0001", "withdrawals_settlement_review")


def test_a_member_who_left_before_the_filing_still_counts(session):
    session.execute(sa.text(
        "UPDATE household_members SET valid_to = now() WHERE valid_to IS NULL AND "
        "person_id = (SELECT id FROM persons WHERE id_number = :n)"), {"n": DAUGHTER})
    waiting = _file_today(session)
    _settle(session, days_ago=5)
    assert _review(session, waiting) == "pending"


def test_no_effect_before_its_date(session):
    waiting = _file_today(session, effective=f"{TODAY} + 5")
    assert refused(session, "UPDATE withdrawals SET status = 'effective', effected_at = now() WHERE id = :i",
                   i=waiting) == ("23514", "ck_withdrawals_effect_on_its_date")
