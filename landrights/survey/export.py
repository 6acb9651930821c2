"""Export for hand-up (汇交): the DK layer and the NY/T 2539 attribute tables of a collective or a
county, as a GeoPackage or a shapefile folder, in EPSG:4490 or a CGCS2000 3-degree GK zone.

Lives in survey/ because it writes the exchange format the survey reader reads (same field names,
CRS ranges and layer names), and its proof is the round trip through the survey import; it reads
registry, certification and market tables with plain SQL, so no domain below imports it.

Set-based: each table is one query streamed in batches of BATCH rows from a server-side cursor
into column arrays, appended with pyogrio's raw write API; no ORM object per row. Everything is
written to a hidden sibling of OUT and renamed at the end, so a failed export leaves nothing.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyogrio
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights.accounts.permissions import Actor
from landrights.errors import ValidationFailed
from landrights.geo.crs import STORAGE_SRID
from landrights.survey import export_tables as tables
from landrights.survey import permissions
from landrights.survey.reader import GK3_PLAIN, GK3_PREFIXED

BATCH = 50_000
FORMATS = {"gpkg": "GPKG", "shp": "ESRI Shapefile"}
SHAPEFILE_ENCODING = "GBK"  # what hand-up systems read; GDAL writes it into the .cpg
DBF_MAX_BYTES = 254  # a DBF text field holds at most 254 bytes
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass
class ExportResult:
    """What was written: where, how, and the rows of each table."""

    path: Path
    file_format: str
    srid: int
    counts: dict[str, int] = field(default_factory=dict)


def export_package(session: Session, actor: Actor, out: str | Path, *,
                   collective_code: str | None = None, county_code: str | None = None,
                   file_format: str = "gpkg", srid: int = STORAGE_SRID,
                   force: bool = False) -> ExportResult:
    """Export the DK layer and the attribute tables of a collective or a county to OUT.

    Raises:
        Forbidden: the actor may not see this area's full registry (ID numbers included).
        ValidationFailed: neither or both of collective/county, an unknown one ('collective',
            'county'), a format other than gpkg/shp ('format'), a CRS other than EPSG:4490 or a
            CGCS2000 3-degree GK zone ('crs'), an existing OUT without force or a missing folder
            ('out'), or text a GBK shapefile cannot hold ('format').
    """
    prefix = collective_code or county_code or ""
    permissions.require_export_survey(actor, prefix)  # the package carries full ID numbers
    _check_request(session, collective_code, county_code, file_format, srid)
    out = Path(out)
    if not out.parent.is_dir():
        raise ValidationFailed(_l("The folder %(folder)s does not exist.",
                                  folder=str(out.parent)), field="out")
    if out.exists() and not force:
        raise ValidationFailed(_l("%(out)s exists: choose another name or pass --force to "
                                  "replace it.", out=str(out)), field="out")
    params = {"county": prefix[:6], "prefix": prefix + "%", "srid": srid}
    staging = out.parent / f".{out.stem}.part-{os.getpid()}{out.suffix}"  # GDAL wants .gpkg
    _remove(staging)
    result = ExportResult(path=out, file_format=file_format, srid=srid)
    try:
        writer = _Writer(staging, file_format)
        result.counts["DK"] = writer.write(session, tables.DK, params,
                                           extra=_extra_columns(session, params))
        for table in tables.ATTRIBUTE_TABLES:
            result.counts[table.name] = writer.write(session, table, params)
        _replace(staging, out)
    except BaseException:
        _remove(staging)
        raise
    return result


def check_export_crs(srid: int) -> None:
    """Refuse a CRS other than CGCS2000 geographic or a CGCS2000 3-degree GK zone (R4.13).

    Raises:
        ValidationFailed: any other EPSG code (field 'crs').
    """
    if srid != STORAGE_SRID and srid not in GK3_PREFIXED and srid not in GK3_PLAIN:
        raise ValidationFailed(_l("--crs EPSG:%(srid)s is not CGCS2000 (EPSG:4490) or a CGCS2000 "
                                  "3-degree Gauss-Krüger zone (EPSG:4513-4554).", srid=srid),
                               field="crs", rule="R4.13")


def _check_request(session: Session, collective_code: str | None, county_code: str | None,
                   file_format: str, srid: int) -> None:
    if bool(collective_code) == bool(county_code):
        raise ValidationFailed(_l("Give either --collective or --county."), field="collective")
    if file_format not in FORMATS:
        raise ValidationFailed(_l("--format %(format)s: write gpkg (GeoPackage) or shp "
                                  "(shapefile).", format=file_format), field="format")
    check_export_crs(srid)
    if collective_code:
        known = session.scalar(sa.text("SELECT 1 FROM collectives WHERE county_code = :c6 AND "
                                       "code = :c"), {"c6": collective_code[:6],
                                                      "c": collective_code})
        if not known:
            raise ValidationFailed(_l("Unknown collective (发包方) %(code)s.",
                                      code=collective_code), field="collective", rule="R4.5")
    else:
        known = session.scalar(sa.text("SELECT 1 FROM admin_units WHERE county_code = :c AND "
                                       "code = :c AND level = 1"), {"c": county_code})
        if not known:
            raise ValidationFailed(_l("Unknown county %(code)s (6-digit GB/T 2260 code).",
                                      code=county_code), field="county", rule="R4.4")


def _extra_columns(session: Session, params: dict) -> tuple[tuple[str, str, str], ...]:
    """Return the columns for the attributes outside NY/T 2539 the parcels keep (``extra``)."""
    keys = session.scalars(sa.text(
        "SELECT DISTINCT k FROM parcels p, jsonb_object_keys(p.extra) k WHERE p.county_code = "
        ":county AND p.code LIKE :prefix AND p.valid_to IS NULL AND jsonb_typeof(p.extra) = "
        "'object' ORDER BY k"), params).all()
    taken = {name for name, _, _ in tables.DK.columns}
    # keys are the survey file's field names, upper-cased by the reader; bound as literals
    return tuple((k, "p.extra ->> " + _quote(k), "t") for k in keys
                 if _NAME.match(k) and k not in taken)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Writer:
    """Append tables to one GeoPackage, or to DBF/shapefile parts in one folder."""

    def __init__(self, target: Path, file_format: str):
        self.target, self.file_format = target, file_format
        self.driver = FORMATS[file_format]
        if file_format == "shp":
            target.mkdir(parents=True)

    def write(self, session: Session, table: tables.Table, params: dict, *,
              extra: tuple = ()) -> int:
        """Stream one table's rows into its layer; return how many were written."""
        columns, sql = (*table.columns, *extra), table.sql(extra)
        srid = params["srid"] if table.geometry else None
        written = 0
        # a server-side cursor: a county is read BATCH rows at a time, never all at once
        result = session.execute(sa.text(sql), params, execution_options={"yield_per": BATCH})
        for rows in result.partitions(BATCH):  # without a size it would gather every row
            self._append(table.name, columns, rows, srid, append=written > 0)
            written += len(rows)
        if written == 0:
            self._append(table.name, columns, [], srid, append=False)
        return written

    def _append(self, name: str, columns, rows, srid: int | None, *, append: bool) -> None:
        values = list(zip(*rows, strict=True)) if rows else [()] * (len(columns) + bool(srid))
        geometry = None
        if srid is not None:
            geometry, values = np.array(values[0], dtype=object), values[1:]
        data = [_array(v, kind) for v, (_, _, kind) in zip(values, columns, strict=True)]
        names = [n for n, _, _ in columns]
        if self.file_format == "shp":
            _check_gbk(name, names, data)
            path = self.target / (f"{name}.shp" if srid is not None else f"{name}.dbf")
            options = {"encoding": SHAPEFILE_ENCODING}
        else:
            path, options = self.target, {"layer": name}
            if not self.target.exists():
                options["dataset_options"] = {"VERSION": "1.2"}  # readable by GDAL < 3.7 too
        pyogrio.raw.write(path, geometry, data, names, driver=self.driver, append=append,
                          geometry_type="MultiPolygon" if srid is not None else None,
                          crs=f"EPSG:{srid}" if srid is not None else None, **options)


def _array(values, kind: str) -> np.ndarray:
    if kind == "f":
        return np.array(values, dtype=float)  # None becomes NaN, written as null
    if kind == "i":
        return np.array(values, dtype=np.int64)
    if kind == "d":
        return np.array(values, dtype="datetime64[D]")  # None becomes NaT
    return np.array(values, dtype=object)


def _check_gbk(table: str, names: list[str], data: list[np.ndarray]) -> None:
    """Refuse text a GBK DBF cannot hold (a character outside GBK, or over 254 bytes)."""
    for name, column in zip(names, data, strict=True):
        if column.dtype == object:
            _check_gbk_column(table, name, [v for v in column if v])


def _check_gbk_column(table: str, name: str, texts: list[str]) -> None:
    """Refuse a text column with a character outside GBK, or a value over 254 bytes in GBK."""
    try:
        "\n".join(texts).encode(SHAPEFILE_ENCODING)
        too_long = [v for v in texts if len(v) > DBF_MAX_BYTES // 2
                    and len(v.encode(SHAPEFILE_ENCODING)) > DBF_MAX_BYTES]
    except UnicodeEncodeError:
        bad = next(v for v in texts if not _encodes(v))
        raise ValidationFailed(_l(
            "%(table)s.%(field)s: “%(value)s” has a character GBK cannot hold; a GBK shapefile "
            "would lose it. Export with --format gpkg (UTF-8).", table=table, field=name,
            value=bad[:40]), field="format", rule="R4.3") from None
    if too_long:
        raise ValidationFailed(_l(
            "%(table)s.%(field)s: “%(value)s…” is longer than a shapefile text field holds "
            "(254 bytes). Export with --format gpkg.", table=table, field=name,
            value=too_long[0][:40]), field="format", rule="R4.3")


def _encodes(text: str) -> bool:
    try:
        text.encode(SHAPEFILE_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def _replace(staging: Path, out: Path) -> None:
    """Move the finished export into place; an existing OUT (with --force) goes only then."""
    if out.is_file() and staging.is_file():
        os.replace(staging, out)  # one rename: OUT is the old file or the new one, never half
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists() or out.is_symlink():
        os.replace(out, old)
    os.replace(staging, out)
    _remove(old)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()
