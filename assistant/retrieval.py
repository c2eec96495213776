"""Hybrid retrieval over the ClauseStore: dense + BM25 + glossary-translated BM25, fused by weighted reciprocal
rank (hand-set weights, or weights fitted on the dev split: assistant/fusion.py), per vendor when a question fans
out, with neighbour-clause expansion for clauses that continue."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.embeddings import Embeddings

from assistant.fusion import Fusion, rrf_fuse
from assistant.glossary import translate_terms
from assistant.scope import Scope
from assistant.vendors import mentions_in, strip_mentions
from core.settings import RetrievalSettings
from core.text import detect_language
from core.types import Clause, Hit

# List items: bullets, "a)", "(b)", "(iv)", "2)"; not "3. Title" (numbered headings start new clauses).
_LIST_START = re.compile(r"^\s*(?:[-•–—*▪●]\s|\(?[a-z]\)\s|\(?[ivx]{1,4}\)\s|\(?\d{1,2}\)\s)")


class StoreReader(Protocol):
    """The read API of vectorstore.store.ClauseStore that retrieval needs."""

    def dense_search(
        self, query_vector: Sequence[float], k: int, vendors: Sequence[str] | None = None
    ) -> list[Hit]: ...

    def bm25_search(self, query: str, k: int, vendors: Sequence[str] | None = None) -> list[Hit]: ...

    def neighbours(self, clause: Clause, before: int = 1, after: int = 1) -> list[Clause]: ...


@dataclass
class Retrieval:
    """What retrieve() found: hits best first, the vendors used, the question's language, an unknown vendor
    named in the question, timings, and the best dense score per vendor group (for abstention)."""

    question: str
    hits: list[Hit]
    vendors: list[str]
    language: str
    unknown_vendor: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    fan_out: bool = False
    best_dense: dict[str, float] = field(default_factory=dict)  # vendor (or "*") -> best dense score
    query_vector: list[float] | None = None
    mentions: list[Any] = field(default_factory=list)


def continues(clause: Clause, nxt: Clause | None) -> bool:
    """True when `nxt` completes `clause`: the clause ends with ":" or `nxt` is a list item."""
    if nxt is None:
        return False
    if clause.text.rstrip().endswith(":"):
        return True
    return bool(_LIST_START.match(nxt.text)) and nxt.section == clause.section


def search_group(
    store: StoreReader,
    question: str,
    query_vector: Sequence[float],
    vendors: list[str] | None,
    k_dense: int,
    k_bm25: int,
    fusion: Fusion,
    limit: int,
) -> tuple[list[Hit], float]:
    """Fused hits for one vendor group, and the group's best dense score. The dense search always runs
    (its best score feeds abstention); a lexical list whose fusion weight is 0 is not searched."""
    dense = store.dense_search(query_vector, k_dense, vendors=vendors)
    ranked: dict[str, list[Hit]] = {"dense": dense} if fusion.weight("dense") > 0 else {}
    if fusion.weight("bm25") > 0:
        ranked["bm25"] = store.bm25_search(question, k_bm25, vendors=vendors)
    extra = translate_terms(question) if fusion.weight("bm25_glossary") > 0 else []
    if extra:
        ranked["bm25_glossary"] = store.bm25_search(" ".join(extra), k_bm25, vendors=vendors)
    fused = rrf_fuse(ranked, k=fusion.rrf_k, weights=fusion.weights, limit=limit)
    best = max((h.score for h in dense), default=0.0)
    dense_score = {h.clause.id: h.score for h in dense}
    for h in fused:  # keep the dense similarity next to the fused score, for thresholds and reranking
        if h.clause.id in dense_score:
            h.sources["dense_score_x1000"] = int(round(dense_score[h.clause.id] * 1000))
    return fused, best


def interleave(groups: Sequence[list[Hit]]) -> list[Hit]:
    """Round-robin merge of per-vendor lists, so each vendor's best evidence comes early."""
    out: list[Hit] = []
    seen: set[str] = set()
    for i in range(max((len(g) for g in groups), default=0)):
        for g in groups:
            if i < len(g) and g[i].clause.id not in seen:
                seen.add(g[i].clause.id)
                out.append(g[i])
    return out


class NeighbourReader(Protocol):
    def neighbours(self, clause: Clause, before: int = 1, after: int = 1) -> list[Clause]: ...


def expand_neighbours(store: NeighbourReader, hits: Sequence[Hit], max_after: int = 2) -> list[Hit]:
    """Insert, after each hit, the following clauses that continue it (list items after a ":")."""
    out: list[Hit] = []
    seen = {h.clause.id for h in hits}
    for h in hits:
        out.append(h)
        try:
            around = store.neighbours(h.clause, 0, max_after)
        except Exception:  # a store without neighbours must not break retrieval
            continue
        prev = h.clause
        for rank, nb in enumerate(c for c in around if c.ordinal > h.clause.ordinal):
            if not continues(prev, nb):
                break
            if nb.id not in seen:
                seen.add(nb.id)
                out.append(Hit(clause=nb, score=h.score * 0.999, sources={"neighbour_of": rank}))
            prev = nb
    return out


def search_text(question: str, scope: Scope, mentions: Sequence[Any]) -> str:
    """What is searched for: the question without the vendor names it mentions once retrieval is filtered to
    those vendors. There a name only adds noise: to the lexical match, and to the dense query, whose
    similarity then favours the sentences that name the vendor whatever they say ("Chez Humanlinker, quelle
    langue fait foi ?" ranked "Humanlinker ne conserve aucune donnée bancaire." above "En cas de traduction,
    la version française prévaut."), and more for a vendor whose documents name themselves than for one
    whose say "we" or "le Prestataire". Measured on the dev split (`python -m evals.fit_ranker --folds`, AMD
    EPYC family 25 model 17, 2026-12-07): the sentence ranker's held-out top-1 over left-out vendors 0.613
    -> 0.731 fitted, 0.632 -> 0.660 for the hand-set weights. A question that is only a name is searched as
    it is."""
    if not scope.vendors or not mentions:
        return question
    stripped = strip_mentions(question, mentions)
    return stripped if re.search(r"\w", stripped) else question


def retrieve(
    question: str,
    scope: Scope,
    store: StoreReader,
    embeddings: Embeddings,
    fusion: Fusion,
    settings: RetrievalSettings,
    neighbours: NeighbourReader | None = None,
    k: int | None = None,
) -> Retrieval:
    """Hybrid retrieval restricted to the scope's vendors; fans out per vendor for questions over several
    vendors. `hits` are best first, with the neighbour clauses that continue a hit (read from `neighbours`,
    the store's when not given) when settings ask for them."""
    t0 = time.perf_counter()
    k = k or settings.k_final
    res = Retrieval(
        question=question,
        hits=[],
        vendors=list(scope.vendors),
        language=detect_language(question),
        unknown_vendor=scope.unknown_vendor,
        fan_out=scope.fan_out,
        mentions=mentions_in(question, scope.question, scope.detection.mentions),  # an ask's own offsets
    )
    if scope.unknown_vendor and not scope.vendors:
        res.timings_ms["retrieve"] = timed_ms(t0)
        return res
    t1 = time.perf_counter()
    searched = search_text(question, scope, res.mentions)  # lexically always; densely unless names are kept
    qv = embeddings.embed_query(question if settings.vendor_names_in_query else searched)
    res.query_vector = list(qv)
    res.timings_ms["embed_query"] = timed_ms(t1)
    groups: list[list[str] | None] = (
        [[v] for v in scope.vendors] if scope.fan_out else [scope.vendors or None]
    )
    per_group = max(2, math.ceil(k / len(groups))) if scope.fan_out else k
    results = []
    for g in groups:
        hits, best = search_group(
            store, searched, qv, g, settings.k_dense, settings.k_bm25, fusion, per_group
        )
        res.best_dense[g[0] if g and len(g) == 1 else "*"] = best
        results.append(hits)
    found = interleave(results) if scope.fan_out else results[0]
    if settings.neighbour_expansion:
        found = expand_neighbours(neighbours or store, found)
    res.hits = found
    res.timings_ms["retrieve"] = timed_ms(t0)
    return res


def timed_ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0
