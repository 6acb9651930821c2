"""The county's signing keys: make one, choose the one in force, revoke, list; and the private
halves, each a PEM file of mode 600 in the signing key folder, never in the database.

The folder is the app's SIGNING_KEY_DIR: LANDRIGHTS_SIGNING_KEY_DIR in production (which refuses to
start without a usable key there, landrights.config), instance/signing in development. Backups must
include it: without a key's file nothing more can be signed with it, though what it signed still
verifies (the public half is in the database and published).

Rotation: a new key signs from its valid_from day; older keys keep verifying what they signed.
Revocation: the key signs nothing more; what it signed still verifies, read as "revoked on <date>".
"""
from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from landrights import clock, patterns
from landrights.errors import Conflict, NotFound, ValidationFailed
from landrights.signing import sm2
from landrights.signing.models import SigningKey

KEY_ID = re.compile(r"^([0-9]{6})-([0-9a-f]{8})$")  # county code - fingerprint of the public key
_loaded: dict[Path, tuple[int, object]] = {}  # path -> (mtime_ns, private key): parsed once


def key_folder() -> Path:
    """Return the folder of the private keys (the app's SIGNING_KEY_DIR)."""
    if has_app_context():
        return Path(current_app.config["SIGNING_KEY_DIR"])
    from landrights import config

    return config.signing_key_dir(config.instance_dir())


def _production() -> bool:
    return has_app_context() and bool(current_app.config.get("PRODUCTION"))


def private_key_path(key_id: str, folder: Path | None = None) -> Path:
    """Return where the private half of a key lives: <folder>/<key_id>.pem."""
    return (folder or key_folder()) / f"{key_id}.pem"


def _write_private(path: Path, pem: bytes) -> None:
    """Write a private key: mode 600 from the start, complete before it gets its name, and never
    over an existing key file (FileExistsError)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fresh = path.with_name(f".{path.name}.new")
    fresh.unlink(missing_ok=True)
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(fresh, path)
    finally:
        fresh.unlink()


def private_key(key_id: str, folder: Path | None = None):
    """Return the private half of a key, read from its file (parsed once per process).

    Raises:
        Conflict: the file is missing or is not an SM2 private key.
    """
    path = private_key_path(key_id, folder)
    try:
        mtime = path.stat().st_mtime_ns
        cached = _loaded.get(path)
        if cached is None or cached[0] != mtime:
            _loaded[path] = cached = (mtime, sm2.load_private_pem(path.read_bytes()))
    except (OSError, ValueError):
        raise Conflict(_l("The private half of signing key %(key)s is missing or damaged in the "
                          "signing key folder: restore it from the backup, or make a new key "
                          "(landrights keys new-signing) and revoke this one.", key=key_id),
                       field="key_id") from None
    return cached[1]


def _lock_county(session: Session, county_code: str) -> None:
    session.execute(sa.select(sa.func.pg_advisory_xact_lock(
        sa.func.hashtextextended(f"lr_signing_keys:{county_code}", 0))))


def new_signing_key(session: Session, county_code: str, *, valid_from: date | None = None,
                    folder: Path | None = None) -> SigningKey:
    """Make a new SM2 key of the county that signs from valid_from (today by default); its
    private half is written to the key folder before its row is added, so no published key lacks
    its file. The caller commits.

    Raises:
        ValidationFailed: a county code not of 6 digits, or valid_from before today.
    """
    patterns.COUNTY.check(county_code, "county_code")
    today = clock.today()
    valid_from = valid_from or today
    if valid_from < today:
        raise ValidationFailed(_l("A new key signs from today or a later day, never from a day "
                                  "already past."), field="valid_from")
    _lock_county(session, county_code)
    pem = sm2.new_private_pem()
    public = sm2.public_hex(sm2.load_private_pem(pem))
    key_id = f"{county_code}-{sm2.fingerprint(public)}"
    path = private_key_path(key_id, folder)
    _write_private(path, pem)
    row = SigningKey(county_code=county_code, key_id=key_id, algorithm=sm2.ALGORITHM,
                     public_key=public, valid_from=valid_from)
    session.add(row)
    try:
        session.flush()
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return row


def revoke(session: Session, key_id: str, reason: str) -> SigningKey:
    """Revoke a key now, with the reason: it signs nothing more, and what it signed verifies as
    "revoked on <date>". The caller commits.

    Raises:
        ValidationFailed: no reason, or one over 500 characters. NotFound: no such key.
        Conflict: the key was revoked already.
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationFailed(_l("Give the reason for the revocation (at most 500 characters)."),
                               field="reason")
    key = find(session, key_id, for_update=True)
    if key is None:
        raise NotFound(_l("There is no signing key %(key)s.", key=key_id), field="key_id")
    if key.revoked_at is not None:
        raise Conflict(_l("Signing key %(key)s is revoked already, since %(day)s.", key=key_id,
                          day=revoked_on(key).isoformat()), field="key_id")
    key.revoked_at, key.revoke_reason = clock.now(), reason
    session.flush()
    return key


def find(session: Session, key_id: str, *, for_update: bool = False) -> SigningKey | None:
    """Return the key of that id, or None (also for an id of the wrong shape)."""
    found = KEY_ID.match(key_id or "")
    if found is None:
        return None
    query = sa.select(SigningKey).where(SigningKey.county_code == found.group(1),
                                        SigningKey.key_id == key_id)
    return session.scalar(query.with_for_update() if for_update else query)


def list_keys(session: Session, county_code: str | None = None) -> list[SigningKey]:
    """Return the keys (of one county, or all), by county and then oldest first."""
    query = sa.select(SigningKey).order_by(SigningKey.county_code, SigningKey.valid_from,
                                           SigningKey.created_at)
    if county_code:
        query = query.where(SigningKey.county_code == county_code)
    return list(session.scalars(query))


def revoked_on(key: SigningKey) -> date | None:
    """Return the day (China Standard Time) the key was revoked, or None."""
    return clock.local_date(key.revoked_at) if key.revoked_at else None


def key_in_force(session: Session, county_code: str, day: date | None = None) -> SigningKey | None:
    """Return the county's key that signs on day (today): the newest unrevoked key whose
    valid_from has come."""
    return session.scalar(
        sa.select(SigningKey).where(SigningKey.county_code == county_code,
                                    SigningKey.revoked_at.is_(None),
                                    SigningKey.valid_from <= (day or clock.today()))
        .order_by(SigningKey.valid_from.desc(), SigningKey.created_at.desc(),
                  SigningKey.key_id.desc()).limit(1))


def signing_key(session: Session, county_code: str) -> SigningKey:
    """Return the county's key in force today; in development, make the county's first key
    when it has none (in a transaction of its own, committed at once, so a document printed by
    a request that then rolls back still names a published key).

    Raises:
        Conflict: no key in force (production, or every key revoked), or another request is
            making the first key this very moment.
    """
    key = key_in_force(session, county_code)
    if key is not None:
        return key
    has_any = session.scalar(sa.select(sa.func.count()).select_from(SigningKey)
                             .where(SigningKey.county_code == county_code))
    if has_any or _production() or not patterns.COUNTY.matches(county_code):
        raise Conflict(_l("No signing key of county %(county)s is in force, so nothing can be "
                          "signed: the operator makes one with `landrights keys new-signing "
                          "--county %(county)s`.", county=county_code), field="county_code")
    _make_first_key(session, county_code)
    return key_in_force(session, county_code)


def _make_first_key(session: Session, county_code: str) -> None:
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, sa.Connection) else bind
    with Session(engine) as own, own.begin():
        got = own.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(
            sa.func.hashtextextended(f"lr_signing_keys:{county_code}", 0))))
        if not got:
            raise Conflict(_l("The first signing key of county %(county)s is being made; try again "
                              "in a moment.", county=county_code), field="county_code")
        if own.scalar(sa.select(sa.func.count()).select_from(SigningKey)
                      .where(SigningKey.county_code == county_code)) == 0:
            new_signing_key(own, county_code)
