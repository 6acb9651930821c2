"""The survey upload form (CSRF-protected)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Optional, Regexp


class SurveyUploadForm(FlaskForm):
    """A survey file and how to read it."""

    file = FileField(_l("Survey file (.zip shapefile, .gpkg, .geojson)"), validators=[FileRequired()])
    collective = SelectField(_l("Collective (发包方)"), choices=[])
    encoding = StringField(_l("Text encoding (leave empty to detect)"), validators=[Optional()])
    crs = StringField(_l("Coordinate system if the file has none (e.g. EPSG:4530)"),
                      validators=[Optional(), Regexp(r"^(EPSG:)?\d{4,5}$")])
    all_or_nothing = BooleanField(_l("Import nothing if any parcel has a critical finding"))
