"""The `landrights` command: run, serve, db, demo, users.

With no DATABASE_URL every command works on the embedded cluster of the instance folder: it uses
the running cluster (say, of `landrights run`), or starts it for the command and stops it after.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import time
from contextlib import contextmanager

import click

from landrights import config as settings
from landrights.accounts.cli import keys, users  # their commands open the app through database() below
from landrights.audit.cli import audit
from landrights.backup.cli import backup, restore
from landrights.market.cli import entrustments
from landrights.registry.cli import conflicts
from landrights.signing.cli import add_signing_commands


def _echo(message: str) -> None:
    click.echo(message, err=True)


@contextmanager
def database(prepare: bool = True, config: dict | None = None):
    """Yield the app with its database up (embedded cluster started if needed) and migrated;
    config: settings over the environment's (as create_app's test_config)."""
    from landrights import create_app, migrate

    cfg = settings.load(config)
    cluster = None
    if not cfg["DATABASE_URL"]:
        from landrights.pg import EmbeddedPostgres

        cluster = EmbeddedPostgres(cfg["INSTANCE_DIR"], log=_echo)
        cluster_ctx = cluster.running()
    else:
        cluster_ctx = _nothing()
    with cluster_ctx:
        if cluster is not None:
            cluster.ensure_database("landrights")
        app = create_app(config)
        engine = app.extensions["landrights.db"].engine
        if prepare:
            migrate.upgrade(engine)
        try:
            yield app
        finally:
            engine.dispose()


@contextmanager
def _nothing():
    yield None


class _Commands(click.Group):
    """The command group: a configuration that cannot run (production without its secrets, a weak
    key) is said in one sentence with exit status 1, not a traceback."""

    def invoke(self, ctx):
        """Run the command, turning a ConfigError into click's error message."""
        try:
            return super().invoke(ctx)
        except settings.ConfigError as err:
            raise click.ClickException(str(err)) from None


@click.group(cls=_Commands)
def main() -> None:
    """landrights: rural land-rights registry (农村土地承包经营权登记)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo/--no-demo", default=None,
              help="load the demo village on the embedded default (default: yes, unless "
                   "LANDRIGHTS_DEMO=0); --no-demo starts a real county clean")
def run(host: str, port: int, demo: bool | None) -> None:
    """Serve the app; on the embedded default, start the cluster and load the demo once."""
    from landrights.web.security import serve

    started = time.monotonic()
    with database() as app:
        _demo_and_advice(app, demo)
        server = serve(host, port, app)
        # Ctrl-C and SIGTERM both end serve_forever, then the cluster is stopped cleanly; set
        # explicitly because a shell's background job starts with SIGINT ignored
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        _echo(f"landrights 已启动 / serving on http://{host}:{port}  "
              f"({time.monotonic() - started:.1f} s) — Ctrl-C 停止 / to stop")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    _echo("已停止 / stopped")


def _demo_and_advice(app, demo: bool | None) -> None:
    """Load the demo village on the embedded default if wanted; say how to start a real county."""
    with_demo = app.config["DEMO_DATA"] if demo is None else demo and not app.config["PRODUCTION"]
    with app.app_context():
        if with_demo and not app.config["DATABASE_URL"]:
            from landrights.demo import ensure_demo

            ensure_demo(app, echo=_echo)
        _say_how_to_start(app)


@main.command("serve")
@click.option("--bind", "-b", multiple=True,
              help="ADDRESS:PORT to listen on, repeatable (default 127.0.0.1:8000, behind nginx)")
@click.option("--workers", "-w", type=click.IntRange(1, 64),
              help="worker processes (default: 2 x CPUs + 1, at most 8)")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="threads per worker (gthread)")
@click.option("--timeout", type=click.IntRange(10),
              help="seconds a request may take, and a stopping worker waits for one "
                   "(default: 60 + LANDRIGHTS_UPLOAD_MAX_MB)")
@click.option("--demo/--no-demo", default=None,
              help="as for run: the demo village on the embedded default (never in production)")
def serve_command(bind, workers, threads, timeout, demo) -> None:
    """Serve the app on gunicorn; production refuses to start without its settings or with a
    database not at this code's schema, and never starts the embedded database."""
    from landrights.serving import server

    cfg = settings.load()
    metrics_dir = server.multiproc_dir(cfg["INSTANCE_DIR"])  # before anything imports prometheus
    bind = list(bind) or ["127.0.0.1:8000"]
    workers = workers or server.default_workers()
    timeout = timeout or server.request_timeout(cfg["SURVEY_UPLOAD_MAX_MB"])
    options = server.gunicorn_options(bind=bind, workers=workers, threads=threads,
                                      timeout=timeout, metrics_dir=metrics_dir)
    banner = (f"landrights serve: gunicorn on {', '.join(bind)}, {workers} workers x {threads} "
              f"threads, timeout {timeout} s")
    if cfg["PRODUCTION"]:
        from landrights import database_url

        server.check_schema(database_url(cfg))
        _serve(server, options, cfg, banner)
        return
    with database() as app:  # development: as `run` (embedded cluster, migrations, demo)
        _demo_and_advice(app, demo)
        app.extensions["landrights.db"].engine.dispose()  # no pooled connection crosses the fork
        _serve(server, options, cfg, banner)


def _serve(server, options: dict, cfg: dict, banner: str) -> None:
    warning = server.free_space_warning(cfg["INSTANCE_DIR"], cfg["HEALTH_MIN_FREE_MB"])
    if warning:
        _echo(warning)
    _echo(banner)
    server.run(options)


def _say_how_to_start(app) -> None:
    """On an instance with no county administrator yet, say how to create the first one and how
    to bring in the county's hand-up package (issue 18)."""
    import sqlalchemy as sa

    from landrights.accounts.models import User
    from landrights.extensions import db as database_ext

    has_admin = database_ext.session.scalar(sa.select(sa.exists().where(
        User.role == "county_admin", User.is_active.is_(True))))
    database_ext.session.rollback()
    if has_admin:
        return
    _echo("还没有县级管理员账号。创建第一个 / no county administrator yet; create the first one:\n"
          "  landrights users create 用户名 --role county_admin --county 县代码(6位) --name 显示名\n"
          "然后导入汇交成果 / then bring in the county's hand-up package:\n"
          "  landrights import-handup 汇交成果.zip")


def _interrupt(signum, frame):
    _echo("正在停止 / stopping …")
    raise KeyboardInterrupt


@main.group()
def db() -> None:
    """Database: upgrade, status, start and stop the embedded cluster."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema (alembic upgrade head)."""
    from landrights import migrate

    with database(prepare=False) as app:
        engine = app.extensions["landrights.db"].engine
        before = migrate.current(engine)
        migrate.upgrade(engine)
        _echo(f"schema {before or '(empty)'} -> {migrate.current(engine)}")


@db.command("status")
def db_status() -> None:
    """Say where the database is and which schema revision it has."""
    from landrights import migrate

    cfg = settings.load()
    if not cfg["DATABASE_URL"]:
        from landrights.pg import EmbeddedPostgres

        cluster = EmbeddedPostgres(cfg["INSTANCE_DIR"], log=_echo)
        state = "running" if cluster.is_running() else "stopped"
        _echo(f"embedded cluster: {cluster.data_dir} ({state}); socket {cluster.socket_dir}")
    with database(prepare=False) as app:
        _echo(f"schema revision: {migrate.current(app.extensions['landrights.db'].engine)}")


@db.command("start")
def db_start() -> None:
    """Start the embedded cluster and leave it running."""
    cluster = _embedded_only()
    cluster.start()
    cluster.ensure_database("landrights")
    _echo(f"running: {cluster.url()}")


@db.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster."""
    _embedded_only().stop()
    _echo("stopped")


def _embedded_only():
    cfg = settings.load()
    if cfg["DATABASE_URL"]:
        raise click.ClickException("DATABASE_URL is set: this server is not ours to start or stop.")
    from landrights.pg import EmbeddedPostgres

    return EmbeddedPostgres(cfg["INSTANCE_DIR"], log=_echo)


@main.group()
def demo() -> None:
    """The demo village of Dongfeng County."""


@demo.command("load")
def demo_load() -> None:
    """Load the demo village and demo accounts (not in production)."""
    from landrights.demo import ensure_demo

    with database() as app, app.app_context():
        if app.config["PRODUCTION"]:
            raise click.ClickException("refusing to load demo data in production")
        ensure_demo(app, echo=_echo)


@main.command("import-survey")
@click.argument("path", type=click.Path(exists=True, dir_okay=True))
@click.option("--collective", "collective_code", required=True, help="14-digit 发包方 code")
@click.option("--encoding", help="text encoding of a shapefile's DBF, e.g. GBK (default: detect)")
@click.option("--crs", help="CRS when the file declares none or a wrong one, e.g. EPSG:4530")
@click.option("--all-or-nothing", is_flag=True, help="enter nothing if any parcel is critical")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--lang", default="zh", type=click.Choice(["zh", "en"]), show_default=True)
def import_survey(path, collective_code, encoding, crs, all_or_nothing, as_json, lang) -> None:
    """Import surveyed parcels (shapefile folder/.shp/.zip, GeoPackage, GeoJSON) for a collective."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.errors import DomainError
    from landrights.extensions import db as database_ext
    from landrights.survey import services as survey
    from landrights.uploads import scratch_folder

    srid = _parse_crs(crs)
    with database() as app, app.app_context(), _language(app, lang), \
            scratch_folder(app.config["INSTANCE_DIR"], "cli") as folder:
        try:
            # the same reader as uploads: the parts are checked and copied to a private folder
            record = survey.import_survey(database_ext.session, SYSTEM, path,
                                          collective_code=collective_code, encoding=encoding,
                                          srid=srid, all_or_nothing=all_or_nothing,
                                          workdir=folder)
        except DomainError as err:
            database_ext.session.rollback()
            raise click.ClickException(f"{err.field}: {err.message} ({err.rule})") from None
        database_ext.session.commit()
        report = survey.report(database_ext.session, record, lang)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=1, default=str))
        return
    click.echo(f"import {report['id']}: {report['imported']} imported, {report['rejected']} "
               f"rejected of {report['features']} ({report['encoding']}, {report['source_crs']}); "
               f"{report['classes']}")
    for f in report["findings"]:
        click.echo(f"  {f['severity']:8} {f['rule']:20} {f['parcel_code'] or '-':20} {f['message']}")


@main.command("import-handup")
@click.argument("path", type=click.Path(exists=True, dir_okay=True))
@click.option("--all-or-nothing", is_flag=True, help="enter nothing if any finding is critical")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--lang", default="zh", type=click.Choice(["zh", "en"]), show_default=True)
def import_handup(path, all_or_nothing, as_json, lang) -> None:
    """Bring in a county's hand-up package (汇交成果: folder or .zip with 矢量数据 and 权属数据)."""
    from landrights.handup.cli import run_import

    with database() as app, app.app_context(), _language(app, lang):
        run_import(app, path, all_or_nothing=all_or_nothing, as_json=as_json, lang=lang,
                   echo=_echo)


@main.command("export")
@click.argument("out", type=click.Path(dir_okay=True, writable=True))
@click.option("--collective", "collective_code", help="14-digit 发包方 code")
@click.option("--county", "county_code", help="6-digit county code")
@click.option("--format", "file_format", default="gpkg", show_default=True,
              help="gpkg (one GeoPackage) or shp (a folder of DK.shp and DBF tables, GBK)")
@click.option("--crs", default="EPSG:4490", show_default=True,
              help="EPSG:4490 or a CGCS2000 3-degree GK zone, EPSG:4513-4554")
@click.option("--force", is_flag=True, help="replace OUT if it exists")
@click.option("--lang", default="zh", type=click.Choice(["zh", "en"]), show_default=True)
def export(out, collective_code, county_code, file_format, crs, force, lang) -> None:
    """Export parcels (DK) and the NY/T 2539 tables of a collective or county for hand-up (汇交)."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.errors import DomainError
    from landrights.extensions import db as database_ext
    from landrights.survey.export import export_package

    srid = _parse_crs(crs)
    started = time.monotonic()
    with database() as app, app.app_context(), _language(app, lang):
        try:
            result = export_package(database_ext.session, SYSTEM, out,
                                    collective_code=collective_code, county_code=county_code,
                                    file_format=file_format.lower(), srid=srid, force=force)
        except DomainError as err:
            raise click.ClickException(f"{err.field}: {err.message}"
                                       + (f" ({err.rule})" if err.rule else "")) from None
        finally:
            database_ext.session.rollback()  # the export only reads
    counts = ", ".join(f"{name} {n}" for name, n in result.counts.items())
    click.echo(f"{result.path} ({file_format}, EPSG:{result.srid}): {counts} "
               f"({time.monotonic() - started:.1f} s)")


def _parse_crs(text: str | None) -> int | None:
    if not text:
        return None
    digits = text.upper().removeprefix("EPSG:")
    if not digits.isdigit():
        raise click.BadParameter("write it as EPSG:4530", param_hint="--crs")
    return int(digits)


@contextmanager
def _language(app, lang: str):
    """Render lazy messages in the chosen language outside a request."""
    with app.test_request_context(f"/?lang={lang}"):
        yield


@main.group()
def collectives() -> None:
    """Collectives (发包方)."""


@collectives.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--township", "township_name", help="name of the township, if new")
@click.option("--village", "village_name", help="name of the village, if new")
def collectives_add(code: str, name: str, township_name, village_name) -> None:
    """Register a collective and the admin units its 14-digit code implies."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.errors import DomainError
    from landrights.extensions import db as database_ext
    from landrights.registry import services

    with database() as app, app.app_context(), _language(app, "zh"):
        try:
            services.add_collective(database_ext.session, SYSTEM, code=code, name=name,
                                    unit_names={2: township_name, 3: village_name,
                                                4: name if not code.endswith("00") else None})
        except DomainError as err:
            database_ext.session.rollback()
            raise click.ClickException(f"{err.field}: {err.message} ({err.rule})") from None
        database_ext.session.commit()
    _echo(f"collective {code} {name} added")


@main.group()
def withdrawals() -> None:
    """Voluntary paid withdrawals (有偿退出)."""


@withdrawals.command("apply")
@click.option("--date", "on_date", help="apply what was due by this past date (YYYY-MM-DD; default "
                                        "today; never a later day: nothing takes effect ahead of its date)")
def withdrawals_apply(on_date: str | None) -> None:
    """Give effect to the withdrawal requests due today (run daily, e.g. from cron); hold those a
    settlement flags for the county's review (G4)."""
    from datetime import date

    from landrights import clock
    from landrights.accounts.permissions import SYSTEM
    from landrights.errors import DomainError
    from landrights.extensions import db as database_ext
    from landrights.rights import queries, services

    try:
        day = date.fromisoformat(on_date) if on_date else None
    except ValueError:
        raise click.BadParameter("write it as YYYY-MM-DD", param_hint="--date") from None
    with database() as app, app.app_context(), _language(app, "zh"):
        try:
            done = services.apply_due_withdrawals(database_ext.session, SYSTEM, today=day)
        except DomainError as err:
            raise click.ClickException(f"--date: {err.message} ({err.rule})") from None
        held = queries.held_for_review(database_ext.session, day or clock.today())
        database_ext.session.commit()
    for w in done:
        _echo(f"{w.id} {w.kind} {w.household_code} 已生效 / in effect on {w.effective_on}")
    _echo(f"{len(done)} 项生效 / took effect")
    _echo(f"{held} 项待县级审查 / wait for the county's review of voluntariness (G4)")


@main.group()
def rules() -> None:
    """Quality rules: list them, switch them per county."""


@rules.command("list")
@click.option("--county", "county_code", default="220421", show_default=True)
@click.option("--moment", default="import", show_default=True)
def rules_list(county_code: str, moment: str) -> None:
    """List the quality rules of a moment and whether the county has them on."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.extensions import db as database_ext
    from landrights.survey import services as survey

    with database() as app, app.app_context():
        for rule, enabled in survey.list_rules(database_ext.session, SYSTEM, county_code, moment):
            click.echo(f"{'on ' if enabled else 'off'} {rule.id:22} {rule.severity:8} "
                       f"{rule.description_zh} / {rule.description_en}")


@rules.command("switch")
@click.argument("rule_id")
@click.option("--county", "county_code", required=True)
@click.option("--moment", default="import", show_default=True)
@click.option("--on/--off", "enabled", required=True)
def rules_switch(rule_id: str, county_code: str, moment: str, enabled: bool) -> None:
    """Switch a quality rule on or off for a county at a moment."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.errors import DomainError
    from landrights.extensions import db as database_ext
    from landrights.survey import services as survey

    with database() as app, app.app_context(), _language(app, "zh"):
        try:
            survey.switch_rule(database_ext.session, SYSTEM, county_code=county_code,
                               rule_id=rule_id, moment=moment, enabled=enabled)
        except DomainError as err:
            raise click.ClickException(f"{err.field}: {err.message}") from None
        database_ext.session.commit()
    _echo(f"{rule_id} {'on' if enabled else 'off'} for {county_code} at {moment}")


def add_commands(group: click.Group) -> None:
    """Add the domains' command groups to `group` (the `landrights` command)."""
    group.add_command(users)
    group.add_command(keys)
    add_signing_commands(keys, database)  # keys new-signing | revoke | list
    group.add_command(entrustments)
    group.add_command(conflicts)
    group.add_command(audit)
    group.add_command(backup)
    group.add_command(restore)


add_commands(main)


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=os.path.basename(sys.argv[0]))
