"""Files handed in with a request as evidence: an objection's photo, the scan of a signed and
fingerprinted form, a holder's signed withdrawal request. PDF, JPEG or PNG up to 10 MB, checked by
their first bytes, kept in the database with the record they support."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from landrights.accounts.permissions import Actor, acts_for_household, require_login, require_notice_officer
from landrights.errors import ValidationFailed

EVIDENCE_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


@dataclass
class Upload:
    """A file handed in with a request."""

    name: str
    content_type: str
    data: bytes


def evidence_problem(name: str | None, content_type: str | None, data: bytes | None) -> str | None:
    """Say what is wrong with an uploaded evidence or scan file, or None if it is acceptable."""
    if not data:
        return "empty"
    if len(data) > EVIDENCE_MAX_BYTES:
        return "too_large"
    if content_type not in EVIDENCE_TYPES or not name:
        return "type"
    magic = {"pdf": b"%PDF", "jpg": b"\xff\xd8\xff", "png": b"\x89PNG"}[EVIDENCE_TYPES[content_type]]
    return None if data.startswith(magic) else "type"


def check_upload(upload: Upload | None, field_name: str) -> None:
    """Refuse an empty, oversized or disguised evidence file, naming the form field.

    Raises:
        ValidationFailed: the file is empty, larger than 10 MB, or not really a PDF, JPEG or PNG.
    """
    if upload is None:
        return
    problem = evidence_problem(upload.name, upload.content_type, upload.data)
    if problem:
        raise ValidationFailed(_UPLOAD_PROBLEMS[problem], field=field_name)


_UPLOAD_PROBLEMS = {
    "empty": _l("The file is empty."),
    "too_large": _l("The file is larger than 10 MB."),
    "type": _l("Only PDF, JPEG or PNG files are accepted, and the file must really be one."),
}


def signature_method(actor: Actor, household_code: str, scan: Upload | None, *, missing_scan,
                     rule: str, in_app: str = "farmer") -> str:
    """Return how a household's signature is recorded: by its own account in the app (in_app), or
    by a township officer of its area with the scan of the signed paper ('officer_scan').

    Raises:
        Unauthenticated: anonymous. Forbidden: neither the household nor an officer of its area.
        ValidationFailed: an officer without a scan (missing_scan, field 'scan'), or a scan that
            is not a PDF/JPEG/PNG of at most 10 MB.
    """
    require_login(actor)
    if acts_for_household(actor, household_code):
        return in_app
    require_notice_officer(actor, household_code)
    if scan is None:
        raise ValidationFailed(missing_scan, field="scan", rule=rule)
    check_upload(scan, "scan")
    return "officer_scan"
