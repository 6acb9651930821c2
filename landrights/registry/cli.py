"""`landrights conflicts list|keep|correct`: ID numbers a hand-up package listed for more than one
person (registry.conflicts). The operator acts as the system, through the same services an
officer's page would call, so the same checks hold; each resolution is a new version of the
households' members, with its reason and document in the history."""
from __future__ import annotations

from contextlib import contextmanager

import click


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


@click.group()
def conflicts() -> None:
    """ID numbers listed for more than one person (证件号码冲突), and their resolution."""


@conflicts.command("list")
@click.option("--county", "county_code", help="6-digit county code (default: all)")
def list_command(county_code) -> None:
    """List the open conflicts: each number and the households listing it (* = the identity)."""
    from landrights.accounts.permissions import SYSTEM, Actor
    from landrights.registry.conflicts import list_conflicts

    actor = Actor(role="county_admin", name="system", county_code=county_code) \
        if county_code else SYSTEM
    with _system_session() as session:
        found = list_conflicts(session, actor)
    for conflict in found:
        kind = "同一人 / same person" if conflict["same_name"] else "两人共用 / two people"
        listings = "; ".join(f"{'*' if x['identity'] else ' '}{x['household']} {x['name']}"
                             for x in conflict["listings"])
        click.echo(f"{conflict['id_number']}  {kind}  {listings}")
    click.echo(f"{len(found)} 个号码有冲突 / numbers in conflict")


@conflicts.command("keep")
@click.argument("household_code")
@click.argument("id_number")
@click.option("--reason", required=True, help="why: e.g. the village's confirmation")
@click.option("--document", help="the document it rests on")
def keep_command(household_code, id_number, reason, document) -> None:
    """The same person is listed twice: they belong to HOUSEHOLD_CODE; the other listings end."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.registry.conflicts import keep_listing

    with _system_session() as session:
        keep_listing(session, SYSTEM, household_code=household_code, id_number=id_number,
                     reason=reason, document=document)
    click.echo(f"{household_code}: kept; the other listings ended")


@conflicts.command("correct")
@click.argument("household_code")
@click.argument("id_number")
@click.argument("new_id_number")
@click.option("--reason", required=True, help="why: e.g. checked against the ID card")
@click.option("--document", help="the document it rests on")
def correct_command(household_code, id_number, new_id_number, reason, document) -> None:
    """Two people share a number: the member of HOUSEHOLD_CODE gets NEW_ID_NUMBER."""
    from landrights.accounts.permissions import SYSTEM
    from landrights.registry.conflicts import correct_number

    with _system_session() as session:
        correct_number(session, SYSTEM, household_code=household_code, id_number=id_number,
                       new_id_number=new_id_number, reason=reason, document=document)
    click.echo(f"{household_code}: number corrected")
