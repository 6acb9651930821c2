"""The market through /api/v1: a farmer lists, transferees bid, the officer awards, both sign, the
household records the rent; listings are public; errors name the field and the rule."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from landrights import clock
from tests.factories import bearer
from tests.market.conftest import HOUSEHOLD, parcels_of


def test_listing_to_rent_through_the_api(app, client, session):
    farmer, officer, buyer = (bearer(session, u) for u in ("farmer", "officer", "transferee"))
    codes = parcels_of(session, HOUSEHOLD)[:2]
    listing = client.post("/api/v1/listings", headers=farmer, json={
        "household_code": HOUSEHOLD, "parcel_codes": codes, "mode": "lease", "term_start": "2024-01-01",
        "term_end": "2028-12-31", "reserve_price": "480.00", "payment_schedule": "每年一次",
        "land_use": "grain"})
    assert listing.status_code == 201, listing.get_json()
    listing_id = listing.get_json()["id"]
    anyone = app.test_client()
    public = anyone.get("/api/v1/listings?township=220421101").get_json()["items"]
    assert [x["id"] for x in public] == [listing_id] and "household_name" not in public[0]
    again = client.post("/api/v1/transferees", headers=buyer, json={
        "kind": "cooperative", "name": "永安农机合作社", "operating_capacity": "大型收割机 2 台"})
    assert again.status_code == 409  # the demo cooperative is registered already
    me = {"id": session.scalar(sa.text("SELECT t.id FROM transferees t JOIN users u ON u.id = t.user_id "
                                       "WHERE u.username = 'transferee'"))}
    client.post(f"/api/v1/listings/{listing_id}/deposits", headers=officer,
                json={"transferee_id": me["id"], "amount_yuan": "3000.00", "receipt": "收据 17"})
    low = client.post(f"/api/v1/listings/{listing_id}/bids", headers=buyer, json={"price": "470.00"})
    assert low.status_code == 422 and low.get_json()["error"]["field"] == "price"
    assert client.post(f"/api/v1/listings/{listing_id}/bids", headers=buyer,
                       json={"price": "510.00"}).status_code == 201
    client.post("/api/v1/capital-reviews", headers=bearer(session, "county"), json={
        "transferee_id": me["id"], "county_code": "220421", "approved": True, "max_area_mu": "300.00",
        "qualification": "合作社登记证", "project": "规模化玉米种植", "risk_measures": "预付首年租金",
        "valid_until": "2032-01-01"})
    clock.travel(timedelta(days=11))
    try:
        awarded = client.post(f"/api/v1/listings/{listing_id}/award", headers=officer)
        assert awarded.get_json()["transferee_id"] == me["id"]
        contract = client.post(f"/api/v1/listings/{listing_id}/contract", headers=officer, json={
            "transferee_address": "吉林省辽源市东丰县大阳镇永安村"}).get_json()  # R1.23(1)
        assert contract["registrable"] is True  # five years: may be registered (R1.24)
        client.post(f"/api/v1/transfer-contracts/{contract['code']}/sign", headers=farmer)
        signed = client.post(f"/api/v1/transfer-contracts/{contract['code']}/sign", headers=buyer).get_json()
        assert signed["status"] == "filed"
        registered = client.post(f"/api/v1/transfer-contracts/{contract['code']}/registration",
                                 headers=officer)
        assert registered.status_code == 200 and registered.get_json()["registered_at"]
        again = client.post(f"/api/v1/transfer-contracts/{contract['code']}/registration", headers=officer)
        assert again.status_code == 409 and again.get_json()["error"]["rule"] == "R1.24"
        rent = client.post(f"/api/v1/transfer-contracts/{contract['code']}/rent", headers=farmer,
                           json={"due_on": "2024-01-01", "paid_on": "2024-01-08"})
        assert rent.status_code == 200 and rent.get_json()["amount_yuan"] == contract["annual_rent_yuan"]
        wrong = client.post(f"/api/v1/transfer-contracts/{contract['code']}/termination", headers=farmer,
                            json={"cause": "higher_offer", "evidence": "x"})
        assert wrong.status_code == 422 and wrong.get_json()["error"]["rule"] == "R1.25"
    finally:
        clock.reset()
    assert session.scalar(sa.text("SELECT count(*) FROM transfer_ledger WHERE contract_code = :c"),
                          {"c": contract["code"]}) == 1
