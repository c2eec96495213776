"""Leave-one-vendor-out (LOVO): every fitted number is fitted on the dev items of all vendors but one and
scored on that one, for each vendor in turn (`python -m evals lovo`, see docs/ARCHITECTURE.md).

Folds. An item naming exactly one vendor belongs to that vendor's fold. An item naming none (a question
about no vendor in the corpus) or several (a comparison) belongs to no fold: it is never held out and not
scored here (the usual dev/test runs score it; the report counts it as "cross-vendor"). The fits of the fold
of vendor V see the dev items that do not name V: the other vendors' items, and the cross-vendor items that
leave V out. No test item is ever fitted on.

Fitted per fold, each by the function its own command uses: (a) the retrieval fusion (fit_fusion's grid
and rule), (b) the ranker weights (fit_ranker's coordinate ascent, from the hand-set weights, on the
candidates that the fold's fusion retrieves, kept SHRINK of the way from them, as the shipped fit is),
(c) the confidence model, its abstention threshold and the unworded cut (calibration.fit_confidence) from
the rows of a full dev run (`--fit-run`). The confidence is an approximation: those rows' signals were
recorded under the ranker and fusion that run used, not the fold's. The engine's other numbers
(EngineConfig's gates: accept_at, checker_margin, max_checks, row_checks, secondary_p) are not refitted
per fold and keep their shipped values in every fold (checker_margin and accept_at are chosen by replaying
a dev run's checks, `python -m evals.selection`, which prints its own leave-one-vendor-out table).

Scored: each fold's held-out vendor's test items (with `also_dev`, its dev items too), by the engine built
with that fold's fusion, weights and EngineConfig (no review-grid shortcut: its cells were computed with
the shipped numbers). Every fitted quantity is also scored on the fold's training items and on all of V's
items beside the unfitted value (hand-set fusion, hand-set ranker weights, P(yes) alone at the default
threshold), so a value that wins on the vendors it saw and loses on the one it did not shows as such.

This module holds the folds and the run; the fits are in lovo_fit.py, the seen-vs-unseen checks in
lovo_checks.py, the run folder's report in lovo_report.py."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.dataset import SPLITS, GoldError, item_fold, load_gold, select_split
from evals.lovo_checks import (
    CHECKS,
    RANKER_METRICS,
    RELIABILITY_BINS,
    fold_checks,
    pool_checks,
    ranker_item_scores,
)
from evals.lovo_fit import ALL_VENDORS, Fitter, FoldFit, Item, fit_values
from evals.metrics import aggregate, expected_calibration_error, reliability

if TYPE_CHECKING:
    from assistant.fusion import Fusion
    from evals.fit_fusion import GridRetriever

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ folds
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
    out.append(
        "the gates ("
        + ", ".join(gates_not_fitted())
        + ") are not refitted per fold: shipped values in every fold (checker_margin and accept_at are chosen "
        "by the dev replay of python -m evals.selection, which prints its own leave-one-vendor-out table)"
    )
    if retrieval_only:
        out.append("retrieval-only: no answer is generated; latencies are of memoised retrievals")
    return out


def gates_not_fitted() -> list[str]:
    """EngineConfig's numbers that no fit sets (held at their shipped values in every fold)."""
    from assistant.confidence import EngineConfig
    from evals.calibration import FITTED_ENGINE_KEYS

    return [k for k in EngineConfig.model_fields if k not in FITTED_ENGINE_KEYS]


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
    unworded_cut: bool = True,
    llm_cache: str | Path | None = None,
) -> LovoResult:
    """Fit every fold, score each held-out vendor's items with its fold's numbers, and check each fitted
    quantity on seen vs unseen items. `select` picks which held-out items are scored (--filter, --sample,
    --limit: the fits always use every training item); `points` replaces the fusion grid; `inputs` names the
    confidence model's inputs ("bias" first; default: the default model's); `unworded_cut` False fits no
    unworded cut in any fold; `llm_cache`: the engine's model calls replayed from (and added to) that file
    (evals.llm_cache)."""
    from assistant.confidence import EngineConfig
    from assistant.fusion import fusion_for
    from assistant.llm import model_name
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
        fitter = fitter_class(
            run_settings, store, embeddings, k, fit_rows, points, shipped_engine, inputs, unworded_cut
        )
        shared_llm = [llm]
        cache = None
        if llm_cache and not retrieval_only:
            from evals.llm_cache import LLMCache

            cache = LLMCache(llm_cache)

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
                else _engine_ask(fitter, fit, run_settings, store, llm_of, cache)
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
            "llm": None if retrieval_only else model_name(run_settings.llm, shared_llm[0]),
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
        **({"llm_cache": cache.stats()} if cache is not None else {}),
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
    fitter: Fitter, fit: FoldFit, settings: Any, store: Any, llm: Callable[[], Any], cache: Any = None
) -> Callable[[str], dict[str, Any]]:
    """question -> the ask JSON of the engine built with the fold's fusion, ranker weights and EngineConfig
    (the one LLM shared by every fold; no review-grid shortcut; its calls through `cache` when given)."""
    from assistant import Assistant
    from evals.llm_cache import attach

    engine = Assistant(
        settings,
        store=store,
        embeddings=fitter.grid.embeddings,
        llm=llm(),
        weights=fit.ranker.weights,
        engine=fit.engine,
        fusion=fit.fusion.fusion,
    )
    attach(engine, cache)
    return lambda question: dict(engine.answer(question).to_json())
