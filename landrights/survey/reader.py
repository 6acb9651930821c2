"""Read a survey file as surveyors deliver it: shapefile (folder, .shp or .zip), GeoPackage or
GeoJSON; find its CRS (EPSG:4490 or CGCS2000 3-degree Gauss-Krüger, R4.12-R4.13) and its text
encoding (GBK without .cpg, ECOSYSTEM.md §3.2), and hand back geometries in EPSG:4490.

Pure: no database, no Flask. Raises SurveyFileError naming the field and the rule.
"""
from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Transformer

from landrights.geo.crs import STORAGE_SRID

GK3_PREFIXED = range(4513, 4534)  # zone 25..45, false easting zone*1e6 + 500000
GK3_PLAIN = range(4534, 4555)  # CM 75E..135E, false easting 500000
_ESRI_NAMES = (
    (re.compile(r"CGCS2000_3_Degree_GK_Zone_(\d+)", re.I), lambda n: 4488 + n),
    (re.compile(r"CGCS2000_3_Degree_GK_CM_(\d+)E", re.I), lambda n: 4509 + n // 3),
)
VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")


class SurveyFileError(ValueError):
    """The file cannot be read as a survey layer; says which part and which rule."""

    def __init__(self, key: str, field: str, **params):
        super().__init__(key)
        self.key, self.field, self.params = key, field, params


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


def read_survey(path: str | Path, *, encoding: str | None = None,
                srid: int | None = None) -> SurveyFile:
    """Read a survey file (folder, .shp, .zip, .gpkg, .geojson) into EPSG:4490 records."""
    path = Path(path)
    if not path.exists():
        raise SurveyFileError("missing_file", "file", name=path.name)
    with tempfile.TemporaryDirectory(prefix="landrights-survey-") as tmp:
        source = _unpack(path, Path(tmp)) if path.suffix.lower() == ".zip" else path
        layer_path, file_format = _find_layer(source)
        return _read_layer(layer_path, file_format, encoding, srid)


def _unpack(path: Path, into: Path) -> Path:
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                target = (into / member).resolve()
                if not target.is_relative_to(into.resolve()):
                    raise SurveyFileError("broken_zip", "file", name=path.name)
            archive.extractall(into)
    except (zipfile.BadZipFile, OSError, EOFError):
        raise SurveyFileError("broken_zip", "file", name=path.name) from None
    return into


def _find_layer(source: Path) -> tuple[Path, str]:
    if source.is_file():
        candidates = [source]
    else:
        candidates = sorted(p for p in source.rglob("*") if p.suffix.lower() in VECTOR_SUFFIXES
                            and not p.name.startswith("."))
    shps = [p for p in candidates if p.suffix.lower() == ".shp"]
    dk = [p for p in shps if p.stem.upper().startswith("DK")] or shps
    chosen = dk[0] if dk else (candidates[0] if candidates else None)
    if chosen is None:
        raise SurveyFileError("no_layer", "file", name=source.name)
    suffix = chosen.suffix.lower()
    if suffix == ".shp":
        for part in (".dbf", ".shx"):
            if not _sibling(chosen, part):
                raise SurveyFileError("missing_part", "file", name=chosen.name, part=part)
        return chosen, "shapefile"
    return chosen, "geopackage" if suffix == ".gpkg" else "geojson"


def _sibling(shp: Path, suffix: str) -> Path | None:
    for p in shp.parent.iterdir():
        if p.stem == shp.stem and p.suffix.lower() == suffix:
            return p
    return None


def _read_layer(path: Path, file_format: str, encoding: str | None, srid: int | None) -> SurveyFile:
    layer = _dk_layer(path) if file_format == "geopackage" else None
    used, read_with = encoding, encoding
    if file_format == "shapefile" and not encoding:
        # GDAL reads a DBF with no .cpg and no code-page byte as Latin-1, silently garbling
        # GBK; Chinese survey files are GB18030 (a superset of GBK and GB2312) in that case
        detected = pyogrio.read_info(path)["encoding"]
        if detected in (None, "ISO-8859-1"):
            used = read_with = "GB18030"
        else:
            used = detected  # GDAL knows it (.cpg or the DBF's code page) and decodes it itself
    try:
        meta, _, wkb, values = pyogrio.raw.read(path, layer=layer, encoding=read_with)
    except Exception as exc:  # GDAL raises several types for unreadable files
        raise SurveyFileError("unreadable", "file", name=path.name, reason=str(exc)) from None
    columns = {}
    for name, column in zip(meta["fields"], values, strict=True):
        columns[name.upper()] = _clean_column(column)  # "dkbm" and "DKBM": the last, as before
    geoms = shapely.from_wkb(np.asarray(wkb, dtype=object), on_invalid="ignore")
    source_srid = srid or _srid_of(meta.get("crs"), path)
    geoms = _to_storage(geoms, source_srid)
    return SurveyFile(file_format=file_format, encoding=used or "UTF-8", source_srid=source_srid,
                      columns=columns, geometries=geoms,
                      collectives=_fbf_rows(path, file_format, read_with))


def _dk_layer(path: Path) -> str | int:
    layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    return next((n for n in layers if n.upper() == "DK"), 0)


def _fbf_rows(path: Path, file_format: str, encoding: str | None) -> list[dict]:
    """Read the FBF (发包方) table of the package, if it carries one (R4.17)."""
    if file_format == "geopackage":
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        source, layer = path, next((n for n in layers if n.upper() == "FBF"), None)
        if layer is None:
            return []
    elif file_format == "shapefile":
        source = next((p for p in path.parent.iterdir() if p.name.upper() == "FBF.DBF"), None)
        layer = None
        if source is None:
            return []
    else:
        return []
    meta, _, _, values = pyogrio.raw.read(source, layer=layer, read_geometry=False,
                                          encoding=encoding)
    names = [n.upper() for n in meta["fields"]]
    columns = [_clean_column(column) for column in values]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


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
        raise SurveyFileError("no_crs", "crs", name=path.name)
    code = None
    try:
        crs = CRS.from_user_input(crs_text)
        code = crs.to_epsg() or crs.to_epsg(min_confidence=60)
        name = crs.name
    except Exception:  # pyproj raises CRSError and others for odd WKT
        name = crs_text
    for pattern, to_code in _ESRI_NAMES:
        match = pattern.search(name or "") or pattern.search(crs_text)
        if code is None and match:
            code = to_code(int(match.group(1)))
    if code != STORAGE_SRID and code not in GK3_PREFIXED and code not in GK3_PLAIN:
        raise SurveyFileError("unsupported_crs", "crs", crs=f"EPSG:{code}" if code else name)
    return code


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
