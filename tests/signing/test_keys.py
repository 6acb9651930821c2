"""The county's signing keys (issue 20 §4): the private half only in a file of mode 600, the
public half in the database; sign/verify; rotation (a new key signs from its day, the old one
keeps verifying); revocation (the old signatures read "revoked on <date>"); the record is never
rewritten; development makes the first key itself, production refuses to start without one."""
from __future__ import annotations

import os
import stat
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from landrights import clock, config
from landrights.errors import Conflict, NotFound, ValidationFailed
from landrights.signing import SignedBy, Verdict, keys, sign, sm2, verify
from landrights.signing.models import SigningKey
from tests.signing.helpers import signing_folder

COUNTY = "220421"


@pytest.fixture(autouse=True)
def real_time():
    clock.reset()
    yield
    clock.reset()


def test_the_demo_county_has_a_key_in_force_whose_private_half_is_a_file_of_mode_600(session):
    key = keys.key_in_force(session, COUNTY)
    assert key is not None and key.algorithm == "SM2"
    assert key.key_id == f"{COUNTY}-{sm2.fingerprint(key.public_key)}"  # the id names the key
    path = keys.private_key_path(key.key_id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert sm2.public_hex(keys.private_key(key.key_id)) == key.public_key
    columns = set(session.scalars(sa.text("SELECT column_name FROM information_schema.columns "
                                          "WHERE table_name = 'signing_keys'")))
    assert not {c for c in columns if "private" in c or "secret" in c}


def test_sign_and_verify_round_trip_and_refusals(session):
    signed = sign(session, COUNTY, b"register head 2026-12-09 abc")
    assert isinstance(signed, SignedBy) and signed.key_id.startswith(f"{COUNTY}-")
    assert verify(session, signed.key_id, b"register head 2026-12-09 abc", signed.signature_b64) == \
        Verdict(True, signed.key_id, None)
    assert not verify(session, signed.key_id, b"register head 2026-12-09 abd", signed.signature_b64).ok
    assert not verify(session, "220421-00000000", b"register head 2026-12-09 abc", signed.signature_b64).ok
    assert not verify(session, "not a key", b"x", signed.signature_b64).ok
    assert not verify(session, signed.key_id, b"x", "not a signature").ok


def test_rotation_a_new_key_signs_from_its_day_and_the_old_one_keeps_verifying(session):
    old = keys.key_in_force(session, COUNTY)
    before = sign(session, COUNTY, b"document A")
    assert before.key_id == old.key_id
    new = keys.new_signing_key(session, COUNTY, valid_from=clock.today() + timedelta(days=1))
    assert new.key_id != old.key_id
    assert sign(session, COUNTY, b"document A2").key_id == old.key_id  # not yet its day
    clock.travel(timedelta(days=1))
    after = sign(session, COUNTY, b"document B")
    assert after.key_id == new.key_id
    assert verify(session, before.key_id, b"document A", before.signature_b64).ok
    assert verify(session, after.key_id, b"document B", after.signature_b64).ok
    assert not verify(session, after.key_id, b"document A", before.signature_b64).ok  # keys are not mixed


def test_revocation_signs_nothing_more_and_old_signatures_read_revoked_with_the_day(session):
    old = keys.key_in_force(session, COUNTY)
    signed = sign(session, COUNTY, b"document")
    keys.new_signing_key(session, COUNTY)
    revoked = keys.revoke(session, old.key_id, "私钥所在电脑送修")
    day = clock.local_date(revoked.revoked_at)
    assert verify(session, old.key_id, b"document", signed.signature_b64) == Verdict(True, old.key_id, day)
    assert sign(session, COUNTY, b"next").key_id != old.key_id
    with pytest.raises(Conflict):
        keys.revoke(session, old.key_id, "again")
    with pytest.raises(ValidationFailed) as info:
        keys.revoke(session, keys.key_in_force(session, COUNTY).key_id, "  ")
    assert info.value.field == "reason"
    with pytest.raises(NotFound):
        keys.revoke(session, "220421-00000000", "no such key")


def test_with_every_key_revoked_nothing_is_signed_and_the_message_says_what_to_do(session):
    for key in keys.list_keys(session, COUNTY):
        if key.revoked_at is None:
            keys.revoke(session, key.key_id, "测试")
    with pytest.raises(Conflict) as info:
        sign(session, COUNTY, b"x")
    assert "landrights keys new-signing --county 220421" in str(info.value.message)


def test_a_key_is_a_record_only_its_revocation_may_be_added(session):
    key = keys.key_in_force(session, COUNTY)
    for sql in ("UPDATE signing_keys SET public_key = :p WHERE key_id = :k",
                "UPDATE signing_keys SET valid_from = valid_from - 1 WHERE key_id = :k",
                "DELETE FROM signing_keys WHERE key_id = :k"):
        with pytest.raises(DBAPIError) as info, session.begin_nested():
            session.execute(sa.text(sql), {"k": key.key_id, "p": "04" + "ab" * 64})
        error = info.value.orig
        assert (error.sqlstate, error.diag.constraint_name) == ("P0001", "signing_keys_history")
    keys.revoke(session, key.key_id, "once")
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(sa.text("UPDATE signing_keys SET revoked_at = NULL, revoke_reason = NULL "
                                "WHERE key_id = :k"), {"k": key.key_id})


def test_a_new_key_never_signs_from_a_day_already_past(session):
    with pytest.raises(ValidationFailed) as info:
        keys.new_signing_key(session, COUNTY, valid_from=clock.today() - timedelta(days=1))
    assert info.value.field == "valid_from"
    with pytest.raises(ValidationFailed):
        keys.new_signing_key(session, "2204")


def test_development_makes_a_countys_first_key_itself_and_production_does_not(app, session):
    county = "220499"  # a county with no key yet (committed: made in a transaction of its own)
    with app.app_context():
        app.config["PRODUCTION"] = True
        try:
            with pytest.raises(Conflict):
                sign(session, county, b"x")
        finally:
            app.config["PRODUCTION"] = False
        signed = sign(session, county, b"x")
    assert signed.key_id.startswith(f"{county}-")
    assert verify(session, signed.key_id, b"x", signed.signature_b64).ok
    assert keys.private_key_path(signed.key_id).exists()


def test_a_missing_private_key_is_said_plainly(session, tmp_path):
    key = keys.new_signing_key(session, COUNTY, folder=tmp_path)
    with pytest.raises(Conflict) as info:
        keys.private_key(key.key_id, tmp_path / "elsewhere")
    assert key.key_id in str(info.value.message)


def test_production_refuses_to_start_without_a_usable_signing_key(monkeypatch, tmp_path):
    monkeypatch.setenv("LANDRIGHTS_ENV", "production")
    monkeypatch.setenv("LANDRIGHTS_INSTANCE", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "9f3c1e7a5b2d8064c1f7e3a9b5d20486")
    monkeypatch.setenv("CERTIFICATE_KEY", "71c0e5a3f9d2b8460e1a7c3f5b9d2e84")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/landrights")
    monkeypatch.delenv("LANDRIGHTS_SIGNING_KEY_DIR", raising=False)
    with pytest.raises(config.ConfigError, match="LANDRIGHTS_SIGNING_KEY_DIR is not set"):
        config.load()
    empty = tmp_path / "keys"
    empty.mkdir()
    monkeypatch.setenv("LANDRIGHTS_SIGNING_KEY_DIR", str(empty))
    with pytest.raises(config.ConfigError, match="holds no SM2 signing key"):
        config.load()
    (empty / "220421-00000000.pem").write_text("not a key")
    os.chmod(empty / "220421-00000000.pem", 0o600)
    with pytest.raises(config.ConfigError, match="holds no SM2 signing key"):
        config.load()
    folder = signing_folder(tmp_path / "loose")
    for pem in folder.glob("*.pem"):
        os.chmod(pem, 0o644)
    monkeypatch.setenv("LANDRIGHTS_SIGNING_KEY_DIR", str(folder))
    with pytest.raises(config.ConfigError, match="chmod 600"):
        config.load()
    for pem in folder.glob("*.pem"):
        os.chmod(pem, 0o600)
    assert config.load()["SIGNING_KEY_DIR"] == str(folder)
    assert config.load({"SIGNING_KEY_SETUP": True, "SIGNING_KEY_DIR": str(empty)})  # the keys commands


def test_keys_are_listed_by_county_oldest_first(session):
    made = keys.new_signing_key(session, COUNTY, valid_from=clock.today() + timedelta(days=30))
    listed = keys.list_keys(session, COUNTY)
    assert listed[-1].key_id == made.key_id and all(k.county_code == COUNTY for k in listed)
    row = session.get(SigningKey, (COUNTY, made.key_id))
    assert row.valid_from == clock.today() + timedelta(days=30)
