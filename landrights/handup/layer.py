"""Stage a package's DK layer with the survey import's own reader, a batch of features at a time.

The layer's parts are accepted by survey/intake.py (content-checked copies at fixed names, the
zip limits) and read by GDAL restricted by survey/gdal_guard.py, as for any survey file; the CRS
and text encoding are found as survey/reader.py finds them. A county's layer (a million parcels)
is read BATCH features at a time and each batch goes by binary COPY into the survey's staging
table (survey_stage: the survey's quality SQL reads the same columns), so the whole layer is
never in memory at once.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from sqlalchemy.orm import Session

from landrights.survey import gdal_guard
from landrights.survey import reader as survey_reader
from landrights.survey import services as survey
from landrights.survey.intake import take_apart
from landrights.survey.package import Limits
from landrights.survey.reader import SurveyFile, SurveyFileError

BATCH = 100_000


@dataclass
class LayerInfo:
    """How the DK layer was read."""

    file_format: str
    encoding: str | None
    srid: int
    features: int


def stage_layer(session: Session, path: Path, *, name: str, workdir: Path, limits: Limits,
                encoding: str | None = None, srid: int | None = None) -> LayerInfo:
    """Read the package's DK layer into survey_stage (EPSG:4490, one row per feature).

    Raises:
        SurveyFileError: as the survey reader (no layer, no CRS, unreadable, beyond the limits).
    """
    encoding = survey_reader.known_encoding(encoding)
    gdal_guard.harden()
    with tempfile.TemporaryDirectory(prefix="parts-", dir=workdir) as folder:
        parts = take_apart(path, Path(folder), name=name, limits=limits)
        source = survey_reader._source(parts)
        layer = survey_reader._dk_layer(source) if parts.file_format == "geopackage" else None
        info = survey_reader._gdal(pyogrio.read_info, source, layer=layer)
        used = encoding
        if parts.file_format == "shapefile" and not encoding:
            # as the survey reader: a DBF with no .cpg and no code page is GBK (GB18030)
            used = "GB18030" if info["encoding"] in (None, "ISO-8859-1") else None
        crs_text = parts.wkt if parts.file_format == "shapefile" else info.get("crs")
        source_srid = srid or survey_reader._srid_of(crs_text, parts.layer)
        _create_stage(session)
        for start in range(0, max(info["features"], 1), BATCH):
            _stage_batch(session, source, layer, used, source_srid, start, parts.file_format)
    conn = session.connection()
    conn.exec_driver_sql("CREATE INDEX ON survey_stage USING gist (geom)")
    conn.exec_driver_sql("CREATE INDEX ON survey_stage (parcel_code)")
    conn.exec_driver_sql("ANALYZE survey_stage (row_no, parcel_code, ok, geom)")
    return LayerInfo(parts.file_format, used or info["encoding"] or "UTF-8", source_srid,
                     info["features"])


def _create_stage(session: Session) -> None:
    conn = session.connection()
    for statement in survey._STAGE_DDL.split(";"):
        conn.exec_driver_sql(statement)


def _stage_batch(session: Session, source: str, layer, encoding: str | None, srid: int,
                 start: int, file_format: str) -> None:
    meta, _, wkb, values = survey_reader._gdal(pyogrio.raw.read, source, layer=layer,
                                               encoding=encoding, skip_features=start,
                                               max_features=BATCH)
    if len(wkb) == 0:
        if start == 0:
            raise SurveyFileError("no_features", "file")
        return
    columns = {n.upper(): survey_reader._clean_column(c)
               for n, c in zip(meta["fields"], values, strict=True)}
    geoms = shapely.from_wkb(np.asarray(wkb, dtype=object), on_invalid="ignore")
    geoms = survey_reader._to_storage(geoms, srid)
    batch = SurveyFile(file_format=file_format, encoding=encoding, source_srid=srid,
                       columns=columns, geometries=geoms)
    codes = survey.parcel_codes(batch)
    staged = survey._stage_columns(batch, codes, survey._usable(geoms))
    staged[0] = list(range(start + 1, start + len(codes) + 1))
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY survey_stage ({', '.join(survey.STAGE_COLUMNS)}) FROM STDIN "
                     "(FORMAT BINARY)") as copy:
        copy.set_types(survey._STAGE_TYPES)
        for row in zip(*staged, strict=True):
            copy.write_row(row)
