"""JSON API of hand-up imports (issue 18): POST /api/v1/handups imports a county's package and
answers its report; GET /api/v1/handups/<id> reads a report again. The same services as the
page; the import runs inside the request (a client that cannot wait uses the page)."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, Integer, List, Nested, String
from flask import current_app
from flask_babel import get_locale

from landrights.accounts.views import current_actor
from landrights.api.responses import ERRORS
from landrights.api.routing import Routes
from landrights.extensions import db
from landrights.handup import permissions as handup_permissions
from landrights.handup import services
from landrights.handup.inputs import HandupIn
from landrights.handup.uploads import handup_limits
from landrights.uploads import scratch_folder

api = Routes()


class HandupFindingOut(Schema):
    table = String()
    row = Integer(allow_none=True)
    key = String()
    household = String(allow_none=True)
    rule = String()
    severity = String()
    message = String()
    what_to_do = String()


class HandupReport(Schema):
    id = Integer()
    county = String()
    filename = String()
    ownership_format = String()
    layer_format = String()
    encoding = String(allow_none=True)
    source_crs = String()
    all_or_nothing = Boolean()
    created_at = DateTime()
    counts = Dict(metadata={"description": "per NY/T 2539 table: read, entered, changed, "
                                           "unchanged, kept_out"})
    households_kept_out = Integer()
    changed_nothing = Boolean()
    findings = List(Nested(HandupFindingOut))


@api.post("/handups")
@api.input(HandupIn, location="form_and_files")
@api.output(HandupReport, status_code=201)
@api.doc(summary="Import a county's hand-up package (county administrator); returns the report",
        tags=["Hand-up"], responses=[400, 413, *ERRORS])
@db.commits
def create_handup(form_and_files_data):
    upload, actor = form_and_files_data["file"], current_actor()
    handup_permissions.require_import_handup(actor)
    config = current_app.config
    with scratch_folder(config["INSTANCE_DIR"], "handup") as folder:
        name = (upload.filename or "package").replace("\\", "/").rsplit("/", 1)[-1]
        path = folder / ("upload.gpkg" if name.lower().endswith(".gpkg") else "upload")
        upload.save(path)
        record = services.import_handup(db.session, actor, path, filename=name, workdir=folder,
                                        all_or_nothing=form_and_files_data["all_or_nothing"],
                                        limits=handup_limits(config))
    return services.report(db.session, record, str(get_locale()))


@api.get("/handups/<int:import_id>")
@api.output(HandupReport)
@api.doc(summary="The report of one hand-up import", tags=["Hand-up"], responses=ERRORS)
def get_handup(import_id):
    record = services.get_import(db.session, current_actor(), import_id)
    return services.report(db.session, record, str(get_locale()))


def add_routes(bp) -> None:
    """Add this module's routes to the API blueprint."""
    api.register(bp)
