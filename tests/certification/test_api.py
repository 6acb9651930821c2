"""The confirmation path through /api/v1 (the same services as the pages), progress numbers in
the API, the page and the CSV, and the public verification endpoint."""
from __future__ import annotations

import base64
import csv
import io

import sqlalchemy as sa

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from tests.certification.conftest import COLLECTIVE, PENDING, after_days
from tests.conftest import FAST_HASH, PASSWORD
from tests.factories import bearer


def _farmer(session, household):
    accounts.create_user(session, SYSTEM, username="f" + household[-4:], password=PASSWORD, role="farmer",
                         display_name="农户", household_code=household, hash_method=FAST_HASH)
    return bearer(session, "f" + household[-4:])


def test_notice_objection_sign_off_certificate_and_verify_by_api(client, session):
    officer, county = bearer(session, "officer"), bearer(session, "county")
    farmer = _farmer(session, PENDING[0])
    response = client.post("/api/v1/notices", json={"collective_code": COLLECTIVE, "days": 7},
                           headers=officer)
    assert response.status_code == 201
    notice = response.get_json()
    assert {h["code"] for h in notice["households"]} == set(PENDING)
    assert all("*" in m["id_number"] for h in notice["households"] for m in h["members"])
    parcel = notice["households"][0]["parcels"][0]["code"]
    scan = {"name": "证据.png", "content_type": "image/png",
            "data_base64": base64.b64encode(b"\x89PNG\r\n\x1a\nxx").decode()}
    response = client.post(f"/api/v1/notices/{notice['id']}/objections", headers=farmer, json={
        "household_code": PENDING[0], "parcel_code": parcel, "text": "面积不对", "evidence": scan})
    assert response.status_code == 201 and response.get_json()["filer_kind"] == "member"
    objection = response.get_json()["id"]
    after_days(8)
    state = client.get(f"/api/v1/households/{PENDING[0]}/confirmation", headers=farmer).get_json()
    assert parcel in state["withheld"] and parcel not in state["confirmable"]
    response = client.post(f"/api/v1/objections/{objection}/decision", headers=officer,
                           json={"decision": "dismiss", "reason": "复测面积无误"})
    assert response.get_json()["status"] == "dismissed"
    signed = client.post(f"/api/v1/households/{PENDING[0]}/sign-off", headers=farmer, json={})
    assert signed.status_code == 201 and parcel in signed.get_json()["confirmed_codes"]
    code = signed.get_json()["contract_code"]
    assert client.post("/api/v1/certificates", json={"code": code}, headers=officer).status_code == 403
    issued = client.post("/api/v1/certificates", json={"code": code}, headers=county)
    assert issued.status_code == 201
    url = issued.get_json()["verify_url"]
    query = url.split("?")[1]
    seen = client.get(f"/api/v1/verify/{code}?{query}").get_json()  # no login: public
    assert seen["state"] == "valid" and seen["holder"].endswith("*") and seen["parcel_count"] >= 1
    forged = client.get(f"/api/v1/verify/{code}?{query.replace('n=1', 'n=2')}").get_json()
    assert forged["state"] == "unverified" and forged["holder"] == "" and forged["issued_on"] is None
    again = client.post(f"/api/v1/certificates/{code}/changes", headers=county,
                        json={"action": "reissue", "reason": "遗失", "document": "遗失声明"})
    assert again.get_json()["serial"] == 2
    assert client.get(f"/api/v1/verify/{code}?{query}").get_json()["state"] == "superseded"


def test_api_errors_name_the_field_and_the_rule(client, session):
    officer = bearer(session, "officer")
    response = client.post("/api/v1/notices?lang=en", json={"collective_code": COLLECTIVE, "days": 3},
                           headers=officer)
    error = response.get_json()["error"]
    assert response.status_code == 422 and (error["field"], error["rule"]) == ("days", "R5.3")
    assert "at least 7 days" in error["message"]
    response = client.post("/api/v1/notices", json={"collective_code": "123"}, headers=officer)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "collective_code"
    assert session.scalar(sa.text("SELECT count(*) FROM notices")) == 0


def test_progress_in_api_page_and_csv_agree(app, client, session, auth):
    officer = bearer(session, "officer")
    client.post("/api/v1/notices", json={"collective_code": COLLECTIVE}, headers=officer)
    items = client.get("/api/v1/progress", headers=officer).get_json()["items"]
    group = next(r for r in items if r["code"] == COLLECTIVE)
    assert group["households"]["on_notice"] == len(PENDING) and group["households"]["confirmed"] == 15
    township = next(r for r in items if r["code"] == "220421101")
    assert township["households"]["confirmed"] == 56 - len(PENDING)
    assert sum(township["parcels"].values()) == 225
    auth.login("officer")
    page = client.get("/progress").get_data(as_text=True)
    assert f'data-code="{COLLECTIVE}"' in page and "<svg" in page
    text = client.get("/progress.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    row = next(r for r in rows if r["code"] == COLLECTIVE)
    assert int(row["households_on_notice"]) == len(PENDING)
    assert client.get("/api/v1/progress?area=220422", headers=officer).status_code == 403
    finer = client.get(f"/progress?area={COLLECTIVE}00001")  # a parcel code: the page names the field
    assert finer.status_code == 422 and "area" in finer.get_data(as_text=True)
    farmer = app.test_client()  # no officer's session cookie
    assert farmer.get("/api/v1/progress", headers=_farmer(session, PENDING[1])).status_code == 403


def test_the_api_issues_anew_after_a_cancellation_with_the_reason(client, session):
    code = "220421101201010001J"  # the demo farmer's registered contract
    county = bearer(session, "county")
    assert client.post("/api/v1/certificates", json={"code": code}, headers=county).status_code == 201
    cancelled = client.post(f"/api/v1/certificates/{code}/changes", headers=county,
                            json={"action": "cancel", "reason": "误注销", "document": "决定 1号"})
    assert cancelled.status_code == 201
    refused = client.post("/api/v1/certificates", json={"code": code}, headers=county)
    assert refused.status_code == 422 and refused.json["error"]["field"] == "reason"
    anew = client.post("/api/v1/certificates", headers=county,
                       json={"code": code, "reason": "撤销误注销", "document": "决定 2号"})
    assert anew.status_code == 201 and anew.json["serial"] == 2 and anew.json["kind"] == "issue"
