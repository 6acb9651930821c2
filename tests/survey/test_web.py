"""Survey import through the API, the upload page and the CLI; rules listed and switched."""
import json
import shutil
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from landrights.survey import synthetic as syn
from landrights.survey.models import QualityRule

COLLECTIVE = "22042110120104"  # a new group: no boundary yet, away from the demo parcels


@pytest.fixture
def package(session):
    from landrights.registry import services as registry

    registry.add_collective(session, SYSTEM, code=COLLECTIVE, name="永安村四组")
    folder = Path(tempfile.mkdtemp(prefix="landrights-upload-test-"))
    parcels = syn.make_parcels(COLLECTIVE, 12, start=901)
    defects = syn.plant_defects(parcels, "22042110120102")
    shp = syn.write_shapefile(parcels, folder / "shp")
    yield syn.zip_folder(shp.parent, folder / "三组调查成果.zip"), defects
    shutil.rmtree(folder, ignore_errors=True)


def bearer(session, username):
    return {"Authorization": "Bearer " + accounts.issue_token(session, SYSTEM, username)}


def post(client, archive, headers, **fields):
    data = {"collective": COLLECTIVE, **fields,
            "file": (archive.open("rb"), archive.name)}
    return client.post("/api/v1/surveys?lang=en", data=data, headers=headers,
                       content_type="multipart/form-data")


def test_api_import_returns_the_report(client, session, package):
    archive, defects = package
    response = post(client, archive, bearer(session, "officer"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["encoding"], body["source_crs"]) == ("GB18030", "EPSG:4530")
    assert body["filename"] == "三组调查成果.zip"
    assert (body["imported"], body["rejected"]) == (5, 7)
    bowtie = next(f for f in body["findings"] if f["rule"] == "geom_valid")
    assert bowtie["parcel_code"] == defects["bowtie"] and "Self-intersection" in bowtie["message"]
    again = client.get(f"/api/v1/surveys/{body['id']}", headers=bearer(session, "officer"))
    assert again.get_json()["findings"]


def test_farmer_and_clerk_may_not_import(client, session, package):
    archive, _ = package
    before = session.scalar(sa.text("SELECT count(*) FROM survey_imports"))
    for user in ("farmer", "clerk"):
        assert post(client, archive, bearer(session, user)).status_code == 403
    assert session.scalar(sa.text("SELECT count(*) FROM survey_imports")) == before


def test_wrong_file_type_is_refused(client, session, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    response = post(client, bad, bearer(session, "officer"))
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "file"


def test_upload_page_imports_and_shows_the_report_with_a_map(client, auth, package):
    archive, defects = package
    auth.login("officer")
    page = client.get("/surveys/")
    assert page.status_code == 200 and COLLECTIVE in page.get_data(as_text=True)
    token = auth.csrf("/surveys/")
    response = client.post("/surveys/", data={
        "csrf_token": token, "collective": COLLECTIVE,
        "file": (archive.open("rb"), archive.name)}, content_type="multipart/form-data",
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="findings-map"' in html and defects["bowtie"] in html and "GB18030" in html
    assert "自相交" in html or "Self-intersection" in html


def test_the_page_reads_all_or_nothing_as_the_api_does(client, auth, session, package):
    """The box ticked (its value "y") is the schema's all_or_nothing: a file with a critical
    finding imports nothing."""
    archive, _defects = package
    auth.login("officer")
    response = client.post("/surveys/", data={
        "csrf_token": auth.csrf("/surveys/"), "collective": COLLECTIVE, "all_or_nothing": "y",
        "file": (archive.open("rb"), archive.name)}, content_type="multipart/form-data")
    assert response.status_code == 302
    record = session.execute(sa.text("SELECT all_or_nothing, imported FROM survey_imports "
                                     "ORDER BY id DESC LIMIT 1")).one()
    assert tuple(record) == (True, 0)


def test_broken_upload_on_the_page_names_the_problem(client, auth, tmp_path):
    auth.login("officer")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    response = client.post("/surveys/", data={
        "csrf_token": auth.csrf("/surveys/"), "collective": COLLECTIVE,
        "file": (broken.open("rb"), "broken.zip")}, content_type="multipart/form-data")
    assert response.status_code == 400 and "zip" in response.get_data(as_text=True)


def test_rules_are_listed_and_switched_by_the_county(client, session):
    officer = bearer(session, "officer")
    items = client.get("/api/v1/quality-rules?county=220421", headers=officer).get_json()["items"]
    assert {"geom_valid", "overlap_file", "four_neighbours", "text_encoding"} <= {
        r["id"] for r in items}
    assert all(r["enabled"] for r in items)
    from landrights.accounts.permissions import Actor
    from landrights.errors import Forbidden
    from landrights.survey import services as survey

    with pytest.raises(Forbidden):
        survey.switch_rule(session, Actor(role="township_officer", township_code="220421101"),
                           county_code="220421", rule_id="gap", moment="import", enabled=False)
    survey.switch_rule(session, Actor(role="county_admin", county_code="220421"),
                       county_code="220421", rule_id="gap", moment="import", enabled=False)
    items = client.get("/api/v1/quality-rules?county=220421", headers=officer).get_json()["items"]
    assert [r["enabled"] for r in items if r["id"] == "gap"] == [False]


def test_a_broken_rule_leaves_nothing_behind(session, package):
    from sqlalchemy.exc import ProgrammingError

    from landrights.survey import services as survey

    archive, _ = package
    session.add(QualityRule(id="broken", moment="import", target="parcel", severity="warning",
                            description_zh="坏", description_en="bad", message_zh="x",
                            message_en="x", kind="sql", body="SELECT no_such_column FROM nowhere"))
    session.flush()
    before = [session.scalar(sa.text(f"SELECT count(*) FROM {t}"))
              for t in ("parcels", "survey_imports", "survey_findings")]
    with pytest.raises(ProgrammingError):
        survey.import_survey(session, SYSTEM, archive, collective_code=COLLECTIVE)
    session.rollback()  # what the request's teardown does after the 500
    after = [session.scalar(sa.text(f"SELECT count(*) FROM {t}"))
             for t in ("parcels", "survey_imports", "survey_findings")]
    assert after == before


def test_cli_import_prints_the_json_report(package, server):
    archive, defects = package
    from landrights.cli import main

    folder = Path(tempfile.mkdtemp(prefix="landrights-cli-survey-"))
    url = server.create_db("lr_cli_survey", template="lr_template")
    try:
        env = {"LANDRIGHTS_INSTANCE": str(folder), "DATABASE_URL": url}
        added = CliRunner().invoke(main, ["collectives", "add", COLLECTIVE, "永安村四组"], env=env)
        assert added.exit_code == 0, added.output
        result = CliRunner().invoke(main, ["import-survey", str(archive), "--collective",
                                           COLLECTIVE, "--json"], env=env)
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert {"imported", "rejected", "encoding", "source_crs", "findings"} <= set(report)
        assert (report["imported"], report["encoding"]) == (5, "GB18030")
        assert {"parcel_code", "rule", "severity", "message", "location"} <= set(
            report["findings"][0])
        none = CliRunner().invoke(main, ["import-survey", str(archive), "--collective",
                                         "22042110120101"], env=env)
        assert none.exit_code != 0 and "collective" in none.output
    finally:
        server.drop_db("lr_cli_survey")
        shutil.rmtree(folder, ignore_errors=True)


def test_rules_page_lists_rules_and_lets_the_county_admin_switch_them(client, auth, session):
    auth.login("officer")
    page = client.get("/surveys/rules").get_data(as_text=True)
    assert "geom_valid" in page and 'name="rule_id"' not in page  # officers look, do not switch
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("county")
    assert 'name="rule_id"' in client.get("/surveys/rules").get_data(as_text=True)
    response = client.post("/surveys/rules", data={
        "csrf_token": auth.csrf("/surveys/rules"), "rule_id": "sliver", "enabled": "0"})
    assert response.status_code == 302
    assert session.scalar(sa.text("SELECT enabled FROM quality_rule_switches WHERE rule_id = "
                                  "'sliver' AND county_code = '220421'")) is False


def test_farmer_has_no_rules_page(client, auth):
    auth.login("farmer")
    assert client.get("/surveys/rules").status_code == 403
