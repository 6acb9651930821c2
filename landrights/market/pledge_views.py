"""The township officer's pledges of the management right (融资担保, R1.30): file one, release one.
Pages of the market blueprint (added by market.views)."""
from __future__ import annotations

from datetime import timedelta

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from landrights.accounts.views import current_actor
from landrights.extensions import db
from landrights.market import pledges
from landrights.market.inputs import PledgeIn, ReleaseIn
from landrights.routing import Routes
from landrights.web.actions import form_input, form_int, run_and_report

pages = Routes()


def _whole(name: str) -> int:
    return form_int(name) or 0  # "²" passes isdigit() but not int(): form_int refuses it, naming the field


@pages.route("/pledges", methods=["GET", "POST"])
@login_required
def pledge_list():
    """The township officer's pledges (融资担保, R1.30): file one, release one."""
    actor, form = current_actor(), FlaskForm()
    area = request.args.get("area") or (actor.area_prefix or "")[:9]
    if request.method == "POST" and form.validate_on_submit():
        back = url_for("market.pledge_list", area=area)
        failed, _result = run_and_report(lambda: _pledge_step(actor), _("Recorded."), back)
        return failed or redirect(back)
    return render_template("market/pledges.html", area=area, form=form,
                           items=[(x, x.term.upper - timedelta(days=1))
                                  for x in pledges.pledges_in_area(db.session, actor, area)])


def _pledge_step(actor):
    if request.form.get("action") == "release":
        return pledges.release_pledge(db.session, actor, pledge_id=_whole("pledge_id"),
                                      **form_input(ReleaseIn))
    # the codes in one box, separated by spaces, commas or 、: PledgeIn's Codes field reads them
    return pledges.record_pledge(db.session, actor, **form_input(PledgeIn))


def add_routes(bp) -> None:
    """Add this module's pages to the blueprint."""
    pages.register(bp)
