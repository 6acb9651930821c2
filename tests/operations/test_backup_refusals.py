"""What restore refuses, before it touches the database (issue 20 §2): what a backup killed
halfway leaves, a backup cut short, a part changed after the backup (named), a part the manifest
does not list, a schema newer than the code."""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from tests.operations.drill import landrights, table_count

LANDRIGHTS = str(Path(sys.executable).parent / "landrights")


@pytest.fixture
def demo_backup(databases, folder):
    """A complete backup of the demo, and an empty database to restore into."""
    out = folder / "demo.tar"
    landrights(folder / "instance", databases(demo=True), "backup", str(out))
    return out, databases(demo=False)


def _refused(folder: Path, target_url: str, path: Path) -> str:
    result = landrights(folder / "target", target_url, "restore", str(path), ok=False)
    assert result.exit_code != 0
    assert table_count(target_url) == 0  # checked before the database was touched
    return result.output


def test_a_backup_killed_halfway_leaves_no_file_restore_accepts(databases, folder):
    source_url, target_url = databases(demo=True), databases(demo=False)
    backups = folder / "backups"
    backups.mkdir()
    out = backups / "nightly.tar"
    env = {k: v for k, v in os.environ.items() if k != "LANDRIGHTS_ENV"}
    env.update(LANDRIGHTS_INSTANCE=str(folder / "instance"), DATABASE_URL=source_url)
    # its own process group: killed as a whole, pg_dump too, as systemd kills a service's cgroup
    backup = subprocess.Popen([LANDRIGHTS, "backup", str(out)], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(backups.glob("nightly.tar.partial-*/*")):
        assert backup.poll() is None and time.monotonic() < deadline
        time.sleep(0.002)
    os.killpg(backup.pid, signal.SIGKILL)
    backup.wait()

    assert not out.exists()
    left = [p for p in backups.rglob("*") if p.is_file()]
    assert left  # the killed backup's staging folder, with what it had written
    for path in left:
        said = _refused(folder, target_url, path)
        assert "unfinished backup" in said

    said = landrights(folder / "instance", source_url, "backup", str(out)).output
    assert "removed what an interrupted backup left" in said
    assert [p.name for p in backups.iterdir()] == ["nightly.tar"]
    refused = landrights(folder / "instance", source_url, "backup", str(out), ok=False)
    assert refused.exit_code == 1 and "exists" in refused.output and out.stat().st_size > 0


def test_a_backup_cut_short_or_renamed_from_an_unfinished_one_is_refused(demo_backup, folder):
    out, target_url = demo_backup
    data = out.read_bytes()
    with tarfile.open(out) as tar:
        last = tar.getmembers()[-1]
    for cut in (len(data) // 2, last.offset_data + last.size - 1, 700):
        cut_short = folder / f"cut-{cut}.tar"
        cut_short.write_bytes(data[:cut])
        said = _refused(folder, target_url, cut_short)
        assert "incomplete or damaged" in said or "lacks the part" in said or \
            "not a landrights backup" in said
    complete_but_unnamed = folder / "demo.tar.partial-1-abcd" / "backup.tar"  # killed before the rename
    complete_but_unnamed.parent.mkdir()
    shutil.copy(out, complete_but_unnamed)
    assert "unfinished backup" in _refused(folder, target_url, complete_but_unnamed)


def _rewritten(src: Path, dst: Path, *, manifest=None, part: str | None = None, extra: str | None = None):
    """Copy a backup, changing its manifest, one byte of a part, or adding an unlisted part."""
    with tarfile.open(src) as tar, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as out:
        for member in tar.getmembers():
            body = tar.extractfile(member).read()
            if member.name == "manifest.json" and manifest:
                body = json.dumps(manifest(json.loads(body))).encode()
            if member.name == part:
                body = body[:-1] + bytes([body[-1] ^ 1])
            member.size = len(body)
            out.addfile(member, io.BytesIO(body))
        if extra:
            info = tarfile.TarInfo(extra)
            info.size = 5
            out.addfile(info, io.BytesIO(b"extra"))
    return dst


@pytest.mark.parametrize("part", ["database.dump", "instance/certificate_key"])
def test_a_changed_part_is_refused_by_name(demo_backup, folder, part):
    out, target_url = demo_backup
    said = _refused(folder, target_url, _rewritten(out, folder / "changed.tar", part=part))
    assert f"the part {part} does not match the SHA-256 in the manifest" in said
    assert "nothing was restored" in said


def test_an_unlisted_part_and_a_newer_schema_are_refused(demo_backup, folder):
    out, target_url = demo_backup
    said = _refused(folder, target_url, _rewritten(out, folder / "extra.tar", extra="instance/added"))
    assert "instance/added that its manifest does not list" in said
    newer = _rewritten(out, folder / "newer.tar",
                       manifest=lambda m: m | {"schema_revision": "9999_from_the_future"})
    said = _refused(folder, target_url, newer)
    assert "schema revision 9999_from_the_future is unknown to this landrights" in said
    said = landrights(folder / "target", target_url, "restore", str(out),  # the original restores,
                      CERTIFICATE_KEY="a-certificate-key-other-than-the-backups").output
    assert "restored" in said  # with a warning: the printed QR codes would not verify
    assert "warning: the CERTIFICATE_KEY in force is not the one in use when the backup was made" in said


def test_a_backup_of_an_older_schema_is_restored_and_migrated_to_the_head(databases, folder):
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from landrights import migrate

    script = ScriptDirectory.from_config(migrate.alembic_config())
    head = script.get_current_head()
    older = script.get_revision(head).down_revision
    source_url = databases(demo=False)
    engine = create_engine(source_url)
    migrate.upgrade(engine, older)
    engine.dispose()
    out = folder / "older.tar"
    landrights(folder / "instance", source_url, "backup", str(out))
    target_url = databases(demo=False)
    said = landrights(folder / "target", target_url, "restore", str(out)).output
    assert f"schema upgraded: {older} -> {head}" in said
    engine = create_engine(target_url)
    assert migrate.current(engine) == head
    engine.dispose()


def test_a_dump_that_breaks_off_while_loading_leaves_the_database_as_it_was(demo_backup, folder):
    """Past the checks (say, a disk error while reading): the tables already created go too."""
    from landrights.backup import database as db_side

    out, target_url = demo_backup
    with tarfile.open(out) as tar:
        dump = tar.extractfile("database.dump").read()
    cut = folder / "cut.dump"
    cut.write_bytes(dump[:-600])  # the table of contents is whole; the last rows are not
    work = folder / "work"
    work.mkdir()
    with pytest.raises(db_side.DatabaseRefused, match="pg_restore failed"):
        db_side.restore(db_side.target_of(target_url), cut, work, force=False,
                        extension_rows={"public.spatial_ref_sys": 0})
    assert table_count(target_url) == 0
