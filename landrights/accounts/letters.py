"""The activation letters as one PDF, one A4 page per account (issue 20 §1): the name masked, the
user name, the one-time code, a QR code to the activation page, and what to do, in plain words.
Printed with the certificates' renderer (WeasyPrint and the Noto CJK font); the code is in the
PDF and nowhere else."""
from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from flask import current_app

from landrights.accounts import rules
from landrights.accounts.activation import Letter
from landrights.accounts.models import ROLES
from landrights.accounts.permissions import is_household_account

TEMPLATE = "accounts/letters_pdf.html"


def activation_url(base_url: str, username: str) -> str:
    """Return the address of the activation page with the user name filled in (what the QR holds)."""
    return f"{base_url.rstrip('/')}/activate?u={quote(username)}"


def letters_pdf(letters: Sequence[Letter], *, base_url: str, min_length: int) -> bytes:
    """Print activation letters to one PDF, a page each (needs an app context).

    Raises:
        ValueError: no letters.
    """
    from landrights.signing.printing import html_to_pdf, qr_svg_data_uri

    if not letters:
        raise ValueError("no letters to print")
    pages = [{"letter": one, "code": rules.printed_activation_code(one.code),
              "role": ROLES[one.role][0], "household": is_household_account(one),
              "url": activation_url(base_url, one.username),
              "qr": qr_svg_data_uri(activation_url(base_url, one.username)),
              "expires": _chinese_date(one.expires_at), "issued": _chinese_date(one.issued_at)}
             for one in letters]
    html = current_app.jinja_env.get_template(TEMPLATE).render(
        pages=pages, page_url=base_url.rstrip("/") + "/activate", min_length=min_length)
    return html_to_pdf(html)


def _chinese_date(moment) -> str:
    from landrights.clock import local_date

    day = local_date(moment)
    return f"{day.year}年{day.month}月{day.day}日"


def filename(letters: Sequence[Letter], what: str) -> str:
    """Return the download's file name, ASCII only: activation-<what>-<count>.pdf."""
    return f"activation-{what}-{len(letters)}.pdf"
