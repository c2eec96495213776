"""Cross-fitted rows for the confidence model and the unanswerable gate: each dev item's row as a vendor the
engine was never fitted on would get it.

A full dev run's rows are ranked by the shipped ranker (and fusion), which was fitted on those same items: its
chosen sentences are right more often, at a given P(yes), than on a vendor it never saw, and a confidence fitted
on them is over-confident there (leave-one-vendor-out ECE 0.112 with the whole ranker fit, against 0.081 with
cross-fitted rows; `evals/baselines/lovo-full-v14-cross-fitted`). `python -m evals lovo --also-dev` answers each
vendor's dev items with the fold fitted without that vendor; this module puts those rows in place of the dev
run's, keeping the dev run's rows of the items no fold holds out (those naming several vendors or none):

    python -m evals lovo --gold … --fit-run DEV_RUN --also-dev --out LOVO_DIR
    python -m evals crossfit LOVO_DIR DEV_RUN --out ROWS_DIR
    python -m evals.calibration ROWS_DIR --fit --gold … --write     # the shipped confidence and gate
    python -m evals lovo --gold … --fit-run ROWS_DIR                   # each fold fitted on them too
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evals.runner import RunResult


def cross_fitted_rows(
    lovo_rows: Sequence[Mapping[str, Any]], dev_rows: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    """The dev run's rows with each one a leave-one-vendor-out run answered on the dev split put in its place
    (in the dev run's order), and how many were replaced."""
    held = {str(r["id"]): r for r in lovo_rows if r.get("split") == "dev" and r.get("fold")}
    out = [dict(held.get(str(r["id"]), r)) for r in dev_rows]
    return out, sum(1 for r in dev_rows if str(r["id"]) in held)


def cross_fitted_run(
    lovo_summary: Mapping[str, Any],
    lovo_rows: Sequence[Mapping[str, Any]],
    dev_summary: Mapping[str, Any],
    dev_rows: Sequence[Mapping[str, Any]],
    sources: Mapping[str, str],
) -> RunResult:
    """A run folder's content (metrics recomputed over the merged rows) whose config names both sources.
    Raises ValueError when the leave-one-vendor-out run answered no dev item (run it with --also-dev)."""
    from evals.metrics import aggregate
    from evals.runner import breakdowns

    rows, n = cross_fitted_rows(lovo_rows, dev_rows)
    if n == 0:
        raise ValueError(
            "the leave-one-vendor-out run answered no dev item: run `evals lovo` with --also-dev"
        )
    config = dict(dev_summary.get("config") or {})
    k = int(config.get("k", 5))
    config.update(
        {
            "cross_fitted": {
                **sources,
                "rows_cross_fitted": n,
                "rows_from_dev_run": len(rows) - n,
                "lovo_commit": (lovo_summary.get("config") or {}).get("git_commit"),
            },
            "split": "dev",
            "n_items": len(rows),
        }
    )
    return RunResult(
        rows=rows,
        metrics=aggregate([r["scores"] for r in rows], k),
        config=config,
        breakdown=breakdowns(rows, k),
    )
