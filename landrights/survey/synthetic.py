"""Synthetic NY/T 2539 survey layers with planted defects, written the way surveyors deliver them
(GBK shapefile without .cpg in GK zone 42 with prefix, GeoPackage in EPSG:4551, GeoJSON in 4490).

Used by the tests and by bench/import_survey.py; geometry is built in EPSG:4551 metres.
"""
from __future__ import annotations

import json
import random
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, box, mapping

FIELDS = ["DKBM", "DKMC", "SYQXZ", "DKLB", "TDLYLX", "DLDJ", "TDYT", "SFJBNT", "SCMJ", "SCMJM",
          "DKDZ", "DKNZ", "DKXZ", "DKBZ", "ZJRXM", "DKBZXX", "CBFBM_OLD"]
NAMES = ["王德福", "李玉兰", "张国庆", "赵淑芬", "孙建军", "于秀英", "杨志刚", "陈桂芝", "高长海"]
FIELD_NAMES = ["东大地", "北岗子", "南洼地", "西坡", "河套地"]


@dataclass
class SyntheticParcel:
    code: str
    geom: Polygon  # EPSG:4551 metres
    attrs: dict = field(default_factory=dict)


def make_parcels(collective: str, n: int, *, origin=(125.60, 42.80), seed: int = 1,
                 start: int = 1, names=NAMES, per_row: int = 40) -> list[SyntheticParcel]:
    """Return n clean strips (20-35 m x 150 m) in rows of per_row, sharing edges exactly."""
    rng = random.Random(seed)
    ox, oy = Transformer.from_crs(4490, 4551, always_xy=True).transform(*origin)
    parcels, x, row = [], ox, 0
    for i in range(n):
        if i and i % per_row == 0:
            row, x = row + 1, ox
        width = rng.choice([20.0, 25.0, 30.0, 35.0])
        poly = box(x, oy - (row + 1) * 154.0, x + width, oy - row * 154.0 - 4.0)
        x += width
        area = round(poly.area, 2)
        parcels.append(SyntheticParcel(f"{collective}{start + i:05d}", poly, {
            "DKMC": f"{FIELD_NAMES[row % 5]}{i % per_row + 1}号", "SYQXZ": "31", "DKLB": "10",
            "TDLYLX": "013", "DLDJ": "04", "TDYT": "1", "SFJBNT": "1", "SCMJ": area,
            "SCMJM": round(area * 15 / 10000, 2), "DKDZ": rng.choice(names), "DKNZ": "道路",
            "DKXZ": rng.choice(names), "DKBZ": "沟渠", "ZJRXM": rng.choice(names), "DKBZXX": None,
            "CBFBM_OLD": f"{collective}{rng.randint(1, 60):04d}"}))
    return parcels


def plant_defects(parcels: list[SyntheticParcel], other_collective: str) -> dict[str, str]:
    """Break a few parcels the ways real files are broken; return defect -> parcel code."""
    p = parcels
    x0, y0, x1, y1 = p[0].geom.bounds
    p[0].geom = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])  # bow-tie
    p[2].geom = shapely.affinity.translate(p[2].geom, xoff=-5.0)  # 5 m into parcel 1
    p[4].code = p[5].code  # duplicate code
    p[6].code = p[6].code[:-1]  # 18 digits
    p[7].code = other_collective + p[7].code[14:]  # another collective's code
    p[8].attrs["SCMJ"] = round(p[8].geom.area * 1.05, 2)  # surveyor's area 5 % off
    p[9].attrs["DKDZ"] = p[9].attrs["DKXZ"] = None  # only two neighbours
    bx0, by0, bx1, by1 = p[11].geom.bounds
    p[11].geom = box(bx0 + 0.2, by0, bx1, by1)  # pulled back 0.2 m: a gap to parcel 10
    return {"bowtie": p[0].code, "overlap": p[2].code, "overlapped": p[1].code,
            "duplicate": p[5].code, "short_code": p[6].code, "other_collective": p[7].code,
            "scmj_off": p[8].code, "two_neighbours": p[9].code, "gap": p[11].code}


def _project(parcels: list[SyntheticParcel], srid: int) -> np.ndarray:
    geoms = np.array([p.geom for p in parcels], dtype=object)
    if srid == 4551:
        return geoms
    if srid == 4530:
        return shapely.transform(geoms, lambda c: c + np.array([42_000_000.0, 0.0]))
    t = Transformer.from_crs(4551, srid, always_xy=True)
    return shapely.transform(geoms, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))


def _columns(parcels: list[SyntheticParcel]) -> list[np.ndarray]:
    columns = []
    for name in FIELDS:
        values = [p.code if name == "DKBM" else p.attrs.get(name) for p in parcels]
        if name in ("SCMJ", "SCMJM"):
            columns.append(np.array([np.nan if v is None else v for v in values], dtype=float))
        else:
            columns.append(np.array(values, dtype=object))
    return columns


def write_shapefile(parcels: list[SyntheticParcel], folder: Path, *, srid: int = 4530,
                    encoding: str = "GBK", cpg: bool = False, prj: bool = True,
                    name: str = "DK") -> Path:
    """Write DK.shp (+ .dbf .shx .prj [.cpg]) the way survey contractors deliver it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shp"
    pyogrio.raw.write(path, shapely.to_wkb(_project(parcels, srid)), _columns(parcels), FIELDS,
                      driver="ESRI Shapefile", geometry_type="Polygon", crs=f"EPSG:{srid}",
                      encoding=encoding)
    if not cpg:
        (folder / f"{name}.cpg").unlink(missing_ok=True)
    if not prj:
        (folder / f"{name}.prj").unlink(missing_ok=True)
    return path


def write_fbf(folder: Path, rows: list[dict], encoding: str = "GBK") -> Path:
    """Write an FBF.dbf (发包方 table, R4.20) beside the parcels."""
    names = ["FBFBM", "FBFMC", "FBFFZRXM", "LXDH", "FBFDZ"]
    path = folder / "FBF.dbf"
    pyogrio.raw.write(path, None, [np.array([r.get(n) for r in rows], dtype=object) for n in names],
                      names, driver="ESRI Shapefile", encoding=encoding)
    (folder / "FBF.cpg").unlink(missing_ok=True)
    return path


def write_geopackage(parcels: list[SyntheticParcel], path: Path, *, srid: int = 4551) -> Path:
    """Write a GeoPackage with layer DK."""
    pyogrio.raw.write(path, shapely.to_wkb(_project(parcels, srid)), _columns(parcels), FIELDS,
                      driver="GPKG", layer="DK", geometry_type="Polygon", crs=f"EPSG:{srid}")
    return path


def write_geojson(parcels: list[SyntheticParcel], path: Path) -> Path:
    """Write GeoJSON in EPSG:4490 (lon, lat), naming the CRS as GDAL reads it."""
    geoms = _project(parcels, 4490)
    features = [{"type": "Feature", "geometry": mapping(g),
                 "properties": {n: (p.code if n == "DKBM" else p.attrs.get(n)) for n in FIELDS}}
                for p, g in zip(parcels, geoms, strict=True)]
    doc = {"type": "FeatureCollection", "features": features,
           "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def zip_folder(folder: Path, path: Path) -> Path:
    """Zip a folder's files (flat), as a survey package is mailed."""
    with zipfile.ZipFile(path, "w") as archive:
        for f in sorted(folder.iterdir()):
            archive.write(f, f.name)
    return path
