"""Pages for county administrators: bring in the county's hand-up package (upload), follow the
import (progress), read its report; and for the officers who resolve them, the ID numbers a
package listed for more than one person (registry.conflicts)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm

from landrights.accounts.views import current_actor
from landrights.errors import DomainError
from landrights.extensions import db
from landrights.handup import permissions, services, uploads
from landrights.handup.cli import summary
from landrights.handup.inputs import ConflictIn, HandupIn
from landrights.registry import conflicts as id_conflicts
from landrights.web.actions import attempt, form_input, run_and_report

bp = Blueprint("handup", __name__, url_prefix="/handups")
STAGES = {"queued": _l("waiting to start"), "read": _l("reading the package"),
          "check": _l("checking across the tables"), "enter": _l("entering the records"),
          "report": _l("writing the report"), "done": _l("done"), "failed": _l("stopped")}


@bp.route("/", methods=["GET", "POST"])
@login_required
def upload():
    """Show the upload form and the county's latest imports; start the import of a package. The
    form is loaded through the API's schema (handup.inputs.HandupIn); a refusal is shown beside
    its field."""
    actor, status = current_actor(), 200
    permissions.require_import_handup(actor)
    if request.method == "POST":
        status, token = _post_start(actor)
        if status is None:
            return redirect(url_for("handup.run", token=token))
    imports = services.list_imports(db.session, actor)
    return render_template("handup/upload.html", form=FlaskForm(), typed=request.form,
                           imports=imports), status


def _post_start(actor) -> tuple[int | None, str | None]:
    """Start the import of the posted package: (None, the run's token), or (400, None) when the
    form expired or the package was refused (flashed for the page shown again, beside its field)."""
    if not FlaskForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return 400, None
    refused, token = attempt(lambda: _start(actor))
    return (400 if refused is not None else None), token


def _start(actor) -> str:
    given = form_input(HandupIn)
    try:
        return uploads.start(given["file"], actor, all_or_nothing=given["all_or_nothing"])
    except DomainError as err:
        err.field = err.field or "file"  # what is wrong with the import is said beside its file
        raise


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


@bp.get("/conflicts")
@login_required
def conflicts():
    """List the ID numbers in conflict with a listing in the officer's area."""
    found = id_conflicts.list_conflicts(db.session, current_actor())
    return render_template("handup/conflicts.html", conflicts=found, form=FlaskForm())


@bp.post("/conflicts")
@login_required
def resolve_conflict():
    """Keep a person in one household, or correct one listing's number."""
    back = url_for("handup.conflicts")
    if not FlaskForm().validate_on_submit():
        flash(_("The form has expired: open the page again."), "error")
        return redirect(back)
    failed, _result = run_and_report(_resolve, _("Recorded: the members of the households concerned "
                                                 "have a new version."), back)
    return failed or redirect(back)


def _resolve():
    """Load the posted resolution through its schema (handup.inputs.ConflictIn), then keep the
    listing or correct its number (registry.conflicts)."""
    given = form_input(ConflictIn)
    fields = {"household_code": given["household_code"], "id_number": given["id_number"],
              "reason": given.get("reason", ""), "document": given.get("document")}
    if given["action"] == "keep":
        return id_conflicts.keep_listing(db.session, current_actor(), **fields)
    return id_conflicts.correct_number(db.session, current_actor(),
                                       new_id_number=given.get("new_id_number", ""), **fields)
