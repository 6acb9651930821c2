"""Attack files against the survey upload (issue 16, findings 1 and 2), sent as an officer would
send them through /api/v1/surveys. An upload is data: none may make GDAL read a file of the server
(a marker file in the instance folder stands for the secret key), reach the network (a local
listener counts connections) or run SQL; none may leave a row, a parcel or a temporary file; and
bodies are limited, for the anonymous and farmers before a byte is read."""
from __future__ import annotations

import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from landrights.registry import services as registry
from landrights.survey import synthetic as syn

COLLECTIVE = "22042110120104"  # in the officer's township; not in the demo
TABLES = ("survey_imports", "survey_findings", "parcels", "collectives")
SQUARE = "POLYGON((125.6 42.8,125.601 42.8,125.601 42.801,125.6 42.8))"


@pytest.fixture
def secret(instance_dir):
    """A file of the server the attacker wants: (path, its text)."""
    path = instance_dir / "secret_marker"
    value = "MARKER" + os.urandom(16).hex()
    path.write_text(f"{value}\n{value}\n")
    yield path, value
    path.unlink()


@pytest.fixture
def collective(session):
    registry.add_collective(session, SYSTEM, code=COLLECTIVE, name="永安村四组")
    return COLLECTIVE


@pytest.fixture
def guard(session, collective, secret, instance_dir):
    """Check after each attack: no new rows, no temporary file left, the secret never sent."""
    before = counts(session)
    responses = []
    yield responses
    for response in responses:
        assert secret[1] not in response.get_data(as_text=True)
    assert counts(session) == before
    assert leftovers(instance_dir) == []


def counts(session) -> list[int]:
    return [session.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in TABLES]


def leftovers(instance_dir: Path) -> list[str]:
    folder = instance_dir / "tmp"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def bearer(session, user: str = "officer") -> dict:
    return {"Authorization": "Bearer " + accounts.issue_token(session, SYSTEM, user)}


def send(client, session, guard, name: str, content: bytes, user: str = "officer"):
    response = client.post("/api/v1/surveys?lang=en", headers=bearer(session, user),
                           content_type="multipart/form-data",
                           data={"collective": COLLECTIVE, "file": (io.BytesIO(content), name)})
    if guard is not None:
        guard.append(response)
    return response


def refused(response, *words: str) -> str:
    """Assert a 422 naming the field file; return its message."""
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["error"]["field"] == "file", body
    for word in words:
        assert word in body["error"]["message"], body
    return body["error"]["message"]


def vrt(source: str, layer: str = "secret_marker") -> bytes:
    """An OGR VRT pasting each line of source into DKBM after the collective's code (so that the
    file passes for the collective's), as the issue's attacker wrote it."""
    return f"""<OGRVRTDataSource><OGRVRTLayer name="DK">
  <SrcDataSource>{source}</SrcDataSource>
  <OpenOptions><OOI key="HEADERS">NO</OOI></OpenOptions>
  <SrcSQL dialect="SQLITE">SELECT '{COLLECTIVE}' || field_1 AS DKBM, '{SQUARE}' AS WKT
    FROM "{layer}"</SrcSQL>
  <GeometryField encoding="WKT" field="WKT"/><LayerSRS>EPSG:4490</LayerSRS>
</OGRVRTLayer></OGRVRTDataSource>""".encode()


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def shapefile_parts(tmp_path: Path, **replace: bytes) -> dict[str, bytes]:
    """The parts of a real DK shapefile of the collective, some replaced."""
    shp = syn.write_shapefile(syn.make_parcels(COLLECTIVE, 3, start=901), tmp_path / "real")
    parts = {p.name: p.read_bytes() for p in shp.parent.iterdir()}
    return {**parts, **replace}


def geopackage(tmp_path: Path, *statements: str) -> bytes:
    path = syn.write_geopackage(syn.make_parcels(COLLECTIVE, 3, start=901), tmp_path / "dk.gpkg")
    with sqlite3.connect(path) as db:
        for statement in statements:
            db.execute(statement)
    return path.read_bytes()


@pytest.fixture
def listener():
    """A local HTTP port that counts the connections made to it (the server must make none)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    seen, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            seen.append(conn.recv(100))
            conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", seen
    stop.set()
    thread.join()
    server.setblocking(False)
    while True:  # a connection made but not yet accepted counts too
        try:
            seen.append(server.accept()[0].recv(100))
        except BlockingIOError:
            break
    server.close()
    assert seen == [], seen


# --- finding 1: an upload is data ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["dk.geojson", "dk.json", "dk.gpkg"])
def test_a_vrt_reading_a_server_file_is_refused_under_every_name(client, session, guard, secret,
                                                                 name):
    response = send(client, session, guard, name, vrt(f"CSV:{secret[0]}"))
    refused(response, "XML")


@pytest.mark.parametrize("members", [
    {"dk.geojson": "VRT"}, {"DK.vrt": "VRT"},
    {"DK.shp": "VRT", "DK.shx": "VRT", "DK.dbf": "VRT"},
])
def test_a_vrt_inside_a_zip_is_refused(client, session, guard, secret, members):
    attack = {name: vrt(f"CSV:{secret[0]}") if data == "VRT" else data
              for name, data in members.items()}
    refused(send(client, session, guard, "package.zip", zipped(attack)))


def test_a_vrt_as_the_dbf_of_a_real_shapefile_is_refused(client, session, guard, secret,
                                                         tmp_path):
    parts = shapefile_parts(tmp_path, **{"DK.dbf": vrt(f"CSV:{secret[0]}")})
    refused(send(client, session, guard, "package.zip", zipped(parts)), "DK.dbf", "XML")


def test_gdal_never_reaches_the_network(client, session, guard, listener, tmp_path):
    url, _ = listener
    link = {"type": "FeatureCollection", "features": [],
            "crs": {"type": "link", "properties": {"href": f"{url}/crs.wkt", "type": "ogcwkt"}}}
    refused(send(client, session, guard, "dk.geojson", json.dumps(link).encode()), "link")
    refused(send(client, session, guard, "dk.geojson", vrt(f"/vsicurl/{url}/x.csv", "x")))
    # and GDAL itself, whatever path it is handed: no /vsicurl/, no VRT driver, no HTTP
    import pyogrio

    from landrights.survey import gdal_guard

    gdal_guard.harden()
    for path in (f"/vsicurl/{url}/a.geojson", f"{url}/a.geojson"):
        with pytest.raises(Exception):  # noqa: B017 (pyogrio raises several types)
            pyogrio.read_info(path)
    raw = tmp_path / "link.geojson"  # the link handed to GDAL as is: its fetch is refused
    raw.write_text(json.dumps(link))
    pyogrio.read_info(raw)
    assert sorted(gdal_guard.registered_drivers()) == ["ESRI Shapefile", "GPKG", "GeoJSON"]
    assert gdal_guard.file_systems() == ["/vsimem/"]


def test_nested_archives_are_refused(client, session, guard, secret, tmp_path):
    inner = zipped(shapefile_parts(tmp_path))
    refused(send(client, session, guard, "package.zip", zipped({"inner.zip": inner})), "archive")
    nested = vrt(f"/vsizip/{secret[0].parent}/package.zip/dk.csv", "dk")
    refused(send(client, session, guard, "dk.geojson", nested), "XML")


@pytest.mark.parametrize("statement, found", [
    ("CREATE VIEW dk_view AS SELECT * FROM DK", "view"),
    ("CREATE TRIGGER copy_out AFTER INSERT ON DK BEGIN DELETE FROM DK; END", "trigger"),
    ("CREATE TRIGGER rtree_DK_geom_insert2 AFTER UPDATE ON gpkg_contents BEGIN SELECT 1; END",
     "trigger"),
    ("CREATE TABLE extra (a TEXT, b TEXT GENERATED ALWAYS AS (upper(a)))", "generated column"),
    ("PRAGMA application_id = 0", "SQLite database"),
])
def test_a_geopackage_with_views_triggers_or_no_id_is_refused(client, session, guard, tmp_path,
                                                              statement, found):
    refused(send(client, session, guard, "dk.gpkg", geopackage(tmp_path, statement)), found)


@pytest.mark.parametrize("part", ["DK.prj", "DK.cpg"])
def test_a_shapefile_whose_prj_or_cpg_points_elsewhere_is_refused(client, session, guard, secret,
                                                                  tmp_path, part):
    parts = shapefile_parts(tmp_path, **{part: str(secret[0]).encode()})
    refused(send(client, session, guard, "package.zip", zipped(parts)), part)


def test_links_and_paths_outside_the_zip_are_refused(client, session, guard, secret, tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        link = zipfile.ZipInfo("DK.prj")
        link.create_system, link.external_attr = 3, (0o120777 << 16)  # a symbolic link
        archive.writestr(link, str(secret[0]))
        for name, data in shapefile_parts(tmp_path).items():
            if name != "DK.prj":
                archive.writestr(name, data)
    refused(send(client, session, guard, "package.zip", out.getvalue()), "link")
    escape = zipped({"../../DK.shp": b"x", **shapefile_parts(tmp_path)})
    refused(send(client, session, guard, "package.zip", escape), "../")


def test_the_report_shows_only_validated_codes(client, session, collective, secret, tmp_path):
    parcels = syn.make_parcels(COLLECTIVE, 2, start=901)
    parcels[0].code = parcels[0].attrs["DLDJ"] = secret[1]  # text where codes belong
    path = syn.write_geojson(parcels, tmp_path / "a.geojson")
    response = send(client, session, None, "a.geojson", path.read_bytes())
    assert response.status_code == 201, response.get_json()
    assert secret[1] not in response.get_data(as_text=True)
    found = {f["rule"]: f for f in response.get_json()["findings"]}
    assert found["code_format"]["parcel_code"] is None
    assert "row 1" in found["code_format"]["message"]  # the row, not the text, names the parcel
    assert found["code_tables"]["parcel_code"] is None


def test_gdals_message_is_logged_not_shown(client, session, guard, secret, tmp_path, caplog):
    # GDAL's message quotes the file (a column name here): the user reads what to do
    column = geopackage(tmp_path, f"UPDATE gpkg_geometry_columns SET column_name = '{secret[1]}'")
    refused(send(client, session, guard, "dk.gpkg", column), "cannot be read")
    assert secret[1] in caplog.text  # for the operator, in the server's log


# --- finding 2: resource limits -----------------------------------------------------------------

def bomb(size: int = 256 << 20) -> bytes:
    """A zip whose DK.shp unpacks to size bytes of zeros (about 1000:1)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("DK.shp")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as member:
            for _ in range(size >> 20):
                member.write(bytes(1 << 20))
        archive.writestr("DK.shx", b"")
        archive.writestr("DK.dbf", b"")
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(client, session, guard, tmp_path):
    from landrights.survey.errors import SurveyFileError
    from landrights.survey.intake import take_apart

    package = bomb()
    assert len(package) < 1 << 20
    refused(send(client, session, guard, "package.zip", package), "zip bomb")
    (tmp_path / "bomb.zip").write_bytes(package)
    into = tmp_path / "parts"
    into.mkdir()
    with pytest.raises(SurveyFileError) as info:
        take_apart(tmp_path / "bomb.zip", into)
    assert info.value.params["found"] == "ratio" and list(into.iterdir()) == []


def test_a_zip_whose_sizes_lie_is_refused_after_its_declared_size(tmp_path):
    from landrights.survey.errors import SurveyFileError
    from landrights.survey.intake import take_apart

    package = bytearray(bomb(8 << 20))
    central = package.index(b"PK\x01\x02")  # DK.shp is the first member in both directories
    for at in (22, central + 24):  # its uncompressed size, in the local and the central header
        assert package[at:at + 4] == (8 << 20).to_bytes(4, "little")
        package[at:at + 4] = (1000).to_bytes(4, "little")
    (tmp_path / "liar.zip").write_bytes(package)
    into = tmp_path / "parts"
    into.mkdir()
    with pytest.raises(SurveyFileError) as info:
        take_apart(tmp_path / "liar.zip", into)
    assert info.value.key == "broken_zip"
    assert all(p.stat().st_size <= 1000 for p in into.iterdir())


class Body(io.RawIOBase):
    """A request body of n zero bytes that counts how much of it the server read."""

    def __init__(self, n: int):
        self.size, self.position, self.consumed = n, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # the test client measures the body by seeking to its end, reading nothing

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = offset + (self.size if whence == 2 else 0)
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        k = max(0, min(len(buffer), self.size - self.position))
        buffer[:k] = bytes(k)
        self.position += k
        self.consumed += k
        return k


def post_body(client, path: str, size: int, headers: dict | None = None,
              content_type: str = "multipart/form-data; boundary=x"):
    body = Body(size)
    response = client.post(path, input_stream=body, content_type=content_type,
                           headers=headers or {})
    return response, body.consumed


@pytest.mark.parametrize("user, status", [(None, 401), ("farmer", 403), ("clerk", 403),
                                          ("transferee", 403)])
def test_who_may_not_import_is_refused_before_the_body_is_read(client, session, guard, user,
                                                              status):
    headers = bearer(session, user) if user else {}
    for path in ("/api/v1/surveys", "/surveys/"):
        response, read = post_body(client, path, 100 << 20, headers)
        guard.append(response)
        assert (response.status_code, read) == (status, 0)


def test_an_upload_over_the_survey_limit_is_413_before_it_is_read(app, client, session, guard,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "SURVEY_UPLOAD_MAX_MB", 1)
    response, read = post_body(client, "/api/v1/surveys", 2 << 20, bearer(session))
    guard.append(response)
    assert (response.status_code, read) == (413, 0)
    assert response.get_json()["error"]["code"] == "too_large"


def test_a_survey_upload_may_exceed_the_global_limit(client, session, collective, tmp_path,
                                                      instance_dir):
    parts = shapefile_parts(tmp_path, **{"scan.jpg": os.urandom(17 << 20)})  # not read, not kept
    response = send(client, session, None, "package.zip", zipped(parts))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["imported"] == 3 and leftovers(instance_dir) == []


def test_the_global_body_limit_is_in_force(client, session):
    response, read = post_body(client, "/login", 17 << 20,
                               content_type="application/x-www-form-urlencoded")
    assert (response.status_code, read) == (413, 0)
    assert "16 MB" in response.get_data(as_text=True) and "请求" in response.get_data(as_text=True)
    response, read = post_body(client, "/api/v1/persons", 17 << 20, bearer(session),
                               content_type="application/json")
    assert (response.status_code, read) == (413, 0)
    assert response.get_json()["error"]["code"] == "too_large"


def test_a_killed_import_leaves_nothing_after_the_next_start(server, tmp_path):
    from landrights import create_app

    code = ("import os, signal, sys\nfrom landrights.uploads import scratch_folder\n"
            "with scratch_folder(sys.argv[1], 'survey') as folder:\n"
            "    (folder / 'upload').write_bytes(bytes(1 << 20))\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    killed = subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=False)
    assert killed.returncode == -9
    left = list((tmp_path / "tmp").iterdir())
    assert len(left) == 1 and (left[0] / "upload").exists()
    alive = tmp_path / "tmp" / f"survey-{os.getpid()}-busy"  # a running import of ours
    alive.mkdir()
    create_app({"SQLALCHEMY_DATABASE_URI": server.db_url("lr_test"), "TESTING": True,
                "SECRET_KEY": "test-secret", "INSTANCE_DIR": str(tmp_path), "DATABASE_URL": None})
    assert [p.name for p in (tmp_path / "tmp").iterdir()] == [alive.name]
