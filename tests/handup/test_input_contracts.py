"""One input contract per use case (issue 21 §4): the hand-up upload page loads its form through the
schema the JSON API loads its multipart body with (landrights.handup.inputs.HandupIn), so both refuse
the same input naming the same field in the same words; the resolution of an ID number in conflict
is loaded through its schema (ConflictIn), so a forged choice is refused, nothing changed."""
from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from landrights.handup.inputs import HandupIn
from tests.factories import bearer, said_beside


@pytest.mark.parametrize("values", [{}, {"all_or_nothing": "y"}])
def test_a_package_left_out_is_refused_by_the_api_and_the_page_beside_the_file(client, auth, session,
                                                                              values):
    api = client.post("/api/v1/handups", data=dict(values), headers=bearer(session, "county"),
                      content_type="multipart/form-data")
    assert api.status_code == 422, api.get_json()
    error = api.get_json()["error"]
    auth.login("county")
    page = client.post("/handups/", data={"csrf_token": auth.csrf("/handups/"), **values},
                       content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert (error["field"], page.status_code) == ("file", 400)
    assert said_beside(html, "file") == error["message"] == "请选择要导入的汇交成果包。"
    assert ('value="y" checked' in html) == bool(values)  # the choice is kept
    assert session.scalar(sa.text("SELECT count(*) FROM handup_imports")) == 0


def test_a_wrong_kind_of_file_is_said_beside_it(client, auth):
    auth.login("county")
    page = client.post("/handups/", data={"csrf_token": auth.csrf("/handups/"),
                                          "file": (io.BytesIO(b"x"), "package.rar")},
                       content_type="multipart/form-data")
    assert page.status_code == 400 and ".zip" in said_beside(page.get_data(as_text=True), "file")


def test_the_page_and_the_api_load_one_schema(app):
    assert type(app.view_functions["api.create_handup"]._spec["body"]) is HandupIn


@pytest.mark.parametrize("forged, said", [
    ({"action": "delete"}, "请从给出的选项中选择一项。"),  # keep or correct only
    ({"household_code": "2204211012"}, "承包方编码必须是 18 位数字。"),
    ({"document": "文" * 201}, "最多填写 200 个字。"),
])
def test_a_forged_resolution_is_refused_and_changes_nothing(client, auth, session, forged, said):
    auth.login("officer")
    page = client.get("/handups/conflicts").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
    before = session.scalar(sa.text("SELECT count(*) FROM change_events"))
    answer = client.post("/handups/conflicts", data={
        "csrf_token": token, "household_code": "220421101201010001", "id_number": "220421196503041234",
        "action": "keep", "reason": "核实", **forged}, follow_redirects=True)
    assert answer.status_code == 200 and said in answer.get_data(as_text=True)
    assert session.scalar(sa.text("SELECT count(*) FROM change_events")) == before
