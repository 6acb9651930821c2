"""Pages of the confirmation path: notices and their printouts, objections, the household's
sign-off, certificates, public verification and progress. Each parses input, calls one service or
query, commits once, and renders or redirects with a message saying what happened."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from landrights.accounts.permissions import own_household
from landrights.accounts.views import current_actor
from landrights.certification import certificates, objections, permissions, queries, services
from landrights.certification.inputs import (
    CertificateChangeIn,
    CertificateIn,
    ClaimIn,
    DecisionIn,
    NoticeIn,
    ObjectionIn,
    SignOffIn,
)
from landrights.errors import ValidationFailed
from landrights.extensions import db
from landrights.registry import queries as registry_queries
from landrights.signing import qr
from landrights.web.actions import attempt, form_input, uploaded

bp = Blueprint("cert", __name__)


@bp.app_template_filter("verification_code")
def verification_code(verify_url: str) -> str:
    """The code printed under a QR code, to type at /verify/: certificates, statements and
    attestations, from the HMAC under CERTIFICATE_KEY (landrights.signing.qr)."""
    return qr.verification_code_of(verify_url, current_app.config["CERTIFICATE_KEY"].encode())


def _post(action, done: str) -> tuple[int | None, object]:
    """Run a posted form's one service call: (None, result) when done, or (the status to show the
    form again with, None) when its CSRF check fails or the service refuses; the message is
    flashed for the page rendered next, the error beside its field (landrights.web.actions)."""
    if not FlaskForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return 400, None
    refused, result = attempt(action, done)
    return (refused.status if refused is not None else None), result


@bp.route("/notices/", methods=["GET", "POST"])
@login_required
def notices():
    """List the notices of the user's area; a township officer opens the next one."""
    actor, status = current_actor(), 200
    if request.method == "POST":
        status, notice = _post(lambda: services.open_notice(db.session, actor, **form_input(
            NoticeIn, collective_code=request.form.get("collective"))), _("The notice is open."))
        if status is None:
            return redirect(url_for("cert.notice", notice_id=notice.id))
    return render_template("certification/notices.html", form=FlaskForm(),
                           notices=queries.list_notices(db.session, actor),
                           collectives=registry_queries.list_collectives(db.session, actor),
                           min_days=registry_queries.setting(db.session, "notice_min_days", "7"),
                           typed=request.form), status


@bp.get("/notices/<int:notice_id>")
@login_required
def notice(notice_id: int):
    """Show a notice: households, members (masked), parcels, objections; file an objection."""
    return _notice_page(notice_id)


def _notice_page(notice_id: int, status: int = 200):
    actor = current_actor()
    found = queries.get_notice(db.session, actor, notice_id)
    return render_template("certification/notice.html", found=found, form=FlaskForm(),
                           choices=queries.objection_choices(db.session, actor, found),
                           may_confirm=lambda code: permissions.can_confirm(actor, code),
                           mine=own_household(actor),
                           may_see=lambda o: queries.may_see_objection(actor, o),
                           typed=request.form), status


@bp.get("/notices/<int:notice_id>/print/<any(households, parcels):layout>.<any(html, pdf):fmt>")
@login_required
def notice_print(notice_id: int, layout: str, fmt: str):
    """Print a notice list per household or per parcel (ID numbers masked) with its map sheet."""
    from landrights.certification.documents import Shape, html_to_pdf, sketch_svg

    found = queries.get_notice(db.session, current_actor(), notice_id)
    shapes = queries.notice_shapes(db.session, found)
    sheet = sketch_svg([Shape(*pair) for pair in shapes], width_mm=180, height_mm=150,
                       labels=len(shapes) <= 150) if shapes else ""
    with force_locale("zh"):  # the notice posted in the village is Chinese, its dates too
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
    """File an objection against a household record or a parcel of the notice; on a refusal the
    notice is shown again with the form as typed and the error beside its field."""
    status, objection = _post(lambda: _file(notice_id),
                              _("The objection is filed; the township will decide on it."))
    if status is not None:
        return _notice_page(notice_id, status)
    return redirect(url_for("cert.objection", objection_id=objection.id))


def _file(notice_id: int):
    household_code, parcel_code = _subject()
    given = form_input(ObjectionIn, household_code=household_code, parcel_code=parcel_code)
    return objections.file_objection(db.session, current_actor(), notice_id=notice_id,
                                     evidence=uploaded("evidence"), **given)


def _subject() -> tuple[str, str | None]:
    """Read what the objection is against: the form's one choice, "household" or
    "household/parcel" (so a parcel always comes with its own household), or the two fields."""
    if "subject" not in request.form:
        return request.form.get("household_code", ""), request.form.get("parcel_code") or None
    household_code, _sep, parcel_code = request.form["subject"].partition("/")
    if not household_code:
        raise ValidationFailed(_("Choose what you object to: your household's record or one "
                                 "of the parcels."), field="subject")
    return household_code, parcel_code or None


@bp.route("/objections/<int:objection_id>", methods=["GET", "POST"])
@login_required
def objection(objection_id: int):
    """Show an objection; the township officer dismisses it or upholds it with the correction."""
    actor, status = current_actor(), 200
    if request.method == "POST":
        status, _result = _post(lambda: _decide(actor, objection_id), _("The decision is recorded."))
        if status is None:
            return redirect(url_for("cert.objection", objection_id=objection_id))
    found = queries.objection_page(db.session, actor, objection_id)
    return render_template("certification/objection.html", form=FlaskForm(), typed=request.form,
                           **found), status


def _decide(actor, objection_id: int):
    given = form_input(DecisionIn)  # the corrections too: parcel_changes.east, member_changes.0.id_number
    if given.pop("decision") == "dismiss":
        return objections.dismiss_objection(db.session, actor, objection_id=objection_id,
                                            reason=given["reason"], document=given.get("document"))
    return objections.uphold_objection(db.session, actor, objection_id=objection_id, **given)


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
    actor, status = current_actor(), 200
    found = registry_queries.get_household(db.session, actor, code)
    if request.method == "POST":
        status, _signed = _post(lambda: services.sign_off(
            db.session, actor, household_code=code, scan=uploaded("scan"), **form_input(SignOffIn)),
            _("Confirmed. The contract and the register entry are recorded."))
        if status is None:
            return redirect(url_for("web.household", code=code))
    return _confirm_page(found, code, status)


def _confirm_page(found: dict, code: str, status: int):
    state = services.household_state(db.session, code)
    labels = queries.live_parcel_labels(db.session, [p.code for _claim, p in state.confirmable]
                                        + list(state.withheld))
    return render_template("certification/confirm.html", found=found, state=state, form=FlaskForm(),
                           labels=labels, typed=request.form), status


@bp.post("/households/<code>/claims")
@login_required
def claim(code: str):
    """Record which surveyed parcels the household claims (codes separated by spaces, lines,
    commas or 、: ClaimIn)."""
    actor = current_actor()
    found = registry_queries.get_household(db.session, actor, code)
    status, _claims = _post(lambda: services.claim_parcels(
        db.session, actor, household_code=code,
        parcels=[{"parcel_code": c} for c in form_input(ClaimIn)["parcel_codes"]]),
        _("The parcels are recorded for this household."))
    if status is not None:
        return _confirm_page(found, code, status)
    return redirect(url_for("cert.confirm", code=code))


@bp.get("/certificates/<code>")
@login_required
def certificate_list(code: str):
    """List a contract's certificates, with the acts that apply for the county administrator."""
    found = queries.certificate_page(db.session, current_actor(), code)
    return render_template("certification/certificates.html", code=code, **found)


@bp.route("/certificates/<code>/<any(issue, reissue, replace, cancel):act>",
          methods=["GET", "POST"])
@login_required
def certificate_act(code: str, act: str):
    """Ask the county administrator to confirm an act on a contract's certificate, naming its
    consequence, with the reason and document it needs; carry it out on the confirmation."""
    actor, status = current_actor(), 200
    if request.method == "POST":  # the service decides; the page below shows the state it left
        status, _result = _post(lambda: _certificate_act(actor, code, act), _DONE[act]())
        if status is None:
            return redirect(url_for("cert.certificate_list", code=code))
    found = queries.certificate_page(db.session, actor, code)
    if act not in found["actions"]:  # done meanwhile, or not this actor's: the list says what applies
        if status == 200:
            flash(_("This action does not apply to the certificates of this contract now."), "info")
        return redirect(url_for("cert.certificate_list", code=code))
    return render_template("certification/certificate_act.html", code=code, act=act, form=FlaskForm(),
                           typed=request.form, **found), status


_DONE = {
    "issue": lambda: _("The certificate is issued."),
    "reissue": lambda: _("The certificate is re-issued; the lost one is no longer in force."),
    "replace": lambda: _("The certificate is replaced; the old one is no longer in force."),
    "cancel": lambda: _("The certificate is cancelled."),
}


def _certificate_act(actor, code: str, act: str):
    if act == "issue":
        return certificates.issue_certificate(db.session, actor, **form_input(CertificateIn, code=code))
    given = form_input(CertificateChangeIn, action=act)
    if given.pop("action") == "cancel":
        return certificates.cancel_certificate(db.session, actor, code=code, **given)
    return certificates.reissue_certificate(db.session, actor, code=code, kind=act, **given)


@bp.get("/certificates/<code>/<int:serial>.pdf")
@login_required
def certificate_pdf(code: str, serial: int):
    """Download a certificate as PDF, drawn from the register."""
    from landrights.certification.documents import certificate_pdf as render

    actor = current_actor()
    found = queries.get_certificate(db.session, actor, code, serial)
    doc = certificates.certificate_doc(db.session, found, actor=actor,
                                       base_url=current_app.config["PUBLIC_BASE_URL"],
                                       key=current_app.config["CERTIFICATE_KEY"].encode())
    return Response(render(doc), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{code}-{serial}.pdf"'})


@bp.get("/verify/")
def verify_box():
    """Offer a box for the verification code printed under a document's QR code (or its pasted
    URL): anyone. A code of the right shape goes to its document's verification, which checks the
    signature before it reads the register; any other text gets the same "not verified"."""
    text = request.args.get("code")
    if text is None:
        return render_template("certification/verify.html", v=None, typed="")
    signed = qr.read_verification_code(text)
    if signed is None:
        return render_template("certification/verify.html", typed=text,
                               v=certificates.Verification("unverified", "")), 404
    query = {"code": signed.code, "d": signed.day, "k": signed.key_id, "s": signed.sig}
    if signed.kind == "statement":
        return redirect(url_for("rights.verify_statement", **query))
    if signed.kind == "transfer":
        return redirect(url_for("market_verify.verify_transfer", **query))
    return redirect(url_for("cert.verify", n=signed.serial, **query))


@bp.get("/verify/<code>")
def verify(code: str):
    """Verify a certificate by its QR code's signed data: anyone, with or without logging in."""
    result = certificates.verify(db.session, current_app.config["CERTIFICATE_KEY"].encode(), code,
                                 serial=request.args.get("n"), day=request.args.get("d"),
                                 sig=request.args.get("s"), key_id=request.args.get("k"))
    status = 404 if result.state == "unverified" else 200
    return render_template("certification/verify.html", v=result, typed=""), status


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
