"""One input contract per use case (issue 21 §4): the survey upload page loads its form through the
schema the JSON API loads its multipart body with (landrights.survey.inputs.SurveyIn), so a value the
API refuses, the page refuses too: the same field, the same words beside it, what was typed kept,
nothing imported."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from landrights.survey.inputs import SurveyIn
from tests.factories import bearer, said_beside

COLLECTIVE = "22042110120102"  # group 02, the township officer's
FORM = {"collective": COLLECTIVE, "encoding": "GB18030", "crs": "EPSG:4530"}
LEFT_OUT = None


def _multipart(values: dict) -> dict:
    """The form both send: a file unless it is left out (never read: the fields are refused first)."""
    data = {k: v for k, v in values.items() if v is not LEFT_OUT and k != "file"}
    if values.get("file", "dk.zip") is not LEFT_OUT:
        data["file"] = (io.BytesIO(b"PK\x03\x04"), values.get("file", "dk.zip"))
    return data


@pytest.mark.parametrize("change, field", [
    ({"crs": "4530x"}, "crs"),  # EPSG:4530 or 4530
    ({"crs": "EPSG:45"}, "crs"),
    ({"encoding": "G" * 21}, "encoding"),  # at most 20 characters
    ({"collective": "2204211012"}, "collective"),  # 14 digits (R4.5)
    ({"collective": LEFT_OUT}, "collective"),
    ({"file": LEFT_OUT}, "file"),
])
def test_an_upload_the_api_refuses_the_page_refuses_beside_the_same_field(client, auth, session, change,
                                                                         field):
    values = FORM | {"all_or_nothing": "y"} | change
    before = session.scalar(sa.text("SELECT count(*) FROM survey_imports"))
    api = client.post("/api/v1/surveys", data=_multipart(values), headers=bearer(session, "officer"),
                      content_type="multipart/form-data")
    assert api.status_code == 422, api.get_json()
    error = api.get_json()["error"]
    auth.login("officer")
    page = client.post("/surveys/", data={"csrf_token": auth.csrf("/surveys/"), **_multipart(values)},
                       content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert (error["field"], page.status_code) == (field, 400)
    assert said_beside(html, field) == error["message"]
    for name in ("encoding", "crs"):  # what was typed stays in the form
        assert f'value="{values[name]}"' in html
    if values.get("collective") == COLLECTIVE:
        assert f'<option value="{COLLECTIVE}" selected>' in html
    assert 'name="all_or_nothing" type="checkbox" value="y" checked' in html
    assert session.scalar(sa.text("SELECT count(*) FROM survey_imports")) == before


@pytest.mark.parametrize("change, field, words", [
    ({"file": LEFT_OUT}, "file", "请选择要导入的调查成果文件。"),
    ({"crs": "4530x"}, "crs", "坐标系请写成 EPSG 加编号，例如 EPSG:4530。"),
])
def test_the_officer_is_told_what_to_do_in_plain_words(client, auth, session, change, field, words):
    auth.login("officer")
    page = client.post("/surveys/", data={"csrf_token": auth.csrf("/surveys/"),
                                          **_multipart(FORM | change)},
                       content_type="multipart/form-data")
    assert said_beside(page.get_data(as_text=True), field) == words


def test_the_page_and_the_api_load_one_schema(app):
    assert type(app.view_functions["api.create_survey"]._spec["body"]) is SurveyIn


@pytest.mark.parametrize("enabled, status", [("0", 302), ("maybe", 422), ("", 422)])
def test_a_rule_switch_is_read_through_its_schema(client, auth, session, enabled, status):
    """A forged or missing state is refused (RuleSwitchIn), never read as "off"."""
    auth.login("county")
    answer = client.post("/surveys/rules", data={"csrf_token": auth.csrf("/surveys/rules"),
                                                 "rule_id": "sliver", "enabled": enabled})
    assert answer.status_code == status
    switched = session.scalar(sa.text("SELECT enabled FROM quality_rule_switches WHERE rule_id = 'sliver' "
                                      "AND county_code = '220421'"))
    assert switched is (False if status == 302 else None)
