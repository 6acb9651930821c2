"""The embedded PostgreSQL cluster: create, start, stop and recover a private PostGIS server.

With no DATABASE_URL the app keeps its own cluster under the instance folder and talks to it over a
Unix socket only (no TCP port). PostgreSQL refuses to run as root, so as root every server binary
runs as the Debian package's `postgres` account, and the cluster moves to
/var/lib/landrights/<key>/ when that account cannot reach the instance folder (say, under /root).
"""
from __future__ import annotations

import hashlib
import os
import pwd
import shlex
import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.pq import PGconn, Ping

APT_HINT = "apt-get install postgresql-15 postgresql-15-postgis-3"
PG_USER = "postgres"  # the Debian package's account, and the cluster's superuser
PORT = 5432
FALLBACK_BASE = Path("/var/lib/landrights")
SOCKET_NAME = f".s.PGSQL.{PORT}"
SOCKET_LIMIT = 100  # sun_path holds 107 bytes; keep a margin
TIMEOUT = 60  # seconds pg_ctl waits for start/stop


class PostgresError(RuntimeError):
    """The embedded cluster could not be created, started or stopped; the message says why."""


def find_bindir() -> Path:
    """Return the folder holding initdb, pg_ctl and postgres (PostgreSQL 15 or newer)."""
    if os.environ.get("PG_BINDIR"):
        bindir = Path(os.environ["PG_BINDIR"])
        if not (bindir / "initdb").exists():
            raise PostgresError(f"PG_BINDIR={bindir} holds no initdb")
        return bindir
    found = [(int(p.parent.parent.name), p.parent) for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")
             if p.parent.parent.name.isdigit() and int(p.parent.parent.name) >= 15]
    if found:
        return max(found)[1]
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        bindir = Path(out.stdout.strip())
        if out.returncode == 0 and (bindir / "initdb").exists():
            return bindir
    raise PostgresError("未找到 PostgreSQL ≥ 15 / PostgreSQL 15 or newer not found (no initdb in "
                        f"/usr/lib/postgresql/*/bin nor from pg_config); install it: {APT_HINT} "
                        "(or set PG_BINDIR)")


def _as_root() -> bool:
    """Tell whether we run as root (and so must run the server as postgres)."""
    return os.geteuid() == 0


def _pg_account() -> pwd.struct_passwd:
    """Return the postgres account, or say how to get it."""
    try:
        return pwd.getpwnam(PG_USER)
    except KeyError:
        raise PostgresError(f"running as root, but there is no '{PG_USER}' account to run PostgreSQL as "
                            f"(it refuses to run as root); install the Debian package: {APT_HINT}") from None


def _reachable_by_postgres(path: Path) -> bool:
    """Tell whether the postgres account can search the nearest existing folder of PATH."""
    try:
        _pg_account()
    except PostgresError:
        return True  # nothing to test with; the first server command reports the missing account
    while not path.exists():
        path = path.parent
    # access(2) as that user fails if any folder on the way is not searchable, so one test suffices;
    # folders below it are created by root (0755) and handed over, so no -w is needed
    return subprocess.run(["runuser", "-u", PG_USER, "--", "test", "-x", str(path)], cwd="/",
                          capture_output=True).returncode == 0


def _mkdir(path: Path, mode: int) -> bool:
    """Create PATH and missing parents (parents 0755 so postgres can pass); return True if created."""
    if path.is_dir():
        return False
    _mkdir(path.parent, 0o755)
    path.mkdir(mode=mode)
    path.chmod(mode)  # mkdir's mode is cut by the umask
    return True


class EmbeddedPostgres:
    """A private PostgreSQL cluster for one instance folder, reached over a Unix socket."""

    def __init__(self, instance_dir: str | Path, *, log=print, fast_unsafe: bool = False):
        self.instance_dir = Path(instance_dir).resolve()
        self.log = log
        self.fast_unsafe = fast_unsafe
        self.key = hashlib.sha256(str(self.instance_dir).encode()).hexdigest()[:12]
        self.root = self.instance_dir / "pgdata"
        self._notes: list[str] = []  # where the cluster went and why, said once on init/start
        if _as_root() and not _reachable_by_postgres(self.root):
            fallback = FALLBACK_BASE / self.key
            self._notes.append(f"实例目录 {self.instance_dir} postgres 用户无法访问，数据库集群放在 "
                               f"{fallback} / instance dir {self.instance_dir} not reachable by user "
                               f"postgres; cluster kept in {fallback}")
            self.root = fallback
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "run"
        self.log_file = self.root / "postgres.log"
        if len(os.fsencode(self.socket_dir / SOCKET_NAME)) > SOCKET_LIMIT:
            short = Path(f"/tmp/landrights-{self.key}")
            self._notes.append(f"套接字路径过长，改用 {short} / socket path under {self.socket_dir} too long "
                               f"for a Unix socket; using {short}")
            self.socket_dir = short
        self._bindir: Path | None = None

    @property
    def bindir(self) -> Path:
        """Return the PostgreSQL binaries' folder, found on first use (url() needs none)."""
        if self._bindir is None:
            self._bindir = find_bindir()
        return self._bindir

    def _run(self, name: str, *args: str) -> subprocess.CompletedProcess:
        """Run a PostgreSQL binary, as postgres when we are root (PostgreSQL refuses root)."""
        cmd = [str(self.bindir / name), *args]
        if _as_root():
            _pg_account()
            cmd = ["runuser", "-u", PG_USER, "--", *cmd]
        # cwd "/" because postgres may not be allowed into ours; pg_ctl sends the server's output to -l
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd="/", timeout=TIMEOUT + 30)
        except subprocess.TimeoutExpired:
            raise self._error(f"{name} did not finish in {TIMEOUT + 30} s") from None

    def _error(self, what: str, output: str = "") -> PostgresError:
        """Build a PostgresError saying what failed, with command output and the log's last lines."""
        msg = f"{what} (data {self.data_dir}; log {self.log_file})"
        if output.strip():
            msg += "\n" + output.strip()
        try:
            tail = self.log_file.read_text(errors="replace").splitlines()[-20:]
        except OSError:
            tail = []
        if tail:
            msg += f"\n--- last lines of {self.log_file} ---\n" + "\n".join(tail)
        return PostgresError(msg)

    def _hand_over(self, path: Path) -> None:
        """Give PATH to the postgres account when we are root, so the server may use it."""
        if _as_root():
            account = _pg_account()
            os.chown(path, account.pw_uid, account.pw_gid)

    def _announce(self) -> None:
        """Say once where the cluster or its socket went instead, and why."""
        for note in self._notes:
            self.log(note)
        self._notes = []

    def exists(self) -> bool:
        """Tell whether initdb has made a cluster here."""
        return (self.data_dir / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster (initdb) unless it exists."""
        self._announce()
        if self.exists():
            return
        if _as_root():
            _pg_account()  # fail before making folders nobody can use
        for folder in (self.root, self.data_dir):
            _mkdir(folder, 0o700)
            self._hand_over(folder)
        self.log(f"正在创建数据库集群 {self.data_dir} / creating database cluster in {self.data_dir}")
        args = ["-D", str(self.data_dir), "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
        if self.fast_unsafe:
            args.append("--no-sync")
        proc = self._run("initdb", *args)
        with self.log_file.open("a") as f:  # keep initdb's report next to the server's
            f.write(proc.stdout + proc.stderr)
        self._hand_over(self.log_file)  # pg_ctl -l appends to it as postgres
        if proc.returncode:
            raise self._error("initdb failed")

    def _ensure_socket_dir(self) -> None:
        """Create the socket folder (0700, ours); refuse a /tmp one someone else planted."""
        if _mkdir(self.socket_dir, 0o700):
            self._hand_over(self.socket_dir)
        st = os.lstat(self.socket_dir)
        owner = _pg_account().pw_uid if _as_root() else os.geteuid()
        if st.st_uid != owner or self.socket_dir.is_symlink():
            raise PostgresError(f"socket folder {self.socket_dir} is not owned by uid {owner}; remove it")

    def _pid_in_lock(self) -> int | None:
        """Return the PID named by postmaster.pid (0 if unreadable garbage), or None without one."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0].strip()
        except FileNotFoundError:
            return None
        return int(first) if first.isdigit() else 0

    def _is_our_postmaster(self, pid: int) -> bool:
        """Tell whether PID is a live postgres serving this data dir, not a PID reused after a crash."""
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if pid > 0 else [b""]
        except OSError:
            return False  # gone
        if Path(os.fsdecode(argv[0])).name not in ("postgres", "postmaster"):
            return False  # another program, a zombie (empty cmdline) or a server's child process
        try:  # the postmaster enters its data dir before it writes postmaster.pid
            return os.readlink(f"/proc/{pid}/cwd") == os.path.realpath(self.data_dir)
        except OSError:  # another user's process: fall back to its -D argument
            return os.fsencode(self.data_dir) in argv

    def _live_pid(self) -> int | None:
        """Return the PID of this data dir's live postmaster, or None."""
        pid = self._pid_in_lock()
        return pid if pid and self._is_our_postmaster(pid) else None

    def _ping(self) -> Ping:
        """Ask the server on our socket whether it accepts connections."""
        return Ping(PGconn.ping(make_conninfo(self.conninfo(), connect_timeout=5).encode()))

    def is_running(self) -> bool:
        """Tell whether this data dir's postmaster is alive and accepting connections on our socket."""
        return self._live_pid() is not None and self._ping() == Ping.OK

    def _wait_if_alive(self) -> bool:
        """Wait while our postmaster starts up or shuts down; return True once it accepts connections."""
        deadline = time.monotonic() + TIMEOUT
        while (pid := self._live_pid()) is not None:
            if self._ping() == Ping.OK:
                return True
            if time.monotonic() > deadline:
                raise self._error(f"PostgreSQL (PID {pid}) runs but does not accept connections "
                                  f"on {self.socket_dir} after {TIMEOUT} s")
            time.sleep(0.1)
        return False

    def _clear_stale_lock(self) -> None:
        """Remove postmaster.pid and socket locks left by a server that died without cleaning up."""
        pid = self._pid_in_lock()
        if pid is None or self._is_our_postmaster(pid):
            return  # no lock, or a server another process has just started
        # the server itself only checks that the PID is alive, so a PID reused after a crash or
        # reboot would block it forever; we checked it is not our postmaster
        for path in (self.data_dir / "postmaster.pid", self.socket_dir / SOCKET_NAME,
                     self.socket_dir / f"{SOCKET_NAME}.lock"):
            path.unlink(missing_ok=True)
        self.log(f"已删除上次崩溃遗留的过期锁（PID {pid} 不是本集群的 postgres）/ removed a stale lock "
                 f"from an earlier crash: {self.data_dir / 'postmaster.pid'} named PID {pid}, which is "
                 "not this cluster's postgres")

    def _server_options(self) -> str:
        """Return the postgres command-line options for pg_ctl -o."""
        settings = {
            "listen_addresses": "",  # Unix socket only: nothing on the network
            "unix_socket_permissions": "0700",
            "max_connections": "100",
            "shared_buffers": "128MB",
            "work_mem": "8MB",
            "jit": "off",  # compiling costs more than it saves on short registry queries
        }
        if self.fast_unsafe:  # throwaway test clusters: a crash may lose data, which is fine there
            settings.update(fsync="off", full_page_writes="off", synchronous_commit="off")
        # -p overrides a PGPORT in the environment, which the server would otherwise obey
        parts = ["-p", str(PORT), "-k", str(self.socket_dir)]
        for name, value in settings.items():
            parts += ["-c", f"{name}={value}"]
        return " ".join(shlex.quote(p) for p in parts)  # pg_ctl hands -o to a shell

    def start(self) -> bool:
        """Start the cluster (creating it first if needed); return True if this call started it."""
        self.init()
        if self._wait_if_alive():
            return False
        self._clear_stale_lock()
        self._ensure_socket_dir()
        self.log(f"正在启动 PostgreSQL / starting PostgreSQL ({self.data_dir})")
        proc = self._run("pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_file),
                         "-w", "-t", str(TIMEOUT), "-s", "-o", self._server_options())
        if proc.returncode:
            if self._wait_if_alive():
                return False  # another process started it at the same moment
            raise self._error("PostgreSQL 启动失败 / PostgreSQL failed to start", proc.stdout + proc.stderr)
        return True

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster (pg_ctl stop -m MODE) and wait; do nothing if it is not running."""
        if self._live_pid() is None:
            return
        proc = self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", mode, "-w",
                         "-t", str(TIMEOUT), "-s")
        if proc.returncode and self._live_pid() is not None:
            raise self._error("PostgreSQL 停止失败 / PostgreSQL failed to stop", proc.stdout + proc.stderr)

    def url(self, dbname: str = "landrights") -> str:
        """Return the SQLAlchemy URL of DBNAME on this cluster's socket."""
        return f"postgresql+psycopg://{PG_USER}@/{dbname}?host={quote(str(self.socket_dir), safe='/')}"

    def conninfo(self, dbname: str = "postgres") -> str:
        """Return the libpq conninfo of DBNAME on this cluster's socket, for psycopg.connect."""
        return make_conninfo(host=str(self.socket_dir), port=PORT, user=PG_USER, dbname=dbname)

    def _connect(self, dbname: str = "postgres") -> psycopg.Connection:
        """Open an autocommit connection to DBNAME, or say the cluster is not reachable."""
        try:
            return psycopg.connect(self.conninfo(dbname), autocommit=True)
        except psycopg.OperationalError as exc:
            raise PostgresError(f"cannot connect to {dbname} on {self.socket_dir} (is the cluster "
                                f"started?): {exc}") from exc

    def ensure_database(self, dbname: str = "landrights", template: str | None = None) -> bool:
        """Create DBNAME if missing and the postgis, btree_gist and pg_trgm extensions in it; True if
        created."""
        created = False
        with self._connect() as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
                stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname))
                if template:
                    stmt += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
                try:
                    conn.execute(stmt)
                    created = True
                except psycopg.errors.DuplicateDatabase:
                    pass  # another process created it meanwhile
        with self._connect(dbname) as conn:
            for ext in ("postgis", "btree_gist", "pg_trgm"):
                try:
                    conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(ext)))
                except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateObject):
                    pass  # IF NOT EXISTS still races with a concurrent creator
        return created

    def other_clients(self) -> int:
        """Count client connections other than the one asking."""
        with self._connect() as conn:
            return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                                " AND pid <> pg_backend_pid()").fetchone()[0]

    def stop_if_idle(self) -> bool:
        """Stop the cluster unless someone else is connected; return True if stopped."""
        if not self.is_running() or self.other_clients():
            return False
        self.stop()
        return True

    @contextmanager
    def running(self):
        """Run the block with the cluster up; stop it after only if we started it and it is idle."""
        started = self.start()
        try:
            yield self
        finally:
            if started and self.is_running() and not self.stop_if_idle():
                self.log("PostgreSQL 仍有其他连接，保持运行 / "
                         "PostgreSQL left running: other clients are connected")
