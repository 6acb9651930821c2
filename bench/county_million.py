"""A county of a million parcels: import, API lookups, tiles, the map in a browser, memory.

Generates a county (东辽县 220422 by its code, fictional content) of N parcels (default
1,000,000) in villages of 5,000: rows of strips and rows of quads sharing their edges exactly, in
CGCS2000 GK CM 126E (EPSG:4551) metres, with a few planted defects per village (a parcel shifted
5 m into its neighbour, a bow-tie, a sliver, a 0.2 m gap). Each village is one GeoPackage, as a
township hands them in. Then, in one throwaway cluster with fsync on, each measure next to the same
work done raw on the same machine in the same run, as a ratio:

* import: every village through the project's own `import_survey` (all quality rules, one
  transaction each, `--jobs` processes at once) vs binary COPY of the same rows into a bare table +
  GiST + ST_IsValid + the && / ST_Relate self-join (PERFORMANCE.md's raw pipeline);
* API lookups over HTTP on gunicorn (a county administrator's bearer token): parcel by code and
  parcel at a point, p50/p99 and requests/s vs the lookup's bare SQL over the socket;
* the densest tile at z14 and z16 (ms, bytes), cold and warm, vs the bare ST_AsMVT query (warm:
  the version checked, the tile sent from the worker's tile cache; also made again each time with
  the cache off);
* OGC API pages of 1,000 parcels as GDAL reads them (the first, one 90 % deep by offset and by
  the next link's cursor) vs the bare SQL of one page of GeoJSON, and /ogc/collections (the
  extents GDAL and QGIS read on opening) next to the bare SQL of the parcels' first version from
  every version, as it was read before migration 0013;
* the map page's first load in headless Chromium on a phone-sized screen (bytes of parcel data,
  time to the first parcel drawn), where the map opens: the county's centre;
* peak memory (VmHWM) of the gunicorn workers and of the import processes;
* for context, the floor: the same client and gunicorn against a Flask view that returns a fixed
  Feature without a database (bench/floor_app.py).

Targets (issue 7): import within 3x raw; lookups p99 within 2x raw p99 + 5 ms; tiles within 1.5x
raw; map first load under 1 MB of parcel data; peak memory under 1 GiB.

    .venv/bin/python bench/county_million.py [--parcels 1000000] [--jobs 2] [--no-browser]
"""
from __future__ import annotations

import argparse
import http.client
import math
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import discard_cluster, free_port, peak_rss_kib, status_kib, wait_for_port  # noqa: E402
from import_survey import raw_pipeline  # noqa: E402  (binary COPY + GiST + ST_IsValid + self-join)

COUNTY = "220422"
PER_VILLAGE = 5_000
SPACING_M = 5_400.0  # village origins; a village of 5,000 parcels is about 4.7 km across
ORIGIN_4551 = (420_000.0, 4_780_000.0)  # about 125.0E 43.2N (GK CM 126E, no zone prefix)
ROW_H, ROAD = 150.0, 4.0
STRIP_W = (20.0, 25.0, 30.0, 35.0)
QUAD_W = (50.0, 60.0)
PASSWORD = "bench-password-1"
TARGETS = {"import": 3.0, "tile": 1.5, "map_bytes": 1_000_000, "memory_mib": 1024}


# --- the county ---------------------------------------------------------------------------------

def collective_code(i: int) -> str:
    """The i-th village's collective: 20 townships of up to 30 villages, group 01."""
    return f"{COUNTY}{101 + i // 30:03d}{201 + i % 30:03d}01"


def village_boxes(rng: random.Random, n: int, per_row: int, x0: float, y0: float):
    """Return (xmin, ymin, xmax, ymax) lists for n parcels: two rows of strips, then a row of quads
    (two 75 m cells per column), repeated; neighbours share their edges exactly."""
    boxes: list[tuple[float, float, float, float]] = []
    row = 0
    while len(boxes) < n:
        top = y0 - row * (ROW_H + ROAD)
        x = x0
        if row % 3 == 2:
            for _ in range(per_row // 2):
                w = rng.choice(QUAD_W)
                boxes += [(x, top - ROW_H / 2, x + w, top), (x, top - ROW_H, x + w, top - ROW_H / 2)]
                x += w
        else:
            for _ in range(per_row):
                w = rng.choice(STRIP_W)
                boxes.append((x, top - ROW_H, x + w, top))
                x += w
        row += 1
    return boxes[:n]


def make_village(i: int, n: int):
    """Return (codes, shapely polygons in EPSG:4551, defects) for village i."""
    import numpy as np
    import shapely
    import shapely.affinity

    rng = random.Random(i)
    gx, gy = i % 20, i // 20
    x0, y0 = ORIGIN_4551[0] + gx * SPACING_M, ORIGIN_4551[1] - gy * SPACING_M
    per_row = 170
    b = np.array(village_boxes(rng, n, per_row, x0, y0))
    geoms = shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
    code = collective_code(i)
    codes = [f"{code}{k + 1:05d}" for k in range(n)]
    k = n // 2 + 1  # a strip with a west neighbour in its row
    geoms[k] = shapely.affinity.translate(geoms[k], xoff=-5.0)  # overlap
    x_0, y_0, x_1, y_1 = b[10]
    geoms[10] = shapely.Polygon([(x_0, y_0), (x_1, y_1), (x_1, y_0), (x_0, y_1)])  # bow-tie
    x_0, y_0, x_1, y_1 = b[200]
    geoms[200] = shapely.box(x_0, y_0, x_0 + 0.8, y_1)  # sliver (its east side becomes a gap)
    x_0, y_0, x_1, y_1 = b[400]
    geoms[400] = shapely.box(x_0 + 0.2, y_0, x_1, y_1)  # pulled back 0.2 m: a gap
    return codes, geoms


def write_village(path: Path, codes: list[str], geoms) -> None:
    """Write one village's DK layer as a GeoPackage in EPSG:4551 with NY/T 2539 fields."""
    import numpy as np
    import pyogrio
    import shapely

    from landrights.survey import synthetic as syn

    n = len(codes)
    areas = np.round(shapely.area(geoms), 2)
    names = np.array(syn.NAMES, dtype=object)
    pick = np.arange(n) % len(names)
    values = {
        "DKBM": np.array(codes, dtype=object),
        "DKMC": np.array([f"{syn.FIELD_NAMES[k % 5]}{k % 170 + 1}号" for k in range(n)], dtype=object),
        "SYQXZ": np.full(n, "31", dtype=object), "DKLB": np.full(n, "10", dtype=object),
        "TDLYLX": np.full(n, "013", dtype=object), "DLDJ": np.full(n, "04", dtype=object),
        "TDYT": np.full(n, "1", dtype=object), "SFJBNT": np.full(n, "1", dtype=object),
        "SCMJ": areas, "SCMJM": np.round(areas * 15 / 10000, 2),
        "DKDZ": names[pick], "DKNZ": np.full(n, "道路", dtype=object),
        "DKXZ": names[(pick + 1) % len(names)], "DKBZ": np.full(n, "沟渠", dtype=object),
        "ZJRXM": names[(pick + 2) % len(names)], "DKBZXX": np.full(n, None, dtype=object),
        "CBFBM_OLD": np.array([f"{codes[0][:14]}{k % 60 + 1:04d}" for k in range(n)], dtype=object),
    }
    pyogrio.raw.write(path, shapely.to_wkb(geoms), [values[f] for f in syn.FIELDS], syn.FIELDS,
                      driver="GPKG", layer="DK", geometry_type="Polygon", crs="EPSG:4551")


def to_storage(geoms):
    """EPSG:4551 polygons -> EPSG:4490 MultiPolygons with the SRID set, as the registry stores them."""
    import numpy as np
    import shapely
    from pyproj import Transformer

    t = Transformer.from_crs(4551, 4490, always_xy=True)
    out = shapely.transform(geoms, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))
    return shapely.set_srid(shapely.multipolygons(out, indices=np.arange(len(out))), 4490)


def generate(base: Path, total: int):
    """Write every village file; return (files, all codes, all geometries in 4490)."""
    import numpy as np

    files, codes, geoms = [], [], []
    villages = math.ceil(total / PER_VILLAGE)
    for i in range(villages):
        n = min(PER_VILLAGE, total - i * PER_VILLAGE)
        c, g = make_village(i, n)
        path = base / f"DK-{collective_code(i)}.gpkg"
        write_village(path, c, g)
        files.append((collective_code(i), str(path)))
        codes += c
        geoms.append(to_storage(g))
    return files, codes, np.concatenate(geoms)


# --- the app's import ---------------------------------------------------------------------------

def app_config(url: str, instance: Path) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_DIR": str(instance),
            "DATABASE_URL": None, "DEMO_DATA": False, "PASSWORD_METHOD": "pbkdf2:sha256:1"}


def prepare_app_db(cluster, instance: Path, collectives: list[str]) -> tuple[str, str]:
    """Migrate a fresh database, register the collectives and a county administrator; return
    (url, bearer token)."""
    from landrights import create_app, migrate
    from landrights.accounts import services as accounts
    from landrights.accounts.permissions import SYSTEM
    from landrights.registry import services as registry

    cluster.ensure_database("county")
    url = cluster.url("county")
    app = create_app(app_config(url, instance))
    ext = app.extensions["landrights.db"]
    migrate.upgrade(ext.engine)
    with app.app_context():
        session = ext.session_factory()
        for code in collectives:
            registry.add_collective(session, SYSTEM, code=code, name=f"村{code[9:12]}组{code[12:]}")
        accounts.create_user(session, SYSTEM, username="county", password=PASSWORD, role="county_admin",
                             display_name="东辽县管理员", county_code=COUNTY, hash_method="pbkdf2:sha256:1")
        token = accounts.issue_token(session, SYSTEM, "county")
        session.commit()
        session.close()
    ext.engine.dispose()
    return url, token


_CHILD: dict = {}


def _child_init(url: str, instance: str) -> None:
    from landrights import create_app

    _CHILD["app"] = create_app(app_config(url, Path(instance)))


def _child_import(job: tuple[str, str]) -> dict:
    from landrights.accounts.permissions import SYSTEM
    from landrights.survey import services as survey

    collective, path = job
    ext = _CHILD["app"].extensions["landrights.db"]
    with _CHILD["app"].app_context():
        session = ext.session_factory()
        t0 = time.perf_counter()
        record = survey.import_survey(session, SYSTEM, path, collective_code=collective)
        session.commit()
        seconds = time.perf_counter() - t0
        out = {"seconds": seconds, "imported": record.imported, "rejected": record.rejected,
               "maxrss_kib": peak_rss_kib()}
        session.close()
    return out


def app_import(url: str, instance: Path, files, jobs: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    t0 = time.perf_counter()
    with ctx.Pool(jobs, initializer=_child_init, initargs=(url, str(instance))) as pool:
        done = []
        for k, result in enumerate(pool.imap_unordered(_child_import, files), 1):
            done.append(result)
            if k % 20 == 0 or k == len(files):
                print(f"  imported {k}/{len(files)} villages, {time.perf_counter() - t0:.0f} s", flush=True)
    return {"seconds": time.perf_counter() - t0, "imported": sum(r["imported"] for r in done),
            "rejected": sum(r["rejected"] for r in done),
            "per_village": statistics.median(r["seconds"] for r in done),
            "maxrss_mib": max(r["maxrss_kib"] for r in done) / 1024}


# --- HTTP on gunicorn ---------------------------------------------------------------------------

def start_gunicorn(url: str, instance: Path, workers: int, threads: int,
                   app: str = "landrights:create_app()", cwd: Path = ROOT, **settings: str):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "CERTIFICATE_KEY": "bench",
           "LANDRIGHTS_INSTANCE": str(instance), **settings}
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "--threads", str(threads), "-b",
         f"127.0.0.1:{port}", "--log-level", "warning", app], env=env, cwd=cwd)
    wait_for_port(port)
    return proc, port


def stop_gunicorn(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def floor_load(codes: list[str], threads: int) -> dict:
    """The same client and gunicorn settings against bench/floor_app.py (Flask, no database)."""
    proc, port = start_gunicorn("", ROOT, 2, 4, app="floor_app:app", cwd=ROOT / "bench")
    try:
        paths = [f"/api/v1/parcels/{c}" for c in codes]
        http_load(port, "-", paths[:200], threads)  # warm the workers
        return http_load(port, "-", paths, threads)
    finally:
        stop_gunicorn(proc)


def worker_peaks_mib(proc) -> list[float]:
    """VmHWM of gunicorn's workers (children of the master)."""
    out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    return [status_kib("VmHWM", pid) / 1024 for pid in out]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def http_load(port: int, token: str, paths: list[str], threads: int) -> dict:
    """GET every path (split across threads, keep-alive); latencies in ms, statuses."""
    chunks = [paths[i::threads] for i in range(threads)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def run(chunk: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": "Bearer " + token}
        mine, codes = [], {}
        for path in chunk:
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - t0) * 1000)
            codes[response.status] = codes.get(response.status, 0) + 1
        with lock:
            latencies.extend(mine)
            for k, v in codes.items():
                statuses[k] = statuses.get(k, 0) + v

    t0 = time.perf_counter()
    workers = [threading.Thread(target=run, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - t0
    return {"p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99), "rps": len(paths) / wall,
            "statuses": statuses}


def raw_load(dsn: str, sql: str, params: list[tuple], threads: int) -> dict:
    """The lookup's bare SQL, prepared, over the socket, by the same number of threads."""
    import psycopg

    chunks = [params[i::threads] for i in range(threads)]
    latencies: list[float] = []
    lock = threading.Lock()

    def run(chunk) -> None:
        mine = []
        with psycopg.connect(dsn, prepare_threshold=0) as conn:
            for p in chunk:
                t0 = time.perf_counter()
                conn.execute(sql, p).fetchall()
                mine.append((time.perf_counter() - t0) * 1000)
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    workers = [threading.Thread(target=run, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - t0
    return {"p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99), "rps": len(params) / wall}


RAW_BY_CODE = ("SELECT code, status, area_m2, ST_AsGeoJSON(geom, 8) FROM parcels "
               "WHERE county_code = left(%(code)s, 6) AND code = %(code)s AND valid_to IS NULL")
RAW_AT_POINT = ("SELECT code, status, area_m2, ST_AsGeoJSON(geom, 8) FROM parcels "
                "WHERE valid_to IS NULL AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4490))")


def lookups(port: int, token: str, dsn: str, count: int, threads: int) -> dict:
    import psycopg

    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT code, ST_X(p), ST_Y(p) FROM (SELECT code, ST_PointOnSurface(geom) p FROM parcels "
            "WHERE valid_to IS NULL ORDER BY random() LIMIT %s) s", (count,)).fetchall()
    codes = [r[0] for r in rows]
    points = [(r[1], r[2]) for r in rows]
    http_load(port, token, [f"/api/v1/parcels/{c}" for c in codes[:200]], threads)  # warm the workers
    out = {"codes": codes}
    out["by_code"] = {"app": http_load(port, token, [f"/api/v1/parcels/{c}" for c in codes], threads),
                      "raw": raw_load(dsn, RAW_BY_CODE, [{"code": c} for c in codes], threads)}
    out["at_point"] = {"app": http_load(port, token, [f"/api/v1/parcels/at?lon={x:.7f}&lat={y:.7f}"
                                                      for x, y in points], threads),
                       "raw": raw_load(dsn, RAW_AT_POINT, points, threads)}
    return out


# --- tiles --------------------------------------------------------------------------------------

RAW_TILE = """
WITH b AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env),
mvt AS (
  SELECT ST_AsMVTGeom(ST_Transform(p.geom, 3857), b.env, 4096, 64, true) AS geom,
         p.id, p.code, p.name, p.status, round((p.area_m2 * 15 / 10000)::numeric, 2) AS area_mu
  FROM parcels p, b
  WHERE p.valid_to IS NULL AND p.geom && ST_Transform(b.env, 4490))
SELECT ST_AsMVT(mvt, 'parcels', 4096, 'geom', 'id') FROM mvt"""


def densest_tile(dsn: str, z: int) -> tuple[int, int, int]:
    import psycopg

    n = 2 ** z
    with psycopg.connect(dsn) as conn:
        x, y, count = conn.execute(
            "SELECT floor((ST_X(c) + 180) / 360 * %(n)s)::int AS x, "
            "floor((1 - ln(tan(radians(ST_Y(c))) + 1 / cos(radians(ST_Y(c)))) / pi()) / 2 * %(n)s)::int "
            "AS y, "
            "count(*) FROM (SELECT ST_Centroid(geom) c FROM parcels WHERE valid_to IS NULL) s "
            "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1", {"n": n}).fetchone()
    return x, y, count


def tiles(port: int, token: str, dsn: str, repeats: int = 30) -> dict:
    import psycopg

    out = {}
    for z in (14, 16):
        x, y, count = densest_tile(dsn, z)
        path = f"/tiles/parcels/{z}/{x}/{y}.mvt"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": "Bearer " + token}
        times, size, status = [], 0, 0
        for _ in range(repeats + 1):
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            times.append((time.perf_counter() - t0) * 1000)
            size, status = len(body), response.status
        raw_times, raw_size = [], 0
        with psycopg.connect(dsn) as db:
            for _ in range(repeats + 1):
                t0 = time.perf_counter()
                data = db.execute(RAW_TILE, {"z": z, "x": x, "y": y}).fetchone()[0]
                raw_times.append((time.perf_counter() - t0) * 1000)
                raw_size = len(data or b"")
        out[z] = {"tile": (x, y), "parcels": count, "status": status, "bytes": size,
                  "cold": times[0], "warm": statistics.median(times[1:]),
                  "raw_cold": raw_times[0], "raw_warm": statistics.median(raw_times[1:]),
                  "raw_bytes": raw_size}
    return out


# --- OGC API pages (GDAL reading the registry) ------------------------------------------------

RAW_OGC_PAGE = """
SELECT json_agg(f ORDER BY id)::text FROM (
  SELECT id, json_build_object('type', 'Feature', 'id', id, 'geometry', ST_AsGeoJSON(geom, 8)::json,
         'properties', json_build_object('code', code, 'name', name, 'collective_code', collective_code,
           'status', status, 'version', version, 'category', category, 'land_use_type', land_use_type,
           'soil_grade', soil_grade, 'land_use', land_use, 'is_basic_farmland', is_basic_farmland,
           'area_m2', round(area_m2::numeric, 2)::float,
           'area_mu', round((area_m2 * 15 / 10000)::numeric, 2)::float,
           'surveyed_area_m2', surveyed_area_m2::float)) AS f
  FROM parcels WHERE valid_to IS NULL AND id > %(after)s ORDER BY id LIMIT 1000) s"""


# the parcels' temporal extent as /ogc/collections read it before migration 0013: every version
RAW_FIRST_VERSION = "SELECT min(valid_from) FROM parcels WHERE county_code = %(county)s"


def ogc_pages(port: int, token: str, dsn: str, repeats: int = 5) -> dict:
    """A page of 1,000 parcels through /ogc as GDAL asks for it: the first page (with its count),
    a page 90 % deep by offset, and the same page by the next links' cursor, each against the
    bare SQL of one page of the same GeoJSON features at that cursor, over the socket."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM parcels WHERE valid_to IS NULL ORDER BY id")]
    deep = int(len(ids) * 0.9)
    after = ids[deep - 1]
    items = "/ogc/collections/parcels/items?limit=1000"
    paths = {"collections": "/ogc/collections",  # what GDAL and QGIS read on opening: extents
             "first page (numberMatched counted)": items,
             "90 % deep, by offset": f"{items}&offset={deep}",
             "90 % deep, by the next link's cursor": f"{items}&after={after}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": "Bearer " + token}
    out = {}
    for name, path in paths.items():
        times, size = [], 0
        for _ in range(repeats):
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            size = len(response.read())
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = {"ms": statistics.median(times), "bytes": size, "status": response.status}
    with psycopg.connect(dsn) as db:
        raw = {}
        for name, sql, params in (("first", RAW_OGC_PAGE, {"after": 0}),
                                  ("deep", RAW_OGC_PAGE, {"after": after}),
                                  ("versions", RAW_FIRST_VERSION, {"county": COUNTY})):
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                db.execute(sql, params).fetchone()
                times.append((time.perf_counter() - t0) * 1000)
            raw[name] = statistics.median(times)
    out["raw"] = raw
    return out


# --- the map in a browser -----------------------------------------------------------------------

def map_first_load(port: int) -> dict:
    """Log in as the county administrator on a phone-sized screen: the map opens at the county's
    centre at the parcels' first zoom. Bytes of parcel data (tiles) and the time from the map
    page's navigation start to the first parcel drawn."""
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{port}"
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
        page.goto(base + "/login")
        page.fill("#username", "county")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")  # the login redirects to the map
        page.wait_for_selector("path.lr-parcel", timeout=60_000)
        drawn_ms = page.evaluate("performance.now()")
        page.wait_for_load_state("networkidle")
        entries = page.evaluate(
            "performance.getEntriesByType('resource').map(e => [e.name, e.transferSize])")
        count = page.locator("path.lr-parcel").count()
        zoom = page.evaluate("window.landrightsMap ? window.landrightsMap.map.getZoom() : null")
        browser.close()
    parcel_data = [(name, size) for name, size in entries if "/tiles/" in name or "/api/v1/parcels" in name]
    return {"first_parcel_ms": drawn_ms, "parcel_bytes": sum(size for _, size in parcel_data),
            "drawn": count, "requests": len(parcel_data), "zoom": zoom,
            "all_bytes": sum(size for _, size in entries)}


# --- report -------------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _ogc_lines(ogc: dict) -> list[str]:
    lines = []
    raw_ms = ogc["raw"]
    for name, o in ogc.items():
        if name == "raw":
            continue
        if name == "collections":
            lines.append(f"| OGC API /ogc/collections (three collections with their spatial and "
                         f"temporal extents), status {o['status']} | {o['ms']:.0f} ms, "
                         f"{o['bytes']:,} B | the parcels' first version from every version "
                         f"(before migration 0013): {raw_ms['versions']:.0f} ms | — | — (what "
                         "GDAL and QGIS read on opening) |")
            continue
        bare = raw_ms["first"] if name.startswith("first") else raw_ms["deep"]
        lines.append(f"| OGC API page of 1,000 parcels, {name}, status {o['status']} | {o['ms']:.0f} ms, "
                     f"{o['bytes']:,} B | {bare:.0f} ms (one page of GeoJSON at that cursor) | "
                     f"{o['ms'] / bare:.1f}x | — (GDAL reading the registry) |")
    return lines


def report(n: int, jobs: int, gen_s: float, imp: dict, raw: dict, look: dict | None, tile: dict | None,
           browser: dict | None, peaks: list[float], ogc: dict | None = None) -> str:
    lines = [f"## {n:,} parcels, {date.today()}, {os.cpu_count()} cores, fsync on", "",
             f"County generated in {gen_s:.0f} s ({math.ceil(n / PER_VILLAGE)} villages, not timed).", "",
             "| measure | app | raw, same run | ratio | target |", "|---|---|---|---|---|"]
    ratio = imp["seconds"] / raw["seconds"]
    lines.append(f"| import, all quality rules, {jobs} processes | {imp['seconds']:.0f} s, "
                 f"{n / imp['seconds']:,.0f} parcels/s ({imp['imported']:,} in, {imp['rejected']:,} "
                 f"refused; {imp['per_village']:.1f} s per village) | {raw['seconds']:.0f} s, "
                 f"{n / raw['seconds']:,.0f} parcels/s | {ratio:.1f}x | 3x: {verdict(ratio <= 3)} |")
    if look:
        for name, label in (("by_code", "parcel by code"), ("at_point", "parcel at a point")):
            a, r = look[name]["app"], look[name]["raw"]
            limit = 2 * r["p99"] + 5
            lines.append(f"| {label}, HTTP on gunicorn | p50 {a['p50']:.1f} ms, p99 {a['p99']:.1f} ms, "
                         f"{a['rps']:.0f} req/s {a['statuses']} | p50 {r['p50']:.2f} ms, p99 "
                         f"{r['p99']:.2f} ms, {r['rps']:.0f} q/s | p99 {a['p99'] / r['p99']:.1f}x | "
                         f"p99 ≤ {limit:.1f} ms: {verdict(a['p99'] <= limit)} |")
        f = look.get("floor")
        if f:
            lines.append(f"| floor: Flask view, fixed Feature, no database (bench/floor_app.py), "
                         f"same gunicorn and client | p50 {f['p50']:.1f} ms, p99 {f['p99']:.1f} ms, "
                         f"{f['rps']:.0f} req/s {f['statuses']} | — | — | context for the two rows above |")
    if tile:
        for z, t in tile.items():
            ratio_t = t["warm"] / t["raw_warm"]
            made = f" (made again each time, no tile cache: {t['made']:.1f} ms)" if "made" in t else ""
            lines.append(f"| densest z{z} tile {t['tile']} ({t['parcels']:,} parcels), status "
                         f"{t['status']} | cold {t['cold']:.1f} ms, warm {t['warm']:.1f} ms{made}, "
                         f"{t['bytes']:,} B | cold {t['raw_cold']:.1f} ms, warm {t['raw_warm']:.1f} ms, "
                         f"{t['raw_bytes']:,} B | warm {ratio_t:.2f}x | 1.5x: {verdict(ratio_t <= 1.5)} |")
    if ogc:
        lines += _ogc_lines(ogc)
    if browser:
        ok = browser["parcel_bytes"] < TARGETS["map_bytes"]
        lines.append(f"| map first load, phone, county centre at z{browser['zoom']} | first parcel "
                     f"drawn at {browser['first_parcel_ms']:.0f} ms; {browser['parcel_bytes']:,} B "
                     f"of parcel data in {browser['requests']} tile requests ({browser['all_bytes']:,} B "
                     f"with scripts and styles); {browser['drawn']} parcels drawn | — | — | "
                     f"< 1 MB: {verdict(ok)} |")
    mem_ok = imp["maxrss_mib"] < 1024 and all(p < 1024 for p in peaks)
    lines.append(f"| peak memory | import process {imp['maxrss_mib']:.0f} MiB; gunicorn workers "
                 f"{', '.join(f'{p:.0f}' for p in peaks) or '—'} MiB | — | — | < 1 GiB: {verdict(mem_ok)} |")
    steps = " + ".join(f"{k} {v:.1f}" for k, v in raw["steps"].items())
    lines += ["", f"Raw pipeline: {steps} s; invalid {raw['invalid']}, overlapping pairs {raw['overlaps']}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2, help="import processes at once")
    parser.add_argument("--lookups", type=int, default=5_000)
    parser.add_argument("--threads", type=int, default=2, help="HTTP client threads")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running (print where)")
    args = parser.parse_args()
    from landrights.pg import EmbeddedPostgres

    base = Path(tempfile.mkdtemp(prefix="landrights-bench-county-"))
    base.chmod(0o755)
    cluster = EmbeddedPostgres(base / "instance", log=lambda *_: None)
    gunicorn = None
    t_start = time.perf_counter()
    try:
        cluster.start()
        t = time.perf_counter()
        print(f"generating {args.parcels:,} parcels ...", flush=True)
        files, codes, geoms = generate(base, args.parcels)
        gen_s = time.perf_counter() - t
        url, token = prepare_app_db(cluster, base / "instance", [c for c, _ in files])
        print("importing through import_survey ...", flush=True)
        imp = app_import(url, base / "instance", files, args.jobs)
        print("raw pipeline ...", flush=True)
        raw = raw_pipeline(cluster, "raw", codes, geoms)  # the survey benchmark's, on our rows
        del geoms
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with __import__("psycopg").connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE parcels")
        gunicorn, port = start_gunicorn(url, base / "instance", 2, 4)
        print("lookups, tiles, browser ...", flush=True)
        look = lookups(port, token, dsn, args.lookups, args.threads)
        tile = tiles(port, token, dsn)
        ogc = ogc_pages(port, token, dsn)
        browser = None if args.no_browser else map_first_load(port)
        peaks = worker_peaks_mib(gunicorn)
        stop_gunicorn(gunicorn)
        # the same tiles made on every request: the workers keep none (LANDRIGHTS_TILE_CACHE_MB=0)
        gunicorn, port = start_gunicorn(url, base / "instance", 2, 4, LANDRIGHTS_TILE_CACHE_MB="0")
        uncached = tiles(port, token, dsn)
        stop_gunicorn(gunicorn)
        gunicorn = None
        for z, t in tile.items():
            t["made"] = uncached[z]["warm"]
        look["floor"] = floor_load(look["codes"], args.threads)
        print()
        print(report(args.parcels, args.jobs, gen_s, imp, raw, look, tile, browser, peaks, ogc))
    finally:
        if gunicorn is not None:
            stop_gunicorn(gunicorn)
        if args.keep:
            print(f"cluster left running: {cluster.url('county')} (stop: pg_ctl -D {cluster.data_dir} stop)")
        else:
            discard_cluster(cluster, base)
    print(f"\nbenchmark wall time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
