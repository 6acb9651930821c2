"""Uploaded survey files: kept in a private folder of the instance only while they are imported."""
from __future__ import annotations

from pathlib import PurePosixPath

from flask import current_app
from flask_babel import gettext as _

from landrights.accounts.views import current_actor
from landrights.errors import ValidationFailed
from landrights.extensions import db
from landrights.survey import permissions
from landrights.survey import services as survey
from landrights.survey.package import Limits
from landrights.uploads import scratch_folder

UPLOAD_SUFFIXES = (".zip", ".gpkg", ".geojson", ".json")


def survey_limits(config) -> Limits:
    """Return how far an uploaded package may unpack: five times the upload limit."""
    return Limits(unpacked_bytes=5 * (config["SURVEY_UPLOAD_MAX_MB"] << 20))


def import_upload(upload, *, collective: str, encoding: str | None, crs: str | None,
                  all_or_nothing: bool):
    """Save an uploaded survey file to a private folder, import it, commit; return the import.

    Raises:
        Forbidden: the actor may not edit this collective (checked before the file is saved).
        ValidationFailed: not a .zip, .gpkg, .geojson or .json; or what import_survey refuses.
    """
    actor = current_actor()
    permissions.require_import_survey(actor, collective)
    suffix = PurePosixPath((upload.filename or "").replace("\\", "/")).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ValidationFailed(_("Upload a shapefile as a .zip, a GeoPackage (.gpkg) or GeoJSON."),
                               field="file", rule="R4.3")
    srid = int(crs.upper().removeprefix("EPSG:")) if crs else None
    config = current_app.config
    with scratch_folder(config["INSTANCE_DIR"], "survey") as folder:
        path = folder / "upload"  # our name; the user's is only read for its suffix and shown
        upload.save(path)
        record = survey.import_survey(db.session, actor, path, collective_code=collective,
                                      filename=upload.filename, encoding=encoding or None,
                                      srid=srid, all_or_nothing=all_or_nothing, workdir=folder,
                                      limits=survey_limits(config))
    db.session.commit()
    return record
