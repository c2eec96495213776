"""Score a review grid (vendors x topics, `python -m assistant review --json`) against the gold grid
(evals/gold/review.jsonl): cell accuracy, citation precision/recall, quote_verbatim, abstention
precision/recall. Per-cell scores reuse evals.metrics.score_item (one implementation of each metric)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT, Settings
from evals.metrics import aggregate, score_item

HEADLINE = (
    "cell_accuracy",
    "answer_accuracy",
    "citation_precision",
    "citation_recall",
    "quote_verbatim",
    "abstention_precision",
    "abstention_recall",
    "cells_missing",
)


def grid_cells(grid: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(vendor, topic) -> cell of a grid JSON."""
    return {
        (row["vendor"], key): cell
        for row in grid.get("rows", [])
        for key, cell in row.get("cells", {}).items()
    }


def cell_correct(gold: Mapping[str, Any], cell: Mapping[str, Any] | None, scores: Mapping[str, Any]) -> bool:
    """An answerable cell is right when it answers (not silent) with the key fact (`must_include`), or, for a
    qualitative cell (no key fact), when at least one of its citations hits the gold evidence. A silent
    cell is right when the grid says so."""
    if cell is None:
        return False
    if not gold.get("answerable", True):
        return bool(cell.get("abstained"))
    if cell.get("abstained"):
        return False
    if gold.get("must_include"):
        return scores.get("answer_accuracy") == 1.0
    return int(scores.get("citations_hit", 0)) > 0


def score_grid(
    gold: Sequence[Mapping[str, Any]], grid: Mapping[str, Any], document_text: Callable[[str], str | None]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-cell rows and the summary metrics (None where no cell qualifies)."""
    cells = grid_cells(grid)
    rows: list[dict[str, Any]] = []
    for item in gold:
        key = (item["vendors"][0], item["topic"])
        cell = cells.get(key)
        ask = {
            "answer": (cell or {}).get("answer", ""),
            "abstained": bool((cell or {}).get("abstained", False)),
            "citations": (cell or {}).get("citations") or [],
            "retrieved": [],
        }
        s = score_item(item, ask, k=5, document_text=document_text)
        s["cell_correct"] = cell_correct(item, cell, s)
        s["missing"] = cell is None
        rows.append(
            {
                "id": item["id"],
                "vendor": key[0],
                "topic": key[1],
                "answerable": item.get("answerable", True),
                "cell": cell,
                "scores": s,
            }
        )
    scores = [r["scores"] for r in rows]
    agg = aggregate(scores, k=5)
    answerable = [s for s in scores if s["answerable"]]
    metrics: dict[str, Any] = {
        "cell_accuracy": (sum(s["cell_correct"] for s in answerable) / len(answerable))
        if answerable
        else None,
        "cell_accuracy_all": (sum(s["cell_correct"] for s in scores) / len(scores)) if scores else None,
        "answer_accuracy": agg["answer_accuracy"],
        "citation_precision": agg["citation_precision"],
        "citation_recall": agg["citation_recall"],
        "quote_verbatim": agg["quote_verbatim"],
        "abstention_precision": agg["abstention_precision"],
        "abstention_recall": agg["abstention_recall"],
        "cells": len(scores),
        "cells_answerable": len(answerable),
        "cells_missing": sum(s["missing"] for s in scores),
    }
    return rows, metrics


def by_group(rows: Sequence[Mapping[str, Any]], field: str) -> dict[str, tuple[int, int]]:
    """field value -> (correct cells, cells)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        out[r[field]][0] += int(r["scores"]["cell_correct"])
        out[r[field]][1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def report_markdown(
    metrics: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], config: Mapping[str, Any]
) -> str:
    """A short human report: headline metrics, accuracy per topic and per vendor, every wrong cell."""
    lines = [
        "# Review grid evaluation",
        "",
        f"Gold: `{config.get('gold')}` · grid: {config.get('grid')} · "
        f"lang: {config.get('lang')} · model: {config.get('model', {}).get('llm', '?')} · "
        f"prompt: {config.get('model', {}).get('prompt', '?')}",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {_fmt(metrics.get(k))} |" for k in (*HEADLINE, "cell_accuracy_all")]
    for field in ("topic", "vendor"):
        lines += ["", f"| {field} | correct cells |", "|---|---|"]
        lines += [f"| {k} | {c}/{n} |" for k, (c, n) in sorted(by_group(rows, field).items())]
    wrong = [r for r in rows if not r["scores"]["cell_correct"]]
    if wrong:
        lines += ["", "## Wrong cells", ""]
        for r in wrong:
            cell = r["cell"] or {}
            state = "missing" if r["cell"] is None else ("silent" if cell.get("abstained") else "answered")
            exp = "answerable" if r["answerable"] else "silent"
            ans = " ".join(str(cell.get("answer", "")).split())[:300]
            lines.append(f"- `{r['id']}` (expected {exp}, grid {state}): {ans}")
    return "\n".join(lines) + "\n"


def write_review_run(
    out: str | Path, metrics: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], config: Mapping[str, Any]
) -> Path:
    """summary.json, results.jsonl and report.md in `out`."""
    path = Path(out)
    path.mkdir(parents=True, exist_ok=True)
    summary = {
        "metrics": dict(metrics),
        "config": dict(config),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    (path / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    with (path / "results.jsonl").open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    (path / "report.md").write_text(report_markdown(metrics, rows, config), encoding="utf-8")
    return path


DEFAULT_GOLD = PROJECT_ROOT / "evals" / "gold" / "review.jsonl"


def corpus_text(corpus_dir: str | Path) -> Callable[[str], str | None]:
    """document -> its decoded text (what gold and citation offsets index), read once per document."""
    from ingest.loaders import load_bytes

    cache: dict[str, str | None] = {}

    def text(document: str) -> str | None:
        if document not in cache:
            p = Path(corpus_dir) / document
            cache[document] = load_bytes(p.read_bytes(), p.suffix) if p.is_file() else None
        return cache[document]

    return text


def build_for_gold(
    settings: Settings,
    gold: Sequence[Mapping[str, Any]],
    lang: str,
    progress: Callable[[str], None] | None = None,
    llm_cache: Any = None,
) -> dict[str, Any]:
    """The grid for the gold's vendors and topics, from the review cache (computing what it lacks); the
    cells it computes ask the model through `llm_cache` (an evals.llm_cache.LLMCache) when given."""
    from assistant.pipeline import Assistant
    from evals.llm_cache import attach
    from review import GridBuilder

    vendors = sorted({i["vendors"][0] for i in gold})
    topics = list(dict.fromkeys(i["topic"] for i in gold))
    builder = GridBuilder(attach(Assistant(settings), llm_cache))

    def tick(p: Any, status: str) -> None:
        if progress and status != "start":
            progress(f"[{p.done}/{p.total}] {p.current}: {status}")

    grid = builder.build(vendors, topics, lang, on_progress=tick)
    if progress:
        progress(f"review grid: {builder.progress.line()}")
    return grid.to_json()


def grid_model(grid: Mapping[str, Any]) -> dict[str, str]:
    """The model/prompt the grid's cells were computed with (the most common, when they differ)."""
    seen: dict[str, int] = defaultdict(int)
    for cell in grid_cells(grid).values():
        seen[json.dumps(cell.get("model") or {}, sort_keys=True)] += 1
    return json.loads(max(seen, key=lambda k: seen[k])) if seen else {}
