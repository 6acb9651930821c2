"""The hand-up import's input contracts: what a county's package import takes, loaded by the JSON
API (landrights.api.handups, POST /api/v1/handups) and by the upload page (web.actions.form_input)
through the same schema, so both refuse the same input naming the same field; and what an officer
posts to resolve an ID number in conflict (registry.conflicts; a page only, no API twin)."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, File, String
from apiflask.validators import Length
from flask_babel import lazy_gettext as _l

from landrights import patterns
from landrights.inputs import ID_NUMBER, Code, one_of
from landrights.patterns import ID_NUMBER_MAX

RESOLUTIONS = ("keep", "correct")  # registry.conflicts.keep_listing, correct_number


class HandupIn(Schema):
    file = File(required=True, metadata={"description": "the package: .zip holding 矢量数据 and "
                                                        "权属数据, or the export's .gpkg"},
                error_messages={"required": _l("Choose the hand-up package to import.")})
    all_or_nothing = Boolean(load_default=False)


class ConflictIn(Schema):
    household_code = String(required=True, validate=Code(patterns.HOUSEHOLD))
    id_number = String(required=True, validate=ID_NUMBER)
    action = String(required=True, validate=one_of(RESOLUTIONS),
                    metadata={"description": "keep: the person belongs here; correct: this one's "
                                             "number is wrong"})
    new_id_number = String(validate=Length(max=ID_NUMBER_MAX))
    reason = String()  # left blank: the service asks for one in its own words
    document = String(validate=Length(max=200))  # change_events.document
