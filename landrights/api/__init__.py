"""JSON API under /api/v1, described at /api/v1/openapi.json. It calls the same services and
queries as the web pages.

This module holds the blueprint (`blueprint()`: its request checks and every resource module's
routes, added explicitly) and the error formatter; the routes live in one module per resource."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from landrights.errors import Unauthenticated, ValidationFailed
from landrights.extensions import csrf
from landrights.inputs import words


def blueprint() -> APIBlueprint:
    """Build the API blueprint for one app: the request checks, then each resource module's routes."""
    from landrights.api import (
        accounts,
        certification,
        handups,
        identities,
        listings,
        pledges,
        registry,
        retransfers,
        rights,
        transfer_contracts,
    )

    bp = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="Registry")
    csrf.exempt(bp)
    bp.before_request(account_first)
    bp.before_request(no_nul_characters)
    for module in (registry, accounts, certification, handups, identities, listings, transfer_contracts,
                   retransfers, pledges, rights):
        module.add_routes(bp)
    return bp


def account_first():
    """An operation that needs an account refuses a request without one (401) before reading its
    input, whatever the method: the answer never depends on the input (permission first). A write
    with an Authorization header is authenticated by that header alone (the cookie is then ignored,
    accounts.views), so it needs no CSRF token; a write riding on a cookie session does (a forged
    form post).

    Raises:
        Unauthenticated: no credentials, or a bad token, for an operation not marked public.
    """
    if request.method == "OPTIONS":  # Flask answers it with the Allow header alone
        return
    view = current_app.view_functions.get(request.endpoint)
    if not current_user.is_authenticated and not getattr(view, "public", False):
        raise Unauthenticated(_("Please log in first."))
    if request.method not in ("GET", "HEAD") and "Authorization" not in request.headers:
        csrf.protect()


def no_nul_characters():
    """Refuse U+0000 anywhere in the path, query, form or JSON body: PostgreSQL text cannot hold it, so
    a query carrying it failed (500) instead of finding nothing. A refusal of the registry's storage,
    not of the document's shape (no "in").

    Raises:
        ValidationFailed: naming the field that holds the character.
    """
    body = request.get_json(silent=True) if request.is_json else None
    sources = (request.view_args or {}, request.args.to_dict(flat=False), request.form.to_dict(flat=False),
               body if isinstance(body, dict) else {"body": body})
    for values in sources:
        for field, value in values.items():
            if _holds_nul(value):
                raise ValidationFailed(_("Text may not contain the NUL character (U+0000)."), field=field)


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


_LOCATIONS = {"json": "body", "form": "body", "files": "body", "form_and_files": "body", "query": "query",
              "path": "path", "headers": "header"}


def _first_problem(detail: dict) -> tuple[str | None, str]:
    """Return the field (dotted, for a nested one) and the first message of marshmallow's errors,
    keyed by location (json, query, form) and then by field."""
    path, node = [], next(iter(detail.values()), {})
    while isinstance(node, dict) and node:
        key, node = next(iter(node.items()))
        path.append(str(key))
    raw = node[0] if isinstance(node, list) and node else str(node)
    field = ".".join(p for p in path if p != "_schema") or None
    return field, words(raw)


def format_error(error):
    """Render APIFlask's HTTP and validation errors as {"error": {code, message, field}}."""
    from landrights.web.errors import describe

    if error.status_code == 422 and isinstance(error.detail, dict):
        field, message = _first_problem(error.detail)
        where = _LOCATIONS.get(next(iter(error.detail), ""), "body")
        return {"error": {"code": "validation_failed", "message": message, "field": field, "in": where}}, 422
    code, message = describe(error.status_code)
    return {"error": {"code": code, "message": message, "field": None}}, error.status_code, error.headers

