"""Harness for the reliability suite: measured subprocesses, kill points, a network guard, raw store reads.

Everything here is test infrastructure (no project logic): it runs `python -m ingest` the way a user
would, measures it (wall time, peak RSS through wait4), kills it, and reads Chroma's sqlite file
directly so the store API's answers can be cross-checked against the raw records.
"""

from __future__ import annotations

import errno
import hashlib
import ipaddress
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def offline_env(corpus: Path, store: Path, **extra: str) -> dict[str, str]:
    """Environment for a child `python -m ...`: hashing embedder, fake LLM, offline, our corpus/store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CQA__")}
    env.update(
        {
            "CORPUS_DIR": str(corpus),
            "STORE_DIR": str(store),
            "CQA__EMBEDDING__KIND": "hashing",
            "CQA__LLM__PROVIDER": "fake",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.pop("CQA_SETTINGS", None)
    env.update(extra)
    return env


@dataclass
class RunResult:
    """What one child run did: exit status, output, wall time and peak resident memory."""

    cmd: list[str]
    rc: int
    stdout: str
    stderr: str
    wall_s: float
    peak_rss_mb: float
    killed: bool = False
    timed_out: bool = False
    lines_seen: int = 0

    @property
    def output(self) -> str:
        return self.stdout + "\n" + self.stderr


def _drain(stream: Any, sink: list[str], seen: threading.Event | None = None) -> None:
    for raw in iter(stream.readline, b""):
        sink.append(raw.decode("utf-8", "replace"))
        if seen is not None:
            seen.set()
    stream.close()


def run_child(
    args: list[str],
    env: Mapping[str, str],
    timeout: float = 120.0,
    kill_when: Callable[[float, list[str]], bool] | None = None,
    cwd: Path = PROJECT_ROOT,
    stdin: Any = subprocess.DEVNULL,
) -> RunResult:
    """Run `args`, return its result with peak RSS (wait4). `kill_when(elapsed_s, stderr_lines)` is
    polled every few ms; when it returns True the child gets SIGKILL (the crash under test)."""
    t0 = time.monotonic()
    p = subprocess.Popen(
        args, env=dict(env), cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=stdin
    )
    out: list[str] = []
    err: list[str] = []
    ticks = threading.Event()
    threads = [
        threading.Thread(target=_drain, args=(p.stdout, out, ticks), daemon=True),
        threading.Thread(target=_drain, args=(p.stderr, err, ticks), daemon=True),
    ]
    for t in threads:
        t.start()
    killed = timed_out = False
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        elapsed = time.monotonic() - t0
        if kill_when is not None and not killed and kill_when(elapsed, err):
            os.kill(p.pid, signal.SIGKILL)
            killed = True
        elif elapsed > timeout and not killed:
            os.kill(p.pid, signal.SIGKILL)
            killed = timed_out = True
        ticks.wait(0.002)
        ticks.clear()
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    for t in threads:
        t.join(timeout=5)
    return RunResult(
        cmd=list(args),
        rc=p.returncode,
        stdout="".join(out),
        stderr="".join(err),
        wall_s=wall,
        peak_rss_mb=usage.ru_maxrss / 1024.0,
        killed=killed,
        timed_out=timed_out,
        lines_seen=len(out) + len(err),
    )


def run_module(
    module: str,
    *args: str,
    env: Mapping[str, str],
    timeout: float = 120.0,
    kill_when: Callable[[float, list[str]], bool] | None = None,
) -> RunResult:
    """`python -m module args...` from the project root (the way the Makefile and users run it)."""
    return run_child([PYTHON, "-m", module, *args], env, timeout=timeout, kill_when=kill_when)


# ---------------------------------------------------------------------------------------------- raw store
@dataclass
class RawRecord:
    """One record as Chroma's sqlite holds it: id, its Chroma document, its metadata."""

    id: str
    document: str | None
    meta: dict[str, Any] = field(default_factory=dict)


def raw_records(store_dir: Path, collection: str) -> list[RawRecord]:
    """Every record of `collection` read straight from chroma.sqlite3 (read-only, no Chroma code)."""
    db = store_dir / "chroma" / "chroma.sqlite3"
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute(
            "SELECT e.id, e.embedding_id, m.key, m.string_value, m.int_value, m.float_value, m.bool_value "
            "FROM embeddings e JOIN segments s ON e.segment_id = s.id "
            "JOIN collections c ON s.collection = c.id "
            "LEFT JOIN embedding_metadata m ON m.id = e.id WHERE c.name = ?",
            (collection,),
        ).fetchall()
    finally:
        con.close()
    by_pk: dict[int, RawRecord] = {}
    for pk, eid, key, s, i, f, b in rows:
        rec = by_pk.setdefault(pk, RawRecord(id=eid, document=None))
        if key is None:
            continue
        value = s if s is not None else i if i is not None else f if f is not None else b
        if key == "chroma:document":
            rec.document = value
        else:
            rec.meta[key] = value
    return list(by_pk.values())


def fresh_chroma() -> None:
    """Forget Chroma's in-process client cache so the next client re-reads what a child wrote."""
    try:
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # noqa: BLE001 - older/newer chromadb: nothing cached to clear
        pass


# ---------------------------------------------------------------------------------------------- network
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _is_loopback(host: Any) -> bool:
    if host is None:
        return True
    h = host.decode() if isinstance(host, bytes) else str(host)
    if h.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(h.split("%")[0]).is_loopback
    except ValueError:
        return False


@dataclass
class NetworkGuard:
    """Records (and refuses) every attempt to reach a non-loopback address from this process."""

    attempts: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        self.attempts.append(what)


@contextmanager
def block_network() -> Iterator[NetworkGuard]:
    """Patch socket connect/getaddrinfo so any non-loopback destination raises (and is recorded)."""
    guard = NetworkGuard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo
    real_gethostbyname = socket.gethostbyname

    def _check(sock: socket.socket, address: Any) -> None:
        if sock.family == socket.AF_UNIX:
            return
        host = address[0] if isinstance(address, tuple) else address
        if not _is_loopback(host):
            guard.note(f"connect {address!r}")
            raise OSError(errno.ENETUNREACH, f"network blocked by test: {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        _check(self, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            guard.note(f"getaddrinfo {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, f"name resolution blocked by test: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def gethostbyname(host: str) -> str:
        if not _is_loopback(host):
            guard.note(f"gethostbyname {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, f"name resolution blocked by test: {host!r}")
        return real_gethostbyname(host)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    socket.gethostbyname = gethostbyname  # type: ignore[assignment]
    try:
        yield guard
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo  # type: ignore[assignment]
        socket.gethostbyname = real_gethostbyname  # type: ignore[assignment]


def free_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def can_unshare_net() -> bool:
    """True when `unshare -n` works here (root in a namespace-capable container)."""
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
