"""GDAL's own OGC API – Features client (Debian gdal-bin: ogrinfo, ogr2ogr) reads /ogc from a live
server as QGIS would: the collections, every parcel through the next links, one feature by id,
a spatial filter, and a copy into a GeoPackage."""
import os
import re
import subprocess
import threading

import pyogrio
import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from landrights.extensions import db

pytestmark = pytest.mark.gdal  # ./test's bootstrap installs gdal-bin: fail, never skip, without it
TOKEN_NAME = "gdal-test"


@pytest.fixture(scope="module")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/ogc"
    server.shutdown()


@pytest.fixture(scope="module")
def headers(app, tmp_path_factory):
    """A committed bearer token for the officer, in a header file that GDAL sends."""
    with app.app_context():
        token = accounts.issue_token(db.session, SYSTEM, "officer", TOKEN_NAME)
        db.session.commit()
    path = tmp_path_factory.mktemp("gdal") / "headers.txt"
    path.write_text(f"Authorization: Bearer {token}\n")
    yield str(path)
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM api_tokens WHERE name = :n"), {"n": TOKEN_NAME})
        db.session.commit()


def gdal(tool: str, *args: str, headers: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1", "GDAL_HTTP_TIMEOUT": "30"}
    config = ["--config", "GDAL_HTTP_HEADER_FILE", headers] if headers else []
    return subprocess.run([tool, *config, *args], capture_output=True, text=True, timeout=120, env=env)


def township_parcels(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM parcels WHERE valid_to IS NULL AND "
                                   "code LIKE '220421101%'"))


def test_ogrinfo_lists_the_collections_and_counts_the_parcels(live_server, headers, engine):
    out = gdal("ogrinfo", "-ro", "-so", "-al", f"OAPIF:{live_server}", headers=headers)
    assert out.returncode == 0, out.stderr
    layers = re.findall(r"^Layer name: (\w+)", out.stdout, re.M)
    assert set(layers) == {"parcels", "homesteads", "listings"}
    parcels = out.stdout.split("Layer name: parcels")[1].split("Layer name:")[0]
    assert f"Feature Count: {township_parcels(engine)}" in parcels
    x0, y0 = map(float, re.search(r"Extent: \(([\d.]+), ([\d.]+)\)", parcels).groups())
    assert 124 < x0 < 127 and 42 < y0 < 44  # lon, lat: axes not swapped
    assert "code: String" in parcels and "holder" not in parcels


def test_ogr2ogr_copies_every_parcel_through_the_next_links(live_server, headers, engine, tmp_path):
    target = tmp_path / "parcels.gpkg"
    out = gdal("ogr2ogr", "-f", "GPKG", str(target), f"OAPIF:{live_server}", "parcels",
               "-oo", "PAGE_SIZE=100", headers=headers)
    assert out.returncode == 0, out.stderr
    info = pyogrio.read_info(target, layer="parcels")
    assert info["features"] == township_parcels(engine)
    assert "code" in list(info["fields"]) and "holder" not in list(info["fields"])


def test_ogrinfo_reads_one_feature_by_fid(live_server, headers, engine):
    with engine.connect() as conn:
        pid, code = conn.execute(sa.text("SELECT id, code FROM parcels WHERE valid_to IS NULL AND "
                                         "code LIKE '220421101%' ORDER BY id DESC LIMIT 1")).one()
    out = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{live_server}", "parcels", "-fid", str(pid),
               headers=headers)
    assert out.returncode == 0, out.stderr
    assert f"OGRFeature(parcels):{pid}" in out.stdout and code in out.stdout


def test_ogrinfo_spatial_filter_becomes_a_bbox(live_server, headers, engine):
    with engine.connect() as conn:
        x0, y0, x1, y1 = conn.execute(sa.text(
            "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM parcels "
            "WHERE valid_to IS NULL ORDER BY code LIMIT 1")).one()
    out = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{live_server}", "parcels", "-spat", str(x0), str(y0),
               str(x1), str(y1), headers=headers)
    assert out.returncode == 0, out.stderr
    found = len(re.findall(r"^OGRFeature\(parcels\)", out.stdout, re.M))
    assert 0 < found < township_parcels(engine)


def test_without_an_account_gdal_reads_no_parcels(live_server):
    out = gdal("ogrinfo", "-ro", "-so", f"OAPIF:{live_server}", "parcels")
    assert out.returncode != 0 or "Feature Count" not in out.stdout
