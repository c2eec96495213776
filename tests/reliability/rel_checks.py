"""Store invariants checked after every crash, fault or hostile input: whole document versions only,
no duplicates, store API and raw Chroma sqlite agree, and (after a completed ingest) store == corpus."""

from __future__ import annotations

import hashlib
from collections import Counter

from rel_harness import fresh_chroma, raw_records

from core.settings import Settings
from core.types import Document


def check_store_consistent(
    settings: Settings, versions: dict[str, set[str]] | None = None, corpus_exact: bool = False
) -> dict[str, int]:
    """The invariants after any crash: every visible clause belongs to a whole version of its document,
    no duplicates, store API == raw sqlite. With `corpus_exact`, the store also equals the corpus."""
    from ingest.discover import IGNORED_NAMES
    from ingest.document import build_clauses
    from vectorstore.embeddings import HashingEmbeddings
    from vectorstore.store import ClauseStore

    fresh_chroma()
    emb = HashingEmbeddings()
    store = ClauseStore(settings, emb)
    docs = store.documents()
    names = [r.document for r in docs]
    assert len(names) == len(set(names)), "duplicate manifest records"
    raw_docs = raw_records(settings.store_dir, f"{settings.collection}_docs")
    assert sorted(r.id for r in raw_docs) == sorted(names), "store API and raw sqlite disagree on documents"
    raw = raw_records(settings.store_dir, settings.collection)
    ids = Counter(r.id for r in raw)
    assert not [i for i, n in ids.items() if n > 1], "duplicate clause ids in raw sqlite"
    keys = Counter((r.meta.get("document"), r.meta.get("doc_sha256"), r.meta.get("ordinal")) for r in raw)
    assert not [k for k, n in keys.items() if n > 1], "two records for one (document, version, ordinal)"
    current = {r.document: r.sha256 for r in docs}
    visible = 0
    for rec in docs:
        text = store.document_text(rec.document)
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == rec.sha256, (
            f"{rec.document}: text/sha mismatch"
        )
        if versions is not None:
            assert rec.source_sha256 in versions.get(rec.document, set()), (
                f"{rec.document}: stored version matches no version ever written"
            )
        clauses = store.clauses(rec.document)
        assert len(clauses) == rec.n_clauses, (
            f"{rec.document}: {len(clauses)} clauses, manifest {rec.n_clauses}"
        )
        doc = Document(
            vendor=rec.vendor,
            vendor_name=rec.vendor_name,
            document=rec.document,
            text=text,
            sha256=rec.sha256,
            language=rec.language,
            source_sha256=rec.source_sha256,
        )
        expected = build_clauses(doc, settings)
        assert [(c.id, c.start, c.end) for c in clauses] == [(c.id, c.start, c.end) for c in expected], (
            f"{rec.document}: stored clauses are not the whole version's clauses"
        )
        for c in clauses:
            assert text[c.start : c.end] == c.text
        raw_current = [
            r
            for r in raw
            if r.meta.get("document") == rec.document and r.meta.get("doc_sha256") == rec.sha256
        ]
        assert len(raw_current) == rec.n_clauses, (
            f"{rec.document}: raw sqlite has {len(raw_current)} current records"
        )
        for r in raw_current:
            assert r.document == text[r.meta["start"] : r.meta["end"]], "raw clause text is not its slice"
        visible += len(clauses)
    everything = store.all_clauses()
    assert len(everything) == visible and len({c.id for c in everything}) == visible
    # searches only ever return current clauses, each once
    for q in ("données résiliation préavis", "liability data breach", "avenant"):
        for hits in (store.dense_search(emb.embed_query(q), 20), store.bm25_search(q, 20)):
            hit_ids = [h.clause.id for h in hits]
            assert len(hit_ids) == len(set(hit_ids)), "a search returned a clause twice"
            for h in hits:
                assert current.get(h.clause.document) == h.clause.doc_sha256, "search returned a stale clause"
    orphans = store.orphan_ids()
    if corpus_exact:
        corpus = settings.corpus_dir
        files = {
            p.relative_to(corpus).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in corpus.rglob("*")
            if p.is_file() and p.name not in IGNORED_NAMES
        }
        assert {r.document: r.source_sha256 for r in docs} == files, "store differs from the corpus"
        assert not orphans, f"{len(orphans)} orphan clause records left after a completed ingest"
        assert len(raw) == visible
    del store
    fresh_chroma()
    return {"documents": len(docs), "clauses": visible, "orphans": len(orphans)}
