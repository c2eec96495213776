"""What the bench sections share in one run: settings, a work folder, the embedder, the sample store."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from core.settings import Settings
from vectorstore.embeddings import embeddings_name

log = logging.getLogger(__name__)

# Fixed questions (French and English) used by the query and answer sections.
QUESTIONS: tuple[str, ...] = (
    "How quickly must Humanlinker notify a personal data breach?",
    "Quel est le préavis de résiliation chez Boost My Mail ?",
    "Where is the data hosted by the Unnamed Provider?",
    "Quelle est la durée de conservation des données chez LEO Bizdev ?",
    "What is Aura Digital's liability cap?",
    "Can the provider use subcontractors without prior authorisation?",
    "Qui est responsable en cas de violation de données ?",
    "How are fees revised each year?",
    "Quelles sont les mesures de sécurité mises en œuvre ?",
    "What happens to customer data at the end of the contract?",
)
ANSWER_QUESTIONS: tuple[str, ...] = QUESTIONS[:3]


class TimedEmbeddings(Embeddings):
    """Delegates to an embedder and adds up the time spent in it (to split ingest time into parts)."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.name = embeddings_name(inner)
        self.seconds = 0.0
        self.texts = 0
        self.calls = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        t = time.perf_counter()
        try:
            return self.inner.embed_documents(texts)
        finally:
            self.seconds += time.perf_counter() - t
            self.texts += len(texts)
            self.calls += 1

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def reset(self) -> None:
        self.seconds, self.texts, self.calls = 0.0, 0, 0


@dataclass
class BenchContext:
    """Shared state of one bench run. Heavy objects are built on first use and kept."""

    settings: Settings
    workdir: Path
    quick: bool = False
    notes: list[str] = field(default_factory=list)
    _embeddings: Embeddings | None = None
    embeddings_load_s: float | None = None
    sample_settings: Settings | None = None  # the sample corpus ingested with the configured embedder
    extra: dict[str, Any] = field(default_factory=dict)
    reuse_store: Path | None = None  # an existing store of the sample corpus (same embedder) to start from
    query_factors: tuple[int, ...] | None = None  # scaled copies for the query section (None: its default)

    def embeddings(self) -> Embeddings:
        """The configured embedder (EmbeddingGemma bf16 by default), loaded once."""
        if self._embeddings is None:
            from vectorstore.embeddings import make_embeddings

            t = time.perf_counter()
            self._embeddings = make_embeddings(self.settings.embedding)
            self.embeddings_load_s = time.perf_counter() - t
            self._embeddings.embed_documents(["warm-up"])  # first call pays one-off costs
        return self._embeddings

    def corpus_dir(self) -> Path:
        """The corpus the ingest/query/answer sections use: the sample corpus, or two documents when quick."""
        if not self.quick:
            return self.settings.corpus_dir
        quick_dir = self.workdir / "quick-corpus"
        if not quick_dir.exists():
            import shutil

            for vendor in ("humanlinker", "unnamed-provider"):
                src = self.settings.corpus_dir / vendor
                if src.is_dir():
                    shutil.copytree(src, quick_dir / vendor)
        return quick_dir

    def sample_store(self) -> Settings:
        """Settings of a store holding the (quick) sample corpus, ingesting it now if no section has."""
        if self.sample_settings is None:
            import shutil

            from ingest.pipeline import run_ingest

            s = self.settings.replace(
                corpus_dir=str(self.corpus_dir()),
                store_dir=str(self.workdir / "sample-store"),
                vectorstore_url=None,
            )
            if self.reuse_store is not None and not s.store_dir.exists():
                shutil.copytree(self.reuse_store, s.store_dir)  # a copy: the bench never writes to it
            report = run_ingest(s, embeddings=self.embeddings(), progress=False)
            self.notes.append(
                f"sample store: {report.counts()} (reused {self.reuse_store})"
                if self.reuse_store
                else f"sample store ingested for this run: {report.counts()}"
            )
            self.sample_settings = s
        return self.sample_settings


def timed_store(settings: Settings, embeddings: Embeddings | None = None) -> Any:
    """A ClauseStore whose write-side calls add up their time in `.seconds` (to split ingest time)."""
    from vectorstore.store import ClauseStore

    class TimedClauseStore(ClauseStore):
        seconds: dict[str, float]
        calls: dict[str, int]

        def _timed(self, name: str, fn: Any, *a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t
                self.calls[name] = self.calls.get(name, 0) + 1

        def upsert_clauses(self, *a: Any, **kw: Any) -> Any:
            return self._timed("upsert_clauses", super().upsert_clauses, *a, **kw)

        def commit_documents(self, *a: Any, **kw: Any) -> Any:
            return self._timed("commit_documents", super().commit_documents, *a, **kw)

        def delete_stale(self, *a: Any, **kw: Any) -> Any:
            return self._timed("delete_stale", super().delete_stale, *a, **kw)

        def orphan_ids(self, *a: Any, **kw: Any) -> Any:
            return self._timed("orphan_ids", super().orphan_ids, *a, **kw)

        def documents(self, *a: Any, **kw: Any) -> Any:
            return self._timed("documents", super().documents, *a, **kw)

    store = TimedClauseStore(settings, embeddings)
    store.seconds, store.calls = {}, {}
    return store
