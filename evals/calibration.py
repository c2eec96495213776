"""The check's confidence, calibrated: how often a sentence the checker gave P(yes) = p really answers
(reliability by bins), and what each abstention threshold would have given on a run (sweep).

    python -m evals.calibration RUN_DIR            # the tables, from a full run (use the dev split)
    python -m evals.calibration RUN_DIR --write    # store the chosen threshold in config/ranker.json

An item's "truth" is whether its cited sentence hits a gold evidence passage (answerable items); for an
unanswerable item it is false. A run made with a threshold still records every item's confidence, and
abstaining items cite the checked sentence they rejected, so one run answers for every threshold up to
any other: an item that abstained at 0.5 would have been answered at 0.4 with that citation.
Accuracy after a threshold change is estimated from those citations (an answer of an abstained item is
counted right when its rejected sentence hit the evidence)."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assistant.confidence import FITTED_KEYS, UNANSWERABLE_INPUTS, logistic
from evals.dataset import item_fold
from evals.metrics import confidence_of, reliability, truth

MIN_FIT_ITEMS = 20  # checked items under which the confidence model is not fitted
# EngineConfig's numbers that the fit sets (config/ranker.json's "engine"; ConfidenceFit.engine_values)
FITTED_ENGINE_KEYS = FITTED_KEYS


def sweep(rows: Sequence[Mapping[str, Any]], thresholds: Sequence[float]) -> list[dict[str, Any]]:
    """For each threshold: abstention precision/recall (unanswerable items as positives) and the share of
    answerable items answered with a true sentence, over the items the check saw."""
    seen = [r for r in rows if confidence_of(r) is not None]
    out = []
    for thr in thresholds:
        abst = [r for r in seen if (confidence_of(r) or 0.0) < thr]
        pos = [r for r in seen if not (r.get("scores") or {}).get("answerable", True)]
        tp = sum(1 for r in abst if not (r.get("scores") or {}).get("answerable", True))
        answerable = [r for r in seen if (r.get("scores") or {}).get("answerable", True)]
        answered_true = sum(1 for r in answerable if (confidence_of(r) or 0.0) >= thr and truth(r))
        out.append(
            {
                "threshold": thr,
                "abstained": len(abst),
                "abstention_precision": tp / len(abst) if abst else None,
                "abstention_recall": tp / len(pos) if pos else None,
                "answerable_answered_true": answered_true / len(answerable) if answerable else None,
                "n": len(seen),
            }
        )
    return out


def choose(table: Sequence[Mapping[str, Any]]) -> float:
    """The threshold with the best F1 of abstention, ties to the lower threshold (answer more)."""

    def f1(r: Mapping[str, Any]) -> float:
        p, rc = r.get("abstention_precision") or 0.0, r.get("abstention_recall") or 0.0
        return 2 * p * rc / (p + rc) if p + rc else 0.0

    return float(max(table, key=lambda r: (round(f1(r), 6), -r["threshold"]))["threshold"])


def inputs_of(
    rows: Sequence[Mapping[str, Any]],
    gold_items: Mapping[str, Mapping[str, Any]] | None = None,
    assistant: Any = None,
    used: list[Mapping[str, Any]] | None = None,
    inputs: Sequence[str] | None = None,
) -> list[tuple[list[float], bool, bool]]:
    """(confidence inputs, truth, answerable) per single-vendor row the check saw, the inputs named by
    `inputs` (bias first; default: the default model's, CONFIDENCE_INPUTS): from the row's `signals` when
    the run recorded them, else recomputed by ranking the question again with `assistant` (the run's P(yes)
    is its confidence then: runs made before a confidence model existed); a row whose recorded signals lack
    one of the inputs is left out. The rows that gave a tuple are appended to `used`, in the same order,
    when it is given."""
    from assistant.confidence import CONFIDENCE_INPUTS, candidate_signals
    from assistant.rank import question_types
    from assistant.scope import decide

    names = list(inputs or CONFIDENCE_INPUTS)[1:]
    out = []
    for r in rows:
        ask = r.get("ask") or {}
        if ask.get("confidence") is None or ask.get("comparison") or not ask.get("citations"):
            continue
        sig = ask.get("signals") or {}
        answerable = bool((r.get("scores") or {}).get("answerable", True))
        if sig:
            if any(k not in sig for k in names):
                continue
            out.append(([1.0] + [float(sig[k]) for k in names], truth(r), answerable))
            if used is not None:
                used.append(r)
            continue
        if assistant is None or gold_items is None:
            continue
        question = str((gold_items.get(str(r["id"])) or {}).get("question") or ask.get("question"))
        sc = decide(question, None, None, assistant.catalog(), assistant.known_word)
        ret = assistant.retrieve(sc.asks[0], scope=sc)
        cands = assistant.candidates(sc.asks[0], ret)
        c0 = ask["citations"][0]
        cand = next(
            (c for c in cands if c.span.start == c0["start"] and c.span.clause.document == c0["document"]),
            None,
        )
        if cand is None:
            continue
        sig = candidate_signals(
            float(ask["confidence"]),
            cand,
            cands,
            question_types(question),
            max(ret.best_dense.values(), default=0.0),
        )
        out.append(([1.0] + [sig[k] for k in names], truth(r), answerable))
        if used is not None:
            used.append(r)
    return out


def fit_logistic(
    data: Sequence[tuple[list[float], bool, bool]], l2: float = 0.01, steps: int = 20000
) -> list[float]:
    """Logistic regression (gradient descent, L2 on all but the bias) of truth on the inputs. Measured against
    scikit-learn's LogisticRegression (lbfgs to convergence, the same L2) on the dev run that config/ranker.json
    was fitted on (97 items): 67 items right in leave-one-out against 68 here, where the 20,000 steps stop
    short of convergence and act as a stronger shrinkage; kept."""
    import numpy as np

    x = np.array([d[0] for d in data], dtype=float)
    y = np.array([1.0 if d[1] else 0.0 for d in data])
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        w -= 0.5 * (x.T @ (p - y) / len(y) + l2 * np.r_[0.0, w[1:]])
    return [float(v) for v in w]


def fit_standardized(data: Sequence[tuple[list[float], bool, bool]], steps: int = 3000) -> list[float]:
    """fit_logistic on inputs scaled to mean 0 and standard deviation 1 (bias first, left as is), the
    weights returned on the inputs' own scale: inputs far from 0 (a ranker score about 5) converge in a few
    thousand steps instead of stopping short."""
    import numpy as np

    x = np.array([d[0] for d in data], dtype=float)
    mu, sd = x[:, 1:].mean(axis=0), x[:, 1:].std(axis=0)
    sd[sd < 1e-9] = 1.0
    scaled = [([1.0, *((np.array(d[0][1:]) - mu) / sd).tolist()], d[1], d[2]) for d in data]
    w = np.array(fit_logistic(scaled, steps=steps))
    slopes = w[1:] / sd
    return [float(w[0] - (slopes * mu).sum()), *(float(v) for v in slopes)]


def unanswerable_data(
    rows: Sequence[Mapping[str, Any]],
    inputs: Sequence[str] = UNANSWERABLE_INPUTS,
    run_weight_norm: float | None = None,
) -> list[list[float]] | None:
    """The unanswerable model's inputs (bias first) of each row, from its recorded signals; None when a row
    lacks one (a run made before the signal was recorded). A row recorded before rank_score_mean existed
    gets it from its rank_score over `run_weight_norm`, the sum of the magnitudes of the ranker weights
    that run used."""
    out = []
    for r in rows:
        sig = dict((r.get("ask") or {}).get("signals") or {})
        if "rank_score_mean" not in sig and "rank_score" in sig and run_weight_norm:
            sig["rank_score_mean"] = float(sig["rank_score"]) / run_weight_norm
        if any(k not in sig for k in inputs[1:]):
            return None
        out.append([1.0] + [float(sig[k]) for k in inputs[1:]])
    return out


def vendor_folds(groups: Sequence[str]) -> list[list[int]]:
    """The leave-one-vendor-out folds of rows whose vendors are `groups` (group_of): each vendor's row
    indices, vendors in name order; rows of group "" are in no fold (never held out)."""
    return [[i for i, g in enumerate(groups) if g == v] for v in sorted({g for g in groups if g})]


def group_of(row: Mapping[str, Any]) -> str:
    """A row's vendor fold for the unanswerable gate's leave-one-vendor-out: its one vendor, else "" (an
    item naming none or several vendors, never held out)."""
    return item_fold(row) or ""


@dataclass(frozen=True)
class UnanswerableFit:
    """The model of P(the documents do not answer the question) and its threshold, chosen on each vendor's
    rows scored by the model fitted without that vendor."""

    weights: tuple[float, ...]
    threshold: float  # the gate's P at which the assistant abstains (1.0: off)
    right: int  # items right with the gate, each vendor's rows scored out of their vendor's fit
    right_without: int  # the same items without the gate
    inputs: tuple[str, ...] = UNANSWERABLE_INPUTS

    @property
    def keep(self) -> bool:
        """Kept only when it abstains on something and gets more items right on vendors it did not see."""
        return self.threshold < 1.0 and self.right > self.right_without


def fit_unanswerable(
    u_data: Sequence[list[float]],
    data: Sequence[tuple[list[float], bool, bool]],
    groups: Sequence[str],
    abstains: Sequence[bool],
    inputs: Sequence[str] = UNANSWERABLE_INPUTS,
    steps: int = 3000,
) -> UnanswerableFit:
    """Fit the unanswerable gate: logistic weights of "the item is unanswerable" on `u_data` (one row per
    item of `data`, whose truth and answerability decide what is right), and the threshold that gets the
    most items right (answerable answered with a true sentence, unanswerable abstained) when each vendor's
    rows are scored by the model fitted on the other vendors' rows (the rows of `groups` "" are never held
    out); ties to the higher threshold (abstain less). `abstains`: the items the assistant abstains on
    without the gate (confidence under its threshold)."""
    target = [(x, not a, a) for x, (_, _, a) in zip(u_data, data, strict=True)]
    weights = fit_standardized(target, steps=steps)
    held = [1.0] * len(target)  # P from the fit without the row's vendor; 1.0: never gated
    for fold in vendor_folds(groups):
        out = set(fold)
        train = [d for i, d in enumerate(target) if i not in out]
        if len({t for _, t, _ in train}) < 2:
            continue
        w = fit_standardized(train, steps=steps)
        for i in fold:
            held[i] = logistic(w, u_data[i])

    def right(cut: float) -> int:
        n = 0
        for (_, t, a), base, p in zip(data, abstains, held, strict=True):
            abstain = base or p >= cut
            n += (a and t and not abstain) or (not a and abstain)
        return n

    cands = sorted({p for p in held if p < 1.0}) + [1.0]  # unrounded, as in best_threshold
    best = max(cands, key=lambda c: (right(c), c))
    return UnanswerableFit(tuple(weights), best, right(best), right(1.0), tuple(inputs))


def items_right(
    scores: Sequence[float],
    data: Sequence[tuple[list[float], bool, bool]],
    thr: float,
    no_answer: Sequence[bool] | None = None,
    cut: float = 0.0,
) -> int:
    """Items decided right (answerable answered with a true sentence, unanswerable abstained) when the
    assistant abstains under `thr`, and also under `cut` for the items whose restatement stated no answer."""
    flags = no_answer if no_answer is not None else [False] * len(scores)
    n = 0
    for s, (_, t, a), na in zip(scores, data, flags, strict=True):
        abstains = s < thr or (na and s < cut)
        n += (a and t and not abstains) or (not a and abstains)
    return n


def best_threshold(scores: Sequence[float], data: Sequence[tuple[list[float], bool, bool]]) -> float:
    """The threshold that gets the most items right: answerable items answered with a true sentence, plus
    unanswerable items abstained (ties to the lower threshold)."""
    cands = sorted({float(s) for s in scores})  # unrounded: a score equal to the threshold is answered
    return max(cands, key=lambda thr: (items_right(scores, data, thr), -thr)) if cands else 0.5


def stated_no_answer(row: Mapping[str, Any]) -> bool:
    """Whether the model, restating the row's checked sentence, stated no answer from it: the run's
    `wording_no_answer` signal, or (runs made before that signal) its "wording rejected: ..." warning."""
    from assistant.say import states_no_answer

    ask = row.get("ask") or {}
    sig = ask.get("signals") or {}
    if "wording_no_answer" in sig:
        return bool(sig["wording_no_answer"])
    prefix = "wording rejected: "
    return any(states_no_answer(w[len(prefix) :]) for w in ask.get("warnings") or [] if w.startswith(prefix))


def best_unworded_threshold(
    scores: Sequence[float],
    data: Sequence[tuple[list[float], bool, bool]],
    no_answer: Sequence[bool],
    thr: float,
) -> tuple[float, int]:
    """The confidence under which an answer whose restatement stated no answer is withdrawn: of the
    candidate cuts (thr, then midway above each such item's confidence), the one that gets the most items
    right (answerable answered with a true sentence, unanswerable abstained), ties to the lower cut (withdraw
    less). Returns (cut, items right); the cut `thr` withdraws nothing."""

    def good(cut: float) -> int:
        return items_right(scores, data, thr, no_answer, cut)

    above = sorted({s for s, na in zip(scores, no_answer, strict=True) if na and s >= thr})
    nxt = above[1:] + [s + 0.02 for s in above[-1:]]
    cands = [thr] + [round((a + b) / 2, 4) for a, b in zip(above, nxt, strict=True)]
    best = max(cands, key=lambda c: (good(c), -c))
    return best, good(best)


def loo_right(
    data: Sequence[tuple[list[float], bool, bool]],
    no_answer: Sequence[bool],
    steps: int = 20000,
    groups: Sequence[str] | None = None,
) -> tuple[int, int]:
    """Held-out items right (each item decided by the confidence model, threshold and unworded cut fitted
    without it): (without the cut, with it). Leave-one-out, or with `groups` (the rows' vendors, group_of)
    leave-one-vendor-out: each vendor's rows decided by the fit on the other vendors' rows (rows of group ""
    are never held out). The in-sample count flatters a cut fitted on a handful of items near the threshold;
    this says whether it carries to an item, or a vendor, it was not fitted on."""
    folds = [[i] for i in range(len(data))] if groups is None else vendor_folds(groups)
    plain = with_cut = 0
    for held in folds:
        out = set(held)
        rest = [d for j, d in enumerate(data) if j not in out]
        rest_na = [n for j, n in enumerate(no_answer) if j not in out]
        w = fit_logistic(rest, steps=steps)
        scores = [logistic(w, xx) for xx, _, _ in rest]
        thr = best_threshold(scores, rest)
        cut, _ = best_unworded_threshold(scores, rest, rest_na, thr)
        for i in held:
            x, t, a = data[i]
            s = [logistic(w, x)]
            plain += items_right(s, [(x, t, a)], thr)
            with_cut += items_right(s, [(x, t, a)], thr, [no_answer[i]], cut)
    return plain, with_cut


@dataclass(frozen=True)
class ConfidenceFit:
    """The confidence model fitted on checked items: its weights (over CONFIDENCE_INPUTS), its abstention
    threshold, and the unworded cut with the leave-one-out counts that decide whether it is kept."""

    weights: tuple[float, ...]
    threshold: float
    right: int  # items right in-sample under the model and its threshold
    p_threshold: float  # P(yes) alone: its best threshold, and the items right under it
    p_right: int
    n_no_answer: int  # items whose restatement stated no answer
    cut: float  # the unworded cut fitted in-sample (== threshold: it withdraws nothing)
    cut_right: int
    loo_plain: int  # leave-one-out items right without the cut, with it (0, 0 when the cut withdraws nothing)
    loo_cut: int
    n_items: int
    inputs: tuple[str, ...] = ()  # the model's inputs ("bias" first); () for the default model's
    unanswerable: UnanswerableFit | None = None  # the unanswerable gate (None: not fitted)
    loo_by_vendor: bool = False  # loo_* by leave-one-vendor-out (rows of two vendors or more), else one out

    @property
    def keep_cut(self) -> bool:
        """The cut is kept only when it withdraws something and carries in leave-one-out."""
        return self.cut > self.threshold and self.loo_cut > self.loo_plain

    def engine_values(self) -> dict[str, Any]:
        """The fitted numbers as config/ranker.json's "engine" stores them (and EngineConfig reads them), by
        FITTED_ENGINE_KEYS."""
        from assistant.confidence import CONFIDENCE_INPUTS

        u = self.unanswerable if self.unanswerable is not None and self.unanswerable.keep else None
        values = (
            [round(v, 5) for v in self.weights],
            round(self.threshold, 4),
            round(self.cut, 4) if self.keep_cut else 0.0,
            list(self.inputs or CONFIDENCE_INPUTS),
            [round(v, 5) for v in u.weights] if u else [],
            math.floor(u.threshold * 1e4) / 1e4 if u else 1.0,  # rounded down: the item at it stays gated
            list(u.inputs if u else UNANSWERABLE_INPUTS),
        )
        return dict(zip(FITTED_ENGINE_KEYS, values, strict=True))


def p_yes_of(x: Sequence[float], inputs: Sequence[str]) -> float:
    """P(yes) from one row's model inputs (named by `inputs`): itself, or from its log-odds."""
    if "p_yes" in inputs:
        return float(x[list(inputs).index("p_yes")])
    return 1.0 / (1.0 + math.exp(-float(x[list(inputs).index("p_yes_logit")])))


def fit_confidence(
    data: Sequence[tuple[list[float], bool, bool]],
    no_answer: Sequence[bool],
    steps: int = 20000,
    inputs: Sequence[str] | None = None,
    u_data: Sequence[list[float]] | None = None,
    groups: Sequence[str] | None = None,
    unworded_cut: bool = True,
) -> ConfidenceFit:
    """Fit the confidence model on `data` (inputs_of's tuples over `inputs`, default the default model's;
    `no_answer`: stated_no_answer of the same rows): logistic weights, the threshold that gets the most items
    right, P(yes) alone for comparison, and the unworded cut, kept only when it carries in leave-one-out
    (leave-one-vendor-out when `groups`, the rows' vendors, name two or more). With `u_data`
    (unanswerable_data of the same rows) and `groups` (group_of), the unanswerable gate too
    (fit_unanswerable), on top of that threshold and cut. `unworded_cut` False: no cut is fitted (the cut
    is left off, as when it does not carry)."""
    from assistant.confidence import CONFIDENCE_INPUTS

    names = tuple(inputs or CONFIDENCE_INPUTS)
    w = fit_logistic(data, steps=steps)
    scores = [logistic(w, x) for x, _, _ in data]
    thr = best_threshold(scores, data)
    p_scores = [p_yes_of(x, names) for x, _, _ in data]
    p_thr = best_threshold(p_scores, data)
    cut, n_cut = (
        best_unworded_threshold(scores, data, no_answer, thr)
        if unworded_cut
        else (thr, items_right(scores, data, thr))
    )
    by_vendor = groups is not None and len(vendor_folds(groups)) >= 2  # else leave-one-out
    folds = groups if by_vendor else None
    loo_plain, loo_cut = loo_right(data, no_answer, steps=steps, groups=folds) if cut > thr else (0, 0)
    fit = ConfidenceFit(
        weights=tuple(w),
        threshold=thr,
        right=items_right(scores, data, thr),
        p_threshold=p_thr,
        p_right=items_right(p_scores, data, p_thr),
        n_no_answer=sum(no_answer),
        cut=cut,
        cut_right=n_cut,
        loo_plain=loo_plain,
        loo_cut=loo_cut,
        n_items=len(data),
        inputs=names,
        loo_by_vendor=by_vendor,
    )
    if u_data is None or groups is None:
        return fit
    kept_cut = cut if fit.keep_cut else 0.0
    abstains = [s < thr or (na and s < kept_cut) for s, na in zip(scores, no_answer, strict=True)]
    return replace(fit, unanswerable=fit_unanswerable(u_data, data, groups, abstains))


def _fmt(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m evals.calibration",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run", help="a full eval run folder (results.jsonl), on the dev split")
    p.add_argument("--write", action="store_true", help="store the chosen threshold in config/ranker.json")
    p.add_argument(
        "--fit",
        action="store_true",
        help="fit the confidence model (check P(yes) + ranker evidence) and its threshold",
    )
    p.add_argument(
        "--gold", nargs="+", default=["evals/gold/contracts.jsonl"], help="with --fit: the run's gold file(s)"
    )
    p.add_argument(
        "--inputs",
        help="with --fit: the model's inputs, comma-separated signal names of assistant.confidence.SIGNALS "
        "(default: the default model's, " + ",".join(("p_yes", "rank_score", "type_match")) + ",...)",
    )
    p.add_argument(
        "--no-unworded-cut",
        action="store_true",
        help="with --fit: fit no unworded cut (abstain_unworded_below stays 0; the leave-one-vendor-out run "
        "lovo-full-v2 found that the cut fitted on dev costs answers on the held-out vendors' test items)",
    )
    args = p.parse_args(argv)
    from evals.report import load_run

    summary, rows = load_run(args.run)
    if (summary.get("split") or "dev") != "dev" and args.write:
        print("error: calibrate on the dev split only", file=sys.stderr)
        return 2
    if args.fit:
        return _fit(args, rows)
    print("| P(yes) bin | n | mean confidence | observed |\n|---|---|---|---|")
    for b in reliability(rows):
        print(
            f"| {b['lo']:.1f}–{b['hi']:.1f} | {b['n']} | {_fmt(b['mean_confidence'])} | {_fmt(b['observed'])} |"
        )
    table = sweep(rows, [x / 20 for x in range(4, 19)])
    print(
        "\n| threshold | abstained | abst. precision | abst. recall | answerable answered with a true sentence |"
    )
    print("|---|---|---|---|---|")
    for r in table:
        print(
            f"| {r['threshold']:.2f} | {r['abstained']} | {_fmt(r['abstention_precision'])} | "
            f"{_fmt(r['abstention_recall'])} | {_fmt(r['answerable_answered_true'])} |"
        )
    thr = choose(table)
    print(f"\nchosen threshold (best abstention F1): {thr:.2f}")
    if args.write:
        from assistant.rank import update_weights_file

        calibrated = {"on": str(Path(args.run)), "items": len(rows), "date": dt.date.today().isoformat()}
        print(f"written to {update_weights_file({'abstain_below': thr}, calibrated=calibrated)}")
    return 0


def _fit(args: argparse.Namespace, rows: Sequence[Mapping[str, Any]]) -> int:
    from core.runtime import apply_offline_defaults

    apply_offline_defaults()
    from assistant import Assistant
    from assistant.confidence import CONFIDENCE_INPUTS, SIGNALS
    from assistant.rank import update_weights_file
    from core.settings import load_settings
    from evals.dataset import load_golds

    inputs = ("bias", *args.inputs.split(",")) if args.inputs else CONFIDENCE_INPUTS
    unknown = [k for k in inputs[1:] if k not in SIGNALS]
    if unknown or ("p_yes" not in inputs and "p_yes_logit" not in inputs):
        print(
            f"error: --inputs needs p_yes or p_yes_logit and names of {SIGNALS} (got {unknown})",
            file=sys.stderr,
        )
        return 2
    gold = {str(it["id"]): it for it in load_golds(args.gold)}
    used: list[Mapping[str, Any]] = []
    data = inputs_of(rows, gold, Assistant(load_settings()), used=used, inputs=inputs)
    if len(data) < MIN_FIT_ITEMS:
        print(f"error: only {len(data)} checked items to fit on", file=sys.stderr)
        return 2
    no_answer = [stated_no_answer(r) for r in used]
    from assistant.confidence import weight_norm
    from assistant.rank import load_weights

    # runs recorded before rank_score_mean: their ranker weights were the shipped ones (fit on a run made with
    # config/ranker.json as it is)
    u_data = unanswerable_data(used, run_weight_norm=weight_norm(load_weights()))
    groups = [group_of(r) for r in used]
    fitted = fit_confidence(
        data, no_answer, inputs=inputs, u_data=u_data, groups=groups, unworded_cut=not args.no_unworded_cut
    )
    print(
        f"{len(data)} checked dev items; weights "
        f"{dict(zip(inputs, (round(v, 3) for v in fitted.weights), strict=True))}"
    )
    print(f"P(yes) alone: threshold {fitted.p_threshold:.3f}, {fitted.p_right} items right")
    print(f"combined:     threshold {fitted.threshold:.3f}, {fitted.right} items right")
    if args.no_unworded_cut:
        print("unworded cut: not fitted (--no-unworded-cut)")
    else:
        print(
            f"withdrawn when no answer was stated ({fitted.n_no_answer} such items): under {fitted.cut:.3f}, "
            f"{fitted.cut_right} items right; "
            f"{'leave-one-vendor-out' if fitted.loo_by_vendor else 'leave-one-out'} {fitted.loo_plain} without the cut, "
            f"{fitted.loo_cut} with it: "
            + ("kept" if fitted.keep_cut else "not kept (it does not carry to items it was not fitted on)")
        )
    u = fitted.unanswerable
    if u is None:
        print("unanswerable gate: not fitted (the run's rows do not record its signals)")
    else:
        print(
            f"unanswerable gate over {', '.join(u.inputs[1:])}: weights {[round(v, 3) for v in u.weights]}; "
            f"abstain at P(unanswerable) >= {u.threshold:.3f}: each vendor scored by the model fitted "
            f"without it, {u.right} items right against {u.right_without} without the gate: "
            + ("kept" if u.keep else "not kept (it does not carry to vendors it was not fitted on)")
        )
    if args.write:
        calibrated = {
            "on": str(Path(args.run)),
            "items": len(data),
            "inputs": list(inputs),
            "date": dt.date.today().isoformat(),
        }
        print(f"written to {update_weights_file(fitted.engine_values(), calibrated=calibrated)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
