"""`landrights serve` (issue 20, section 5): gunicorn started as the operator starts it, in
production, against a copy of the test database on a free port; and the refusals before it starts."""
from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import TEMPLATE_DB

LANDRIGHTS = str(Path(sys.executable).parent / "landrights")
FIRST_REVISION = "0001"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _production_env(instance: Path, **values) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "CERTIFICATE_KEY", "DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR")
           and not k.startswith("LANDRIGHTS_")}
    return {**env, "LANDRIGHTS_ENV": "production", "LANDRIGHTS_INSTANCE": str(instance), **values}


def _keys(folder: Path) -> dict:
    """Production's keys: the two secrets and a folder with an SM2 signing key (mode 600)."""
    from landrights.signing import sm2

    folder.mkdir(mode=0o700, parents=True)
    pem = folder / "test.pem"
    pem.touch(mode=0o600)
    pem.write_bytes(sm2.new_private_pem())
    return {"SECRET_KEY": secrets.token_hex(32), "CERTIFICATE_KEY": secrets.token_hex(32),
            "LANDRIGHTS_SIGNING_KEY_DIR": str(folder)}


@pytest.fixture
def database_copy(server, template_url):
    """A committed copy of the migrated demo database for a server process of its own."""
    name = f"lr_serve_{uuid.uuid4().hex[:8]}"
    url = server.create_db(name, template=TEMPLATE_DB)
    yield url
    server.drop_db(name)


def _set_revision(url: str, revision: str) -> None:
    """Make the database say it is at an older schema revision (as one not yet upgraded)."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = %s", (revision,))


def _get(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _wait_until_listening(proc: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"landrights serve ended ({proc.returncode}): {log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"landrights serve did not listen: {log.read_text()[-3000:]}")


def _json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_serve_runs_gunicorn_in_production_and_answers_pages_health_and_metrics(database_copy, tmp_path):
    port = _free_port()
    log = tmp_path / "serve.log"
    env = _production_env(tmp_path / "instance", DATABASE_URL=database_copy,
                          LANDRIGHTS_TRUSTED_PROXIES="1", **_keys(tmp_path / "signing"))
    with log.open("w") as out:
        proc = subprocess.Popen([LANDRIGHTS, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                                 "--threads", "2"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_listening(proc, port, log)
        for _ in range(6):  # spread over both workers: the scrape must sum them
            status, headers, _body = _get(port, "/verify/")  # a public page
            assert status == 200
        assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])
        status, headers, body = _get(port, "/healthz")
        health = json.loads(body)
        assert status == 200 and health["status"] == "ok", health
        assert set(health["checks"]) == {"database", "schema", "disk"}
        # the trusted proxy's id is kept and echoed; the query string never reaches the log
        status, headers, _body = _get(port, "/login?who=220421199001011234",
                                      {"X-Request-ID": "nginx-7f3a9c"})
        assert status == 200 and headers["X-Request-ID"] == "nginx-7f3a9c"
        status, _headers, body = _get(port, "/metrics")
        text = body.decode()
        assert status == 200
        assert 'landrights_http_requests_total{method="GET",route="/verify/",status="200"} 6.0' in text
        assert 'landrights_http_request_duration_seconds_count{method="GET",route="/verify/"} 6.0' in text
    finally:
        proc.send_signal(signal.SIGTERM)
        returncode = proc.wait(timeout=60)
    output = log.read_text()
    assert returncode == 0, output[-3000:]
    assert "2 workers x 2 threads, timeout 260 s" in output  # 60 s + 1 s a MB of the 200 MB upload
    assert "Traceback" not in output and "220421199001011234" not in output
    requests = [line for line in _json_lines(output) if line.get("logger") == "landrights.request"]
    assert len(requests) == 9  # one line per request: 6 pages, health, login, metrics
    login = next(line for line in requests if line["request_id"] == "nginx-7f3a9c")
    assert login["route"] == "/login" and login["method"] == "GET" and login["status"] == 200
    assert isinstance(login["duration_ms"], float) and login["user_id"] is None
    assert {line["route"] for line in requests} == {"/verify/", "/healthz", "/login", "/metrics"}
    # gunicorn's own lines are JSON too, one stream for the journal
    assert any(line.get("logger") == "gunicorn.error" for line in _json_lines(output))
    assert list((tmp_path / "instance" / "prometheus").glob("counter_*.db"))


def test_serve_in_production_refuses_without_its_settings_in_one_sentence(tmp_path):
    result = subprocess.run([LANDRIGHTS, "serve"], env=_production_env(tmp_path, SECRET_KEY="a"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("Error: LANDRIGHTS_ENV=production needs DATABASE_URL and "
                                     "CERTIFICATE_KEY set in the environment; refusing to start.")
    assert not (tmp_path / "pgdata").exists()  # the embedded cluster was never made


def test_serve_in_production_refuses_a_weak_metrics_token(tmp_path):
    env = _production_env(tmp_path, DATABASE_URL="postgresql://db.example/landrights",
                          LANDRIGHTS_METRICS_TOKEN="letmein", **_keys(tmp_path / "signing"))
    result = subprocess.run([LANDRIGHTS, "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "LANDRIGHTS_METRICS_TOKEN is too short" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_in_production_refuses_a_database_behind_the_code(database_copy, tmp_path):
    _set_revision(database_copy, FIRST_REVISION)
    env = _production_env(tmp_path, DATABASE_URL=database_copy, **_keys(tmp_path / "signing"))
    result = subprocess.run([LANDRIGHTS, "serve", "--bind", f"127.0.0.1:{_free_port()}"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: the database schema is at {FIRST_REVISION} but this code needs ")
    assert "run `landrights db upgrade`" in line


def test_serve_in_production_refuses_a_database_it_cannot_reach(tmp_path):
    closed = _free_port()
    env = _production_env(tmp_path, DATABASE_URL=f"postgresql://landrights@127.0.0.1:{closed}/x",
                          **_keys(tmp_path / "signing"))
    result = subprocess.run([LANDRIGHTS, "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: cannot reach the database of DATABASE_URL (")
