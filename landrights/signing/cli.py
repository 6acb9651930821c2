"""`landrights keys new-signing | revoke | list`: the county's signing keys, for the operator.

The commands are added to the app's `keys` group by landrights.cli, which hands over how to open
the database (so this base-level package imports nothing above it)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import click

# the commands may run in production before any usable key exists: they are how one is made
SETUP = {"SIGNING_KEY_SETUP": True}


def add_signing_commands(group: click.Group, database: Callable) -> None:
    """Add new-signing, revoke and list to the `keys` group; database(config=...) opens the app."""

    def _session():
        from landrights.extensions import db

        return db.session

    @group.command("new-signing")
    @click.option("--county", "county_code", help="6-digit county code (default: the one county "
                                                  "that has keys)")
    @click.option("--from", "valid_from", help="the day it signs from, YYYY-MM-DD (default: today)")
    def new_signing(county_code: str | None, valid_from: str | None) -> None:
        """Make a new SM2 signing key of the county; it signs from its day on, and older keys keep
        verifying what they signed. Its private half is written, mode 600, to the signing key
        folder: back it up."""
        from landrights.errors import DomainError
        from landrights.signing import keys, sm2

        day = _day(valid_from)
        with database(config=SETUP) as app, app.app_context():
            session = _session()
            county = county_code or _only_county(session)
            try:
                key = keys.new_signing_key(session, county, valid_from=day)
            except DomainError as err:
                raise click.ClickException(f"--{err.field}: {err.message}") from None
            session.commit()
            path = keys.private_key_path(key.key_id)
        click.echo(f"{key.key_id}\t{sm2.ALGORITHM}\tsigns from {key.valid_from}\t{path}")
        click.echo(f"public key {key.public_key}", err=True)

    @group.command("revoke")
    @click.argument("key_id")
    @click.option("--reason", required=True, help="why (kept with the key, at most 500 characters)")
    def revoke(key_id: str, reason: str) -> None:
        """Revoke a signing key now: it signs nothing more, and what it signed verifies as
        "revoked on <date>". Make the new key first (new-signing), so documents can still be
        printed."""
        from landrights.errors import DomainError
        from landrights.signing import keys

        with database(config=SETUP) as app, app.app_context():
            session = _session()
            try:
                key = keys.revoke(session, key_id, reason)
            except DomainError as err:
                raise click.ClickException(f"{err.message}") from None
            session.commit()
            left = keys.key_in_force(session, key.county_code)
        click.echo(f"{key.key_id} revoked on {keys.revoked_on(key)}")
        if left is None:
            click.echo(f"warning: county {key.county_code} has no signing key in force now; make one "
                       f"with `landrights keys new-signing --county {key.county_code}`", err=True)

    @group.command("list")
    @click.option("--county", "county_code", help="6-digit county code (default: every county)")
    def list_keys(county_code: str | None) -> None:
        """List the signing keys: id, algorithm, the day each signs from, revocation, and whether
        its private half is in the signing key folder."""
        from landrights.signing import keys

        with database(config=SETUP) as app, app.app_context():
            rows = keys.list_keys(_session(), county_code)
            in_force = {k.county_code: keys.key_in_force(_session(), k.county_code) for k in rows}
            lines = [_line(key, in_force[key.county_code], keys) for key in rows]
        for line in lines or ["no signing keys"]:
            click.echo(line)


def _line(key, in_force, keys) -> str:
    state = f"revoked on {keys.revoked_on(key)} ({key.revoke_reason})" if key.revoked_at else (
        "in force" if in_force is not None and in_force.key_id == key.key_id else "not signing")
    private = "private key present" if keys.private_key_path(key.key_id).exists() else "no private key here"
    return f"{key.key_id}\t{key.algorithm}\tfrom {key.valid_from}\t{state}\t{private}"


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("write it as YYYY-MM-DD", param_hint="--from") from None


def _only_county(session) -> str:
    import sqlalchemy as sa

    from landrights.signing.models import SigningKey

    counties = list(session.scalars(sa.select(SigningKey.county_code).distinct()))
    if len(counties) != 1:
        raise click.UsageError("name the county: --county 220421 (6 digits)")
    return counties[0]
