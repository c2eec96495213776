"""Query: retrieval latency at 1x, 100x and 1,000x the sample corpus against brute-force numpy (the limit).

1x is the real store (real clause vectors). Larger sizes copy the real records with perturbed vectors
(real vector + Gaussian noise of norm ~0.35, renormalised) straight into a Chroma collection of a
separate store, with the real manifest, so ClauseStore.dense_search runs its normal path over them.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from bench.context import QUESTIONS, BenchContext
from bench.measure import dir_size_bytes, latency_stats_ms, time_calls

log = logging.getLogger(__name__)

NOISE = 0.35
ADD_BATCH = 5000


def numpy_topk(matrix: np.ndarray, vec: np.ndarray, k: int) -> np.ndarray:
    """Brute-force cosine top-k over unit vectors: one matrix-vector product and a partial sort."""
    scores = matrix @ vec
    k = min(k, len(scores))
    idx = np.argpartition(-scores, k - 1)[:k]
    return idx[np.argsort(-scores[idx])]


def _base_records(store: Any) -> dict[str, Any]:
    got = store.col.get(include=["embeddings", "documents", "metadatas"])
    return {"ids": list(got["ids"]), "vectors": np.asarray(got["embeddings"], dtype=np.float32),
            "documents": list(got["documents"]), "metadatas": [dict(m) for m in got["metadatas"]]}


def build_scaled_store(ctx: BenchContext, base: dict[str, Any], manifest: dict[str, Any], factor: int,
                       seed: int = 0) -> tuple[Any, list[str], np.ndarray, float]:
    """A store holding `factor` copies of the base records (the first exact, the others perturbed).

    Returns (the store, ids and vector matrix in the same order, seconds spent adding)."""
    from vectorstore.store import ClauseStore

    settings = ctx.sample_store().replace(store_dir=str(ctx.workdir / f"query-x{factor}"))
    store = ClauseStore(settings, ctx.embeddings())  # its own collections and client settings
    col, docs = store.col, store.docs
    docs.add(ids=manifest["ids"], documents=manifest["documents"], metadatas=manifest["metadatas"],
             embeddings=[[0.0]] * len(manifest["ids"]))
    rng = np.random.default_rng(seed)
    base_vecs = base["vectors"]
    n, dim = base_vecs.shape
    parts = [base_vecs]
    for _ in range(1, factor):
        noisy = base_vecs + rng.standard_normal((n, dim)).astype(np.float32) * (NOISE / np.sqrt(dim))
        parts.append(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
    matrix = np.concatenate(parts)
    ids = [f"{i}~{c}" if c else i for c in range(factor) for i in base["ids"]]
    documents = base["documents"] * factor
    metadatas = [{**m, "id": i} for m, i in zip(base["metadatas"] * factor, ids, strict=True)]
    t = time.perf_counter()
    for i in range(0, len(ids), ADD_BATCH):
        col.add(ids=ids[i:i + ADD_BATCH], embeddings=matrix[i:i + ADD_BATCH],
                documents=documents[i:i + ADD_BATCH], metadatas=metadatas[i:i + ADD_BATCH])
    add_s = time.perf_counter() - t
    return store, ids, matrix, add_s


def _measure(store: Any, ids: list[str], matrix: np.ndarray, questions: list[str], qvecs: list[np.ndarray],
             k: int, repeat: int, with_bm25: bool) -> dict[str, Any]:
    """Latencies of dense_search, an unfiltered Chroma query and numpy over the same vectors (+ BM25)."""
    out: dict[str, Any] = {"records": int(matrix.shape[0])}
    dense = time_calls(lambda v: store.dense_search(v.tolist(), k), qvecs, repeat=repeat)
    raw = time_calls(lambda v: store.col.query(query_embeddings=[v.tolist()], n_results=k,
                                               include=["documents", "metadatas", "distances"]),
                     qvecs, repeat=repeat)
    brute = time_calls(lambda v: numpy_topk(matrix, v, k), qvecs, repeat=repeat)
    out["dense_search"] = latency_stats_ms(dense)
    out["chroma_query_unfiltered"] = latency_stats_ms(raw)
    out["numpy_bruteforce"] = latency_stats_ms(brute)
    for q in ("p50", "p95"):
        lim = out["numpy_bruteforce"][f"{q}_ms"]
        out[f"ratio_{q}"] = round(out["dense_search"][f"{q}_ms"] / lim, 2) if lim else None
    # HNSW is approximate: the share of numpy's exact top-k that the store's top-k holds
    recalls = []
    for v in qvecs:
        res = store.col.query(query_embeddings=[v.tolist()], n_results=k, include=[])
        exact = {ids[i] for i in numpy_topk(matrix, v, k)}
        recalls.append(len(exact & set(res["ids"][0])) / max(1, len(exact)))
    out["hnsw_recall_at_k"] = round(float(np.mean(recalls)), 4)
    if with_bm25:
        t = time.perf_counter()
        store.bm25_index()
        out["bm25_index_build_s"] = round(time.perf_counter() - t, 3)
        out["bm25_search"] = latency_stats_ms(time_calls(lambda q: store.bm25_search(q, k), questions,
                                                         repeat=repeat))
    return out


def _server_mode(ctx: BenchContext, base: dict[str, Any], manifest: dict[str, Any], questions: list[str],
                 qvecs: list[np.ndarray], k: int, repeat: int) -> dict[str, Any]:
    """The 1x records in a Chroma server on loopback: dense_search and bm25_search over HTTP."""
    from bench.chroma_server import ChromaServer
    from vectorstore.store import ClauseStore

    with ChromaServer(ctx.workdir / "chroma-server") as srv:
        s = ctx.sample_store().replace(vectorstore_url=srv.url, cache_dir=str(ctx.workdir / "server-cache"))
        st = ClauseStore(s, ctx.embeddings())
        st.docs.add(ids=manifest["ids"], documents=manifest["documents"], metadatas=manifest["metadatas"],
                    embeddings=[[0.0]] * len(manifest["ids"]))
        for i in range(0, len(base["ids"]), ADD_BATCH):
            st.col.add(ids=base["ids"][i:i + ADD_BATCH], embeddings=base["vectors"][i:i + ADD_BATCH],
                       documents=base["documents"][i:i + ADD_BATCH], metadatas=base["metadatas"][i:i + ADD_BATCH])
        dense = time_calls(lambda v: st.dense_search(v.tolist(), k), qvecs, repeat=repeat)
        st.bm25_index()
        bm25 = time_calls(lambda q: st.bm25_search(q, k), questions, repeat=repeat)
        return {"url": "loopback", "dense_search": latency_stats_ms(dense), "bm25_search": latency_stats_ms(bm25)}


def run(ctx: BenchContext) -> dict[str, Any]:
    """Latency of dense search (and BM25 and the whole retrieve at 1x) per corpus size, vs numpy."""
    from vectorstore.store import ClauseStore

    emb = ctx.embeddings()
    settings = ctx.sample_store()
    store = ClauseStore(settings, emb)
    k = settings.retrieval.k_dense
    questions = list(QUESTIONS)
    repeat = 2 if ctx.quick else 3

    def embed(q: str) -> np.ndarray:
        return np.asarray(emb.embed_query(q), dtype=np.float32)

    qtimes = time_calls(embed, questions, repeat=1)
    qvecs = [embed(q) for q in questions]
    base = _base_records(store)
    got = store.docs.get(include=["documents", "metadatas"])
    manifest = {"ids": list(got["ids"]), "documents": list(got["documents"]),
                "metadatas": [dict(m) for m in got["metadatas"]]}
    n_base = len(base["ids"])
    result: dict[str, Any] = {"base_chunks": n_base, "k": k, "questions": len(questions), "repeat": repeat,
                              "query_embedding": latency_stats_ms(qtimes),
                              "vectors": "1x: real clause vectors; larger: real vectors plus perturbed copies "
                                         f"(Gaussian noise of norm {NOISE}, renormalised) with the real texts",
                              "sizes": {}}
    ctx.extra["partial_query"] = result  # filled in as sizes complete (kept if the run is interrupted)
    x1 = _measure(store, base["ids"], base["vectors"], questions, qvecs, k, repeat, with_bm25=True)
    x1["store_bytes"] = dir_size_bytes(settings.store_dir)
    try:
        from assistant import Assistant

        fake = settings.replace(**{"llm.provider": "fake"})
        assistant = Assistant(fake, store=store, embeddings=emb)
        x1["retrieve_full"] = latency_stats_ms(time_calls(lambda q: assistant.retrieve(q), questions,
                                                          repeat=repeat))
        x1["retrieve_full_note"] = "assistant.Assistant.retrieve: query embedding + dense + BM25 + fusion"
    except ImportError as exc:
        x1["retrieve_full"] = None
        x1["retrieve_full_note"] = f"assistant not importable: {exc}"
    result["sizes"]["1x"] = x1
    try:
        result["server_1x"] = _server_mode(ctx, base, manifest, questions, qvecs, k, repeat)
    except Exception as exc:  # noqa: BLE001 - the server is optional for the other numbers
        log.warning("query: server-mode measure failed: %s", exc)
        result["server_1x"] = {"error": f"{type(exc).__name__}: {exc}"}
    factors = [10] if ctx.quick else [100, 1000]
    for factor in factors:
        log.info("query: building the %dx store (%d records)", factor, factor * n_base)
        st2, ids, matrix, add_s = build_scaled_store(ctx, base, manifest, factor)
        m = _measure(st2, ids, matrix, questions, qvecs, k, repeat, with_bm25=factor <= 100)
        m["build_add_s"] = round(add_s, 2)
        m["build_records_per_s"] = round(matrix.shape[0] / add_s, 1) if add_s else None
        m["store_bytes"] = dir_size_bytes(st2.settings.store_dir)
        if factor > 100:
            m["bm25_note"] = "BM25 not measured at this size (index build over every clause text)"
        result["sizes"][f"{factor}x"] = m
        del st2, matrix
    return result
