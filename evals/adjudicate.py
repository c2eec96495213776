"""Adjudicated retrieval recall: does a passage that the gold set did not mark still answer the question?

A gold set marks one evidence span per question, but a long policy often states the same thing in several
places, so a strict evidence_recall@k counts some right passages as misses. This tool asks a judge (a person,
or a model told nothing about where a passage came from) to label (question, passage) pairs, and scores
runs with those labels:

    python -m evals.adjudicate packet RUN [RUN...] --gold GOLD --corpus CORPUS --out DIR
    # a judge labels DIR/pairs.jsonl into DIR/labels*.jsonl: {"pair": N, "label": "yes"|"partial"|"no"}
    python -m evals.adjudicate score DIR RUN [RUN...] --gold GOLD --corpus CORPUS

The packet holds, in a shuffled order and without saying which is which: every top-k passage of each
item that some run missed; `--decoys` passages from ranks 3k+1 to 4k of the first run (needs runs made with
`--k 4k` or more; near-topic passages that did not make the cut), which measure how often the judge says
yes to passages that should mostly not answer; and the evidence-holding passage of `--controls` items that
were hits, which measure how often the judge recognises a true answer. The key (`key.jsonl`) says which
pair is which. Keep DIR outside the project for a licensed benchmark: the pairs carry its text.

`score` gives, per run: strict recall@k, adjudicated recall@k (a miss counts when a judge said yes to one of
its top-k passages), the same with "partial", and a guess-corrected estimate: with a decoy yes-rate d, a
miss has its k passages accepted by chance with probability f = 1 - (1 - d)^k, and the share of misses
rescued, r, is corrected to (r - f) / (1 - f)."""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.metrics import Span, locate_evidence, spans_hit
from evals.review import corpus_text

LABELS = ("yes", "partial", "no")


def _rows(run: str | Path) -> dict[str, dict[str, Any]]:
    from evals.report import load_run

    return {str(r["id"]): r for r in load_run(run)[1]}


def _hits(passages: Sequence[Mapping[str, Any]], evidence: Sequence[Span]) -> bool:
    return any(spans_hit(Span.from_json(p), e) for p in passages for e in evidence)


def _key(item: str, p: Mapping[str, Any]) -> tuple[str, str, int, int]:
    return (item, str(p["document"]), int(p["start"]), int(p["end"]))


def build_packet(
    gold: Sequence[Mapping[str, Any]],
    runs: Sequence[Mapping[str, Mapping[str, Any]]],
    text: Callable[[str], str | None],
    k: int = 5,
    decoys: int = 2,
    controls: int = 40,
    seed: int = 7,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(pairs, key): the blind pairs to judge and what each one is. Items without evidence are skipped."""
    rng = random.Random(seed)
    key: list[dict[str, Any]] = []
    seen: set[tuple[str, str, int, int]] = set()

    def add(item: str, p: Mapping[str, Any], kind: str) -> None:
        if _key(item, p) not in seen and p.get("start") is not None:
            seen.add(_key(item, p))
            key.append(
                {"item": item, "document": p["document"], "start": p["start"], "end": p["end"], "kind": kind}
            )

    hit_items = []
    for it in gold:
        iid = str(it["id"])
        evidence = locate_evidence(it.get("evidence") or [], text)
        if not evidence or any(iid not in r for r in runs):
            continue
        tops = [list((r[iid].get("ask") or {}).get("retrieved") or []) for r in runs]
        missed = [top[:k] for top in tops if not _hits(top[:k], evidence)]
        for top in missed:
            for p in top:
                add(iid, p, "retrieved-miss")
        if missed:
            far = [p for p in tops[0][3 * k : 4 * k] if not _hits([p], evidence)]
            for p in rng.sample(far, min(decoys, len(far))):
                add(iid, p, "decoy")
        else:
            hit_items.append((iid, next(p for p in tops[0][:k] if _hits([p], evidence))))
    for iid, p in rng.sample(hit_items, min(controls, len(hit_items))):
        add(iid, p, "control")
    rng.shuffle(key)
    by_id = {str(it["id"]): it for it in gold}
    pairs = []
    for n, entry in enumerate(key):
        entry["pair"] = n
        it = by_id[entry["item"]]
        doc_text = text(entry["document"]) or ""
        pairs.append(
            {
                "pair": n,
                "question": it["question"],
                "gold_answer_example": (it.get("evidence") or [{}])[0].get("quote", ""),
                "passage": doc_text[int(entry["start"]) : int(entry["end"])],
            }
        )
    return pairs, key


def read_labels(folder: Path) -> dict[int, str]:
    """Every DIR/labels*.jsonl line's label by pair; an unknown label is an error."""
    out: dict[int, str] = {}
    for f in sorted(folder.glob("labels*.jsonl")):
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            d = json.loads(line)
            if d.get("label") not in LABELS:
                raise ValueError(f"{f}:{n}: label must be one of {', '.join(LABELS)}, got {d.get('label')!r}")
            out[int(d["pair"])] = d["label"]
    return out


def score(
    gold: Sequence[Mapping[str, Any]],
    run: Mapping[str, Mapping[str, Any]],
    key: Sequence[Mapping[str, Any]],
    labels: Mapping[int, str],
    text: Callable[[str], str | None],
    k: int = 5,
) -> dict[str, Any]:
    """Strict, adjudicated (yes), lenient (yes or partial) and guess-corrected recall@k of one run, with the
    judge's yes-rate on decoys and controls and how many missed top-k passages had no label."""
    label_of: dict[tuple[str, str, int, int], str | None] = {
        _key(str(e["item"]), e): labels.get(int(e["pair"])) for e in key
    }
    rates: dict[str, float | None] = {}
    for kind in ("decoy", "control"):
        said = [labels[int(e["pair"])] for e in key if e["kind"] == kind and int(e["pair"]) in labels]
        rates[kind] = sum(x == "yes" for x in said) / len(said) if said else None
    n = strict = yes = lenient = unlabelled = 0
    for it in gold:
        iid = str(it["id"])
        evidence = locate_evidence(it.get("evidence") or [], text)
        if not evidence or iid not in run:
            continue
        n += 1
        top = list((run[iid].get("ask") or {}).get("retrieved") or [])[:k]
        if _hits(top, evidence):
            strict += 1
            continue
        got: list[str | None] = [label_of.get(_key(iid, p)) for p in top]
        unlabelled += sum(g is None for g in got)
        yes += "yes" in got
        lenient += "yes" in got or "partial" in got
    out: dict[str, Any] = {
        "items": n,
        "strict": strict / n if n else None,
        "adjudicated": (strict + yes) / n if n else None,
        "with_partial": (strict + lenient) / n if n else None,
        "decoy_yes_rate": rates["decoy"],
        "control_yes_rate": rates["control"],
        "unlabelled_passages": unlabelled,
        "corrected": None,
    }
    misses = n - strict
    if misses and rates["decoy"] is not None and rates["decoy"] < 1:
        f = 1 - (1 - rates["decoy"]) ** k
        rescued = max(0.0, (yes / misses - f) / (1 - f))
        out["corrected"] = (strict + rescued * misses) / n
    return out


def _fmt(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m evals.adjudicate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("packet", "score"):
        sp = sub.add_parser(name)
        if name == "score":
            sp.add_argument("dir", help="the packet folder, with the judge's labels*.jsonl")
        sp.add_argument("runs", nargs="+", help="retrieval-only run folders (results.jsonl)")
        sp.add_argument("--gold", required=True)
        sp.add_argument("--corpus", required=True, help="the folder the gold's documents are in")
        sp.add_argument("--k", type=int, default=5)
        if name == "packet":
            sp.add_argument("--out", required=True, help="a folder outside the project for licensed text")
            sp.add_argument(
                "--decoys", type=int, default=2, help="decoy passages per missed item (default 2)"
            )
            sp.add_argument("--controls", type=int, default=40, help="hit items whose evidence is a control")
            sp.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    from evals.dataset import load_gold

    gold = load_gold(args.gold)
    text = corpus_text(args.corpus)
    runs = [_rows(r) for r in args.runs]
    if args.cmd == "packet":
        pairs, key = build_packet(gold, runs, text, args.k, args.decoys, args.controls, args.seed)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name, rows in (("pairs.jsonl", pairs), ("key.jsonl", key)):
            (out / name).write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
            )
        kinds = Counter(e["kind"] for e in key)
        print(f"{len(pairs)} pairs to judge in {out / 'pairs.jsonl'}: {dict(kinds)}")
        return 0
    folder = Path(args.dir)
    key = [
        json.loads(line) for line in (folder / "key.jsonl").read_text(encoding="utf-8").splitlines() if line
    ]
    labels = read_labels(folder)
    if not labels:
        print(f"error: no labels*.jsonl in {folder}", file=sys.stderr)
        return 2
    print(f"{len(labels)} of {len(key)} pairs labelled\n")
    print(
        "| run | items | strict recall@k | adjudicated | with partial | guess-corrected | judge yes: decoys / controls |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, run in zip(args.runs, runs, strict=True):
        s = score(gold, run, key, labels, text, args.k)
        print(
            f"| {name} | {s['items']} | {_fmt(s['strict'])} | {_fmt(s['adjudicated'])} | {_fmt(s['with_partial'])} "
            f"| {_fmt(s['corrected'])} | {_fmt(s['decoy_yes_rate'])} / {_fmt(s['control_yes_rate'])} |"
        )
        if s["unlabelled_passages"]:
            print(f"  ({s['unlabelled_passages']} missed top-k passages of {name} were not in the packet)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
