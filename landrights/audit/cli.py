"""`landrights audit verify|head`: the operator verifies the register's chain (exit status 1 when
something no longer matches) and records the daily signed head (run both daily from a timer:
docs/operations.md, Audit)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

LANG = click.option("--lang", default="zh", type=click.Choice(["zh", "en"]), show_default=True)
SHOWN = 20  # findings printed per county; the first is the one that matters


@click.group()
def audit() -> None:
    """The register's hash chain: verify it, record its daily signed head."""


def _copied(path: str | None) -> list[dict] | None:
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise click.BadParameter(f"not a heads JSON file: {err}", param_hint="--heads") from None
    return data.get("heads", []) if isinstance(data, dict) else data


@audit.command("verify")
@click.option("--county", "county_code", help="6-digit county code (default: every county)")
@click.option("--heads", "heads_file", type=click.Path(exists=True, dir_okay=False),
              help="a copy of the published heads (/register-heads/<county>.json) to compare")
@LANG
def verify(county_code: str | None, heads_file: str | None, lang: str) -> None:
    """Recompute the chain; name the first record or entry that no longer matches (exit 1)."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.audit import messages, services
    from landrights.cli import _language, database
    from landrights.extensions import db

    copied = _copied(heads_file)
    tampered = False
    with database() as app, app.app_context(), _language(app, lang):
        for county in [county_code] if county_code else services.counties(db.session, SYSTEM):
            try:
                report = services.verify_register(db.session, SYSTEM, county, copied)
            except ValueError as err:
                raise click.BadParameter(str(err), param_hint="--heads") from None
            db.session.commit()
            click.echo(messages.summary(county, report.entries, len(report.findings)))
            tampered = tampered or not report.ok
            for finding in report.findings[:SHOWN]:
                click.echo(f"  {messages.describe(finding)}")
    sys.exit(1 if tampered else 0)


@audit.command("head")
@click.option("--county", "county_code", help="6-digit county code (default: every county)")
def head(county_code: str | None) -> None:
    """Record and sign today's head of each county's chain (once a day; again: nothing new)."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.audit import services
    from landrights.cli import _language, database
    from landrights.errors import DomainError
    from landrights.extensions import db

    with database() as app, app.app_context(), _language(app, "zh"):
        for county in [county_code] if county_code else services.counties(db.session, SYSTEM):
            try:
                done = services.record_head(db.session, SYSTEM, county)
            except DomainError as err:
                db.session.rollback()
                raise click.ClickException(f"{county}: {err.message}") from None
            db.session.commit()
            h = done.head
            state = "recorded" if done.created else "already recorded"
            click.echo(f"{county} {h.day.isoformat()} entries {h.entries} hash {bytes(h.head_hash).hex()} "
                       f"key {h.key_id}: {state}")
