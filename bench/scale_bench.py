"""Scale: a synthetic corpus of 2,000 contract-like documents ingested end to end (light embedder)."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any

from bench.context import BenchContext
from bench.measure import dir_size_bytes, run_worker

log = logging.getLogger(__name__)

EMBEDDER = "hashing"  # EmbeddingGemma runs ~10-20 chunks/s on 2 cores: 30k chunks would take an hour


def scale_worker(args: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process (for a clean peak RSS): generate the corpus, ingest it cold, then warm."""
    from bench.context import TimedEmbeddings, timed_store
    from bench.synth import generate_corpus
    from core.settings import load_settings
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import make_embeddings

    work = Path(args["workdir"])
    t = time.perf_counter()
    gen = generate_corpus(
        Path(args["sample"]), work / "corpus", n_documents=args["documents"], seed=args["seed"]
    )
    gen_s = time.perf_counter() - t
    settings = load_settings(
        corpus_dir=str(work / "corpus"),
        store_dir=str(work / "store"),
        vectorstore_url="",
        **{"embedding.kind": EMBEDDER},
    )
    t = time.perf_counter()
    emb = TimedEmbeddings(make_embeddings(settings.embedding))
    store = timed_store(settings, emb)
    report = run_ingest(settings, embeddings=emb, store=store, progress=False)
    cold_s = time.perf_counter() - t
    parts = {k: round(v, 3) for k, v in store.seconds.items()}
    parts["embed"] = round(emb.seconds, 3)
    parts["other (load, split, bookkeeping)"] = round(cold_s - sum(store.seconds.values()) - emb.seconds, 3)
    chunks = sum(e.clauses for e in report.entries)
    t = time.perf_counter()
    warm = run_ingest(settings, progress=False)
    warm_s = time.perf_counter() - t
    try:
        retrieval = _scale_retrieval(settings, emb.inner)
    except Exception as exc:  # noqa: BLE001 - keep the ingest figures when a retrieval measure fails
        log.exception("scale retrieval measures failed")
        retrieval = {"error": f"{type(exc).__name__}: {exc}"}
    return {
        "retrieval": retrieval,
        "generated": gen,
        "generate_s": round(gen_s, 3),
        "cold_s": round(cold_s, 3),
        "chunks": chunks,
        "counts": report.counts(),
        "cold_parts_s": parts,
        "store_calls": dict(store.calls),
        "warm_s": round(warm_s, 3),
        "warm_counts": warm.counts(),
        "store_bytes": dir_size_bytes(settings.store_dir),
    }


def _scale_retrieval(settings: Any, emb: Any) -> dict[str, Any]:
    """Retrieval over the 2,000-document store: per-query manifest read, dense (filtered and not), BM25,
    the whole Assistant.retrieve, and numpy over the same vectors."""
    import numpy as np

    from bench.context import QUESTIONS
    from bench.measure import latency_stats_ms, time_calls
    from bench.query_bench import numpy_topk
    from vectorstore.store import ClauseStore

    st = ClauseStore(settings, emb)
    k = settings.retrieval.k_dense
    qs = list(QUESTIONS)
    qv = [emb.embed_query(q) for q in qs]
    vendor = st.documents()[0].vendor  # one vendor's clauses: the exact-search path
    got = st.get_all(None, ["embeddings"])
    matrix = np.asarray(got["embeddings"], dtype=np.float32)
    out: dict[str, Any] = {
        "records": int(matrix.shape[0]),
        "k": k,
        "manifest_read": latency_stats_ms(time_calls(lambda _: st.documents(), [0] * 5)),
        "dense_search": latency_stats_ms(time_calls(lambda v: st.dense_search(v, k), qv)),
        "dense_search_vendor": latency_stats_ms(
            time_calls(lambda v: st.dense_search(v, k, vendors=[vendor]), qv)
        ),
        "vendor_clauses": sum(r.n_clauses for r in st.documents() if r.vendor == vendor),
        "chroma_query_unfiltered": latency_stats_ms(
            time_calls(
                lambda v: st.col.query(
                    query_embeddings=[v], n_results=k, include=["documents", "metadatas", "distances"]
                ),
                qv,
            )
        ),
        "numpy_bruteforce": latency_stats_ms(
            time_calls(lambda v: numpy_topk(matrix, np.asarray(v, dtype=np.float32), k), qv)
        ),
    }
    t = time.perf_counter()
    st.bm25_index()
    out["bm25_index_build_s"] = round(time.perf_counter() - t, 3)
    out["bm25_search"] = latency_stats_ms(time_calls(lambda q: st.bm25_search(q, k), qs))
    try:
        from assistant import Assistant

        a = Assistant(settings.replace(**{"llm.provider": "fake"}), store=st, embeddings=emb)
        out["retrieve_full"] = latency_stats_ms(time_calls(lambda q: a.retrieve(q), qs))
    except ImportError as exc:
        out["retrieve_full"] = None
        out["retrieve_note"] = f"assistant not importable: {exc}"
    return out


def run(ctx: BenchContext, n_docs: int | None = None) -> dict[str, Any]:
    """2,000 documents (200 when quick, or n_docs), hashing embedder, in a worker process."""
    n_docs = n_docs or (200 if ctx.quick else 2000)
    work = ctx.workdir / "scale"
    work.mkdir(parents=True, exist_ok=True)
    try:
        res, peak = run_worker(
            "scale",
            {"workdir": str(work), "sample": str(ctx.settings.corpus_dir), "documents": n_docs, "seed": 7},
            timeout_s=3600,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res.update(
        {
            "documents": n_docs,
            "embedder": EMBEDDER,
            "embedder_note": "scale ingest uses the hashing embedder (256-d, no model) so the run fits the "
            "time budget; splitting, store writes and the commit protocol are the real ones",
            "chunks_per_s": round(res["chunks"] / res["cold_s"], 1) if res["cold_s"] else None,
            "docs_per_s": round(n_docs / res["cold_s"], 2) if res["cold_s"] else None,
            "peak_rss_bytes": peak,
            "store_mib": round(res["store_bytes"] / 2**20, 1),
        }
    )
    return res
