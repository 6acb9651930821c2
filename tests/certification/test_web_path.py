"""The whole confirmation path through the web pages, as the people who use it: the officer
imports the survey and opens the notice, the farmer objects, the officer corrects, re-notices,
the farmer confirms, the county issues the certificate, and anyone verifies its QR code."""
from __future__ import annotations

import io
import re
import subprocess

import sqlalchemy as sa

from landrights.accounts import services as accounts
from landrights.accounts.permissions import SYSTEM
from landrights.geo.area import display_mu
from landrights.registry import rules
from landrights.registry import services as registry
from landrights.survey import synthetic as syn
from tests.certification.conftest import after_days
from tests.conftest import FAST_HASH, PASSWORD, Auth

GROUP = "22042110120104"  # a fourth group the registry learns from this survey
HOUSEHOLD = GROUP + "0001"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _id_number(body17: str) -> str:
    return body17 + rules.id_check_char(body17)


def _setup_household(session):
    registry.add_collective(session, SYSTEM, code=GROUP, name="永安村四组")
    registry.add_household(session, SYSTEM, code=HOUSEHOLD, name="赵德全")
    head = registry.add_person(session, SYSTEM, county_code="220421", name="赵德全", sex=1, id_type=1,
                               id_number=_id_number("22042119650304123"))
    wife = registry.add_person(session, SYSTEM, county_code="220421", name="钱秀兰", sex=2, id_type=1,
                               id_number=_id_number("22042119670812124"))
    registry.add_member(session, SYSTEM, household_code=HOUSEHOLD, person=head, relation="02",
                        is_co_holder=True)
    registry.add_member(session, SYSTEM, household_code=HOUSEHOLD, person=wife, relation="10",
                        is_co_holder=True)
    accounts.create_user(session, SYSTEM, username="zhao", password=PASSWORD, role="farmer",
                         display_name="赵德全", household_code=HOUSEHOLD, hash_method=FAST_HASH)
    session.flush()


def _client(app, username):
    client = app.test_client()
    auth = Auth(client)
    assert auth.login(username).status_code == 302
    return client, auth


def test_survey_to_verified_certificate_through_the_web(app, session, tmp_path):
    _setup_household(session)
    officer, officer_auth = _client(app, "officer")
    parcels = syn.make_parcels(GROUP, 3, start=901)
    codes = [p.code for p in parcels]
    upload = syn.write_geojson(parcels, tmp_path / "dk.geojson")
    response = officer.post("/surveys/", data={"csrf_token": officer_auth.csrf("/surveys/"),
                                               "collective": GROUP,
                                               "file": (upload.open("rb"), "dk.geojson")},
                            content_type="multipart/form-data")
    assert response.status_code == 302

    confirm = f"/households/{HOUSEHOLD}/confirm"
    response = officer.post(f"/households/{HOUSEHOLD}/claims", data={
        "csrf_token": officer_auth.csrf(confirm), "parcel_codes": "\n".join(codes)})
    assert response.status_code == 302
    response = officer.post("/notices/", data={"csrf_token": officer_auth.csrf("/notices/"),
                                               "collective": GROUP, "days": "7", "place": "村委会公告栏"})
    notice_path = response.headers["Location"]
    page = officer.get(notice_path).get_data(as_text=True)
    assert all(code in page for code in codes) and 'data-notice-state="open"' in page
    head_id = _id_number("22042119650304123")
    assert head_id not in page and rules.mask_id_number(head_id) in page  # public list: masked

    farmer, farmer_auth = _client(app, "zhao")
    response = farmer.post(notice_path + "/objections", data={
        "csrf_token": farmer_auth.csrf(notice_path), "household_code": HOUSEHOLD,
        "parcel_code": codes[0], "text": "东至应为张家地", "evidence": (io.BytesIO(PNG), "photo.png")},
        content_type="multipart/form-data")
    objection_path = response.headers["Location"]
    assert "/objections/" in objection_path
    response = officer.post(objection_path, data={
        "csrf_token": officer_auth.csrf(objection_path), "decision": "uphold",
        "reason": "现场核实属实", "document": "核实记录1号", "parcel_changes.east": "张家地"})
    assert "upheld" in officer.get(objection_path).get_data(as_text=True)

    after_days(8)
    response = officer.post("/notices/", data={"csrf_token": officer_auth.csrf("/notices/"),
                                               "collective": GROUP, "days": "7"})
    renotice = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert codes[0] in renotice and codes[1] not in renotice  # only the change goes on it
    after_days(8)

    page = farmer.get(f"/households/{HOUSEHOLD}/confirm").get_data(as_text=True)
    assert all(code in page for code in codes)
    response = farmer.post(f"/households/{HOUSEHOLD}/confirm",
                           data={"csrf_token": farmer_auth.csrf(confirm)})
    assert response.status_code == 302
    contract = HOUSEHOLD + "J"
    assert session.scalar(sa.text("SELECT status FROM contracts WHERE code = :c AND valid_to IS NULL"),
                          {"c": contract}) == "registered"

    county, county_auth = _client(app, "county")
    path = f"/certificates/{contract}"
    assert county.post(f"{path}/issue", data={"csrf_token": county_auth.csrf(f"{path}/issue")}
                       ).status_code == 302  # issued from its confirmation page
    pdf = county.get(f"{path}/1.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    (tmp_path / "c.pdf").write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "c.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "赵德全" in text and "钱秀兰" in text and all(code in text for code in codes)
    areas = session.execute(sa.text("SELECT cp.confirmed_area_m2 FROM contract_parcels cp JOIN contracts c "
                                    "ON c.id = cp.contract_id WHERE c.code = :c"), {"c": contract}).scalars()
    assert all(str(display_mu(a)) in text for a in areas)  # every parcel's area in mu
    subprocess.run(["pdftoppm", "-r", "110", "-f", "1", "-l", "1", "-png", str(tmp_path / "c.pdf"),
                    str(tmp_path / "p")], check=True)
    page1 = next(tmp_path.glob("p*.png"))
    url = subprocess.run(["zbarimg", "-q", "--raw", str(page1)], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert url.startswith(app.config["PUBLIC_BASE_URL"] + f"/verify/{contract}?")

    anyone = app.test_client()
    verified = anyone.get(url.removeprefix(app.config["PUBLIC_BASE_URL"]))
    html = verified.get_data(as_text=True)
    assert verified.status_code == 200 and 'data-state="valid"' in html and "赵**" in html
    forged = re.sub(r"s=[^&]+", "s=AAAAAAAAAAAAAAAAAAAAAA", url).removeprefix(app.config["PUBLIC_BASE_URL"])
    refused = anyone.get(forged)
    assert refused.status_code == 404 and 'data-state="unverified"' in refused.get_data(as_text=True)
    assert "赵**" not in refused.get_data(as_text=True)
