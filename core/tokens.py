"""Token counting in one place (tiktoken, offline through the seeded cache)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import tiktoken


def ensure_tiktoken_cache(cache_dir: Path) -> None:
    """Point tiktoken at the cache that scripts/fetch_models.py seeded (unless the user set one)."""
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache_dir))


@lru_cache(maxsize=4)
def get_encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        ensure_tiktoken_cache(Path("~/.cache/contract-qa/tiktoken").expanduser())
    return tiktoken.get_encoding(name)


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    return len(get_encoding(encoding).encode(text, disallowed_special=()))
