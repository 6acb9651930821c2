"""Production refuses to start without its secrets; development makes its own key once."""
import pytest

from landrights import config


def test_production_needs_secret_key_and_database_url(monkeypatch, tmp_path):
    monkeypatch.setenv("LANDRIGHTS_ENV", "production")
    monkeypatch.setenv("LANDRIGHTS_INSTANCE", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("CERTIFICATE_KEY", raising=False)
    with pytest.raises(config.ConfigError) as info:
        config.load()
    assert all(k in str(info.value) for k in ("SECRET_KEY", "DATABASE_URL", "CERTIFICATE_KEY"))
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/landrights")
    monkeypatch.setenv("CERTIFICATE_KEY", "another-s3cret")
    cfg = config.load()
    assert cfg["PRODUCTION"] and cfg["SESSION_COOKIE_SECURE"] and not cfg["DEMO_DATA"]


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
