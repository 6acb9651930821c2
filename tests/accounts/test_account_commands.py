"""`landrights users …` and `landrights keys rotate-secret` on a copy of the demo database: tokens
say when they expire and can be revoked; accounts can be deactivated, unlocked, logged out
everywhere and given a new password; the session key can be replaced, ending every session."""
import re
import uuid

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from landrights.cli import main
from tests.conftest import TEMPLATE_DB


@pytest.fixture
def instance(server, template_url, tmp_path):
    name = f"lr_cli_{uuid.uuid4().hex[:8]}"
    url = server.create_db(name, template=TEMPLATE_DB)
    engine = sa.create_engine(url)
    env = {"DATABASE_URL": url, "LANDRIGHTS_INSTANCE": str(tmp_path), "SECRET_KEY": None,
           "LANDRIGHTS_ENV": None}
    yield env, engine
    engine.dispose()
    server.drop_db(name)


def run(env: dict, *args: str, ok: bool = True):
    result = CliRunner().invoke(main, list(args), env=env)
    assert (result.exit_code == 0) == ok, result.output + repr(result.exception)
    return result


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.scalar(sa.text(sql), params)


def add_sessions(engine, username: str, n: int = 2) -> None:
    with engine.begin() as conn:
        for i in range(n):
            conn.execute(sa.text(
                "INSERT INTO login_sessions (user_id, token_hash, source_address, user_agent) "
                "SELECT id, md5(:s) || md5(:s), '192.0.2.1', 'test' FROM users WHERE username = :u"),
                {"s": f"{username}{i}{uuid.uuid4()}", "u": username})


def live_sessions(engine, username: str | None = None) -> int:
    return scalar(engine, "SELECT count(*) FROM login_sessions s JOIN users u ON u.id = s.user_id "
                          "WHERE s.ended_at IS NULL AND (CAST(:u AS text) IS NULL OR u.username = :u)",
                  u=username)


def test_a_token_says_when_it_expires_and_is_revoked_by_its_id(instance):
    env, engine = instance
    issued = run(env, "users", "token", "officer", "--name", "gis", "--days", "30")
    assert issued.stdout.startswith("lr_")
    token_id = re.search(r"revoke-token (\d+)", issued.stderr).group(1)
    # China Standard Time, as people write it, never UTC
    assert re.search(r"valid until \d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2};", issued.stderr)
    assert "UTC" not in issued.stderr
    days = scalar(engine, "SELECT round(extract(epoch FROM expires_at - now()) / 86400) "
                          "FROM api_tokens WHERE id = :i", i=int(token_id))
    assert days == 30
    listed = run(env, "users", "tokens", "officer").stdout
    assert re.search(rf"^\s*{token_id} gis\b", listed, re.M) and "revoked" not in listed
    run(env, "users", "revoke-token", token_id)
    assert "revoked" in run(env, "users", "tokens", "officer").stdout
    assert scalar(engine, "SELECT revoked_at IS NOT NULL FROM api_tokens WHERE id = :i",
                  i=int(token_id))


def test_deactivate_and_reactivate(instance):
    env, engine = instance
    add_sessions(engine, "clerk")
    run(env, "users", "token", "clerk")
    run(env, "users", "deactivate", "clerk")
    assert "(deactivated)" in run(env, "users", "list").stdout
    assert live_sessions(engine, "clerk") == 0
    assert scalar(engine, "SELECT count(*) FROM api_tokens t JOIN users u ON u.id = t.user_id "
                          "WHERE u.username = 'clerk' AND t.revoked_at IS NULL") == 0
    run(env, "users", "reactivate", "clerk")
    assert scalar(engine, "SELECT is_active FROM users WHERE username = 'clerk'")


def test_unlock_revoke_and_a_new_password(instance):
    env, engine = instance
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO login_throttles (username, source, failures, locked_until) "
                             "VALUES ('farmer', '192.0.2.1', 0, now() + interval '10 minutes'), "
                             "('farmer', '*', 5, NULL)"))
    assert "2 failed-login count(s) cleared" in run(env, "users", "unlock", "farmer").stderr
    add_sessions(engine, "farmer")
    assert "2 login session(s) ended" in run(env, "users", "revoke", "farmer").stderr
    add_sessions(engine, "farmer", 1)
    weak = run(env, "users", "password", "farmer", "--password", "password123", ok=False)
    assert "password:" in weak.output and live_sessions(engine, "farmer") == 1
    run(env, "users", "password", "farmer", "--password", "cows graze by the river")
    assert live_sessions(engine, "farmer") == 0


def test_creating_an_account_refuses_a_weak_password(instance):
    env, engine = instance
    result = run(env, "users", "create", "buyer7", "--role", "transferee", "--name", "合作社",
                 "--password", "12345678", ok=False)
    assert "password:" in result.output and "10" in result.output
    assert scalar(engine, "SELECT count(*) FROM users WHERE username = 'buyer7'") == 0


def test_rotating_the_secret_key_writes_a_new_one_and_ends_every_session(instance, tmp_path):
    env, engine = instance
    run(env, "users", "list")  # the instance makes its first key
    before = (tmp_path / "secret_key").read_text()
    add_sessions(engine, "officer")
    add_sessions(engine, "farmer")
    said = run(env, "keys", "rotate-secret").stderr
    assert (tmp_path / "secret_key").read_text() != before
    assert "4 login session(s) ended" in said and "restart" in said
    assert live_sessions(engine) == 0
    assert scalar(engine, "SELECT DISTINCT end_reason FROM login_sessions") == "key_rotated"


def test_rotating_a_key_set_in_the_environment_says_where_to_change_it(instance, tmp_path):
    env, engine = instance
    add_sessions(engine, "officer")
    said = run({**env, "SECRET_KEY": "x" * 64}, "keys", "rotate-secret").stderr
    assert "SECRET_KEY comes from the environment" in said and not (tmp_path / "secret_key").exists()
    assert live_sessions(engine) == 0
