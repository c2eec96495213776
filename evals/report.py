"""Run outputs: summary.json, results.jsonl, report.md and a self-contained report.html (inline SVG
charts drawn here, no external assets, every text HTML-escaped)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from core.text import md_cell
from evals.dataset import GOLD_FILE
from evals.metrics import KIND_METRIC_NAMES, metric_names, reliability, shown_metrics

RESULT_KEYS = ("id", "ask", "scores", "vendors", "lang", "kind", "lang_pair", "gold", "retrieved_text")
# Breakdown dimensions in report order, with their section titles; summary.json may hold others (shown
# after these, titled by name) and older ones lack some (skipped).
BREAKDOWN_TITLES = {
    "vendor": "By vendor",
    "language": "By language",
    "lang_pair": "By language pair (question → document)",
    GOLD_FILE: "By gold file",
}


def fmt(value: Any, name: str = "") -> str:
    """A metric value for tables: latencies in ms, ratios with three decimals, "–" when undefined."""
    if value is None:
        return "–"
    if name.startswith("latency"):
        return f"{float(value):.0f} ms"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def fmt_delta(name: str, delta: float, integral: bool = False) -> str:
    """A metric's difference for tables: latencies in ms, counts (`integral`) as integers, else three
    decimals, always signed."""
    if name.startswith("latency"):
        return f"{delta:+.0f} ms"
    if integral:
        return f"{int(delta):+d}"
    return f"{delta:+.3f}"


def write_results(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({k: r[k] for k in RESULT_KEYS if k in r}, ensure_ascii=False) + "\n")


def write_run(out_dir: str | Path, summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write the four run files into out_dir (created) and return it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    write_results(out / "results.jsonl", rows)
    (out / "report.md").write_text(render_markdown(summary, rows), encoding="utf-8")
    (out / "report.html").write_text(render_html(summary, rows), encoding="utf-8")
    return out


def load_run(run_dir: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """summary.json and results.jsonl of a run folder."""
    d = Path(run_dir)
    summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    rows = [
        json.loads(line)
        for line in (d / "results.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return summary, rows


def _k(summary: Mapping[str, Any]) -> int:
    return int((summary.get("config") or {}).get("k", 5))


def _metrics(summary: Mapping[str, Any]) -> dict[str, Any]:
    return dict(summary.get("metrics") or {n: summary.get(n) for n in metric_names(_k(summary))})


def gold_name(cfg: Mapping[str, Any]) -> str:
    """The run's gold file name(s), for titles: `gold_files` when the run had several, else `gold`."""
    files = cfg.get("gold_files") or [cfg.get("gold") or "?"]
    return " + ".join(Path(str(f)).name for f in files)


def kind_columns(dim: str, groups: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The kind metrics shown in the `kind` breakdown: those some group defines (the other breakdowns keep
    their columns; summary.json has every metric of every group)."""
    if dim != "kind":
        return []
    return [n for n in KIND_METRIC_NAMES if any(g.get(n) is not None for g in groups.values())]


def breakdown_sections(summary: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(dimension, title, groups) of every non-empty breakdown: the known dimensions first, then others."""
    breakdown = summary.get("breakdown") or {}
    dims = [d for d in BREAKDOWN_TITLES if d in breakdown] + [
        d for d in breakdown if d not in BREAKDOWN_TITLES
    ]
    return [
        (dim, BREAKDOWN_TITLES.get(dim, f"By {dim}"), dict(breakdown[dim]))
        for dim in dims
        if isinstance(breakdown.get(dim), Mapping) and breakdown[dim]
    ]


def item_detail(scores: Mapping[str, Any], k: int) -> dict[str, Any]:
    """The scores a failed item shows: retrieval, accuracy, citations and its kind's metrics, where defined."""
    names = (f"evidence_recall@{k}", f"mrr@{k}", "answer_accuracy", "citation_recall", "quote_verbatim")
    return {n: scores[n] for n in (*names, *KIND_METRIC_NAMES) if scores.get(n) is not None}


def cache_line(cfg: Mapping[str, Any]) -> list[str]:
    """A run that replayed model calls from `--llm-cache` says so: its latencies are not measurements."""
    c = cfg.get("llm_cache") or {}
    if not c.get("hits"):
        return []
    return [
        f"- **model calls replayed from `{c.get('path')}`**: {c['hits']} of {c['hits'] + c.get('misses', 0)}; "
        "the latencies are not measurements"
    ]


def failed_rows(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in rows if (r.get("scores") or {}).get("pass") is False]


# ------------------------------------------------------------------ markdown
def render_markdown(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """report.md: configuration, metrics table, breakdowns (per vendor, per language, per question →
    document language pair), calibration, failed items."""
    k, cfg, m = _k(summary), summary.get("config") or {}, _metrics(summary)
    lines = [
        f"# Eval run: {cfg.get('system', '?')} on {gold_name(cfg)}",
        "",
        f"- mode: {'retrieval-only' if cfg.get('retrieval_only') else 'full (retrieval + answer)'}; "
        f"k = {k}; items: {summary.get('n_items', len(rows))}",
        f"- corpus: `{cfg.get('corpus')}` ({cfg.get('corpus_documents', '?')} documents)",
        f"- models: {md_cell(json.dumps(cfg.get('models') or {}, ensure_ascii=False))}; "
        f"prompt: {cfg.get('prompt') or '–'}",
        f"- git commit: `{cfg.get('git_commit', '?')}`; timestamp: {cfg.get('timestamp', '?')}",
        *cache_line(cfg),
        "",
        "## Metrics",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {fmt(m.get(name), name)} |" for name in shown_metrics(k, m)]
    main = [
        f"evidence_recall@{k}",
        f"mrr@{k}",
        f"evidence_char_recall@{k}",
        f"evidence_char_precision@{k}",
        "citation_precision",
        "citation_recall",
        "answer_accuracy",
        "latency_ms_p50",
    ]
    for dim, title, groups in breakdown_sections(summary):
        cols = main + kind_columns(dim, groups)
        lines += [
            "",
            f"## {title}",
            "",
            "| " + md_cell(dim) + " | n | " + " | ".join(cols) + " |",
            "|---|---|" + "---|" * len(cols),
        ]
        for key, g in groups.items():
            lines.append(
                f"| {md_cell(key)} | {g.get('n', '')} | " + " | ".join(fmt(g.get(n), n) for n in cols) + " |"
            )
    calib = [b for b in reliability(rows) if b["n"]]
    if calib:
        lines += [
            "",
            "## Calibration of the check's confidence",
            "",
            "Share of items whose cited (checked) sentence hits the gold evidence, per confidence bin.",
            "",
            "| P(yes) bin | n | mean confidence | observed |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {b['lo']:.1f}–{b['hi']:.1f} | {b['n']} | {fmt(b['mean_confidence'])} | {fmt(b['observed'])} |"
            for b in calib
        ]
    failed = failed_rows(rows)
    lines += ["", f"## Failed items ({len(failed)})", ""]
    if not failed:
        lines.append("None.")
    for r in failed:
        s, ask = r.get("scores") or {}, r.get("ask") or {}
        lines.append(f"- **{md_cell(r['id'])}** — {md_cell(ask.get('question', ''))}")
        if "answer" in ask:
            lines.append(
                f"  - answer{' (abstained)' if ask.get('abstained') else ''}: "
                f"{md_cell(str(ask.get('answer', ''))[:400])}"
            )
        detail = item_detail(s, k)
        lines.append(
            "  - scores: "
            + ", ".join(f"{n}={fmt(v, n)}" for n, v in detail.items())
            + (f"; error: {md_cell(s['error'])}" if s.get("error") else "")
        )
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ SVG charts
def svg_bars(
    items: Sequence[tuple[str, float | None]],
    width: int = 560,
    title: str = "",
    max_value: float = 1.0,
    unit: str = "",
) -> str:
    """Horizontal bars, one per (label, value); values over max_value are clipped, None drawn empty."""
    row_h, label_w, pad = 22, 210, 6
    height = pad * 2 + row_h * len(items) + (20 if title else 0)
    y0 = 20 if title else 0
    bar_w = width - label_w - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}">'
    ]
    if title:
        parts.append(f'<text x="0" y="14" class="t">{escape(title)}</text>')
    for i, (label, value) in enumerate(items):
        y = y0 + pad + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="l">{escape(label)}</text>'
        )
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 6}" class="bg"/>')
        if value is not None:
            w = max(0.0, min(1.0, float(value) / max_value if max_value else 0.0)) * bar_w
            parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" class="fg"/>')
            text = f"{float(value):.0f}{unit}" if unit else f"{float(value):.3f}"
        else:
            text = "–"
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 15}" class="v">{escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_histogram(
    values: Sequence[float], bins: int = 12, width: int = 560, height: int = 180, title: str = ""
) -> str:
    """Histogram of values (latencies) with the range on the x axis."""
    xs = [float(v) for v in values if v is not None]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}">'
    ]
    if title:
        parts.append(f'<text x="0" y="14" class="t">{escape(title)}</text>')
    if not xs:
        parts.append('<text x="10" y="50" class="l">no data</text></svg>')
        return "".join(parts)
    lo, hi = min(xs), max(xs)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for x in xs:
        counts[min(bins - 1, int((x - lo) / span * bins))] += 1
    top, base, left = 36, height - 24, 30
    bw = (width - left - 10) / bins
    cmax = max(counts)
    for i, c in enumerate(counts):
        h = (base - top) * c / cmax if cmax else 0
        parts.append(
            f'<rect x="{left + i * bw + 1:.1f}" y="{base - h:.1f}" width="{bw - 2:.1f}" '
            f'height="{h:.1f}" class="fg"><title>{c} item(s)</title></rect>'
        )
        if c:
            parts.append(
                f'<text x="{left + i * bw + bw / 2:.1f}" y="{base - h - 3:.1f}" text-anchor="middle" '
                f'class="v">{c}</text>'
            )
    parts.append(f'<text x="{left}" y="{height - 6}" class="l">{lo:.0f} ms</text>')
    parts.append(f'<text x="{width - 10}" y="{height - 6}" text-anchor="end" class="l">{hi:.0f} ms</text>')
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
code{background:#f4f4f4;padding:0 .2rem}.t{font:bold 13px sans-serif}.l{font:12px sans-serif;fill:#333}
.v{font:11px sans-serif;fill:#333}.bg{fill:#eee}.fg{fill:#3b6ea8}
.item{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.q{background:#fafafa;padding:.3rem .5rem;
white-space:pre-wrap;font-size:13px;border-left:3px solid #3b6ea8;margin:.3rem 0}
.ev{border-left-color:#3a9a5b}.bad{color:#a33}.wide{overflow-x:auto}
"""


def _quote_block(text: str, meta: str, cls: str = "q") -> str:
    return f'<div class="{cls}"><small>{escape(meta)}</small>\n{escape(text)}</div>'


def _failed_item_html(r: Mapping[str, Any], k: int) -> str:
    ask, s, gold = r.get("ask") or {}, r.get("scores") or {}, r.get("gold") or {}
    left = []
    if "answer" in ask:
        left.append(
            f"<p><b>Answer</b>{' (abstained)' if ask.get('abstained') else ''}: "
            f"{escape(str(ask.get('answer', '')))}</p>"
        )
        cites = ask.get("citations") or []
        left.append(f"<p><b>Cited quotes</b> ({len(cites)})</p>")
        left += [
            _quote_block(
                str(c.get("quote", "")), f"[{c.get('n')}] {c.get('document')} {c.get('start')}–{c.get('end')}"
            )
            for c in cites
        ]
        if not cites and r.get("retrieved_text"):
            left.append("<p><b>Top retrieved spans</b></p>")
            left += [
                _quote_block(str(p.get("text", "")), f"{p.get('document')} {p.get('start')}–{p.get('end')}")
                for p in r.get("retrieved_text") or []
            ]
    else:
        left.append("<p><b>Top retrieved spans</b></p>")
        left += [
            _quote_block(str(p.get("text", "")), f"{p.get('document')} {p.get('start')}–{p.get('end')}")
            for p in r.get("retrieved_text") or []
        ]
        if not r.get("retrieved_text"):
            left += [
                _quote_block("", f"{x.get('document')} {x.get('start')}–{x.get('end')}")
                for x in (ask.get("retrieved") or [])[:3]
            ]
    right = ["<p><b>Gold evidence</b></p>"]
    if gold.get("reference_answer"):
        right.append(f"<p>Reference: {escape(str(gold['reference_answer']))}</p>")
    if gold.get("must_include"):
        right.append(f"<p>Must include: {escape(json.dumps(gold['must_include'], ensure_ascii=False))}</p>")
    right += [
        _quote_block(
            str(e.get("quote", "")), f"{e.get('document')} {e.get('start', '')}–{e.get('end', '')}", "q ev"
        )
        for e in gold.get("evidence") or []
    ]
    if not gold.get("answerable", True):
        right.append("<p>Not answerable: the system should abstain.</p>")
    detail = ", ".join(f"{n}={fmt(v, n)}" for n, v in item_detail(s, k).items())
    err = f' <span class="bad">{escape(str(s["error"]))}</span>' if s.get("error") else ""
    return (
        f'<div class="item"><h3>{escape(str(r.get("id")))}</h3><p><b>Q:</b> {escape(str(ask.get("question", "")))}'
        f'</p><p><small>{escape(detail)}</small>{err}</p><div class="cols"><div>{"".join(left)}</div>'
        f"<div>{''.join(right)}</div></div></div>"
    )


def _cfg_value(value: Any) -> str:
    return (
        json.dumps(value, ensure_ascii=False)
        if isinstance(value, dict | list) or value is None
        else str(value)
    )


def render_html(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """report.html: one self-contained page (inline CSS and SVG)."""
    k, cfg, m = _k(summary), summary.get("config") or {}, _metrics(summary)
    shown = shown_metrics(k, m)
    ratio_names = [n for n in shown if not n.startswith("latency")]
    body = [
        f"<h1>Eval run: {escape(str(cfg.get('system', '?')))} on {escape(gold_name(cfg))}</h1>",
        "<table>"
        + "".join(
            f"<tr><th>{escape(str(key))}</th><td>{escape(_cfg_value(cfg.get(key)))}</td></tr>"
            for key in (
                "retrieval_only",
                "k",
                "n_items",
                "corpus",
                "corpus_documents",
                "models",
                "prompt",
                "git_commit",
                "timestamp",
                "duration_s",
            )
        )
        + "</table>",
        "<h2>Metrics</h2>",
        svg_bars([(n, m.get(n)) for n in ratio_names], title="Scores (0–1)"),
        "<table>"
        + "".join(
            f"<tr><td><code>{escape(n)}</code></td><td>{escape(fmt(m.get(n), n))}</td></tr>" for n in shown
        )
        + "</table>",
    ]
    main = [f"evidence_recall@{k}", f"mrr@{k}", "answer_accuracy"]
    for dim, title, groups in breakdown_sections(summary):
        body.append(f"<h2>{escape(title)}</h2>")
        cols = [
            f"evidence_recall@{k}",
            f"mrr@{k}",
            f"evidence_char_recall@{k}",
            f"evidence_char_precision@{k}",
            "citation_precision",
            "citation_recall",
            "answer_accuracy",
            "latency_ms_p50",
            *kind_columns(dim, groups),
        ]
        body.append(
            '<div class="wide"><table><tr><th>'
            + escape(dim)
            + "</th><th>n</th>"
            + "".join(f"<th>{escape(c)}</th>" for c in cols)
            + "</tr>"
            + "".join(
                f"<tr><td>{escape(str(key))}</td><td>{g.get('n', '')}</td>"
                + "".join(f"<td>{escape(fmt(g.get(c), c))}</td>" for c in cols)
                + "</tr>"
                for key, g in groups.items()
            )
            + "</table></div>"
        )
        for metric in main:
            if any(g.get(metric) is not None for g in groups.values()):
                body.append(
                    svg_bars(
                        [(f"{key} (n={g.get('n')})", g.get(metric)) for key, g in groups.items()],
                        title=metric,
                    )
                )
    calib = [b for b in reliability(rows) if b["n"]]
    if calib:
        body += [
            "<h2>Calibration of the check's confidence</h2>",
            "<p>Per confidence bin, the share of items whose cited (checked) sentence hits the gold "
            "evidence; a calibrated checker's bars grow with the bin.</p>",
            svg_bars(
                [(f"P(yes) {b['lo']:.1f}–{b['hi']:.1f} (n={b['n']})", b["observed"]) for b in calib],
                title="Observed share of true sentences",
            ),
        ]
    latencies = [
        r["scores"]["latency_ms"] for r in rows if (r.get("scores") or {}).get("latency_ms") is not None
    ]
    body += ["<h2>Latency</h2>", svg_histogram(latencies, title="End-to-end latency per question")]
    failed = failed_rows(rows)
    body.append(f"<h2>Failed items ({len(failed)})</h2>")
    body += [_failed_item_html(r, k) for r in failed] or ["<p>None.</p>"]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Eval report</title>'
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )
