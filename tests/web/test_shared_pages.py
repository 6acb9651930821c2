"""The shared pages in people's words (issue 19): codes by their names on the parcel page, the
quality rules in words with their ids kept for officers' reference, a survey finding's rule and
reason named, the progress column of places headed 地区 and no link to a page the reader may
not open, the member roster reachable, the error page without internal field names or rule ids."""
from __future__ import annotations

import re

import sqlalchemy as sa

from landrights.registry import codes
from tests.journeys.crawl import PageText, offences
from tests.journeys.crawl_data import _survey_import


def _read(response) -> PageText:
    page = PageText()
    page.feed(response.get_data(as_text=True))
    return page


def _text(response) -> str:
    return " ".join(_read(response).text)


def test_the_parcel_page_names_land_use_and_soil_grade(client, session, auth):
    code, use_type, grade, use = session.execute(sa.text(
        "SELECT code, land_use_type, soil_grade, land_use FROM parcels WHERE valid_to IS NULL "
        "AND land_use_type = '013' AND soil_grade IS NOT NULL ORDER BY code LIMIT 1")).one()
    auth.login("officer")
    html = client.get(f"/parcels/{code}").get_data(as_text=True)
    assert '<dd id="land-use-type">旱地</dd>' in html
    assert f'<dd id="soil-grade">{codes.name_of("DLDJ", grade)}</dd>' in html and grade not in _text(
        client.get(f"/parcels/{code}")).replace(code, "")
    assert f'<dd id="land-use">{codes.name_of("TDYT", use)}</dd>' in html
    client.get("/lang/en?next=/")
    english = client.get(f"/parcels/{code}").get_data(as_text=True)
    assert '<dd id="land-use-type">dry land</dd>' in english and "grade " in english


def test_the_quality_rules_say_what_they_check_and_their_settings_in_words(client, auth):
    auth.login("officer")
    page = _read(client.get("/surveys/rules"))
    text = " ".join(page.text)
    assert "{" not in text and '"max_m2"' not in text  # no JSON
    assert "10,000,000" in text and "地块名称 100 字" in text  # settings in words
    assert not offences(text) and "code_format" not in text  # ids only in the 编号 column
    assert any("code_format" in ref and "R4.7" in ref for ref in page.reference)
    assert "编号" in text


def test_switching_a_rule_names_it_by_what_it_checks(client, auth):
    auth.login("county")
    answer = client.post("/surveys/rules", data={"csrf_token": auth.csrf("/surveys/rules"),
                                                 "rule_id": "sliver", "enabled": "0"},
                         follow_redirects=True)
    flash = re.search(r'<p class="lr-flash-success"[^>]*>([^<]*)</p>', answer.get_data(as_text=True))
    assert "细长碎片地块" in flash.group(1) and "sliver" not in flash.group(1)


def test_a_survey_report_names_each_finding_rule_and_reason(client, session, auth, tmp_path):
    import_id = _survey_import(session, tmp_path)
    auth.login("officer")
    answer = client.get(f"/surveys/{import_id}")
    text = _text(answer)
    assert "图形必须是有效、非空的面" in text and "自相交" in text
    assert "geom_valid" not in text and "Self-intersection" not in text
    assert 'data-rule-id="geom_valid"' in answer.get_data(as_text=True)


def test_the_progress_page_heads_places_and_links_only_what_the_reader_may_open(client, auth):
    auth.login("clerk")
    answer = client.get("/progress")
    html = answer.get_data(as_text=True)
    assert re.search(r"<thead><tr><th>地区</th>", html)  # not 面积 (issue 19)
    links = [a for a in _read(answer).links if a.startswith(("/progress", "/collectives"))]
    assert "/collectives/22042110120101/members" in links
    for link in links:  # the clerk's page once linked its county's and township's rows: 403
        assert client.get(link).status_code == 200, link


def test_the_household_page_leads_officials_to_the_member_roster(client, auth):
    auth.login("clerk")
    html = client.get("/households/220421101201010001").get_data(as_text=True)
    assert 'href="/collectives/22042110120101/members"' in html
    assert client.get("/collectives/22042110120101/members").status_code == 200
    auth.login("farmer")
    assert "/members" not in client.get("/households/220421101201010001").get_data(as_text=True)


def test_the_error_page_keeps_the_field_and_rule_out_of_the_text(client, auth):
    auth.login("officer")
    answer = client.get("/progress?area=2204211012010300001")  # finer than a collective
    assert answer.status_code == 422 and 'data-field="area"' in answer.get_data(as_text=True)
    text = _text(answer)
    assert "area" not in text and "字段" not in text and not offences(text)


def test_the_printed_statement_names_the_parcels_and_cites_no_rule_ids(app, session):
    from flask import render_template

    from landrights.rights import statements
    from tests.market.conftest import farmer_of

    settled = "220421101201020006"  # the demo's migrant household, leased out since 2020
    with app.test_request_context():
        issued = statements.issue_statement(session, farmer_of(settled), settled)
        html = render_template("rights/statement_pdf.html", s=issued, c=issued.content, qr="",
                               url="https://example.org/v", issued_on=statements.issued_on(issued))
    page = PageText()
    page.feed(html)
    text = " ".join(page.text)
    assert not offences(text)  # it said （R1.27） and （R1.22）
    names = session.scalars(sa.text(
        "SELECT p.name FROM contract_parcels cp JOIN contracts c ON c.id = cp.contract_id "
        "JOIN parcels p ON p.id = cp.parcel_id WHERE c.household_code = :h AND c.valid_to IS NULL"),
        {"h": settled}).all()
    assert names and all(name in text for name in names)
