"""Leave-one-vendor-out's seen-vs-unseen checks (evals/lovo.py): each fitted quantity of a fold scored on
the items it was fitted on and on the held-out vendor's, beside its unfitted value, and pooled over the
folds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from evals.lovo_fit import Fitter, FoldFit, Item, unfitted_engine
from evals.metrics import expected_calibration_error

if TYPE_CHECKING:
    from assistant.confidence import EngineConfig

RELIABILITY_BINS = 10
RANKER_METRICS = ("ranker_top1", "ranker_mrr", "ranker_recall@{k}")
CHECKS = ("fusion", "ranker", "confidence")


def _better(a: Sequence[float], b: Sequence[float]) -> bool:
    return tuple(round(x, 9) for x in a) > tuple(round(x, 9) for x in b)


def verdict(
    seen: Sequence[float], unseen: Sequence[float], ref_seen: Sequence[float], ref_unseen: Sequence[float]
) -> str:
    """Whether a fitted value carries to the vendor it did not see, against the unfitted value: "carries"
    (better on the unseen vendor), "overfits" (better on the items it saw, worse on the unseen vendor),
    "loses" (worse on the unseen vendor, no better on the seen items), "no gain" (level on the unseen)."""
    if _better(unseen, ref_unseen):
        return "carries"
    if _better(ref_unseen, unseen):
        return "overfits" if _better(seen, ref_seen) else "loses"
    return "no gain"


def check(
    seen: Sequence[float],
    unseen: Sequence[float],
    ref_seen: Sequence[float],
    ref_unseen: Sequence[float],
    n_seen: int,
    n_unseen: int,
    names: Sequence[str],
) -> dict[str, Any]:
    """One quantity's seen / unseen scores beside the unfitted value's, and the verdict."""
    return {
        "metrics": list(names),
        "seen": list(seen),
        "unseen": list(unseen),
        "unfitted_seen": list(ref_seen),
        "unfitted_unseen": list(ref_unseen),
        "n_seen": n_seen,
        "n_unseen": n_unseen,
        "verdict": verdict(seen, unseen, ref_seen, ref_unseen) if n_unseen else None,
    }


def ranker_item_scores(
    data: Mapping[str, tuple[list[tuple[float, ...]], list[bool]]], weights: Mapping[str, float], k: int
) -> dict[str, dict[str, float]]:
    """Per item: top-1, reciprocal rank and recall@k of the first candidate that hits the evidence."""
    from evals.fit_ranker import first_hit, weight_vector

    w = weight_vector(weights)
    out = {}
    for item_id, (feats, labels) in data.items():
        r = first_hit(feats, labels, w)
        out[item_id] = {
            "ranker_top1": float(r == 0),
            "ranker_mrr": 1.0 / (r + 1) if r is not None else 0.0,
            f"ranker_recall@{k}": float(r is not None and r < k),
        }
    return out


def recorded_confidences(engine: EngineConfig, data: Sequence[tuple[list[float], bool, bool]]) -> list[float]:
    """The confidence the engine would give each recorded row: its logistic model over the row's recorded
    inputs, or P(yes) itself without one."""
    from assistant.confidence import logistic
    from evals.calibration import p_yes_of

    if engine.confidence_weights:
        return [logistic(engine.confidence_weights, x) for x, _, _ in data]
    return [p_yes_of(x, engine.confidence_inputs) for x, _, _ in data]


def confidence_right(
    engine: EngineConfig, data: Sequence[tuple[list[float], bool, bool]], no_answer: Sequence[bool]
) -> int:
    """Recorded items decided right under the engine's confidence, threshold and unworded cut."""
    from evals.calibration import items_right

    return items_right(
        recorded_confidences(engine, data),
        data,
        engine.abstain_below,
        no_answer,
        engine.abstain_unworded_below,
    )


def confidence_rows(
    engine: EngineConfig, data: Sequence[tuple[list[float], bool, bool]], used: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Recorded rows re-scored with the engine's confidence (for the reliability table and ECE)."""
    return [
        {"id": r["id"], "ask": {"confidence": c}, "scores": r.get("scores") or {}}
        for c, r in zip(recorded_confidences(engine, data), used, strict=True)
    ]


def fold_checks(
    fitter: Fitter, fit: FoldFit, mine: Sequence[Item], k: int
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Each fitted quantity of a fold scored on its training items (seen) and on all of the held-out
    vendor's items (unseen), beside the unfitted value; and the per-item parts the pooled check sums."""
    from assistant.fusion import Fusion
    from assistant.rank import DEFAULT_WEIGHTS
    from evals.fit_fusion import fusion_items
    from evals.fit_ranker import score, weight_vector

    out: dict[str, dict[str, Any]] = {}
    parts: dict[str, Any] = {}
    # fusion: (evidence_recall@k, mrr@k)
    hand = Fusion.hand_set(fitter.settings.retrieval.rrf_k)
    unseen_items = fusion_items(mine)
    fold_unseen = [fitter.grid.item_score(fit.fusion.fusion, it) for it in unseen_items]
    hand_unseen = [fitter.grid.item_score(hand, it) for it in unseen_items]
    n_unseen = sum(s is not None for s in fold_unseen)
    out["fusion"] = check(
        fit.fusion.scores,
        mean_tuple(fold_unseen, 2),
        fit.fusion.hand_set,
        mean_tuple(hand_unseen, 2),
        fit.fusion.n_items,
        n_unseen,
        [f"evidence_recall@{k}", f"mrr@{k}"],
    )
    parts["fusion"] = {
        "fold": fold_unseen,
        "unfitted": hand_unseen,
        "seen": fit.fusion.scores,
        "unfitted_seen": fit.fusion.hand_set,
    }
    # ranker: (top-1, MRR) of the candidates the fold's fusion retrieves
    data = list(fitter.ranker_data(fit.fusion.fusion, mine).values())
    fold_r = [score([d], weight_vector(fit.ranker.weights)) for d in data]
    hand_r = [score([d], weight_vector(DEFAULT_WEIGHTS)) for d in data]
    out["ranker"] = check(
        fit.ranker.scores,
        mean_tuple(fold_r, 2),
        fit.ranker.hand_set,
        mean_tuple(hand_r, 2),
        len(fit.ranker.item_ids),
        len(data),
        ["top1", "mrr"],
    )
    parts["ranker"] = {
        "fold": fold_r,
        "unfitted": hand_r,
        "seen": fit.ranker.scores,
        "unfitted_seen": fit.ranker.hand_set,
    }
    # confidence: share of recorded items decided right (and ECE), on the fit run's rows
    parts["recorded_rows"] = []
    if fitter.fit_rows:
        unfitted = unfitted_engine(fit.engine)
        seen_data, seen_na, seen_used = fitter.confidence_data(fit.confidence_ids)
        data_u, na_u, used_u = fitter.confidence_data([str(it["id"]) for it in mine])

        def share(engine: EngineConfig, d: Sequence[Any], na: Sequence[bool]) -> float:
            return confidence_right(engine, d, na) / len(d) if d else 0.0

        rows_u = confidence_rows(fit.engine, data_u, used_u)
        ece_seen = expected_calibration_error(
            confidence_rows(fit.engine, seen_data, seen_used), RELIABILITY_BINS
        )
        ece_unseen = expected_calibration_error(rows_u, RELIABILITY_BINS)
        out["confidence"] = {
            **check(
                [share(fit.engine, seen_data, seen_na)],
                [share(fit.engine, data_u, na_u)],
                [share(unfitted, seen_data, seen_na)],
                [share(unfitted, data_u, na_u)],
                len(seen_data),
                len(data_u),
                ["items_right"],
            ),
            "ece_seen": ece_seen,
            "ece_unseen": ece_unseen,
            "fitted": fit.confidence is not None,
        }
        parts["confidence"] = {
            "fold": [(confidence_right(fit.engine, [d], [n]),) for d, n in zip(data_u, na_u, strict=True)],
            "unfitted": [(confidence_right(unfitted, [d], [n]),) for d, n in zip(data_u, na_u, strict=True)],
            "seen": (share(fit.engine, seen_data, seen_na),),
            "unfitted_seen": (share(unfitted, seen_data, seen_na),),
        }
        parts["recorded_rows"] = rows_u
    else:
        parts["confidence"] = None
    return out, parts


def pool_checks(
    parts: Mapping[str, Sequence[Any]], checks: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> dict[str, dict[str, Any]]:
    """Each quantity's check pooled over the folds: unseen = every held-out item scored with its own
    fold's value (micro-average), seen = the mean of the folds' training scores; and the folds where the
    quantity overfits."""
    out = {}
    for q, per_fold in parts.items():
        folds = [p for p in per_fold if p is not None]
        if not folds:
            continue
        width = len(folds[0]["seen"])
        fold_items = [s for p in folds for s in p["fold"]]
        unseen = mean_tuple(fold_items, width)
        ref_unseen = mean_tuple([s for p in folds for s in p["unfitted"]], width)
        n = sum(s is not None for s in fold_items)
        seen = [sum(p["seen"][i] for p in folds) / len(folds) for i in range(width)]
        ref_seen = [sum(p["unfitted_seen"][i] for p in folds) / len(folds) for i in range(width)]
        out[q] = {
            "metrics": next(c[q]["metrics"] for c in checks.values() if q in c),
            "seen_mean": seen,
            "unseen": unseen,
            "unfitted_seen_mean": ref_seen,
            "unfitted_unseen": ref_unseen,
            "n_unseen": n,
            "verdict": verdict(seen, unseen, ref_seen, ref_unseen) if n else None,
            "overfit_folds": [f for f, c in checks.items() if (c.get(q) or {}).get("verdict") == "overfits"],
        }
    return out


def mean_tuple(scores: Sequence[Sequence[float] | None], width: int) -> list[float]:
    """The mean of each component over the scores that are not None (zeros when none is)."""
    xs = [s for s in scores if s is not None]
    return [sum(s[i] for s in xs) / len(xs) for i in range(width)] if xs else [0.0] * width
