"""Reciprocal rank fusion of ranked hit lists (dense, BM25, glossary BM25), deduplicated by clause id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.types import Clause, Hit


def rrf_fuse(
    ranked: Mapping[str, Sequence[Hit]],
    k: int = 60,
    weights: Mapping[str, float] | None = None,
    limit: int | None = None,
) -> list[Hit]:
    """Fuse named ranked lists: score = sum of weight / (k + rank + 1) over the lists that hold a clause.
    `sources` records each list's 0-based rank; ties break by best single rank then clause id."""
    weights = weights or {}
    scores: dict[str, float] = {}
    sources: dict[str, dict[str, int]] = {}
    clauses: dict[str, Clause] = {}
    for name, hits in ranked.items():
        w = float(weights.get(name, 1.0))
        seen: set[str] = set()
        for rank, h in enumerate(hits):
            cid = h.clause.id
            if cid in seen:  # a list may repeat a clause: only its best rank counts
                continue
            seen.add(cid)
            clauses.setdefault(cid, h.clause)
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank + 1)
            sources.setdefault(cid, {})[name] = rank
    order = sorted(scores, key=lambda c: (-scores[c], min(sources[c].values()), c))
    if limit is not None:
        order = order[:limit]
    return [Hit(clause=clauses[c], score=scores[c], sources=dict(sources[c])) for c in order]
