"""Pure rules of voluntary withdrawal (landrights.rights.rules): when the written notice counts as
given and when a withdrawal may take effect (R1.14; issue 17)."""
from __future__ import annotations

from datetime import date

import pytest

from landrights.rights import rules

FILED = date(2026, 12, 2)


@pytest.mark.parametrize("method, notice_on, problem", [
    ("holder", None, None),  # in the app the request is the notice, given the day it is filed
    ("holder", FILED, None),
    ("holder", date(2026, 5, 16), "in_app"),  # issue 17: 200 days back
    ("holder", date(2026, 12, 3), "in_app"),
    ("officer_scan", None, "missing"),  # the date on the signed paper is required
    ("officer_scan", date(2026, 12, 3), "after_filing"),
    ("officer_scan", date(2026, 11, 2), None),  # 30 days back: recorded in time
    ("officer_scan", date(2026, 11, 1), "too_old"),
])
def test_the_notice_is_dated_by_the_filing(method, notice_on, problem):
    assert rules.notice_problem(method, notice_on, FILED) == problem


@pytest.mark.parametrize("kind, notice_on, earliest", [
    ("land_return", date(2026, 12, 2), date(2027, 6, 2)),
    ("land_return", date(2026, 8, 31), date(2027, 2, 28)),  # no 31 February: the month's last day
    ("land_return", date(2027, 8, 31), date(2028, 2, 29)),
    ("homestead", date(2026, 12, 2), date(2026, 12, 2)),
    ("shares", date(2026, 12, 2), date(2026, 12, 2)),
])
def test_land_is_returned_six_months_after_the_notice(kind, notice_on, earliest):
    assert rules.earliest_effect(kind, notice_on) == earliest
