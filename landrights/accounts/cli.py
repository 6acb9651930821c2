"""`landrights users …` and `landrights keys …`: accounts, tokens, login locks and the session key,
for the operator (the system actor)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import click

ROLE_CHOICE = click.Choice(["farmer", "township_officer", "collective_clerk", "county_admin",
                            "transferee"])


@contextmanager
def _system_session():
    """Yield (app, session) for a command acting as the system; a refusal becomes click's error
    message and nothing is kept, otherwise the work is committed once."""
    from landrights.cli import _language, database
    from landrights.errors import DomainError
    from landrights.extensions import db

    with database() as app, app.app_context(), _language(app, "zh"):
        try:
            yield app, db.session
        except DomainError as err:
            db.session.rollback()
            field = f"{err.field}: " if err.field else ""
            raise click.ClickException(f"{field}{err.message}") from None
        db.session.commit()


def _echo(message: str) -> None:
    click.echo(message, err=True)


@click.group()
def users() -> None:
    """Accounts: create, link to a person, list, tokens, passwords, locks, deactivation."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=ROLE_CHOICE)
@click.option("--name", "display_name", required=True, help="name shown in the app")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--county", "county_code")
@click.option("--township", "township_code")
@click.option("--collective", "collective_code")
@click.option("--household", "household_code")
@click.option("--person", help="ID number of the person the account belongs to (a farmer's: a "
              "member of its household)")
def users_create(username, role, display_name, password, person, **jurisdiction) -> None:
    """Create an account with its role and jurisdiction, linked to its person if given."""
    from landrights.accounts import services
    from landrights.accounts.permissions import SYSTEM

    with _system_session() as (app, session):
        services.create_user(session, SYSTEM, username=username, password=password, role=role,
                             display_name=display_name, hash_method=app.config["PASSWORD_METHOD"],
                             min_length=app.config["PASSWORD_MIN_LENGTH"], person=person,
                             **jurisdiction)
    _echo(f"created {username} ({role})" + (" linked to its person" if person else ""))


@users.command("link")
@click.argument("username")
@click.option("--person", required=True, help="ID number of the person the account belongs to")
def users_link(username: str, person: str) -> None:
    """Link an account to the person it belongs to (its transferee then verifies by own account)."""
    from landrights.accounts import services
    from landrights.accounts.permissions import SYSTEM

    with _system_session() as (_app, session):
        services.link_person(session, SYSTEM, username, person)
    _echo(f"{username} linked to its person")


@users.command("list")
def users_list() -> None:
    """List accounts with role, jurisdiction and whether they may log in."""
    from landrights.accounts import services
    from landrights.accounts.permissions import SYSTEM

    with _system_session() as (_app, session):
        for u in services.list_users(session, SYSTEM):
            area = u.household_code or u.collective_code or u.township_code or u.county_code or "-"
            state = "" if u.is_active else "  (deactivated)"
            click.echo(f"{u.username:24} {u.role:18} {area:20} {u.display_name}{state}")


@users.command("password")
@click.argument("username")
@click.option("--password", prompt="New password", hide_input=True, confirmation_prompt=True)
def users_password(username: str, password: str) -> None:
    """Give an account a new password (it is logged out everywhere)."""
    from landrights.accounts import services
    from landrights.accounts.permissions import SYSTEM

    with _system_session() as (app, session):
        ended = services.set_password(session, SYSTEM, username, password,
                                      hash_method=app.config["PASSWORD_METHOD"],
                                      min_length=app.config["PASSWORD_MIN_LENGTH"])
    _echo(f"new password for {username}; {ended} login session(s) ended")


@users.command("deactivate")
@click.argument("username")
def users_deactivate(username: str) -> None:
    """Stop an account: no login, its sessions end and its tokens are revoked."""
    _set_active(username, False)
    _echo(f"{username} deactivated: logged out everywhere, tokens revoked")


@users.command("reactivate")
@click.argument("username")
def users_reactivate(username: str) -> None:
    """Let a deactivated account log in again (its old tokens stay revoked)."""
    _set_active(username, True)
    _echo(f"{username} may log in again")


def _set_active(username: str, active: bool) -> None:
    from landrights.accounts import services
    from landrights.accounts.permissions import SYSTEM

    with _system_session() as (_app, session):
        services.set_active(session, SYSTEM, username, active)


@users.command("unlock")
@click.argument("username")
def users_unlock(username: str) -> None:
    """Lift the failed-login locks on an account's user name, from every address."""
    from landrights.accounts import services
    from landrights.accounts.permissions import SYSTEM

    with _system_session() as (_app, session):
        cleared = services.unlock_login(session, SYSTEM, username)
    _echo(f"{username}: {cleared} failed-login count(s) cleared")


@users.command("revoke")
@click.argument("username")
def users_revoke(username: str) -> None:
    """Log an account out everywhere and revoke all its tokens (a lost phone, a leaked token)."""
    from landrights.accounts import services
    from landrights.accounts.permissions import SYSTEM

    with _system_session() as (_app, session):
        ended, revoked = services.revoke_access(session, SYSTEM, username)
    _echo(f"{username}: {ended} login session(s) ended, {revoked} token(s) revoked")


@users.command("token")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="what the token is for")
@click.option("--days", type=click.IntRange(min=1), help="days it is valid (default: "
              "LANDRIGHTS_TOKEN_DAYS, 90)")
def users_token(username: str, name: str, days: int | None) -> None:
    """Print a new API bearer token for a user (shown once) and say when it expires."""
    from landrights.accounts import services
    from landrights.accounts.permissions import SYSTEM
    from landrights.moments import as_written

    with _system_session() as (app, session):
        token = services.issue_token(session, SYSTEM, username, name,
                                     days=days or app.config["API_TOKEN_DAYS"])
        until = as_written(token.expires_at)  # China Standard Time, as people write it
    click.echo(token)
    _echo(f"token {token.id} ({name}) for {username}, valid until {until}; revoke it with: "
          f"landrights users revoke-token {token.id}")


@users.command("tokens")
@click.argument("username")
def users_tokens(username: str) -> None:
    """List an account's tokens: id, name, created, expires, revoked."""
    from landrights.accounts import services
    from landrights.accounts.permissions import SYSTEM
    from landrights.moments import as_written

    with _system_session() as (_app, session):
        for t in services.list_tokens(session, SYSTEM, username):
            revoked = f"revoked {as_written(t.revoked_at)}" if t.revoked_at else ""
            click.echo(f"{t.id:6} {t.name:20} created {as_written(t.created_at)} "
                       f"expires {as_written(t.expires_at)} {revoked}".rstrip())


@users.command("revoke-token")
@click.argument("token_id", type=int)
def users_revoke_token(token_id: int) -> None:
    """Revoke one API token by its id (from `users token` or `users tokens`)."""
    from landrights.accounts import services
    from landrights.accounts.permissions import SYSTEM

    with _system_session() as (_app, session):
        token = services.revoke_token(session, SYSTEM, token_id)
        _echo(f"token {token.id} ({token.name}) revoked")


@click.group()
def keys() -> None:
    """Secret keys."""


@keys.command("rotate-secret")
def keys_rotate_secret() -> None:
    """Replace SECRET_KEY (which signs session cookies and form tokens) and end every login
    session: run it when the key may have been seen. Restart the app afterwards."""
    from landrights import config as settings
    from landrights.accounts import login
    from landrights.cli import database
    from landrights.extensions import db

    if os.environ.get("SECRET_KEY"):
        where = ("SECRET_KEY comes from the environment: set a new value there (python -c "
                 "'import secrets; print(secrets.token_hex(32))') and restart the app")
    else:
        folder = Path(settings.instance_dir())
        where = f"new key written to {settings.write_new_key(folder)}; restart the app"
    with database() as app, app.app_context():
        ended = login.end_sessions(db.session, user_id=None, reason="key_rotated")
        db.session.commit()
    _echo(f"{where}. {ended} login session(s) ended: everyone logs in again.")
