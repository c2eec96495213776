"""Score the version comparison (`assistant.diff`) against a gold set of changed sentences.

    python -m evals.diffscore --gold evals/gold/diff.jsonl [--split dev|test|both] [--out DIR]

A gold item is one pair of versions with every change a reader would list:
`{"id", "old": PATH, "new": PATH, "split"?, "trivial"?, "changes": [{"kind", "old": QUOTE|null,
"new": QUOTE|null, "old_start"?, "old_end"?, "new_start"?, "new_end"?, "trivial"?}]}`. Paths are taken
as given, else next to the gold file, in the project, or in ../shared. A gold quote is placed by its
offsets when they hold it, else by its one verbatim occurrence (whitespace aside as a last resort).

A predicted change matches a gold change when they share a sentence on the same side: their spans in
that version overlap. Each gold change and each prediction is matched at most once (largest overlaps
first). `changed_sentence_recall` = matched gold / gold, `changed_sentence_precision` = matched
predictions / predictions, over all pairs; the `_nontrivial` variants leave out gold changes (or items)
marked "trivial" and the predictions matched to them.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT

log = logging.getLogger("evals.diffscore")

Span = tuple[int, int]
METRICS = (
    "changed_sentence_recall",
    "changed_sentence_precision",
    "changed_sentence_recall_nontrivial",
    "changed_sentence_precision_nontrivial",
    "kind_agreement",
)


@dataclass(frozen=True)
class GoldChange:
    kind: str
    old: Span | None
    new: Span | None
    trivial: bool
    located: bool  # every quote it has was found in its version


@dataclass
class PairScore:
    """One gold item scored: counts for the micro-averaged metrics and what was missed."""

    id: str
    split: str | None
    gold: int
    predicted: int
    matched: int
    gold_nontrivial: int
    matched_nontrivial: int
    predicted_nontrivial: int
    kinds_agree: int
    unlocated: int
    seconds: float
    missed: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "split": self.split,
            "gold": self.gold,
            "predicted": self.predicted,
            "matched": self.matched,
            "recall": _ratio(self.matched, self.gold),
            "precision": _ratio(self.matched, self.predicted),
            "recall_nontrivial": _ratio(self.matched_nontrivial, self.gold_nontrivial),
            "precision_nontrivial": _ratio(self.matched_nontrivial, self.predicted_nontrivial),
            "unlocated_gold": self.unlocated,
            "seconds": round(self.seconds, 3),
            "missed": self.missed,
        }


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


# ---------------------------------------------------------------------------------------- locating
def locate(text: str, quote: str | None, start: Any = None, end: Any = None) -> Span | None:
    """Where a gold quote stands: its offsets when they hold it, else its one verbatim occurrence, else
    its one occurrence with any whitespace between its words. None when absent or ambiguous."""
    if not quote:
        return None
    if isinstance(start, int) and isinstance(end, int) and text[start:end] == quote:
        return (start, end)
    first = text.find(quote)
    if first >= 0:
        return (first, first + len(quote)) if text.find(quote, first + 1) < 0 else None
    words = quote.split()
    if not words:
        return None
    found = list(re.finditer(r"\s+".join(map(re.escape, words)), text))
    return found[0].span() if len(found) == 1 else None


def _side(change: Mapping[str, Any], side: str) -> tuple[str | None, Any, Any]:
    """A gold side as (quote, start, end): the quote as a string, or an object {"quote", "start", "end"}."""
    value = change.get(side)
    if isinstance(value, Mapping):
        return value.get("quote"), value.get("start"), value.get("end")
    return value, change.get(f"{side}_start"), change.get(f"{side}_end")


def gold_changes(item: Mapping[str, Any], old_text: str, new_text: str) -> list[GoldChange]:
    out = []
    for ch in item.get("changes") or []:
        spans: dict[str, Span | None] = {}
        located = True
        for side, text in (("old", old_text), ("new", new_text)):
            quote, start, end = _side(ch, side)
            spans[side] = locate(text, quote, start, end)
            located = located and (not quote or spans[side] is not None)
        trivial = bool(ch.get("trivial") or item.get("trivial"))
        out.append(GoldChange(str(ch.get("kind", "")), spans["old"], spans["new"], trivial, located))
    return out


# ---------------------------------------------------------------------------------------- matching
def _overlap(a: Span | None, b: Span | None) -> int:
    if a is None or b is None:
        return 0
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _pred_span(change: Mapping[str, Any], side: str) -> Span | None:
    s = change.get(side)
    return (int(s["start"]), int(s["end"])) if isinstance(s, Mapping) else None


def match(gold: Sequence[GoldChange], predicted: Sequence[Mapping[str, Any]]) -> dict[int, int]:
    """gold index -> prediction index: pairs that share a sentence on a side, largest overlap first, each
    taken once."""
    edges = []
    for g, gc in enumerate(gold):
        for p, pc in enumerate(predicted):
            ov = _overlap(gc.old, _pred_span(pc, "old")) + _overlap(gc.new, _pred_span(pc, "new"))
            if ov > 0:
                edges.append((ov, g, p))
    out: dict[int, int] = {}
    used: set[int] = set()
    for _, g, p in sorted(edges, key=lambda e: (-e[0], e[1], e[2])):
        if g not in out and p not in used:
            out[g] = p
            used.add(p)
    return out


def score_pair(
    item: Mapping[str, Any],
    old_text: str,
    new_text: str,
    predicted: Sequence[Mapping[str, Any]],
    seconds: float = 0.0,
) -> PairScore:
    """Score the predicted changes of one pair (the `changes` of `diff --json`) against its gold item."""
    gold = gold_changes(item, old_text, new_text)
    matched = match(gold, predicted)
    trivial_preds = {p for g, p in matched.items() if gold[g].trivial}
    missed = [
        {"kind": gc.kind, "old": _side(raw, "old")[0], "new": _side(raw, "new")[0], "located": gc.located}
        for g, (gc, raw) in enumerate(zip(gold, item.get("changes") or [], strict=True))
        if g not in matched
    ]
    return PairScore(
        id=str(item.get("id", "")),
        split=item.get("split"),
        gold=len(gold),
        predicted=len(predicted),
        matched=len(matched),
        gold_nontrivial=sum(1 for g in gold if not g.trivial),
        matched_nontrivial=sum(1 for g in matched if not gold[g].trivial),
        predicted_nontrivial=len(predicted) - len(trivial_preds),
        kinds_agree=sum(1 for g, p in matched.items() if gold[g].kind == predicted[p].get("kind")),
        unlocated=sum(1 for g in gold if not g.located),
        seconds=seconds,
        missed=missed,
    )


def aggregate(scores: Iterable[PairScore]) -> dict[str, Any]:
    """Micro-averaged metrics over pairs (every change counts once)."""
    s = list(scores)

    def total(name: str) -> int:
        return sum(getattr(x, name) for x in s)

    return {
        "changed_sentence_recall": _ratio(total("matched"), total("gold")),
        "changed_sentence_precision": _ratio(total("matched"), total("predicted")),
        "changed_sentence_recall_nontrivial": _ratio(total("matched_nontrivial"), total("gold_nontrivial")),
        "changed_sentence_precision_nontrivial": _ratio(
            total("matched_nontrivial"), total("predicted_nontrivial")
        ),
        "kind_agreement": _ratio(total("kinds_agree"), total("matched")),
        "pairs": len(s),
        "gold_changes": total("gold"),
        "predicted_changes": total("predicted"),
        "unlocated_gold": total("unlocated"),
    }


# ------------------------------------------------------------------------------------------- running
def resolve(path: str, gold_file: Path, root: Path | None = None) -> Path:
    """A gold item's file: as given, else under --root, next to the gold file, in the project, in
    ../shared or ../shared/corpus-versions."""
    bases = [Path.cwd(), *([root] if root else []), gold_file.parent, PROJECT_ROOT]
    bases += [PROJECT_ROOT.parent / "shared", PROJECT_ROOT.parent / "shared" / "corpus-versions"]
    p = Path(path)
    for cand in [p] if p.is_absolute() else [b / p for b in bases]:
        if cand.is_file():
            return cand
    raise FileNotFoundError(f"{path}: not found (looked in {', '.join(str(b) for b in bases)})")


def load_items(gold_file: Path, split: str | None) -> list[dict[str, Any]]:
    from evals.dataset import select_split

    items = [json.loads(ln) for ln in gold_file.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return select_split(items, split) if split else items


def run(
    gold_file: Path, split: str | None = None, root: Path | None = None
) -> tuple[dict[str, Any], list[PairScore]]:
    """Diff every gold pair (files decoded as ingest does) and score it."""
    from assistant.diff import diff_texts
    from assistant.diff.load import read_version

    scores = []
    for item in load_items(gold_file, split):
        old = read_version(resolve(str(item["old"]), gold_file, root))
        new = read_version(resolve(str(item["new"]), gold_file, root))
        t0 = time.perf_counter()
        result = diff_texts(old.text, new.text, old_name=old.path.name, new_name=new.path.name)
        seconds = time.perf_counter() - t0
        predicted = [c.to_json() for c in result.changes]
        scores.append(score_pair(item, old.text, new.text, predicted, seconds))
        log.info(
            "%s: %d gold, %d predicted, %d matched",
            item.get("id"),
            scores[-1].gold,
            len(predicted),
            scores[-1].matched,
        )
    return aggregate(scores), scores


def report_md(summary: Mapping[str, Any], scores: Sequence[PairScore]) -> str:
    def pct(v: Any) -> str:
        return "—" if v is None else f"{100 * v:.1f}%"

    m = summary["metrics"]
    lines = [
        f"# Version comparison against {summary['gold']}"
        + (f" ({summary['split']})" if summary["split"] else ""),
        "",
        f"{m['pairs']} pairs, {m['gold_changes']} gold changes, {m['predicted_changes']} predicted; "
        f"{m['unlocated_gold']} gold quotes not found in their version (counted as missed).",
        "",
        "| metric | all | without trivial |",
        "|---|---|---|",
        f"| changed-sentence recall | {pct(m['changed_sentence_recall'])} | {pct(m['changed_sentence_recall_nontrivial'])} |",
        f"| changed-sentence precision | {pct(m['changed_sentence_precision'])} | {pct(m['changed_sentence_precision_nontrivial'])} |",
        "",
        f"Kind agreement on matched changes: {pct(m['kind_agreement'])}.",
        "",
        "| pair | gold | predicted | matched | recall | precision | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in scores:
        j = s.to_json()
        lines.append(
            f"| {s.id} | {s.gold} | {s.predicted} | {s.matched} | {pct(j['recall'])} | {pct(j['precision'])} | {j['seconds']} |"
        )
    missed = [(s.id, m) for s in scores for m in s.missed]
    if missed:
        lines += ["", "## Missed gold changes", ""]
        for pid, ch in missed[:50]:
            quote = " ".join(str(ch["new"] or ch["old"] or "").split())[:160]
            lines.append(f"- {pid} ({ch['kind']}{'' if ch['located'] else ', not found'}): {quote}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m evals.diffscore",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--gold", required=True, help="gold JSONL (one pair of versions a line)")
    p.add_argument(
        "--split", choices=("dev", "test", "both"), default=None, help="only this split (default: every item)"
    )
    p.add_argument(
        "--out", default=None, help="folder for summary.json and report.md (default evals/runs/<time>-diff)"
    )
    p.add_argument(
        "--root", default=None, help="folder the gold items' paths are relative to (else searched)"
    )
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    gold_file = Path(args.gold)
    try:
        metrics, scores = run(gold_file, args.split, Path(args.root) if args.root else None)
    except (OSError, ValueError, KeyError) as exc:  # a missing file, bad JSON, an item without old/new
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out or PROJECT_ROOT / "evals" / "runs" / f"{time.strftime('%Y%m%d-%H%M%S')}-diff")
    out.mkdir(parents=True, exist_ok=True)
    summary = {
        "gold": str(gold_file),
        "split": args.split,
        "metrics": metrics,
        "per_pair": [s.to_json() for s in scores],
    }
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out / "report.md").write_text(report_md(summary, scores), encoding="utf-8")
    print(
        f"recall {metrics['changed_sentence_recall']}, precision {metrics['changed_sentence_precision']} "
        f"over {metrics['pairs']} pairs; wrote {out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
