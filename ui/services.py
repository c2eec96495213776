"""The page's heavy objects (embedder, store, assistant), built once per configuration with
st.cache_resource and shared by every session; one lock serialises model calls on a small CPU, and an
AnswerQueue counts the questions waiting for it and times the recent answers (for the expected wait)."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st
from langchain_core.embeddings import Embeddings

from core.settings import EmbeddingSettings, Settings
from ui.chat import estimate_wait
from vectorstore.embeddings import make_embeddings
from vectorstore.store import ClauseStore

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")


class AnswerQueue:
    """Server-wide count of the questions waiting for the model lock, the one being answered, and the
    durations of the last answers. Shared by every session (thread-safe); it only counts and times, the
    lock itself is `Services.lock`. Questions are counted by key (the `Pending` id), so that a stopped run
    still finishing a question that its session asks again counts once."""

    def __init__(self, keep: int = 20) -> None:
        self._guard = threading.Lock()
        self._waiting: Counter[str] = Counter()
        self._running: tuple[str, float] | None = None  # (key, monotonic start)
        self._recent: deque[float] = deque(maxlen=keep)

    @contextmanager
    def waiting(self, key: str) -> Iterator[None]:
        """Count question `key` as waiting for the lock while the block runs."""
        with self._guard:
            self._waiting[key] += 1
        try:
            yield
        finally:
            with self._guard:
                self._waiting[key] -= 1
                if self._waiting[key] <= 0:
                    del self._waiting[key]

    @contextmanager
    def answering(self, key: str) -> Iterator[None]:
        """Question `key` is being answered (the lock is held) while the block runs; its duration is kept
        when the block completes (a stopped answer says nothing about how long answers take)."""
        mine = (key, time.monotonic())
        with self._guard:
            self._running = mine
        try:
            yield
            with self._guard:
                self._recent.append(time.monotonic() - mine[1])
        finally:
            with self._guard:
                if self._running is mine:
                    self._running = None

    def snapshot(self) -> tuple[int, bool, float | None, list[float]]:
        """(questions waiting, one is being answered, seconds it has run, recent durations), read together."""
        with self._guard:
            since = time.monotonic() - self._running[1] if self._running is not None else None
            return sum(self._waiting.values()), self._running is not None, since, list(self._recent)

    def ahead(self, exclude: Collection[str] = ()) -> int:
        """Distinct questions waiting for the lock or being answered, other than `exclude` (the caller's
        own questions, which it places itself)."""
        with self._guard:
            keys = set(self._waiting) | ({self._running[0]} if self._running is not None else set())
        return len(keys - set(exclude))

    def expected_wait(self, ahead: int, exclude: Collection[str] = ()) -> float | None:
        """Seconds until a question with `ahead` before it starts (None: no answer timed yet). The answer
        running now counts as partly done unless it is one of `exclude` (a stopped run of the caller's own,
        whose question is asked again in full)."""
        with self._guard:
            running = self._running
            recent = list(self._recent)
        since = time.monotonic() - running[1] if running is not None and running[0] not in exclude else None
        return estimate_wait(ahead, recent, since)


@dataclass
class Services:
    """What the page talks to: the settings it was built from, the store, the assistant."""

    settings: Settings
    embeddings: Embeddings
    store: ClauseStore
    assistant: Any  # assistant.Assistant (imported lazily: loading it pulls LangChain models)
    lock: threading.Lock = field(default_factory=threading.Lock)
    queue: AnswerQueue = field(default_factory=AnswerQueue)


def _full_key(s: Settings) -> str:
    return s.model_dump_json()


def _store_key(s: Settings) -> str:
    return s.model_dump_json(
        include={"store_dir", "vectorstore_url", "collection", "embedding", "chunking", "cache_dir"}
    )


@st.cache_resource(
    show_spinner="Loading the embedding model…", hash_funcs={EmbeddingSettings: lambda c: c.model_dump_json()}
)
def cached_embeddings(cfg: EmbeddingSettings) -> Embeddings:
    """The embedder for this configuration (loads weights once per process)."""
    log.info("loading embeddings %s", cfg.kind)
    return make_embeddings(cfg)


@st.cache_resource(show_spinner=False, hash_funcs={Settings: _store_key})
def cached_store(settings: Settings) -> ClauseStore:
    """The clause store for this store location and embedder."""
    return ClauseStore(settings, cached_embeddings(settings.embedding))


@st.cache_resource(show_spinner=False)
def model_gate() -> tuple[threading.Lock, AnswerQueue]:
    """One model lock and one queue for the whole server, whichever model each session picked: two
    models answering at once on a small CPU are both slower than one after the other."""
    return threading.Lock(), AnswerQueue()


@st.cache_resource(max_entries=3, show_spinner="Preparing the assistant…", hash_funcs={Settings: _full_key})
def build_services(settings: Settings) -> Services:
    """Store + assistant for these settings; the embedder and store are shared across LLM choices."""
    from assistant import Assistant
    from review import grid_answer

    emb = cached_embeddings(settings.embedding)
    store = cached_store(settings)
    lock, queue = model_gate()
    return Services(
        settings=settings,
        embeddings=emb,
        store=store,
        assistant=Assistant(settings, store=store, embeddings=emb, shortcut=grid_answer),
        lock=lock,
        queue=queue,
    )


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Supported documents under corpus_dir/<vendor>/ (sorted), the way ingest discovers them."""
    root = Path(corpus_dir)
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.glob("*/*")
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
    )
