"""Survey pages for township officers: upload a file, read its report with a map of findings."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf import FlaskForm

from landrights.accounts import permissions
from landrights.accounts.views import current_actor
from landrights.errors import DomainError
from landrights.extensions import db
from landrights.registry import queries
from landrights.survey import permissions as survey_permissions
from landrights.survey import rules, services, words
from landrights.survey.inputs import RuleSwitchIn, SurveyIn
from landrights.survey.uploads import import_upload
from landrights.web.actions import attempt, form_input

bp = Blueprint("survey", __name__, url_prefix="/surveys")


@bp.route("/", methods=["GET", "POST"])
@login_required
def upload():
    """Show the upload form and the latest imports; import a posted file. The form is loaded
    through the API's schema (survey.inputs.SurveyIn); a refusal is shown beside its field with
    what was typed kept."""
    actor, status = current_actor(), 200
    if request.method == "POST":
        status, record = _post_import()
        if status is None:
            flash(_("Imported %(n)s parcels; %(u)s unchanged (already in the registry as in the "
                    "file); %(r)s kept out.", n=record.imported,
                    u=(record.classes or {}).get("unchanged", 0), r=record.rejected), "success")
            return redirect(url_for("survey.report", import_id=record.id))
    return render_template("survey_upload.html", form=FlaskForm(), typed=request.form,
                           collectives=queries.list_collectives(db.session, actor),
                           imports=services.list_imports(db.session, actor)), status


def _post_import() -> tuple[int | None, object]:
    """Import the posted file: (None, the import), or (400, None) when the form expired or the
    import was refused (the message flashed for the page shown again, beside its field)."""
    if not FlaskForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
        return 400, None
    refused, record = attempt(_import)
    return (400 if refused is not None else None), record


def _import():
    given = form_input(SurveyIn)
    try:
        return import_upload(given.pop("file"), collective=given["collective"],
                             encoding=given.get("encoding"), crs=given.get("crs"),
                             all_or_nothing=given["all_or_nothing"])
    except DomainError as err:
        err.field = err.field or "file"  # what is wrong with the import is said beside its file
        raise


@bp.get("/<int:import_id>")
@login_required
def report(import_id: int):
    """Show an import's report: counts, classes, findings and their map."""
    record = services.get_import(db.session, current_actor(), import_id)
    return render_template("survey_report.html",
                           report=services.report(db.session, record, str(get_locale())))


@bp.route("/rules", methods=["GET", "POST"])
@login_required
def quality_rules():
    """List the county's quality rules; the county administrator switches them on or off."""
    actor = current_actor()
    county = permissions.county_of(actor)
    if county is None:
        abort(403)
    form = FlaskForm()  # CSRF only
    if request.method == "POST" and form.validate_on_submit():
        switch = form_input(RuleSwitchIn)  # a refusal (or the service's) is the error page, as before
        services.switch_rule(db.session, actor, county_code=county, moment="import", **switch)
        db.session.commit()
        flash(_("The rule “%(rule)s” is now %(state)s.", rule=_rule_name(actor, county, switch["rule_id"]),
                state=_("on") if switch["enabled"] else _("off")), "success")
        return redirect(url_for("survey.quality_rules"))
    pairs = services.list_rules(db.session, actor, county, "import")
    language = str(get_locale() or "zh")
    return render_template("survey_rules.html", pairs=pairs, form=form, county=county,
                           may_switch=survey_permissions.can_switch_rules(actor, county),
                           always_on=rules.ALWAYS_ON,
                           settings={r.id: words.settings_in_words(r.params, language) for r, _on in pairs})


def _rule_name(actor, county: str, rule_id: str) -> str:
    """Return the switched rule as people know it: what it checks, in their language."""
    found = [r for r, _on in services.list_rules(db.session, actor, county, "import") if r.id == rule_id]
    if not found:
        return rule_id
    return found[0].description_en if str(get_locale()) == "en" else found[0].description_zh
