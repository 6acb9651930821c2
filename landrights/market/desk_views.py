"""The township officer's desk (issue 19, journey 5): one listing's deposits (the transferee chosen
from a search, never typed as a number), its award, its contract's draft and the award's lapse; and
a transfer contract's rent instalments, where a payment received is recorded. A refused form is
shown again with what was typed and its error beside the field.
Pages of the market blueprint (added by market.views)."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm

from landrights.accounts.views import current_actor
from landrights.extensions import db
from landrights.market import contracts, desk_queries, endings, services
from landrights.market.inputs import DepositIn, DraftIn, LapseIn, RentIn
from landrights.routing import Routes
from landrights.web.actions import attempt, expired_form, form_input

DONE = {"deposit": _l("The deposit is recorded: the transferee may now bid."),
        "award": _l("The listing is decided: the result is shown below."),
        "contract": _l("The contract is drafted: the parties sign it in the app, or you record the scan of "
                       "the paper both signed."),
        "lapse": _l("The award has ended: the parcels can be listed again.")}

pages = Routes()


@pages.route("/<int:listing_id>/desk", methods=["GET", "POST"])
@login_required
def desk(listing_id: int):
    """The township officer's page of a listing: bids, deposits, award, contract."""
    form = FlaskForm()
    if request.method == "POST":
        if (refused := expired_form(request.path)) is not None:
            return refused
        action = request.form.get("action", "")
        failed, _result = attempt(lambda: _step(listing_id, action), DONE.get(action))
        if failed is None:
            return redirect(url_for("market.desk", listing_id=listing_id))
        return _desk_page(listing_id, form, request.form), failed.status
    return _desk_page(listing_id, form, request.args)


def _desk_page(listing_id: int, form, values):
    actor, q = current_actor(), (values.get("q") or "").strip()[:100]
    page = desk_queries.listing_desk(db.session, actor, listing_id)
    return render_template("market/desk.html", d=page, form=form, q=q, v=values,
                           found=desk_queries.find_transferees(db.session, actor, q, listing_id=listing_id))


def _step(listing_id: int, action: str):
    actor = current_actor()
    if action == "deposit":
        return services.record_deposit(db.session, actor, listing_id=listing_id, **form_input(DepositIn))
    if action == "award":
        return contracts.award(db.session, actor, listing_id=listing_id)
    if action == "lapse":
        return endings.lapse_award(db.session, actor, listing_id=listing_id, **form_input(LapseIn))
    return contracts.draft_contract(db.session, actor, listing_id=listing_id, **form_input(DraftIn))


@pages.route("/contracts/<code>/rent", methods=["GET", "POST"])
@login_required
def rent(code: str):
    """A transfer contract's rent instalments; the household or the officer records one received."""
    form = FlaskForm()
    if request.method == "POST":
        if (refused := expired_form(request.path)) is not None:
            return refused
        failed, _payment = attempt(lambda: contracts.record_rent(
            db.session, current_actor(), code=code, **form_input(RentIn)), _l("The payment is recorded."))
        if failed is None:
            return redirect(url_for("market.rent", code=code))
        return _rent_page(code, form, request.form), failed.status
    return _rent_page(code, form, {})


def _rent_page(code: str, form, values):
    schedule = desk_queries.rent_schedule(db.session, current_actor(), code)
    return render_template("market/rent.html", r=schedule, form=form, v=values)


def add_routes(bp) -> None:
    """Add this module's pages to the blueprint."""
    pages.register(bp)
