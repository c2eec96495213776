"""`python -m evals record RUN_DIR ... --change TEXT` and `python -m evals history`: which change each
figure came from.

`record` appends one JSON line per run folder to evals/history.jsonl: when the run was made, its commit,
what changed (said by whoever records it), the run folder, what it ran (gold, split, system, mode, sample,
models), the CPU it ran on and every metric its summary.json defines. `history` prints them as a Markdown
table, oldest first, each figure with its difference from the previous run of the same kind (same gold,
split, system, mode, sample, language and filters), e.g. `0.944 (+0.011)`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT
from core.text import md_cell
from evals.report import fmt, fmt_delta

DEFAULT_HISTORY = PROJECT_ROOT / "evals" / "history.jsonl"
DEFAULT_METRICS = ("evidence_recall@5", "mrr@5", "answer_accuracy", "latency_ms_p50")
_NOT_METRICS = {"config", "n_items", "breakdown", "split", "created", "metrics"}


class HistoryError(ValueError):
    """A run folder that cannot be recorded, or a history file that cannot be read."""


def machine_cpu() -> str:
    """This machine's CPU as core.hardware names it: model, physical cores, ISA tier (and any cap)."""
    from core.hardware import current

    hw = current()
    cpu = f"{hw.cpu.model}, {hw.cpu.physical_cores} cores, {hw.isa}"
    return cpu + (f" (capped by {hw.capped_by})" if hw.capped_by else "")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def summary_metrics(summary: Mapping[str, Any]) -> dict[str, float | int]:
    """The defined (non-null, numeric) metrics of a summary: its `metrics` object, else its top level."""
    source = summary.get("metrics")
    if not isinstance(source, Mapping):
        source = {k: v for k, v in summary.items() if k not in _NOT_METRICS}
    return {k: v for k, v in source.items() if _is_number(v)}


def _mode(cfg: Mapping[str, Any]) -> str | None:
    if "grid" in cfg and "retrieval_only" not in cfg:
        return "review"  # `python -m evals review`: the vendor x topic grid
    if cfg.get("retrieval_only") is True:
        return "extracts" if cfg.get("extracts") else "retrieval"
    if cfg.get("retrieval_only") is False:
        return "full"
    return None


def load_summary(run_dir: str | Path) -> dict[str, Any]:
    """summary.json of a run folder; HistoryError saying why when it is missing, unreadable or empty."""
    path = Path(run_dir) / "summary.json"
    if not path.is_file():
        raise HistoryError(f"{run_dir}: no summary.json (not a run folder?)")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HistoryError(f"{path}: unreadable ({exc})") from exc
    if not isinstance(summary, dict):
        raise HistoryError(f"{path}: unreadable (not a JSON object)")
    if not isinstance(summary.get("config", {}), dict):
        raise HistoryError(f"{path}: unreadable (config is not a JSON object)")
    if not summary_metrics(summary):
        raise HistoryError(f"{path}: no metric defined in it")
    return summary


def history_row(
    run_dir: str | Path, summary: Mapping[str, Any], change: str, cpu: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """One history line for a run folder (as given) and its summary."""
    cfg = summary.get("config") or {}
    recorded = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    row: dict[str, Any] = {
        "date": cfg.get("timestamp") or summary.get("created") or recorded,
        "recorded": recorded,
        "commit": cfg.get("git_commit"),
        "change": change,
        "run": str(run_dir),
        "gold": cfg.get("gold"),
        "split": cfg.get("split"),
        "system": cfg.get("system"),
        "mode": _mode(cfg),
        "retrieval_only": cfg.get("retrieval_only"),
        "sample": cfg.get("sample"),
        "models": cfg.get("models") or cfg.get("model"),
        "n_items": summary.get("n_items"),
        "cpu": cpu,
        "metrics": summary_metrics(summary),
    }
    for extra in ("lang", "filters", "limit", "corpus", "k"):
        if cfg.get(extra):
            row[extra] = cfg[extra]
    cache = cfg.get("llm_cache") or {}
    if cache.get("hits"):  # model calls replayed (evals.llm_cache): its latencies are not measurements
        row["metrics"] = {k: v for k, v in row["metrics"].items() if not k.startswith("latency")}
        row["llm_cache"] = {"hits": cache["hits"], "misses": cache.get("misses", 0)}
    return row


def record(
    run_dirs: Sequence[str | Path],
    change: str,
    history: str | Path = DEFAULT_HISTORY,
    cpu: str | None = None,
) -> list[dict[str, Any]]:
    """Append one line per run folder to the history file; all or nothing (HistoryError, nothing written)."""
    change = change.strip()
    if not change:
        raise HistoryError("--change is empty: say what changed for these runs")
    if not run_dirs:
        raise HistoryError("no run folder given")
    summaries = [load_summary(d) for d in run_dirs]  # every folder checked before a line is written
    cpu = (cpu or "").strip() or machine_cpu()
    rows = [history_row(d, s, change, cpu) for d, s in zip(run_dirs, summaries, strict=True)]
    path = Path(history)
    path.parent.mkdir(parents=True, exist_ok=True)
    needs_newline = path.is_file() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
    with path.open("a", encoding="utf-8") as f:
        if needs_newline:
            f.write("\n")
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return rows


def load_history(history: str | Path = DEFAULT_HISTORY) -> list[dict[str, Any]]:
    """The history lines, in file order; HistoryError naming the line that is not a JSON object."""
    path = Path(history)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HistoryError(f"{path}: cannot read the history ({exc.strerror or exc})") from exc
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise HistoryError(f"{path}:{n}: not JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise HistoryError(f"{path}:{n}: not a JSON object")
        rows.append(row)
    return rows


def _gold_key(gold: Any) -> str:
    """The gold file as one path whatever it was given as (`../shared/x` and `/work/shared/x` alike)."""
    return os.path.normpath(PROJECT_ROOT / str(gold)) if gold else ""


def group_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """Runs whose figures compare: same gold, split, system, mode, sample size, language and filters."""
    return (
        _gold_key(row.get("gold")),
        row.get("split"),
        row.get("system"),
        row.get("mode"),
        row.get("sample"),
        row.get("lang"),
        json.dumps(row.get("filters") or {}, sort_keys=True),
        row.get("limit"),
    )


def _gold_name(gold: Any) -> str:
    """The gold file's name; with its folder when the name says nothing (`policyqa-dev/gold.jsonl`)."""
    if not gold:
        return "–"
    p = Path(str(gold))
    return f"{p.parent.name}/{p.name}" if p.stem == "gold" and p.parent.name else p.name


def _short_commit(commit: Any) -> str:
    if not commit:
        return "–"
    sha, dirty, rest = str(commit).partition("-")
    return sha[:7] + (f"-{rest}" if dirty else "")


def _date(value: Any) -> str:
    try:
        return dt.datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value or "–")


def _sort_time(row: Mapping[str, Any]) -> float:
    try:
        t = dt.datetime.fromisoformat(str(row.get("date")))
    except ValueError:
        return float("inf")
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).timestamp()


def select(
    rows: Iterable[Mapping[str, Any]], gold: str | None = None, split: str | None = None
) -> list[Mapping[str, Any]]:
    """The rows whose gold path contains `gold` and whose split is `split` ("none": no split), by date."""
    out = [
        r
        for r in rows
        if (gold is None or gold in str(r.get("gold") or ""))
        and (split is None or str(r.get("split") or "none") == split)
    ]
    return sorted(out, key=_sort_time)  # stable: rows of one date stay in file order


def render_history(
    rows: Iterable[Mapping[str, Any]],
    metrics: Sequence[str] = DEFAULT_METRICS,
    gold: str | None = None,
    split: str | None = None,
) -> str:
    """A Markdown table, oldest first: date, commit, change, gold, split, system, mode, then each metric with
    its difference from the previous row of the same kind (group_key); metric columns never defined are
    dropped. The deltas are taken over the whole history, before the gold/split filter."""
    ordered = sorted(rows, key=_sort_time)
    deltas: dict[int, dict[str, str]] = {}
    last: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for r in ordered:
        prev = (last.get(group_key(r)) or {}).get("metrics") or {}
        now = r.get("metrics") or {}
        deltas[id(r)] = {
            m: fmt_delta(
                m,
                float(now[m]) - float(prev[m]),
                integral=isinstance(now[m], int) and isinstance(prev[m], int),
            )
            for m in metrics
            if _is_number(now.get(m)) and _is_number(prev.get(m))
        }
        last[group_key(r)] = r
    shown = select(ordered, gold, split)
    cols = [
        m for m in dict.fromkeys(metrics) if any(_is_number((r.get("metrics") or {}).get(m)) for r in shown)
    ]
    head = ["date", "commit", "change", "gold", "split", "system", "mode", *cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in shown:
        m = r.get("metrics") or {}
        cells = [
            _date(r.get("date")),
            _short_commit(r.get("commit")),
            str(r.get("change", "")),
            _gold_name(r.get("gold")),
            str(r.get("split") or "–"),
            str(r.get("system") or "–"),
            str(r.get("mode") or "–") + (f", sample {r['sample']}" if r.get("sample") else ""),
        ]
        for c in cols:
            v = m.get(c)
            d = deltas[id(r)].get(c)
            cells.append(fmt(v, c) + (f" ({d})" if d else ""))
        lines.append("| " + " | ".join(md_cell(x) for x in cells) + " |")
    return "\n".join(lines) + "\n"
