"""The survey import's input contract: what an import takes, loaded by the JSON API
(landrights.api.registry, POST /api/v1/surveys) and by the upload page (web.actions.form_input)
through the same schema, so both refuse the same input naming the same field; and the county
administrator's switch of a quality rule (a page only: the API lists the rules)."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, File, String
from apiflask.validators import Length, Regexp
from flask_babel import lazy_gettext as _l

from landrights import patterns
from landrights.inputs import Code


class SurveyIn(Schema):
    file = File(required=True, metadata={"description": "shapefile .zip, GeoPackage or GeoJSON"},
                error_messages={"required": _l("Choose the survey file to import.")})
    collective = String(required=True, validate=Code(patterns.COLLECTIVE))
    encoding = String(validate=Length(max=20))
    crs = String(validate=Regexp(r"^(EPSG:)?\d{4,5}$", error=_l(
        "Write the coordinate system as EPSG and its number, e.g. EPSG:4530.")),
        metadata={"description": "e.g. EPSG:4530"})
    all_or_nothing = Boolean(load_default=False)


class RuleSwitchIn(Schema):
    rule_id = String(required=True, validate=Length(min=1, max=40))  # quality_rules.id
    enabled = Boolean(required=True)
