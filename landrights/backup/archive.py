"""The backup file: its parts, its manifest, written atomically and read back checked.

No database and no Flask here: paths and bytes only.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import shutil
import tarfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

FORMAT = "landrights-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
INSTANCE = "instance"
SIGNING = "signing"  # the signing key folder (SIGNING_KEY_DIR), wherever it is configured
TAR_NAME = "backup.tar"
PARTIAL = ".partial-"
# the instance folder's entries that are not part of a backup: the embedded cluster (its content
# is in the dump), temporary upload files, logs, and backups someone keeps in the instance
NOT_BACKED_UP = frozenset({"pgdata", "tmp", "logs", "backups"})
MANIFEST_MAX = 16 * 2**20
CHUNK = 2**20


class BackupRefused(Exception):
    """The file is not a complete, unaltered landrights backup; the message says which part."""


def sha256_copy(source, target) -> tuple[str, int]:
    """Copy a binary stream to another, returning the SHA-256 (hex) and size of what was copied."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def key_fingerprint(key: str) -> str:
    """Return a short fingerprint of a signing key that tells keys apart without revealing them."""
    return hashlib.sha256(b"landrights certificate key fingerprint\0" + key.encode()).hexdigest()[:16]


def files_in(root: Path, skip: tuple[Path, ...] = ()) -> tuple[list[Path], list[str]]:
    """List a folder's regular files to back up (relative paths) and what was passed over.

    Everything except NOT_BACKED_UP at the top, the paths in skip (the backup being written, the
    signing key folder inside the instance, backed up on its own) and what is not a regular file
    (sockets, symlinks: named in the second list)."""
    files: list[Path] = []
    passed: list[str] = []
    skip = frozenset(p.resolve() for p in skip)
    for folder, subfolders, names in os.walk(root):
        here = Path(folder)
        left_out = NOT_BACKED_UP if here == root else frozenset()
        subfolders[:] = [d for d in sorted(set(subfolders) - left_out)
                         if _enter(here / d, skip, root, passed)]
        for name in sorted(set(names) - left_out):
            _take_file(here / name, skip, root, files, passed)
    return files, passed


def _enter(folder: Path, skip: frozenset[Path], root: Path, passed: list[str]) -> bool:
    """Tell whether to walk into a subfolder: not one skipped, nor a symlink (named as passed)."""
    if folder.is_symlink():
        passed.append(str(folder.relative_to(root)))
        return False
    return folder.resolve() not in skip


def _take_file(path: Path, skip: frozenset[Path], root: Path, files: list[Path], passed: list[str]) -> None:
    """Add a regular file to files; name a symlink, socket or the like in passed; skip skip."""
    if path.resolve() in skip:
        return
    if path.is_symlink() or not path.is_file():
        passed.append(str(path.relative_to(root)))
    else:
        files.append(path.relative_to(root))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_STAGING = re.compile(r".+\.partial-(\d+)-[0-9a-f]{8}")


def remove_stale_partials(out: Path) -> list[str]:
    """Remove what backups killed halfway left in OUT's folder (<name>.partial-<pid>-<token>/, the
    pid gone; whatever the name, so dated nightly names are cleaned too); return their names."""
    removed = []
    for entry in out.parent.iterdir():
        match = _STAGING.fullmatch(entry.name)
        if match and entry.is_dir() and not entry.is_symlink() and not _alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return sorted(removed)


@contextmanager
def staging(out: Path):
    """Yield a private folder OUT.partial-<pid>-<token> next to OUT; remove it afterwards."""
    folder = out.parent / f"{out.name}{PARTIAL}{os.getpid()}-{secrets.token_hex(4)}"
    folder.mkdir(mode=0o700)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stage_files(source_dir: Path, files: list[Path], into: Path, prefix: str) -> list[dict]:
    """Copy files of a folder into the staging folder under prefix; return their parts (name,
    size, sha256, mode)."""
    parts = []
    for rel in files:
        source, target = source_dir / rel, into / prefix / rel
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with source.open("rb") as src, target.open("xb") as dst:
            digest, size = sha256_copy(src, dst)
        parts.append({"name": f"{prefix}/{rel.as_posix()}", "size": size, "sha256": digest,
                      "mode": f"{source.stat().st_mode & 0o777:04o}"})
    return parts


def file_part(path: Path, name: str) -> dict:
    """Return the manifest entry of a staged file."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {"name": name, "size": size, "sha256": digest.hexdigest()}


def write_backup(out: Path, folder: Path, manifest: dict) -> int:
    """Write the tar (manifest first, then every part) in the staging folder, flush it to disk and
    only then rename it to OUT; return its size. Until the rename there is no file named OUT."""
    tar_path = folder / TAR_NAME
    body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    fd = os.open(tar_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.addfile(_member(MANIFEST, len(body), "0600", manifest["created_unix"]), io.BytesIO(body))
            for part in manifest["parts"]:
                with (folder / part["name"]).open("rb") as src:
                    tar.addfile(_member(part["name"], part["size"], part.get("mode", "0600"),
                                        manifest["created_unix"]), src)
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(tar_path, out)
    _fsync_folder(out.parent)
    return out.stat().st_size


def _member(name: str, size: int, mode: str, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, int(mode, 8), mtime
    return info


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Unpacked:
    """A backup checked part by part against its manifest, its parts copied to a private folder."""

    manifest: dict
    folder: Path

    @property
    def dump(self) -> Path:
        return self.folder / DUMP

    def parts_under(self, prefix: str) -> list[dict]:
        return [p for p in self.manifest["parts"] if p["name"].startswith(f"{prefix}/")]


def unpack_checked(path: Path, into: Path) -> Unpacked:
    """Read the backup once: the manifest first, then each part copied into INTO while its SHA-256
    is computed; refuse anything incomplete, altered, unlisted or missing.

    Raises:
        BackupRefused: the sentence naming the file or the part, and why.
    """
    if PARTIAL in path.name or any(PARTIAL in p for p in path.parts[:-1]):
        raise BackupRefused(f"{path} 是未完成的备份（备份中途被中断）/ {path} is an unfinished backup "
                            "(the backup was interrupted before it was complete); use a complete one")
    try:
        with tarfile.open(path, mode="r|") as tar:
            manifest = _read_manifest(tar, path)
            seen = _copy_parts(tar, manifest, into)
    except (tarfile.TarError, EOFError, OSError) as err:
        raise BackupRefused(f"{path} 不完整或已损坏 / {path} is incomplete or damaged ({err}); "
                            "nothing was restored") from None
    missing = [p["name"] for p in manifest["parts"] if p["name"] not in seen]
    if missing:
        raise BackupRefused(f"备份缺少部分 {missing[0]} / the backup lacks the part {missing[0]} that its "
                            "manifest lists (the file ends early: an incomplete copy?); nothing was restored")
    return Unpacked(manifest, into)


def _read_manifest(tar: tarfile.TarFile, path: Path) -> dict:
    member = tar.next()
    not_ours = f"{path} 不是 landrights 备份文件 / {path} is not a landrights backup"
    if member is None or member.name != MANIFEST or not member.isfile() or member.size > MANIFEST_MAX:
        raise BackupRefused(not_ours + f" (it does not start with {MANIFEST})")
    try:
        manifest = json.loads(tar.extractfile(member).read())
    except ValueError:
        raise BackupRefused(not_ours + f" (its {MANIFEST} is not readable JSON)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(not_ours + f" (its {MANIFEST} is of another kind)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupRefused(f"备份格式版本 {manifest.get('format_version')} 不受支持 / backup format version "
                            f"{manifest.get('format_version')} is not supported by this landrights "
                            f"(it reads version {FORMAT_VERSION}); use the landrights that made it")
    for part in manifest.get("parts", []):
        _safe_name(part.get("name", ""))
    return manifest


def _safe_name(name: str) -> PurePosixPath:
    """Refuse a part name that would land outside the folder it is unpacked into."""
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or ".." in pure.parts or \
            (name != DUMP and (pure.parts[0] not in (INSTANCE, SIGNING) or len(pure.parts) < 2)):
        raise BackupRefused(f"备份清单中的部分名称无效 / the manifest names a part {name!r} that no "
                            "landrights backup has; refusing it")
    return pure


def _copy_parts(tar: tarfile.TarFile, manifest: dict, into: Path) -> set[str]:
    """Copy each listed part into INTO, checking its size and SHA-256; return the names seen."""
    listed = {p["name"]: p for p in manifest["parts"]}
    seen: set[str] = set()
    while (member := tar.next()) is not None:  # after the manifest (iterating would repeat it)
        part = listed.get(member.name)
        if part is None or member.name in seen or not member.isfile():
            raise BackupRefused(f"备份中有清单未列出的部分 {member.name} / the backup holds a part "
                                f"{member.name} that its manifest does not list: it was altered; "
                                "nothing was restored")
        target = into / member.name
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tar.extractfile(member) as src, target.open("xb") as dst:
            digest, size = sha256_copy(src, dst)
        if (digest, size) != (part["sha256"], part["size"]):
            raise BackupRefused(f"备份中的 {member.name} 与清单的校验和不符 / the part {member.name} does "
                                "not match the SHA-256 in the manifest: it was changed or damaged; "
                                "nothing was restored")
        seen.add(member.name)
    return seen
