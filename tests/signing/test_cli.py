"""`landrights keys new-signing | list | revoke` on a copy of the demo database: a new key with its
private half written mode 600, the list with each key's state, revocation with its reason; in
production the commands make the first key that the app then needs to start."""
from __future__ import annotations

import stat
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from landrights import clock, config
from landrights.cli import main
from tests.conftest import TEMPLATE_DB

STRONG = {"SECRET_KEY": "9f3c1e7a5b2d8064c1f7e3a9b5d20486",
          "CERTIFICATE_KEY": "71c0e5a3f9d2b8460e1a7c3f5b9d2e84"}


@pytest.fixture
def instance(server, template_url, tmp_path):
    name = f"lr_keys_{uuid.uuid4().hex[:8]}"
    url = server.create_db(name, template=TEMPLATE_DB)
    engine = sa.create_engine(url)
    env = {"DATABASE_URL": url, "LANDRIGHTS_INSTANCE": str(tmp_path), "SECRET_KEY": None,
           "LANDRIGHTS_ENV": None, "LANDRIGHTS_SIGNING_KEY_DIR": str(tmp_path / "keys")}
    yield env, engine
    engine.dispose()
    server.drop_db(name)


def run(env: dict, *args: str, ok: bool = True):
    result = CliRunner().invoke(main, list(args), env=env)
    assert (result.exit_code == 0) == ok, result.output + repr(result.exception)
    return result


def test_new_list_and_revoke(instance, tmp_path):
    env, engine = instance
    demo_key = run(env, "keys", "list").output.split("\t")[0]
    assert demo_key.startswith("220421-")
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    made = run(env, "keys", "new-signing", "--from", tomorrow).output  # the one county with keys
    key_id = made.split("\t")[0]
    assert key_id.startswith("220421-") and key_id != demo_key and f"signs from {tomorrow}" in made
    pem = tmp_path / "keys" / f"{key_id}.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600 and b"PRIVATE KEY" in pem.read_bytes()
    listed = run(env, "keys", "list", "--county", "220421").output
    assert f"{key_id}\tSM2\tfrom {tomorrow}\tnot signing\tprivate key present" in listed
    assert f"{demo_key}\tSM2" in listed and "in force" in listed
    refused = run(env, "keys", "revoke", demo_key, ok=False)  # no --reason
    assert "--reason" in refused.output
    revoked = run(env, "keys", "revoke", demo_key, "--reason", "电脑送修")
    assert f"{demo_key} revoked on {clock.today().isoformat()}" in revoked.output
    assert "no signing key in force" in revoked.output  # the new one signs only from tomorrow
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT revoke_reason FROM signing_keys WHERE key_id = :k"),
                           {"k": demo_key}) == "电脑送修"
    assert "revoked on" in run(env, "keys", "list").output
    assert "吊销" in run(env, "keys", "revoke", demo_key, "--reason", "x", ok=False).output  # already
    assert run(env, "keys", "new-signing", "--from", "yesterday", ok=False).exit_code == 2


def test_production_starts_once_the_command_has_made_its_key(instance, tmp_path, monkeypatch):
    env, _ = instance
    folder = tmp_path / "production-keys"
    folder.mkdir()
    production = {**env, **STRONG, "LANDRIGHTS_ENV": "production",
                  "LANDRIGHTS_SIGNING_KEY_DIR": str(folder)}
    for name, value in production.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigError, match="holds no SM2 signing key"):
        config.load()
    made = run(production, "keys", "new-signing", "--county", "220421").output
    assert (folder / f"{made.split(chr(9))[0]}.pem").exists()
    assert config.load()["SIGNING_KEY_DIR"] == str(folder)  # now it starts
