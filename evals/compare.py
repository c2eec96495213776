"""`python -m evals compare RUN_A RUN_B`: per-metric deltas and the items whose pass/fail flipped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evals.metrics import shown_metrics
from evals.report import fmt, fmt_delta


def metric_deltas(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, Any, Any, float | None]]:
    """(metric, value in A, value in B, B - A) for every spec metric of either run's k, and every kind metric
    that either run defines."""
    ka = int((a.get("config") or {}).get("k", 5))
    kb = int((b.get("config") or {}).get("k", 5))
    ma, mb = a.get("metrics") or a, b.get("metrics") or b
    names = list(dict.fromkeys(shown_metrics(ka, ma, mb) + shown_metrics(kb, ma, mb)))
    out = []
    for n in names:
        va, vb = ma.get(n), mb.get(n)
        out.append((n, va, vb, (float(vb) - float(va)) if va is not None and vb is not None else None))
    return out


def flips(rows_a: Sequence[Mapping[str, Any]], rows_b: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Item ids that went pass -> fail ("regressed"), fail -> pass ("fixed"), and ids in one run only."""
    pa = {r["id"]: (r.get("scores") or {}).get("pass") for r in rows_a}
    pb = {r["id"]: (r.get("scores") or {}).get("pass") for r in rows_b}
    common = [i for i in pa if i in pb]
    return {
        "regressed": [i for i in common if pa[i] is True and pb[i] is False],
        "fixed": [i for i in common if pa[i] is False and pb[i] is True],
        "only_in_a": [i for i in pa if i not in pb],
        "only_in_b": [i for i in pb if i not in pa],
    }


def render_compare(
    a: Mapping[str, Any],
    rows_a: Sequence[Mapping[str, Any]],
    b: Mapping[str, Any],
    rows_b: Sequence[Mapping[str, Any]],
    name_a: str = "A",
    name_b: str = "B",
) -> str:
    """A Markdown comparison: metrics table with deltas, then the flipped items with their questions."""
    lines = [
        f"# Compare: A = {name_a}, B = {name_b}",
        "",
        "| metric | A | B | Δ (B − A) |",
        "|---|---|---|---|",
    ]
    for n, va, vb, d in metric_deltas(a, b):
        delta = "–" if d is None else fmt_delta(n, d)
        lines.append(f"| `{n}` | {fmt(va, n)} | {fmt(vb, n)} | {delta} |")
    f = flips(rows_a, rows_b)
    questions = {r["id"]: (r.get("ask") or {}).get("question", "") for r in list(rows_a) + list(rows_b)}
    for key, title in (
        ("regressed", "Regressed (pass in A, fail in B)"),
        ("fixed", "Fixed (fail in A, pass in B)"),
        ("only_in_a", "Only in A"),
        ("only_in_b", "Only in B"),
    ):
        if key.startswith("only") and not f[key]:
            continue
        lines += ["", f"## {title}: {len(f[key])}"]
        lines += [f"- `{i}` {questions.get(i, '')}" for i in f[key]]
    return "\n".join(lines) + "\n"


def render_table(runs: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """A Markdown table of the headline metrics of several runs (name, summary), one row each."""
    cols = [
        "evidence_recall@{k}",
        "mrr@{k}",
        "evidence_char_recall@{k}",
        "evidence_char_precision@{k}",
        "citation_precision",
        "citation_recall",
        "answer_accuracy",
        "abstention_recall",
        "latency_ms_p50",
    ]
    head = ["run", "system", "mode", "n"] + [c.replace("@{k}", "@k") for c in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, s in runs:
        cfg = s.get("config") or {}
        k = int(cfg.get("k", 5))
        m = s.get("metrics") or s
        cells = [
            name,
            str(cfg.get("system", "?")),
            "retrieval" if cfg.get("retrieval_only") else "full",
            str(s.get("n_items", "")),
        ] + [fmt(m.get(c.format(k=k)), c) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
