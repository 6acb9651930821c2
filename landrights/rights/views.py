"""Pages of retained rights: the household's view (the migrant's view), its verifiable statement,
the holder's withdrawal request and its cancellation, the officer's settlement record, the
collective's roster."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from landrights import clock
from landrights.accounts.views import current_actor
from landrights.collective import queries as collective_queries
from landrights.errors import NotFound
from landrights.extensions import db
from landrights.rights import queries, services, statements
from landrights.rights.inputs import SettlementIn, WithdrawalIn
from landrights.web.actions import expired_form, form_input, run_and_report, uploaded
from landrights.web.security import safe_next

bp = Blueprint("rights", __name__)


@bp.app_template_filter("local_day")
def local_day(value: date | datetime | str | None) -> str:
    """Show a day as people write it (2026年12月2日; December 2, 2026): a moment in China Standard
    Time, a date or an ISO date string as it is."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, "long")  # BABEL_DEFAULT_TIMEZONE converts a moment to China time


def _sketch(view: dict) -> str:
    from landrights.certification.documents import Shape, sketch_svg  # numpy, pyproj: when drawn

    shapes = [Shape(p["code"], p["geometry"]) for p in (view["contract"] or {}).get("parcels", [])]
    if view["homestead"]:
        shapes.append(Shape(view["homestead"]["code"], view["homestead"]["geometry"]))
    return sketch_svg(shapes, width_mm=160, height_mm=110) if shapes else ""


@bp.get("/rights")
@login_required
def mine():
    """Send a farmer to the own household's rights; others choose a household."""
    actor = current_actor()
    if actor.household_code:
        return redirect(url_for("rights.household", code=actor.household_code))
    raise NotFound(_("Open a household's page to see its retained rights."))


@bp.get("/rights/<code>")
@login_required
def household(code: str):
    """Show every right the household holds, wherever it lives now (G5)."""
    from landrights.market.entrustment_queries import household_entrustments

    actor = current_actor()
    view = queries.retained_rights(db.session, actor, code)
    return render_template("rights/household.html", v=view, sketch=_sketch(view), form=FlaskForm(),
                           today=clock.today(), entrusted=household_entrustments(db.session, actor, code))


@bp.post("/rights/<code>/statement")
@login_required
def statement(code: str):
    """Issue a statement of retained rights and return it as a PDF with its QR code."""
    if not FlaskForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return redirect(url_for("rights.household", code=code))
    from landrights.signing.printing import html_to_pdf, qr_svg_data_uri

    issued = statements.issue_statement(db.session, current_actor(), code)
    db.session.commit()
    url = statements.verify_url(db.session, current_app.config["PUBLIC_BASE_URL"], issued)
    html = render_template("rights/statement_pdf.html", s=issued, c=issued.content, qr=qr_svg_data_uri(url),
                           url=url, issued_on=statements.issued_on(issued))
    return Response(html_to_pdf(html), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{issued.code}.pdf"'})


@bp.get("/verify/statement/<code>")
def verify_statement(code: str):
    """Verify a statement of retained rights by its QR code's signed data: anyone."""
    checked = statements.verify_statement(db.session, current_app.config["CERTIFICATE_KEY"].encode(), code,
                                          day=request.args.get("d"), sig=request.args.get("s"),
                                          key_id=request.args.get("k"))
    status = 404 if checked.state == "unverified" else 200
    return render_template("rights/verify_statement.html", v=checked), status


@bp.post("/rights/<code>/withdrawals")
@login_required
def request_withdrawal(code: str):
    """File the holder's own withdrawal request (or the officer's record of the signed one)."""
    back = url_for("rights.household", code=code)
    if (refused := expired_form(back)) is not None:
        return refused
    failed, _result = run_and_report(lambda: services.request_withdrawal(  # notice_on: the officer's only
        db.session, current_actor(), scan=uploaded("scan"), **form_input(WithdrawalIn, household_code=code)),
        _("Your request is recorded. You may cancel it until it takes effect."), back)
    return failed or redirect(back)


@bp.post("/withdrawals/<int:withdrawal_id>/cancel")
@login_required
def cancel_withdrawal(withdrawal_id: int):
    """Cancel a withdrawal request before it takes effect."""
    back = safe_next(request.form.get("back"), url_for("rights.mine"))
    if (refused := expired_form(back)) is not None:
        return refused
    failed, _result = run_and_report(lambda: services.cancel_withdrawal(db.session, current_actor(),
                                                               withdrawal_id=withdrawal_id),
                            _("The request is cancelled; nothing changes."), back)
    return failed or redirect(back)


@bp.post("/rights/<code>/settlement")
@login_required
def record_settlement(code: str):
    """Record that a member settled in a town: residence only, every right stays (G1)."""
    back = url_for("rights.household", code=code)
    if (refused := expired_form(back)) is not None:
        return refused
    typed = request.form.get("id_number", "").strip()  # as read off the ID card, spaces and all
    failed, _result = run_and_report(lambda: services.record_settlement(
        db.session, current_actor(), **form_input(SettlementIn, id_number=typed)),
        _("The settlement is recorded. Every right of the household stays as it was."), back)
    return failed or redirect(back)


@bp.get("/collectives/<code>/members")
@login_required
def roster(code: str):
    """The collective's member roster with each member's basis and shares."""
    rows = collective_queries.roster(db.session, current_actor(), code)
    return render_template("rights/roster.html", code=code, rows=rows)
