"""Which checked sentence answers: the ranker's order or the checker's confidence. Replays, from a full run's
rows, the choice among each answer's checked sentences for every `checker_margin` (EngineConfig.select) and
scores the chosen sentence against the gold evidence, pooled and leave-one-vendor-out.

    python -m evals.selection RUN_DIR            # the table (a dev run made with this engine)
    python -m evals.selection RUN_DIR --write    # store the chosen margin in config/ranker.json

Each answer records its first ask's checked sentences, best-ranked first, in its `warnings` ("check: DOC:
START-END P(yes) p, confidence c; ..."): which sentences were checked does not depend on the margin (the
checks stop at `accept_at`, a P(yes)), so one run answers for every margin. Scored over the answerable
single-vendor items with at least one accepted sentence (whether an item is answered does not depend on the
margin either): the share whose chosen sentence hits a gold evidence passage. A closed question's sentence
does not depend on the margin (EngineConfig.select with `closed`: the ranker's first sentence not refused,
a refused one being recorded with P(yes) 0), and is replayed so."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.confidence import EngineConfig
from assistant.query import is_yes_no_question
from evals.metrics import Span, spans_hit

# 0 to 0.5 by 0.025 (a lead of a few points of confidence), then coarser up to 1 (the ranker always)
MARGINS = (*(round(0.025 * i, 3) for i in range(21)), 0.6, 0.7, 0.8, 0.9, 1.0)
_ENTRY = re.compile(
    r"^(?P<doc>.+):(?P<start>\d+)-(?P<end>\d+) P\(yes\) (?P<p>[\d.]+), confidence (?P<c>[\d.]+)"
)


@dataclass(frozen=True)
class Checked:
    """One checked sentence of an answer, as recorded: its span, P(yes) and confidence."""

    span: Span
    p_yes: float
    confidence: float


def checked_of(ask: Mapping[str, Any]) -> list[Checked]:
    """The first ask's checked sentences recorded in an answer's warnings, best-ranked first ([] when the
    run did not record them)."""
    note = next((w for w in ask.get("warnings") or [] if w.startswith("check: ")), None)
    matches = [_ENTRY.match(entry) for entry in note[len("check: ") :].split("; ")] if note else []
    if not all(matches):  # a run made before the spans were noted ("check: P(yes) 0.56, confidence 0.49")
        return []
    return [
        Checked(Span(m["doc"], int(m["start"]), int(m["end"]), ""), float(m["p"]), float(m["c"]))
        for m in matches
        if m
    ]


@dataclass(frozen=True)
class Case:
    """An answerable item's checked sentences and its gold evidence."""

    id: str
    vendor: str
    checked: tuple[Checked, ...]
    evidence: tuple[Span, ...]
    closed: bool = False  # a yes/no question


def cases_of(rows: Sequence[Mapping[str, Any]]) -> list[Case]:
    """The rows the choice matters for: answerable, one vendor, checked sentences recorded, evidence with
    offsets."""
    out = []
    for r in rows:
        gold = r.get("gold") or {}
        if not gold.get("answerable", True) or len(r.get("vendors") or []) != 1:
            continue
        checked = checked_of(r.get("ask") or {})
        evidence = tuple(s for s in (Span.from_json(e) for e in gold.get("evidence") or []) if s.has_offsets)
        if checked and evidence:
            closed = is_yes_no_question(str(gold.get("question") or ""))
            out.append(Case(str(r["id"]), str(r["vendors"][0]), tuple(checked), evidence, closed))
    return out


def with_margin(base: EngineConfig, margin: float) -> EngineConfig:
    """`base` with another checker_margin."""
    return base.model_copy(update={"checker_margin": margin})


def score(cases: Sequence[Case], engine: EngineConfig) -> tuple[int, int]:
    """(chosen sentence hits the evidence, items answered) with `engine`'s selection."""
    hit = n = 0
    for c in cases:
        confs = [x.confidence for x in c.checked]
        if max(confs) < engine.abstain_below:
            continue
        n += 1
        # a refused sentence is recorded with P(yes) 0 (assistant.check.Checked.p)
        chosen = c.checked[engine.select(confs, c.closed, [x.p_yes == 0 for x in c.checked])]
        hit += any(spans_hit(chosen.span, e) for e in c.evidence)
    return hit, n


def choose(cases: Sequence[Case], base: EngineConfig, margins: Sequence[float] = MARGINS) -> float:
    """The margin whose choices hit the evidence most often; ties to the smaller margin (where the items
    cannot tell, a calibrated confidence's lead is trusted)."""
    return max(margins, key=lambda m: (score(cases, with_margin(base, m))[0], -m))


def leave_one_vendor_out(
    cases: Sequence[Case], base: EngineConfig, margins: Sequence[float] = MARGINS
) -> list[dict[str, Any]]:
    """Per vendor: the margin chosen on the other vendors' items, and its hits on this vendor's."""
    out = []
    for v in sorted({c.vendor for c in cases}):
        held = [c for c in cases if c.vendor == v]
        m = choose([c for c in cases if c.vendor != v], base, margins)
        hit, n = score(held, with_margin(base, m))
        out.append({"vendor": v, "margin": m, "hit": hit, "n": n})
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m evals.selection",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run", help="a full eval run folder (results.jsonl) on the dev split")
    p.add_argument("--write", action="store_true", help="store the chosen margin in config/ranker.json")
    args = p.parse_args(argv)
    from evals.report import load_run

    summary, rows = load_run(args.run)
    if (summary.get("split") or "dev") != "dev" and args.write:
        print("error: choose on the dev split only", file=sys.stderr)
        return 2
    base = EngineConfig.load()
    cases = cases_of(rows)
    if not cases:
        print("error: no checked sentences recorded in this run (made before they were)", file=sys.stderr)
        return 2
    print(f"{len(cases)} answerable items with checked sentences; abstain below {base.abstain_below}\n")
    print("| checker margin | chosen sentence hits the evidence | answered |\n|---|---|---|")
    for m in MARGINS:
        hit, n = score(cases, with_margin(base, m))
        print(f"| {m:.3f} | {hit} ({hit / n:.3f}) | {n} |" if n else f"| {m:.3f} | – | 0 |")
    folds = leave_one_vendor_out(cases, base)
    print("\n| left-out vendor | margin chosen on the others | hits on the vendor |\n|---|---|---|")
    for f in folds:
        print(f"| {f['vendor']} | {f['margin']:.3f} | {f['hit']}/{f['n']} |")
    hit, n = sum(f["hit"] for f in folds), sum(f["n"] for f in folds)
    print(f"| pooled held-out | | {hit}/{n} ({hit / n:.3f}) |" if n else "| pooled held-out | | – |")
    margin = choose(cases, base)
    print(f"\nchosen margin (most hits, ties to the smaller margin): {margin:.3f}")
    if args.write:
        from assistant.rank import update_weights_file

        selection = {"on": str(Path(args.run)), "items": len(cases), "date": dt.date.today().isoformat()}
        print(f"written to {update_weights_file({'checker_margin': margin}, selection=selection)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
