"""Signed QR codes of certificates, statements of retained rights and transfer attestations
(issue 20 §4, issue 21 item 1): one verify_signed for the three; SM2 QR codes verify, HMAC QR
codes printed before keep verifying exactly as they did, anything altered is refused alike; a
rotated key's documents still verify, a revoked key's read "revoked on <date>" in Chinese; the
public keys are published (a page reached from /verify/, and /.well-known/ JSON), and an auditor's
offline checker verifies a QR code with the JSON alone."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from landrights import clock
from landrights.accounts.permissions import Actor
from landrights.certification import certificates
from landrights.market import documents
from landrights.market.models import TransferContract
from landrights.rights import statements
from landrights.signing import keys, qr
from tests.security.world import NEIGHBOUR, SETTLED

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "scripts" / "verify-offline.py"
COUNTY = Actor(role="county_admin", name="县", county_code="220421")
GENUINE = {"certificate": "valid", "statement": "genuine", "transfer": "filed"}


@pytest.fixture(autouse=True)
def real_time():
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def issued(session):
    """One document of each kind, as (kind, code, serial, day)."""
    cert = certificates.issue_certificate(session, COUNTY, code=NEIGHBOUR + "J")
    statement = statements.issue_statement(session, Actor(role="farmer", name="赵振华",
                                                          household_code=SETTLED), SETTLED)
    contract = session.scalar(sa.select(TransferContract).where(TransferContract.household_code == SETTLED))
    return {"certificate": (cert.code, cert.serial, certificates.issued_on(cert)),
            "statement": (statement.code, 1, statements.issued_on(statement)),
            "transfer": (contract.code, 1, documents.filed_on(contract))}


def _path(app, url: str) -> str:
    return url.removeprefix(app.config["PUBLIC_BASE_URL"])


def _state(client, path: str) -> tuple[int, str]:
    answer = client.get(path)
    found = re.search(r'data-state="([a-z]+)"', answer.get_data(as_text=True))
    return answer.status_code, found and found.group(1)


@pytest.mark.parametrize("kind", ["certificate", "statement", "transfer"])
def test_an_sm2_qr_and_an_hmac_qr_printed_before_both_verify(app, client, session, issued, kind):
    code, serial, day = issued[kind]
    base, key = app.config["PUBLIC_BASE_URL"], app.config["CERTIFICATE_KEY"].encode()
    signed = qr.signed_url(session, base, kind, code, serial, day)
    assert re.search(r"[?&]k=220421-[0-9a-f]{8}&s=[A-Za-z0-9_-]{86}$", signed)
    assert _state(client, _path(app, signed)) == (200, GENUINE[kind])
    before = qr.hmac_url(base, key, kind, code, serial, day)  # the format printed until issue 20
    assert "k=" not in before and _state(client, _path(app, before)) == (200, GENUINE[kind])
    page = client.get(_path(app, signed)).get_data(as_text=True)
    assert 'id="signed-by"' in page and 'id="key-revoked"' not in page


@pytest.mark.parametrize("kind", ["certificate", "statement", "transfer"])
def test_anything_altered_in_a_signed_qr_gets_the_one_refusal(app, client, session, issued, kind):
    code, serial, day = issued[kind]
    signed = _path(app, qr.signed_url(session, app.config["PUBLIC_BASE_URL"], kind, code, serial, day))
    other_key = keys.new_signing_key(session, "220421").key_id  # a real key, not the one that signed
    signature = re.search(r"&s=([^&]+)$", signed).group(1)
    flipped = signature[:10] + ("B" if signature[10] != "B" else "C") + signature[11:]
    altered = [signed.replace(f"d={day:%Y%m%d}", "d=20200101"),
               signed.replace(code, code[:-3] + ("999" if kind != "certificate" else "99J")),
               signed.replace(signature, flipped),
               re.sub(r"k=[^&]+", f"k={other_key}", signed),
               re.sub(r"k=[^&]+&", "", signed),  # the SM2 signature read as an HMAC
               re.sub(r"k=220421-", "k=220422-", signed)]
    if kind == "certificate":
        altered.append(signed.replace(f"n={serial}", f"n={serial + 1}"))
    for path in altered:
        assert _state(client, path) == (404, "unverified"), path


def test_the_api_names_the_key_and_its_revocation(app, client, session, issued):
    code, serial, day = issued["certificate"]
    signed = qr.signed_url(session, app.config["PUBLIC_BASE_URL"], "certificate", code, serial, day)
    query = signed.split("?")[1]
    body = client.get(f"/api/v1/verify/{code}?{query}").get_json()
    key_id = re.search(r"k=([^&]+)", query).group(1)
    assert body["state"] == "valid" and body["key_id"] == key_id and body["key_revoked_on"] is None
    keys.new_signing_key(session, "220421")
    keys.revoke(session, key_id, "私钥泄露")
    body = client.get(f"/api/v1/verify/{code}?{query}").get_json()
    assert body["state"] == "valid" and body["key_revoked_on"] == clock.today().isoformat()
    hmac = qr.hmac_url("", app.config["CERTIFICATE_KEY"].encode(), "certificate", code, serial, day)
    assert client.get(f"/api/v1/verify/{code}?{hmac.split('?')[1]}").get_json()["key_id"] is None


def test_rotation_then_revocation_as_the_public_sees_it(app, client, session, issued):
    code, serial, day = issued["certificate"]
    base = app.config["PUBLIC_BASE_URL"]
    first = _path(app, qr.signed_url(session, base, "certificate", code, serial, day))
    old = re.search(r"k=([^&]+)", first).group(1)
    new = keys.new_signing_key(session, "220421", valid_from=clock.today())  # rotation, today
    second = _path(app, qr.signed_url(session, base, "certificate", code, serial, day))
    assert f"k={new.key_id}&" in second  # the new key signs from its day
    assert _state(client, first) == (200, "valid") and _state(client, second) == (200, "valid")
    revoked = keys.revoke(session, old, "保管私钥的电脑被盗")
    page = client.get(first).get_data(as_text=True)
    assert 'data-state="valid"' in page and 'id="key-revoked"' in page
    day_written = f"{clock.today().year}年{clock.today().month}月{clock.today().day}日"
    assert "吊销" in page and day_written in page  # in Chinese, with the day
    assert f'data-revoked-on="{keys.revoked_on(revoked).isoformat()}"' in page
    assert 'id="key-revoked"' not in client.get(second).get_data(as_text=True)


def test_the_keys_are_published_on_a_page_linked_from_verify_and_as_json(client, session):
    box = client.get("/verify/").get_data(as_text=True)
    assert 'href="/verify/keys"' in box  # reached by a click from the verification page
    page = client.get("/verify/keys")
    html = page.get_data(as_text=True)
    key = keys.key_in_force(session, "220421")
    assert page.status_code == 200 and key.key_id in html and "BEGIN PUBLIC KEY" in html
    assert 'href="/.well-known/landrights-keys.json"' in html
    published = client.get("/.well-known/landrights-keys.json")
    body = published.get_json()
    assert published.status_code == 200 and body["format"] == "landrights-keys/1"
    mine = next(k for k in body["keys"] if k["key_id"] == key.key_id)
    assert mine["public_key_hex"] == key.public_key and mine["revoked_on"] is None
    assert mine["algorithm"] == "SM2" and mine["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert "private" not in json.dumps(body).lower()
    checker = client.get("/verify/keys/verify-offline.py")  # what the page offers auditors
    assert 'href="/verify/keys/verify-offline.py"' in html and checker.status_code == 200
    assert checker.data == (ROOT / "landrights" / "signing" / "offline.py").read_bytes()
    assert b"import landrights" not in checker.data and b"from landrights" not in checker.data


def _offline(qr_text: str, keys_file: Path) -> tuple[int, str]:
    run = subprocess.run([sys.executable, str(CHECKER), qr_text, "--keys", str(keys_file)],
                         capture_output=True, text=True, timeout=60)
    return run.returncode, run.stdout


def test_an_auditor_checks_a_qr_offline_with_the_published_json_alone(app, client, session, issued,
                                                                       tmp_path):
    code, serial, day = issued["transfer"]
    base = app.config["PUBLIC_BASE_URL"]
    url = qr.signed_url(session, base, "transfer", code, serial, day)
    published = tmp_path / "landrights-keys.json"
    published.write_bytes(client.get("/.well-known/landrights-keys.json").data)
    status, said = _offline(url, published)
    assert status == 0 and said.startswith("VERIFIED") and code in said
    assert _offline(url.replace(f"d={day:%Y%m%d}", "d=20200101"), published)[0] == 1  # altered
    assert _offline("https://example.com/anything", published)[0] == 1
    hmac = qr.hmac_url(base, app.config["CERTIFICATE_KEY"].encode(), "transfer", code, serial, day)
    assert _offline(hmac, published)[0] == 3  # the older format: only the server can check it
    keys.new_signing_key(session, "220421")
    keys.revoke(session, re.search(r"k=([^&]+)", url).group(1), "测试吊销")
    published.write_bytes(client.get("/.well-known/landrights-keys.json").data)
    status, said = _offline(url, published)
    assert status == 2 and f"revoked on {clock.today().isoformat()}" in said
