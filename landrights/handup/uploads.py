"""An uploaded hand-up package: kept in a private folder of the instance's tmp/ while it is
imported, in a thread of its own so the page can show its progress (a county's package takes
minutes). The run's state is a small JSON file in <instance>/handup-runs, read by the progress
page of the same account; states older than a week are removed. With HANDUP_IN_BACKGROUND off
(tests) the import runs inside the request, the same way.

The folder (tmp/handup-<pid>-<token>) is removed on every path, in `finally`: a refused or failed
save, a thread that cannot start its run, and the run itself, which removes it before it writes
its last state (so a page reading "done" finds nothing left). What a killed process left is
removed when the app next starts (landrights.uploads.remove_leftovers: the pid in the name)."""
from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import threading
import time
from pathlib import Path, PurePosixPath

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from landrights.accounts.permissions import Actor
from landrights.errors import DomainError, Forbidden, NotFound, ValidationFailed
from landrights.handup import permissions, services
from landrights.survey.package import Limits
from landrights.uploads import scratch_root

log = logging.getLogger(__name__)
UPLOAD_SUFFIXES = (".zip", ".gpkg")
_TOKEN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
KEEP_STATES_SECONDS = 7 * 24 * 3600


def runs_root(instance_dir) -> Path:
    """Return the instance's folder of import runs' states (created private on first use)."""
    root = Path(instance_dir) / "handup-runs"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def handup_limits(config) -> Limits:
    """Return how far an uploaded package may unpack: five times the upload limit."""
    return Limits(unpacked_bytes=5 * (config["HANDUP_UPLOAD_MAX_MB"] << 20))


def start(upload, actor: Actor, *, all_or_nothing: bool) -> str:
    """Save an uploaded package to a private folder and import it (in a thread unless the app
    says otherwise); return the run's token.

    Raises:
        Forbidden: not the county administrator (checked before the file is saved).
        ValidationFailed: not a .zip or .gpkg.
    """
    permissions.require_import_handup(actor)
    name = PurePosixPath((upload.filename or "").replace("\\", "/")).name
    if PurePosixPath(name).suffix.lower() not in UPLOAD_SUFFIXES:
        raise ValidationFailed(_("Upload the hand-up package as a .zip (the folder holding "
                                 "矢量数据 and 权属数据) or as a GeoPackage."), field="file",
                               rule="R4.17")
    token = secrets.token_urlsafe(16)
    folder = scratch_root(current_app.config["INSTANCE_DIR"]) / f"handup-{os.getpid()}-{token}"
    folder.mkdir(mode=0o700)
    try:  # the run removes the folder however it ends; until it runs (a save or a thread that
        # fails to start), this call does
        _launch(_save(upload, actor, folder, token, name, all_or_nothing), actor, token)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return token


def _launch(job: dict, actor: Actor, token: str) -> None:
    """Run the import in a thread of its own, or here when the app says so (tests)."""
    app = current_app._get_current_object()
    if app.config.get("HANDUP_IN_BACKGROUND", True):
        threading.Thread(target=_run_in_thread, args=(app, job), daemon=True,
                         name=f"handup-{token[:6]}").start()
    else:
        from landrights.extensions import db

        _run(db.session, actor, job)


def _save(upload, actor: Actor, folder: Path, token: str, name: str,
          all_or_nothing: bool) -> dict:
    """Save the upload in the run's folder, write the run's first state; return the job."""
    state = runs_root(current_app.config["INSTANCE_DIR"]) / f"{token}.json"
    _prune(state.parent)
    # our name (a GeoPackage keeps its suffix, which GDAL needs); the user's is only shown
    path = folder / ("upload.gpkg" if name.lower().endswith(".gpkg") else "upload")
    upload.save(path)
    _write(state, stage="queued", user_id=actor.user_id, county=actor.county_code)
    return {"folder": folder, "path": path, "state": state, "user_id": actor.user_id,
            "filename": name or "package", "all_or_nothing": all_or_nothing,
            "lang": str(get_locale() or "zh")}


def _run_in_thread(app, job: dict) -> None:
    """Run the import with a session of its own, as the account that uploaded it (refused if it
    is no longer active); the folder goes whatever happens, even before the run starts."""
    from landrights.accounts.models import User

    try:
        with app.app_context():
            session = app.extensions["landrights.db"].session_factory()
            try:
                user = session.get(User, job["user_id"])
                actor = Actor.of(user) if user is not None and user.is_active else None
                _run(session, actor, job)
            finally:
                session.close()
    finally:
        shutil.rmtree(job["folder"], ignore_errors=True)


def _run(session, actor: Actor | None, job: dict) -> None:
    """Import the saved package, commit, remove the folder, then record how it went in the run's
    file: a page that reads "done" or "failed" finds nothing of the run left in tmp/."""
    with force_locale(job["lang"]):
        try:
            outcome = _import(session, actor, job)
        finally:
            shutil.rmtree(job["folder"], ignore_errors=True)
        _write(Path(job["state"]), **outcome)


def _import(session, actor: Actor | None, job: dict) -> dict:
    """Import and commit; return the run's last state (done, or failed and why)."""
    state = Path(job["state"])
    try:
        if actor is None:
            raise Forbidden(_("Your account can no longer import the county's hand-up package."))
        record = services.import_handup(
            session, actor, job["path"], filename=job["filename"], workdir=job["folder"],
            all_or_nothing=job["all_or_nothing"], limits=handup_limits(current_app.config),
            progress=lambda stage: _write(state, stage=stage))
        session.commit()
        return {"stage": "done", "import_id": record.id}
    except DomainError as err:
        session.rollback()
        return {"stage": "failed", "error": str(err.message), "field": err.field}
    except Exception:  # the run's page must say it ended; the log keeps the cause
        session.rollback()
        log.exception("hand-up import failed")
        return {"stage": "failed", "error": _("The import stopped on an unexpected error; "
                                              "nothing was entered. Try again, or ask the "
                                              "operator to read the log.")}


def _write(path: Path, **state) -> None:
    """Update the run's state file (written whole, then renamed into place)."""
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(state)
    fresh = path.with_suffix(".new")
    fresh.write_text(json.dumps(current))
    os.replace(fresh, path)


def _prune(root: Path) -> None:
    """Remove the states of runs older than a week."""
    old = time.time() - KEEP_STATES_SECONDS
    for path in root.glob("*.json"):
        if path.stat().st_mtime < old:
            path.unlink(missing_ok=True)


def progress(actor: Actor, token: str) -> dict:
    """Return the state of a run the actor started.

    Raises:
        NotFound: no such run of this account (one answer for a wrong token and another's).
    """
    permissions.require_import_handup(actor)
    if not token or not set(token) <= _TOKEN or len(token) > 64:
        raise NotFound(_("There is no such import run."), field="token")
    path = runs_root(current_app.config["INSTANCE_DIR"]) / f"{token}.json"
    state = json.loads(path.read_text()) if path.is_file() else None
    if state is None or state.get("user_id") != actor.user_id:
        raise NotFound(_("There is no such import run."), field="token")
    return state
