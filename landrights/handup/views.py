"""Pages for county administrators: bring in the county's hand-up package (upload), follow the
import (progress), read its report; and for the officers who resolve them, the ID numbers a
package listed for more than one person (registry.conflicts)."""
from __future__ import annotations

from functools import partial

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, StringField

from landrights.accounts.views import current_actor
from landrights.errors import DomainError
from landrights.extensions import db
from landrights.handup import permissions, services, uploads
from landrights.handup.cli import summary
from landrights.registry import conflicts as id_conflicts
from landrights.web.actions import run_and_report

bp = Blueprint("handup", __name__, url_prefix="/handups")
STAGES = {"queued": _l("waiting to start"), "read": _l("reading the package"),
          "check": _l("checking across the tables"), "enter": _l("entering the records"),
          "report": _l("writing the report"), "done": _l("done"), "failed": _l("stopped")}


class HandupUploadForm(FlaskForm):
    """The county's hand-up package and whether a single critical finding refuses it all."""

    file = FileField(_l("Hand-up package (.zip with 矢量数据 and 权属数据, or .gpkg)"),
                     validators=[FileRequired()])
    all_or_nothing = BooleanField(_l("Enter nothing if any record has a critical finding"))


@bp.route("/", methods=["GET", "POST"])
@login_required
def upload():
    """Show the upload form and the county's latest imports; start the import of a package."""
    actor = current_actor()
    permissions.require_import_handup(actor)
    form = HandupUploadForm()
    if form.validate_on_submit():
        try:
            token = uploads.start(form.file.data, actor,
                                  all_or_nothing=form.all_or_nothing.data)
        except DomainError as err:
            db.session.rollback()
            form.file.errors.append(str(err.message))
        else:
            return redirect(url_for("handup.run", token=token))
    imports = services.list_imports(db.session, actor)
    return render_template("handup/upload.html", form=form, imports=imports), \
        400 if form.errors else 200


@bp.get("/runs/<token>")
@login_required
def run(token: str):
    """Show how far an import has come; once done, its report."""
    state = uploads.progress(current_actor(), token)
    if state.get("stage") == "done":
        return redirect(url_for("handup.report", import_id=state["import_id"]))
    return render_template("handup/run.html", state=state, stages=STAGES,
                           order=["read", "check", "enter", "report"])


@bp.get("/<int:import_id>")
@login_required
def report(import_id: int):
    """Show an import's report: counts per table and every finding."""
    record = services.get_import(db.session, current_actor(), import_id)
    lang = str(get_locale() or "zh")
    found = services.report(db.session, record, lang)
    return render_template("handup/report.html", report=found, summary=summary(found, lang))


class ConflictForm(FlaskForm):
    """One listing of an ID number in conflict, and how the officer resolves it."""

    household_code = HiddenField()
    id_number = HiddenField()
    action = HiddenField()  # keep: the person belongs here; correct: this one's number is wrong
    new_id_number = StringField(_l("Corrected ID number"))
    reason = StringField(_l("Why (e.g. checked against the ID card, the village's confirmation)"))
    document = StringField(_l("Document (optional)"))


@bp.get("/conflicts")
@login_required
def conflicts():
    """List the ID numbers in conflict with a listing in the officer's area."""
    found = id_conflicts.list_conflicts(db.session, current_actor())
    return render_template("handup/conflicts.html", conflicts=found, form=ConflictForm())


@bp.post("/conflicts")
@login_required
def resolve_conflict():
    """Keep a person in one household, or correct one listing's number."""
    form, back = ConflictForm(), url_for("handup.conflicts")
    if not form.validate_on_submit():
        flash(_("The form has expired: open the page again."), "error")
        return redirect(back)
    fields = {"household_code": form.household_code.data, "id_number": form.id_number.data,
              "reason": form.reason.data, "document": form.document.data or None}
    if form.action.data == "keep":
        action = partial(id_conflicts.keep_listing, db.session, current_actor(), **fields)
    else:
        action = partial(id_conflicts.correct_number, db.session, current_actor(),
                         new_id_number=form.new_id_number.data or "", **fields)
    failed, _result = run_and_report(action, _("Recorded: the members of the households concerned "
                                               "have a new version."), back)
    return failed or redirect(back)
