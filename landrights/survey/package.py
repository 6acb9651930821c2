"""Where a delivery's parts come from (issue 16, findings 1 and 2): a folder on disk, or a zip
read member by member. A zip member is refused on its declared sizes before a byte is written (the
unpacked total, the compression ratio), and its stream is counted as well; nested archives,
links, encrypted members and names outside the archive are refused.

Pure: no Flask, no database.
"""
from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from landrights.survey.errors import SurveyFileError

CHUNK = 1 << 20
ARCHIVE_SUFFIXES = (".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".kmz", ".shz")
DBF_VERSIONS = {0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x83, 0x8B, 0xCB, 0xF5, 0xFB}
_BROKEN = (zipfile.BadZipFile, zlib.error, EOFError)


@dataclass(frozen=True)
class Limits:
    """How much a delivery may unpack to (the parts the import reads) and how compressed a zip
    member may be; GeoJSON is parsed in memory, so it has a cap of its own."""

    unpacked_bytes: int = 4 << 30
    ratio: int = 200
    members: int = 10_000
    geojson_bytes: int = 64 << 20


DEFAULT_LIMITS = Limits()  # the command line's: an operator's own files


class Budget:
    """The bytes a delivery may still unpack to."""

    def __init__(self, total: int):
        self.total = self.left = total

    def check(self, n: int) -> None:
        if n > self.left:
            raise SurveyFileError("too_big_unpacked", "file", mb=self.total >> 20)

    def take(self, n: int) -> None:
        self.check(n)
        self.left -= n


class Folder:
    """A delivery unpacked on disk (the command line's folder or .shp)."""

    def __init__(self, root: Path, recursive: bool = True):
        self.root, self.recursive = root, recursive

    def names(self) -> list[str]:
        found = self.root.rglob("*") if self.recursive else self.root.iterdir()
        return [p.relative_to(self.root).as_posix() for p in found
                if p.is_file() and not p.is_symlink()]

    def read_small(self, name: str, cap: int) -> bytes:
        with (self.root / name).open("rb") as f:
            return f.read(cap)

    def copy(self, name: str, target: Path, budget: Budget) -> None:
        with (self.root / name).open("rb") as src, target.open("xb") as out:
            _stream(src, out, budget)


class Zip:
    """A zip read member by member: each member checked, none unpacked beyond the limits."""

    def __init__(self, path: Path, limits: Limits):
        self.limits = limits
        try:
            self.archive = zipfile.ZipFile(path)
            infos = self.archive.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            raise SurveyFileError("broken_zip", "file") from None
        if len(infos) > limits.members:
            raise SurveyFileError("unsafe_zip", "file", found="members")
        for info in infos:
            check_member(info)
        self.members = {info.filename: info for info in infos if not info.is_dir()}

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.archive.close()

    def names(self) -> list[str]:
        return list(self.members)

    def read_small(self, name: str, cap: int) -> bytes:
        try:
            with self._open(self.members[name]) as src:
                return src.read(cap)
        except _BROKEN:
            raise SurveyFileError("broken_zip", "file") from None

    def copy(self, name: str, target: Path, budget: Budget) -> None:
        info = self.members[name]
        # refuse on the declared sizes before a byte is written; the stream is counted as well
        budget.check(info.file_size)
        if info.file_size > CHUNK and info.file_size > self.limits.ratio * max(info.compress_size, 1):
            raise SurveyFileError("unsafe_zip", "file", found="ratio")
        try:
            with self._open(info) as src, target.open("xb") as out:
                _stream(src, out, budget, most=info.file_size)
        except _BROKEN:  # a CRC or a size that the data belies
            raise SurveyFileError("broken_zip", "file") from None

    def _open(self, info: zipfile.ZipInfo):
        try:
            return self.archive.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError):
            raise SurveyFileError("broken_zip", "file") from None


def check_member(info: zipfile.ZipInfo) -> None:
    """Refuse a zip member that is a link or device, encrypted, an archive, or named outside."""
    name = info.filename.replace("\\", "/")
    if _outside(name):
        raise SurveyFileError("unsafe_zip", "file", found="path")
    kind = stat.S_IFMT(info.external_attr >> 16)
    if info.create_system == 3 and kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise SurveyFileError("unsafe_zip", "file", found="link")
    if info.flag_bits & 0x1:
        raise SurveyFileError("unsafe_zip", "file", found="encrypted")
    if not info.is_dir() and name.lower().endswith(ARCHIVE_SUFFIXES):
        raise SurveyFileError("unsafe_zip", "file", found="archive")


def _outside(name: str) -> bool:
    """Tell a member name that is absolute, has a NUL, climbs out (..) or names a drive (C:)."""
    parts = PurePosixPath(name).parts
    return name.startswith("/") or "\x00" in name or ".." in parts or bool(parts and ":" in parts[0])


def _stream(src, out, budget: Budget, most: int | None = None) -> None:
    written = 0
    while chunk := src.read(CHUNK):
        written += len(chunk)
        budget.take(len(chunk))
        if most is not None and written > most:
            raise SurveyFileError("broken_zip", "file")
        out.write(chunk)
