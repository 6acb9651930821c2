"""Uploaded survey files: kept in a private temporary folder only while they are imported."""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask_babel import gettext as _

from landrights.accounts.views import current_actor
from landrights.errors import ValidationFailed
from landrights.extensions import db
from landrights.survey import services as survey


def import_upload(upload, *, collective: str, encoding: str | None, crs: str | None,
                  all_or_nothing: bool):
    """Save an uploaded survey file to a private temp folder, import it, commit; return the import."""
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in (".zip", ".gpkg", ".geojson", ".json"):
        raise ValidationFailed(_("Upload a shapefile as a .zip, a GeoPackage (.gpkg) or GeoJSON."),
                               field="file", rule="R4.3")
    srid = int(crs.upper().removeprefix("EPSG:")) if crs else None
    with tempfile.TemporaryDirectory(prefix="landrights-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        upload.save(path)
        record = survey.import_survey(db.session, current_actor(), path,
                                      collective_code=collective, filename=upload.filename,
                                      encoding=encoding or None, srid=srid,
                                      all_or_nothing=all_or_nothing)
    db.session.commit()
    return record
