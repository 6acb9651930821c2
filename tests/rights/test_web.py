"""The migrant's view and statement through the pages, withdrawal requests and cancellation by
the holder, the officer's settlement record, the roster."""
from __future__ import annotations

import subprocess

import sqlalchemy as sa

from landrights import clock
from landrights.rights import rules
from tests.rights.conftest import HOUSEHOLD, SETTLED


def test_the_migrant_sees_every_right_and_proves_it(app, client, auth, session, tmp_path):
    auth.login("migrant")
    response = client.get("/rights")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/rights/{SETTLED}")
    page = client.get(f"/rights/{SETTLED}").get_data(as_text=True)
    assert page.count("data-settled") == 5 and 'id="contract"' in page and 'id="homestead"' in page
    assert 'id="shares"' in page and "2025" in page and "<svg" in page
    assert "220421196305078258" not in page  # no ID numbers on the view
    assert client.get(f"/rights/{HOUSEHOLD}").status_code == 403  # only the own household
    pdf = client.post(f"/rights/{SETTLED}/statement", data={"csrf_token": auth.csrf(f"/rights/{SETTLED}")})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    (tmp_path / "s.pdf").write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "s.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    contract = session.scalar(sa.text("SELECT code FROM contracts WHERE household_code = :h AND valid_to "
                                      "IS NULL"), {"h": SETTLED})
    assert "权益保留证明" in text and contract in text and "赵振华" in text
    subprocess.run(["pdftoppm", "-r", "110", "-f", "1", "-l", "1", "-png", str(tmp_path / "s.pdf"),
                    str(tmp_path / "p")], check=True)
    url = subprocess.run(["zbarimg", "-q", "--raw", str(next(tmp_path.glob("p*.png")))],
                         capture_output=True, text=True, check=True).stdout.strip()
    anyone = app.test_client()
    path = url.removeprefix(app.config["PUBLIC_BASE_URL"])
    public = anyone.get(path).get_data(as_text=True)
    assert 'data-state="genuine"' in public and "赵**" in public
    assert "赵振华" not in public and "永安农机合作社" not in public  # no full name, no transferee
    forged = anyone.get(path.replace("&s=", "&s=X"))
    assert forged.status_code == 404 and 'data-state="unverified"' in forged.get_data(as_text=True)
    bare = anyone.get(path.split("?")[0])  # the code alone opens nothing (issue 16)
    assert bare.status_code == 404 and "赵**" not in bare.get_data(as_text=True)


def test_the_holder_requests_and_cancels_a_withdrawal(client, auth, session):
    auth.login("farmer")
    path = f"/rights/{HOUSEHOLD}"
    parcel = session.scalar(sa.text("SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c ON "
                                    "c.id = cp.contract_id WHERE c.household_code = :h "
                                    "AND c.valid_to IS NULL LIMIT 1"), {"h": HOUSEHOLD})
    base = {"kind": "land_return", "parcel_codes": parcel, "compensation_yuan": "8000"}
    in_six_months = rules.add_months(clock.today(), 6).isoformat()
    early = client.post(path + "/withdrawals", data={"csrf_token": auth.csrf(path), **base,
                                                     "effective_on": "2027-03-01"}, follow_redirects=True)
    assert "R1.14" in early.get_data(as_text=True)
    back_dated = client.post(path + "/withdrawals", data={  # a crafted post: the form has no such field
        "csrf_token": auth.csrf(path), **base, "notice_on": "2026-01-01", "effective_on": in_six_months},
        follow_redirects=True)
    assert 'id="notice_on-error"' in back_dated.get_data(as_text=True)
    assert session.scalar(sa.text("SELECT count(*) FROM withdrawals")) == 0
    client.post(path + "/withdrawals", data={"csrf_token": auth.csrf(path), **base,
                                             "effective_on": in_six_months})
    request_id = session.scalar(sa.text("SELECT id FROM withdrawals WHERE household_code = :h"),
                                {"h": HOUSEHOLD})
    page = client.get(path).get_data(as_text=True)
    assert 'data-status="requested"' in page
    client.post(f"/withdrawals/{request_id}/cancel", data={"csrf_token": auth.csrf(path), "back": path})
    assert session.scalar(sa.text("SELECT status FROM withdrawals WHERE id = :i"), {"i": request_id}) == \
        "cancelled"


def test_officer_records_a_settlement_and_the_rights_stay(client, auth, session):
    auth.login("officer")
    path = f"/rights/{HOUSEHOLD}"
    before = client.get(path).get_data(as_text=True)
    response = client.post(path + "/settlement", data={
        "csrf_token": auth.csrf(path), "id_number": "220421198411303622", "settled_on": "2026-10-01",
        "city": "长春市", "document": "户口迁移证 2026-301", "address": "长春市朝阳区"},
        follow_redirects=True)
    after = response.get_data(as_text=True)
    assert "Every right" in after or "均保持不变" in after
    assert after.count("data-settled") == before.count("data-settled") + 1
    for marker in ('id="contract"', 'id="homestead"', 'id="shares"'):
        assert marker in after


def test_the_clerk_keeps_the_roster(client, auth):
    auth.login("clerk")
    page = client.get("/collectives/22042110120101/members").get_data(as_text=True)
    assert 'id="roster"' in page and "杨春林" in page
    assert client.get("/collectives/22042110120102/members").status_code == 403


def test_the_api_refuses_a_settlement_in_a_withdrawal_and_shows_the_rights(client, session):
    from tests.factories import bearer

    migrant = bearer(session, "migrant")
    view = client.get(f"/api/v1/households/{SETTLED}/rights", headers=migrant).get_json()
    assert view["contract"]["parcels"] and view["homestead"]["status"] == "active"
    assert all(m["settled"] for m in view["members"])
    leased = view["transfers"][0]  # the demo household leased two parcels to the cooperative in 2020
    assert leased["transferee"] == "永安农机合作社" and leased["rent_received_yuan"] != "0.00"
    body = {"household_code": SETTLED, "kind": "homestead", "compensation_yuan": "50000.00",
            "effective_on": "2027-01-01",
            "homestead_code": view["homestead"]["code"]}
    refused = client.post("/api/v1/withdrawals", json=body | {"settlement_id": 1}, headers=migrant)
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "settlement_id"  # G2
    made = client.post("/api/v1/withdrawals", json=body, headers=migrant)
    assert made.status_code == 201 and made.get_json()["request_method"] == "holder"
    statement = client.post(f"/api/v1/households/{SETTLED}/statements", headers=migrant).get_json()
    query = statement["verify_url"].split("?")[1]
    checked = client.get(f"/api/v1/verify/statements/{statement['code']}?{query}").get_json()
    assert checked["state"] == "genuine" and checked["holder"] == "赵**"
    # the verdict, the date, the holder masked and the land's size, and the key that signed the QR:
    # no dividends, rent, transferee
    assert set(checked) == {"state", "code", "holder", "issued_on", "parcel_count", "total_area_m2",
                            "key_id", "key_revoked_on"}
    assert checked["key_id"].startswith("220421-") and checked["key_revoked_on"] is None


def test_the_clerk_distributes_and_marks_paid_by_api(client, session):
    from tests.factories import bearer

    clerk = bearer(session, "clerk")
    made = client.post("/api/v1/collectives/22042110120101/distributions", headers=clerk,
                       json={"year": clock.today().year, "amount_per_share": "401.2500",
                             "decided_on": clock.today().isoformat(), "document": "本年度成员大会决议"})
    assert made.status_code == 201
    total = session.scalar(sa.text("SELECT sum(amount_yuan) FROM payouts WHERE distribution_id = :d"),
                           {"d": made.get_json()["id"]})
    assert f"{total:.2f}" == made.get_json()["total_yuan"]
    payout = session.scalar(sa.text("SELECT id FROM payouts WHERE distribution_id = :d LIMIT 1"),
                            {"d": made.get_json()["id"]})
    today = clock.today().isoformat()  # a payment or a decision is recorded once it happened
    paid = client.post(f"/api/v1/payouts/{payout}/paid", json={"paid_on": today}, headers=clerk)
    assert paid.get_json()["paid_on"] == today
    again = client.post(f"/api/v1/payouts/{payout}/paid", json={"paid_on": today}, headers=clerk)
    assert again.status_code == 409
    other = client.post("/api/v1/collectives/22042110120102/distributions", headers=clerk,
                        json={"year": clock.today().year, "amount_per_share": "1", "decided_on": today,
                              "document": "x"})
    assert other.status_code == 403


def test_the_api_dates_a_holders_notice_by_the_filing(client, session):
    """Issue 17: POST /withdrawals, land_return, notice_on 200 days ago, effective tomorrow, got 201."""
    from datetime import timedelta

    from tests.factories import bearer

    farmer = bearer(session, "farmer")
    parcel = session.scalar(sa.text("SELECT cp.parcel_code FROM contract_parcels cp JOIN contracts c ON "
                                    "c.id = cp.contract_id WHERE c.household_code = :h "
                                    "AND c.valid_to IS NULL ORDER BY 1 LIMIT 1"), {"h": HOUSEHOLD})
    today = clock.today()
    body = {"household_code": HOUSEHOLD, "kind": "land_return", "parcel_codes": [parcel],
            "compensation_yuan": "8000.00", "notice_on": (today - timedelta(days=200)).isoformat(),
            "effective_on": (today + timedelta(days=1)).isoformat()}
    back_dated = client.post("/api/v1/withdrawals", json=body, headers=farmer)
    assert back_dated.status_code == 422
    assert back_dated.get_json()["error"]["field"] == "notice_on"
    assert back_dated.get_json()["error"]["rule"] == "R1.14"
    assert session.scalar(sa.text("SELECT count(*) FROM withdrawals")) == 0
    del body["notice_on"]  # the request is the notice, given today
    early = client.post("/api/v1/withdrawals", json=body, headers=farmer).get_json()["error"]
    assert (early["field"], early["rule"]) == ("effective_on", "R1.14")
    body["effective_on"] = rules.add_months(today, 6).isoformat()
    made = client.post("/api/v1/withdrawals", json=body, headers=farmer)
    assert made.status_code == 201
    assert made.get_json()["notice_on"] == today.isoformat() == made.get_json()["filed_on"]
    described = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["WithdrawalIn"]
    assert "filing" in described["properties"]["notice_on"]["description"]
    assert "notice_on" not in described.get("required", [])


def test_the_household_page_shows_both_dates_as_people_write_them(client, auth, session):
    from datetime import timedelta
    from decimal import Decimal

    from landrights.accounts.permissions import Actor
    from landrights.rights import services
    from tests.rights.test_guarantee import SCAN

    officer = Actor(role="township_officer", user_id=None, name="乡镇", township_code="220421101")
    homestead = session.scalar(sa.text("SELECT code FROM homesteads WHERE household_code = :h"),
                               {"h": HOUSEHOLD})
    today = clock.today()
    services.request_withdrawal(session, officer, household_code=HOUSEHOLD, kind="homestead",
                                compensation_yuan=Decimal("50000"), notice_on=today - timedelta(days=12),
                                effective_on=today + timedelta(days=90), homestead_code=homestead,
                                scan=SCAN, signed_by="杨春林")
    auth.login("farmer")
    page = client.get(f"/rights/{HOUSEHOLD}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    notice = today - timedelta(days=12)
    assert f"{notice.year}年{notice.month}月{notice.day}日" in page
    assert f"{today.year}年{today.month}月{today.day}日" in page
    assert 'id="notice_on"' not in page  # the holder's own request is dated by its filing
