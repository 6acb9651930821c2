"""The database side of a backup: a snapshot with its row counts and pg_dump, and a restore that
loads the dump through psql in one transaction (all of it, or nothing).

Works the same on the embedded cluster (Unix socket, user postgres) and on DATABASE_URL (the
password goes to the tools in PGPASSWORD, never on a command line that `ps` shows).
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

from landrights.pg import find_bindir

EXTENSIONS = ("postgis", "btree_gist", "pg_trgm")
# the app's tables: ordinary tables outside the system schemas that no extension owns
USER_TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2"""
# the rows of extension tables that pg_dump keeps (PostGIS: SRIDs a user added to spatial_ref_sys)
EXTENSION_TABLES = """
SELECT n.nspname, c.relname, cfg.cond FROM pg_extension e,
       unnest(e.extconfig, e.extcondition) AS cfg(oid, cond)
JOIN pg_class c ON c.oid = cfg.oid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' ORDER BY 1, 2"""
# the extensions are created by the restore's first statements (or a superuser beforehand):
# their CREATE and COMMENT entries in the dump need the extension's owner
_TOC_EXTENSION = re.compile(r"^\d+; \d+ \d+ (EXTENSION|COMMENT - EXTENSION) ")
_TOC_DATA = re.compile(r"^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) ")


class DatabaseRefused(Exception):
    """The database cannot be backed up or restored as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """A database as the PostgreSQL tools reach it."""

    conninfo: str  # libpq connection string, without the password
    password: str | None
    label: str  # for messages: where it is, never the password

    def env(self) -> dict:
        env = dict(os.environ, PGAPPNAME="landrights-backup", PGCONNECT_TIMEOUT="10")
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def connect(self, **kw) -> psycopg.Connection:
        """Open a connection, or say which database could not be reached."""
        try:
            return psycopg.connect(self.conninfo, password=self.password, **kw)
        except psycopg.OperationalError as err:
            raise DatabaseRefused(f"无法连接数据库 / cannot connect to the database {self.label}: "
                                  f"{str(err).strip()}") from None


def target_of(sqlalchemy_url: str) -> Target:
    """Turn the app's SQLAlchemy URL into a Target for libpq tools."""
    url = make_url(sqlalchemy_url)
    params = {k: (v if isinstance(v, str) else v[-1]) for k, v in url.query.items()}
    params.update({k: v for k, v in (("host", url.host), ("port", url.port), ("user", url.username),
                                     ("dbname", url.database)) if v})
    label = f"{params.get('dbname', '?')} on {params.get('host', 'localhost')}"
    return Target(make_conninfo(**{k: str(v) for k, v in params.items()}), url.password, label)


def _tool(name: str) -> str:
    return str(find_bindir() / name)


def _name(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


def user_tables(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """List the app's tables (schema, name)."""
    return [tuple(row) for row in conn.execute(USER_TABLES)]


def row_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Count the rows of every app table."""
    return {_name(s, t): conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
        sql.Identifier(s, t))).fetchone()[0] for s, t in user_tables(conn)}


def _facts(conn: psycopg.Connection) -> dict:
    """What the manifest says about the database, read inside the dump's snapshot."""
    has_alembic = conn.execute("SELECT to_regclass('public.alembic_version') IS NOT NULL").fetchone()[0]
    revision = conn.execute("SELECT version_num FROM alembic_version").fetchone() if has_alembic else None
    kept = {}
    for schema, table, cond in conn.execute(EXTENSION_TABLES).fetchall():
        query = sql.SQL("SELECT count(*) FROM {} ").format(sql.Identifier(schema, table))
        query += sql.SQL(cond or "")
        kept[f"{schema}.{table}"] = conn.execute(query).fetchone()[0]
    return {
        "schema_revision": revision[0] if revision else None,
        "server_version": conn.execute("SHOW server_version").fetchone()[0],
        "extensions": dict(conn.execute("SELECT extname, extversion FROM pg_extension ORDER BY 1")
                           .fetchall()),
        "tables": row_counts(conn),
        "extension_rows": kept,
    }


def dump(target: Target, into: Path) -> dict:
    """Write the database to INTO with pg_dump (custom format) and return its facts (schema
    revision, row counts…), both from one exported snapshot: the counts are the dump's.

    Raises:
        DatabaseRefused: the database cannot be reached, or pg_dump failed (its message).
    """
    with target.connect() as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        facts = _facts(conn)
        # the snapshot lives while this transaction is open, so pg_dump runs inside it
        proc = subprocess.run([_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}",
                               f"--file={into}", f"--dbname={target.conninfo}"],
                              env=target.env(), capture_output=True, text=True, cwd="/")
        conn.rollback()
    if proc.returncode:
        raise DatabaseRefused(f"pg_dump 失败 / pg_dump failed on {target.label}: {proc.stderr.strip()}")
    return facts


def check_ready(target: Target, *, force: bool) -> None:
    """Make sure the database can take the dump: reachable, with (or able to make) the extensions,
    and empty unless force.

    Raises:
        DatabaseRefused: one sentence saying what is wrong and what to do.
    """
    with target.connect(autocommit=True) as conn:
        tables = user_tables(conn)
        if tables and not force:
            raise NotEmpty(len(tables), target.label)
        have = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
        for ext in (e for e in EXTENSIONS if e not in have):
            try:
                conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(ext)))
            except psycopg.errors.InsufficientPrivilege:
                raise DatabaseRefused(
                    f"数据库缺少扩展 {ext}，当前用户无权创建 / the database {target.label} lacks the {ext} "
                    "extension and this user may not create it: ask a superuser to run CREATE "
                    "EXTENSION postgis; CREATE EXTENSION btree_gist; CREATE EXTENSION pg_trgm; in it, "
                    "then restore again") from None


class NotEmpty(DatabaseRefused):
    """The database already holds the app's tables and --force was not given."""

    def __init__(self, tables: int, label: str):
        super().__init__(f"数据库 {label} 不是空的（已有 {tables} 张表），未做任何更改；确要替换请加 "
                         f"--force / the database {label} is not empty ({tables} tables): nothing "
                         "was changed; add --force to replace it")


def restore(target: Target, dump_file: Path, workdir: Path, *, force: bool, extension_rows: dict) -> None:
    """Load the dump into the database in one transaction: first empty it (force) or check it is
    empty, then every object and row of the dump. On any error nothing is kept.

    Raises:
        DatabaseRefused: psql's error, with the statement that failed.
    """
    listing = workdir / "restore.list"
    listing.write_text(_selected_toc(dump_file, extension_rows))
    prelude = workdir / "prelude.sql"
    prelude.write_text(_prelude(force))
    errors = workdir / "pg_restore.err"
    with errors.open("wb") as err_file:  # a file, not a pipe nobody reads while psql runs
        # pg_restore --single-transaction writes COMMIT only after its last statement: if it
        # stops halfway, psql reaches the end of its input inside the transaction opened by the
        # prelude, and the server rolls it back when psql disconnects (psql -1 would commit)
        restore_sql = subprocess.Popen([_tool("pg_restore"), "--no-owner", "--no-privileges",
                                        "--single-transaction", f"--use-list={listing}", "--file=-",
                                        str(dump_file)],
                                       stdout=subprocess.PIPE, stderr=err_file, cwd="/")
        psql = subprocess.run([_tool("psql"), "-X", "-q", "--no-psqlrc", "-v", "ON_ERROR_STOP=1",
                               f"--dbname={target.conninfo}", f"--file={prelude}", "--file=-"],
                              stdin=restore_sql.stdout, env=target.env(), capture_output=True,
                              text=True, cwd="/")
        restore_sql.stdout.close()
        made = restore_sql.wait()
    problem = errors.read_text(errors="replace").strip()
    if psql.returncode:
        if "landrights: not empty" in psql.stderr:
            with target.connect() as conn:
                raise NotEmpty(len(user_tables(conn)), target.label)
        raise DatabaseRefused(f"恢复数据库失败，数据库保持原样 / restoring the database {target.label} "
                              f"failed and it was left as it was: {_last_lines(psql.stderr)}")
    if made:
        raise DatabaseRefused(f"pg_restore 失败 / pg_restore failed: {_last_lines(problem)}")


def _selected_toc(dump_file: Path, extension_rows: dict) -> str:
    """List the dump's entries to restore: all but the extensions themselves and the rows of
    extension tables that held none of the user's own."""
    proc = subprocess.run([_tool("pg_restore"), "--list", str(dump_file)], capture_output=True,
                          text=True, cwd="/")
    if proc.returncode:
        raise DatabaseRefused(f"pg_restore 无法读取数据库备份 / pg_restore cannot read the dump: "
                              f"{proc.stderr.strip()}")
    kept = []
    for line in proc.stdout.splitlines():
        data = _TOC_DATA.match(line)
        if _TOC_EXTENSION.match(line) or (data and extension_rows.get(".".join(data.groups())) == 0):
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def _prelude(force: bool) -> str:
    """The restore's first statements: the extensions, then empty the database (force) or stop if
    it holds tables (a check inside the transaction, so nobody fills it meanwhile)."""
    # a server still using the database holds locks: stop waiting after a minute, and say so;
    # the dump's own BEGIN then only warns that this transaction is already open
    extensions = "BEGIN;\nSET LOCAL lock_timeout = '60s';\n" + "".join(
        f"CREATE EXTENSION IF NOT EXISTS {e};\n" for e in EXTENSIONS)
    tables = USER_TABLES.replace("ORDER BY 1, 2", "")
    if not force:
        check = f"IF EXISTS ({tables}) THEN RAISE EXCEPTION 'landrights: not empty'; END IF;"
        return f"SET client_min_messages = warning;\n{extensions}DO $$BEGIN {check} END$$;\n"
    return f"SET client_min_messages = warning;\n{extensions}{_EMPTY_IT}"


# --force: drop what the app made (never what an extension owns): other schemas, then views,
# tables, sequences, routines and types of public
_EMPTY_IT = r"""
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT n.nspname FROM pg_namespace n WHERE n.nspname NOT IN ('public', 'information_schema')
           AND n.nspname NOT LIKE 'pg\_%' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE
           d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e') LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
  END LOOP;
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
           AND c.relkind IN ('v', 'm', 'r', 'p', 'S', 'f') AND NOT EXISTS (SELECT 1 FROM pg_depend d
           WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
           ORDER BY CASE c.relkind WHEN 'v' THEN 0 WHEN 'm' THEN 0 WHEN 'S' THEN 2 ELSE 1 END LOOP
    EXECUTE format(CASE r.relkind WHEN 'v' THEN 'DROP VIEW IF EXISTS public.%I CASCADE'
                   WHEN 'm' THEN 'DROP MATERIALIZED VIEW IF EXISTS public.%I CASCADE'
                   WHEN 'S' THEN 'DROP SEQUENCE IF EXISTS public.%I CASCADE'
                   WHEN 'f' THEN 'DROP FOREIGN TABLE IF EXISTS public.%I CASCADE'
                   ELSE 'DROP TABLE IF EXISTS public.%I CASCADE' END, r.relname);
  END LOOP;
  FOR r IN SELECT p.oid FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
           AND d.objid = p.oid AND d.deptype = 'e') LOOP
    IF EXISTS (SELECT 1 FROM pg_proc WHERE oid = r.oid) THEN  -- not gone with an earlier one
      EXECUTE format('DROP ROUTINE %s CASCADE', r.oid::regprocedure);
    END IF;
  END LOOP;
  FOR r IN SELECT t.typname FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace
           AND t.typtype IN ('e', 'd', 'r', 'm') AND NOT EXISTS (SELECT 1 FROM pg_depend d
           WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e') LOOP
    EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', r.typname);
  END LOOP;
END$$;
"""


def _last_lines(text: str, n: int = 6) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-n:]) or "(no message)"


def counts_after_restore(target: Target) -> dict[str, int]:
    """Count the rows of every app table of the restored database."""
    with target.connect() as conn:
        return row_counts(conn)
