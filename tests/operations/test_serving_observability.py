"""/healthz, /metrics and the request log (issue 20, section 5), through the test client."""
from __future__ import annotations

import ipaddress
import json
import re
import uuid

import psycopg
import pytest
from prometheus_client import REGISTRY
from sqlalchemy.engine import make_url

from landrights import clock, create_app
from landrights.accounts.permissions import Actor
from landrights.certification import certificates
from landrights.errors import Conflict, Forbidden
from landrights.handup import services as handup
from landrights.registry import services as registry
from landrights.survey import services as survey
from landrights.survey import synthetic as syn
from tests.conftest import TEMPLATE_DB, _test_config

TOKEN = "a3f9c2e8b1d7a4f6c0e5b9d2a8f1c7e3"
COUNTY = Actor(role="county_admin", user_id=None, name="县管理员", county_code="220421")


def _sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _request_lines(err: str) -> list[dict]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "landrights.request"]


@pytest.fixture
def older_schema_url(server, template_url):
    """A copy of the database that says it is at the first revision (not yet upgraded)."""
    name = f"lr_old_{uuid.uuid4().hex[:8]}"
    url = server.create_db(name, template=TEMPLATE_DB)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    yield url
    server.drop_db(name)


@pytest.fixture
def other_app(instance_dir):
    """Make apps of their own (another database, a route of the test's), disposed after."""
    made = []

    def make(url: str, **config):
        application = create_app({**_test_config(url, instance_dir), **config})
        made.append(application)
        return application

    yield make
    for application in made:
        application.extensions["landrights.db"].engine.dispose()


# --- /healthz ---------------------------------------------------------------------------------

def test_healthz_answers_anyone_with_each_check(client):
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["disk"]["ok"]
    schema = body["checks"]["schema"]
    assert schema["ok"] and schema["current"] == schema["expected"]
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers


def test_healthz_fails_when_the_upload_folder_has_no_room_for_an_upload(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTH_MIN_FREE_MB", 10 ** 12)  # more than any disk
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "failing"
    assert body["checks"]["disk"]["ok"] is False and body["checks"]["disk"]["needed_mb"] == 10 ** 12
    assert body["checks"]["database"]["ok"] and body["checks"]["schema"]["ok"]


def test_healthz_fails_when_the_schema_is_behind_the_code(other_app, older_schema_url):
    response = other_app(older_schema_url).test_client().get("/healthz")
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "failing"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["schema"]["ok"] is False and body["checks"]["schema"]["current"] == "0001"
    assert body["checks"]["schema"]["action"] == "landrights db upgrade"


def test_healthz_fails_when_the_database_is_unreachable_and_tells_nothing_of_it(other_app, server):
    url = server.db_url("lr_no_such_database_here")
    response = other_app(url).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == {"ok": False, "error": "unreachable"}
    assert b"lr_no_such_database_here" not in response.data and b"postgres" not in response.data


# --- /metrics ---------------------------------------------------------------------------------

def test_metrics_count_requests_by_route_and_status(client, auth):
    auth.login("officer")
    route = "/households/<code>"
    before = _sample("landrights_http_requests_total", method="GET", route=route, status="200")
    unmatched = _sample("landrights_http_requests_total", method="GET", route="(unmatched)", status="404")
    for code in ("220421101201010001", "220421101201010002"):
        assert client.get(f"/households/{code}").status_code == 200
    client.get("/no-such-page/220421199001011234")
    response = client.get("/metrics")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert _sample("landrights_http_requests_total", method="GET", route=route, status="200") == before + 2
    assert _sample("landrights_http_requests_total", method="GET", route="(unmatched)",
                   status="404") == unmatched + 1
    assert f'route="{route}"' in text and "landrights_http_request_duration_seconds_bucket" in text
    assert "220421101201010001" not in text and "220421199001011234" not in text  # routes, not paths


@pytest.mark.parametrize("remote, headers, allowed", [
    ("127.0.0.1", {}, True),
    ("::1", {}, True),
    ("203.0.113.7", {}, False),
    # through a proxy the app does not trust, 127.0.0.1 is the proxy's address, not the client's
    ("127.0.0.1", {"X-Forwarded-For": "203.0.113.7"}, False),
    ("203.0.113.7", {"Authorization": f"Bearer {TOKEN}"}, True),
    ("203.0.113.7", {"Authorization": "Bearer not-the-token"}, False),
    ("127.0.0.1", {"X-Forwarded-For": "203.0.113.7", "Authorization": f"Bearer {TOKEN}"}, True),
])
def test_metrics_only_for_allowed_addresses_or_the_token(app, client, monkeypatch, remote, headers,
                                                         allowed):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    response = client.get("/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote})
    assert response.status_code == (200 if allowed else 403)
    assert (b"landrights_http_requests_total" in response.data) is allowed


def test_metrics_allowlist_takes_networks(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_ALLOW", (ipaddress.ip_network("203.0.113.0/24"),))
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 200
    assert client.get("/metrics").status_code == 403  # 127.0.0.1 is no longer listed


def test_metrics_allowlist_setting_refuses_a_bad_entry(monkeypatch, tmp_path):
    from landrights import config

    monkeypatch.setenv("LANDRIGHTS_INSTANCE", str(tmp_path))
    monkeypatch.setenv("LANDRIGHTS_METRICS_ALLOW", "127.0.0.1, prometheus.local")
    with pytest.raises(config.ConfigError, match="LANDRIGHTS_METRICS_ALLOW must list addresses"):
        config.load()


@pytest.fixture
def real_time():
    clock.reset()
    yield
    clock.reset()


def test_imports_and_certificates_show_in_the_metrics(client, session, system, officer, tmp_path,
                                                      real_time):
    from tests.certification.conftest import PENDING
    from tests.certification.helpers import confirmed_household

    surveys = _sample("landrights_survey_imports_total", outcome="done")
    issued = _sample("landrights_certificates_issued_total", kind="issue", outcome="done")
    refused = _sample("landrights_certificates_issued_total", kind="issue", outcome="refused")
    handups = _sample("landrights_handup_imports_total", outcome="refused")
    registry.add_collective(session, system, code="22042110120104", name="永安村四组")
    survey.import_survey(session, system, syn.write_geojson(syn.make_parcels("22042110120104", 4),
                                                            tmp_path / "dk.geojson"),
                         collective_code="22042110120104")
    contract = confirmed_household(session, officer, PENDING[0])
    certificates.issue_certificate(session, COUNTY, code=contract)
    with pytest.raises(Conflict):  # one in force already (R3.6): refused, and counted so
        certificates.issue_certificate(session, COUNTY, code=contract)
    with pytest.raises(Forbidden):  # only the county administrator brings in a hand-up package
        handup.import_handup(session, officer, tmp_path / "none.zip")
    assert _sample("landrights_survey_imports_total", outcome="done") == surveys + 1
    assert _sample("landrights_certificates_issued_total", kind="issue", outcome="done") == issued + 1
    assert _sample("landrights_certificates_issued_total", kind="issue", outcome="refused") == refused + 1
    assert _sample("landrights_handup_imports_total", outcome="refused") == handups + 1
    text = client.get("/metrics").get_data(as_text=True)
    assert re.search(r'^landrights_survey_import_duration_seconds_count\{outcome="done"\} [1-9]', text, re.M)
    assert re.search(r'^landrights_certificate_issue_duration_seconds_count\{kind="issue",outcome="done"\} '
                     r'[1-9]', text, re.M)


# --- the request log ----------------------------------------------------------------------------

def test_one_json_line_per_request_with_its_id_route_and_account_number(client, auth, capsys):
    auth.login("officer")
    capsys.readouterr()
    response = client.get("/households/220421101201010001?name=张三", headers={"X-Request-ID": "forged"})
    (line,) = _request_lines(capsys.readouterr().err)
    # no trusted proxy here: the client's own X-Request-ID is not believed
    assert response.headers["X-Request-ID"] == line["request_id"] != "forged"
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert (line["method"], line["route"], line["status"]) == ("GET", "/households/<code>", 200)
    assert isinstance(line["user_id"], int) and line["duration_ms"] >= 0
    raw = json.dumps(line, ensure_ascii=False)
    assert "220421101201010001" not in raw and "张三" not in raw and "officer" not in raw


def test_the_500_page_shows_the_request_id_the_log_has_with_its_traceback(other_app, app, capsys):
    failing = other_app(app.config["SQLALCHEMY_DATABASE_URI"], PROPAGATE_EXCEPTIONS=False)

    @failing.get("/broken/<word>")
    def broken(word):
        raise RuntimeError("the view broke")

    response = failing.test_client().get("/broken/220421199001011234")
    request_id = response.headers["X-Request-ID"]
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and request_id in page
    assert "报告此问题时，请提供这个编号" in page
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    (crash,) = [line for line in lines if line.get("message") == "unhandled exception"]
    assert crash["request_id"] == request_id and crash["route"] == "/broken/<word>"
    assert "RuntimeError: the view broke" in crash["exc_info"]
    (logged,) = _request_lines(err)
    assert logged["request_id"] == request_id and logged["status"] == 500
    assert "220421199001011234" not in err


def test_a_database_error_is_logged_without_the_values_it_carries(other_app, app, capsys):
    import sqlalchemy as sa

    from landrights.extensions import db

    failing = other_app(app.config["SQLALCHEMY_DATABASE_URI"], PROPAGATE_EXCEPTIONS=False)

    number, table = "".join(["2204211990", "01011234"]), "_".join(["no", "such", "table"])

    @failing.get("/broken-query")
    def broken_query():
        # not a refusal of the input (42P01, not 22/23): the 500 page; its text names both
        # (built at run time: the traceback shows this source line)
        db.session.execute(sa.text(f"SELECT * FROM {table} WHERE id_number = :n"), {"n": number})

    response = failing.test_client().get("/broken-query")
    assert response.status_code == 500
    err = capsys.readouterr().err
    (crash,) = [json.loads(line) for line in err.splitlines()
                if line.startswith("{") and "unhandled exception" in line]
    assert crash["request_id"] == response.headers["X-Request-ID"] and crash["sqlstate"] == "42P01"
    assert "psycopg.errors.UndefinedTable (values withheld)" in crash["traceback"]
    assert number not in err and table not in err
