"""HTTP defences every response shares: security headers, the one check of redirect targets, and a
development server that does not announce its software versions.

Headers are set by hand here rather than with flask-talisman: six fixed headers and a nonce are
fewer lines than its configuration, and it would also redirect to HTTPS, which is the reverse
proxy's job (README, production).
"""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.serving import WSGIRequestHandler, make_server

from landrights.errors import ValidationFailed

SERVER_NAME = "landrights"

# No inline script anywhere (templates load static files only); the one inline <style> (the
# printable notice) carries the per-request nonce; Leaflet styles elements through the CSSOM,
# which style-src does not govern. Tiles, the API and GeoJSON come from this origin only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; "
       "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def csp_nonce() -> str:
    """Return this request's nonce for an inline <style> element."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def is_local_path(target: str) -> bool:
    """Tell whether a redirect target is a path on this site: it starts with one slash, and holds
    no scheme, host, backslash (browsers read it as a slash) or control character (browsers drop
    tabs and newlines, so "/\\t/evil.example" would become "//evil.example")."""
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """Return target if it is a path on this site, else fallback (default: the home page). Every
    redirect to an address taken from the request goes through here."""
    if target and is_local_path(target):
        return target
    return fallback or url_for("web.home")


def add_security_headers(response):
    """Set the security headers on a response (every response, pages, API and files alike)."""
    headers = response.headers
    headers["Content-Security-Policy"] = CSP.format(nonce=csp_nonce())
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    # same-origin: verification links carry a certificate's code and signature in the address,
    # which no other site should be told; our own form posts keep their Referer (Flask-WTF's
    # HTTPS CSRF check needs it)
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    from flask import current_app

    if current_app.config.get("HSTS_SECONDS"):
        headers["Strict-Transport-Security"] = f"max-age={current_app.config['HSTS_SECONDS']}"
    if "Cache-Control" not in headers and _personal(response):
        # pages and data of a logged-in user stay out of shared caches and the back button of a
        # township office's shared computer
        headers["Cache-Control"] = "no-store"
    return response


def _personal(response) -> bool:
    if request.endpoint == "static" or response.mimetype not in ("text/html", "application/json",
                                                                  "application/geo+json"):
        return False
    return "Authorization" in request.headers or bool(current_user and current_user.is_authenticated)


def refuse_nul_characters():
    """Refuse U+0000 in the query or a posted form of a page (a forged post): PostgreSQL text cannot
    hold it, so it failed with a database error (500) instead of a plain refusal. The API checks
    its own input after its permission check (api.no_nul_characters).

    Raises:
        ValidationFailed: naming the field that holds the character.
    """
    if request.path.startswith("/api/"):
        return
    for source in (request.view_args or {}, request.args, request.form):
        for field, value in source.items(multi=True) if hasattr(source, "getlist") else source.items():
            if isinstance(value, str) and "\x00" in value:
                raise ValidationFailed(_("Text may not contain the NUL character (U+0000)."),
                                       field=field)


def init_app(app) -> None:
    """Register the headers, the NUL refusal and the template's nonce helper."""
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, answering `Server: landrights` instead of its and Python's versions."""

    def version_string(self) -> str:
        """Return the Server header's value."""
        return SERVER_NAME


def serve(host: str, port: int, app):
    """Return a threaded development server for app that does not tell its software versions."""
    return make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
