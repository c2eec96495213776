"""Fixtures of the reliability suite: the figures it reports (kills survived, examples fuzzed, injection
cases tried), the hostile corpus, and offline settings over temporary folders."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from assistant_fakes import offline_settings

from core.settings import Settings

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
HOSTILE_CORPUS = HOSTILE / "corpus"


class Figures:
    """Counters the suite reports; written as JSON at the end of the session (RELIABILITY_FIGURES)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.data: dict[str, float] = {}

    def add(self, key: str, n: float = 1) -> None:
        with self._lock:
            self.data[key] = self.data.get(key, 0) + n

    def peak(self, key: str, value: float) -> None:
        with self._lock:
            self.data[key] = max(self.data.get(key, value), value)


_FIGURES = Figures()


@pytest.fixture(scope="session")
def figures() -> Figures:
    return _FIGURES


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _FIGURES.data:
        return
    path = Path(os.environ.get("RELIABILITY_FIGURES", "/tmp/cqa-reliability-figures.json"))
    old: dict[str, float] = {}
    if os.environ.get("RELIABILITY_FIGURES_APPEND") and path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
    for k, v in _FIGURES.data.items():
        old[k] = max(old.get(k, v), v) if k.startswith("peak_") else old.get(k, 0) + v
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(old, indent=2, sort_keys=True) + "\n", encoding="utf-8")


@pytest.fixture
def hostile_corpus(tmp_path: Path) -> Path:
    """A writable copy of the prompt-injection / XSS corpus."""
    dst = tmp_path / "hostile-corpus"
    shutil.copytree(HOSTILE_CORPUS, dst)
    return dst


@pytest.fixture
def hostile_settings(hostile_corpus: Path, tmp_path: Path) -> Settings:
    """Offline settings (hashing embedder, fake LLM) over the hostile corpus and a temporary store."""
    return offline_settings(hostile_corpus, tmp_path / "store")


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def injection_cases() -> list[dict]:
    return load_jsonl(HOSTILE / "injection_cases.jsonl")


@pytest.fixture(scope="session")
def offcorpus_questions() -> list[dict]:
    return load_jsonl(HOSTILE / "offcorpus_questions.jsonl")


@pytest.fixture
def no_network() -> Iterator[object]:
    """Any non-loopback connection or name lookup in this test raises, and fails the test at the end."""
    from rel_harness import block_network

    with block_network() as guard:
        yield guard
    assert not guard.attempts, f"network access attempted: {guard.attempts}"
