"""Shared fixtures: offline settings with the hashing embedder, a temporary store, the sample corpus."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from assistant_fakes import offline_settings

from core.settings import PROJECT_ROOT, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

SAMPLE_CORPUS = PROJECT_ROOT / "data" / "contracts"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fake_settings(tmp_path: Path) -> Settings:
    """Settings for offline tests: hashing embedder, fake LLM, store and corpus under tmp_path."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return offline_settings(corpus, tmp_path / "store")


@pytest.fixture
def sample_corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample corpus."""
    dst = tmp_path / "sample"
    shutil.copytree(SAMPLE_CORPUS, dst)
    return dst


@pytest.fixture
def sample_settings(tmp_path: Path) -> Settings:
    """The real sample corpus (read-only) with a temporary store and the hashing embedder."""
    return offline_settings(SAMPLE_CORPUS, tmp_path / "store")
