"""What the benchmarks share: a free loopback port, waiting for a server, discarding a cluster."""
from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, what: str = "gunicorn", tries: int = 600) -> None:
    """Wait until something listens on 127.0.0.1:port (0.1 s between tries), else stop."""
    for _ in range(tries):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start")


def discard_cluster(cluster, base: Path) -> None:
    """Stop a throwaway cluster and remove it with its base folder; as root its data may live in
    the fallback folder outside base (landrights.pg), which goes too."""
    if cluster.is_running():
        cluster.stop(mode="immediate")
    if Path(base).resolve() not in Path(cluster.root).resolve().parents:
        shutil.rmtree(cluster.root, ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)


def status_kib(field: str, pid: int | str = "self") -> int:
    """Return a memory field of a process's /proc status (VmRSS, VmHWM, ...) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def peak_rss_kib() -> int:
    """Return this process's own peak resident memory (VmHWM) in KiB.

    Not getrusage's ru_maxrss: the kernel keeps that across execve, so a child spawned by
    multiprocessing (fork, then exec) reports at least the RSS its parent had at the fork: the
    million-parcel benchmark's import processes showed 786 MiB, its parent's size with the county
    in memory, while they never grew past 190 MiB. VmHWM belongs to the address space, which exec
    replaces."""
    return status_kib("VmHWM")
