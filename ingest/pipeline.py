"""The ingest pipeline: discover -> load/decode -> split -> embed -> upsert, incremental and crash-safe.

A document is skipped when its source bytes and the settings fingerprint (chunking settings, splitter
version, embedder) are unchanged; otherwise its clauses are rewritten through the store's commit
protocol (clauses, then the replaced version's text, then manifest record, then stale clauses deleted).
Files that are versions of one document (ingest/discover.py's `group_versions`) make one document: the
current file gets clauses, the others are kept as past versions (ingest/history.py). One ingest at a time
holds `store_dir/ingest.lock`. The parts: ingest/discover.py (the corpus's files and vendors),
ingest/document.py (a file to a Document and its clauses), ingest/write.py (embed and write),
ingest/report.py (what a run did), ingest/check.py (`--check`: verify and repair the store).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from filelock import FileLock, Timeout
from langchain_core.embeddings import Embeddings

from core.settings import EmbeddingSettings, Settings
from ingest.aliases import ALIASES_VERSION
from ingest.decode import DECODER_VERSION
from ingest.discover import DocGroup, VendorInfo, discover, group_versions, load_corpus_vendors, vendor_info
from ingest.document import build_clauses, document_from_bytes, vendor_aliases
from ingest.embed_cache import EmbeddingCache
from ingest.history import (
    KnownVersions,
    archive_members,
    current_label,
    later_versions_note,
    replaced_version,
    retire_members,
)
from ingest.loaders import LoadError
from ingest.progress import ProgressFn, TerminalProgress
from ingest.report import IngestReport
from ingest.split import SPLITTER_VERSION
from ingest.tables import TABLES_VERSION
from ingest.write import Tracker, write_pending
from vectorstore.embeddings import embedder_name, embeddings_name, make_embeddings
from vectorstore.store import ClauseStore, PendingWrite

log = logging.getLogger(__name__)

CONTEXT_FORMAT = "ctx-v1"  # bump when contextual_text() changes: every document is re-embedded
EMBED_CACHE_FILE = "embed-cache.sqlite"


class LazyEmbeddings(Embeddings):
    """The configured embedder, loaded on first use: an unchanged corpus never loads the model."""

    def __init__(self, cfg: EmbeddingSettings) -> None:
        self.cfg = cfg
        self.name = embedder_name(cfg)
        self._emb: Embeddings | None = None
        self.load_s = 0.0

    def _get(self) -> Embeddings:
        if self._emb is None:
            t0 = time.perf_counter()
            self._emb = make_embeddings(self.cfg)
            self.load_s = time.perf_counter() - t0
            actual = embeddings_name(self._emb)
            if actual != self.name:
                raise RuntimeError(f"embedder name {actual!r} differs from the expected {self.name!r}")
        return self._emb

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._get().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._get().embed_query(text)


class IngestLockedError(RuntimeError):
    """Another ingest holds the store's lock for longer than we were willing to wait."""


def settings_fingerprint(settings: Settings, embedder: str) -> str:
    """What, besides the text, determines a document's clauses and vectors."""
    payload = {
        "chunking": settings.chunking.model_dump(),
        "splitter": SPLITTER_VERSION,
        "decoder": DECODER_VERSION,
        "embedder": embedder,
        "context": CONTEXT_FORMAT,
        "tables": TABLES_VERSION,
        "aliases": ALIASES_VERSION,
        "document_prompt": settings.embedding.document_prompt,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


@contextmanager
def ingest_lock(settings: Settings, timeout: float = 60.0) -> Iterator[None]:
    """Hold store_dir/ingest.lock (waiting up to `timeout` seconds) so that writers never interleave."""
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    lock_path = settings.store_dir / "ingest.lock"
    lock = FileLock(str(lock_path), timeout=timeout)
    try:
        lock.acquire()
    except Timeout as exc:
        raise IngestLockedError(
            f"another ingest is running on {settings.store_dir} (lock {lock_path} held for over "
            f"{timeout:.0f}s); try again when it has finished"
        ) from exc
    try:
        yield
    finally:
        lock.release()


def run_ingest(
    settings: Settings,
    paths: Sequence[str | Path] | None = None,
    prune: bool = False,
    rebuild: bool = False,
    embeddings: Embeddings | None = None,
    store: ClauseStore | None = None,
    progress: bool | ProgressFn = True,
    lock_timeout: float = 60.0,
) -> IngestReport:
    """Bring the store in line with the corpus (or the given paths inside it); see the module docstring.
    `progress`: True draws clauses done / total, rate and time left on stderr; a callable gets the
    IngestProgress after each document read and each embedding batch (the page's progress bar)."""
    with ingest_lock(settings, lock_timeout):
        return run_ingest_locked(settings, paths, prune, rebuild, embeddings, store, progress)


def run_ingest_locked(
    settings: Settings,
    paths: Sequence[str | Path] | None,
    prune: bool,
    rebuild: bool,
    embeddings: Embeddings | None,
    store: ClauseStore | None,
    progress: bool | ProgressFn,
    force: frozenset[str] = frozenset(),
) -> IngestReport:
    """`run_ingest` for a caller that holds `ingest_lock` already (the store's repair); the documents in
    `force` are rewritten even when unchanged."""
    t0 = time.perf_counter()
    emb = embeddings if embeddings is not None else LazyEmbeddings(settings.embedding)
    st = store if store is not None else ClauseStore(settings, emb)
    st.invalidate()  # a shared store instance may hold a manifest read before we took the lock
    report = _ingest_locked(settings, paths, prune, rebuild, emb, st, progress, force)
    if isinstance(emb, LazyEmbeddings) and emb.load_s:
        report.timings_s["model_load"] = emb.load_s
        report.timings_s["embed"] = report.timings_s.get("embed", 0.0) - emb.load_s
    report.timings_s["total"] = time.perf_counter() - t0
    return report


def _ingest_locked(
    settings: Settings,
    paths: Sequence[str | Path] | None,
    prune: bool,
    rebuild: bool,
    emb: Embeddings,
    store: ClauseStore,
    progress: bool | ProgressFn,
    force: frozenset[str] = frozenset(),
) -> IngestReport:
    report = IngestReport()
    embedder = embeddings_name(emb)
    fp = settings_fingerprint(settings, embedder)
    manifest = {r.document: r for r in store.documents()}
    other = sorted({r.embedder for r in manifest.values() if r.embedder and r.embedder != embedder})
    if rebuild or other:
        if other:
            report.notes.append(f"embedder changed ({', '.join(other)} -> {embedder}): store rebuilt")
            paths = None
        store.reset()
        EmbeddingCache.drop(settings.store_dir / EMBED_CACHE_FILE)
        report.rebuilt = True
        manifest = {}
    cache = EmbeddingCache(
        settings.store_dir / EMBED_CACHE_FILE,
        f"{embedder}|{settings.embedding.document_prompt}|{CONTEXT_FORMAT}",
    )
    vendors = load_corpus_vendors(settings.corpus_dir)
    files, scopes = discover(settings.corpus_dir, paths, report)
    groups = _groups(settings, files, vendors, report, scoped=paths is not None)
    known = KnownVersions.read(store)
    retire_members(groups, manifest, store, report)
    max_bytes = settings.ingest.max_file_mb * 1024 * 1024
    seen_text: dict[str, str] = {}
    pending: list[tuple[PendingWrite, bool]] = []  # (document version to write, had a previous version)
    notify: ProgressFn | None = progress if callable(progress) else (TerminalProgress() if progress else None)
    tracker = Tracker(len(groups), notify)
    for g in groups:
        document, path = g.document, g.path
        tracker.state.files_read += 1
        tracker.tell()
        member_labels = archive_members(g, known, vendors, store, report, max_bytes) if g.history else {}
        rec = manifest.get(document)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                report.add(
                    document,
                    "skipped",
                    f"file of {size / 1048576:.1f} MB exceeds ingest.max_file_mb="
                    f"{settings.ingest.max_file_mb:g}",
                )
                continue
            data = path.read_bytes()
        except OSError as exc:
            report.add(document, "failed", f"unreadable: {exc.strerror or exc}")
            continue
        source_sha = hashlib.sha256(data).hexdigest()
        if (
            rec is not None
            and rec.source_sha256 == source_sha
            and rec.fingerprint == fp
            and document not in force
        ):
            if rec.sha256 in seen_text:
                report.add(document, "skipped", f"duplicate of {seen_text[rec.sha256]} (same text)")
                continue
            seen_text[rec.sha256] = document
            report.add(document, "unchanged", clauses=rec.n_clauses)
            continue
        info = vendor_info(vendors, document)
        try:
            doc = document_from_bytes(document, data, path.suffix, info, source_sha)
        except LoadError as exc:
            report.add(document, "skipped", str(exc) + ("; previous version kept" if rec else ""))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the run
            log.exception("loading %s failed", document)
            report.add(document, "failed", f"{type(exc).__name__}: {exc}")
            continue
        if doc.sha256 in seen_text:
            report.add(document, "skipped", f"duplicate of {seen_text[doc.sha256]} (same text)")
            continue
        seen_text[doc.sha256] = document
        doc = replace(doc, version=current_label(g, doc.text, doc.sha256, member_labels))
        if rec is not None and rec.sha256 == doc.sha256 and rec.fingerprint == fp and document not in force:
            # same text from different bytes (re-saved, other encoding): only the record changes
            doc = replace(doc, version=rec.version or doc.version)
            store.commit_document(doc, rec.n_clauses, fp, embedder, vendor_aliases(doc, info))
            report.add(document, "unchanged", "same text, new bytes: record updated", rec.n_clauses)
            continue
        clauses = build_clauses(doc, settings)
        if not clauses:
            report.add(document, "skipped", "no text to index")
            continue
        if rec is not None and rec.sha256 == doc.sha256:
            doc = replace(doc, version=rec.version or doc.version)  # re-chunked: the same version
        archive = replaced_version(rec, doc.sha256, known, store) if rec is not None else []
        pending.append(
            (
                PendingWrite(doc, clauses, [], fp, embedder, vendor_aliases(doc, info), archive),
                rec is not None,
            )
        )
        tracker.state.files_with_work += 1
        tracker.state.clauses_total += len(clauses)
        if sum(len(p.clauses) for p, _ in pending) >= settings.ingest.write_batch:
            write_pending(pending, emb, store, cache, report, tracker)
    write_pending(pending, emb, store, cache, report, tracker)
    if any(g.history for g in groups):
        later_versions_note(groups, store, report)
    tracker.state.finished = True
    tracker.tell()
    if prune and not report.store_full:
        present = {d for d, _ in files} | {h.document for g in groups for h in g.history}
        for document in sorted(manifest):
            in_scope = any(
                s == "" or document == s or document.startswith(s.rstrip("/") + "/") for s in scopes
            )
            if in_scope and document not in present and not (settings.corpus_dir / document).exists():
                store.remove_document(document)
                report.add(document, "removed", "no longer in the corpus")
    orphans = [] if report.store_full else store.orphan_ids()
    if orphans:
        store.delete_ids(orphans)
        report.orphans_removed = len(orphans)
    return report


def _groups(
    settings: Settings,
    files: list[tuple[str, Path]],
    vendors: dict[str, VendorInfo],
    report: IngestReport,
    scoped: bool,
) -> list[DocGroup]:
    """The documents to ingest with their version files. A scoped run groups its files with the rest of
    their vendors' folders (a dated file's document may lie outside the scope) and keeps the groups that
    touch the scope."""
    if not scoped:
        return group_versions(files, vendors, report)
    in_scope = {d for d, _ in files}
    slugs = sorted({d.split("/", 1)[0] for d in in_scope})
    everything, _ = discover(settings.corpus_dir, [settings.corpus_dir / s for s in slugs], IngestReport())
    return [
        g
        for g in group_versions(everything, vendors, IngestReport())
        if g.document in in_scope or any(h.document in in_scope for h in g.history)
    ]
