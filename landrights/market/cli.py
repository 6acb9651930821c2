"""`landrights entrustments add|list|revoke`: the operator records a 流转委托书 (R2.4) from the paper
signed by both, with its scan, lists entrustments, and revokes one. Acts as the system: the same
services as the API, so the same checks (market.entrustments)."""
from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from landrights.market.models import ENTRUSTED_ACTS

SCAN_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


@contextmanager
def _system_session():
    """Yield a session acting as the system; a refusal becomes click's error, nothing is kept."""
    from landrights.cli import _language, database
    from landrights.errors import DomainError
    from landrights.extensions import db

    with database() as app, app.app_context(), _language(app, "zh"):
        try:
            yield db.session
        except DomainError as err:
            db.session.rollback()
            field = f"{err.field}: " if err.field else ""
            raise click.ClickException(f"{field}{err.message}") from None
        db.session.commit()


def _price(_ctx, _param, value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise click.BadParameter("a number of yuan per mu and year, e.g. 500") from None


def _scan(path: Path):
    from landrights.evidence import Upload

    kind = SCAN_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return Upload(path.name, kind, path.read_bytes())


@click.group()
def entrustments() -> None:
    """Entrustments of an agent by a household (流转委托书, R2.4)."""


@entrustments.command("add")
@click.argument("household_code")
@click.option("--agent", "agent_username", required=True, help="the agent's user name")
@click.option("--parcel", "parcel_codes", multiple=True, required=True, help="a parcel code (repeat)")
@click.option("--act", "acts", multiple=True, required=True, type=click.Choice(ENTRUSTED_ACTS))
@click.option("--from", "valid_from", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "valid_to", required=True, type=click.DateTime(["%Y-%m-%d"]), help="the last day")
@click.option("--transfer-until", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="no transfer the agent makes ends later")
@click.option("--min-price", required=True, callback=_price, help="yuan per mu and year, at least")
@click.option("--scope", required=True, help="the matters and authority as the paper states them")
@click.option("--document", help="the paper's number or date")
@click.option("--scan", "scan_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="the paper signed by both (PDF, JPEG or PNG, up to 10 MB)")
def entrustments_add(household_code, agent_username, parcel_codes, acts, valid_from, valid_to, transfer_until,
                     min_price, scope, document, scan_path) -> None:
    """Record a household's entrustment from the paper signed by both, with its scan."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.market import entrustments as service

    with _system_session() as session:
        found = service.create_entrustment(
            session, SYSTEM, household_code=household_code, agent_username=agent_username,
            parcel_codes=list(parcel_codes), acts=list(acts), valid_from=valid_from.date(),
            valid_to=valid_to.date(), transfer_until=transfer_until.date(), min_price=min_price, scope=scope,
            document=document, scan=_scan(scan_path))
        number = found.id
    click.echo(f"entrustment {number} recorded, in force from {valid_from.date()} to {valid_to.date()}",
               err=True)


@entrustments.command("list")
@click.option("--household", "household_code")
def entrustments_list(household_code) -> None:
    """List entrustments: number, status, household, agent, acts, term, parcels."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.market import entrustments as service

    with _system_session() as session:
        for e in service.list_entrustments(session, SYSTEM, household_code=household_code, limit=500):
            row = service.entrustment_dict(session, e)
            click.echo(f"{row['id']:>6} {row['status']:14} {row['household_code']} "
                       f"{row['agent_username']:20} "
                       f"{','.join(row['acts']):20} {row['valid_from']}..{row['valid_to']} "
                       f"{' '.join(row['parcel_codes'])}")


@entrustments.command("revoke")
@click.argument("entrustment_id", type=click.IntRange(1, 2**63 - 1))
@click.option("--reason", required=True, help="e.g. the household's written revocation of <date>")
def entrustments_revoke(entrustment_id: int, reason: str) -> None:
    """Revoke an entrustment, effective at once."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.market import entrustments as service

    with _system_session() as session:
        service.revoke_entrustment(session, SYSTEM, entrustment_id=entrustment_id, reason=reason)
    click.echo(f"entrustment {entrustment_id} revoked", err=True)

