"""Pure rules of voluntary withdrawal: when the written notice counts as given, and when a
withdrawal may take effect (R1.14). No session, no Flask: migration 0016 holds the same rules in the
database."""
from __future__ import annotations

from datetime import date, timedelta

LAND_NOTICE_MONTHS = 6  # R1.14: contracted land is returned on six months' written notice
# An officer records a paper notice within this many days of its date: the six months run from the
# date on the paper, so a later recording would shorten them for the collective and leave the holder
# less time to see and cancel the request (issue 17). Also ck_withdrawals_paper_notice_recent.
PAPER_NOTICE_DAYS = 30


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later, or the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def notice_problem(method: str, notice_on: date | None, filed_on: date) -> str | None:
    """Say what is wrong with the notice date of a request filed on filed_on (China Standard Time),
    or None. In the app ('holder') the request is the written notice, given the day it is filed: a
    date other than that day is refused (not silently replaced). An officer ('officer_scan') gives
    the date on the holder's signed paper: not after the filing, at most PAPER_NOTICE_DAYS before."""
    if method == "holder":
        return None if notice_on in (None, filed_on) else "in_app"
    if notice_on is None:
        return "missing"
    if notice_on > filed_on:
        return "after_filing"
    return "too_old" if notice_on < filed_on - timedelta(days=PAPER_NOTICE_DAYS) else None


def earliest_effect(kind: str, notice_on: date) -> date:
    """Return the first day a withdrawal may take effect: six months after the notice for
    contracted land (R1.14), the notice day itself otherwise."""
    return add_months(notice_on, LAND_NOTICE_MONTHS) if kind == "land_return" else notice_on
