"""Request bodies and the files they bring (issue 16, finding 2).

* Every body is limited (MAX_CONTENT_LENGTH, enough for a 10 MB evidence file sent as base64);
  who may send more, checked before a byte of the body is read, is the app's
  (landrights.web.body_limits).
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

from flask import Request, current_app

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


def init_app(app) -> None:
    """Spool uploads in the instance, and remove what killed processes left in the instance's tmp
    folder."""
    app.request_class = SpoolingRequest
    removed = remove_leftovers(app.config["INSTANCE_DIR"])
    if removed:
        app.logger.warning("removed temporary files left by stopped processes: %s", removed)
