"""Reciprocal rank fusion of ranked hit lists (dense, BM25, glossary BM25), deduplicated by clause id, and the
fusion weights: hand-set by default; with `retrieval.fusion: fitted`, those fitted on the gold set's dev split
for one embedder (config/fusion.json, `python -m evals.fit_fusion`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT
from core.types import Clause, Hit

FUSION_FILE = PROJECT_ROOT / "config" / "fusion.json"
LISTS = ("dense", "bm25", "bm25_glossary")
DEFAULT_WEIGHTS: dict[str, float] = {"dense": 1.0, "bm25": 1.0, "bm25_glossary": 0.7}


@dataclass(frozen=True)
class Fusion:
    """How the ranked lists are fused: a weight per list (0 skips that search) and RRF's k."""

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    rrf_k: int = 60
    fitted_for: str | None = None  # the embedder the weights were fitted with (None: hand-set)

    @classmethod
    def hand_set(cls, rrf_k: int = 60) -> Fusion:
        """The hand-set weights (dense 1, BM25 1, glossary 0.7) with this RRF k."""
        return cls(dict(DEFAULT_WEIGHTS), rrf_k, None)

    @property
    def is_hand_set(self) -> bool:
        """Whether these are the hand-set weights (whatever the RRF k)."""
        return self.weights == DEFAULT_WEIGHTS and self.fitted_for is None

    def weight(self, name: str) -> float:
        return float(self.weights.get(name, 0.0))

    def to_json(self) -> dict[str, Any]:
        return {"weights": dict(self.weights), "rrf_k": self.rrf_k, "fitted_for": self.fitted_for}


def load_fusion(embeddings: str | None, rrf_k: int = 60, path: Path | None = None) -> Fusion:
    """The fitted fusion (config/fusion.json) when it was fitted with this embedder, else the hand-set
    weights: a list's rank means something else under another embedder (with the hashing embedder
    of the tests, BM25 carries most of the signal)."""
    p = path or FUSION_FILE
    if p.exists():
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{p}: unreadable fusion weights ({exc}); fix or delete the file") from exc
        fitted_for = (data.get("fitted") or {}).get("embeddings")
        if embeddings is not None and fitted_for == embeddings:
            w = {k: float(v) for k, v in (data.get("weights") or {}).items() if k in LISTS}
            if not any(w.values()):
                raise ValueError(f"{p}: every fusion weight is 0")
            return Fusion({**{k: 0.0 for k in LISTS}, **w}, int(data.get("rrf_k", rrf_k)), fitted_for)
    return Fusion.hand_set(rrf_k)


def fusion_for(choice: str, embeddings: str | None, rrf_k: int = 60) -> Fusion:
    """The fusion a `retrieval.fusion` setting names: "hand-set", "fitted" (config/fusion.json) or a file's
    path; a fitted file applies only to the embedder it was fitted with (else the hand-set weights)."""
    if choice in ("", "hand-set"):
        return Fusion.hand_set(rrf_k)
    path = FUSION_FILE if choice == "fitted" else Path(choice).expanduser()
    if not path.exists():
        raise ValueError(
            f"retrieval.fusion={choice!r}: {path} not found; run `python -m evals.fit_fusion --write` "
            "or set RETRIEVAL_FUSION=hand-set"
        )
    return load_fusion(embeddings, rrf_k, path)


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
