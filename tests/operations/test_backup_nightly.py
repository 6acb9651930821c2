"""scripts/backup-nightly.sh, as the systemd timer of docs/operations.md runs it: a new complete
backup, the newest KEEP kept, what an interrupted night left removed, other files untouched."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.operations.drill import landrights, table_count

ROOT = Path(__file__).resolve().parents[2]


def test_the_nightly_script_keeps_the_newest_copies_and_clears_an_interrupted_night(databases, folder):
    backups = folder / "backups"
    backups.mkdir()
    for name in ("landrights-20250101T023000Z.tar", "landrights-20250102T023000Z.tar", "notes.txt"):
        (backups / name).write_text("an older copy")
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = backups / f"landrights-20250103T023000Z.tar.partial-{dead.pid}-0a1b2c3d"
    stale.mkdir()
    (stale / "database.dump").write_bytes(b"PGDMP half")
    env = {k: v for k, v in os.environ.items() if k != "LANDRIGHTS_ENV"}
    env.update(LANDRIGHTS_INSTANCE=str(folder / "instance"), DATABASE_URL=databases(demo=True),
               LANDRIGHTS=str(Path(sys.executable).parent / "landrights"))
    run = subprocess.run([str(ROOT / "scripts/backup-nightly.sh"), str(backups), "2"], env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "removed the old backup" in run.stdout and "interrupted backup left" in run.stderr
    left = sorted(p.name for p in backups.iterdir())
    assert left[0] == "landrights-20250102T023000Z.tar" and left[2] == "notes.txt"
    newest = backups / left[1]
    assert newest.name.startswith("landrights-20") and newest.stat().st_mode & 0o777 == 0o600
    assert f"{newest}" in run.stdout  # its sha256sum line, kept in the journal

    target = databases(demo=False)
    landrights(folder / "target", target, "restore", str(newest))
    assert table_count(target) > 50
    refused = subprocess.run([str(ROOT / "scripts/backup-nightly.sh"), str(backups), "0"], env=env,
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "KEEP must be a whole number" in refused.stderr
