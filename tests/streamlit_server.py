"""`streamlit run app.py` on a free loopback port for browser tests, the Chromium they drive, the offline
environment they serve the page with, and a wait for the page's script run to finish."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROME_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]


def artifacts_dir(tmp_path_factory: Any) -> Path:
    """Where a browser test writes its screenshots and server log: $BROWSER_ARTIFACTS, else a tmp dir."""
    out = Path(os.environ.get("BROWSER_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    out.mkdir(parents=True, exist_ok=True)
    return out


def offline_env(corpus: Path, store: Path) -> dict[str, str]:
    """This process's environment (less any CQA setting) for a page over `corpus` and an ingested `store`,
    offline: hashing embedder, fake LLM, no review-grid build on open."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CQA")}
    env.update(
        {
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "CORPUS_DIR": str(corpus),
            "STORE_DIR": str(store),
            "CQA__EMBEDDING__KIND": "hashing",
            "CQA__LLM__PROVIDER": "fake",
            "CQA_REVIEW_AUTOBUILD": "off",
        }
    )
    return env


def wait_idle(page: Any, timeout_s: float = 120) -> None:
    """Wait until the script run has finished (no 'running' indicator for two checks a second apart):
    the indicator shows up a moment after a run starts, and a run's old elements linger until it ends."""
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        quiet = quiet + 1 if page.get_by_test_id("stStatusWidgetRunningIcon").count() == 0 else 0


def free_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    """Poll Streamlit's health endpoint until it answers "ok" (raise if the process dies or time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} not healthy after {timeout}s:\n{log.read_text()[-3000:]}")


@contextmanager
def streamlit_app(env: dict[str, str], log: Path, script: str = "app.py") -> Iterator[str]:
    """Run the page with `env` (output to `log`) until the block ends; yields its URL. `script` (relative to
    the project root) is app.py, or a wrapper around it such as tests/slow_page.py."""
    port = free_port()
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                script,
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
