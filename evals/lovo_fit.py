"""Leave-one-vendor-out's fits (evals/lovo.py): every fitted number of one fold, each by the function its
own fit command runs (fusion, ranker weights, confidence model), with what the folds share computed once."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.confidence import EngineConfig
    from assistant.fusion import Fusion
    from evals.calibration import ConfidenceFit
    from evals.fit_fusion import FusionFit, GridRetriever

ALL_VENDORS = "(all vendors)"  # the fits on every dev item: the in-sample reference

Item = Mapping[str, Any]


@dataclass(frozen=True)
class RankerFit:
    """Ranker weights fitted on some items, with their (top-1, MRR) there and the hand-set weights'."""

    weights: dict[str, float]
    scores: tuple[float, float]
    hand_set: tuple[float, float]
    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class FoldFit:
    """Every fitted number of one fold (or of all vendors), and the ids of the items each was fitted on."""

    name: str
    train_ids: tuple[str, ...]
    fusion: FusionFit
    ranker: RankerFit
    confidence: ConfidenceFit | None
    confidence_ids: tuple[str, ...]
    engine: EngineConfig


def unfitted_engine(base: EngineConfig) -> EngineConfig:
    """`base` with the fitted confidence numbers at their unfitted defaults (P(yes) alone, the default
    threshold, no unworded cut)."""
    from assistant.confidence import EngineConfig
    from evals.calibration import FITTED_ENGINE_KEYS

    return base.model_copy(update={k: EngineConfig.model_fields[k].default for k in FITTED_ENGINE_KEYS})


def fitted_engine(base: EngineConfig, fit: ConfidenceFit | None) -> EngineConfig:
    """`base` with a fold's confidence model, threshold and cut (the unfitted defaults without a fit)."""
    if fit is None:
        return unfitted_engine(base)
    values = fit.engine_values()
    for key in ("confidence_weights", "confidence_inputs", "unanswerable_weights", "unanswerable_inputs"):
        values[key] = tuple(values[key])
    return base.model_copy(update=values)


class Fitter:
    """Fits every fitted number on a list of gold items. What the folds share is computed once: each
    (fusion, question) retrieval, each query vector, each (fusion, item)'s ranked candidates."""

    min_confidence_rows: int | None = None  # rows under which no confidence model is fitted (None: the
    # calibration command's minimum)

    def __init__(
        self,
        settings: Any,
        store: Any,
        embeddings: Any,
        k: int,
        fit_rows: Mapping[str, Mapping[str, Any]] | None = None,
        points: Sequence[Fusion] | None = None,
        base_engine: EngineConfig | None = None,
        inputs: Sequence[str] | None = None,
        unworded_cut: bool = True,
    ) -> None:
        from assistant.confidence import CONFIDENCE_INPUTS, EngineConfig
        from evals.fit_fusion import GridRetriever

        self.inputs = tuple(inputs or CONFIDENCE_INPUTS)  # the confidence model's inputs, "bias" first
        self.unworded_cut = unworded_cut  # whether the unworded cut is fitted at all
        self.settings = settings
        self.grid: GridRetriever = GridRetriever(settings, store, embeddings, k)
        self.fit_rows = dict(fit_rows or {})
        self.points = points
        self.base_engine = base_engine or EngineConfig()
        self._rankers: dict[str, Any] = {}
        self._candidates: dict[tuple[str, str], tuple[list[tuple[float, ...]], list[bool]] | None] = {}

    # -- fusion
    def fit_fusion(self, items: Sequence[Item]) -> FusionFit:
        from evals.fit_fusion import fit_fusion

        return fit_fusion(items, self.grid.item_score, self.settings.retrieval.rrf_k, points=self.points)

    # -- ranker
    def ranker_data(
        self, fusion: Fusion, items: Sequence[Item]
    ) -> dict[str, tuple[list[tuple[float, ...]], list[bool]]]:
        """fit_ranker's (features, labels) of the items it keeps, from the candidates retrieved with `fusion`
        and ranked with the hand-set weights (every feature computed)."""
        from assistant import Assistant
        from assistant.rank import DEFAULT_WEIGHTS
        from evals.fit_ranker import collect_by_item

        fkey = json.dumps(fusion.to_json(), sort_keys=True)
        if fkey not in self._rankers:
            self._rankers[fkey] = Assistant(
                self.settings,
                store=self.grid.store,
                embeddings=self.grid.embeddings,
                fusion=fusion,
                weights={**DEFAULT_WEIGHTS, "sentence": 1.0},
            )
        out = {}
        for it in items:
            key = (fkey, str(it["id"]))
            if key not in self._candidates:
                self._candidates[key] = collect_by_item([it], self._rankers[fkey]).get(str(it["id"]))
            cached = self._candidates[key]
            if cached is not None:
                out[str(it["id"])] = cached
        return out

    def fit_ranker(self, items: Sequence[Item], fusion: Fusion) -> RankerFit:
        from assistant.rank import DEFAULT_WEIGHTS
        from evals.fit_ranker import fit_shrunk, score, weight_vector

        data = self.ranker_data(fusion, items)
        weights, after = fit_shrunk(list(data.values()))
        before = score(list(data.values()), weight_vector(DEFAULT_WEIGHTS))
        return RankerFit(weights, after, before, tuple(data))

    # -- confidence
    def confidence_data(
        self, ids: Sequence[str]
    ) -> tuple[list[tuple[list[float], bool, bool]], list[bool], list[Mapping[str, Any]]]:
        """calibration's (inputs, truth, answerable) of the fit run's rows of these items (those with
        signals), their "no answer stated" flags, and the rows used."""
        from evals.calibration import inputs_of, stated_no_answer

        used: list[Mapping[str, Any]] = []
        data = inputs_of([self.fit_rows[i] for i in ids if i in self.fit_rows], used=used, inputs=self.inputs)
        return data, [stated_no_answer(r) for r in used], used

    def fit_confidence(self, items: Sequence[Item]) -> tuple[ConfidenceFit | None, tuple[str, ...]]:
        """The confidence model fitted on the fit run's rows of these items; None with fewer rows than the
        calibration command needs."""
        from assistant.confidence import weight_norm
        from assistant.rank import load_weights
        from evals.calibration import MIN_FIT_ITEMS, fit_confidence, group_of, unanswerable_data
        from vectorstore.embeddings import embeddings_name

        data, no_answer, used = self.confidence_data([str(it["id"]) for it in items])
        ids = tuple(str(r["id"]) for r in used)
        if len(data) < (self.min_confidence_rows or MIN_FIT_ITEMS):
            return None, ids
        # the fit run's rows recorded before rank_score_mean: the run's ranker weights were the shipped ones
        norm = weight_norm(load_weights(embeddings=embeddings_name(self.grid.embeddings)))
        u_data, groups = unanswerable_data(used, run_weight_norm=norm), [group_of(r) for r in used]
        fitted = fit_confidence(
            data, no_answer, inputs=self.inputs, u_data=u_data, groups=groups, unworded_cut=self.unworded_cut
        )
        return fitted, ids

    # -- all three
    def fit(self, name: str, items: Sequence[Item]) -> FoldFit:
        """Every fitted number on `items` (a fold's training items)."""
        fusion = self.fit_fusion(items)
        ranker = self.fit_ranker(items, fusion.fusion)
        confidence, conf_ids = self.fit_confidence(items) if self.fit_rows else (None, ())
        return FoldFit(
            name,
            tuple(str(it["id"]) for it in items),
            fusion,
            ranker,
            confidence,
            conf_ids,
            fitted_engine(self.base_engine, confidence),
        )


def fit_values(fit: FoldFit) -> dict[str, Any]:
    """A fold's fitted values, and each one's score on the items it was fitted on."""
    c = fit.confidence
    return {
        "n_train": len(fit.train_ids),
        "fusion": {
            **fit.fusion.fusion.to_json(),
            "n_items": fit.fusion.n_items,
            "evidence_recall": fit.fusion.scores[0],
            "mrr": fit.fusion.scores[1],
        },
        "ranker": {
            "weights": fit.ranker.weights,
            "n_items": len(fit.ranker.item_ids),
            "top1": fit.ranker.scores[0],
            "mrr": fit.ranker.scores[1],
        },
        "confidence": None
        if c is None
        else {
            **c.engine_values(),
            "n_items": c.n_items,
            "items_right": c.right,
            "cut_fitted": c.cut,
            "cut_kept": c.keep_cut,
        },
        "confidence_rows": len(fit.confidence_ids),
    }
