"""Start and stop a Chroma server on loopback (`chroma run`), for the server-mode test and bench."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def chroma_executable() -> str:
    """The `chroma` CLI next to this interpreter (the venv's), else the one on PATH."""
    local = Path(sys.executable).parent / "chroma"
    if local.exists():
        return str(local)
    found = shutil.which("chroma")
    if not found:
        raise FileNotFoundError("the `chroma` command is not installed (pip install chromadb)")
    return found


def heartbeat_ok(url: str, timeout_s: float = 1.0) -> bool:
    """True when the server at url answers its heartbeat (API v2, then v1)."""
    for path in ("/api/v2/heartbeat", "/api/v1/heartbeat"):
        try:
            with urllib.request.urlopen(url.rstrip("/") + path, timeout=timeout_s) as resp:
                if resp.status == 200:
                    return True
        except (urllib.error.URLError, OSError, ValueError):
            continue
    return False


class ChromaServer:
    """`chroma run --path DIR --host 127.0.0.1 --port N` as a context manager: started, waited for, stopped.

    Usage: `with ChromaServer(tmp_path / "chroma") as srv: settings.replace(vectorstore_url=srv.url)`.
    """

    def __init__(
        self,
        path: Path,
        host: str = "127.0.0.1",
        port: int | None = None,
        start_timeout_s: float = 60.0,
        log_file: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.host = host
        self.port = port or free_port(host)
        self.start_timeout_s = start_timeout_s
        self.log_file = log_file or (self.path.parent / f"chroma-{self.port}.log")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ChromaServer:
        """Launch the server and block until its heartbeat answers (or raise, with its log tail)."""
        self.path.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, ANONYMIZED_TELEMETRY="False")
        cmd = [
            chroma_executable(),
            "run",
            "--path",
            str(self.path),
            "--host",
            self.host,
            "--port",
            str(self.port),
        ]
        log.info("starting %s", " ".join(cmd))
        with open(self.log_file, "wb") as out:
            self.proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma server exited with {self.proc.returncode}: {self._tail()}")
            if heartbeat_ok(self.url):
                return self
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(
            f"chroma server did not answer within {self.start_timeout_s:.0f} s: {self._tail()}"
        )

    def stop(self, timeout_s: float = 10.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL) and reap it."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout_s)

    def _tail(self, n: int = 2000) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")[-n:]
        except OSError:
            return ""

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
