"""ClauseStore: clauses and document records in Chroma (embedded or server), plus a cached BM25 index.

One code path for `chromadb.PersistentClient(store_dir/chroma)` and `chromadb.HttpClient(url)`.
Vectors always come from our own embedder; Chroma's default embedding function is never used.
Crash safety (docs/ARCHITECTURE.md): clauses first, then the replaced version's record (kept in
`<collection>_versions` by `VersionStore.put_versions`, vectorstore/versions.py, which ClauseStore inherits
with the rest of the version keeping), then the manifest record (the commit point), then stale clauses are
deleted; readers only see clauses whose `doc_sha256` is the manifest's current sha and whose ordinal is
below its committed clause count. Retrieval reads the clause collection only: past versions never slow it.
(Re-chunking the same text reuses the ids, so an interrupted re-chunking can show a mix of old and new
chunks, each still an exact slice of the current text; the next ingest finishes it.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from langchain_core.embeddings import Embeddings

from core.settings import Settings
from core.types import Clause, Document, Hit
from vectorstore.bm25 import BM25Index, tokenize
from vectorstore.manifest import BATCH, DOC_BATCH, DocRecord
from vectorstore.versions import VersionRecord, VersionStore, split_ref

log = logging.getLogger(__name__)

PAGE = 5000  # records per read when reading a whole collection
# dense_search is exact (numpy over cached vectors) up to this many candidate clauses, HNSW above it
EXACT_SEARCH_MAX = int(os.environ.get("CQA_EXACT_SEARCH_MAX", "20000"))
MATRIX_CACHE_ENTRIES = 8  # vendor filters whose vectors are kept for exact search
BM25_CACHE_VERSION = 2  # 2: clauses' table_text is indexed too
# Readers on the query path reuse the manifest while the manifest collection's `generation` (bumped by
# every commit or removal, from any process) is unchanged, and at most this long as a backstop.
MANIFEST_TTL_S = 60.0


@dataclass
class PendingWrite:
    """One document version waiting to be written: its clauses, their vectors and its ingest settings."""

    doc: Document
    clauses: list[Clause]
    vectors: list[Sequence[float]]
    fingerprint: str = ""
    embedder: str = ""
    aliases: tuple[str, ...] = ()
    # earlier versions to keep before the manifest moves on (the replaced text, files of older versions):
    # written before the commit point, so a crash never loses the text the manifest named
    archive: list[tuple[VersionRecord, str]] = field(default_factory=list)


def clause_id(document: str, doc_sha256: str, ordinal: int) -> str:
    """Stable clause id: `sha1(document)[:12]:doc_sha256[:12]:ordinal` (new text, new ids)."""
    return f"{hashlib.sha1(document.encode('utf-8')).hexdigest()[:12]}:{doc_sha256[:12]}:{ordinal}"


def contextual_text(clause: Clause) -> str:
    """What is embedded for a clause: vendor and section give the vector context; stored text stays verbatim.
    A clause holding text-table rows adds their "header: value" rendering (never quoted, only matched)."""
    base = f"{clause.vendor_name} | {clause.section}\n{clause.text}"
    return f"{base}\n{clause.table_text}" if clause.table_text else base


def describe_store(settings: Settings) -> str:
    """Where the store lives, for messages: "Chroma server at URL" or "Chroma store in DIR"."""
    if settings.vectorstore_url:
        return f"Chroma server at {settings.vectorstore_url}"
    return f"Chroma store in {settings.store_dir / 'chroma'}"


def make_client(settings: Settings) -> Any:
    """Chroma client: HTTP when settings.vectorstore_url is set, else on disk under store_dir/chroma."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.vectorstore_url:
        u = urlparse(settings.vectorstore_url)
        return chromadb.HttpClient(
            host=u.hostname or "localhost",
            port=u.port or 8000,
            ssl=u.scheme == "https",
            settings=chroma_settings,
        )
    path = settings.store_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class ClauseStore(VersionStore):
    """Read and write clauses and document records; see the module docstring for the protocol."""

    def __init__(self, settings: Settings, embeddings: Embeddings | None = None, client: Any = None) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.client = client if client is not None else make_client(settings)
        self.name = settings.collection
        self._open()
        self._bm25: tuple[str, BM25Index] | None = None
        self._records: tuple[float, str, list[DocRecord]] | None = None
        self._matrix_cache: dict[tuple[str, tuple[str, ...] | None], tuple[list[str], Any, list[Clause]]] = {}

    # ------------------------------------------------------------------ collections
    @staticmethod
    def collection_configuration() -> dict[str, Any]:
        """The clause collection's index settings (Chroma's HNSW defaults otherwise: ef_search 100)."""
        return {"hnsw": {"space": "cosine"}}

    def _open(self) -> None:
        self.col = self.client.get_or_create_collection(
            self.name, embedding_function=None, configuration=self.collection_configuration()
        )
        self.docs = self.client.get_or_create_collection(f"{self.name}_docs", embedding_function=None)
        # past versions' texts (never read by retrieval) and the clauses of a past version built on demand
        self.history = self.client.get_or_create_collection(f"{self.name}_versions", embedding_function=None)
        self.vclauses = self.client.get_or_create_collection(
            f"{self.name}_vclauses", embedding_function=None, configuration=self.collection_configuration()
        )

    def reset(self, keep_versions: bool = True) -> None:
        """Drop the clauses, the manifest, the on-demand clauses of past versions and the BM25 cache (used by
        `--rebuild` and embedder changes). Past versions' texts are kept unless `keep_versions` is False:
        they are not all in the corpus (a file changed on disk keeps only its latest text)."""
        names = [self.name, f"{self.name}_docs", f"{self.name}_vclauses"]
        for name in names + ([] if keep_versions else [f"{self.name}_versions"]):
            try:
                self.client.delete_collection(name)
            except Exception:  # noqa: BLE001 - absent collection: nothing to drop
                log.debug("collection %s absent", name)
        self._bm25 = None
        self.invalidate()
        self._open()

    # ------------------------------------------------------------------ manifest (read)
    def _manifest(self, include_text: bool = False) -> dict[str, tuple[DocRecord, str | None]]:
        include = ["metadatas", "documents"] if include_text else ["metadatas"]
        got = self.get_all(None, include, self.docs)
        texts = got.get("documents") or [None] * len(got["ids"])
        return {
            i: (DocRecord.from_metadata(dict(m or {})), t)
            for i, m, t in zip(got["ids"], got["metadatas"], texts, strict=True)
        }

    def documents(self) -> list[DocRecord]:
        """Every document's current record, sorted by path (cached for MANIFEST_TTL_S: queries read it
        several times, and at thousands of documents one read costs hundreds of milliseconds)."""
        now, gen = time.monotonic(), self._generation()
        if self._records is None or self._records[1] != gen or now - self._records[0] > MANIFEST_TTL_S:
            recs = sorted((r for r, _ in self._manifest().values()), key=lambda r: r.document)
            self._records = (now, gen, recs)
        return list(self._records[2])

    def generation(self) -> str:
        """The store's change counter (bumped by every write): readers drop their caches when it moves."""
        return self._generation()

    def _generation(self) -> str:
        """The manifest's change counter: one cheap round trip instead of reading every record."""
        meta = self.client.get_collection(f"{self.name}_docs").metadata or {}
        return str(meta.get("generation", ""))

    def _bump_generation(self) -> None:
        self.docs.modify(metadata={"generation": f"{time.time_ns()}-{os.getpid()}"})
        self.invalidate()

    def invalidate(self) -> None:
        """Forget the cached manifest and vectors (writers call it; so does ingest after taking the lock)."""
        self._records = None
        self._matrix_cache.clear()

    def document(self, document: str) -> DocRecord | None:
        got = self.docs.get(ids=[document], include=["metadatas"])
        return DocRecord.from_metadata(dict(got["metadatas"][0])) if got["ids"] else None

    def document_text(self, document: str) -> str:
        """The decoded text that offsets index; a `document@label` reference reads that version's text;
        KeyError when neither is in the store."""
        got = self.docs.get(ids=[document], include=["documents"])
        if got["ids"]:
            return str(got["documents"][0])
        ref = split_ref(document)
        if ref is not None:
            return self.version_text(*ref)
        raise KeyError(f"document not in store: {document}")

    def vendors(self) -> dict[str, str]:
        """slug -> display name of every vendor with at least one document."""
        return {r.vendor: r.vendor_name for r in self.documents()}

    def vendor_aliases(self) -> dict[str, list[str]]:
        """slug -> aliases recorded at ingest: vendor.yaml's and those the documents give their party (roles
        carry core.types.VENDOR_ROLE_PREFIX)."""
        out: dict[str, list[str]] = {}
        for r in self.documents():
            out.setdefault(r.vendor, [])
            for a in filter(None, r.vendor_aliases.split("|")):
                if a not in out[r.vendor]:
                    out[r.vendor].append(a)
        return out

    def _current(self, records: Sequence[DocRecord] | None = None) -> dict[str, tuple[str, int]]:
        """document -> (current text sha, clause count): what readers accept (of `records`, default the
        manifest)."""
        return {
            r.document: (r.sha256, r.n_clauses) for r in (self.documents() if records is None else records)
        }

    @staticmethod
    def _is_current(doc: str, sha: Any, ordinal: Any, current: dict[str, tuple[str, int]]) -> bool:
        """A clause is visible when it belongs to its document's committed version: same text sha and an
        ordinal below the committed clause count (a re-chunking of the same text keeps the ids)."""
        cur = current.get(doc)
        return cur is not None and cur[0] == sha and isinstance(ordinal, int) and 0 <= ordinal < cur[1]

    @classmethod
    def _meta_is_current(cls, meta: dict[str, Any], current: dict[str, tuple[str, int]]) -> bool:
        """`_is_current` for a raw clause metadata record."""
        return cls._is_current(
            str(meta.get("document")), meta.get("doc_sha256"), meta.get("ordinal"), current
        )

    def fingerprint(self) -> str:
        """Hash of the manifest (text sha, ingest fingerprint and clause count per document): changes with any
        new text or new chunking, and is equal for two stores holding the same content."""
        items = sorted((r.document, r.sha256, r.fingerprint, r.n_clauses) for r in self.documents())
        return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:16]

    # ------------------------------------------------------------------ clauses (read)
    @staticmethod
    def _to_clauses(got: dict[str, Any]) -> list[Clause]:
        return [
            Clause.from_metadata(str(t), dict(m))
            for t, m in zip(got["documents"], got["metadatas"], strict=True)
        ]

    def clauses(self, document: str) -> list[Clause]:
        """The current clauses of a document, by ordinal."""
        rec = self.document(document)
        if rec is None:
            return []
        return self._by_ordinal(document, rec.sha256, 0, rec.n_clauses - 1)

    def _by_ordinal(self, document: str, sha: str, lo: int, hi: int) -> list[Clause]:
        """Clauses lo..hi of a document version, fetched by id (ids are derived from document, text sha and
        ordinal): a lookup by key, where a metadata filter scans (100 ms a call at 40,000 clauses)."""
        ids = [clause_id(document, sha, i) for i in range(max(0, lo), hi + 1)]
        out: list[Clause] = []
        for i in range(0, len(ids), PAGE):
            out += self._to_clauses(self.col.get(ids=ids[i : i + PAGE], include=["documents", "metadatas"]))
        return sorted(
            (c for c in out if c.document == document and c.doc_sha256 == sha), key=lambda c: c.ordinal
        )

    def get_all(
        self, where: dict[str, Any] | None, include: list[str], col: Any = None
    ) -> dict[str, list[Any]]:
        """`col.get` over any number of records, PAGE at a time (one unpaged get of tens of thousands of
        records exceeds SQLite's variable limit inside Chroma)."""
        out: dict[str, list[Any]] = {"ids": [], **{k: [] for k in include}}
        offset = 0
        while True:
            got = (col or self.col).get(where=where, include=include, limit=PAGE, offset=offset)
            out["ids"] += got["ids"]
            for k in include:
                part = got.get(k)
                out[k] += list(part) if part is not None else []
            if len(got["ids"]) < PAGE:
                return out
            offset += PAGE

    def all_clauses(self, vendors: Sequence[str] | None = None) -> list[Clause]:
        """Every current clause (optionally of some vendors), by document then ordinal."""
        cur = self._current()
        if not cur:
            return []
        where: dict[str, Any] | None = {"vendor": {"$in": list(vendors)}} if vendors else None
        got = self.get_all(where, ["documents", "metadatas"])
        out = [c for c in self._to_clauses(got) if self._is_current(c.document, c.doc_sha256, c.ordinal, cur)]
        return sorted(out, key=lambda c: (c.document, c.ordinal))

    def clause(self, clause_id_: str) -> Clause | None:
        """One current clause by id (None when absent or from a stale version)."""
        got = self.col.get(ids=[clause_id_], include=["documents", "metadatas"])
        if not got["ids"]:
            return None
        c = self._to_clauses(got)[0]
        rec = self.document(c.document)
        ok = rec is not None and rec.sha256 == c.doc_sha256 and c.ordinal < rec.n_clauses
        return c if ok else None

    def neighbours(self, clause: Clause, before: int = 1, after: int = 1) -> list[Clause]:
        """The clauses around `clause` in its document (ordinal-before .. ordinal+after), in order,
        the clause itself included."""
        rec = self.document(clause.document)
        if rec is None or rec.sha256 != clause.doc_sha256:
            return []
        lo, hi = clause.ordinal - max(0, before), min(clause.ordinal + max(0, after), rec.n_clauses - 1)
        return self._by_ordinal(clause.document, clause.doc_sha256, lo, hi)

    # ------------------------------------------------------------------ search
    def dense_search(
        self, query_vector: Sequence[float], k: int, vendors: Sequence[str] | None = None
    ) -> list[Hit]:
        """Nearest current clauses by cosine; score = 1 - cosine distance (higher is better).

        Up to EXACT_SEARCH_MAX candidate clauses (the whole store, or the named vendors' clauses) are
        searched exactly over a cached matrix; above that, Chroma's HNSW index. Exact is both faster at
        that size and right: HNSW with a selective `where` filter (one vendor among thousands) found 2 of
        the 10 true neighbours in the bench's 1,000x store."""
        records = self.documents()
        cur = self._current(records)
        if not cur or k <= 0:
            return []
        wanted = set(vendors) if vendors else None
        candidates = sum(r.n_clauses for r in records if wanted is None or r.vendor in wanted)
        if candidates <= EXACT_SEARCH_MAX:
            return self._exact_search(query_vector, k, vendors, cur)
        return self._hnsw_search(query_vector, k, vendors, cur)

    def _exact_search(
        self,
        query_vector: Sequence[float],
        k: int,
        vendors: Sequence[str] | None,
        cur: dict[str, tuple[str, int]],
    ) -> list[Hit]:
        import numpy as np

        ids, matrix, clauses = self._vectors(vendors, cur)
        if not clauses:
            return []
        q = np.asarray(query_vector, dtype=np.float32)
        q /= float(np.linalg.norm(q)) or 1.0
        scores = matrix @ q
        n = min(k, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        order = sorted(top.tolist(), key=lambda i: (-float(scores[i]), ids[i]))
        return [
            Hit(clause=clauses[i], score=float(scores[i]), sources={"dense": r}) for r, i in enumerate(order)
        ]

    def _vectors(
        self, vendors: Sequence[str] | None, cur: dict[str, tuple[str, int]]
    ) -> tuple[list[str], Any, list[Clause]]:
        """(ids, unit-normalised vectors, clauses) of the current clauses of `vendors` (all when None),
        cached until the manifest's generation changes."""
        import numpy as np

        key = (self._records[1] if self._records else "", tuple(sorted(vendors)) if vendors else None)
        hit = self._matrix_cache.get(key)
        if hit is not None:
            return hit
        where: dict[str, Any] | None = {"vendor": {"$in": list(vendors)}} if vendors else None
        got = self.get_all(where, ["embeddings", "documents", "metadatas"])
        keep = [i for i, m in enumerate(got["metadatas"]) if self._meta_is_current(m, cur)]
        clauses = [Clause.from_metadata(str(got["documents"][i]), dict(got["metadatas"][i])) for i in keep]
        matrix = np.asarray([got["embeddings"][i] for i in keep], dtype=np.float32)
        if len(keep):
            matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        entry = ([c.id for c in clauses], matrix, clauses)
        if len(self._matrix_cache) >= MATRIX_CACHE_ENTRIES or any(
            k_[0] != key[0] for k_ in self._matrix_cache
        ):
            self._matrix_cache.clear()
        self._matrix_cache[key] = entry
        return entry

    def _hnsw_search(
        self,
        query_vector: Sequence[float],
        k: int,
        vendors: Sequence[str] | None,
        cur: dict[str, tuple[str, int]],
    ) -> list[Hit]:
        # Filter by vendor in Chroma, by current version in Python: a `$in` over every document's sha
        # makes Chroma's query 10-100x slower at scale. Stale records are rare (a crash window), so ask
        # for a few more than k and widen only when they crowd out the current ones.
        where = {"vendor": {"$in": list(vendors)}} if vendors else None
        total = sum(n for _, n in cur.values()) + 8  # Chroma's count() costs ~60 ms at 40,000 records
        n = min(k + 8, total)
        while True:
            res = self.col.query(
                query_embeddings=[list(map(float, query_vector))],
                n_results=max(1, n),
                where=where,
                include=["documents", "metadatas", "distances"],
            )
            hits: list[Hit] = []
            for text, meta, dist in zip(
                res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
            ):
                c = Clause.from_metadata(str(text), dict(meta))
                if not self._is_current(c.document, c.doc_sha256, c.ordinal, cur):
                    continue
                hits.append(Hit(clause=c, score=1.0 - float(dist), sources={"dense": len(hits)}))
                if len(hits) >= k:
                    break
            if len(hits) >= k or len(res["ids"][0]) < n:
                return hits
            if n >= total:  # stale records crowd the results: widen up to every record
                total = self.count()
                if n >= total:
                    return hits
            n = min(n * 4, total)

    def _bm25_cache_path(self, fp: str) -> Path:
        base = (
            self.settings.cache_dir / "bm25"
            if self.settings.vectorstore_url
            else self.settings.store_dir / "bm25"
        )
        return base / f"{self.name}-{fp}-v{BM25_CACHE_VERSION}.json"

    def bm25_index(self) -> BM25Index:
        """The BM25 index of the current clauses, rebuilt when the manifest fingerprint changes."""
        fp = self.fingerprint()
        if self._bm25 is not None and self._bm25[0] == fp:
            return self._bm25[1]
        path = self._bm25_cache_path(fp)
        index: BM25Index | None = None
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                index = BM25Index(data["ids"], data["vendors"], data["tokens"])
            except (OSError, ValueError, KeyError) as exc:
                log.warning("BM25 cache %s unreadable (%s): rebuilding", path, exc)
        if index is None:
            clauses = self.all_clauses()
            ids = [c.id for c in clauses]
            vendors = [c.vendor for c in clauses]
            tokens = [tokenize(f"{c.section}\n{c.text}\n{c.table_text}") for c in clauses]
            index = BM25Index(ids, vendors, tokens)
            self._write_bm25_cache(
                path, f"{self.name}-*-v*.json", {"ids": ids, "vendors": vendors, "tokens": tokens}
            )
        self._bm25 = (fp, index)
        return index

    @staticmethod
    def _write_bm25_cache(path: Path, old_pattern: str, data: dict[str, Any]) -> None:
        """Atomically write the cache file, removing this collection's older ones."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for old in path.parent.glob(old_pattern):
                old.unlink(missing_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("could not cache BM25 index at %s: %s", path, exc)

    def bm25_search(self, query: str, k: int, vendors: Sequence[str] | None = None) -> list[Hit]:
        """Top-k current clauses by BM25 (fr+en stems, accents stripped); score = raw BM25 score."""
        index = self.bm25_index()
        ranked = index.search(query, k, vendors)
        if not ranked:
            return []
        got = self.col.get(ids=[i for i, _ in ranked], include=["documents", "metadatas"])
        by_id = {c.id: c for c in self._to_clauses(got)}
        hits: list[Hit] = []
        for cid, score in ranked:
            if cid in by_id:
                hits.append(Hit(clause=by_id[cid], score=score, sources={"bm25": len(hits)}))
        return hits

    # ------------------------------------------------------------------ write side
    def upsert_clauses(self, clauses: Sequence[Clause], vectors: Sequence[Sequence[float]]) -> None:
        """Step 1: write clauses with their vectors (ids carry the new doc sha: old version untouched)."""
        if len(clauses) != len(vectors):
            raise ValueError("one vector per clause")
        for i in range(0, len(clauses), BATCH):
            part = clauses[i : i + BATCH]
            self.col.upsert(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[c.to_metadata() for c in part],
                embeddings=[list(map(float, v)) for v in vectors[i : i + BATCH]],
            )

    def commit_document(
        self,
        doc: Document,
        n_clauses: int,
        fingerprint: str = "",
        embedder: str = "",
        aliases: Iterable[str] = (),
    ) -> DocRecord:
        """Step 2, the commit point: the manifest record now names the new version."""
        return self.commit_documents([(doc, n_clauses, fingerprint, embedder, tuple(aliases))])[0]

    def commit_documents(
        self, items: Sequence[tuple[Document, int, str, str, Iterable[str]]]
    ) -> list[DocRecord]:
        """Step 2 for several documents in one write: each record is its own document's commit point
        (written after that document's clauses), and readers are told once."""
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        recs = [
            DocRecord(
                document=doc.document,
                vendor=doc.vendor,
                vendor_name=doc.vendor_name,
                language=doc.language,
                sha256=doc.sha256,
                source_sha256=doc.source_sha256,
                n_clauses=n,
                ingested_at=now,
                fingerprint=fp,
                embedder=emb,
                vendor_aliases="|".join(aliases),
                version=doc.version or now[:10],
                chars=len(doc.text),
            )
            for doc, n, fp, emb, aliases in items
        ]
        if not recs:
            return []
        texts = [doc.text for doc, *_ in items]
        for i in range(0, len(recs), DOC_BATCH):
            part = recs[i : i + DOC_BATCH]
            self.docs.upsert(
                ids=[r.document for r in part],
                documents=texts[i : i + DOC_BATCH],
                metadatas=[r.to_metadata() for r in part],
                embeddings=[[0.0]] * len(part),
            )
        self._bump_generation()
        return recs

    def delete_stale(self, document: str | Sequence[str]) -> int:
        """Step 3: delete the clauses of the document(s) that are not of their current version (or all of
        a document that is gone)."""
        names = [document] if isinstance(document, str) else list(dict.fromkeys(document))
        if not names:
            return 0
        got_docs = self.docs.get(ids=names, include=["metadatas"])
        cur = {
            r.document: (r.sha256, r.n_clauses)
            for r in (DocRecord.from_metadata(dict(m)) for m in got_docs["metadatas"])
        }
        stale: list[str] = []
        for i in range(0, len(names), DOC_BATCH):
            part = names[i : i + DOC_BATCH]
            where = {"document": part[0]} if len(part) == 1 else {"document": {"$in": part}}
            got = self.get_all(where, ["metadatas"])
            stale += [
                cid
                for cid, m in zip(got["ids"], got["metadatas"], strict=True)
                if not self._meta_is_current(m, cur)
            ]
        self.delete_ids(stale)
        return len(stale)

    def write_document(
        self,
        doc: Document,
        clauses: Sequence[Clause],
        vectors: Sequence[Sequence[float]],
        fingerprint: str = "",
        embedder: str = "",
        aliases: Iterable[str] = (),
    ) -> DocRecord:
        """The whole protocol for one document version: upsert clauses, commit, delete stale."""
        return self.write_documents(
            [PendingWrite(doc, list(clauses), list(vectors), fingerprint, embedder, tuple(aliases))]
        )[0]

    def write_documents(self, items: Sequence[PendingWrite]) -> list[DocRecord]:
        """The protocol for several document versions at once (a few large writes instead of three small
        ones per document; at thousands of documents Chroma's per-call cost dominates): every document's
        clauses, then their manifest records, then the stale clauses. A crash at any point leaves each
        document either at its old version or at its new one."""
        for it in items:
            if len(it.clauses) != len(it.vectors):
                raise ValueError(f"one vector per clause ({it.doc.document})")
        self.upsert_clauses([c for it in items for c in it.clauses], [v for it in items for v in it.vectors])
        self.put_versions([a for it in items for a in it.archive])  # replaced texts, before the commit
        recs = self.commit_documents(
            [(it.doc, len(it.clauses), it.fingerprint, it.embedder, it.aliases) for it in items]
        )
        self.delete_stale([it.doc.document for it in items])
        return recs

    def remove_document(self, document: str) -> int:
        """Drop a document: its manifest record first (the commit point), then all its clauses and versions."""
        self.docs.delete(ids=[document])
        self._bump_generation()
        n = self.delete_stale(document)
        self.delete_versions(document)
        return n

    def orphan_ids(self) -> list[str]:
        """Clause ids not belonging to any document's current version (left by a crash or a removal).
        Reads the manifest afresh: deleting on a stale view could remove another writer's new clauses."""
        self.invalidate()
        cur = self._current()
        got = self.get_all(None, ["metadatas"])
        return [
            i for i, m in zip(got["ids"], got["metadatas"], strict=True) if not self._meta_is_current(m, cur)
        ]

    def delete_ids(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), BATCH):
            self.col.delete(ids=list(ids[i : i + BATCH]))

    # ------------------------------------------------------------------ stats
    def count(self) -> int:
        """Raw number of clause records (current and stale)."""
        return int(self.col.count())

    def stats(self) -> dict[str, Any]:
        """Counts for humans and health checks."""
        docs = self.documents()
        per_vendor: dict[str, int] = {}
        for r in docs:
            per_vendor[r.vendor] = per_vendor.get(r.vendor, 0) + r.n_clauses
        return {
            "documents": len(docs),
            "clauses": sum(r.n_clauses for r in docs),
            "records": self.count(),
            "vendors": per_vendor,
            "embedders": sorted({r.embedder for r in docs if r.embedder}),
            "past_versions": int(self.history.count()),
            "fingerprint": self.fingerprint(),
            "collection": self.name,
            "location": self.settings.vectorstore_url or str(self.settings.store_dir / "chroma"),
        }
