"""Who may send a large request body (issue 16, finding 2): every body is limited
(MAX_CONTENT_LENGTH); only the survey upload may send more (SURVEY_UPLOAD_MAX_MB), and only an
account that may import surveys, and only the county administrator sends a hand-up package
(HANDUP_UPLOAD_MAX_MB). The role is checked before a byte of the body is read, so the anonymous
public, farmers, clerks and transferees get 401/403 however large their body. The app's part of
landrights.uploads: it reads the signed-in account and the domains' permissions."""
from __future__ import annotations

from flask import current_app, request

SURVEY_UPLOAD_ENDPOINTS = frozenset({"survey.upload", "api.create_survey"})
HANDUP_UPLOAD_ENDPOINTS = frozenset({"handup.upload", "api.create_handup"})


def limit_body() -> None:
    """Before any body is read: let the survey upload exceed the global limit, and only for an
    account that may import surveys (the collective's jurisdiction is checked by the service).

    Raises:
        Unauthenticated: anonymous. Forbidden: a role that does not import surveys.
    """
    from landrights.accounts.permissions import may_import_surveys, require_login
    from landrights.accounts.views import current_actor
    from landrights.errors import forbidden

    if request.method == "POST" and request.endpoint in HANDUP_UPLOAD_ENDPOINTS:
        _limit_handup_body()
        return
    if request.method != "POST" or request.endpoint not in SURVEY_UPLOAD_ENDPOINTS:
        return
    actor = current_actor()
    require_login(actor)
    if not may_import_surveys(actor):
        raise forbidden()
    request.max_content_length = current_app.config["SURVEY_UPLOAD_MAX_MB"] << 20


def _limit_handup_body() -> None:
    """A hand-up package: only the county administrator sends one, before a byte is read."""
    from landrights.accounts.views import current_actor
    from landrights.handup.permissions import require_import_handup

    require_import_handup(current_actor())
    request.max_content_length = current_app.config["HANDUP_UPLOAD_MAX_MB"] << 20


def init_app(app) -> None:
    """Limit bodies before anything reads them: first of all before-request functions (CSRF
    protection reads the form, and so the body)."""
    app.before_request_funcs.setdefault(None, []).insert(0, limit_body)
