"""Which checked sentence answers, and when the checks stop: replays, from a full run's rows, the choice
among each answer's checked sentences for every `checker_margin` (EngineConfig.select: the ranker's order or
the checker's confidence) and every `accept_at` (the P(yes) at which a sentence is taken without checking the
next ones), and scores the chosen sentence against the gold evidence, pooled and leave-one-vendor-out.

    python -m evals.selection RUN_DIR            # the tables (a dev run made with this engine)
    python -m evals.selection RUN_DIR --write    # store the chosen margin and accept_at in config/ranker.json

Each answer records its first ask's checked sentences, best-ranked first, in its `warnings` ("check: DOC:
START-END P(yes) p, confidence c; ..."). Which sentences were checked does not depend on the margin, so one
run answers for every margin. It depends on `accept_at`: a run stopped at the first sentence whose P(yes)
reached the run's `accept_at` (a refused sentence, recorded with P(yes) 0, does not stop them), so a run
replays every lower `accept_at` (its checks cut at the first sentence reaching it) and no higher one.
Scored over the answerable single-vendor items with at least one accepted sentence: the share whose chosen
sentence hits a gold evidence passage. A closed question's sentence does not depend on the margin
(EngineConfig.select with `closed`: the ranker's first sentence not refused), and is replayed so.

The margin is chosen first, at the run's `accept_at`; then the lowest `accept_at` that loses on no vendor
against the run's and hits the evidence as often as any such value (each check it saves is about a second
of a 1.5B model on 2 cores). The per-vendor condition came after the pooled rule alone chose 0.5 on
full-v13's dev run (+3 hits pooled there, one lost on Humanlinker) and its full run lost three test answers
and two citations on the sample's French contracts (evals/baselines/full-v14-accept-at)."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.confidence import EngineConfig
from assistant.query import is_yes_no_question
from evals.metrics import Span, spans_hit

# 0 to 0.5 by 0.025 (a lead of a few points of confidence), then coarser up to 1 (the ranker always)
MARGINS = (*(round(0.025 * i, 3) for i in range(21)), 0.6, 0.7, 0.8, 0.9, 1.0)
# P(yes) at which the checks stop; below 0.4 a stopped sentence is not always accepted
ACCEPTS = tuple(round(0.4 + 0.05 * i, 2) for i in range(13))
# the accept_at of every run made before runs recorded their engine (evals.runner, config "engine")
RECORDED_ACCEPT_AT = 0.8
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


def with_accept(base: EngineConfig, accept_at: float) -> EngineConfig:
    """`base` with another accept_at."""
    return base.model_copy(update={"accept_at": accept_at})


def stopped(checked: Sequence[Checked], accept_at: float) -> Sequence[Checked]:
    """The sentences a run with `accept_at` would have checked of those recorded: up to the first whose
    P(yes) reaches it (a refused sentence is recorded with P(yes) 0 and does not stop the checks)."""
    for i, x in enumerate(checked):
        if x.p_yes >= accept_at:
            return checked[: i + 1]
    return checked


def run_accept_at(summary: Mapping[str, Any]) -> float:
    """The accept_at a run was made with (its recorded engine; RECORDED_ACCEPT_AT before runs recorded it)."""
    engine = (summary.get("config") or {}).get("engine") or {}
    return float(engine.get("accept_at", RECORDED_ACCEPT_AT))


def score(cases: Sequence[Case], engine: EngineConfig) -> tuple[int, int]:
    """(chosen sentence hits the evidence, items answered) with `engine`'s selection and accept_at."""
    hit = n = 0
    for c in cases:
        checked = stopped(c.checked, engine.accept_at)
        confs = [x.confidence for x in checked]
        if max(confs) < engine.abstain_below:
            continue
        n += 1
        # a refused sentence is recorded with P(yes) 0 (assistant.check.Checked.p)
        chosen = checked[engine.select(confs, c.closed, [x.p_yes == 0 for x in checked])]
        hit += any(spans_hit(chosen.span, e) for e in c.evidence)
    return hit, n


def checks(cases: Sequence[Case], accept_at: float) -> int:
    """How many checks the cases' answers make with `accept_at`."""
    return sum(len(stopped(c.checked, accept_at)) for c in cases)


def choose(cases: Sequence[Case], base: EngineConfig, margins: Sequence[float] = MARGINS) -> float:
    """The margin whose choices hit the evidence most often; ties to the smaller margin (where the items
    cannot tell, a calibrated confidence's lead is trusted)."""
    return max(margins, key=lambda m: (score(cases, with_margin(base, m))[0], -m))


def vendor_folds(cases: Sequence[Case]) -> Iterator[tuple[str, list[Case], list[Case]]]:
    """Each vendor (in order) with its own cases and the other vendors' cases."""
    for v in sorted({c.vendor for c in cases}):
        yield v, [c for c in cases if c.vendor == v], [c for c in cases if c.vendor != v]


def per_vendor_hits(cases: Sequence[Case], engine: EngineConfig) -> dict[str, int]:
    """Each vendor's hits with `engine`."""
    return {v: score(held, engine)[0] for v, held, _ in vendor_folds(cases)}


def choose_accept(cases: Sequence[Case], base: EngineConfig, accepts: Sequence[float] = ACCEPTS) -> float:
    """The lowest accept_at among `accepts` that loses on no vendor against `base`'s (a value that wins
    pooled and loses on one vendor is not a default) and hits the evidence as often as any such value;
    `base`'s own when every lower one loses somewhere."""
    ref = per_vendor_hits(cases, base)

    def carries(a: float) -> bool:
        got = per_vendor_hits(cases, with_accept(base, a))
        return all(got[v] >= ref[v] for v in ref)

    kept = [a for a in accepts if a == base.accept_at or carries(a)] or [base.accept_at]
    return max(kept, key=lambda a: (score(cases, with_accept(base, a))[0], -a))


def leave_one_vendor_out(
    cases: Sequence[Case], base: EngineConfig, margins: Sequence[float] = MARGINS
) -> list[dict[str, Any]]:
    """Per vendor: the margin chosen on the other vendors' items, and its hits on this vendor's."""
    out = []
    for v, held, others in vendor_folds(cases):
        m = choose(others, base, margins)
        hit, n = score(held, with_margin(base, m))
        out.append({"vendor": v, "margin": m, "hit": hit, "n": n})
    return out


def leave_one_vendor_out_accept(
    cases: Sequence[Case], base: EngineConfig, accepts: Sequence[float] = ACCEPTS
) -> list[dict[str, Any]]:
    """Per vendor: the accept_at chosen on the other vendors' items, its hits and checks on this vendor's,
    beside `base`'s accept_at."""
    out = []
    for v, held, others in vendor_folds(cases):
        a = choose_accept(others, base, accepts)
        hit, n = score(held, with_accept(base, a))
        hit0, _ = score(held, base)
        out.append(
            {
                "vendor": v,
                "accept_at": a,
                "hit": hit,
                "n": n,
                "checks": checks(held, a),
                "hit_base": hit0,
                "checks_base": checks(held, base.accept_at),
            }
        )
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
    made_at = run_accept_at(summary)
    base = with_accept(EngineConfig.load(), made_at)  # the margins are replayed at the run's accept_at
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
    base = with_margin(base, margin)
    accepts = [a for a in ACCEPTS if a <= made_at]
    print(f"\nthe run's checks stopped at P(yes) >= {made_at}; with margin {margin:.3f}:\n")
    print("| accept_at | chosen sentence hits the evidence | answered | checks |\n|---|---|---|---|")
    for a in accepts:
        hit, n = score(cases, with_accept(base, a))
        print(
            f"| {a:.2f} | {hit} ({hit / n:.3f}) | {n} | {checks(cases, a)} |"
            if n
            else f"| {a:.2f} | – | 0 | |"
        )
    afolds = leave_one_vendor_out_accept(cases, base, accepts)
    print(
        f"\n| left-out vendor | accept_at chosen on the others | hits, checks on the vendor | "
        f"at {base.accept_at} |\n|---|---|---|---|"
    )
    for f in afolds:
        print(
            f"| {f['vendor']} | {f['accept_at']:.2f} | {f['hit']}/{f['n']}, {f['checks']} | "
            f"{f['hit_base']}/{f['n']}, {f['checks_base']} |"
        )
    accept = choose_accept(cases, base, accepts)
    print(f"\nchosen accept_at (loses on no vendor, most hits, ties to the lower): {accept:.2f}")
    if args.write:
        from assistant.rank import update_weights_file

        selection = {"on": str(Path(args.run)), "items": len(cases), "date": dt.date.today().isoformat()}
        written = update_weights_file({"checker_margin": margin, "accept_at": accept}, selection=selection)
        print(f"written to {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
