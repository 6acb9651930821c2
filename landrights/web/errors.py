"""One mapping from errors to responses: JSON under /api, a plain page elsewhere."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from landrights.errors import DomainError

_HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large",
               422: "validation_failed", 429: "too_many_requests", 500: "internal_error"}


def _wants_json() -> bool:
    return (request.path.startswith(("/api/", "/tiles/", "/ogc"))
            or request.accept_mimetypes.best == "application/json")


def render_error(status: int, code: str, message: str, field: str | None = None,
                 rule: str | None = None, headers: dict | None = None):
    """Render an error as JSON {"error": {...}} for the API, or as the error page."""
    if _wants_json():
        body = {"code": code, "message": message, "field": field}
        if rule:
            body["rule"] = rule
        return jsonify(error=body), status, headers or {}
    return render_template("error.html", status=status, message=message, field=field,
                           rule=rule), status, headers or {}


def _limit_mb() -> str:
    """Return the body limit in force for this request, in MB."""
    limit = request.max_content_length if request else None
    return f"{limit / 2**20:g}" if limit else "?"


def _http_message(status: int) -> str:
    return {
        400: _("The request could not be understood."),
        401: _("Please log in first."),
        403: _("You do not have permission to see or change this record."),
        404: _("This page or record does not exist."),
        405: _("This action is not allowed here."),
        413: _("The request is larger than %(mb)s MB, the most accepted here.", mb=_limit_mb()),
        429: _("Too many requests: please wait a minute and try again."),
        500: _("Something went wrong on our side. Nothing was saved; please try again."),
    }.get(status, _("The request failed."))


def describe(status: int) -> tuple[str, str]:
    """Return the API's code and the user's message for an HTTP status."""
    return _HTTP_CODES.get(status, "error"), _http_message(status)


def init_app(app) -> None:
    """Register the error handlers."""

    @app.errorhandler(DomainError)
    def domain_error(err: DomainError):
        return render_error(err.status, err.code, str(err.message), err.field, err.rule)

    @app.errorhandler(DBAPIError)
    def database_refusal(err: DBAPIError):
        # a refusal no service translated (e.g. at commit): in the user's words, never the
        # database's text; the transaction is over either way
        from landrights.extensions import db
        from landrights.registry.constraints import translate

        db.session.rollback()
        if getattr(err.orig, "sqlstate", None) is None or not str(err.orig.sqlstate).startswith(("22", "23")):
            raise err  # not the input's fault (connection, deadlock, ...): the 500 page
        return domain_error(translate(err))

    @app.errorhandler(CSRFError)
    def csrf_error(err: CSRFError):
        return render_error(400, "csrf_failed", _(
            "The form was expired or not sent from this site (CSRF check). Reload the page and "
            "try again."), "csrf_token")

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        status = err.code or 500
        # a 405 keeps its Allow header (RFC 9110 15.5.6): the methods the path does take
        allow = dict(err.get_headers()).get("Allow") if status == 405 else None
        return render_error(status, _HTTP_CODES.get(status, "error"), _http_message(status),
                            headers={"Allow": allow} if allow else None)

    @app.errorhandler(500)
    def server_error(err):
        return render_error(500, "internal_error", _http_message(500))
