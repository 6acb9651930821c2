"""`landrights backup OUT` and `landrights restore IN` (issue 20 §2).

Progress goes to stderr, the one-line result to stdout, in Chinese and English like the other
commands. A refusal is one sentence and exit status 1; the database is left as it was.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import click

from landrights import config as settings
from landrights.backup import archive
from landrights.backup import database as db_side
from landrights.uploads import scratch_root

SECRETS_NOTE = ("注意：备份中含有本实例的密钥，请像保管密钥一样保管备份 / note: the backup holds the "
                "instance's secret keys: keep it as you keep them (readable by the service account "
                "only, copies off the machine encrypted)")


def _echo(message: str) -> None:
    click.echo(message, err=True)


@contextmanager
def _target(cfg: dict):
    """Yield the database as a db_side.Target: DATABASE_URL, or the embedded cluster (started for
    the command if it is not running, stopped after if nobody else uses it)."""
    from landrights import database_url

    if cfg["DATABASE_URL"]:
        yield db_side.target_of(database_url(cfg)), "DATABASE_URL"
        return
    from landrights.pg import EmbeddedPostgres

    cluster = EmbeddedPostgres(cfg["INSTANCE_DIR"], log=_echo)
    with cluster.running():
        cluster.ensure_database("landrights")
        yield db_side.target_of(cluster.url()), "embedded"


def _refusal(err: Exception) -> click.ClickException:
    return click.ClickException(str(err))


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace OUT if it exists")
def backup(out: Path, force: bool) -> None:
    """Back up the database and the instance's files into one file OUT (restore with `restore`)."""
    started = time.monotonic()
    cfg = settings.load()
    out = out.resolve()
    if out.exists() and not force:
        raise click.ClickException(f"{out} 已存在 / {out} exists: choose another name or add --force "
                                   "to replace it")
    if not out.parent.is_dir():
        raise click.ClickException(f"目录 {out.parent} 不存在 / the folder {out.parent} does not exist")
    for name in archive.remove_stale_partials(out):
        _echo(f"已删除中断的备份残留 / removed what an interrupted backup left: {name}")
    try:
        manifest, size = _take(cfg, out)
    except (db_side.DatabaseRefused, archive.BackupRefused) as err:
        raise _refusal(err) from None
    except OSError as err:
        raise click.ClickException(f"备份失败，未写出文件 / the backup failed and wrote no file: "
                                   f"{err}") from None
    _say_keys(cfg)
    tables = manifest["database"]["tables"]
    click.echo(f"备份完成 / backup written: {out} ({_mb(size)}; {len(tables)} tables, "
               f"{sum(tables.values())} rows, {_files_said(manifest['parts'])}; schema "
               f"{manifest['schema_revision']}) in {time.monotonic() - started:.1f} s")


def _take(cfg: dict, out: Path) -> tuple[dict, int]:
    """Dump the database, then copy the files (a key the snapshot names has its file by then),
    then write the backup file; return its manifest and size."""
    instance_dir, signing_dir = Path(cfg["INSTANCE_DIR"]), _signing_dir(cfg)
    with archive.staging(out) as folder, _target(cfg) as (target, source):
        _echo(f"正在备份数据库 / dumping the database ({target.label}) …")
        facts = db_side.dump(target, folder / archive.DUMP)
        parts = [archive.file_part(folder / archive.DUMP, archive.DUMP)]
        for root, prefix, skip in ((instance_dir, archive.INSTANCE, (out, folder, signing_dir)),
                                   (signing_dir, archive.SIGNING, (out, folder))):
            files, passed = archive.files_in(root, skip=skip)
            parts += archive.stage_files(root, files, folder, prefix)
            for name in passed:
                _echo(f"未备份（不是普通文件）/ not backed up (not a regular file): {root / name}")
        manifest = _manifest(cfg, facts, parts, source)
        return manifest, archive.write_backup(out, folder, manifest)


def _files_said(parts: list[dict]) -> str:
    count = {prefix: sum(p["name"].startswith(f"{prefix}/") for p in parts)
             for prefix in (archive.INSTANCE, archive.SIGNING)}
    return f"{count[archive.INSTANCE]} instance files, {count[archive.SIGNING]} signing key files"


def _signing_dir(cfg: dict) -> Path:
    """Return the signing key folder: SIGNING_KEY_DIR, else <instance>/signing."""
    return Path(cfg.get("SIGNING_KEY_DIR") or Path(cfg["INSTANCE_DIR"]) / archive.SIGNING).resolve()


def _manifest(cfg: dict, facts: dict, parts: list[dict], source: str) -> dict:
    now = datetime.now(UTC)
    return {
        "format": archive.FORMAT, "format_version": archive.FORMAT_VERSION,
        "created": now.isoformat(timespec="seconds"), "created_unix": int(now.timestamp()),
        "app_version": metadata.version("landrights"),
        "schema_revision": facts["schema_revision"],
        "database": {"source": source, **{k: v for k, v in facts.items() if k != "schema_revision"}},
        "certificate_key": {"fingerprint": archive.key_fingerprint(cfg["CERTIFICATE_KEY"]),
                            "from": "environment" if os.environ.get("CERTIFICATE_KEY") else "instance"},
        "parts": parts,
    }


def _say_keys(cfg: dict) -> None:
    _echo(SECRETS_NOTE)
    for name in ("CERTIFICATE_KEY", "SECRET_KEY"):
        if os.environ.get(name):
            _echo(f"{name} 来自环境变量，不在备份中，请与备份一同保管 / {name} is set in the environment, "
                  "so it is not in this backup: keep it with the backups"
                  + ("; without it the QR codes printed so far do not verify after a restore"
                     if name == "CERTIFICATE_KEY" else ""))


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


@click.command("restore")
@click.argument("backup_file", metavar="IN", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace a database that already holds data")
def restore(backup_file: Path, force: bool) -> None:
    """Restore a backup made by `backup` into an empty instance (its database and files); check
    every part first."""
    started = time.monotonic()
    # development keys the settings make on first use are this command's own, not the instance's
    existed = {p for p in settings.instance_dir().glob("*_key") if p.is_file()}
    cfg = settings.load({"SIGNING_KEY_SETUP": True})  # production: the keys come with the backup
    instance_dir = Path(cfg["INSTANCE_DIR"])
    made_now = {p for p in instance_dir.glob("*_key") if p.is_file()} - existed
    # the parts are unpacked in the instance's private tmp folder (its disk, not a small /tmp);
    # what a killed restore leaves there is removed when the app next starts
    workdir = Path(tempfile.mkdtemp(prefix=f"restore-{os.getpid()}-", dir=scratch_root(instance_dir)))
    try:
        _echo(f"正在核对备份 / checking every part of {backup_file} against its manifest …")
        unpacked = archive.unpack_checked(backup_file.resolve(), workdir / "parts")
        manifest = unpacked.manifest
        _check_revision(manifest.get("schema_revision"))
        with _target(cfg) as (target, _source):
            db_side.check_ready(target, force=force)
            _echo(f"正在恢复数据库 / restoring the database ({target.label}) in one transaction …")
            db_side.restore(target, unpacked.dump, workdir, force=force,
                            extension_rows=manifest["database"].get("extension_rows", {}))
            _check_counts(manifest["database"]["tables"], db_side.counts_after_restore(target))
            aside = _install_files(unpacked, archive.INSTANCE, instance_dir, made_now)
            aside = _install_files(unpacked, archive.SIGNING, _signing_dir(cfg), made_now) or aside
            upgraded = _upgrade_if_behind(cfg, manifest.get("schema_revision"))
    except (db_side.DatabaseRefused, archive.BackupRefused) as err:
        raise _refusal(err) from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if aside:
        _echo(f"原有的不同文件已移到 / the files there before that differ were moved to {aside}")
    if upgraded:
        _echo(f"数据库结构已升级 / schema upgraded: {upgraded}")
    _say_key_match(manifest)
    tables = manifest["database"]["tables"]
    click.echo(f"恢复完成 / restored: {backup_file} (made {manifest['created']}): {len(tables)} tables, "
               f"{sum(tables.values())} rows, {_files_said(manifest['parts'])}, every "
               f"count as in the manifest, in {time.monotonic() - started:.1f} s")


def _check_revision(revision: str | None) -> None:
    """Refuse a backup whose schema this code does not know (made by a newer landrights)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from landrights.migrate import alembic_config

    if revision is None:
        return
    try:
        known = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise click.ClickException(
            f"备份的数据库结构版本 {revision} 比本程序新 / the backup's schema revision {revision} "
            "is unknown to this landrights (a newer version made it): install that version or a "
            "newer one, then restore; nothing was changed")


def _check_counts(expected: dict[str, int], found: dict[str, int]) -> None:
    differ = [f"{t}: {expected.get(t)} -> {found.get(t)}" for t in sorted(set(expected) | set(found))
              if expected.get(t) != found.get(t)]
    if differ:
        raise click.ClickException("恢复后的行数与清单不符 / the restored row counts differ from the "
                                   f"manifest: {'; '.join(differ[:5])}")


def _install_files(unpacked: archive.Unpacked, prefix: str, folder: Path, made_now: set[Path]) -> Path | None:
    """Put the backup's files under prefix into folder (each written aside, then renamed); move any
    existing file with other content (except keys this command just made) to
    before-restore-<time>/ in that folder first, so nothing is lost. Return that folder, if used."""
    aside = folder / f"before-restore-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    moved = False
    for part in unpacked.parts_under(prefix):
        rel = Path(part["name"]).relative_to(prefix)
        target, source = folder / rel, unpacked.folder / part["name"]
        if target.is_file() and target.read_bytes() == source.read_bytes():
            continue
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if (target.exists() or target.is_symlink()) and target not in made_now:
            (aside / rel).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.replace(target, aside / rel)
            moved = True
        fresh = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(source, fresh)
        fresh.chmod(int(part.get("mode", "0600"), 8))
        os.replace(fresh, target)
    return aside if moved else None


def _upgrade_if_behind(cfg: dict, revision: str | None) -> str | None:
    """Migrate a backup of an older schema to this code's head; say from what to what."""
    import sqlalchemy as sa

    from landrights import database_url, migrate

    engine = sa.create_engine(database_url(cfg))
    try:
        if migrate.current(engine) == _head():
            return None
        migrate.upgrade(engine)
        return f"{revision} -> {migrate.current(engine)}"
    finally:
        engine.dispose()


def _head() -> str:
    from alembic.script import ScriptDirectory

    from landrights.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _say_key_match(manifest: dict) -> None:
    """Warn when the certificate key in force is not the one the backup's certificates were signed with."""
    fingerprint = manifest.get("certificate_key", {}).get("fingerprint")
    try:
        key = settings.load()["CERTIFICATE_KEY"]
    except settings.ConfigError:
        return
    if fingerprint and archive.key_fingerprint(key) != fingerprint:
        _echo("警告：当前的 CERTIFICATE_KEY 与备份时不同，已打印的二维码将无法核验 / warning: the "
              "CERTIFICATE_KEY in force is not the one in use when the backup was made: QR codes "
              "printed before will read 'not verified' until you set the old key again")
