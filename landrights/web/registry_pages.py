"""The registry's HTML pages: a parcel, the household list, a household. Each parses input, calls one
query, and renders. Pages of the `web` blueprint (added by web.views)."""
from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from landrights.accounts.views import current_actor
from landrights.api.serializers import household_dict
from landrights.extensions import db
from landrights.registry import queries
from landrights.routing import Routes

pages = Routes()


@pages.get("/parcels/<code>")
@login_required
def parcel(code: str):
    """Show one parcel: attributes, areas, contract and holder."""
    actor = current_actor()
    found = queries.get_parcel(db.session, actor, code)
    versions = queries.parcel_history(db.session, actor, code)
    return render_template("parcel.html", found=found, p=found["parcel"], versions=versions)


@pages.get("/households")
@login_required
def households():
    """List the households of the user's area, one page at a time, found by name, ID number or
    code, each with its status."""
    from landrights.certification.queries import household_statuses
    from landrights.registry.finder import find_households

    offset = max(request.args.get("offset", 0, type=int), 0)
    q = (request.args.get("q") or "").strip()[:100]
    page = find_households(db.session, current_actor(), q=q, collective=request.args.get("collective"),
                           limit=50, offset=offset, statuses=household_statuses)
    return render_template("households.html", page=page, q=q)


@pages.get("/households/<code>")
@login_required
def household(code: str):
    """Show a household: members (masked by job), contract and parcels."""
    actor = current_actor()
    found = queries.get_household(db.session, actor, code)
    from landrights.market.desk_queries import household_transfers

    return render_template("household.html", found=found, view=household_dict(actor, found),
                           transfers=household_transfers(db.session, actor, code))


def add_routes(bp) -> None:
    """Add this module's pages to the blueprint."""
    pages.register(bp)
