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
    gen = generate_corpus(Path(args["sample"]), work / "corpus", n_documents=args["documents"],
                          seed=args["seed"])
    gen_s = time.perf_counter() - t
    settings = load_settings(corpus_dir=str(work / "corpus"), store_dir=str(work / "store"),
                             vectorstore_url="", **{"embedding.kind": EMBEDDER})
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
    return {"generated": gen, "generate_s": round(gen_s, 3), "cold_s": round(cold_s, 3), "chunks": chunks,
            "counts": report.counts(), "cold_parts_s": parts, "store_calls": dict(store.calls), "warm_s": round(warm_s, 3), "warm_counts": warm.counts(),
            "store_bytes": dir_size_bytes(settings.store_dir)}


def run(ctx: BenchContext) -> dict[str, Any]:
    """2,000 documents (200 when quick), hashing embedder, in a worker process."""
    n_docs = 200 if ctx.quick else 2000
    work = ctx.workdir / "scale"
    work.mkdir(parents=True, exist_ok=True)
    try:
        res, peak = run_worker("scale", {"workdir": str(work), "sample": str(ctx.settings.corpus_dir),
                                         "documents": n_docs, "seed": 7}, timeout_s=1800)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res.update({"documents": n_docs, "embedder": EMBEDDER,
                "embedder_note": "scale ingest uses the hashing embedder (256-d, no model) so the run fits the "
                                 "time budget; splitting, store writes and the commit protocol are the real ones",
                "chunks_per_s": round(res["chunks"] / res["cold_s"], 1) if res["cold_s"] else None,
                "docs_per_s": round(n_docs / res["cold_s"], 2) if res["cold_s"] else None,
                "peak_rss_bytes": peak, "store_mib": round(res["store_bytes"] / 2**20, 1)})
    return res
