"""Query: retrieval latency at 1x, 100x and 1,000x the sample corpus against brute-force numpy (the limit).

1x is the real store (real clause vectors). 100x copies the real records with perturbed vectors (real
vector + Gaussian noise, renormalised) straight into a Chroma collection of a separate store, with the
real manifest, so ClauseStore.dense_search runs its normal path over them. 1,000x (304,000 vectors) holds
synthetic vectors with only a `vendor` key and no clause text: writing the full records would take Chroma
over six minutes on 2 cores, and the part that grows with the corpus is the vector search itself (the k
records dense_search fetches afterwards cost the same at any size; measured at 100x).

The noise is chosen so that a copy is as close to its original as real clauses are to their nearest
neighbour (median cosine 0.83 in the sample corpus): tighter clusters of near-duplicates would make HNSW's
graph, and its recall, look worse than on real contracts.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from bench.context import QUESTIONS, BenchContext
from bench.measure import dir_size_bytes, latency_stats_ms, time_calls

log = logging.getLogger(__name__)

NOISE = 0.6  # a copy's cosine to its original is about 0.86 (real nearest neighbours: median 0.83)
ADD_BATCH = 5000
VECTORS_ONLY_FROM = 1000  # from this factor up, the scaled store holds vectors and a vendor key only


def numpy_topk(matrix: np.ndarray, vec: np.ndarray, k: int) -> np.ndarray:
    """Brute-force cosine top-k over unit vectors: one matrix-vector product and a partial sort."""
    scores = matrix @ vec
    k = min(k, len(scores))
    idx = np.argpartition(-scores, k - 1)[:k]
    return idx[np.argsort(-scores[idx])]


def _base_records(store: Any) -> dict[str, Any]:
    got = store.get_all(None, ["embeddings", "documents", "metadatas"])
    return {
        "ids": list(got["ids"]),
        "vectors": np.asarray(got["embeddings"], dtype=np.float32),
        "documents": list(got["documents"]),
        "metadatas": [dict(m) for m in got["metadatas"]],
    }


def perturbed_matrix(base_vecs: np.ndarray, factor: int, seed: int = 0) -> np.ndarray:
    """`factor` copies of the base vectors, the first exact and the others perturbed, renormalised."""
    rng = np.random.default_rng(seed)
    n, dim = base_vecs.shape
    out = np.empty((n * factor, dim), dtype=np.float32)
    out[:n] = base_vecs
    for c in range(1, factor):
        noisy = base_vecs + rng.standard_normal((n, dim)).astype(np.float32) * (NOISE / np.sqrt(dim))
        out[c * n : (c + 1) * n] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    return out


def nn_cosine_p50(matrix: np.ndarray, sample: int = 300, seed: int = 1) -> float:
    """Median cosine between a vector and its nearest other vector (over a sample of rows)."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(matrix), size=min(sample, len(matrix)), replace=False)
    sims = matrix[rows] @ matrix.T
    sims[np.arange(len(rows)), rows] = -1.0
    return round(float(np.median(sims.max(axis=1))), 3)


def scaled_vendors(base: dict[str, Any], factor: int) -> list[str]:
    """Vendor keys at `factor`x: copy c of a clause belongs to vendor "<vendor>~c" (a corpus 1,000 times
    larger has about 1,000 times more vendors, not 1,000 times larger ones); copy 0 keeps the real name."""
    return [m["vendor"] if c == 0 else f"{m['vendor']}~{c}" for c in range(factor) for m in base["metadatas"]]


def build_vectors_only(
    ctx: BenchContext, base: dict[str, Any], factor: int, seed: int = 0
) -> tuple[Any, list[str], np.ndarray, float]:
    """A Chroma collection (same HNSW settings as the clause collection) of synthetic vectors with only
    a `vendor` metadata key. Returns (collection, ids, matrix, seconds spent adding)."""
    from vectorstore.store import ClauseStore, make_client

    settings = ctx.sample_store().replace(store_dir=str(ctx.workdir / f"query-x{factor}"))
    client = make_client(settings)
    col = client.create_collection(
        f"{settings.collection}_vectors",
        embedding_function=None,
        configuration=ClauseStore.collection_configuration(),
    )
    matrix = perturbed_matrix(base["vectors"], factor, seed)
    n = len(base["ids"])
    ids = [f"v{i}" for i in range(n * factor)]
    vendors = [{"vendor": v} for v in scaled_vendors(base, factor)]
    t = time.perf_counter()
    for i in range(0, len(ids), ADD_BATCH):
        col.add(
            ids=ids[i : i + ADD_BATCH],
            embeddings=matrix[i : i + ADD_BATCH],
            metadatas=vendors[i : i + ADD_BATCH],
        )
    return col, ids, matrix, time.perf_counter() - t


def build_scaled_store(
    ctx: BenchContext, base: dict[str, Any], manifest: dict[str, Any], factor: int, seed: int = 0
) -> tuple[Any, list[str], np.ndarray, float]:
    """A store holding `factor` copies of the base records (the first exact, the others perturbed).

    Returns (the store, ids and vector matrix in the same order, seconds spent adding)."""
    from vectorstore.store import ClauseStore

    settings = ctx.sample_store().replace(store_dir=str(ctx.workdir / f"query-x{factor}"))
    store = ClauseStore(settings, ctx.embeddings())  # its own collections and client settings
    col, docs = store.col, store.docs
    docs.add(
        ids=manifest["ids"],
        documents=manifest["documents"],
        metadatas=manifest["metadatas"],
        embeddings=[[0.0]] * len(manifest["ids"]),
    )
    matrix = perturbed_matrix(base["vectors"], factor, seed)
    ids = [f"{i}~{c}" if c else i for c in range(factor) for i in base["ids"]]
    documents = base["documents"] * factor
    metadatas = [{**m, "id": i} for m, i in zip(base["metadatas"] * factor, ids, strict=True)]
    t = time.perf_counter()
    for i in range(0, len(ids), ADD_BATCH):
        col.add(
            ids=ids[i : i + ADD_BATCH],
            embeddings=matrix[i : i + ADD_BATCH],
            documents=documents[i : i + ADD_BATCH],
            metadatas=metadatas[i : i + ADD_BATCH],
        )
    add_s = time.perf_counter() - t
    return store, ids, matrix, add_s


def _measure(
    store: Any,
    ids: list[str],
    matrix: np.ndarray,
    questions: list[str],
    qvecs: list[np.ndarray],
    k: int,
    repeat: int,
    with_bm25: bool,
) -> dict[str, Any]:
    """Latencies of dense_search, an unfiltered Chroma query and numpy over the same vectors (+ BM25)."""
    out: dict[str, Any] = {"records": int(matrix.shape[0])}
    dense = time_calls(lambda v: store.dense_search(v.tolist(), k), qvecs, repeat=repeat)
    raw = time_calls(
        lambda v: store.col.query(
            query_embeddings=[v.tolist()], n_results=k, include=["documents", "metadatas", "distances"]
        ),
        qvecs,
        repeat=repeat,
    )
    brute = time_calls(lambda v: numpy_topk(matrix, v, k), qvecs, repeat=repeat)
    out["dense_search"] = latency_stats_ms(dense)
    out["chroma_query_unfiltered"] = latency_stats_ms(raw)
    out["numpy_bruteforce"] = latency_stats_ms(brute)
    out["chroma_query_ids_only"] = latency_stats_ms(
        time_calls(
            lambda v: store.col.query(query_embeddings=[v.tolist()], n_results=k, include=["distances"]),
            qvecs,
            repeat=repeat,
        )
    )
    for q in ("p50", "p95"):
        lim = out["numpy_bruteforce"][f"{q}_ms"]
        out[f"ratio_{q}"] = round(out["dense_search"][f"{q}_ms"] / lim, 2) if lim else None
    rec = _recall(
        lambda v: store.col.query(query_embeddings=[v.tolist()], n_results=k, include=[]),
        ids,
        matrix,
        qvecs,
        k,
        n_base=len({i.split("~")[0] for i in ids}),
    )
    out["hnsw_recall_at_k"], out["hnsw_clause_recall_at_k"] = rec["ids"], rec["clauses"]
    if with_bm25:
        t = time.perf_counter()
        store.bm25_index()
        out["bm25_index_build_s"] = round(time.perf_counter() - t, 3)
        out["bm25_search"] = latency_stats_ms(
            time_calls(lambda q: store.bm25_search(q, k), questions, repeat=repeat)
        )
    return out


def _recall(
    query: Any, ids: list[str], matrix: np.ndarray, qvecs: list[np.ndarray], k: int, n_base: int
) -> dict[str, float]:
    """HNSW is approximate. `ids`: the share of numpy's exact top-k that the index's top-k holds. `clauses`:
    the same over the original clauses the hits are copies of. Copies of one clause differ by noise only,
    so the exact top-k at 1,000x is 30 near-tied copies of the best one or two clauses, and which copies
    come back is chance; what matters to an answer is whether the right clauses do."""
    pos = {i: j for j, i in enumerate(ids)}
    strict, base = [], []
    for v in qvecs:
        exact = [int(i) for i in numpy_topk(matrix, v, k)]
        got = [pos[i] for i in query(v)["ids"][0] if i in pos]
        strict.append(len(set(exact) & set(got)) / max(1, len(exact)))
        exact_base = {i % n_base for i in exact}
        base.append(len(exact_base & {i % n_base for i in got}) / max(1, len(exact_base)))
    return {"ids": round(float(np.mean(strict)), 4), "clauses": round(float(np.mean(base)), 4)}


def _measure_vectors_only(
    col: Any,
    ids: list[str],
    matrix: np.ndarray,
    vendors: list[str],
    qvecs: list[np.ndarray],
    k: int,
    repeat: int,
    n_base: int,
) -> dict[str, Any]:
    """Vector search alone at a size where full clause records are not written: Chroma's HNSW query
    (unfiltered, and filtered to one vendor as the assistant does) against numpy over the same vectors."""
    vendor = max(set(vendors[:n_base]), key=vendors[:n_base].count)  # the sample corpus's largest vendor
    mask = np.asarray([v == vendor for v in vendors])
    sub = matrix[mask]

    def query(v: np.ndarray, where: dict[str, Any] | None = None) -> Any:
        return col.query(query_embeddings=[v.tolist()], n_results=k, where=where, include=["distances"])

    out: dict[str, Any] = {"records": int(matrix.shape[0]), "vectors_only": True}
    out["chroma_query_unfiltered"] = latency_stats_ms(time_calls(query, qvecs, repeat=repeat))
    out["numpy_bruteforce"] = latency_stats_ms(
        time_calls(lambda v: numpy_topk(matrix, v, k), qvecs, repeat=repeat)
    )
    out["chroma_query_vendor"] = latency_stats_ms(
        time_calls(lambda v: query(v, {"vendor": vendor}), qvecs, repeat=repeat)
    )
    # the vendor's vectors held apart, as dense_search's exact path caches them
    out["numpy_vendor"] = latency_stats_ms(time_calls(lambda v: numpy_topk(sub, v, k), qvecs, repeat=repeat))
    out["vendor_filter"] = {"vendor": vendor, "records": int(mask.sum())}
    for q in ("p50", "p95"):
        lim = out["numpy_bruteforce"][f"{q}_ms"]
        out[f"ratio_{q}"] = round(out["chroma_query_unfiltered"][f"{q}_ms"] / lim, 2) if lim else None
    rec = _recall(query, ids, matrix, qvecs, k, n_base)
    out["hnsw_recall_at_k"], out["hnsw_clause_recall_at_k"] = rec["ids"], rec["clauses"]
    rec = _recall(
        lambda v: query(v, {"vendor": vendor}),
        [i for i, keep in zip(ids, mask, strict=True) if keep],
        sub,
        qvecs,
        k,
        n_base,
    )
    out["hnsw_recall_at_k_vendor"], out["hnsw_clause_recall_at_k_vendor"] = rec["ids"], rec["clauses"]
    return out


def _server_mode(
    ctx: BenchContext,
    base: dict[str, Any],
    manifest: dict[str, Any],
    questions: list[str],
    qvecs: list[np.ndarray],
    k: int,
    repeat: int,
) -> dict[str, Any]:
    """The 1x records in a Chroma server on loopback: dense_search and bm25_search over HTTP."""
    from bench.chroma_server import ChromaServer
    from vectorstore.store import ClauseStore

    with ChromaServer(ctx.workdir / "chroma-server") as srv:
        s = ctx.sample_store().replace(vectorstore_url=srv.url, cache_dir=str(ctx.workdir / "server-cache"))
        st = ClauseStore(s, ctx.embeddings())
        st.docs.add(
            ids=manifest["ids"],
            documents=manifest["documents"],
            metadatas=manifest["metadatas"],
            embeddings=[[0.0]] * len(manifest["ids"]),
        )
        for i in range(0, len(base["ids"]), ADD_BATCH):
            st.col.add(
                ids=base["ids"][i : i + ADD_BATCH],
                embeddings=base["vectors"][i : i + ADD_BATCH],
                documents=base["documents"][i : i + ADD_BATCH],
                metadatas=base["metadatas"][i : i + ADD_BATCH],
            )
        dense = time_calls(lambda v: st.dense_search(v.tolist(), k), qvecs, repeat=repeat)
        st.bm25_index()
        bm25 = time_calls(lambda q: st.bm25_search(q, k), questions, repeat=repeat)
        return {
            "url": "loopback",
            "dense_search": latency_stats_ms(dense),
            "bm25_search": latency_stats_ms(bm25),
        }


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
    manifest = {
        "ids": list(got["ids"]),
        "documents": list(got["documents"]),
        "metadatas": [dict(m) for m in got["metadatas"]],
    }
    n_base = len(base["ids"])
    result: dict[str, Any] = {
        "base_chunks": n_base,
        "k": k,
        "questions": len(questions),
        "repeat": repeat,
        "query_embedding": latency_stats_ms(qtimes),
        "vectors": "1x: real clause vectors; larger: real vectors plus perturbed copies "
        f"(Gaussian noise of norm {NOISE}, renormalised) with the real texts",
        "sizes": {},
    }
    ctx.extra["partial_query"] = result  # filled in as sizes complete (kept if the run is interrupted)
    x1 = _measure(store, base["ids"], base["vectors"], questions, qvecs, k, repeat, with_bm25=True)
    x1["store_bytes"] = dir_size_bytes(settings.store_dir)
    try:
        from assistant import Assistant

        fake = settings.replace(**{"llm.provider": "fake"})
        assistant = Assistant(fake, store=store, embeddings=emb)
        x1["retrieve_full"] = latency_stats_ms(
            time_calls(lambda q: assistant.retrieve(q), questions, repeat=repeat)
        )
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
    factors = (
        list(ctx.query_factors) if ctx.query_factors is not None else ([10] if ctx.quick else [100, 1000])
    )
    result["nn_cosine_p50_real"] = nn_cosine_p50(base["vectors"])
    for factor in factors:
        log.info("query: building the %dx store (%d records)", factor, factor * n_base)
        if factor >= VECTORS_ONLY_FROM:
            col, ids, matrix, add_s = build_vectors_only(ctx, base, factor)
            m = _measure_vectors_only(
                col, ids, matrix, scaled_vendors(base, factor), qvecs, k, repeat, n_base
            )
            m["note"] = (
                "vectors only (a vendor key, no clause text): Chroma's HNSW query against numpy; "
                "dense_search's fetch of the k records does not grow with the corpus (see 100x)"
            )
        else:
            st2, ids, matrix, add_s = build_scaled_store(ctx, base, manifest, factor)
            m = _measure(st2, ids, matrix, questions, qvecs, k, repeat, with_bm25=True)
            del st2
        m["nn_cosine_p50"] = nn_cosine_p50(matrix)
        m["build_add_s"] = round(add_s, 2)
        m["build_records_per_s"] = round(matrix.shape[0] / add_s, 1) if add_s else None
        m["store_bytes"] = dir_size_bytes(ctx.workdir / f"query-x{factor}")
        result["sizes"][f"{factor}x"] = m
        del matrix
    return result
