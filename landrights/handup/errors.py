"""The user's message for a hand-up package the import cannot read: names the field and what was
found, never the package's own text nor a tool's (as the survey's file errors, issue 16)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from landrights.errors import Formatted, ValidationFailed
from landrights.survey.errors import SurveyFileError
from landrights.survey.file_errors import file_error as survey_file_error

_MESSAGES = {
    "handup_not_package": _l("%(name)s is not a hand-up package: send the folder or the .zip "
                             "holding 矢量数据 and 权属数据, or the GeoPackage `landrights export` "
                             "wrote."),
    "handup_no_tables": _l("The package holds no ownership data (权属数据): an Access database "
                           "(.mdb), the NY/T 2539 tables as DBF files (FBF.dbf, CBF.dbf, …) or "
                           "a GeoPackage holding them."),
    "handup_several_databases": _l("The package holds %(count)s Access databases: send the one "
                                   "of this county's hand-up alone."),
    "handup_not_mdb": _l("The package's .mdb file is not an Access database."),
    "handup_no_mdbtools": _l("This server cannot read Access databases: install mdbtools "
                             "(scripts/bootstrap.sh does), or send the tables as DBF or "
                             "GeoPackage."),
}


def file_error(err: SurveyFileError) -> ValidationFailed:
    """Return the ValidationFailed for a package the import cannot read."""
    message = _MESSAGES.get(err.key)
    if message is None:
        return survey_file_error(err)
    return ValidationFailed(Formatted(message, err.params), field=err.field, rule="R4.17")
