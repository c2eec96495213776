"""Command line: `python -m evals run ...`, `python -m evals compare RUN_A RUN_B`, `python -m evals lovo ...`."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT, Settings, load_settings

log = logging.getLogger("evals")

EPILOG = """examples:
  python -m evals run --gold evals/gold/contracts.jsonl --retrieval-only
  python -m evals run --gold evals/gold/contracts.jsonl --filter lang=fr --limit 10 --fast
  python -m evals run --gold evals/gold/contracts.jsonl --retrieval-only --split dev
  python -m evals run --gold evals/gold/contracts.jsonl --split both --out evals/runs/full  # -> full/{dev,test}/
  python -m evals run --gold ../shared/benchmarks/policyqa-dev/gold.jsonl \\
      --corpus ../shared/benchmarks/policyqa-dev/corpus --retrieval-only --system bm25
  python -m evals run --gold evals/gold/contracts.jsonl --retrieval-only --min evidence_recall@5=0.8
  python -m evals compare evals/baselines/retrieval-default-contracts evals/runs/LATEST
  python -m evals table evals/baselines/*/
  python -m evals record evals/runs/LATEST --change "engine: second asks split on prepositions"
  python -m evals history --gold contracts --split test --metric answer_accuracy citation_precision
  python -m evals lovo --gold evals/gold/contracts.jsonl --retrieval-only
  python -m evals lovo --gold evals/gold/contracts.jsonl --gold evals/gold/basecamp.jsonl \\
      --fit-run evals/baselines/full-v3-contracts --sample 40
"""


def add_llm_cache(parser: argparse.ArgumentParser) -> None:
    """The --llm-cache option (run, lovo, review): evals.llm_cache."""
    parser.add_argument(
        "--llm-cache",
        metavar="FILE",
        help="replay the model's checks and wordings from this SQLite file and add new ones to it (for "
        "re-running after a small change: quality figures as a fresh run's, latency not a measurement)",
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m evals",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser(
        "run",
        help="run a gold set and write summary.json, results.jsonl, report.md/.html",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument(
        "--gold",
        required=True,
        nargs="+",
        action="extend",
        help="gold JSONL file(s) (schema: ../shared/spec/interfaces.md); several are scored as one set",
    )
    r.add_argument("--corpus", help="run on this corpus, ingested into a temporary store of its own")
    r.add_argument(
        "--store-dir",
        help="with --corpus: keep that corpus's store in this folder (re-used, "
        "ingested incrementally) instead of a temporary one",
    )
    r.add_argument("--out", help="output folder (default evals/runs/<timestamp>-<system>-<goldname>/)")
    r.add_argument("--k", type=int, default=5, help="top-k retrieved spans scored (default 5)")
    r.add_argument("--retrieval-only", action="store_true", help="score retrieval alone (no LLM)")
    r.add_argument(
        "--extracts",
        action="store_true",
        help="with --retrieval-only: score the extracts the model would be given (span selection "
        "and token budget after retrieval) instead of the retrieved clauses",
    )
    r.add_argument("--limit", type=int, help="first N items (after filters)")
    r.add_argument(
        "--sample", type=int, help="a seeded random sample of N items (after filters, before --limit)"
    )
    r.add_argument("--seed", type=int, default=0, help="seed for --sample (default 0)")
    r.add_argument(
        "--split",
        choices=("dev", "test", "both"),
        help="only the gold items of this split (tune on dev, report test); both: one pass over "
        "dev + test that writes OUT/dev/ and OUT/test/ (each its own summary) beside the "
        "whole run in OUT/ (default: every item, no split recorded)",
    )
    r.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="lang=fr, vendor=SLUG[,SLUG], id=ID, answerable=true|false (repeatable)",
    )
    r.add_argument(
        "--min",
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="fail (exit 1) when METRIC is under VALUE (repeatable)",
    )
    r.add_argument(
        "--max",
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="fail (exit 1) when METRIC is over VALUE, e.g. latency_ms_p95=30000 (repeatable)",
    )
    r.add_argument(
        "--system",
        choices=("default", "bm25", "plain-rag"),
        default="default",
        help="default: the assistant; bm25 / plain-rag: baselines (default: default)",
    )
    r.add_argument("--fast", action="store_true", help="use the fast local LLM (llm.choice=fast)")
    add_llm_cache(r)
    r.add_argument(
        "--redact",
        action="store_true",
        help="write no document/question text (ids, scores, offsets only): for licensed corpora",
    )
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    c = sub.add_parser("compare", help="per-metric deltas and flipped items between two runs")
    c.add_argument("run_a")
    c.add_argument("run_b")
    d = sub.add_parser("redact", help="rewrite a run folder without any document or question text")
    d.add_argument("run")
    x = sub.add_parser(
        "crossfit",
        help="a dev run's rows, each replaced by the one a leave-one-vendor-out run (--also-dev) answered with "
        "the fold fitted without its vendor: rows to fit the confidence and the gate on (evals/crossfit.py)",
    )
    x.add_argument("lovo_run", help="an `evals lovo --also-dev` output folder")
    x.add_argument("dev_run", help="the full dev run the leave-one-vendor-out run was given as --fit-run")
    x.add_argument(
        "--out", required=True, help="the folder to write (a run folder: summary.json, results.jsonl)"
    )
    t = sub.add_parser("table", help="a Markdown table of the headline metrics of several runs")
    t.add_argument("runs", nargs="+")
    h = sub.add_parser(
        "record",
        help="append run folders (one line each) to the eval history, with what changed",
    )
    h.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run folder(s) holding a summary.json")
    h.add_argument("--change", required=True, help="what changed for these runs (required, not empty)")
    h.add_argument("--history", default=None, help="history file (default evals/history.jsonl)")
    h.add_argument(
        "--cpu",
        default=None,
        help="the CPU the runs ran on, when not this machine (default: this machine's, from core.hardware)",
    )
    g = sub.add_parser(
        "history", help="the eval history as a Markdown table, oldest first, with deltas per kind of run"
    )
    g.add_argument("--history", default=None, help="history file (default evals/history.jsonl)")
    g.add_argument(
        "--gold", default=None, metavar="SUBSTRING", help="only runs whose gold path contains this"
    )
    g.add_argument("--split", default=None, help="only runs of this split (dev, test, ...; none: no split)")
    g.add_argument(
        "--metric",
        action="extend",
        nargs="+",
        default=None,
        metavar="M",
        help="metric columns (repeatable; default evidence_recall@5 mrr@5 answer_accuracy latency_ms_p50)",
    )
    lv = sub.add_parser(
        "lovo",
        help="leave-one-vendor-out: every fitted number fitted on the other vendors' dev items, scored on "
        "the held-out vendor's test items, for each vendor in turn",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lv.add_argument(
        "--gold",
        action="append",
        required=True,
        help="gold JSONL file (repeatable: several files, ids unique across them; every item needs a split)",
    )
    lv.add_argument("--corpus", help="run on this corpus, ingested into a temporary store of its own")
    lv.add_argument("--store-dir", help="with --corpus: keep that corpus's store in this folder")
    lv.add_argument(
        "--out", help="output folder (default evals/runs/<timestamp>-lovo[-retrieval]-<goldname>/)"
    )
    lv.add_argument("--k", type=int, default=5, help="top-k retrieved spans scored (default 5)")
    lv.add_argument(
        "--retrieval-only",
        action="store_true",
        help="fit and score the fusion and the ranker only (no LLM; with --fit-run, the confidence on the "
        "run's recorded rows too)",
    )
    lv.add_argument(
        "--fit-run",
        help="a full run folder whose rows carry `signals` (its dev items' rows fit each fold's confidence "
        "model; a --split both run also gives the held-out vendors' test rows); required without "
        "--retrieval-only",
    )
    lv.add_argument(
        "--vendor", action="append", default=[], help="only these folds (repeatable; default: every vendor)"
    )
    lv.add_argument("--also-dev", action="store_true", help="score each held-out vendor's dev items too")
    lv.add_argument(
        "--inputs",
        help="the confidence model's inputs, comma-separated names of assistant.confidence.SIGNALS "
        "(default: the default model's)",
    )
    lv.add_argument(
        "--no-unworded-cut",
        action="store_true",
        help="fit no unworded cut in any fold (as `python -m evals.calibration RUN --fit --no-unworded-cut`)",
    )
    lv.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="which held-out items are scored: lang=fr, id=ID, answerable=true|false (the fits use every "
        "training item)",
    )
    lv.add_argument("--sample", type=int, help="a seeded random sample of N of the held-out items scored")
    lv.add_argument("--limit", type=int, help="the first N of the held-out items scored (after --sample)")
    lv.add_argument("--seed", type=int, default=0, help="seed for --sample (default 0)")
    lv.add_argument(
        "--min",
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="fail (exit 1) when a pooled METRIC is under VALUE (repeatable)",
    )
    lv.add_argument("--fast", action="store_true", help="use the fast local LLM (llm.choice=fast)")
    add_llm_cache(lv)
    lv.add_argument("--no-progress", action="store_true", help="no progress bar")
    v = sub.add_parser("review", help="score the review grid (vendors x topics) against the gold grid")
    v.add_argument("--gold", default=None, help="gold grid JSONL (default evals/gold/review.jsonl)")
    v.add_argument(
        "--grid",
        default=None,
        help="a grid JSON from `python -m assistant review --json` (default: build it from the review "
        "cache, computing what it lacks)",
    )
    v.add_argument("--lang", choices=("en", "fr"), default="en", help="grid language (default en)")
    v.add_argument("--out", default=None, help="output folder (default evals/runs/<timestamp>-review/)")
    v.add_argument("--fast", action="store_true", help="use the fast local LLM (llm.choice=fast)")
    add_llm_cache(v)
    v.add_argument(
        "--min",
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="fail (exit 1) when METRIC is under VALUE, e.g. cell_accuracy=0.9 (repeatable)",
    )
    return p


def parse_thresholds(specs: Sequence[str], allowed: Sequence[str]) -> dict[str, float]:
    """`METRIC=VALUE` strings -> {metric: value}; ValueError naming the allowed metrics otherwise."""
    out: dict[str, float] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep or name not in allowed:
            raise ValueError(
                f"bad threshold {spec!r}: use METRIC=VALUE with METRIC one of {', '.join(allowed)}"
            )
        try:
            out[name] = float(value)
        except ValueError as exc:
            raise ValueError(f"bad threshold {spec!r}: {value!r} is not a number") from exc
    return out


def check_thresholds(
    metrics: Mapping[str, Any], mins: Mapping[str, float], maxs: Mapping[str, float] | None = None
) -> list[str]:
    """Messages for every metric under its --min (or over its --max); an undefined metric fails too."""
    problems = []
    for name, bound in mins.items():
        v = metrics.get(name)
        if v is None:
            problems.append(f"{name} is undefined in this run (no item qualifies), required >= {bound:g}")
        elif float(v) < bound:
            problems.append(f"{name} = {float(v):.4f} is under the required minimum {bound:g}")
    for name, bound in (maxs or {}).items():
        v = metrics.get(name)
        if v is None:
            problems.append(f"{name} is undefined in this run, required <= {bound:g}")
        elif float(v) > bound:
            problems.append(f"{name} = {float(v):.4f} is over the allowed maximum {bound:g}")
    return problems


def redact_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A results row without any text: id, scores, retrieved offsets, citation offsets, abstained."""
    ask = row.get("ask") or {}
    keep = {
        "retrieved": [
            {k: v for k, v in s.items() if k in ("vendor", "document", "start", "end", "score")}
            for s in ask.get("retrieved") or []
        ],
        "citations": [
            {k: v for k, v in c.items() if k in ("n", "vendor", "document", "start", "end")}
            for c in ask.get("citations") or []
        ],
        "timings_ms": ask.get("timings_ms", {}),
        "model": ask.get("model", {}),
    }
    if "abstained" in ask:
        keep["abstained"] = ask["abstained"]
    return {
        "id": row["id"],
        "ask": keep,
        "scores": row.get("scores", {}),
        "vendors": row.get("vendors"),
        "lang": row.get("lang"),
    }


def default_out_dir(system: str, gold: str | Path, split: str | None = None) -> Path:
    """evals/runs/<timestamp>-<system>-<goldname>[-<split>]/ (the mode is in summary.json's config)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = f"-{split}" if split else ""
    return PROJECT_ROOT / "evals" / "runs" / f"{stamp}-{system}-{Path(gold).stem}{suffix}"


def cmd_run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    from evals.dataset import (
        SPLITS,
        GoldError,
        apply_filters,
        gold_label,
        load_golds,
        parse_filters,
        select_split,
    )
    from evals.llm_cache import check_cache_file
    from evals.metrics import metric_names, shown_metrics
    from evals.report import fmt, write_run
    from evals.runner import run_eval

    allowed = metric_names(args.k)
    try:
        mins = parse_thresholds(args.min, allowed)
        maxs = parse_thresholds(args.max, allowed)
        filters = parse_filters(args.filter)
        gold = load_golds(args.gold, tag_files=len(args.gold) > 1)
        if args.split:
            gold = select_split(gold, args.split)
        items = apply_filters(gold, filters, args.limit, args.sample, args.seed)
        check_cache_file(args.llm_cache)
    except (GoldError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not items:
        print("error: no gold item left after filters", file=sys.stderr)
        return 2
    if args.extracts and not args.retrieval_only:
        print("error: --extracts needs --retrieval-only", file=sys.stderr)
        return 2
    settings = settings or load_settings()
    if args.fast:
        settings = settings.replace(**{"llm.choice": "fast"})
    from core.tokens import ensure_tiktoken_cache

    ensure_tiktoken_cache(settings.tiktoken_cache_dir)
    result = run_eval(
        settings,
        items,
        system=args.system,
        k=args.k,
        retrieval_only=args.retrieval_only,
        corpus=args.corpus,
        gold_path=gold_label(args.gold),
        progress=not args.no_progress,
        store_dir=args.store_dir,
        extracts=args.extracts,
        llm_cache=args.llm_cache,
        extra_config={
            "filters": {k: sorted(v) for k, v in filters.items()},
            "limit": args.limit,
            "sample": args.sample,
            "seed": args.seed if args.sample else None,
            "redacted": bool(args.redact),
            "split": args.split,
            **({"gold_files": list(args.gold)} if len(args.gold) > 1 else {}),
        },
    )
    out = Path(
        args.out or default_out_dir(args.system, "+".join(Path(g).stem for g in args.gold), args.split)
    )
    # --split both: the whole run in OUT/, each split's own run (rows, metrics, report) in OUT/<split>/.
    runs = {"": result, **(result.by_split(SPLITS) if args.split == "both" else {})}
    for sub, res in runs.items():
        write_run(out / sub, res.summary(), [redact_row(r) for r in res.rows] if args.redact else res.rows)
    shown = shown_metrics(args.k, *(res.metrics for res in runs.values()))
    width = max(len(n) for n in shown)
    if args.split == "both":
        print(f"{'metric':<{width}}  {'dev':>9}  {'test':>9}  {'both':>9}")
        for name in shown:
            print(
                f"{name:<{width}}  "
                + "  ".join(f"{fmt(runs[s].metrics.get(name), name):>9}" for s in (*SPLITS, ""))
            )
    else:
        for name in shown:
            print(f"{name:<{width}}  {fmt(result.metrics.get(name), name)}")
    print(f"wrote {out}" + (" (and dev/, test/)" if args.split == "both" else ""))
    # With --split both a threshold holds on each split (a floor the tuned and the held-out set both meet).
    checked = {sub: res for sub, res in runs.items() if sub} if args.split == "both" else runs
    problems = [
        (f"[{sub}] " if sub else "") + msg
        for sub, res in checked.items()
        for msg in check_thresholds(res.metrics, mins, maxs)
    ]
    for p in problems:
        print(f"THRESHOLD FAILED: {p}", file=sys.stderr)
    return 1 if problems else 0


def cmd_compare(args: argparse.Namespace) -> int:
    from evals.compare import render_compare
    from evals.report import load_run

    try:
        a, rows_a = load_run(args.run_a)
        b, rows_b = load_run(args.run_b)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(render_compare(a, rows_a, b, rows_b, args.run_a, args.run_b), end="")
    return 0


def cmd_redact(args: argparse.Namespace) -> int:
    from evals.report import load_run, write_run

    try:
        summary, rows = load_run(args.run)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary.setdefault("config", {})["redacted"] = True
    write_run(args.run, summary, [redact_row(r) for r in rows])
    print(f"redacted {args.run}")
    return 0


def cmd_crossfit(args: argparse.Namespace) -> int:
    from evals.crossfit import cross_fitted_run
    from evals.report import load_run, write_run

    try:
        lovo_summary, lovo_rows = load_run(args.lovo_run)
        dev_summary, dev_rows = load_run(args.dev_run)
        result = cross_fitted_run(
            lovo_summary,
            lovo_rows,
            dev_summary,
            dev_rows,
            {"lovo_run": args.lovo_run, "dev_run": args.dev_run},
        )
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_run(args.out, result.summary(), result.rows)
    info = result.config["cross_fitted"]
    print(
        f"wrote {args.out}: {info['rows_cross_fitted']} rows cross-fitted, "
        f"{info['rows_from_dev_run']} from {args.dev_run} (items no fold holds out)"
    )
    return 0


def cmd_table(args: argparse.Namespace) -> int:
    from evals.compare import render_table
    from evals.report import load_run

    try:
        runs = [(Path(r).name, load_run(r)[0]) for r in args.runs]
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(render_table(runs), end="")
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    from evals.history import DEFAULT_HISTORY, HistoryError, record

    history = args.history or DEFAULT_HISTORY
    try:
        rows = record(args.runs, args.change, history, cpu=args.cpu)
    except HistoryError as exc:
        print(f"error: {exc}; nothing recorded", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {history}: {exc}; nothing recorded", file=sys.stderr)
        return 2
    for r in rows:
        print(f"recorded {r['run']} ({r['commit'] or 'no commit'}, {len(r['metrics'])} metrics) in {history}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from evals.history import (
        DEFAULT_HISTORY,
        DEFAULT_METRICS,
        HistoryError,
        load_history,
        render_history,
        select,
    )

    try:
        rows = load_history(args.history or DEFAULT_HISTORY)
    except HistoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not select(rows, args.gold, args.split):
        print("no recorded run matches", file=sys.stderr)
    print(render_history(rows, args.metric or DEFAULT_METRICS, args.gold, args.split), end="")
    return 0


def cmd_review(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """Score a review grid (given, or built from the review cache) against the gold grid."""
    import json

    from evals import review as rv
    from evals.dataset import GoldError, load_gold
    from evals.llm_cache import check_cache_file

    try:
        gold = load_gold(args.gold or rv.DEFAULT_GOLD)
        mins = parse_thresholds(args.min, [*rv.HEADLINE, "cell_accuracy_all"])
        grid = json.loads(Path(args.grid).read_text(encoding="utf-8")) if args.grid else None
        check_cache_file(args.llm_cache)
    except (GoldError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = settings or load_settings()
    if args.fast:
        settings = settings.replace(**{"llm.choice": "fast"})
    cache = None
    if grid is None:
        if args.llm_cache:
            from evals.llm_cache import LLMCache

            cache = LLMCache(args.llm_cache)
        grid = rv.build_for_gold(
            settings,
            gold,
            args.lang,
            progress=lambda m: print(m, file=sys.stderr, flush=True),
            llm_cache=cache,
        )
    rows, metrics = rv.score_grid(gold, grid, rv.corpus_text(settings.corpus_dir))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    config = {
        "gold": str(args.gold or "evals/gold/review.jsonl"),
        "grid": args.grid or "review cache",
        "lang": args.lang,
        "model": rv.grid_model(grid),
        **({"llm_cache": cache.stats()} if cache is not None else {}),
    }
    out = rv.write_review_run(
        args.out or PROJECT_ROOT / "evals" / "runs" / f"{stamp}-review", metrics, rows, config
    )
    for name in (*rv.HEADLINE, "cell_accuracy_all"):
        v = metrics.get(name)
        print(f"{name:<22}  {'–' if v is None else (f'{v:.3f}' if isinstance(v, float) else v)}")
    print(f"wrote {out}")
    problems = check_thresholds(metrics, mins)
    for p in problems:
        print(f"THRESHOLD FAILED: {p}", file=sys.stderr)
    return 1 if problems else 0


def cmd_lovo(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """Leave-one-vendor-out over one or more gold files (evals/lovo.py): print the estimate, run the folds,
    write the run folder, print the pooled and per-fold figures and the seen/unseen verdicts."""
    from evals import lovo, lovo_report
    from evals.dataset import GoldError, apply_filters, parse_filters
    from evals.llm_cache import check_cache_file
    from evals.lovo_checks import RANKER_METRICS
    from evals.metrics import metric_names
    from evals.report import load_run

    allowed = [*metric_names(args.k), *(n.format(k=args.k) for n in RANKER_METRICS), "ece"]
    try:
        mins = parse_thresholds(args.min, allowed)
        filters = parse_filters(args.filter)
        items = lovo.load_golds(args.gold)
        fit_summary, fit_rows = load_run(args.fit_run) if args.fit_run else (None, [])
        check_cache_file(args.llm_cache)
    except (GoldError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.retrieval_only and not args.fit_run:
        print(
            "error: full mode refits the confidence model per fold: give --fit-run (a full dev run whose "
            "rows carry signals), or use --retrieval-only",
            file=sys.stderr,
        )
        return 2
    if fit_rows and not any((r.get("ask") or {}).get("signals") for r in fit_rows):
        print(
            f"error: no row of {args.fit_run} carries signals (a run made before they were recorded?)",
            file=sys.stderr,
        )
        return 2
    folds = args.vendor or lovo.fold_vendors(items)

    def select(xs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return apply_filters(xs, filters, args.limit, args.sample, args.seed)

    n_scored = len(lovo.scored_items(items, folds, args.also_dev, select))
    if args.retrieval_only:
        print(f"retrieval-only: {len(folds)} folds, {n_scored} held-out items scored; no LLM")
    else:
        p50 = lovo.last_p50_s(fit_summary)
        print(
            f"full: {len(folds)} folds, {n_scored} held-out items answered by the LLM"
            + (
                f", about {n_scored * p50[0] / 60:.0f} min ({p50[0]:.1f} s p50 per question, {p50[1]})"
                if p50
                else " (no earlier full run to time it by)"
            )
        )
    settings = settings or load_settings()
    if args.fast:
        settings = settings.replace(**{"llm.choice": "fast"})
    from core.tokens import ensure_tiktoken_cache

    ensure_tiktoken_cache(settings.tiktoken_cache_dir)
    try:
        result = lovo.run_lovo(
            settings,
            items,
            retrieval_only=args.retrieval_only,
            k=args.k,
            vendors=args.vendor or None,
            fit_rows={str(r["id"]): r for r in fit_rows},
            also_dev=args.also_dev,
            select=select,
            corpus=args.corpus,
            store_dir=args.store_dir,
            progress=not args.no_progress,
            say=lambda m: print(m, file=sys.stderr, flush=True),
            inputs=("bias", *args.inputs.split(",")) if args.inputs else None,
            unworded_cut=not args.no_unworded_cut,
            llm_cache=args.llm_cache,
            extra_config={
                "inputs": args.inputs,
                "unworded_cut": not args.no_unworded_cut,
                "gold": ", ".join(args.gold),
                "golds": list(args.gold),
                "fit_run": args.fit_run,
                "filters": {k: sorted(v) for k, v in filters.items()},
                "limit": args.limit,
                "sample": args.sample,
                "seed": args.seed if args.sample else None,
                "split": "test",
            },
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    name = "lovo" + ("-retrieval" if args.retrieval_only else "")
    summary = result.summary()
    out = lovo_report.write_run(Path(args.out or default_out_dir(name, args.gold[0])), summary, result.rows)
    print("\n".join(lovo_report.console_lines(summary)))
    print(f"wrote {out}")
    problems = check_thresholds(summary["metrics"], mins)
    for p in problems:
        print(f"THRESHOLD FAILED: {p}", file=sys.stderr)
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    """Entry point; `settings` lets tests run offline (hashing embedder) without environment tricks."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=(settings.log_level if settings else "WARNING"), format="%(levelname)s %(name)s: %(message)s"
    )
    if args.command == "compare":
        return cmd_compare(args)
    if args.command == "redact":
        return cmd_redact(args)
    if args.command == "crossfit":
        return cmd_crossfit(args)
    if args.command == "table":
        return cmd_table(args)
    if args.command == "record":
        return cmd_record(args)
    if args.command == "history":
        return cmd_history(args)
    if args.command == "review":
        return cmd_review(args, settings)
    if args.command == "lovo":
        return cmd_lovo(args, settings)
    return cmd_run(args, settings)
