"""landrights: registry and market for rural land rights (Liaoyuan, Jilin)."""
from __future__ import annotations

import sys
from pathlib import Path

from apiflask import APIFlask
from flask import request

from landrights import config as settings
from landrights.extensions import babel, csrf, db, limiter, login_manager

ROOT = Path(__file__).resolve().parent.parent


def database_url(cfg: dict) -> str:
    """Return the database URL: the test override, DATABASE_URL, else the embedded cluster's."""
    if cfg.get("SQLALCHEMY_DATABASE_URI"):
        return cfg["SQLALCHEMY_DATABASE_URI"]
    if cfg.get("DATABASE_URL"):
        url = cfg["DATABASE_URL"]
        # SQLAlchemy 2.1 would pick psycopg 3 anyway; say so explicitly (ECOSYSTEM.md)
        return url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
            "postgres://", "postgresql+psycopg://", 1)
    from landrights.pg import EmbeddedPostgres

    return EmbeddedPostgres(cfg["INSTANCE_DIR"], log=lambda *_: None).url()


def select_locale() -> str:
    """Pick zh (default) or en: ?lang=, then the lang cookie, then zh."""
    if not request:
        return "zh"
    choice = request.args.get("lang") or request.cookies.get("lang")
    return choice if choice in ("zh", "en") else "zh"


def create_app(test_config: dict | None = None) -> APIFlask:
    """Create the web app: config, extensions, blueprints, error handlers, CLI.

    A configuration that cannot run (production without its secrets, a weak key) ends the process
    with one sentence on stderr and exit status 4, which gunicorn reads as "App failed to load"
    and stops, instead of a traceback and workers restarted forever.
    """
    try:
        cfg = settings.load(test_config)
    except settings.ConfigError as err:
        print(f"landrights: {err}", file=sys.stderr)
        raise SystemExit(4) from None
    app = APIFlask(__name__, title="landrights API", version="1",
                   spec_path="/api/v1/openapi.json", docs_path=None,
                   template_folder=str(ROOT / "templates"), static_folder="static",
                   json_errors=False)
    app.config.update(cfg)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(cfg)
    app.config["INFO"] = {"description": "土地承包经营权登记、宅基地与集体股权、土地经营权流转。"
                                         " Land-rights registry of Liaoyuan (Jilin)."}
    app.config["SECURITY_SCHEMES"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from landrights import uploads
    from landrights.web import body_limits

    uploads.init_app(app)  # uploads spooled in the instance; leftover temp files
    body_limits.init_app(app)  # who may send a large body, before anything reads a body
    db.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    from landrights.maps.tiles import TileCache

    app.extensions["landrights.tiles"] = TileCache(int(app.config["TILE_CACHE_MB"]) * 2 ** 20)

    from landrights.accounts.views import bp as accounts_bp
    from landrights.accounts.views import init_login
    from landrights.api import blueprint as api_blueprint
    from landrights.api import format_error
    from landrights.api import openapi as api_openapi
    from landrights.api.ogc import bp as ogc_bp
    from landrights.api.tiles import bp as tiles_bp
    from landrights.audit.views import bp as audit_bp
    from landrights.certification.views import bp as cert_bp
    from landrights.handup.views import bp as handup_bp
    from landrights.market.views import bp as market_bp
    from landrights.market.views import verify_bp as market_verify_bp
    from landrights.rights.views import bp as rights_bp
    from landrights.survey.views import bp as survey_bp
    from landrights.web import errors as web_errors
    from landrights.web import security as web_security
    from landrights.web.signing_keys import bp as signing_keys_bp
    from landrights.web.views import bp as web_bp

    init_login(app)
    api_openapi.init_app(app)  # bounded URL integers, before any route is added; the API document
    app.register_blueprint(accounts_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(survey_bp)
    app.register_blueprint(cert_bp)
    app.register_blueprint(handup_bp)
    app.register_blueprint(rights_bp)
    app.register_blueprint(market_bp)
    app.register_blueprint(market_verify_bp)
    app.register_blueprint(signing_keys_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(api_blueprint())
    app.register_blueprint(tiles_bp)
    app.register_blueprint(ogc_bp)
    app.error_processor(format_error)
    web_errors.init_app(app)
    web_security.init_app(app)
    from landrights import serving

    serving.init_app(app)  # request id and JSON log line, request metrics, /healthz, /metrics
    return app
