"""Take a survey delivery apart as data (issue 16, finding 1): recognise each part by its content,
copy the parts the import reads to fixed names of our own in a private folder, and refuse the rest.

What is accepted, and what GDAL later sees:
* a shapefile (folder, .shp, or inside a .zip): DK.shp/.shx (file code 9994), DK.dbf (a dBASE
  table) become dk.shp/.shx/.dbf; the .prj must be WKT text and is read here, never by GDAL; the
  .cpg must name a known code page and is rewritten with its canonical name; FBF.dbf likewise;
* a GeoPackage: an SQLite file with the GeoPackage application id, no views, no virtual tables but
  R-trees, no generated columns and no triggers but the standard ones GDAL writes: dk.gpkg;
* GeoJSON: parsed here as JSON (bounded size) and written again with only the members GeoJSON
  defines, a CRS given by name only: dk.geojson.
A zip is read member by member with a cap on the unpacked size and on each member's compression
ratio, before anything is written; nested archives, links, absolute or ../ paths are refused.
No name from the delivery reaches GDAL, nor anything GDAL could follow (a path, a URL, SQL).

Pure: no Flask, no database. Raises SurveyFileError (reader.py) naming the field and what was found.
"""
from __future__ import annotations

import codecs
import re
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from landrights.survey.errors import SurveyFileError
from landrights.survey.geojson_clean import clean_geojson
from landrights.survey.package import DBF_VERSIONS, DEFAULT_LIMITS, Budget, Folder, Limits, Zip

__all__ = ["Limits", "Parts", "take_apart", "sniff"]

SMALL = 16 << 10  # the most a .prj or .cpg may hold
LAYER_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")
# .cpg contents seen in Chinese survey packages -> the name GDAL and Python both know
CODE_PAGES = {
    "UTF-8": "UTF-8", "UTF8": "UTF-8", "65001": "UTF-8",
    "GBK": "GBK", "CP936": "GBK", "936": "GBK", "GB2312": "GBK",
    "GB18030": "GB18030", "54936": "GB18030", "BIG5": "BIG5", "CP950": "BIG5", "950": "BIG5",
    "ISO-8859-1": "ISO-8859-1", "ISO8859-1": "ISO-8859-1", "8859-1": "ISO-8859-1",
    "88591": "ISO-8859-1", "LATIN1": "ISO-8859-1", "CP1252": "CP1252", "1252": "CP1252",
    "WINDOWS-1252": "CP1252", "ANSI 1252": "CP1252", "ANSI 936": "GBK", "ANSI 54936": "GB18030",
}
_SHAPE_TYPES = {0, 1, 3, 5, 8, 11, 13, 15, 18, 21, 23, 25, 28, 31}
_WKT_STARTS = ("PROJCS[", "GEOGCS[", "PROJCRS[", "GEOGCRS[", "GEODCRS[", "PROJECTEDCRS[",
               "GEOGRAPHICCRS[", "GEODETICCRS[")


@dataclass
class Parts:
    """The delivery's parts, accepted and copied to fixed names; what the reader hands to GDAL."""

    file_format: str  # shapefile | geopackage | geojson
    layer: Path  # dk.shp, dk.gpkg or dk.geojson in the private folder
    wkt: str | None = None  # the shapefile's .prj, checked as WKT
    encoding: str | None = None  # the shapefile's .cpg, canonical
    fbf: Path | None = None  # fbf.dbf: the 发包方 table shipped beside a shapefile


def take_apart(source: Path, into: Path, *, name: str | None = None,
               limits: Limits = DEFAULT_LIMITS) -> Parts:
    """Accept a delivery (folder, .shp, .zip, .gpkg, .geojson/.json) into the empty folder into.

    name is the delivery's own name (an upload's filename); its suffix must agree with the content.
    """
    name = name or source.name
    if source.is_dir():
        return _accept(Folder(source), into, limits)
    if not source.is_file():
        raise SurveyFileError("missing_file", "file", name=_shown(name))
    suffix = PurePosixPath(name).suffix.lower()
    found = sniff(source)
    expected = {".zip": "zip", ".gpkg": "sqlite", ".geojson": "json", ".json": "json",
                ".shp": "shape"}.get(suffix)
    if expected is None:
        raise SurveyFileError("unsupported_type", "file", name=_shown(name))
    if found != expected:
        raise SurveyFileError("not_what_it_says", "file", name=_shown(name), expected=expected,
                              found=found)
    if found == "zip":
        with Zip(source, limits) as archive:
            return _accept(archive, into, limits)
    if found == "shape":  # a .shp named on the command line: its folder, this layer
        return _accept(Folder(source.parent, recursive=False), into, limits, prefer=source.name)
    role = "gpkg" if found == "sqlite" else "geojson"
    _copy_file(source, into / _FIXED[role], limits.unpacked_bytes)
    return _checked(role, into, limits)


def sniff(path: Path) -> str:
    """Name what a file holds from its first bytes: zip, sqlite, json, xml, shape, dbf, text,
    binary or empty."""
    with path.open("rb") as f:
        head = f.read(512)
    if not head:
        return "empty"
    return _by_signature(head) or _text_or_binary(head)


def _by_signature(head: bytes) -> str | None:
    """Name a file by its signature or first character, or None when neither tells."""
    body = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if body.startswith((b"{", b"[")):
        return "json"
    if body.startswith(b"<"):
        return "xml"
    if len(head) >= 100 and int.from_bytes(head[:4], "big") == 9994:
        return "shape"
    if head[0] in DBF_VERSIONS and len(head) >= 32 and _dbf_header_ok(head, None):
        return "dbf"
    return None


def _text_or_binary(head: bytes) -> str:
    """Tell UTF-8 text from other bytes."""
    try:  # incremental: a character cut at byte 512 is not an error
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "binary"
    return "text"


# --- choosing the parts -------------------------------------------------------------------------

_FIXED = {"shp": "dk.shp", "shx": "dk.shx", "dbf": "dk.dbf", "fbf": "fbf.dbf", "gpkg": "dk.gpkg",
          "geojson": "dk.geojson.in"}


def _select(names: list[str], prefer: str | None = None) -> dict[str, str]:
    """Return role -> member name of the parts the import reads (a DK shapefile first)."""
    visible = sorted(n for n in names if not _hidden(n))
    dk = _dk_shapefiles(visible, prefer)
    if dk:
        return _shapefile_parts(dk[0], visible)
    layers = [n for n in visible if n.lower().endswith(LAYER_SUFFIXES)]
    if not layers:
        raise SurveyFileError("no_layer", "file")
    return {"gpkg" if layers[0].lower().endswith(".gpkg") else "geojson": layers[0]}


def _hidden(name: str) -> bool:
    """Tell a member no one meant to send: in or named like a dot folder, or macOS's __MACOSX."""
    return any(part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(name).parts)


def _dk_shapefiles(visible: list[str], prefer: str | None) -> list[str]:
    """Return the .shp members (the one preferred, if named), those named DK… first if any."""
    shps = [n for n in visible if n.lower().endswith(".shp")]
    if prefer:
        shps = [n for n in shps if n == prefer]
    return [n for n in shps if PurePosixPath(n).name.upper().startswith("DK")] or shps


def _shapefile_parts(shp: str, names: list[str]) -> dict[str, str]:
    path = PurePosixPath(shp)
    beside = {PurePosixPath(n).name: n for n in names if PurePosixPath(n).parent == path.parent}
    parts = {"shp": shp}
    for role in ("shx", "dbf", "prj", "cpg"):
        found = _sibling(beside, path.stem, role)
        if found:
            parts[role] = found
        elif role in ("shx", "dbf"):
            raise SurveyFileError("missing_part", "file", name=_shown(path.name), part=f".{role}")
    parts.update(_fbf_parts(beside))
    return parts


def _sibling(beside: dict[str, str], stem: str, role: str) -> str | None:
    """Return the member beside the .shp with its stem and the role's suffix (any case), or None."""
    return next((n for base, n in beside.items()
                 if PurePosixPath(base).stem == stem and PurePosixPath(base).suffix.lower() == f".{role}"),
                None)


def _fbf_parts(beside: dict[str, str]) -> dict[str, str]:
    """Return the FBF (发包方) table and its code page beside the .shp, if there."""
    parts = {}
    for base, n in beside.items():
        if base.upper() == "FBF.DBF":
            parts["fbf"] = n
        elif base.upper() == "FBF.CPG":
            parts["fbf_cpg"] = n
    return parts


def _accept(source, into: Path, limits: Limits, prefer: str | None = None) -> Parts:
    chosen = _select(source.names(), prefer)
    budget = Budget(limits.unpacked_bytes)
    texts = {}
    for role, member in chosen.items():
        if role in ("prj", "cpg", "fbf_cpg"):
            texts[role] = source.read_small(member, SMALL + 1)
        else:
            source.copy(member, into / _FIXED[role], budget)
    if "gpkg" in chosen or "geojson" in chosen:
        return _checked("gpkg" if "gpkg" in chosen else "geojson", into, limits)
    return _shapefile(into, texts, chosen)


def _checked(role: str, into: Path, limits: Limits) -> Parts:
    if role == "gpkg":
        check_geopackage(into / _FIXED["gpkg"])
        return Parts("geopackage", into / _FIXED["gpkg"])
    raw = into / _FIXED["geojson"]
    if raw.stat().st_size > limits.geojson_bytes:
        raise SurveyFileError("geojson_too_big", "file", mb=limits.geojson_bytes >> 20)
    layer = into / "dk.geojson"
    layer.write_bytes(clean_geojson(raw.read_bytes()))
    raw.unlink()
    return Parts("geojson", layer)


def _shapefile(into: Path, texts: dict[str, bytes], chosen: dict[str, str]) -> Parts:
    for role in ("shp", "shx"):
        check_shape_header(into / _FIXED[role], chosen[role])
    for role in ("dbf", "fbf"):
        if role in chosen:
            check_dbf(into / _FIXED[role], chosen[role])
    encoding = code_page(texts["cpg"], chosen["cpg"]) if "cpg" in texts else None
    if encoding:
        (into / "dk.cpg").write_text(encoding, encoding="ascii")
    if "fbf_cpg" in texts and "fbf" in chosen:
        (into / "fbf.cpg").write_text(code_page(texts["fbf_cpg"], chosen["fbf_cpg"]),
                                      encoding="ascii")
    wkt = prj_wkt(texts["prj"], chosen["prj"]) if "prj" in texts else None
    return Parts("shapefile", into / _FIXED["shp"], wkt=wkt, encoding=encoding,
                 fbf=into / _FIXED["fbf"] if "fbf" in chosen else None)


# --- content checks -----------------------------------------------------------------------------

def check_shape_header(path: Path, name: str) -> None:
    """Refuse a .shp/.shx whose header is not a shapefile's (file code 9994, version 1000)."""
    with path.open("rb") as f:
        head = f.read(100)
    ok = (len(head) == 100 and int.from_bytes(head[:4], "big") == 9994
          and int.from_bytes(head[28:32], "little") == 1000
          and int.from_bytes(head[32:36], "little") in _SHAPE_TYPES)
    if not ok:
        raise SurveyFileError("not_what_it_says", "file", name=_shown(name), expected="shape",
                              found=sniff(path))


def check_dbf(path: Path, name: str) -> None:
    """Refuse a .dbf that is not a dBASE table (version byte, header and record sizes)."""
    with path.open("rb") as f:
        head = f.read(32)
    if not (len(head) == 32 and head[0] in DBF_VERSIONS
            and _dbf_header_ok(head, path.stat().st_size)):
        raise SurveyFileError("not_what_it_says", "file", name=_shown(name), expected="dbf",
                              found=sniff(path))


def _dbf_header_ok(head: bytes, size: int | None) -> bool:
    records = int.from_bytes(head[4:8], "little")
    header, record = int.from_bytes(head[8:10], "little"), int.from_bytes(head[10:12], "little")
    month, day = head[2], head[3]
    if header < 33 or record < 1 or not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    return size is None or header + records * record <= size


def code_page(raw: bytes, name: str) -> str:
    """Return the canonical encoding a .cpg names, refusing anything else (a path, a URL…)."""
    text = raw.decode("ascii", "replace").strip().upper()
    if len(raw) > SMALL or text not in CODE_PAGES:
        raise SurveyFileError("bad_cpg", "file", name=_shown(name))
    return CODE_PAGES[text]


def prj_wkt(raw: bytes, name: str) -> str:
    """Return a .prj's text if it is a coordinate system in WKT (parsed by pyproj from text)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        text = raw.decode("utf-8-sig").strip()
        if len(raw) > SMALL or not text.upper().startswith(_WKT_STARTS):
            raise ValueError(text[:10])
        CRS.from_wkt(text)
    except (UnicodeDecodeError, ValueError, CRSError):
        raise SurveyFileError("bad_prj", "file", name=_shown(name)) from None
    return text


_STANDARD_TRIGGERS = (
    # (trigger name pattern, table) as GDAL and the GeoPackage standard create them
    (r"rtree_{t}_\w+_(insert|update\d|delete)", "{t}"),
    (r"trigger_(insert|delete)_feature_count_{t}", "{t}"),
    (r"gpkg_tile_matrix_(zoom_level|matrix_width|matrix_height|pixel_x_size|pixel_y_size)_"
     r"(insert|update)", "gpkg_tile_matrix"),
    (r"gpkg_metadata_md_scope_(insert|update)", "gpkg_metadata"),
    (r"gpkg_metadata_reference_(reference_scope|column_name|row_id_value|timestamp)_"
     r"(insert|update)", "gpkg_metadata_reference"),
)


def check_geopackage(path: Path) -> None:
    """Refuse an SQLite file that is not a plain GeoPackage: no application id 'GPKG', a view, a
    virtual table other than an R-tree, a generated column, or a trigger of its own."""
    with path.open("rb") as f:
        head = f.read(100)
    if not head.startswith(b"SQLite format 3\x00") or head[68:72] not in (b"GPKG", b"GP10",
                                                                           b"GP11"):
        raise SurveyFileError("not_geopackage", "file", found=sniff(path))
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1",
                                     uri=True)) as db:
            objects = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
            generated = _with_generated_columns(db, objects)
    except sqlite3.Error:
        raise SurveyFileError("not_geopackage", "file", found="sqlite") from None
    problem = next((p for p in map(_schema_problem, objects) if p), None)
    if problem or generated:
        raise SurveyFileError("unsafe_geopackage", "file", found=problem or "generated")


def _with_generated_columns(db: sqlite3.Connection, objects: list) -> list[str]:
    """Return the ordinary tables that have a generated column (pragma table_xinfo hidden 2 or 3)."""
    return [t for kind, t, _, sql in objects if kind == "table" and not _virtual(sql)
            and any(col[6] in (2, 3) for col in db.execute("SELECT * FROM pragma_table_xinfo(?)", (t,)))]


def _virtual(sql: str | None) -> bool:
    return bool(sql) and sql.lstrip().upper().startswith("CREATE VIRTUAL TABLE")


def _schema_problem(row) -> str | None:
    kind, name, table, sql = row
    if kind == "view":
        return "view"
    if kind == "table" and _virtual(sql) and not re.search(r"\bUSING\s+rtree\s*\(", sql, re.I):
        return "virtual"
    if kind == "trigger" and not any(
            re.fullmatch(pattern.format(t=re.escape(table)), name)
            and on.format(t=table) == table for pattern, on in _STANDARD_TRIGGERS):
        return "trigger"
    return None


def _copy_file(source: Path, target: Path, cap: int) -> None:
    if source.stat().st_size > cap:
        raise SurveyFileError("too_big_unpacked", "file", mb=cap >> 20)
    shutil.copyfile(source, target)


def _shown(name: str) -> str:
    """Return a part's name as the user's message may show it: its last part, at most 60 chars."""
    return PurePosixPath(name.replace("\\", "/")).name[:60]
