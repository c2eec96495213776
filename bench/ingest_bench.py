"""Ingest: the sample corpus into a fresh store, cold and warm, against the embedder alone (the limit)."""

from __future__ import annotations

import logging
import time
from typing import Any

from bench.context import BenchContext, TimedEmbeddings, timed_store
from bench.measure import dir_size_bytes

log = logging.getLogger(__name__)

TARGET_RATIO = 1.2
WARM_TARGET_S = 2.0


def run(ctx: BenchContext) -> dict[str, Any]:
    """Time cold and warm ingest and the bare encode of the same contextual texts with the same batch size."""
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import embeddings_name
    from vectorstore.store import ClauseStore, contextual_text

    emb = ctx.embeddings()
    settings = ctx.settings.replace(
        corpus_dir=str(ctx.corpus_dir()), store_dir=str(ctx.workdir / "sample-store"), vectorstore_url=None
    )
    timed = TimedEmbeddings(emb)
    t, c = time.perf_counter(), time.process_time()
    tstore = timed_store(settings, timed)
    report = run_ingest(settings, embeddings=timed, store=tstore, progress=False)
    cold_s, cold_cpu = time.perf_counter() - t, time.process_time() - c
    store_parts = {k: round(v, 3) for k, v in tstore.seconds.items()}
    embed_in_ingest_s, embed_calls = timed.seconds, timed.calls
    ctx.sample_settings = settings

    store = ClauseStore(settings, emb)
    texts = [contextual_text(c) for c in store.all_clauses()]
    t, c = time.perf_counter(), time.process_time()
    emb.embed_documents(texts)  # one call: the embedder batches with settings.embedding.batch_size
    encode_s, encode_cpu = time.perf_counter() - t, time.process_time() - c

    timed.reset()
    t = time.perf_counter()
    warm = run_ingest(settings, embeddings=timed, progress=False)
    warm_s = time.perf_counter() - t

    counts = report.counts()
    return {
        "corpus": str(settings.corpus_dir),
        "documents": counts.get("added", 0),
        "chunks": len(texts),
        "embedder": embeddings_name(emb),
        "embedding_batch_size": settings.embedding.batch_size,
        "embedding_dtype": settings.embedding.dtype
        if settings.embedding.kind == "sentence-transformers"
        else settings.embedding.kind,
        "embedder_load_s": round(ctx.embeddings_load_s or 0.0, 3),
        "cold_s": round(cold_s, 3),
        "encode_limit_s": round(encode_s, 3),
        "ratio_cold": round(cold_s / encode_s, 3) if encode_s else None,
        "target_ratio": TARGET_RATIO,
        "cold_cpu_s": round(cold_cpu, 3),
        "encode_cpu_s": round(encode_cpu, 3),
        "ratio_cold_cpu": round(cold_cpu / encode_cpu, 3) if encode_cpu else None,
        "embed_time_inside_ingest_s": round(embed_in_ingest_s, 3),
        "embed_calls_inside_ingest": embed_calls,
        "non_embed_ingest_s": round(cold_s - embed_in_ingest_s, 3),
        "store_parts_s": store_parts,
        "encode_chunks_per_s": round(len(texts) / encode_s, 2) if encode_s else None,
        "warm_s": round(warm_s, 3),
        "warm_target_s": WARM_TARGET_S,
        "warm_embed_calls": timed.calls,
        "warm_counts": warm.counts(),
        "store_bytes": dir_size_bytes(settings.store_dir),
        "ok": bool(encode_s and cold_s / encode_s <= TARGET_RATIO and warm_s <= WARM_TARGET_S),
    }
