"""The hand-up import leaves nothing in the instance's tmp/ (the security suite's leftover check,
tests/security/test_uploads.py, runs after these): the upload's folder goes on every path, before
the run says it ended; what a killed process left is swept when the app next starts."""
import json
import os
import subprocess
import sys
from pathlib import Path

from landrights.handup import uploads
from landrights.uploads import remove_leftovers, scratch_root
from tests.handup.conftest import SAMPLE_ZIP


def _leftovers(instance_dir) -> list[str]:
    return sorted(p.name for p in scratch_root(instance_dir).iterdir()
                  if p.name.startswith("handup-"))


def _job(instance_dir, user_id: int) -> dict:
    folder = scratch_root(instance_dir) / f"handup-{os.getpid()}-thread-test"
    folder.mkdir(mode=0o700)
    (folder / "upload").write_bytes(SAMPLE_ZIP.read_bytes())
    state = uploads.runs_root(instance_dir) / "thread-test.json"
    state.write_text(json.dumps({"stage": "queued", "user_id": user_id}))
    return {"folder": folder, "path": folder / "upload", "state": state, "user_id": user_id,
            "filename": "220421103004.zip", "all_or_nothing": False, "lang": "zh"}


def test_a_run_whose_account_is_gone_removes_its_folder(clean_app, clean_session, instance_dir):
    """Before the fix the thread looked its account up outside any `finally`: an account gone (or
    deactivated) between the upload and the thread left the folder and a run "queued" forever."""
    job = _job(instance_dir, user_id=987654)
    uploads._run_in_thread(clean_app, job)
    assert not job["folder"].exists()
    assert json.loads(job["state"].read_text())["stage"] == "failed"


def test_the_start_up_sweep_removes_the_folders_of_dead_processes(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    root = scratch_root(tmp_path)
    for name in (f"handup-{dead}-tok3n_x", f"cli-{dead}-ab12", f"handup-{os.getpid()}-live"):
        (root / name).mkdir()
        (root / name / "upload").write_bytes(b"PK")
    assert sorted(remove_leftovers(tmp_path)) == [f"cli-{dead}-ab12", f"handup-{dead}-tok3n_x"]
    assert sorted(p.name for p in Path(root).iterdir()) == [f"handup-{os.getpid()}-live"]
