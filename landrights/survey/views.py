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
from landrights.survey.forms import SurveyUploadForm
from landrights.survey.uploads import import_upload

bp = Blueprint("survey", __name__, url_prefix="/surveys")


@bp.route("/", methods=["GET", "POST"])
@login_required
def upload():
    """Show the upload form and the latest imports; import a posted file."""
    actor = current_actor()
    form = SurveyUploadForm()
    form.collective.choices = [(c.code, f"{c.code} {c.name}")
                               for c in queries.list_collectives(db.session, actor)]
    if form.validate_on_submit():
        try:
            record = import_upload(form.file.data, collective=form.collective.data,
                                   encoding=form.encoding.data, crs=form.crs.data,
                                   all_or_nothing=form.all_or_nothing.data)
        except DomainError as err:
            db.session.rollback()
            form.file.errors.append(str(err.message))
        else:
            flash(_("Imported %(n)s parcels; %(u)s unchanged (already in the registry as in the "
                    "file); %(r)s kept out.", n=record.imported,
                    u=(record.classes or {}).get("unchanged", 0), r=record.rejected), "success")
            return redirect(url_for("survey.report", import_id=record.id))
    imports = services.list_imports(db.session, actor)
    status = 400 if form.errors else 200
    return render_template("survey_upload.html", form=form, imports=imports), status


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
        enabled = request.form.get("enabled") == "1"
        services.switch_rule(db.session, actor, county_code=county,
                             rule_id=request.form.get("rule_id", ""), moment="import",
                             enabled=enabled)
        db.session.commit()
        flash(_("The rule “%(rule)s” is now %(state)s.", rule=_rule_name(actor, county),
                state=_("on") if enabled else _("off")), "success")
        return redirect(url_for("survey.quality_rules"))
    pairs = services.list_rules(db.session, actor, county, "import")
    language = str(get_locale() or "zh")
    return render_template("survey_rules.html", pairs=pairs, form=form, county=county,
                           may_switch=survey_permissions.can_switch_rules(actor, county),
                           always_on=rules.ALWAYS_ON,
                           settings={r.id: words.settings_in_words(r.params, language) for r, _on in pairs})


def _rule_name(actor, county: str) -> str:
    """Return the switched rule as people know it: what it checks, in their language."""
    rule_id = request.form.get("rule_id", "")
    found = [r for r, _on in services.list_rules(db.session, actor, county, "import") if r.id == rule_id]
    if not found:
        return rule_id
    return found[0].description_en if str(get_locale()) == "en" else found[0].description_zh
