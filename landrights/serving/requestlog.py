"""Every request gets an id and one JSON log line; the app's own log records are JSON lines too.

The id comes from the reverse proxy's X-Request-ID when the app trusts a proxy
(LANDRIGHTS_TRUSTED_PROXIES), else it is made here; it is echoed in the X-Request-ID response
header and printed on the 500 page, so a clerk can quote it and the operator find the request (and
its traceback) in the log, and in nginx's log under the same id.

The line names the route (the URL rule, `/households/<code>`), never the path or the query, which
can hold household codes, names or ID numbers; the user is their account's number, never a name.
"""
from __future__ import annotations

import logging
import re
import secrets
import sys
import time
import traceback
import types

from flask import current_app, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

from landrights.serving import metrics

log = logging.getLogger("landrights.request")
_HANDLER_NAME = "landrights-json"
# what a proxy's id may look like (nginx's $request_id is 32 hex digits): nothing that could break
# a log line or a header
_PROXY_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def json_formatter() -> JsonFormatter:
    """Return the formatter of every JSON log line (also gunicorn's own, see serving.server)."""
    return JsonFormatter("{levelname}{name}{message}", style="{", timestamp=True,
                         rename_fields={"levelname": "level", "name": "logger"},
                         json_ensure_ascii=False)


class _Stderr(logging.StreamHandler):
    """A handler writing to whatever sys.stderr is at the time (pytest swaps it per test)."""

    def __init__(self):
        logging.Handler.__init__(self)

    @property
    def stream(self):
        """Return the current standard error."""
        return sys.stderr


class _RequestId(logging.Filter):
    """Add the request's id to every record logged while a request is being answered."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context() and "request_id" in g:
            record.request_id = g.request_id
        return True


def configure_logging() -> None:
    """Send the `landrights` loggers' records to standard error as JSON lines (once a process)."""
    logger = logging.getLogger("landrights")
    if not any(h.get_name() == _HANDLER_NAME for h in logger.handlers):
        handler = _Stderr()
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(json_formatter())
        handler.addFilter(_RequestId())
        logger.addHandler(handler)
    log.setLevel(logging.INFO)


def request_id() -> str | None:
    """Return this request's id (None outside a request)."""
    return g.get("request_id") if has_request_context() else None


def start_request() -> None:
    """Give the request its id (the trusted proxy's, else a new one) and start its clock."""
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    trusted = current_app.config.get("TRUSTED_PROXIES")
    g.request_id = given if trusted and _PROXY_ID.fullmatch(given) else secrets.token_hex(16)


def finish_request(response):
    """Echo the id, count the request, and write its JSON line."""
    seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
    response.headers["X-Request-ID"] = g.get("request_id", "")
    route = request.url_rule.rule if request.url_rule is not None else None
    metrics.observe_request(request.method, route, response.status_code, seconds)
    user = g.get("_login_user")  # only if this request already looked its user up: no query here
    log.info("request", extra={
        "request_id": g.get("request_id"), "method": request.method,
        "route": route or metrics.UNMATCHED, "status": response.status_code,
        "duration_ms": round(seconds * 1000, 1),
        "user_id": user.id if user is not None and user.is_authenticated else None})
    return response


def _log_exception(app, exc_info) -> None:
    """Log an unhandled exception under the request's id and route (Flask's own names the path).

    A database error's text carries the row's values (PostgreSQL's message and DETAIL, the SQL
    parameters SQLAlchemy appends): ID numbers and names. Its traceback is logged with its class,
    SQLSTATE and constraint only."""
    from sqlalchemy.exc import DBAPIError

    route = request.url_rule.rule if request.url_rule is not None else metrics.UNMATCHED
    extra = {"method": request.method, "route": route}
    error = exc_info[1]
    if isinstance(error, DBAPIError):
        diag = getattr(error.orig, "diag", None)
        kind = type(error.orig or error)
        extra.update(sqlstate=getattr(error.orig, "sqlstate", None),
                     constraint=getattr(diag, "constraint_name", None),
                     traceback="".join(traceback.format_tb(exc_info[2]))
                     + f"{kind.__module__}.{kind.__qualname__} (values withheld)")
        exc_info = None
    app.logger.error("unhandled exception", exc_info=exc_info, extra=extra)


def init_app(app) -> None:
    """Register the hooks: the id first of all before-request functions, the line after all."""
    from flask.logging import default_handler

    configure_logging()
    app.logger.removeHandler(default_handler)  # the JSON handler of `landrights` says it all
    app.log_exception = types.MethodType(_log_exception, app)
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    # after-request functions run last-registered first: at the front of the list, this runs last
    app.after_request_funcs.setdefault(None, []).insert(0, finish_request)
    app.jinja_env.globals["request_id"] = request_id
