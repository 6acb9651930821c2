"""Take a hand-up package apart as data: a folder or a .zip holding 矢量数据/ (the DK layer, read by
the survey's own safe reader) and 权属数据/ with the ownership tables, as an Access .mdb, as DBF
tables (FBF.dbf, CBF.dbf, …) or in a GeoPackage (as `landrights export` writes them); or the
export's single GeoPackage holding both.

The ownership parts go through the same limits as a survey delivery (survey/package.py: unpacked
size, compression ratio, no links or nested archives) and are copied to fixed names in a private
folder; only those copies are read. The .mdb is read by Debian's mdbtools in a child process
with a time and memory limit, through argument lists (no shell); only table names the standard
knows are asked for. DBF and GeoPackage tables are read by GDAL restricted as for surveys
(gdal_guard), a GeoPackage after the same schema check (no views, triggers, virtual tables).

Pure: no Flask, no database. Tables are read in batches, never whole, so a county's million
contract parcels pass through bounded memory.
"""
from __future__ import annotations

import csv
import io
import resource
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pyogrio

from landrights.handup.fields import TABLES
from landrights.survey import gdal_guard
from landrights.survey.errors import SurveyFileError
from landrights.survey.intake import CODE_PAGES, check_dbf, check_geopackage, sniff
from landrights.survey.package import DEFAULT_LIMITS, Budget, Folder, Limits, Zip

BATCH = 100_000
ACCESS_HEADS = (b"Standard Jet DB", b"Standard ACE DB")  # bytes 4-18 of an .mdb / .accdb
MDB_SECONDS = 1800  # CPU seconds mdb-export may spend on one table
MDB_BYTES = 1 << 30  # address space of an mdbtools child
OWNERSHIP_FOLDER = "权属数据"


@dataclass
class Ownership:
    """The accepted ownership parts, copied to fixed names in a private folder."""

    file_format: str  # mdb | dbf | gpkg
    folder: Path
    files: dict[str, Path] = field(default_factory=dict)  # NY/T table (dbf) or 'mdb'/'gpkg'
    encodings: dict[str, str] = field(default_factory=dict)  # a DBF's .cpg, canonical
    found: list[str] = field(default_factory=list)  # the NY/T tables the package holds
    names: dict[str, str] = field(default_factory=dict)  # NY/T table -> its name in the mdb/gpkg


def accept(source: Path, into: Path, *, name: str | None = None,
           limits: Limits = DEFAULT_LIMITS) -> Ownership:
    """Accept the ownership parts of a package (folder, .zip, or the export's .gpkg) into the
    empty private folder into.

    Raises:
        SurveyFileError: no ownership tables, several databases, a part that is not what its name
            says, or a package beyond the limits (field 'file').
    """
    name = name or source.name
    if source.is_dir():
        return _accept(Folder(source), into, limits)
    found = sniff(source) if source.is_file() else "missing"
    if found == "zip":
        with Zip(source, limits) as archive:
            return _accept(archive, into, limits)
    if found == "sqlite" and PurePosixPath(name).suffix.lower() == ".gpkg":
        return _accept(Folder(source.parent, recursive=False), into, limits, only=source.name)
    raise SurveyFileError("handup_not_package", "file", name=PurePosixPath(name).name[:60])


def _accept(source, into: Path, limits: Limits, only: str | None = None) -> Ownership:
    chosen = _select([n for n in source.names() if only is None or n == only])
    budget = Budget(limits.unpacked_bytes)
    owner = Ownership(chosen.pop("format"), into)
    for role, member in chosen.items():
        if role.endswith(".cpg"):
            raw = source.read_small(member, 16 << 10)
            owner.encodings[role[:-4]] = CODE_PAGES.get(raw.decode("ascii", "replace").strip()
                                                        .upper(), "GB18030")
            continue
        target = into / (f"{role}.dbf" if owner.file_format == "dbf" else f"ownership.{role}")
        source.copy(member, target, budget)
        owner.files[role] = target
    _check(owner)
    owner.found = _tables(owner)
    if not owner.found:
        raise SurveyFileError("handup_no_tables", "file")
    return owner


def _visible(names: list[str]) -> list[str]:
    return sorted(n for n in names if not any(
        part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(n).parts))


def _preferred(names: list[str]) -> list[str]:
    """Return names under 权属数据/ first (the package's ownership folder), then the others."""
    return sorted(names, key=lambda n: OWNERSHIP_FOLDER not in PurePosixPath(n).parts)


def _select(names: list[str]) -> dict[str, str]:
    """Return the ownership parts to copy: an Access database, DBF tables, or a GeoPackage."""
    visible = _visible(names)
    databases = _preferred([n for n in visible if n.lower().endswith((".mdb", ".accdb"))])
    if len(databases) > 1:
        raise SurveyFileError("handup_several_databases", "file", count=len(databases))
    if databases:
        return {"format": "mdb", "mdb": databases[0]}
    tables = _dbf_tables(visible)
    if tables:
        return {"format": "dbf", **tables, **_code_pages(visible, tables)}
    packages = _preferred([n for n in visible if n.lower().endswith(".gpkg")])
    if packages:
        return {"format": "gpkg", "gpkg": packages[0]}
    raise SurveyFileError("handup_no_tables", "file")


def _dbf_tables(visible: list[str]) -> dict[str, str]:
    """Return {NY/T table: member} of the DBF tables, the first of each name (权属数据/ first)."""
    tables = {}
    for n in _preferred([n for n in visible if n.lower().endswith(".dbf")]):
        stem = PurePosixPath(n).stem.upper()
        if stem in TABLES and stem not in tables:
            tables[stem] = n
    return tables


def _code_pages(visible: list[str], tables: dict[str, str]) -> dict[str, str]:
    """Return {"TABLE.cpg": member} of the .cpg beside each DBF table that has one."""
    found = {}
    for table, n in tables.items():
        folder = PurePosixPath(n).parent
        cpg = next((m for m in visible if PurePosixPath(m).parent == folder
                    and PurePosixPath(m).name.upper() == f"{table}.CPG"), None)
        if cpg:
            found[f"{table}.cpg"] = cpg
    return found


def _check(owner: Ownership) -> None:
    """Refuse a part whose content is not what its name says."""
    for role, path in owner.files.items():
        if role == "mdb":
            with path.open("rb") as f:
                head = f.read(32)
            if head[4:19] not in ACCESS_HEADS:
                raise SurveyFileError("handup_not_mdb", "file")
        elif role == "gpkg":
            check_geopackage(path)
        else:
            check_dbf(path, f"{role}.dbf")


def _tables(owner: Ownership) -> list[str]:
    """Return the NY/T tables the ownership data holds (names matched in any case)."""
    if owner.file_format == "dbf":
        return [t for t in TABLES if t in owner.files]
    present = _gpkg_layers(owner) if owner.file_format == "gpkg" else _mdb_tables(owner)
    owner.names = {t: present[t] for t in TABLES if t in present}
    return [t for t in TABLES if t in present]


def _gpkg_layers(owner: Ownership) -> dict[str, str]:
    """Return {upper-case name: name} of the GeoPackage's layers."""
    gdal_guard.harden()
    names = _gdal(pyogrio.list_layers, str(owner.files["gpkg"]))
    return {str(n).upper(): str(n) for n, _ in names}


def _mdb_tables(owner: Ownership) -> dict[str, str]:
    """Return {upper-case name: name} of the Access database's tables."""
    listing = _mdb(["mdb-tables", "-1", str(owner.files["mdb"])])
    return {n.upper(): n for n in listing.splitlines() if n.strip()}


def read_table(owner: Ownership, table: str, batch: int = BATCH) -> Iterator[dict[str, list]]:
    """Yield the rows of an NY/T table in batches of columns: upper-case field name -> values."""
    if table not in owner.found:
        return
    if owner.file_format == "mdb":
        yield from _mdb_columns(owner, table, batch)
    else:
        yield from _gdal_columns(owner, table, batch)


def read_rows(owner: Ownership, table: str) -> list[dict]:
    """Return every row of an NY/T table as a dict of upper-case field names (small tables)."""
    rows = []
    for columns in read_table(owner, table):
        names = list(columns)
        rows += [dict(zip(names, values, strict=True))
                 for values in zip(*columns.values(), strict=True)]
    return rows


def _mdb_limits() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_CPU, (MDB_SECONDS, MDB_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (MDB_BYTES, MDB_BYTES))


def _mdb(args: list[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, timeout=MDB_SECONDS, check=False,
                              preexec_fn=_mdb_limits)
    except FileNotFoundError:
        raise SurveyFileError("handup_no_mdbtools", "file") from None
    except subprocess.TimeoutExpired:
        raise SurveyFileError("unreadable", "file") from None
    if done.returncode != 0:
        raise SurveyFileError("unreadable", "file")
    return done.stdout.decode("utf-8", "replace")


def _mdb_columns(owner: Ownership, table: str, batch: int) -> Iterator[dict[str, list]]:
    """Stream mdb-export's CSV of one table (four-digit years, R4.20 dates) in batches."""
    args = ["mdb-export", "-D", "%Y-%m-%d", "-T", "%Y-%m-%d", str(owner.files["mdb"]),
            owner.names[table]]
    try:
        child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 preexec_fn=_mdb_limits)
    except FileNotFoundError:
        raise SurveyFileError("handup_no_mdbtools", "file") from None
    try:
        reader = csv.reader(io.TextIOWrapper(child.stdout, encoding="utf-8", errors="replace",
                                             newline=""))
        header = [h.strip().upper() for h in next(reader, [])]
        rows = []
        for values in reader:
            rows.append([v if v != "" else None for v in values[:len(header)]]
                        + [None] * (len(header) - len(values)))
            if len(rows) == batch:
                yield dict(zip(header, map(list, zip(*rows, strict=True)), strict=True))
                rows = []
        if rows:
            yield dict(zip(header, map(list, zip(*rows, strict=True)), strict=True))
    finally:
        child.stdout.close()
        if child.wait(timeout=MDB_SECONDS) != 0:
            raise SurveyFileError("unreadable", "file")


def _gdal(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except Exception:  # GDAL raises several types for unreadable files; its text is not shown
        raise SurveyFileError("unreadable", "file") from None


def _gdal_columns(owner: Ownership, table: str, batch: int) -> Iterator[dict[str, list]]:
    """Read a DBF or GeoPackage table in batches of features (GDAL restricted, gdal_guard)."""
    gdal_guard.harden()
    if owner.file_format == "gpkg":
        source, layer, encoding = str(owner.files["gpkg"]), owner.names[table], None
    else:
        source, layer = str(owner.files[table]), None
        encoding = owner.encodings.get(table)
        if encoding is None and _gdal(pyogrio.read_info, source)["encoding"] in (None, "ISO-8859-1"):
            encoding = "GB18030"  # a DBF with no .cpg: GBK, as the survey reader assumes
    count = _gdal(pyogrio.read_info, source, layer=layer)["features"]
    for start in range(0, count, batch):
        meta, _, _, values = _gdal(pyogrio.raw.read, source, layer=layer, read_geometry=False,
                                   encoding=encoding, skip_features=start, max_features=batch)
        yield {n.upper(): column.tolist() for n, column in zip(meta["fields"], values,
                                                               strict=True)}
