"""Generate a county's hand-up package for bench/handup.py: H households in groups of 50 (10
townships x 20 villages x 10 groups at 100,000), 2 to 5 members each (3.5 on average, valid GB 11643
numbers), 8 to 12 contract parcels each plus 2 reserve parcels per group, contracts, register
entries, certificates and a re-issue for one household in a hundred. Written as a vendor delivers
it: 矢量数据/DK.shp (EPSG:4551, GBK) and 权属数据/*.dbf, each text field as wide as its longest
value, as the standard's widths make a vendor's (DKBM C19, CBFBM C18, …; GDAL's default of 254
characters per field made the files four times their real size); the rows are also returned, so
the raw floor COPYs the very same rows."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

COUNTY = "220421"
PER_GROUP = 50
STRIP_W, STRIP_H = 30.0, 110.0
ORIGIN = (420_000.0, 4_780_000.0)  # EPSG:4551 (GK CM 126E, no zone prefix)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
NAMES = ("赵", "钱", "孙", "李", "周", "吴", "郑", "王", "冯", "陈")
GIVEN = ("长海", "丽娟", "桂兰", "振华", "玉梅", "宝山", "翠花", "凤琴")
DATES = {"qdsj": "1998-12-20", "djsj": "2017-03-15", "fzrq": "2017-04-01",
         "cbfdcrq": "2016-05-10", "start": "1999-01-01", "end": "2028-12-31"}


def id_number(k: int) -> str:
    """Return the k-th valid resident ID number (unique birth date and sequence)."""
    born = date(1940, 1, 1) + timedelta(days=k // 900)
    first = f"{COUNTY}{born:%Y%m%d}{k % 900 + 100:03d}"
    total = sum(int(d) * w for d, w in zip(first, WEIGHTS, strict=True))
    return first + "10X98765432"[total % 11]


def group_code(g: int) -> str:
    return f"{COUNTY}{101 + g // 200:03d}{201 + g // 10 % 20:03d}{1 + g % 10:02d}"


def generate(households: int) -> tuple[dict[str, list[tuple]], dict[str, list[str]], list, list]:
    """Return (tables as rows, their field names, parcel codes, parcel boxes in EPSG:4551)."""
    tables = {t: [] for t in ("FBF", "CBF", "CBF_JTCY", "CBHT", "CBDKXX", "CBJYQZDJB", "CBJYQZ",
                              "CBJYQZ_QZBF")}
    codes, boxes = [], []
    person = 0
    for g in range((households + PER_GROUP - 1) // PER_GROUP):
        fbf = group_code(g)
        tables["FBF"].append((fbf, f"东丰县{g // 200 + 1}镇{g // 10 % 20 + 1}村{g % 10 + 1:02d}组",
                              "赵守田", "1", id_number(10_000_000 + g), DATES["cbfdcrq"]))
        x0, y0 = ORIGIN[0] + (g % 40) * 26 * STRIP_W, ORIGIN[1] - (g // 40) * 30 * STRIP_H
        slot = 0
        for h in range(min(PER_GROUP, households - g * PER_GROUP)):
            cbf = f"{fbf}{h + 1:04d}"
            size = 2 + (g + h) % 4
            heads = id_number(person)
            tables["CBF"].append((cbf, "1", f"{NAMES[h % 10]}{GIVEN[h % 8]}", "1", heads, size,
                                  DATES["cbfdcrq"]))
            for m in range(size):
                number = id_number(person)
                tables["CBF_JTCY"].append((cbf, f"{NAMES[h % 10]}{GIVEN[(h + m) % 8]}",
                                           "1" if int(number[16]) % 2 else "2", "1", number,
                                           "02" if m == 0 else ("10", "20", "30", "50")[m % 4],
                                           "1", "6"))
                person += 1
            contract = cbf + "J"
            n_parcels, area = 8 + (g + h) % 5, 0.0
            for p in range(n_parcels):
                code = f"{fbf}{slot + 1:05d}"
                boxes.append((x0 + (slot % 25) * STRIP_W, y0 - (slot // 25) * STRIP_H))
                codes.append(code)
                slot += 1
                htmj = round(STRIP_W * STRIP_H * (0.95 if p == 0 else 1.0), 2)
                area += htmj
                tables["CBDKXX"].append((code, fbf, cbf, "110", htmj, contract, contract,
                                         round(htmj * 0.9, 2)))
            tables["CBHT"].append((contract, contract, fbf, cbf, "110", DATES["start"],
                                   DATES["end"], round(area, 2), n_parcels, DATES["qdsj"]))
            tables["CBJYQZDJB"].append((contract, fbf, cbf, "110", DATES["start"], DATES["end"],
                                        f"吉2016{COUNTY}{g * PER_GROUP + h + 1:06d}", "登簿员",
                                        DATES["djsj"]))
            tables["CBJYQZ"].append((contract, "东丰县人民政府", DATES["fzrq"]))
            if (g + h) % 100 == 7:
                tables["CBJYQZ_QZBF"].append((contract, "证书遗失", "2020-09-01"))
        for _ in range(2):  # reserve land (机动地, DKLB 22) on no contract
            boxes.append((x0 + (slot % 25) * STRIP_W, y0 - (slot // 25) * STRIP_H))
            codes.append(f"{fbf}{slot + 1:05d}")
            slot += 1
    return tables, FIELDS, codes, boxes


FIELDS = {
    "FBF": ["FBFBM", "FBFMC", "FBFFZRXM", "FZRZJLX", "FZRZJHM", "FBFDCRQ"],
    "CBF": ["CBFBM", "CBFLX", "CBFMC", "CBFZJLX", "CBFZJHM", "CBFCYSL", "CBFDCRQ"],
    "CBF_JTCY": ["CBFBM", "CYXM", "CYXB", "CYZJLX", "CYZJHM", "YHZGX", "SFGYR", "CYBZ"],
    "CBHT": ["CBHTBM", "YCBHTBM", "FBFBM", "CBFBM", "CBFS", "CBQXQ", "CBQXZ", "HTZMJ", "CBDKZS",
             "QDSJ"],
    "CBDKXX": ["DKBM", "FBFBM", "CBFBM", "CBJYQQDFS", "HTMJ", "CBHTBM", "CBJYQZBM", "YHTMJ"],
    "CBJYQZDJB": ["CBJYQZBM", "FBFBM", "CBFBM", "CBFS", "CBQXQ", "CBQXZ", "CBJYQZLSH", "DBR",
                  "DJSJ"],
    "CBJYQZ": ["CBJYQZBM", "FZJG", "FZRQ"],
    "CBJYQZ_QZBF": ["CBJYQZBM", "BFYY", "BFRQ"],
}
_NUMBERS = {"HTMJ", "YHTMJ", "HTZMJ", "CBDKZS", "CBFCYSL"}


def write(folder: Path, tables: dict, codes: list[str], boxes: list) -> None:
    """Write the package: 矢量数据/DK.shp and 权属数据/<table>.dbf."""
    import pyogrio
    import shapely

    vector, owned = folder / "矢量数据", folder / "权属数据"
    vector.mkdir(parents=True)
    owned.mkdir()
    xy = np.array(boxes)
    geoms = shapely.box(xy[:, 0], xy[:, 1] - STRIP_H, xy[:, 0] + STRIP_W, xy[:, 1])
    reserve = set(codes) - {row[0] for row in tables["CBDKXX"]}
    n = len(codes)
    areas = np.round(shapely.area(geoms), 2)
    fields = {"DKBM": np.array(codes, dtype=object),
              "DKMC": np.array([f"地块{k % 25 + 1}" for k in range(n)], dtype=object),
              "SYQXZ": np.full(n, "31", dtype=object),
              "DKLB": np.array(["22" if c in reserve else "10" for c in codes], dtype=object),
              "DLDJ": np.full(n, "04", dtype=object), "TDYT": np.full(n, "1", dtype=object),
              "SFJBNT": np.full(n, "1", dtype=object), "SCMJ": areas,
              "SCMJM": np.round(areas * 15 / 10000, 2),
              "DKDZ": np.full(n, "道路", dtype=object), "DKNZ": np.full(n, "沟渠", dtype=object),
              "DKXZ": np.full(n, "林带", dtype=object), "DKBZ": np.full(n, "道路", dtype=object)}
    pyogrio.raw.write(vector / "DK2204212016.shp", shapely.to_wkb(geoms), list(fields.values()),
                      list(fields), driver="ESRI Shapefile", geometry_type="Polygon",
                      crs="EPSG:4551", encoding="GBK", layer_options={"RESIZE": "YES"})
    for table, rows in tables.items():
        names = FIELDS[table]
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
        arrays = [np.array(c, dtype=float) if name in _NUMBERS else np.array(c, dtype=object)
                  for name, c in zip(names, columns, strict=True)]
        pyogrio.raw.write(owned / f"{table}.dbf", None, arrays, names, driver="ESRI Shapefile",
                          encoding="UTF-8", layer_options={"RESIZE": "YES"})


def storage_geometries(boxes: list):
    """Return the parcels in EPSG:4490 as MultiPolygons with the SRID set (the raw pipeline's)."""
    import shapely
    from pyproj import Transformer

    xy = np.array(boxes)
    geoms = shapely.box(xy[:, 0], xy[:, 1] - STRIP_H, xy[:, 0] + STRIP_W, xy[:, 1])
    t = Transformer.from_crs(4551, 4490, always_xy=True)
    out = shapely.transform(geoms, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))
    return shapely.set_srid(shapely.multipolygons(out, indices=np.arange(len(out))), 4490)
