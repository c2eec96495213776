"""Leave-one-vendor-out's run folder (evals/lovo.py): report.md's tables (held-out figures, fitted values
per fold, seen vs unseen, reliability), summary.json, results.jsonl, report.html and the console lines."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.lovo_checks import RANKER_METRICS
from evals.lovo_fit import ALL_VENDORS

SHIPPED = "(shipped)"  # the numbers in config/ (for the embedder in use)


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
    from evals.report import cache_line, fmt
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
        *cache_line(cfg),
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
        "EngineConfig's gates "
        + ", ".join(f"`{g}`" for g in lv["gates_not_fitted"])
        + " are not refitted per "
        "fold: every fold uses the shipped values ("
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
