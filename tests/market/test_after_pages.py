"""The market's later steps on the pages and through /api/v1: the officer records the scanned
signatures and registers a long transfer (R1.24); the household consents and the transferee
re-transfers (R1.29); pledges filed and released on the officer's page block listings (R1.30);
the listing parcels' GeoJSON is bbox-limited and carries no personal data."""
from __future__ import annotations

import base64
import io
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from landrights import clock
from tests.factories import bearer, make_listing
from tests.market.conftest import HOUSEHOLD, MEMBER_HOUSEHOLD, MEMBER_ID, make_bidder, parcels_of
from tests.market.test_after_signing import SCAN, _awarded, _filed, _review

BBOX = "124.0,42.0,126.5,44.0"


def test_officer_records_the_scan_and_registers_on_the_contract_page(client, auth, session, officer):
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    try:
        contract = _awarded(session, officer, member, term_start=date(2024, 1, 1))  # five years: R1.24
    finally:
        clock.reset()
    path = f"/market/contracts/{contract.code}"
    auth.login("officer")
    page = client.get(path).get_data(as_text=True)
    assert 'id="scan-form"' in page and 'id="registration-form"' not in page
    client.post(f"{path}/scan", data={"csrf_token": auth.csrf(path)}, follow_redirects=True)
    assert contract.status == "draft"  # no file: refused
    refused = client.post(f"{path}/scan", data={"csrf_token": auth.csrf(path)}, follow_redirects=True)
    assert "scan" in refused.get_data(as_text=True)
    client.post(f"{path}/scan", data={"csrf_token": auth.csrf(path),
                                      "scan": (io.BytesIO(SCAN.data), "signed.pdf", "application/pdf")},
                content_type="multipart/form-data")
    assert (contract.status, contract.signature_method) == ("filed", "officer_scan")
    page = client.get(path).get_data(as_text=True)
    assert 'data-status="filed"' in page and 'id="registration-form"' in page
    client.post(f"{path}/registration", data={"csrf_token": auth.csrf(path)})
    assert contract.registered_at is not None
    assert 'id="registered"' in client.get(path).get_data(as_text=True)
    auth.login("farmer")
    scan = client.get(f"{path}/signatures")
    assert scan.status_code == 200 and scan.data == SCAN.data
    assert 'id="registration-form"' not in client.get(path).get_data(as_text=True)  # the officer's step


def test_household_consents_and_the_transferee_retransfers_on_the_pages(client, auth, session, officer):
    farm = make_bidder(session, "farm", "family_farm")
    _review(session, farm)
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    try:
        contract = _filed(session, officer, farm)
    finally:
        clock.reset()
    path = f"/market/contracts/{contract.code}"
    form = {"to_transferee_id": str(member.transferee_id), "term_start": "2027-03-01",
            "term_end": "2028-12-31", "price": "590", "payment_schedule": "每年一次"}
    auth.login("farm")
    assert 'id="retransfer-form"' in client.get(path).get_data(as_text=True)
    refused = client.post(f"{path}/retransfer", data={"csrf_token": auth.csrf(path)} | form,
                          follow_redirects=True).get_data(as_text=True)
    assert "R1.29" in refused  # no consent yet
    auth.login("farmer")
    client.post(f"{path}/consent", data={"csrf_token": auth.csrf(path)})
    auth.login("farm")
    client.post(f"{path}/retransfer", data={"csrf_token": auth.csrf(path)} | form)
    code = session.scalar(sa.text("SELECT code FROM retransfers WHERE contract_id = :c"), {"c": contract.id})
    assert code is not None
    auth.login("liu")
    bids = client.get("/market/bids").get_data(as_text=True)
    assert code in bids and 'id="retransfers-to-sign"' in bids
    client.post(f"/market/retransfers/{code}/sign", data={"csrf_token": auth.csrf("/market/bids")})
    assert session.scalar(sa.text("SELECT status FROM retransfers WHERE code = :c"), {"c": code}) == "filed"
    auth.login("officer")
    ledger = client.get("/market/ledger").get_data(as_text=True)
    assert code in ledger
    assert "再流转" in ledger


def test_pledge_page_blocks_and_frees_a_listing(client, auth, session):
    codes = parcels_of(session, HOUSEHOLD)[:1]
    auth.login("officer")
    client.post("/market/pledges", data={
        "csrf_token": auth.csrf("/market/pledges"), "household_code": HOUSEHOLD, "parcel_codes": codes[0],
        "creditor": "辽源农商银行", "amount_yuan": "40000", "term_start": "2027-01-01",
        "term_end": "2028-12-31", "document": "抵押合同 7"})
    page = client.get("/market/pledges").get_data(as_text=True)
    assert codes[0] in page and 'data-status="active"' in page
    pledge_id = session.scalar(sa.text("SELECT id FROM pledges WHERE household_code = :h"), {"h": HOUSEHOLD})
    auth.login("farmer")
    listing = {"parcel_codes": codes, "mode": "lease", "land_use": "grain", "term_start": "2027-01-01",
               "term_end": "2028-12-31", "reserve_price": "450", "payment_schedule": "每年一次"}
    refused = client.post("/market/mine", data={"csrf_token": auth.csrf("/market/mine")} | listing,
                          follow_redirects=True).get_data(as_text=True)
    assert "R1.30" in refused and codes[0] in refused
    auth.login("officer")
    client.post("/market/pledges", data={"csrf_token": auth.csrf("/market/pledges"), "action": "release",
                                         "pledge_id": str(pledge_id), "document": "结清证明"})
    auth.login("farmer")
    client.post("/market/mine", data={"csrf_token": auth.csrf("/market/mine")} | listing)
    assert session.scalar(sa.text("SELECT count(*) FROM listings WHERE household_code = :h"),
                          {"h": HOUSEHOLD}) == 1
    auth.login("migrant")
    assert client.get("/market/pledges").status_code == 403


def test_listing_parcels_geojson_is_bbox_limited_and_anonymous(app, session):
    listing = make_listing(session)
    anyone = app.test_client()
    missing = anyone.get("/api/v1/listings/parcels")
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "bbox"
    assert anyone.get("/api/v1/listings/parcels?bbox=126,44,125,43").status_code == 422
    found = anyone.get(f"/api/v1/listings/parcels?bbox={BBOX}").get_json()
    ours = [f for f in found["features"] if f["properties"]["listing_id"] == listing.id]
    assert sorted(f["id"] for f in ours) == sorted(p.parcel_code for p in listing.parcels)
    assert ours[0]["geometry"]["type"] == "MultiPolygon"
    assert set(ours[0]["properties"]) == {"code", "listing_id", "area_mu", "land_use", "price", "closes_at",
                                          "status"}  # no holder, no household
    far = anyone.get("/api/v1/listings/parcels?bbox=100,30,101,31").get_json()
    assert far["features"] == [] and far["numberMatched"] == 0
    one = anyone.get(f"/api/v1/listings/parcels?bbox={BBOX}&listing={listing.id}&limit=1").get_json()
    assert (one["numberReturned"], one["numberMatched"]) == (1, 2)  # paged, and says how many
    none = anyone.get(f"/api/v1/listings/parcels?bbox={BBOX}&land_use=aquaculture").get_json()
    assert all(f["properties"]["listing_id"] != listing.id for f in none["features"])  # filters apply
    page = anyone.get("/market/").get_data(as_text=True)
    assert 'id="market-map"' in page and 'data-bounds="12' in page and "market_map.js" in page
    assert 'id="market-map"' in anyone.get(f"/market/{listing.id}").get_data(as_text=True)


def test_the_later_steps_through_the_api(client, session, officer):
    farm = make_bidder(session, "farm", "family_farm")
    _review(session, farm)
    member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD, id_number=MEMBER_ID)
    try:
        contract = _awarded(session, officer, farm)
    finally:
        clock.reset()
    heads = {u: bearer(session, u) for u in ("officer", "farmer", "farm", "liu")}
    scan = {"name": "s.pdf", "content_type": "application/pdf",
            "data_base64": base64.b64encode(SCAN.data).decode()}
    bad = client.post(f"/api/v1/transfer-contracts/{contract.code}/scanned-signatures",
                      headers=heads["farmer"], json={"scan": scan})
    assert bad.status_code == 403
    signed = client.post(f"/api/v1/transfer-contracts/{contract.code}/scanned-signatures",
                         headers=heads["officer"], json={"scan": scan})
    assert signed.status_code == 200 and signed.get_json()["status"] == "filed"
    assert signed.get_json()["signature_method"] == "officer_scan"
    terms = {"to_transferee_id": member.transferee_id, "term_start": "2027-02-01", "term_end": "2028-12-31",
             "price": "600.00", "payment_schedule": "每年一次"}
    url = f"/api/v1/transfer-contracts/{contract.code}"
    refused = client.post(f"{url}/retransfers", headers=heads["farm"], json=terms)
    assert refused.status_code == 422 and refused.get_json()["error"]["rule"] == "R1.29"
    assert client.post(f"{url}/retransfer-consents", headers=heads["farmer"], json={}).status_code == 201
    made = client.post(f"{url}/retransfers", headers=heads["farm"], json=terms)
    assert made.status_code == 201, made.get_json()
    filed = client.post(f"/api/v1/retransfers/{made.get_json()['code']}/sign", headers=heads["liu"])
    assert filed.get_json()["status"] == "filed"
    pledge = client.post("/api/v1/pledges", headers=heads["officer"], json={
        "household_code": HOUSEHOLD, "parcel_codes": contract.parcel_codes, "creditor": "农商银行",
        "amount_yuan": "80000.00", "term_start": "2027-01-01", "term_end": "2028-06-30",
        "document": "抵押合同 9", "contract_code": contract.code})
    assert pledge.status_code == 422 and pledge.get_json()["error"]["field"] == "consent_document"
    pledge = client.post("/api/v1/pledges", headers=heads["officer"], json={
        "household_code": HOUSEHOLD, "parcel_codes": contract.parcel_codes, "creditor": "农商银行",
        "amount_yuan": "80000.00", "term_start": "2027-01-01", "term_end": "2028-06-30",
        "document": "抵押合同 9", "contract_code": contract.code, "consent_document": "承包方同意书"})
    assert pledge.status_code == 201 and pledge.get_json()["pledgor"] == "transferee"
    released = client.post(f"/api/v1/pledges/{pledge.get_json()['id']}/release", headers=heads["officer"],
                           json={"document": "结清证明"})
    assert released.get_json()["status"] == "released"
    assert Decimal(made.get_json()["price"]) == Decimal("600")
