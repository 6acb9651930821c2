"""Build hand-up packages for the tests from the sample: its tables as rows (read from its .mdb by
the importer's own reader), changed as a test needs, written back as a GeoPackage or DBF tables
beside a copy of its DK layer (the DBF/GPKG variant needs no Access writer)."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pyogrio

from landrights.handup.fields import TABLES
from landrights.handup.package import accept, read_rows
from landrights.registry.rules import id_check_char
from tests.handup.conftest import SAMPLE

_DATES = {name for fields in TABLES.values() for name, kind in fields.items() if kind == "date"}
_NUMBERS = {name for fields in TABLES.values() for name, kind in fields.items()
            if kind in ("num", "int")}


def sample_tables() -> dict[str, list[dict]]:
    """Return the sample's ownership tables: table -> rows of upper-case fields."""
    with tempfile.TemporaryDirectory() as folder:
        owner = accept(SAMPLE, Path(folder))
        return {t: read_rows(owner, t) for t in owner.found}


def valid_id(first17: str) -> str:
    """Return a GB 11643 number from its first 17 digits."""
    return first17 + id_check_char(first17)


def corrected(tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Return the sample's tables as a county corrects them: the members of group 02 who share an
    ID number with group 01 get their own (another sequence number), the planted bad check
    character is corrected, CBFCYSL counts the members listed and the link to a parcel the layer
    lacks is gone."""
    seen = {r["CYZJHM"]: r["CBFBM"] for r in tables["CBF_JTCY"]
            if r["CBFBM"].startswith("22042110300401")}
    for row in tables["CBF_JTCY"]:
        number = row["CYZJHM"]
        if row["CBFBM"].startswith("22042110300402") and number in seen:
            row["CYZJHM"] = valid_id(number[:14] + str((int(number[14]) + 5) % 10) + number[15:17])
        elif id_check_char(number[:17]) != number[17]:
            row["CYZJHM"] = valid_id(number[:17])
    heads = {r["CBFBM"]: r["CYZJHM"] for r in tables["CBF_JTCY"] if r["YHZGX"] in ("01", "02")}
    sizes = {}
    for member in tables["CBF_JTCY"]:
        sizes[member["CBFBM"]] = sizes.get(member["CBFBM"], 0) + 1
    for row in tables["CBF"]:
        row["CBFZJHM"] = heads.get(row["CBFBM"], row["CBFZJHM"])
        row["CBFCYSL"] = sizes.get(row["CBFBM"], 0)
    layer = {r["DKBM"] for r in _layer_rows()}
    tables["CBDKXX"] = [r for r in tables["CBDKXX"] if r["DKBM"] in layer]
    return tables


def _layer_rows() -> list[dict]:
    meta, _, _, values = pyogrio.raw.read(SAMPLE / "矢量数据" / "DK2204212016.shp",
                                          read_geometry=False, encoding="GB18030")
    return [dict(zip(meta["fields"], row, strict=True)) for row in zip(*values, strict=True)]


def write_package(folder: Path, tables: dict[str, list[dict]], *, ownership: str = "gpkg",
                  layer: Path | None = None) -> Path:
    """Write a package folder: 矢量数据/ (the sample's DK layer, or layer's shapefile parts) and
    权属数据/ with the tables as one GeoPackage or as DBF files; return the folder."""
    vector, owned = folder / "矢量数据", folder / "权属数据"
    vector.mkdir(parents=True)
    owned.mkdir()
    source = layer or SAMPLE / "矢量数据"
    for part in source.iterdir():
        shutil.copy(part, vector / part.name)
    for table, rows in tables.items():
        names = sorted({k for row in rows for k in row}) or ["CBJYQZBM"]
        arrays = [_column(name, [row.get(name) for row in rows]) for name in names]
        if ownership == "gpkg":
            pyogrio.raw.write(owned / "ownership.gpkg", None, arrays, names, driver="GPKG",
                              layer=table, append=(owned / "ownership.gpkg").exists())
        else:
            pyogrio.raw.write(owned / f"{table}.dbf", None, arrays, names,
                              driver="ESRI Shapefile", encoding="UTF-8")
    return folder


def _column(name: str, values: list) -> np.ndarray:
    if name in _NUMBERS:
        return np.array([np.nan if v in (None, "") else float(v) for v in values], dtype=float)
    return np.array([None if v in (None, "") else str(v) for v in values], dtype=object)


def changed_layer(folder: Path, change) -> Path:
    """Write the sample's DK layer with change(codes, geometries) applied (shapely arrays, in the
    layer's CRS, EPSG:4530); return the folder of its shapefile parts (GBK, as delivered)."""
    import shapely

    source = SAMPLE / "矢量数据" / "DK2204212016.shp"
    meta, _, wkb, values = pyogrio.raw.read(source, encoding="GB18030")
    names = list(meta["fields"])
    geoms = shapely.from_wkb(wkb)
    change(list(values[names.index("DKBM")]), geoms)
    folder.mkdir(parents=True)
    pyogrio.raw.write(folder / "DK2204212016.shp", shapely.to_wkb(geoms), list(values), names,
                      driver="ESRI Shapefile", geometry_type="Polygon", crs=meta["crs"],
                      encoding="GBK")
    (folder / "DK2204212016.cpg").unlink(missing_ok=True)  # as delivered: no .cpg
    return folder
