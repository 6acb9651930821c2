"""Configuration: development defaults; production refuses to start without its secrets."""
import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """The configuration cannot run the app; the message says which variable to set."""


def instance_dir() -> Path:
    """Return the instance folder: LANDRIGHTS_INSTANCE, else ./instance."""
    return Path(os.environ.get("LANDRIGHTS_INSTANCE") or Path.cwd() / "instance").resolve()


def _dev_secret_key(folder: Path, name: str = "secret_key") -> str:
    """Read one of the instance's secret keys, creating it (mode 600) on first use."""
    path = folder / name
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _whole_number(name: str, default: int) -> int:
    """Read a whole number of at least 0 from the environment variable name, else the default."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ConfigError(f"{name} must be a whole number of 0 or more, not {text!r}.")
    return int(text)


def load(test_config: dict | None = None) -> dict:
    """Build the settings dict from the environment (and test overrides)."""
    production = os.environ.get("LANDRIGHTS_ENV") == "production"
    folder = instance_dir()
    cfg = {
        "PRODUCTION": production,
        "INSTANCE_DIR": str(folder),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or None,
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        # signs the QR code of every certificate; changing it makes printed QR codes unverifiable
        "CERTIFICATE_KEY": os.environ.get("CERTIFICATE_KEY"),
        # the address printed in QR codes, e.g. https://land.liaoyuan.gov.cn (no trailing slash)
        "PUBLIC_BASE_URL": (os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh", "en"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        "LOGIN_RATE_LIMIT": "20/minute",
        "PASSWORD_METHOD": "scrypt",
        "API_PAGE_MAX": 2000,
        # vector tiles each worker process keeps to send again while their version holds (0: none)
        "TILE_CACHE_MB": _whole_number("LANDRIGHTS_TILE_CACHE_MB", 64),
        "DEMO_DATA": not production,
    }
    if test_config:
        cfg.update(test_config)
    if cfg["PRODUCTION"]:
        missing = [k for k in ("SECRET_KEY", "DATABASE_URL", "CERTIFICATE_KEY") if not cfg.get(k)]
        if missing:
            raise ConfigError(
                "LANDRIGHTS_ENV=production needs " + " and ".join(missing)
                + " set in the environment; refusing to start."
            )
    else:
        cfg["SECRET_KEY"] = cfg["SECRET_KEY"] or _dev_secret_key(folder)
        cfg["CERTIFICATE_KEY"] = cfg["CERTIFICATE_KEY"] or _dev_secret_key(folder, "certificate_key")
    return cfg
