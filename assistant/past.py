"""Answering from an older version of a document ("What did the 2020 DPA say about breaches?",
`ask --version 2020 --vendor basecamp`): the version's clauses are built on demand (ingest's splitter, the
store's embedder) and kept in the store's `<collection>_vclauses` collection keyed by version and settings,
never beside the current clauses: retrieval over current documents never reads them. The engine then runs
as usual over a reader holding only that version; its citations name the version (`document@label`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from assistant.diff.stored import VersionError, pick_version, version_on_or_before
from core.text import fold
from core.types import Answer, Clause, Document, Hit, WarningCode
from vectorstore.bm25 import BM25Index, tokenize
from vectorstore.embeddings import embeddings_name
from vectorstore.store import contextual_text
from vectorstore.versions import VersionRecord

# A question about what an older version said: past tense, or a version named by its year or date.
_PAST = re.compile(
    r"\bwhat\s+did\b[^?]{0,80}\b(?:say|said|provide|state|require|allow)\b|\b(?:in|under|per)\s+the\s+"
    r"(?:(?:19|20)\d\d\b|version\b|previous\b|old(?:er)?\b|former\b)|\b(?:19|20)\d\d\s+version\b"
    r"|\b(?:previous|older|former|earlier)\s+version\b|\bque\s+(?:disait|prevoyait|stipulait|precisait)\b"
    r"|\bdans\s+(?:la|l['’])\s*(?:version|ancienne|precedente)\b|\bversion\s+(?:de|du)\s+(?:\d|l['’]an)",
    re.I,
)

_PREVIOUS = re.compile(r"\b(?:previous|older|former|earlier|old|ancienne|precedente)\b", re.I)


class VersionReader:
    """The store's read API over one past version's clauses only (exact dense search and BM25 in memory:
    a version holds hundreds of clauses); the vendor catalog and other documents' texts come from the
    store."""

    def __init__(self, store: Any, clauses: list[Clause], vectors: list[list[float]], text: str) -> None:
        import numpy as np

        self.store = store
        self._clauses = clauses
        self._text = text
        m = np.asarray(vectors, dtype=np.float32).reshape(len(clauses), -1)
        self._matrix = m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12) if len(clauses) else m
        self._bm25 = BM25Index(
            [c.id for c in clauses],
            [c.vendor for c in clauses],
            [tokenize(f"{c.section}\n{c.text}\n{c.table_text}") for c in clauses],
        )
        self.document_id = clauses[0].document if clauses else ""

    def dense_search(
        self, query_vector: Sequence[float], k: int, vendors: Sequence[str] | None = None
    ) -> list[Hit]:
        import numpy as np

        if not self._clauses or k <= 0:
            return []
        q = np.asarray(query_vector, dtype=np.float32)
        q /= float(np.linalg.norm(q)) or 1.0
        scores = self._matrix @ q
        order = sorted(range(len(scores)), key=lambda i: -float(scores[i]))[:k]
        return [Hit(self._clauses[i], float(scores[i]), {"dense": r}) for r, i in enumerate(order)]

    def bm25_search(self, query: str, k: int, vendors: Sequence[str] | None = None) -> list[Hit]:
        by_id = {c.id: c for c in self._clauses}
        ranked = self._bm25.search(query, k, None)
        return [Hit(by_id[i], s, {"bm25": r}) for r, (i, s) in enumerate(ranked) if i in by_id]

    def bm25_index(self) -> BM25Index:
        return self._bm25

    def neighbours(self, clause: Clause, before: int = 1, after: int = 1) -> list[Clause]:
        lo, hi = clause.ordinal - max(0, before), clause.ordinal + max(0, after)
        return [c for c in self._clauses if c.document == clause.document and lo <= c.ordinal <= hi]

    def clauses(self, document: str) -> list[Clause]:
        return [c for c in self._clauses if c.document == document]

    def document_text(self, document: str) -> str:
        return self._text if document == self.document_id else str(self.store.document_text(document))

    def vendors(self) -> dict[str, str]:
        return dict(self.store.vendors())

    def vendor_aliases(self) -> dict[str, list[str]]:
        return dict(self.store.vendor_aliases())

    def generation(self) -> str:
        return f"{self.store.generation()}|{self.document_id}"

    def count(self) -> int:
        return len(self._clauses)


def version_clauses(
    asst: Any, document: str, version: VersionRecord
) -> tuple[list[Clause], list[list[float]], str]:
    """A past version's clauses, vectors and text: from the store when built before with these settings,
    else split with ingest's splitter, embedded with the assistant's embedder, and kept."""
    from ingest.document import build_clauses
    from ingest.pipeline import settings_fingerprint

    store, settings = asst.store, asst.settings
    fp = settings_fingerprint(settings, embeddings_name(asst.embeddings))
    text = store.version_text(document, version.label)
    kept = store.version_clauses(document, version.sha256, fp)
    if kept is not None and all(c.document == version.ref for c in kept[0]):
        return kept[0], kept[1], text
    rec = store.document(document)
    doc = Document(
        vendor=rec.vendor if rec else document.split("/", 1)[0],
        vendor_name=rec.vendor_name if rec else version.vendor_name,
        document=version.ref,
        text=text,
        sha256=version.sha256,
        language=rec.language if rec else version.language,
        version=version.label,
    )
    clauses = build_clauses(doc, settings)
    vectors = asst.embeddings.embed_documents([contextual_text(c) for c in clauses]) if clauses else []
    store.put_version_clauses(document, version.sha256, fp, clauses, vectors)
    return clauses, [list(v) for v in vectors], text


def version_reader(asst: Any, document: str, version: VersionRecord) -> VersionReader:
    """A store reader holding only one past version of a document (its clauses built on demand)."""
    clauses, vectors, text = version_clauses(asst, document, version)
    return VersionReader(asst.store, clauses, vectors, text)


def from_version(ans: Answer, document: str, version: VersionRecord) -> Answer:
    """An answer the engine gave over a past version, saying so (its citations name `document@label`)."""
    note = (
        f"From the version of {version.label} of {document} (not the current one)."
        if ans.language != "fr"
        else f"D'après la version du {version.label} de {document} (pas la version actuelle)."
    )
    ans.explanation = f"{note} {ans.explanation}".strip()
    ans.warn(WarningCode.VERSIONS, f"answered from {version.ref}")
    return ans


def resolve_version(
    store: Any, vendor: str, label: str, document: str | None = None
) -> tuple[str, VersionRecord]:
    """(document, version) for `ask --version LABEL [--document NAME]`: the named document's version, else
    the vendor's only document with such a version. VersionError (listing what exists) otherwise."""
    from assistant.diff.stored import find_document

    if document:
        doc = find_document(store, vendor, document)
        return doc, pick_version(store.versions(doc), label)
    found: list[tuple[str, VersionRecord]] = []
    for doc, vs in store.all_versions([vendor]).items():
        try:
            found.append((doc, pick_version(vs, label)))
        except VersionError:
            continue
    if len(found) == 1:
        return found[0]
    listing = "; ".join(
        f"{d.split('/', 1)[1]}: {', '.join(v.label for v in vs)}"
        for d, vs in store.all_versions([vendor]).items()
    )
    what = "several documents have" if found else "no document has"
    raise VersionError(f"{what} a version {label!r} (add --document NAME; versions: {listing or 'none'})")


def asked_version(question: str, store: Any, vendors: Sequence[str]) -> tuple[str, VersionRecord] | None:
    """The past version a question asks about ("what did the 2020 DPA say…", "dans la version de 2021"): a
    version cue, one vendor, a date, and a document with a version on or before it that is not the current
    one; None otherwise."""
    from assistant.changes import _when, named_documents

    if (
        len(vendors) != 1
        or not hasattr(store, "all_versions")
        or not _PAST.search(fold(question, apostrophes=True))
    ):
        return None
    when = _when(question)
    previous = bool(_PREVIOUS.search(fold(question)))
    if not when and not previous:
        return None
    listing = {d: vs for d, vs in store.all_versions([vendors[0]]).items() if len(vs) > 1}
    named = [d for s, d in named_documents(question, list(listing)) if s >= 1.0]
    docs = named or (list(listing) if len(listing) == 1 else [])
    if not docs:
        return None
    v = version_on_or_before(listing[docs[0]], when) if when else listing[docs[0]][-2]
    return (docs[0], v) if v is not None and not v.current else None
