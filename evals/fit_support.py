"""Measure the wording support floor (assistant/support.py) for an embedder, on labelled wordings.

    python -m evals.fit_support [--gold evals/gold/wordings.jsonl] [--json OUT]

Each record of the gold (`evals/gold/wordings.jsonl`) is a wording the engine wrote, the sentence it cited,
and a label: `faithful`, `minor` (a loose or half-translated word that changes no meaning) or `unfaithful`
(it says what the sentence does not). The configured embedder (settings' `embedding`, as the assistant builds
it) embeds both as documents; a floor rejects the wordings under it. The floor chosen on the dev split is the
one with the best margin (unfaithful wordings rejected minus faithful ones rejected; the lower floor on a
tie); it is also chosen leaving out each vendor group in turn (the item id's first part), and the test split
is reported, never chosen on. The result goes into `assistant.support.MIN_SUPPORT` under the embedder's name.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.sentence_vectors import SentenceVectors
from core.settings import PROJECT_ROOT, load_settings

GOLD = PROJECT_ROOT / "evals" / "gold" / "wordings.jsonl"
LABELS = ("faithful", "minor", "unfaithful")
GRID = tuple(round(0.3 + 0.025 * i, 3) for i in range(21))  # 0.30 .. 0.80


def load(path: Path) -> list[dict[str, Any]]:
    """The labelled wordings; a record without its fields or with another label is an error."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        r = json.loads(line)
        missing = [k for k in ("id", "item", "split", "wording", "sentence", "label") if k not in r]
        if missing or r["label"] not in LABELS or r["split"] not in ("dev", "test"):
            raise ValueError(
                f"{path}:{n}: needs id, item, split (dev/test), wording, sentence, label {LABELS}"
            )
        rows.append(r)
    return rows


def counts(rows: Sequence[dict[str, Any]], sims: Sequence[float], floor: float) -> dict[str, int]:
    """How many wordings of each label the floor rejects, and how many there are."""
    out = {}
    for lab in LABELS:
        mine = [s for r, s in zip(rows, sims, strict=True) if r["label"] == lab]
        out[f"{lab}_rejected"] = sum(1 for s in mine if s < floor)
        out[lab] = len(mine)
    return out


def margin(rows: Sequence[dict[str, Any]], sims: Sequence[float], floor: float) -> int:
    c = counts(rows, sims, floor)
    return c["unfaithful_rejected"] - c["faithful_rejected"]


def choose(rows: Sequence[dict[str, Any]], sims: Sequence[float]) -> float:
    """The floor of GRID with the best margin on `rows` (the lowest such floor)."""
    return max(GRID, key=lambda f: (margin(rows, sims, f), -f))


def auc(rows: Sequence[dict[str, Any]], sims: Sequence[float]) -> float | None:
    """How well a low similarity finds the unfaithful wordings among the others (ROC AUC, ties half)."""
    bad = [s for r, s in zip(rows, sims, strict=True) if r["label"] == "unfaithful"]
    good = [s for r, s in zip(rows, sims, strict=True) if r["label"] != "unfaithful"]
    if not bad or not good:
        return None
    wins = sum((b < g) + 0.5 * (b == g) for b in bad for g in good)
    return wins / (len(bad) * len(good))


def similarities(rows: Sequence[dict[str, Any]], vectors: SentenceVectors) -> list[float]:
    """Cosine similarity of each wording to its sentence, both embedded as documents, as the assistant's
    SentenceVectors embeds and normalises them (in memory here: nothing is kept)."""
    w = vectors.vectors([r["wording"] for r in rows])
    s = vectors.vectors([r["sentence"] for r in rows])
    return [float(a @ b) for a, b in zip(w, s, strict=True)]


def fit(rows: Sequence[dict[str, Any]], sims: Sequence[float]) -> dict[str, Any]:
    """The dev floor, the floors chosen leaving out each vendor group of dev, and what each does."""
    dev = [i for i, r in enumerate(rows) if r["split"] == "dev"]
    test = [i for i, r in enumerate(rows) if r["split"] == "test"]

    def part(ix: Sequence[int]) -> tuple[list[dict[str, Any]], list[float]]:
        return [rows[i] for i in ix], [sims[i] for i in ix]

    floor = choose(*part(dev))
    groups = sorted({rows[i]["item"].split("-")[0] for i in dev})
    held = {}
    for g in groups:
        fitted = choose(*part([i for i in dev if rows[i]["item"].split("-")[0] != g]))
        out = part([i for i in test if rows[i]["item"].split("-")[0] == g])
        held[g] = {"floor": fitted, **counts(*out, fitted)}
    return {
        "floor": floor,
        "dev": {**counts(*part(dev), floor), "auc": auc(*part(dev))},
        "test": {**counts(*part(test), floor), "auc": auc(*part(test))},
        "leave_one_group_out": held,
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.fit_support", description=__doc__.split("\n\n")[0])
    p.add_argument("--gold", type=Path, default=GOLD, help="labelled wordings (JSON lines)")
    p.add_argument("--json", type=Path, help="also write the result here")
    args = p.parse_args(argv)
    from vectorstore.embeddings import embedder_name, make_embeddings

    settings = load_settings()
    try:
        rows = load(args.gold)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    name = embedder_name(settings.embedding)
    result = {"embedder": name, "gold": str(args.gold), "items": len(rows)}
    result |= fit(rows, similarities(rows, SentenceVectors(make_embeddings(settings.embedding), name)))
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
