"""Production refuses to start without its secrets or with weak ones, in one sentence;
development makes its own key once."""
import os
import subprocess
import sys

import pytest

from landrights import config
from tests.signing.helpers import signing_folder

STRONG_KEY = "9f3c1e7a5b2d8064c1f7e3a9b5d20486"  # 32 hex characters, as token_hex(16) gives
OTHER_KEY = "71c0e5a3f9d2b8460e1a7c3f5b9d2e84"


@pytest.fixture
def production(monkeypatch, tmp_path):
    monkeypatch.setenv("LANDRIGHTS_ENV", "production")
    monkeypatch.setenv("LANDRIGHTS_INSTANCE", str(tmp_path))
    for name in ("SECRET_KEY", "DATABASE_URL", "CERTIFICATE_KEY", "LANDRIGHTS_SIGNING_KEY_DIR"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_needs_secret_key_and_database_url(production, tmp_path):
    with pytest.raises(config.ConfigError) as info:
        config.load()
    assert all(k in str(info.value) for k in ("SECRET_KEY", "DATABASE_URL", "CERTIFICATE_KEY"))
    production.setenv("SECRET_KEY", STRONG_KEY)
    production.setenv("DATABASE_URL", "postgresql://db.example/landrights")
    production.setenv("CERTIFICATE_KEY", OTHER_KEY)
    with pytest.raises(config.ConfigError, match="LANDRIGHTS_SIGNING_KEY_DIR is not set"):
        config.load()  # and a signing key (tests/signing/test_keys.py)
    production.setenv("LANDRIGHTS_SIGNING_KEY_DIR", str(signing_folder(tmp_path / "signing")))
    cfg = config.load()
    assert cfg["PRODUCTION"] and cfg["SESSION_COOKIE_SECURE"] and not cfg["DEMO_DATA"]
    # production answers with HSTS and keeps its session cookie to this host over HTTPS
    assert cfg["HSTS_SECONDS"] >= 180 * 24 * 3600 and cfg["SESSION_COOKIE_NAME"].startswith("__Host-")


@pytest.mark.parametrize("secret, certificate, says", [
    ("a", OTHER_KEY, "SECRET_KEY is too short (1 characters)"),
    (STRONG_KEY, "s3cret", "CERTIFICATE_KEY is too short"),
    ("a" * 40, OTHER_KEY, "SECRET_KEY is easy to guess"),
    ("0123456789abcdef0123456789abcdef", OTHER_KEY, "SECRET_KEY is easy to guess"),
    ("please-change-this-production-key-now", OTHER_KEY, "SECRET_KEY is easy to guess"),
    (STRONG_KEY, STRONG_KEY, "SECRET_KEY and CERTIFICATE_KEY are the same"),
], ids=["one-letter", "short-certificate-key", "repeated", "sequence", "placeholder", "shared"])
def test_production_refuses_a_short_weak_or_shared_key(production, secret, certificate, says):
    production.setenv("DATABASE_URL", "postgresql://db.example/landrights")
    production.setenv("SECRET_KEY", secret)
    production.setenv("CERTIFICATE_KEY", certificate)
    with pytest.raises(config.ConfigError) as info:
        config.load()
    assert says in str(info.value) and "secrets.token_hex(32)" in str(info.value)


def _run(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)


def _production_env(tmp_path, **values) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "CERTIFICATE_KEY",
                                                             "DATABASE_URL")}
    return {**env, "LANDRIGHTS_ENV": "production", "LANDRIGHTS_INSTANCE": str(tmp_path), **values}


def test_create_app_says_what_is_missing_in_one_sentence(tmp_path):
    result = _run("from landrights import create_app; create_app()",
                  _production_env(tmp_path, SECRET_KEY="a"))
    # exit status 4: gunicorn stops ("App failed to load") instead of restarting workers forever
    assert result.returncode == 4 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("landrights: LANDRIGHTS_ENV=production needs DATABASE_URL and "
                                     "CERTIFICATE_KEY set in the environment; refusing to start.")


def test_the_command_says_a_weak_key_in_one_sentence(tmp_path):
    result = _run("from landrights.cli import main; main(['run'])",
                  _production_env(tmp_path, SECRET_KEY="a", CERTIFICATE_KEY=OTHER_KEY,
                                  DATABASE_URL="postgresql://db.example/landrights"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: LANDRIGHTS_ENV=production refuses to start: SECRET_KEY "
                                    "is too short (1 characters)")


def test_development_key_is_made_once_and_kept_private(monkeypatch, tmp_path):
    monkeypatch.delenv("LANDRIGHTS_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("LANDRIGHTS_INSTANCE", str(tmp_path))
    first, second = config.load()["SECRET_KEY"], config.load()["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    # the QR signing key is a second, separate secret
    monkeypatch.delenv("CERTIFICATE_KEY", raising=False)
    key = config.load()["CERTIFICATE_KEY"]
    assert key != first and (tmp_path / "certificate_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("value, expected", [("", 64), ("0", 0), (" 16 ", 16), ("big", None), ("-1", None),
                                             ("1.5", None)])
def test_the_tile_cache_size_is_a_whole_number_of_mib(monkeypatch, tmp_path, value, expected):
    monkeypatch.delenv("LANDRIGHTS_ENV", raising=False)
    monkeypatch.setenv("LANDRIGHTS_INSTANCE", str(tmp_path))
    monkeypatch.setenv("LANDRIGHTS_TILE_CACHE_MB", value)
    if expected is None:
        with pytest.raises(config.ConfigError) as info:
            config.load()
        assert "LANDRIGHTS_TILE_CACHE_MB" in str(info.value) and repr(value) in str(info.value)
    else:
        assert config.load()["TILE_CACHE_MB"] == expected


def test_a_rotated_key_is_new_and_private(monkeypatch, tmp_path):
    monkeypatch.delenv("LANDRIGHTS_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("LANDRIGHTS_INSTANCE", str(tmp_path))
    before = config.load()["SECRET_KEY"]
    path = config.write_new_key(tmp_path)
    after = config.load()["SECRET_KEY"]
    assert after != before and len(after) == 64 and path.stat().st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob(".secret_key*"))  # no half-written copy left behind
