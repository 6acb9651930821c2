"""Entrustment pages (流转委托书, R2.4): the household (a migrant, from its rights page) entrusts an
agent to rent out its land, or the township officer records the paper signed by both with its scan;
the agent reads and accepts it (from its home page) and lists the household's land under it; the
household, the agent or the officer revokes it after a confirmation.
Pages of the market blueprint (added by market.views)."""
from __future__ import annotations

from datetime import timedelta

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from landrights import clock
from landrights.accounts.views import current_actor
from landrights.extensions import db
from landrights.market import entrustment_queries as queries
from landrights.market import entrustments, permissions, services
from landrights.market.inputs import EntrustmentIn, ListingIn, ReasonIn
from landrights.routing import Routes
from landrights.web.actions import attempt, expired_form, form_input, uploaded

DEFAULT_ACTS = ["list", "withdraw_listing"]

pages = Routes()


@pages.route("/households/<code>/entrust", methods=["GET", "POST"])
@login_required
def entrust(code: str):
    """The entrustment form; on a refusal it is shown again with what was typed."""
    actor, form = current_actor(), FlaskForm()
    choices = queries.entrust_form(db.session, actor, code)
    if request.method == "POST":
        if (refused := expired_form(request.path)) is not None:
            return refused
        failed, made = attempt(lambda: _create(code))
        if failed is None:
            return redirect(url_for("market.entrustment", entrustment_id=made.id))
        return _form(choices, form, request.form.to_dict(flat=False)), failed.status
    return _form(choices, form, _defaults(choices))


def _form(choices: dict, form, values: dict):
    in_app = permissions.can_entrust_in_app(current_actor(), choices["household"].code)
    return render_template("market/entrust.html", c=choices, form=form, v=values, officer=not in_app)


def _defaults(choices: dict) -> dict:
    today, end = clock.today(), choices["contract_end"]
    a_year = today + timedelta(days=365)
    return {"valid_from": [today.isoformat()],
            "valid_to": [(min(a_year, end) if end else a_year).isoformat()],
            "transfer_until": [end.isoformat()] if end else [],
            "acts": DEFAULT_ACTS,
            "agent": [choices["clerks"][0]["username"] if choices["clerks"] else "other"],
            "scope": [_("Rent out the management right of the parcels chosen below on my behalf, within the "
                        "term and at no less than the lowest rent stated here.")]}


def _create(code: str):
    agent = request.form.get("agent") or "other"  # a clerk of the collective, or another account typed
    typed = request.form.get("agent_username", "") if agent == "other" else agent
    given = form_input(EntrustmentIn, household_code=code, agent_username=typed.strip())
    return entrustments.create_entrustment(db.session, current_actor(), scan=uploaded("scan"), **given)


@pages.get("/entrustments/<int:entrustment_id>")
@login_required
def entrustment(entrustment_id: int):
    """One entrustment for its household, its agent and the officials of the area."""
    return render_template("market/entrustment.html", form=FlaskForm(),
                           e=queries.get_entrustment(db.session, current_actor(), entrustment_id))


@pages.post("/entrustments/<int:entrustment_id>/accept")
@login_required
def accept_entrustment(entrustment_id: int):
    """The agent signs the entrustment in the app: from now it is in force."""
    back = url_for("market.entrustment", entrustment_id=entrustment_id)
    if (refused := expired_form(back)) is not None:
        return refused
    attempt(lambda: entrustments.accept_entrustment(db.session, current_actor(),
                                                    entrustment_id=entrustment_id),
            _("You accepted the entrustment. You may now act for the household as it states."))
    return redirect(back)


@pages.route("/entrustments/<int:entrustment_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_entrustment(entrustment_id: int):
    """Ask for the confirmation and the reason, then revoke the entrustment at once."""
    actor, form = current_actor(), FlaskForm()
    found = queries.get_entrustment(db.session, actor, entrustment_id)
    if request.method == "POST":
        if (refused := expired_form(request.path)) is not None:
            return refused
        failed, _done = attempt(lambda: entrustments.revoke_entrustment(
            db.session, actor, entrustment_id=entrustment_id, **form_input(ReasonIn)),
            _("The entrustment is revoked: the agent can no longer act for the household."))
        if failed is None:
            return redirect(url_for("market.entrustment", entrustment_id=entrustment_id))
        return render_template("market/revoke_entrustment.html", e=found, form=form,
                               reason=request.form.get("reason", "")), failed.status
    return render_template("market/revoke_entrustment.html", e=found, form=form, reason="")


@pages.route("/entrustments/<int:entrustment_id>/land", methods=["GET", "POST"])
@login_required
def entrusted_land(entrustment_id: int):
    """The agent's page of the household's land under its entrustment (R2.4), from the home page:
    the parcels it covers, what the agent listed, and the household's own listing form; or, plainly,
    why the agent may not list (revoked, past its term, not begun, not accepted, listing not
    entrusted: 403). The service decides (services.create_listing → require_agent_for)."""
    actor, refused = current_actor(), None
    if request.method == "POST":
        if (expired := expired_form(request.path)) is not None:
            return expired
        household = queries.entrusted_land(db.session, actor, entrustment_id)["e"]["household_code"]
        refused, listing = attempt(lambda: services.create_listing(db.session, actor, **form_input(
            ListingIn, household_code=household, entrustment_id=entrustment_id)),
            _("The land is listed for the household: transferees can bid on it now."))
        if refused is None:
            return redirect(url_for("market.listing", listing_id=listing.id, _anchor="listing-status"))
    land = queries.entrusted_land(db.session, actor, entrustment_id)
    chosen = request.form.getlist("parcel_codes") if refused else request.args.getlist("parcel")
    status = refused.status if refused else 403 if land["refusal"] else 200
    return render_template("market/entrusted_land.html", d=land, form=FlaskForm(), chosen=chosen,
                           typed=request.form if refused else {}), status


def add_routes(bp) -> None:
    """Add this module's pages to the blueprint."""
    pages.register(bp)
