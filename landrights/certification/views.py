"""Pages of the confirmation path: notices and their printouts, objections, the household's
sign-off, certificates, public verification and progress. Each parses input, calls one service or
query, commits once, and renders or redirects with a message saying what happened."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from landrights.accounts.views import current_actor
from landrights.certification import certificates, objections, queries, services
from landrights.errors import ValidationFailed
from landrights.extensions import db
from landrights.registry import queries as registry_queries
from landrights.web.actions import expired_form, run_and_report, uploaded

bp = Blueprint("cert", __name__)


def _int(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationFailed(_("%(field)s must be a whole number.", field=name), field=name)
    return int(value)


@bp.route("/notices/", methods=["GET", "POST"])
@login_required
def notices():
    """List the notices of the user's area; a township officer opens the next one."""
    actor, form = current_actor(), FlaskForm()
    if request.method == "POST" and form.validate_on_submit():
        failed, notice = run_and_report(lambda: services.open_notice(
            db.session, actor, collective_code=request.form.get("collective", ""),
            days=_int("days"), place=request.form.get("place") or None),
            _("The notice is open."), url_for("cert.notices"))
        return failed or redirect(url_for("cert.notice", notice_id=notice.id))
    return render_template("certification/notices.html", form=form,
                           notices=queries.list_notices(db.session, actor),
                           collectives=registry_queries.list_collectives(db.session, actor),
                           min_days=registry_queries.setting(db.session, "notice_min_days", "7"))


@bp.get("/notices/<int:notice_id>")
@login_required
def notice(notice_id: int):
    """Show a notice: households, members (masked), parcels, objections; file an objection."""
    found = queries.get_notice(db.session, current_actor(), notice_id)
    return render_template("certification/notice.html", found=found, form=FlaskForm())


@bp.get("/notices/<int:notice_id>/print/<any(households, parcels):layout>.<any(html, pdf):fmt>")
@login_required
def notice_print(notice_id: int, layout: str, fmt: str):
    """Print a notice list per household or per parcel (ID numbers masked) with its map sheet."""
    from landrights.certification.documents import Shape, html_to_pdf, sketch_svg

    found = queries.get_notice(db.session, current_actor(), notice_id)
    shapes = queries.notice_shapes(db.session, found)
    sheet = sketch_svg([Shape(*pair) for pair in shapes], width_mm=180, height_mm=150,
                       labels=len(shapes) <= 150) if shapes else ""
    html = render_template("certification/notice_print.html", found=found, layout=layout,
                           sheet=sheet, pdf=fmt == "pdf")
    if fmt == "html":
        return html
    name = f"notice-{found['notice'].collective_code}-{found['notice'].round}-{layout}.pdf"
    return Response(html_to_pdf(html), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.post("/notices/<int:notice_id>/objections")
@login_required
def file_objection(notice_id: int):
    """File an objection against a household record or a parcel of the notice."""
    back = url_for("cert.notice", notice_id=notice_id)
    if (refused := expired_form(back)) is not None:
        return refused
    failed, objection = run_and_report(lambda: objections.file_objection(
        db.session, current_actor(), notice_id=notice_id,
        household_code=request.form.get("household_code", ""),
        parcel_code=request.form.get("parcel_code") or None, text=request.form.get("text", ""),
        filer_name=request.form.get("filer_name") or None,
        filer_kind=request.form.get("filer_kind") or None, evidence=uploaded("evidence")),
        _("The objection is filed; the township will decide on it."), back)
    return failed or redirect(url_for("cert.objection", objection_id=objection.id))


@bp.route("/objections/<int:objection_id>", methods=["GET", "POST"])
@login_required
def objection(objection_id: int):
    """Show an objection; the township officer dismisses it or upholds it with the correction."""
    actor, form = current_actor(), FlaskForm()
    found = queries.get_objection(db.session, actor, objection_id)
    if request.method == "POST" and form.validate_on_submit():
        back = url_for("cert.objection", objection_id=objection_id)
        failed, _result = run_and_report(lambda: _decide(actor, objection_id), _("The decision is recorded."),
                                back)
        return failed or redirect(back)
    return render_template("certification/objection.html", o=found, form=form)


def _decide(actor, objection_id: int):
    reason, document = request.form.get("reason", ""), request.form.get("document") or None
    if request.form.get("decision") == "dismiss":
        return objections.dismiss_objection(db.session, actor, objection_id=objection_id,
                                          reason=reason, document=document)
    changes = {f: request.form[f] for f in ("name", "east", "south", "west", "north", "remark")
               if request.form.get(f)}
    member = {"id_number": request.form.get("member_id_number", "").strip()}
    if member["id_number"]:
        if request.form.get("member_remove"):
            member["remove"] = True
        else:
            member["is_co_holder"] = request.form.get("member_co_holder") == "1"
    return objections.uphold_objection(
        db.session, actor, objection_id=objection_id, reason=reason, document=document,
        parcel_changes=changes or None, reassign_to=request.form.get("reassign_to") or None,
        member_changes=[member] if member["id_number"] else None)


@bp.get("/objections/<int:objection_id>/evidence")
@login_required
def evidence(objection_id: int):
    """Download the evidence file of an objection."""
    found = queries.get_objection(db.session, current_actor(), objection_id)
    if found.evidence is None:
        return redirect(url_for("cert.objection", objection_id=objection_id))
    return Response(found.evidence, mimetype=found.evidence_type,
                    headers={"Content-Disposition": "attachment; filename=evidence-"
                             f"{objection_id}.{found.evidence_name.rsplit('.', 1)[-1]}"})


@bp.route("/households/<code>/confirm", methods=["GET", "POST"])
@login_required
def confirm(code: str):
    """Show what the household may confirm; the farmer confirms, or the officer records the scan."""
    actor, form = current_actor(), FlaskForm()
    found = registry_queries.get_household(db.session, actor, code)
    if request.method == "POST" and form.validate_on_submit():
        back = url_for("cert.confirm", code=code)
        failed, signed = run_and_report(lambda: services.sign_off(
            db.session, actor, household_code=code, scan=uploaded("scan"),
            signer_name=request.form.get("signer_name") or None),
            _("Confirmed. The contract and the register entry are recorded."), back)
        return failed or redirect(url_for("web.household", code=code))
    state = services.household_state(db.session, code)
    return render_template("certification/confirm.html", found=found, state=state, form=form)


@bp.post("/households/<code>/claims")
@login_required
def claim(code: str):
    """Record which surveyed parcels the household claims (codes separated by spaces or lines)."""
    back = url_for("cert.confirm", code=code)
    if (refused := expired_form(back)) is not None:
        return refused
    codes = request.form.get("parcel_codes", "").split()
    failed, claims = run_and_report(lambda: services.claim_parcels(
        db.session, current_actor(), household_code=code, parcels=[{"parcel_code": c} for c in codes]),
        _("The parcels are recorded for this household."), back)
    return failed or redirect(back)


@bp.route("/certificates/<code>", methods=["GET", "POST"])
@login_required
def certificate_list(code: str):
    """List a contract's certificates; the county administrator issues, re-issues or cancels."""
    actor, form = current_actor(), FlaskForm()
    if request.method == "POST" and form.validate_on_submit():
        back = url_for("cert.certificate_list", code=code)
        failed, _result = run_and_report(lambda: _certificate_action(actor, code),
                                _("The certificate record is updated."), back)
        return failed or redirect(back)
    return render_template("certification/certificates.html", code=code, form=form,
                           items=queries.certificates_of(db.session, actor, code))


def _certificate_action(actor, code: str):
    action = request.form.get("action")
    reason, document = request.form.get("reason", ""), request.form.get("document", "")
    if action == "issue":
        return certificates.issue_certificate(db.session, actor, code=code)
    if action == "cancel":
        return certificates.cancel_certificate(db.session, actor, code=code, reason=reason,
                                               document=document)
    return certificates.reissue_certificate(db.session, actor, code=code, kind=action or "",
                                            reason=reason, document=document)


@bp.get("/certificates/<code>/<int:serial>.pdf")
@login_required
def certificate_pdf(code: str, serial: int):
    """Download a certificate as PDF, drawn from the register."""
    from landrights.certification.documents import certificate_pdf as render

    found = queries.get_certificate(db.session, current_actor(), code, serial)
    doc = certificates.certificate_doc(db.session, found, base_url=current_app.config["PUBLIC_BASE_URL"],
                                       key=current_app.config["CERTIFICATE_KEY"].encode())
    return Response(render(doc), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{code}-{serial}.pdf"'})


@bp.get("/verify/<code>")
def verify(code: str):
    """Verify a certificate: anyone, with or without logging in."""
    result = certificates.verify(db.session, current_app.config["CERTIFICATE_KEY"].encode(), code,
                                 serial=request.args.get("n"), day=request.args.get("d"),
                                 sig=request.args.get("s"))
    status = {"not_found": 404, "tampered": 400}.get(result.state, 200)
    return render_template("certification/verify.html", v=result), status


@bp.get("/progress")
@login_required
def progress():
    """Show confirmation progress per county, township and collective, with charts."""
    rows = queries.progress(db.session, current_actor(), area=request.args.get("area") or None)
    return render_template("certification/progress.html", rows=rows, stages=queries.STAGES)


@bp.get("/progress.csv")
@login_required
def progress_csv():
    """Download the progress table as CSV (UTF-8 with BOM, so spreadsheet programs read Chinese)."""
    rows = queries.progress(db.session, current_actor(), area=request.args.get("area") or None)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["level", "code", "name"] + [f"households_{s}" for s in queries.STAGES]
                    + [f"parcels_{s}" for s in queries.STAGES]
                    + [f"parcels_area_m2_{s}" for s in queries.STAGES])
    for r in rows:
        writer.writerow([r["level"], r["code"], r["name"]]
                        + [r["households"][s] for s in queries.STAGES]
                        + [r["parcels"][s] for s in queries.STAGES]
                        + [f"{r['parcels_area_m2'][s]:.2f}" for s in queries.STAGES])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="progress.csv"'})
