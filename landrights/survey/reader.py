"""Read a survey file as surveyors deliver it: shapefile (folder, .shp or .zip), GeoPackage or
GeoJSON; find its CRS (EPSG:4490 or CGCS2000 3-degree Gauss-Krüger, R4.12-R4.13) and its text
encoding (GBK without .cpg, ECOSYSTEM.md §3.2), and hand back geometries in EPSG:4490.

The delivery is data, never a program (issue 16): intake.py accepts its parts by content and
copies them to fixed names in a private folder; GDAL, restricted to three drivers and no network
(gdal_guard.py), reads only those copies, and its own error text is logged, never shown.

Pure: no database, no Flask. Raises SurveyFileError naming the field and the rule.
"""
from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Transformer

from landrights.geo.crs import STORAGE_SRID
from landrights.survey import gdal_guard
from landrights.survey.errors import SurveyFileError
from landrights.survey.intake import CODE_PAGES, Parts, take_apart
from landrights.survey.package import DEFAULT_LIMITS, Limits

__all__ = ["Limits", "SurveyFile", "SurveyFileError", "read_survey"]
log = logging.getLogger(__name__)

GK3_PREFIXED = range(4513, 4534)  # zone 25..45, false easting zone*1e6 + 500000
GK3_PLAIN = range(4534, 4555)  # CM 75E..135E, false easting 500000
_ESRI_NAMES = (
    (re.compile(r"CGCS2000_3_Degree_GK_Zone_(\d+)", re.I), lambda n: 4488 + n),
    (re.compile(r"CGCS2000_3_Degree_GK_CM_(\d+)E", re.I), lambda n: 4509 + n // 3),
)
_DRIVERS = {"shapefile": "ESRI Shapefile", "geopackage": "GPKG", "geojson": "GeoJSON"}
_PREFIXES = {"geopackage": "GPKG:", "geojson": "GeoJSON:"}  # GDAL's way to name the driver
_SHOWN_CRS_NAME = re.compile(r"[\w .()/+:,-]{1,80}")


@dataclass
class SurveyFile:
    """A survey layer read into memory, geometries already in EPSG:4490."""

    file_format: str
    encoding: str | None
    source_srid: int
    columns: dict[str, list]  # upper-case field name -> one value per feature (text stripped)
    geometries: np.ndarray  # shapely geometries, EPSG:4490
    collectives: list[dict] = field(default_factory=list)  # FBF rows, if the package carries them

    def column(self, name: str) -> list:
        """Return a field's values, one per feature (None throughout if the file lacks it)."""
        found = self.columns.get(name)
        return found if found is not None else [None] * len(self.geometries)


def read_survey(path: str | Path, *, encoding: str | None = None, srid: int | None = None,
                name: str | None = None, workdir: str | Path | None = None,
                limits: Limits = DEFAULT_LIMITS) -> SurveyFile:
    """Read a survey file (folder, .shp, .zip, .gpkg, .geojson) into EPSG:4490 records.

    name is the file's own name (an upload's), workdir the private folder for its parts.
    """
    path = Path(path)
    if not path.exists():
        raise SurveyFileError("missing_file", "file", name=Path(name or path.name).name[:60])
    encoding = known_encoding(encoding)
    gdal_guard.harden()
    with tempfile.TemporaryDirectory(prefix="parts-", dir=workdir) as folder:
        parts = take_apart(path, Path(folder), name=name, limits=limits)
        return _read_layer(parts, encoding, srid)


def known_encoding(encoding: str | None) -> str | None:
    """Return the canonical name of an encoding the user gave, refusing unknown ones."""
    if not encoding or not encoding.strip():
        return None
    canonical = CODE_PAGES.get(encoding.strip().upper())
    if canonical is None:
        raise SurveyFileError("unknown_encoding", "encoding", known=", ".join(
            sorted(set(CODE_PAGES.values()))))
    return canonical


def _gdal(call, *args, **kwargs):
    """Run a pyogrio call on an accepted part; GDAL's message (it may quote the file) is logged."""
    try:
        return call(*args, **kwargs)
    except Exception as exc:  # GDAL raises several types for unreadable files
        log.warning("survey file refused by GDAL: %s", exc)
        raise SurveyFileError("unreadable", "file") from None


def _source(parts: Parts) -> str:
    """Return the connection string naming the driver where GDAL has a prefix for it (and the
    path can follow it unambiguously; the driver is checked after opening either way)."""
    path = str(parts.layer)
    return _PREFIXES.get(parts.file_format, "") + path if ":" not in path else path


def _read_layer(parts: Parts, encoding: str | None, srid: int | None) -> SurveyFile:
    source = _source(parts)
    layer = _dk_layer(source) if parts.file_format == "geopackage" else None
    info = _gdal(pyogrio.read_info, source, layer=layer)
    if info["driver"] != _DRIVERS[parts.file_format]:  # the allow-list leaves no other, but check
        log.warning("survey part %s opened by %s", parts.layer.name, info["driver"])
        raise SurveyFileError("unreadable", "file")
    used, read_with = encoding, encoding
    if parts.file_format == "shapefile" and not encoding:
        # GDAL reads a DBF with no .cpg and no code-page byte as Latin-1, silently garbling
        # GBK; Chinese survey files are GB18030 (a superset of GBK and GB2312) in that case
        if info["encoding"] in (None, "ISO-8859-1"):
            used = read_with = "GB18030"
        else:
            used = info["encoding"]  # GDAL knows it (.cpg or the DBF's code page) and decodes it
    meta, _, wkb, values = _gdal(pyogrio.raw.read, source, layer=layer, encoding=read_with)
    columns = {}
    for name, column in zip(meta["fields"], values, strict=True):
        columns[name.upper()] = _clean_column(column)  # "dkbm" and "DKBM": the last, as before
    geoms = shapely.from_wkb(np.asarray(wkb, dtype=object), on_invalid="ignore")
    crs_text = parts.wkt if parts.file_format == "shapefile" else meta.get("crs")
    source_srid = srid or _srid_of(crs_text, parts.layer)
    geoms = _to_storage(geoms, source_srid)
    return SurveyFile(file_format=parts.file_format, encoding=used or "UTF-8",
                      source_srid=source_srid, columns=columns, geometries=geoms,
                      collectives=_fbf_rows(parts, read_with))


def _dk_layer(source: str) -> str | int:
    layers = [str(name) for name, _ in _gdal(pyogrio.list_layers, source)]
    return next((n for n in layers if n.upper() == "DK"), 0)


def _fbf_rows(parts: Parts, encoding: str | None) -> list[dict]:
    """Read the FBF (发包方) table of the package, if it carries one (R4.17)."""
    found = _fbf_source(parts, encoding)
    if found is None:
        return []
    source, layer, encoding = found
    meta, _, _, values = _gdal(pyogrio.raw.read, source, layer=layer, read_geometry=False,
                               encoding=encoding)
    names = [n.upper() for n in meta["fields"]]
    columns = [_clean_column(column) for column in values]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _fbf_source(parts: Parts, encoding: str | None) -> tuple[str, str | None, str | None] | None:
    """Return (source, layer, encoding) of the package's FBF table, or None when it has none."""
    if parts.file_format == "geopackage":
        source = _source(parts)
        layers = [str(name) for name, _ in _gdal(pyogrio.list_layers, source)]
        layer = next((n for n in layers if n.upper() == "FBF"), None)
        return None if layer is None else (source, layer, encoding)
    if parts.file_format == "shapefile" and parts.fbf is not None:
        source = str(parts.fbf)
        if encoding is None and _gdal(pyogrio.read_info, source)["encoding"] in (None, "ISO-8859-1"):
            encoding = "GB18030"  # its own .cpg or code page, else GBK as the DK table (above)
        return source, None, encoding
    return None


def _clean_column(column: np.ndarray) -> list:
    """Return a column as Python values: text stripped, blanks and NaN as None (one pass)."""
    values = column.tolist()  # numpy scalars become Python ones in C
    if column.dtype.kind == "f":
        return [None if v != v else v for v in values]  # NaN is the only value unequal to itself
    if column.dtype.kind == "O":
        return [(v.strip() or None) if isinstance(v, str) else v for v in values]
    return values


def _srid_of(crs_text: str | None, path: Path) -> int:
    """Return the EPSG code of the layer's CRS, reading Esri names too; refuse none or others."""
    if not crs_text:
        raise SurveyFileError("no_crs", "crs", name="DK" + path.suffix)
    code, name = _epsg_and_name(crs_text)
    if code is None:
        code = _esri_code(name, crs_text)
    if code != STORAGE_SRID and code not in GK3_PREFIXED and code not in GK3_PLAIN:
        raise SurveyFileError("unsupported_crs", "crs", crs=f"EPSG:{code}" if code else _shown(name))
    return code


def _epsg_and_name(crs_text: str) -> tuple[int | None, str | None]:
    """Return the EPSG code pyproj finds for a CRS (or None) and the CRS's name."""
    code = None
    try:
        crs = CRS.from_user_input(crs_text)
        code = crs.to_epsg() or crs.to_epsg(min_confidence=60)
        return code, crs.name
    except Exception:  # pyproj raises CRSError and others for odd WKT
        return code, crs_text


def _esri_code(name: str | None, crs_text: str) -> int | None:
    """Return the EPSG code read from an Esri CRS name (the first pattern that matches), or None."""
    for pattern, to_code in _ESRI_NAMES:
        match = pattern.search(name or "") or pattern.search(crs_text)
        if match:
            return to_code(int(match.group(1)))
    return None


def _shown(name: str | None) -> str:
    """Return a CRS name as the user may see it: a short name, else a question mark."""
    return name if name and _SHOWN_CRS_NAME.fullmatch(name) else "?"


def _to_storage(geoms: np.ndarray, srid: int) -> np.ndarray:
    """Check the eastings against the CRS (zone prefix or not), then transform to EPSG:4490."""
    present = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if len(present) == 0:
        raise SurveyFileError("no_features", "file")
    # the median easting of at most ~1,000 features spread through the layer: enough to tell a
    # zone prefix (millions) from none, without a centroid of every parcel
    sample = present[::max(1, len(present) // 1000)]
    bounds = shapely.bounds(sample)
    x = float(np.median((bounds[:, 0] + bounds[:, 2]) / 2))
    _check_easting(x, srid)
    if srid == STORAGE_SRID:
        return geoms
    transformer = Transformer.from_crs(srid, STORAGE_SRID, always_xy=True)

    def project(coords):
        lon, lat = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, project)


def _check_easting(x: float, srid: int) -> None:
    """Refuse coordinates that disagree with the declared CRS (R4.13)."""
    if srid == STORAGE_SRID:
        if not 73 <= x <= 136:
            raise SurveyFileError("not_degrees", "crs", x=round(x, 1))
        return
    prefix_zone = int(x // 1_000_000)
    if srid in GK3_PREFIXED:
        zone = srid - 4488
        if prefix_zone != zone:
            hint = 4509 + zone if prefix_zone == 0 else 4488 + prefix_zone
            raise SurveyFileError("zone_mismatch", "crs", srid=srid, zone=zone,
                                  found=prefix_zone, hint=hint)
    elif prefix_zone != 0:
        raise SurveyFileError("zone_prefix_unexpected", "crs", srid=srid, found=prefix_zone,
                              hint=4488 + prefix_zone)
