"""The one clock every time-dependent rule reads (notice periods, sign-off, issue dates).

Services call ``clock.now()`` instead of ``datetime.now``; tests move the clock with
``clock.travel(...)`` and put it back with ``clock.reset()``. Timezone-aware, UTC.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    """Return the current time (UTC), as moved by travel()."""
    return datetime.now(UTC) + _offset


def today() -> date:
    """Return the current date in China Standard Time (UTC+8), where the registry's days fall."""
    return (now() + timedelta(hours=8)).date()


def local_date(moment: datetime) -> date:
    """Return the China Standard Time (UTC+8) date of a moment: the date printed on documents."""
    return (moment + timedelta(hours=8)).date()


def start_of(day: date) -> datetime:
    """Return the moment a China Standard Time day begins (its midnight, as a UTC datetime)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=8)


def travel(delta: timedelta) -> None:
    """Move the clock forward (or back) by delta; for tests and demonstrations only."""
    global _offset
    _offset += delta


def reset() -> None:
    """Put the clock back to real time."""
    global _offset
    _offset = timedelta(0)
