"""Embed and write the pending documents together; when the batch fails, one by one; when the store's disk
is full, nothing more in this run."""

from __future__ import annotations

import errno
import logging
import time

from langchain_core.embeddings import Embeddings

from ingest.embed_cache import EmbeddingCache
from ingest.progress import IngestProgress, ProgressFn
from ingest.report import IngestReport
from vectorstore.store import ClauseStore, PendingWrite, contextual_text

log = logging.getLogger(__name__)

EMBED_BATCH = 16  # texts per embed_documents call: one progress update each (the embedder's own batch)


class Tracker:
    """The run's IngestProgress and whom to tell about it."""

    def __init__(self, files_total: int, notify: ProgressFn | None) -> None:
        self.state = IngestProgress(files_total=files_total)
        self.notify = notify

    def tell(self) -> None:
        if self.notify is not None:
            self.notify(self.state)

    def advance(self, clauses: int) -> None:
        if clauses:
            self.state.clauses_done += clauses
            self.tell()


def _embed(
    emb: Embeddings, texts: list[str], tracker: Tracker | None = None, cache: EmbeddingCache | None = None
) -> tuple[list[list[float]], int]:
    """Vectors for `texts` (cached ones reused); returns (vectors, how many were computed)."""
    known = cache.get_many(texts) if cache is not None else {}
    todo = list(dict.fromkeys(t for t in texts if t not in known))
    if tracker is not None:
        tracker.state.cached += len(texts) - len(todo)
        tracker.advance(len(texts) - len(todo))
    for i in range(0, len(todo), EMBED_BATCH):
        part = todo[i : i + EMBED_BATCH]
        t = time.perf_counter()
        vecs = emb.embed_documents(part)
        if tracker is not None:
            tracker.state.embed_s += time.perf_counter() - t
            tracker.advance(len(part))
        if cache is not None:
            cache.put_many(part, vecs)
        known.update(zip(part, vecs, strict=True))
    return [known[t] for t in texts], len(todo)


def _disk_full(exc: BaseException) -> bool:
    """True for an out-of-space error from the store (ENOSPC, or SQLite's "database or disk is full")."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    text = str(exc).lower()
    return "disk is full" in text or "no space left" in text


def write_pending(
    pending: list[tuple[PendingWrite, bool]],
    emb: Embeddings,
    store: ClauseStore,
    cache: EmbeddingCache,
    report: IngestReport,
    tracker: Tracker | None = None,
) -> None:
    """Embed and write the pending documents together (full embedding batches, few store calls).
    When the batch fails, each document is retried alone so that one bad document fails alone; when the
    store's disk is full, nothing more is written in this run (retrying only hammers a full disk, and
    Chroma was seen to hang on the next write)."""
    if not pending:
        return
    items = list(pending)
    pending.clear()

    def fail_all(reason: str) -> None:
        for it, _ in items:
            report.add(it.doc.document, "failed", f"{reason}; previous version kept")

    if report.store_full:
        fail_all(f"not written: {report.store_full}")
        return
    done_before = tracker.state.clauses_done if tracker is not None else 0
    try:
        texts = [contextual_text(c) for it, _ in items for c in it.clauses]
        t_embed = time.perf_counter()
        vectors, computed = _embed(emb, texts, tracker, cache)
        report.timings_s["embed"] = report.timings_s.get("embed", 0.0) + time.perf_counter() - t_embed
        report.clauses_embedded += computed
        i = 0
        for it, _ in items:
            it.vectors = list(vectors[i : i + len(it.clauses)])
            i += len(it.clauses)
        store.write_documents([it for it, _ in items])
        for it, existed in items:
            report.add(it.doc.document, "updated" if existed else "added", clauses=len(it.clauses))
        return
    except Exception as exc:  # noqa: BLE001 - the commit protocol keeps previous versions readable
        reason = f"{type(exc).__name__}: {exc}"
        if _disk_full(exc):
            log.error("the store is out of space (%s): no more writes in this run", exc)
            report.store_full = f"the store ran out of space ({reason})"
            report.notes.append(
                f"{report.store_full}: the documents after it were not written; free space and "
                "run the ingest again"
            )
            fail_all(reason)
            return
        if len(items) == 1:
            log.exception("writing %s failed", items[0][0].doc.document)
            fail_all(reason)
            return
        log.warning("writing %d documents together failed (%s): writing them one by one", len(items), exc)
    if tracker is not None:  # the retries count their clauses again
        tracker.state.clauses_done = done_before
    for item in items:
        write_pending([item], emb, store, cache, report, tracker)
