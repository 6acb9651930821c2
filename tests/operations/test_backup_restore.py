"""The restore drill (issue 20 §2): the demo and a day's work (a survey import, a public notice and
sign-off, a certificate, a transfer filed with its scanned signatures), backed up, the database
and the instance folder destroyed, restored into a new empty database and instance: every table's
rows and every sequence as before, the certificate's QR still verifies, the app serves. The same
on the embedded default, where a non-empty database is refused without --force."""
from __future__ import annotations

import json
import os
import re
import shutil
import tarfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from landrights import clock, create_app
from landrights.accounts.permissions import SYSTEM, Actor
from landrights.evidence import Upload
from landrights.pg import EmbeddedPostgres
from tests.conftest import PASSWORD, _test_config
from tests.operations.drill import fingerprint, landrights, table_count

OFFICER = Actor(role="township_officer", user_id=None, name="officer", township_code="220421101")
COUNTY_ADMIN = Actor(role="county_admin", user_id=None, name="县管理员", county_code="220421")
NEW_GROUP = "22042110120104"


def _instance(folder: Path, name: str) -> Path:
    """An instance folder as one in use looks: besides the keys (made on first use), an import
    run's state, a file in a subfolder; and what a backup leaves out (temporary files, logs)."""
    instance = folder / name
    for rel, mode in (("reports/2027/summary.txt", 0o640), ("handup-runs/run1.json", 0o644),
                      ("tmp/upload-1-x/part", 0o600), ("logs/app.log", 0o644)):
        (instance / rel).parent.mkdir(parents=True, exist_ok=True)
        (instance / rel).write_text(f"{rel}\n")
        (instance / rel).chmod(mode)
    return instance


def _do_a_days_work(url: str, instance: Path, folder: Path, monkeypatch) -> tuple[str, str]:
    """Commit a survey import, a notice and sign-off, a certificate and a filed transfer; return
    the addresses the certificate's QR code carries: SM2-signed, and HMAC-signed as printed
    before issue 20."""
    from landrights.certification import certificates
    from landrights.extensions import db
    from landrights.market import contracts
    from landrights.registry import services as registry
    from landrights.survey import services as survey
    from landrights.survey import synthetic as syn
    from tests.certification.conftest import PENDING
    from tests.certification.helpers import confirmed_household
    from tests.market.conftest import MEMBER_HOUSEHOLD, MEMBER_ID, make_bidder

    monkeypatch.setenv("LANDRIGHTS_INSTANCE", str(instance))
    app = create_app(_test_config(url, instance))
    try:
        with app.app_context():
            session = db.session
            registry.add_collective(session, SYSTEM, code=NEW_GROUP, name="永安村四组")
            parcels = syn.write_geojson(syn.make_parcels(NEW_GROUP, 6), folder / "dk.geojson")
            imported = survey.import_survey(session, SYSTEM, parcels, collective_code=NEW_GROUP)
            contract = confirmed_household(session, OFFICER, PENDING[0])
            certificate = certificates.issue_certificate(session, COUNTY_ADMIN, code=contract)
            member = make_bidder(session, "liu", "individual", household=MEMBER_HOUSEHOLD,
                                 id_number=MEMBER_ID)
            transfer = _awarded_transfer(session, member)
            scan = Upload("contract-signed.pdf", "application/pdf", b"%PDF-1.4\n% signed paper\n")
            contracts.record_scanned_signatures(session, OFFICER, code=transfer.code, scan=scan)
            assert imported.id and transfer.status == "filed"
            session.commit()
            return _qr_addresses(app, certificate)
    finally:
        clock.reset()
        app.extensions["landrights.db"].engine.dispose()


def _awarded_transfer(session, bidder):
    """List two of the demo farmer's parcels, take the member's bid, award and draft the contract."""
    from landrights.market import contracts
    from landrights.market import services as market
    from tests.factories import make_listing, pay_deposit

    listing = make_listing(session)
    pay_deposit(session, OFFICER, listing, bidder)
    market.place_bid(session, bidder.actor, listing_id=listing.id, price=Decimal("520"))
    clock.travel(timedelta(days=11))  # the bidding window closes
    contracts.award(session, OFFICER, listing_id=listing.id)
    return contracts.draft_contract(session, OFFICER, listing_id=listing.id,
                                    transferee_address="吉林省长春市绿园区开发区大街8号")


def _qr_addresses(app, certificate) -> tuple[str, str]:
    from landrights.certification import certificates
    from landrights.extensions import db
    from landrights.signing import qr

    day = certificates.issued_on(certificate)
    return (certificates.verify_url(db.session, "", certificate),
            qr.hmac_url("", app.config["CERTIFICATE_KEY"].encode(), "certificate", certificate.code,
                        certificate.serial, day))


def _files(instance: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(instance)): (p.read_bytes(), p.stat().st_mode & 0o777)
            for p in instance.rglob("*") if p.is_file()}


def test_the_drill_restores_every_row_and_the_certificates_still_verify(server, databases, folder,
                                                                       monkeypatch):
    source_url = databases(demo=True)
    source, source_keys = _instance(folder, "instance"), folder / "signing-keys"
    # as in production, the signing keys live outside the instance (LANDRIGHTS_SIGNING_KEY_DIR);
    # the demo's key was made by the test run, in its own folder
    shutil.copytree(os.environ["LANDRIGHTS_SIGNING_KEY_DIR"], source_keys)
    monkeypatch.setenv("LANDRIGHTS_SIGNING_KEY_DIR", str(source_keys))
    sm2_qr, hmac_qr = _do_a_days_work(source_url, source, folder, monkeypatch)
    before = fingerprint(source_url)
    assert before["certificates"][0] == 1 and before["survey_imports"][0] == 1
    out = folder / "nightly.tar"
    said = landrights(source, source_url, "backup", str(out), signing=source_keys).output
    assert "backup written" in said and "secret keys" in said
    kept = {k: v for k, v in _files(source).items() if not k.startswith(("tmp/", "logs/"))}
    keys_kept = _files(source_keys)
    assert keys_kept and "certificate_key" in kept and "reports/2027/summary.txt" in kept
    with tarfile.open(out) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert {p["name"] for p in manifest["parts"]} == {"database.dump"} | {
        f"instance/{k}" for k in kept} | {f"signing/{k}" for k in keys_kept}
    assert manifest["database"]["tables"]["certificates"] == 1 and manifest["schema_revision"]

    shutil.rmtree(source)  # the disk is lost
    shutil.rmtree(source_keys)
    server.drop_db(make_url(source_url).database)

    target_url, target, target_keys = databases(demo=False), folder / "new", folder / "new-keys"
    said = landrights(target, target_url, "restore", str(out), signing=target_keys).output
    assert "restored" in said and "every count as in the manifest" in said
    assert fingerprint(target_url) == before
    files = _files(target)
    assert {k: v for k, v in files.items() if not k.startswith("before-restore-")} == kept
    assert files["certificate_key"][1] == 0o600 and _files(target_keys) == keys_kept

    monkeypatch.setenv("LANDRIGHTS_INSTANCE", str(target))
    monkeypatch.setenv("LANDRIGHTS_SIGNING_KEY_DIR", str(target_keys))
    app = create_app(_test_config(target_url, target))  # its CERTIFICATE_KEY: the restored file
    try:
        client = app.test_client()
        for address in (sm2_qr, hmac_qr):
            page = client.get(address)
            assert page.status_code == 200 and 'data-state="valid"' in page.get_data(as_text=True)
        _login(client, "county")
        assert client.get("/").status_code == 200 and client.get("/progress").status_code == 200
        with app.app_context():  # the restored private key signs, its published public key verifies
            from landrights import signing
            from landrights.extensions import db
            from landrights.signing import keys, sm2

            key_id = re.search(r"[?&]k=([^&]+)", sm2_qr).group(1)
            signature = sm2.sign(keys.private_key(key_id), b"restore drill")
            assert signing.verify(db.session, key_id, b"restore drill", signature).ok
    finally:
        app.extensions["landrights.db"].engine.dispose()
    other = create_app(_test_config(target_url, target) | {"CERTIFICATE_KEY": "another-key"})
    try:  # without the restored key file the QR codes printed before issue 20 would not verify
        assert other.test_client().get(hmac_qr).status_code == 404
    finally:
        other.extensions["landrights.db"].engine.dispose()


def _login(client, username: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)
    done = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert done.status_code == 302


@pytest.fixture
def embedded(folder):
    instance = folder / "embedded"
    yield instance
    EmbeddedPostgres(instance, log=lambda *_: None).stop(mode="immediate")


def test_the_embedded_default_restores_refuses_a_full_database_and_backs_up(databases, folder,
                                                                           embedded):
    source_url = databases(demo=True)
    first = folder / "first.tar"
    landrights(folder / "source", source_url, "backup", str(first))
    before = fingerprint(source_url)

    landrights(embedded, None, "restore", str(first))
    cluster = EmbeddedPostgres(embedded, log=lambda *_: None)
    assert not cluster.is_running()  # started for the command, stopped after
    cluster.start()
    embedded_url = cluster.url()
    assert fingerprint(embedded_url) == before

    refused = landrights(embedded, None, "restore", str(first), ok=False)
    assert refused.exit_code == 1
    assert re.search(r"Error: .*not empty \(\d+ tables\): nothing was changed; add --force",
                     refused.output)
    assert fingerprint(embedded_url) == before

    second = folder / "second.tar"
    landrights(embedded, None, "backup", str(second))
    assert cluster.is_running()  # a running cluster is used and left running
    with tarfile.open(first) as a, tarfile.open(second) as b:
        one, two = (json.load(t.extractfile("manifest.json")) for t in (a, b))
    assert two["database"]["source"] == "embedded"
    assert two["database"]["tables"] == one["database"]["tables"]

    target_url = databases(demo=False)
    assert table_count(target_url) == 0
    landrights(folder / "third", target_url, "restore", str(second))
    assert fingerprint(target_url) == before
    said = landrights(folder / "third", target_url, "restore", "--force", str(first)).output
    assert "restored" in said and fingerprint(target_url) == before
