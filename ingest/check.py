"""`python -m ingest --check`: verify the store against the corpus and repair what is wrong (re-ingest,
remove, or rebuild a store that cannot be read at all)."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field

from langchain_core.embeddings import Embeddings

from core.settings import Settings
from ingest.discover import discover
from ingest.document import sha256_text
from ingest.pipeline import ingest_lock, run_ingest_locked
from ingest.report import IngestReport
from vectorstore.store import ClauseStore

log = logging.getLogger(__name__)


@dataclass
class CheckReport:
    """Problems `check_store` found (document -> reasons) and what it repaired."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    orphans: int = 0
    repaired: IngestReport | None = None

    def add(self, document: str, reason: str) -> None:
        self.problems.setdefault(document, []).append(reason)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.orphans


def check_store(
    settings: Settings,
    embeddings: Embeddings | None = None,
    store: ClauseStore | None = None,
    repair: bool = True,
    progress: bool = False,
    lock_timeout: float = 60.0,
) -> CheckReport:
    """Verify the store against the corpus (documents present with the same bytes, clause texts equal to
    their slices, counts, no duplicates, no orphans); with `repair`, re-ingest or remove what is wrong.
    A repair holds the ingest lock for the whole check, so it never interleaves with an ingest. An embedded
    store that cannot be read at all (corrupt files) is moved aside and rebuilt from the corpus."""
    if not repair:
        return _check(settings, store if store is not None else ClauseStore(settings, embeddings))
    with ingest_lock(settings, lock_timeout):
        try:
            st = store if store is not None else ClauseStore(settings, embeddings)
            out = _check(settings, st)
        except Exception as exc:  # noqa: BLE001 - chromadb raises several kinds on corrupt files
            if settings.vectorstore_url or store is not None:
                raise
            return _rebuild_unreadable(settings, embeddings, progress, exc)
        if out.ok:
            return out
        missing = [d for d, rs in out.problems.items() if "file missing from the corpus" in rs]
        for d in missing:
            st.remove_document(d)
        redo = [d for d in out.problems if d not in missing]
        # the old version stays readable until the forced rewrite commits
        out.repaired = run_ingest_locked(
            settings,
            redo or None,
            False,
            False,
            embeddings or st.embeddings,
            st,
            progress,
            force=frozenset(redo),
        )
        for d in missing:
            out.repaired.add(d, "removed", "file missing from the corpus")
    return out


def _rebuild_unreadable(
    settings: Settings, embeddings: Embeddings | None, progress: bool, exc: Exception
) -> CheckReport:
    """Move an unreadable embedded Chroma folder aside and ingest the corpus into a fresh one (lock held)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()  # forget the open handles on the broken files
    broken = settings.store_dir / "chroma"
    aside = settings.store_dir / f"chroma.corrupt-{time.strftime('%Y%m%d-%H%M%S')}"
    if broken.exists():
        broken.rename(aside)
    for f in (settings.store_dir / "bm25").glob("*.json"):
        f.unlink(missing_ok=True)
    log.warning("store unreadable (%s): moved to %s, rebuilding from the corpus", exc, aside)
    out = CheckReport()
    out.add(
        "(store)", f"unreadable Chroma store ({type(exc).__name__}: {str(exc)[:200]}); moved to {aside.name}"
    )
    out.repaired = run_ingest_locked(settings, None, False, False, embeddings, None, progress)
    out.repaired.notes.append(f"the unreadable store was moved to {aside} and rebuilt from the corpus")
    return out


def _check(settings: Settings, st: ClauseStore) -> CheckReport:
    out = CheckReport()
    root = settings.corpus_dir.resolve()
    records = st.documents()
    for rec in records:
        path = root / rec.document
        if not path.is_file():
            out.add(rec.document, "file missing from the corpus")
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != rec.source_sha256:
            out.add(rec.document, "file changed since ingest")
        text = st.document_text(rec.document)
        if sha256_text(text) != rec.sha256:
            out.add(rec.document, "stored text does not match its sha256")
        clauses = st.clauses(rec.document)
        if len(clauses) != rec.n_clauses:
            out.add(rec.document, f"{len(clauses)} clauses stored, manifest says {rec.n_clauses}")
        spans = set()
        for c in clauses:
            if text[c.start : c.end] != c.text:
                out.add(rec.document, f"clause {c.id} differs from its slice [{c.start}:{c.end}]")
                break
            if (c.start, c.end) in spans:
                out.add(rec.document, f"duplicate clause span [{c.start}:{c.end}]")
                break
            spans.add((c.start, c.end))
        if sorted(c.ordinal for c in clauses) != list(range(len(clauses))):
            out.add(rec.document, "clause ordinals are not 0..n-1")
    known = {r.document for r in records} | {v.source for v in st.version_records()}  # and version files
    max_bytes = settings.ingest.max_file_mb * 1024 * 1024
    for document, path in discover(settings.corpus_dir, None, IngestReport())[0]:
        try:
            small = path.stat().st_size <= max_bytes
        except OSError:
            continue
        if document not in known and small:  # e.g. an ingest that stopped on a full disk
            out.add(document, "in the corpus, not in the store")
    out.orphans = len(st.orphan_ids())
    return out
