"""Leave-one-vendor-out (LOVO): every fitted number is fitted on the dev items of all vendors but one and
scored on that one, for each vendor in turn (`python -m evals lovo`, see docs/ARCHITECTURE.md).

Folds. An item naming exactly one vendor belongs to that vendor's fold. An item naming none (a question
about no vendor in the corpus) or several (a comparison) belongs to no fold: it is never held out and not
scored here (the usual dev/test runs score it; the report counts it as "cross-vendor"). The fits of the fold
of vendor V see the dev items that do not name V: the other vendors' items, and the cross-vendor items that
leave V out. No test item is ever fitted on.

Fitted per fold, each by the function its own command uses: (a) the retrieval fusion (fit_fusion's grid
and rule), (b) the ranker weights (fit_ranker's coordinate ascent, from the hand-set weights, on the
candidates that the fold's fusion retrieves), (c) the confidence model, its abstention threshold and the
unworded cut (calibration.fit_confidence) from the rows of a full dev run (`--fit-run`). The confidence is
an approximation: those rows' signals were recorded under the ranker and fusion that run used, not the
fold's. The engine's other numbers (EngineConfig's gates: accept_at, max_checks, row_checks,
secondary_p) have no fit and keep their shipped values in every fold.

Scored: each fold's held-out vendor's test items (with `also_dev`, its dev items too), by the engine built
with that fold's fusion, weights and EngineConfig (no review-grid shortcut: its cells were computed with
the shipped numbers). Every fitted quantity is also scored on the fold's training items and on all of V's
items beside the unfitted value (hand-set fusion, hand-set ranker weights, P(yes) alone at the default
threshold), so a value that wins on the vendors it saw and loses on the one it did not shows as such."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.dataset import SPLITS, GoldError, load_gold, select_split
from evals.metrics import aggregate, expected_calibration_error, reliability

if TYPE_CHECKING:
    from assistant.confidence import EngineConfig
    from assistant.fusion import Fusion
    from evals.calibration import ConfidenceFit
    from evals.fit_fusion import FusionFit, GridRetriever

log = logging.getLogger(__name__)

ALL_VENDORS = "(all vendors)"  # the fits on every dev item: the in-sample reference
SHIPPED = "(shipped)"  # the numbers in config/ (for the embedder in use)
RELIABILITY_BINS = 10
RANKER_METRICS = ("ranker_top1", "ranker_mrr", "ranker_recall@{k}")
CHECKS = ("fusion", "ranker", "confidence")

Item = Mapping[str, Any]


# ------------------------------------------------------------------ folds
def item_fold(item: Item) -> str | None:
    """The vendor whose fold holds the item: its only vendor; None for an item naming none or several."""
    vendors = list(item.get("vendors") or [])
    return str(vendors[0]) if len(vendors) == 1 else None


def fold_vendors(items: Sequence[Item]) -> list[str]:
    """Every vendor that has an item of its own (a fold each), sorted."""
    return sorted({v for it in items if (v := item_fold(it)) is not None})


def training_items(items: Sequence[Item], held_out: str | None) -> list[Item]:
    """The dev items a fold fits on: those that do not name the held-out vendor (every dev item for None)."""
    return [
        it
        for it in items
        if it.get("split") == "dev" and (held_out is None or held_out not in (it.get("vendors") or []))
    ]


def held_out_items(items: Sequence[Item], vendor: str, splits: Sequence[str] = SPLITS) -> list[Item]:
    """The vendor's own items of these splits (the items its fold scores)."""
    return [it for it in items if item_fold(it) == vendor and it.get("split") in splits]


def load_golds(paths: Sequence[str | Path]) -> list[dict[str, Any]]:
    """The items of several gold files, in order; every item needs a split and ids are unique across files."""
    items: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for path in paths:
        for it in select_split(load_gold(path), "both"):
            if it["id"] in seen:
                raise GoldError(f"{path}: id {it['id']!r} is also in {seen[it['id']]}")
            seen[it["id"]] = str(path)
            items.append(it)
    return items


# ------------------------------------------------------------------ fits
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
    values["confidence_weights"] = tuple(values["confidence_weights"])
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
    ) -> None:
        from assistant.confidence import CONFIDENCE_INPUTS, EngineConfig
        from evals.fit_fusion import GridRetriever

        self.inputs = tuple(inputs or CONFIDENCE_INPUTS)  # the confidence model's inputs, "bias" first
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
        from evals.fit_ranker import fit, score, weight_vector

        data = self.ranker_data(fusion, items)
        weights, after = fit(list(data.values()), DEFAULT_WEIGHTS)
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
        from evals.calibration import MIN_FIT_ITEMS, fit_confidence

        data, no_answer, used = self.confidence_data([str(it["id"]) for it in items])
        ids = tuple(str(r["id"]) for r in used)
        if len(data) < (self.min_confidence_rows or MIN_FIT_ITEMS):
            return None, ids
        return fit_confidence(data, no_answer, inputs=self.inputs), ids

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


# ------------------------------------------------------------------ seen vs unseen
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


# ------------------------------------------------------------------ the run
@dataclass
class LovoResult:
    """Held-out rows (each with its `fold`), the fits, the checks and the summary's parts."""

    rows: list[dict[str, Any]]
    fits: dict[str, FoldFit]
    checks: dict[str, dict[str, dict[str, Any]]]  # fold -> quantity -> check
    pooled_checks: dict[str, dict[str, Any]]
    config: dict[str, Any]
    cross_vendor: dict[str, Any]
    reliability: dict[str, Any]
    shipped: dict[str, Any] = field(default_factory=dict)

    def rows_of(self, split: str, fold: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["split"] == split and (fold is None or r["fold"] == fold)]

    def metrics(self, rows: Sequence[Mapping[str, Any]], fold: str | None = None) -> dict[str, Any]:
        """The eval's metrics over these rows, the ranker's (mean over the rows the ranker scores) and the
        confidence's ECE on left-out vendors (pooled: the reliability table's; a fold's: over its rows, or
        over its recorded rows in retrieval-only mode)."""
        k = int(self.config["k"])
        m: dict[str, Any] = dict(aggregate([r["scores"] for r in rows], k))
        for name in (n.format(k=k) for n in RANKER_METRICS):
            vals = [r["scores"][name] for r in rows if r["scores"].get(name) is not None]
            m[name] = sum(vals) / len(vals) if vals else None
        if fold is None:
            m["ece"] = self.reliability.get("ece")
        elif self.config["retrieval_only"]:
            m["ece"] = (self.checks.get(fold, {}).get("confidence") or {}).get("ece_unseen")
        else:
            m["ece"] = expected_calibration_error(rows, RELIABILITY_BINS)
        return m

    def summary(self) -> dict[str, Any]:
        """summary.json: the pooled held-out test metrics at top level and under "metrics" (the eval's
        names, plus the ranker's and the ECE), the configuration, breakdowns, and the LOVO detail under
        "lovo" (per fold: metrics, fitted values, seen/unseen checks)."""
        from evals.runner import breakdowns

        k = int(self.config["k"])
        also_dev = bool(self.config.get("also_dev"))
        test = self.rows_of("test")
        pooled = self.metrics(test)
        folds = {}
        for name in self.config["folds"]:
            fit = self.fits[name]
            entry: dict[str, Any] = {
                "n_test": len(self.rows_of("test", name)),
                "n_train": len(fit.train_ids),
                "metrics": self.metrics(self.rows_of("test", name), name),
                "fitted": fit_values(fit),
                "checks": self.checks.get(name, {}),
            }
            if also_dev:
                entry["n_dev"] = len(self.rows_of("dev", name))
                entry["metrics_dev"] = self.metrics(self.rows_of("dev", name), name)
            folds[name] = entry
        lovo: dict[str, Any] = {
            "fold_rule": FOLD_RULE,
            "approximations": approximations(
                bool(self.config.get("fit_run")), bool(self.config["retrieval_only"])
            ),
            "folds": folds,
            "all_vendors": fit_values(self.fits[ALL_VENDORS]),
            "shipped": self.shipped,
            "pooled_checks": self.pooled_checks,
            "cross_vendor": self.cross_vendor,
            "reliability": self.reliability,
            "gates_not_fitted": gates_not_fitted(),
        }
        if also_dev:
            lovo["pooled_dev"] = self.metrics(self.rows_of("dev"))
        return {
            **pooled,
            "metrics": pooled,
            "config": self.config,
            "n_items": len(test),
            "split": "test",
            "breakdown": breakdowns(test, k),
            "lovo": lovo,
        }


FOLD_RULE = (
    "an item naming one vendor is in that vendor's fold; an item naming none or several is cross-vendor: "
    "never held out, not scored here, fitted on by every fold whose held-out vendor it does not name"
)


def approximations(fit_run: bool, retrieval_only: bool) -> list[str]:
    """What the figures approximate, said in the report."""
    out = []
    if fit_run:
        out.append(
            "the confidence model of each fold is fitted on a full dev run's recorded signals, produced with "
            "that run's ranker and fusion, not the fold's (its rank_score is on the shipped weights' scale)"
        )
        out.append(
            "the confidence's seen/unseen check re-scores that run's recorded rows with each fold's model: "
            "the sentence each row checked is the one that run's ranker chose"
        )
    else:
        out.append("no --fit-run: the confidence model is not refitted (P(yes) alone, default threshold)")
    out.append("the gates (" + ", ".join(gates_not_fitted()) + ") have no fit: shipped values in every fold")
    if retrieval_only:
        out.append("retrieval-only: no answer is generated; latencies are of memoised retrievals")
    return out


def gates_not_fitted() -> list[str]:
    """EngineConfig's numbers that no fit sets (held at their shipped values in every fold)."""
    from assistant.confidence import EngineConfig
    from evals.calibration import FITTED_ENGINE_KEYS

    return [k for k in EngineConfig.model_fields if k not in FITTED_ENGINE_KEYS]


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


def scored_items(
    items: Sequence[dict[str, Any]],
    folds: Sequence[str],
    also_dev: bool = False,
    select: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """The held-out items the run scores: the folds' vendors' test items (and dev items with `also_dev`),
    then `select` (filters, sample, limit) over them in file order."""
    splits = ("test", "dev") if also_dev else ("test",)
    out = [it for it in items if item_fold(it) in folds and it.get("split") in splits]
    return select(out) if select else out


def last_p50_s(
    fit_summary: Mapping[str, Any] | None, history: Path | None = None
) -> tuple[float, str] | None:
    """Seconds per question end to end (p50) of the last full run known, and where it comes from: the fit
    run's, else the newest full run of the eval history; None when neither is known."""
    from evals.history import DEFAULT_HISTORY, HistoryError, load_history

    v = ((fit_summary or {}).get("metrics") or fit_summary or {}).get("latency_ms_p50")
    if v:
        return float(v) / 1000, "the fit run"
    try:
        rows = load_history(history or DEFAULT_HISTORY)
    except HistoryError:
        return None
    for r in reversed(rows):
        v = (r.get("metrics") or {}).get("latency_ms_p50")
        if r.get("mode") == "full" and v:
            return float(v) / 1000, f"the history's {r.get('run')}"
    return None


def run_lovo(
    settings: Any,
    items: Sequence[dict[str, Any]],
    *,
    retrieval_only: bool,
    k: int = 5,
    vendors: Sequence[str] | None = None,
    fit_rows: Mapping[str, Mapping[str, Any]] | None = None,
    also_dev: bool = False,
    select: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
    corpus: str | Path | None = None,
    store_dir: str | Path | None = None,
    embeddings: Any = None,
    llm: Any = None,
    points: Sequence[Fusion] | None = None,
    progress: bool = True,
    say: Callable[[str], None] | None = None,
    extra_config: Mapping[str, Any] | None = None,
    fitter_class: type[Fitter] = Fitter,
    inputs: Sequence[str] | None = None,
) -> LovoResult:
    """Fit every fold, score each held-out vendor's items with its fold's numbers, and check each fitted
    quantity on seen vs unseen items. `select` picks which held-out items are scored (--filter, --sample,
    --limit: the fits always use every training item); `points` replaces the fusion grid; `inputs` names the
    confidence model's inputs ("bias" first; default: the default model's)."""
    from assistant.confidence import EngineConfig
    from assistant.fusion import fusion_for
    from assistant.rank import load_weights
    from evals.runner import attach_passages, document_languages, evaluate, git_commit, open_store
    from vectorstore.embeddings import embeddings_name, make_embeddings

    say = say or log.info
    started = dt.datetime.now(dt.UTC)
    commit = git_commit()
    all_vendors = fold_vendors(items)
    folds = list(vendors) if vendors else all_vendors
    unknown = [v for v in folds if v not in all_vendors]
    if unknown:
        raise ValueError(
            f"no single-vendor item for {', '.join(unknown)} (vendors with items: {', '.join(all_vendors)})"
        )
    scored = scored_items(items, folds, also_dev, select)
    embeddings = embeddings if embeddings is not None else make_embeddings(settings.embedding)
    name = embeddings_name(embeddings)
    shipped_engine = EngineConfig.load(embeddings=name)
    with open_store(settings, corpus, embeddings, progress=progress, store_dir=store_dir) as (
        run_settings,
        store,
    ):
        fitter = fitter_class(run_settings, store, embeddings, k, fit_rows, points, shipped_engine, inputs)
        shared_llm = [llm]

        def llm_of() -> Any:
            """The one LLM of every fold's engine, built on first use."""
            if shared_llm[0] is None:
                from assistant.llm import make_chat_model

                shared_llm[0] = make_chat_model(run_settings.llm)
            return shared_llm[0]

        r = run_settings.retrieval
        shipped_fusion = fusion_for(r.fusion, name, r.rrf_k)
        shipped = {
            "fusion": shipped_fusion.to_json(),
            "ranker": load_weights(embeddings=name),
            "engine": shipped_engine.model_dump(),
        }
        say(f"fitting on all {len(training_items(items, None))} dev items (the in-sample reference)")
        fits = {ALL_VENDORS: fitter.fit(ALL_VENDORS, training_items(items, None))}
        records = store.documents()
        doc_language = document_languages(records)
        rows: list[dict[str, Any]] = []
        checks: dict[str, dict[str, dict[str, Any]]] = {}
        seen_unseen: dict[str, list[Any]] = {q: [] for q in CHECKS}
        recorded_rel: list[dict[str, Any]] = []
        for vendor in folds:
            train = training_items(items, vendor)
            say(f"fold {vendor}: fitting on {len(train)} dev items of the other vendors")
            fit = fitter.fit(vendor, train)
            fits[vendor] = fit
            mine = held_out_items(items, vendor)
            checks[vendor], parts = fold_checks(fitter, fit, mine, k)
            for q in CHECKS:
                seen_unseen[q].append(parts[q])
            recorded_rel += parts["recorded_rows"]
            to_score = [it for it in scored if item_fold(it) == vendor]
            if not to_score:
                continue
            say(f"fold {vendor}: scoring {len(to_score)} held-out items")
            ask_fn = (
                _retrieval_ask(fitter.grid, fit.fusion.fusion)
                if retrieval_only
                else _engine_ask(fitter, fit, run_settings, store, llm_of)
            )
            fold_rows = evaluate(
                to_score, ask_fn, k, fitter.grid.document_text, retrieval_only, progress, doc_language
            )
            ranks = ranker_item_scores(fitter.ranker_data(fit.fusion.fusion, to_score), fit.ranker.weights, k)
            for row, it in zip(fold_rows, to_score, strict=True):
                row["fold"], row["split"] = vendor, it["split"]
                row["scores"].update(ranks.get(str(it["id"]), {n.format(k=k): None for n in RANKER_METRICS}))
            attach_passages(fold_rows, fitter.grid.document_text)
            rows += fold_rows
        n_docs = len(records)
    pooled_checks = pool_checks(seen_unseen, checks)
    held_rows = [r for r in rows if r["split"] == "test"]
    if not retrieval_only:
        source, rel_rows = (
            "the engine's answers to the held-out test items, each with its fold's model",
            held_rows,
        )
    else:
        source, rel_rows = (
            "the fit run's recorded rows of each held-out vendor, re-scored with its fold's model",
            recorded_rel,
        )
    reliability_part = {
        "source": source if rel_rows else None,
        "bins": reliability(rel_rows, RELIABILITY_BINS),
        "ece": expected_calibration_error(rel_rows, RELIABILITY_BINS),
        "n": sum(1 for r in rel_rows if (r.get("ask") or {}).get("confidence") is not None),
    }
    cross = [it for it in items if item_fold(it) is None]
    config = {
        "system": "lovo",
        "k": k,
        "retrieval_only": retrieval_only,
        "also_dev": also_dev,
        "folds": folds,
        "corpus": str(Path(corpus).expanduser().resolve()) if corpus else str(settings.corpus_dir),
        "corpus_documents": n_docs,
        "models": {
            "embeddings": name,
            "llm": None if retrieval_only else _llm_name(run_settings, shared_llm[0]),
        },
        "prompt": next(
            (r["ask"]["model"]["prompt"] for r in rows if (r["ask"].get("model") or {}).get("prompt")), None
        ),
        "llm_choice": None if retrieval_only else settings.llm.choice,
        "grid_points": len(points) if points is not None else None,
        "git_commit": commit,
        "timestamp": started.isoformat(timespec="seconds"),
        "duration_s": round((dt.datetime.now(dt.UTC) - started).total_seconds(), 1),
        "n_items": len(rows),
        **(extra_config or {}),
    }
    return LovoResult(
        rows=rows,
        fits=fits,
        checks=checks,
        pooled_checks=pooled_checks,
        config=config,
        cross_vendor={
            "n_dev": sum(1 for it in cross if it.get("split") == "dev"),
            "n_test": sum(1 for it in cross if it.get("split") == "test"),
            "ids": [str(it["id"]) for it in cross],
        },
        reliability=reliability_part,
        shipped=shipped,
    )


def _retrieval_ask(grid: GridRetriever, fusion: Fusion) -> Callable[[str], dict[str, Any]]:
    """question -> its retrieval-only ask JSON under the fold's fusion (memoised across folds)."""
    return lambda question: grid.ask(fusion, question)


def _engine_ask(
    fitter: Fitter, fit: FoldFit, settings: Any, store: Any, llm: Callable[[], Any]
) -> Callable[[str], dict[str, Any]]:
    """question -> the ask JSON of the engine built with the fold's fusion, ranker weights and EngineConfig
    (the one LLM shared by every fold; no review-grid shortcut)."""
    from assistant import Assistant

    engine = Assistant(
        settings,
        store=store,
        embeddings=fitter.grid.embeddings,
        llm=llm(),
        weights=fit.ranker.weights,
        engine=fit.engine,
        fusion=fit.fusion.fusion,
    )
    return lambda question: dict(engine.answer(question).to_json())


def _llm_name(settings: Any, llm: Any) -> str:
    from assistant.llm import model_name

    return model_name(settings.llm, llm)


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


# ------------------------------------------------------------------ output
def metric_columns(k: int, retrieval_only: bool) -> list[str]:
    """The per-fold table's metrics for the mode."""
    cols = [f"evidence_recall@{k}", f"mrr@{k}", *(n.format(k=k) for n in RANKER_METRICS)]
    if not retrieval_only:
        cols += [
            "answer_accuracy",
            "abstention_precision",
            "abstention_recall",
            "citation_precision",
            "latency_ms_p50",
        ]
    return [*cols, "ece"]


ECE_DEFINITION = (
    "Expected calibration error (ECE): the rows' confidences are put in 10 equal-width bins of [0, 1]; ECE is "
    "the sum over bins of (rows in the bin / rows) x |mean confidence in the bin - share of those rows whose "
    "cited sentence hits the gold evidence|. 0 is perfectly calibrated; an unanswerable item is never right."
)


def _f(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def _pair(xs: Sequence[float] | None) -> str:
    return " / ".join(_f(float(x)) for x in xs) if xs else "–"


def render_markdown(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """report.md: the LOVO sections (folds, fitted values, seen vs unseen, reliability), then the usual run
    report of the pooled held-out items."""
    from core.text import md_cell
    from evals.report import fmt
    from evals.report import render_markdown as run_markdown

    cfg, lv = summary["config"], summary["lovo"]
    k, ro = int(cfg["k"]), bool(cfg["retrieval_only"])
    cols = metric_columns(k, ro)
    cross = lv["cross_vendor"]
    lines = [
        f"# Leave-one-vendor-out: {'retrieval-only' if ro else 'full (the engine with the LLM)'}",
        "",
        f"- gold: {md_cell(str(cfg.get('gold')))}; k = {k}; folds: {', '.join(cfg['folds'])}",
        f"- held-out test items scored: {summary['n_items']}"
        + (
            f"; held-out dev items scored: {sum(f.get('n_dev', 0) for f in lv['folds'].values())}"
            if cfg.get("also_dev")
            else ""
        )
        + f"; cross-vendor items (not scored here): {cross['n_dev']} dev, {cross['n_test']} test",
        f"- corpus: `{cfg.get('corpus')}` ({cfg.get('corpus_documents', '?')} documents); models: "
        f"{md_cell(json.dumps(cfg.get('models') or {}))}; fit run: {cfg.get('fit_run') or '–'}",
        f"- git commit: `{cfg.get('git_commit', '?')}`; timestamp: {cfg.get('timestamp', '?')}",
        f"- fold rule: {lv['fold_rule']}",
        "",
        "## What is approximated",
        "",
        *(f"- {a}" for a in lv["approximations"]),
        "",
        "## Held-out figures",
        "",
        "Each fold's numbers are fitted on the dev items of the other vendors and score the held-out vendor's "
        "test items; the pooled row is every held-out item, each scored once by its own fold.",
        "",
        "| fold | n | " + " | ".join(f"`{c}`" for c in cols) + " |",
        "|---|---|" + "---|" * len(cols),
        f"| (pooled) | {summary['n_items']} | "
        + " | ".join(fmt(summary["metrics"].get(c), c) for c in cols)
        + " |",
    ]
    for name, f in lv["folds"].items():
        lines.append(
            f"| {md_cell(name)} | {f['n_test']} | "
            + " | ".join(fmt(f["metrics"].get(c), c) for c in cols)
            + " |"
        )
    if cfg.get("also_dev"):
        lines += ["", "Held-out dev items (the vendor's dev items, which its fold did not fit on):", ""]
        lines += [
            "| fold | n | " + " | ".join(f"`{c}`" for c in cols) + " |",
            "|---|---|" + "---|" * len(cols),
        ]
        n_dev = sum(f.get("n_dev", 0) for f in lv["folds"].values())
        lines.append(
            f"| (pooled) | {n_dev} | " + " | ".join(fmt(lv["pooled_dev"].get(c), c) for c in cols) + " |"
        )
        for name, f in lv["folds"].items():
            lines.append(
                f"| {md_cell(name)} | {f.get('n_dev', 0)} | "
                + " | ".join(fmt(f["metrics_dev"].get(c), c) for c in cols)
                + " |"
            )
    lines += _fitted_tables(lv)
    lines += _check_tables(lv)
    rel = lv["reliability"]
    lines += ["", "## Reliability of the confidence on left-out vendors", "", ECE_DEFINITION, ""]
    if rel.get("n"):
        lines += [
            f"Source: {rel['source']} ({rel['n']} rows). ECE = {_f(rel['ece'])}.",
            "",
            "| confidence bin | n | mean confidence | observed share right |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {b['lo']:.1f}–{b['hi']:.1f} | {b['n']} | {_f(b['mean_confidence'])} | {_f(b['observed'])} |"
            for b in rel["bins"]
        ]
    else:
        lines.append("No row carries a confidence (retrieval-only without --fit-run).")
    lines += [
        "",
        "## Not fitted",
        "",
        "EngineConfig's gates " + ", ".join(f"`{g}`" for g in lv["gates_not_fitted"]) + " have no fit: every "
        "fold uses the shipped values ("
        + ", ".join(f"{g}={lv['shipped']['engine'].get(g)}" for g in lv["gates_not_fitted"])
        + ").",
        "",
        "---",
        "",
    ]
    golds = cfg.get("golds") or [cfg.get("gold")]
    named = {**summary, "config": {**cfg, "gold": " + ".join(Path(str(g)).name for g in golds)}}
    return "\n".join(lines) + "\n" + run_markdown(named, rows)


def _fitted_tables(lv: Mapping[str, Any]) -> list[str]:
    """The fitted values of each fold beside those fitted on all vendors and the shipped ones."""
    from assistant.fusion import LISTS
    from assistant.rank import FEATURES

    named = [*lv["folds"].items(), (ALL_VENDORS, {"fitted": lv["all_vendors"]})]
    shipped = lv["shipped"]
    lines = [
        "",
        "## Fitted values per fold",
        "",
        f"Beside the values fitted on every dev item ({ALL_VENDORS}) and those in config/ ({SHIPPED}). "
        '"seen": the score on the items the value was fitted on.',
    ]
    lines += _weights_table(
        "Fusion",
        LISTS,
        ["rrf_k", "items", "seen recall / mrr"],
        [
            *(
                (
                    name,
                    f["fitted"]["fusion"]["weights"],
                    [
                        str(f["fitted"]["fusion"]["rrf_k"]),
                        str(f["fitted"]["fusion"]["n_items"]),
                        _pair([f["fitted"]["fusion"]["evidence_recall"], f["fitted"]["fusion"]["mrr"]]),
                    ],
                )
                for name, f in named
            ),
            (SHIPPED, shipped["fusion"]["weights"], [str(shipped["fusion"]["rrf_k"]), "–", "–"]),
        ],
    )
    lines += _weights_table(
        "Ranker weights",
        FEATURES,
        ["items", "seen top-1 / mrr"],
        [
            *(
                (
                    name,
                    f["fitted"]["ranker"]["weights"],
                    [
                        str(f["fitted"]["ranker"]["n_items"]),
                        _pair([f["fitted"]["ranker"]["top1"], f["fitted"]["ranker"]["mrr"]]),
                    ],
                )
                for name, f in named
            ),
            (SHIPPED, shipped["ranker"], ["–", "–"]),
        ],
    )
    lines += [
        "",
        "### Confidence model and thresholds",
        "",
        "| fold | rows | abstain_below | abstain_unworded_below | unworded cut fitted (kept?) | weights | "
        "seen items right |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, f in named:
        c = f["fitted"]["confidence"]
        if c is None:
            lines.append(f"| {name} | {f['fitted']['confidence_rows']} | not fitted | – | – | – | – |")
            continue
        lines.append(
            f"| {name} | {c['n_items']} | {_f(c['abstain_below'])} | {_f(c['abstain_unworded_below'])} | "
            f"{_f(c['cut_fitted'])} ({_f(c['cut_kept'])}) | "
            f"{', '.join(_f(float(w)) for w in c['confidence_weights'])} | {c['items_right']} |"
        )
    se = shipped["engine"]
    weights = ", ".join(_f(float(w)) for w in se.get("confidence_weights") or []) or "P(yes) alone"
    lines.append(
        f"| {SHIPPED} | – | {_f(se.get('abstain_below'))} | {_f(se.get('abstain_unworded_below'))} | – | "
        f"{weights} | – |"
    )
    return lines


def _weights_table(
    title: str,
    columns: Sequence[str],
    extra: Sequence[str],
    rows: Sequence[tuple[str, Mapping[str, Any], Sequence[str]]],
) -> list[str]:
    """A table of named weights per fold (a column per weight, then the extra columns)."""
    head = [*columns, *extra]
    lines = ["", f"### {title}", "", "| fold | " + " | ".join(head) + " |", "|---|" + "---|" * len(head)]
    for name, weights, cells in rows:
        values = [_f(float(weights.get(c, 0.0))) for c in columns]
        lines.append(f"| {name} | " + " | ".join([*values, *cells]) + " |")
    return lines


def _check_tables(lv: Mapping[str, Any]) -> list[str]:
    """Seen vs unseen, per fold and pooled, beside the unfitted value, with the verdicts."""
    lines = [
        "",
        "## Seen vs unseen: does each fitted value carry to the vendor it did not see?",
        "",
        '"seen": the fold\'s training items; "unseen": every item of the held-out vendor (dev and test; for '
        'the confidence, the fit run\'s rows of that vendor). "unfitted": the hand-set fusion, the hand-set '
        "ranker weights, P(yes) alone at the default threshold. Verdict: *carries* (beats the unfitted value "
        "on the unseen vendor), *overfits* (wins on the items it saw, loses on the vendor it did not), "
        "*loses* (worse on the unseen vendor), *no gain*. Pooled: the mean of the folds' seen scores, and "
        "every held-out item scored by its own fold's value. A value that does not carry is not a default.",
        "",
        "| fold | quantity | metric | n seen / unseen | seen | unseen | unfitted seen | unfitted unseen | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, f in lv["folds"].items():
        for q, c in f["checks"].items():
            lines.append(
                f"| {name} | {q} | {' / '.join(c['metrics'])} | {c['n_seen']} / {c['n_unseen']} | "
                f"{_pair(c['seen'])} | {_pair(c['unseen'])} | {_pair(c['unfitted_seen'])} | "
                f"{_pair(c['unfitted_unseen'])} | {c['verdict'] or '–'} |"
            )
    for q, c in lv["pooled_checks"].items():
        overfit = f" (overfits in {', '.join(c['overfit_folds'])})" if c["overfit_folds"] else ""
        lines.append(
            f"| (pooled) | {q} | {' / '.join(c['metrics'])} | – / {c['n_unseen']} | {_pair(c['seen_mean'])} | "
            f"{_pair(c['unseen'])} | {_pair(c['unfitted_seen_mean'])} | {_pair(c['unfitted_unseen'])} | "
            f"{c['verdict'] or '–'}{overfit} |"
        )
    conf = [(n, f["checks"]["confidence"]) for n, f in lv["folds"].items() if "confidence" in f["checks"]]
    if conf:
        lines += [
            "",
            "Confidence ECE, seen vs unseen rows: "
            + "; ".join(f"{n} {_f(c['ece_seen'])} → {_f(c['ece_unseen'])}" for n, c in conf)
            + ".",
        ]
    return lines


def write_run(out_dir: str | Path, summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> Path:
    """summary.json, results.jsonl (rows with their `fold` and `split`), report.md and report.html."""
    from evals.report import RESULT_KEYS, render_html

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    keys = (*RESULT_KEYS, "fold", "split")
    with (out / "results.jsonl").open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({key: r[key] for key in keys if key in r}, ensure_ascii=False) + "\n")
    (out / "report.md").write_text(render_markdown(summary, rows), encoding="utf-8")
    (out / "report.html").write_text(render_html(summary, rows), encoding="utf-8")
    return out


def console_lines(summary: Mapping[str, Any]) -> list[str]:
    """What the command prints: the pooled and per-fold figures, then each quantity's pooled verdict."""
    from evals.report import fmt

    cfg = summary["config"]
    cols = metric_columns(int(cfg["k"]), bool(cfg["retrieval_only"]))
    width = max(len(c) for c in cols)
    folds = summary["lovo"]["folds"]
    lines = [f"{'metric':<{width}}  " + "  ".join(f"{n[:16]:>16}" for n in ["(pooled)", *folds])]
    per = [summary["metrics"], *(f["metrics"] for f in folds.values())]
    lines += [f"{c:<{width}}  " + "  ".join(f"{fmt(m.get(c), c):>16}" for m in per) for c in cols]
    for q, c in summary["lovo"]["pooled_checks"].items():
        overfit = f"; overfits in {', '.join(c['overfit_folds'])}" if c["overfit_folds"] else ""
        lines.append(f"{q}: {c['verdict'] or '–'} on the held-out vendors{overfit}")
    return lines
