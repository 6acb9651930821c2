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
        write_new_key(folder, name)
    return path.read_text().strip()


def write_new_key(folder: Path, name: str = "secret_key") -> Path:
    """Write a fresh random key to the instance folder (mode 600 from the start, then moved into
    place, so no reader ever sees a half-written or world-readable key); return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path, fresh = folder / name, folder / f".{name}.new"
    fresh.unlink(missing_ok=True)
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    os.replace(fresh, path)
    return path


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
    cfg = {"PRODUCTION": production, "INSTANCE_DIR": str(folder), **_keys_and_addresses(),
           **_browser_settings(production), **_login_settings(), **_request_settings(production)}
    _serving_settings(cfg)
    if test_config:
        cfg.update(test_config)
    if cfg["PRODUCTION"]:
        _refuse_weak_production(cfg)
    else:
        _development_keys(cfg, folder)
    _check_login_settings(cfg)
    return cfg


def _keys_and_addresses() -> dict:
    """The database, the secrets and the address the app is reached at."""
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL") or None,
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        # the HMAC of QR codes printed before SM2 signatures (issue 20), which keep verifying, and
        # of the verification code printed under every QR code; changing it unverifies them
        "CERTIFICATE_KEY": os.environ.get("CERTIFICATE_KEY"),
        # the folder of the county's SM2 signing keys, one <key id>.pem of mode 600 each
        # (landrights.signing.keys); production needs it, development uses instance/signing
        "SIGNING_KEY_DIR": os.environ.get("LANDRIGHTS_SIGNING_KEY_DIR") or None,
        # the address printed in QR codes, e.g. https://land.liaoyuan.gov.cn (no trailing slash)
        "PUBLIC_BASE_URL": (os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
    }


def _browser_settings(production: bool) -> dict:
    """Language, time zone, the session cookie and CSRF tokens."""
    return {
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh", "en"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # __Host-: the browser keeps it only from HTTPS, for this host alone (no sibling subdomain
        # can plant one)
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    }


def _login_settings() -> dict:
    """Logins, sessions, passwords, API tokens and activation letters."""
    return {
        # failed logins: per user name and source address; per user name over every source
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_ACCOUNT_MAX_FAILURES": 50,
        "LOGIN_LOCK_MINUTES": 15,
        "LOGIN_RATE_LIMIT": "20/minute",
        # a login session ends after this long without a request, and this long after the login
        "SESSION_IDLE_MINUTES": _whole_number("LANDRIGHTS_SESSION_IDLE_MINUTES", 30),
        "SESSION_MAX_HOURS": _whole_number("LANDRIGHTS_SESSION_MAX_HOURS", 12),
        "PASSWORD_METHOD": "scrypt",
        "PASSWORD_MIN_LENGTH": _whole_number("LANDRIGHTS_PASSWORD_MIN_LENGTH", 10),
        "API_TOKEN_DAYS": _whole_number("LANDRIGHTS_TOKEN_DAYS", 90),
        # days the code of an activation letter stays valid; the slow hash its code is kept as
        "ACTIVATION_DAYS": _whole_number("LANDRIGHTS_ACTIVATION_DAYS", 60),
        "ACTIVATION_HASH_METHOD": "scrypt:4096:8:1",
    }


def _request_settings(production: bool) -> dict:
    """Proxies, HSTS, page and body sizes, uploads, tiles and the demo village."""
    return {
        # reverse proxies in front of the app whose X-Forwarded-For/-Proto to believe (0: none);
        # failed logins are counted per client address, so set it behind nginx
        "TRUSTED_PROXIES": _whole_number("LANDRIGHTS_TRUSTED_PROXIES", 0),
        "HSTS_SECONDS": 365 * 24 * 3600 if production else 0,
        "API_PAGE_MAX": 2000,
        # every request body: a 10 MB evidence file sent as base64 in JSON is 13.4 MB
        "MAX_CONTENT_LENGTH": 16 * 2**20,
        # a survey upload (township officers and up); a zip may unpack to 5 times as much
        "SURVEY_UPLOAD_MAX_MB": _whole_number("LANDRIGHTS_UPLOAD_MAX_MB", 200),
        # a county's hand-up package (county administrators only); it may unpack to 5 times as much
        "HANDUP_UPLOAD_MAX_MB": _whole_number("LANDRIGHTS_HANDUP_UPLOAD_MAX_MB", 2048),
        # import an uploaded package in a thread, the page showing its progress (tests: inline)
        "HANDUP_IN_BACKGROUND": True,
        # vector tiles each worker process keeps to send again while their version holds (0: none)
        "TILE_CACHE_MB": _whole_number("LANDRIGHTS_TILE_CACHE_MB", 64),
        # the demo village on the embedded default; LANDRIGHTS_DEMO=0 (or `run --no-demo`) starts
        # a real county clean
        "DEMO_DATA": not production and os.environ.get("LANDRIGHTS_DEMO", "1").strip() != "0",
    }


def _check_login_settings(cfg: dict) -> None:
    """Refuse login settings that cannot work.

    Raises:
        ConfigError: a password minimum below 8, or activation letters valid for less than a day.
    """
    if cfg["PASSWORD_MIN_LENGTH"] < 8:
        raise ConfigError("LANDRIGHTS_PASSWORD_MIN_LENGTH must be 8 or more.")
    if cfg["ACTIVATION_DAYS"] < 1:
        raise ConfigError("LANDRIGHTS_ACTIVATION_DAYS must be 1 or more.")


def _serving_settings(cfg: dict) -> None:
    """Add the settings of `landrights serve`, /healthz and /metrics (issue 20, section 5)."""
    # who may read /metrics without its token: addresses or networks, comma-separated
    cfg["METRICS_ALLOW"] = _networks("LANDRIGHTS_METRICS_ALLOW", "127.0.0.1,::1")
    # a bearer token that also opens /metrics (for a scraper outside the allowlist); none by default
    cfg["METRICS_TOKEN"] = os.environ.get("LANDRIGHTS_METRICS_TOKEN", "").strip() or None
    # /healthz fails when the upload folder has less free space than this (default: one survey upload)
    cfg["HEALTH_MIN_FREE_MB"] = _whole_number("LANDRIGHTS_HEALTH_MIN_FREE_MB",
                                              cfg["SURVEY_UPLOAD_MAX_MB"])


def _networks(name: str, default: str) -> tuple:
    """Read comma-separated addresses or networks (10.0.0.0/8) from the environment variable name."""
    import ipaddress

    text = os.environ.get(name, "").strip() or default
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False)
                     for part in text.split(",") if part.strip())
    except ValueError as err:
        raise ConfigError(f"{name} must list addresses or networks such as 127.0.0.1 or "
                          f"10.0.0.0/8, separated by commas ({err}).") from None


def _development_keys(cfg: dict, folder: Path) -> None:
    """Fill in development's keys: the instance's own, made on first use; signing keys in
    <instance>/signing (landrights.signing.keys makes the first one)."""
    cfg["SECRET_KEY"] = cfg["SECRET_KEY"] or _dev_secret_key(folder)
    cfg["CERTIFICATE_KEY"] = cfg["CERTIFICATE_KEY"] or _dev_secret_key(folder, "certificate_key")
    cfg["SIGNING_KEY_DIR"] = cfg["SIGNING_KEY_DIR"] or str(Path(cfg["INSTANCE_DIR"]) / "signing")


KEY_ADVICE = ("use at least 32 random characters, e.g. from: "
              "python -c 'import secrets; print(secrets.token_hex(32))'")
_PLACEHOLDERS = ("secret", "change", "example", "password", "default", "sample", "placeholder")


def secret_problem(value: str) -> str | None:
    """Tell why a secret key is unfit for production, or None if it will do."""
    if len(value) < 32:
        return f"is too short ({len(value)} characters)"
    from zxcvbn import zxcvbn

    if any(word in value.lower() for word in _PLACEHOLDERS) or \
            zxcvbn(value[:100])["guesses_log10"] < 20:
        return "is easy to guess (a placeholder, a repeated or a sequential value)"
    return None


def _refuse_weak_production(cfg: dict) -> None:
    """Refuse production without its secrets and database, or with weak or shared keys.

    Raises:
        ConfigError: the sentence naming each variable and what to do.
    """
    missing = [k for k in ("SECRET_KEY", "DATABASE_URL", "CERTIFICATE_KEY") if not cfg.get(k)]
    if missing:
        raise ConfigError("LANDRIGHTS_ENV=production needs " + " and ".join(missing)
                          + " set in the environment; refusing to start.")
    problems = _weak_secrets(cfg)
    if problems:
        raise ConfigError("LANDRIGHTS_ENV=production refuses to start: " + "; ".join(problems)
                          + f"; {KEY_ADVICE}.")
    if not cfg.get("SIGNING_KEY_SETUP") and (problem := signing_key_problem(cfg.get("SIGNING_KEY_DIR"))):
        raise ConfigError(f"LANDRIGHTS_ENV=production refuses to start: {problem}.")


def _weak_secrets(cfg: dict) -> list[str]:
    """Return what is wrong with the production secrets: short, easy, shared."""
    problems = [f"{name} {problem}" for name in ("SECRET_KEY", "CERTIFICATE_KEY")
                if (problem := secret_problem(cfg[name]))]
    if cfg["SECRET_KEY"] == cfg["CERTIFICATE_KEY"]:
        problems.append("SECRET_KEY and CERTIFICATE_KEY are the same (they must be two secrets)")
    if cfg.get("METRICS_TOKEN") and (problem := secret_problem(cfg["METRICS_TOKEN"])):
        problems.append(f"LANDRIGHTS_METRICS_TOKEN {problem}")
    return problems


def signing_key_dir(folder: Path) -> Path:
    """Return the folder of the signing keys: LANDRIGHTS_SIGNING_KEY_DIR, else <instance>/signing."""
    return Path(os.environ.get("LANDRIGHTS_SIGNING_KEY_DIR") or folder / "signing")


def signing_key_problem(folder: str | None) -> str | None:
    """Tell why the signing key folder cannot sign, or None when it holds at least one SM2 private
    key that only its owner may read (landrights.signing.keys writes them so)."""
    how = "make one with `landrights keys new-signing` (docs/operations.md, Signing keys)"
    if not folder:
        return ("LANDRIGHTS_SIGNING_KEY_DIR is not set: it names the folder of the county's signing "
                f"keys; {how}")
    path = Path(folder)
    if not path.is_dir():
        return f"LANDRIGHTS_SIGNING_KEY_DIR ({folder}) is not a folder; {how}"
    from landrights.signing import sm2

    loose = []
    for pem in sorted(path.glob("*.pem")):
        if pem.stat().st_mode & 0o077:
            loose.append(pem.name)
            continue
        try:
            sm2.load_private_pem(pem.read_bytes())
        except (OSError, ValueError):
            continue
        return None
    if loose:
        return (f"the signing keys in {folder} may be read by others ({', '.join(loose)}): "
                f"chmod 600 them")
    return f"LANDRIGHTS_SIGNING_KEY_DIR ({folder}) holds no SM2 signing key; {how}"
