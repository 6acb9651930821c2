"""Request bodies and the files they bring (issue 16, finding 2).

* Every body is limited (MAX_CONTENT_LENGTH, enough for a 10 MB evidence file sent as base64);
  only the survey upload may send more (SURVEY_UPLOAD_MAX_MB), and only an account that may import
  surveys: the role is checked before a byte of the body is read, so the anonymous public, farmers,
  clerks and transferees get 401/403 however large their body. A county's hand-up package
  (HANDUP_UPLOAD_MAX_MB) is sent only by its county administrator, checked the same way.
* Upload spools and the survey's unpacked parts live in <instance>/tmp, not the system's /tmp: a
  request's files in a folder named after its process, removed when the request ends; what a
  killed process left behind is removed when the app next starts.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from flask import Request, current_app, request

SURVEY_UPLOAD_ENDPOINTS = frozenset({"survey.upload", "api.create_survey"})
HANDUP_UPLOAD_ENDPOINTS = frozenset({"handup.upload", "api.create_handup"})
SPOOL_IN_MEMORY = 500 * 1024  # as Werkzeug: smaller file parts stay in memory
_SCRATCH = re.compile(r"[a-z]+-(\d+)-[\w-]+")


def scratch_root(instance_dir: str | Path) -> Path:
    """Return the instance's folder for temporary files (created private on first use)."""
    root = Path(instance_dir) / "tmp"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


@contextmanager
def scratch_folder(instance_dir: str | Path, kind: str = "upload"):
    """Yield a private folder for one request's files; remove it afterwards, whatever happens."""
    folder = Path(tempfile.mkdtemp(prefix=f"{kind}-{os.getpid()}-", dir=scratch_root(instance_dir)))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def remove_leftovers(instance_dir: str | Path) -> list[str]:
    """Remove the scratch folders of processes that no longer run; return their names."""
    removed = []
    for entry in scratch_root(instance_dir).iterdir():
        match = _SCRATCH.fullmatch(entry.name)
        if match and entry.is_dir() and not _running(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


class SpoolingRequest(Request):
    """Flask's request, spooling large file parts into the instance's tmp folder (unnamed files:
    nothing is left behind even if the process is killed)."""

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        folder = scratch_root(current_app.config["INSTANCE_DIR"])
        return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="rb+", dir=folder)


def limit_body() -> None:
    """Before any body is read: let the survey upload exceed the global limit, and only for an
    account that may import surveys (the collective's jurisdiction is checked by the service).

    Raises:
        Unauthenticated: anonymous. Forbidden: a role that does not import surveys.
    """
    from landrights.accounts.permissions import may_import_surveys, require_login
    from landrights.accounts.views import current_actor
    from landrights.errors import forbidden

    if request.method == "POST" and request.endpoint in HANDUP_UPLOAD_ENDPOINTS:
        _limit_handup_body()
        return
    if request.method != "POST" or request.endpoint not in SURVEY_UPLOAD_ENDPOINTS:
        return
    actor = current_actor()
    require_login(actor)
    if not may_import_surveys(actor):
        raise forbidden()
    request.max_content_length = current_app.config["SURVEY_UPLOAD_MAX_MB"] << 20


def _limit_handup_body() -> None:
    """A hand-up package: only the county administrator sends one, before a byte is read."""
    from landrights.accounts.views import current_actor
    from landrights.handup.permissions import require_import_handup

    require_import_handup(current_actor())
    request.max_content_length = current_app.config["HANDUP_UPLOAD_MAX_MB"] << 20


def init_app(app) -> None:
    """Spool uploads in the instance, limit bodies before anything reads them, and remove what
    killed processes left in the instance's tmp folder."""
    app.request_class = SpoolingRequest
    # first of all before-request functions: CSRF protection reads the form, and so the body
    app.before_request_funcs.setdefault(None, []).insert(0, limit_body)
    removed = remove_leftovers(app.config["INSTANCE_DIR"])
    if removed:
        app.logger.warning("removed temporary files left by stopped processes: %s", removed)
