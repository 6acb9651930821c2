"""A moment as people write it, in China Standard Time (never UTC): 2026年12月9日 16:00 in Chinese,
9 Dec 2026 16:00 in English. The one home of that format: the Jinja filter ``local_time``
(landrights.web.views) and messages that name a moment (``later``) both use it. Times are kept
in UTC; flask_babel converts them to BABEL_DEFAULT_TIMEZONE (Asia/Shanghai) here."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from flask import has_app_context
from flask_babel import format_date, format_datetime, get_locale
from flask_babel.speaklater import LazyString

PATTERNS = {"zh": "yyyy年M月d日 HH:mm", "en": "d MMM yyyy HH:mm"}
CHINA = timezone(timedelta(hours=8), "CST")  # no daylight saving since 1991


def as_written(moment: datetime | None, *, seconds: bool = False) -> str:
    """Return a moment as people write it in the current language, in China Standard Time."""
    if moment is None:
        return ""
    if not has_app_context():  # a log line or a test outside the app: Chinese, China time
        local = moment.astimezone(CHINA)
        clock_time = local.strftime("%H:%M:%S" if seconds else "%H:%M")
        return f"{local.year}年{local.month}月{local.day}日 {clock_time}"
    language = "en" if str(get_locale() or "zh").startswith("en") else "zh"
    return format_datetime(moment, PATTERNS[language] + (":ss" if seconds else ""))


def later(moment: datetime | None, *, seconds: bool = False) -> LazyString:
    """Return the moment as people write it, formatted when shown (in the reader's language): for
    a message a service raises, which is rendered later, in the request that shows it."""
    return LazyString(as_written, moment, seconds=seconds)


def day_written(day: date) -> str:
    """Return a day as people write it in the current language: 2028年12月31日, December 31, 2028
    (the long form of local_day)."""
    if not has_app_context():
        return f"{day.year}年{day.month}月{day.day}日"
    return format_date(day, "long")


def day_later(day: date) -> LazyString:
    """Return the day as people write it, formatted when shown: for a message a service raises."""
    return LazyString(day_written, day)
