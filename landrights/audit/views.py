"""The county administrator's page of the register's signed heads and last verification, and the
public JSON of a county's heads (anyone may keep a copy and check the register against it)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template, url_for
from flask_login import login_required

from landrights import patterns
from landrights.accounts.views import current_actor
from landrights.audit import messages, services
from landrights.audit.chain import Finding
from landrights.extensions import db

bp = Blueprint("audit", __name__)


@bp.get("/register-heads")
@login_required
def register_heads():
    """Show the county's recent signed heads and what the last verification found."""
    view = services.register_overview(db.session, current_actor())
    check = view.last_check
    first = messages.describe(Finding.from_dict(check.first_finding)) if check and check.findings else None
    return render_template("audit/register_heads.html", view=view, check=check, first=first)


@bp.get("/register-heads/<county_code>.json")
@db.reads_only
def published_heads(county_code: str):
    """Publish every signed head of a county: date, entries, head hash, key, signature."""
    if not patterns.COUNTY.matches(county_code):
        abort(404)
    response = jsonify({"county_code": county_code,
                        "heads": services.published_heads(db.session, county_code),
                        "keys": current_app.config["PUBLIC_BASE_URL"] + url_for("signing_keys.keys_json"),
                        "check": f"landrights audit verify --county {county_code} --heads <this file>"})
    response.headers["Access-Control-Allow-Origin"] = "*"  # published: anyone may fetch a copy
    return response
