"""Check the version-comparison gold set (evals/gold/diff.jsonl): every quote is a verbatim slice of its
version's decoded text at its offsets, kinds carry the right sides, ids are unique and splits valid.

The decoded text is ingestion's own (`ingest.loaders.load_bytes`), the text the product reads. Each pair
records the SHA-256 of both decoded texts, so a decoder change (a pypdf upgrade, say) is reported as such
rather than as a hundred wrong quotes. Rules the gold follows are in evals/gold/diff.md.

Usage:
    python evals/gold/check_diff_gold.py [--gold FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("evals.gold.check_diff_gold")

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_GOLD = ROOT / "evals" / "gold" / "diff.jsonl"
SPLITS = ("dev", "test")
KINDS = ("changed", "added", "removed", "moved")
SIDES = {"changed": ("old", "new"), "moved": ("old", "new"), "added": ("new",), "removed": ("old",)}
PAIR_KEYS = {"id", "vendor", "document", "split", "old", "new", "old_version", "new_version", "changes"}
PAIR_OPTIONAL = {"old_sha256", "new_sha256"}
CHANGE_KEYS = {"kind", "section", "trivial"}
CHANGE_OPTIONAL = {"old", "old_start", "old_end", "new", "new_start", "new_end", "figures", "note"}
DEV_SHARE = (0.25, 0.55)  # "about 40 %" of the pairs are dev


def read_gold(path: Path) -> list[dict[str, Any]]:
    """The gold file's pairs, one JSON object a line (blank lines skipped)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def decoder() -> Callable[[Path], str]:
    """path -> the text ingestion decodes from it (the text offsets index)."""
    if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
        sys.path.insert(0, str(ROOT))
    from ingest.loaders import load_bytes

    cache: dict[Path, str] = {}

    def text(path: Path) -> str:
        if path not in cache:
            cache[path] = load_bytes(path.read_bytes(), path.suffix)
        return cache[path]

    return text


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _same_wording(a: str, b: str) -> bool:
    """Equal up to whitespace (line breaks, page-number lines of a PDF) and curly/straight quotes."""

    def norm(s: str) -> str:
        s = re.sub(r"(?m)^\d{1,3}\n", " ", s)
        s = s.translate(str.maketrans("’‘“”", "''\"\""))
        return " ".join(s.split())

    return norm(a) == norm(b)


def check_pair_shape(pair: Mapping[str, Any]) -> list[str]:
    """Problems with a pair's own fields (no file access)."""
    pid = pair.get("id", "<no id>")
    problems = [f"{pid}: missing {k}" for k in sorted(PAIR_KEYS - set(pair))]
    problems += [f"{pid}: unknown field {k}" for k in sorted(set(pair) - PAIR_KEYS - PAIR_OPTIONAL)]
    if pair.get("split") not in SPLITS:
        problems.append(f"{pid}: split {pair.get('split')!r} is not one of {SPLITS}")
    for k in ("id", "vendor", "document", "old", "new", "old_version", "new_version"):
        if k in pair and not (isinstance(pair[k], str) and pair[k].strip()):
            problems.append(f"{pid}: {k} must be a non-empty string")
    if not isinstance(pair.get("changes"), list) or not pair.get("changes"):
        problems.append(f"{pid}: changes must be a non-empty list")
    return problems


def check_change(pid: str, i: int, c: Mapping[str, Any], texts: Mapping[str, str | None]) -> list[str]:
    """Problems with one change: kind, sides, offsets, figures, section, trivial."""
    at = f"{pid} change {i}"
    kind = c.get("kind")
    if kind not in KINDS:
        return [f"{at}: kind {kind!r} is not one of {KINDS}"]
    problems = [f"{at}: missing {k}" for k in sorted(CHANGE_KEYS - set(c))]
    problems += [f"{at}: unknown field {k}" for k in sorted(set(c) - CHANGE_KEYS - CHANGE_OPTIONAL)]
    sides = SIDES[kind]
    for side in ("old", "new"):
        fields = [k for k in (side, f"{side}_start", f"{side}_end") if k in c]
        if side not in sides:
            if fields:
                problems.append(f"{at}: a {kind} change has no {side} side (found {', '.join(fields)})")
            continue
        if len(fields) < 3:
            problems.append(f"{at}: {side}, {side}_start and {side}_end are all required")
            continue
        quote, start, end = c[side], c[f"{side}_start"], c[f"{side}_end"]
        if not isinstance(quote, str) or not quote.strip() or quote != quote.strip():
            problems.append(f"{at}: {side} quote is empty or has surrounding whitespace")
            continue
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            problems.append(f"{at}: bad {side} offsets {start!r}..{end!r}")
            continue
        text = texts.get(side)
        if text is not None and text[start:end] != quote:
            found = text.count(quote)
            problems.append(
                f"{at}: {side} quote is not at {start}..{end} (it occurs {found} time(s)): {quote[:60]!r}"
            )
    if kind == "changed" and "old" in c and "new" in c and _same_wording(c["old"], c["new"]):
        problems.append(f"{at}: changed, but old and new have the same wording")
    if kind == "moved" and "old" in c and "new" in c and not _same_wording(c["old"], c["new"]):
        problems.append(f"{at}: moved, but the wording differs (that is a changed)")
    for f in c.get("figures", []):
        if kind != "changed" or not isinstance(f, dict) or set(f) != {"old", "new"}:
            problems.append(f"{at}: figures are {{old, new}} pairs on a changed sentence")
        elif f["old"] == f["new"] or f["old"] not in c.get("old", "") or f["new"] not in c.get("new", ""):
            problems.append(f"{at}: figure {f} must differ and occur in its side's quote")
    if not (isinstance(c.get("section"), str) and c["section"].strip()):
        problems.append(f"{at}: section must be a non-empty string")
    if not isinstance(c.get("trivial"), bool):
        problems.append(f"{at}: trivial must be true or false")
    return problems


def check_overlaps(pid: str, changes: Sequence[Mapping[str, Any]]) -> list[str]:
    """A sentence is listed once: quotes on the same side never overlap."""
    problems = []
    for side in ("old", "new"):
        spans = sorted(
            (c[f"{side}_start"], c[f"{side}_end"], i)
            for i, c in enumerate(changes)
            if isinstance(c.get(f"{side}_start"), int) and isinstance(c.get(f"{side}_end"), int)
        )
        for (_, e1, i1), (s2, _, i2) in zip(spans, spans[1:], strict=False):
            if s2 < e1:
                problems.append(f"{pid}: {side} quotes of changes {i1} and {i2} overlap")
    return problems


def check_splits(pairs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Unique ids; about 40 % dev; a PDF pair in test (and in each split from six pairs on)."""
    problems = [f"duplicate id {k}" for k, n in Counter(p.get("id") for p in pairs).items() if n > 1]
    if not pairs:
        return problems + ["no pairs"]
    dev = sum(p.get("split") == "dev" for p in pairs) / len(pairs)
    if not DEV_SHARE[0] <= dev <= DEV_SHARE[1]:
        problems.append(f"{dev:.0%} of the pairs are dev; about 40 % should be")
    pdf = {p.get("split") for p in pairs if str(p.get("new", "")).lower().endswith(".pdf")}
    if "test" not in pdf:
        problems.append("no PDF pair in the test split")
    if len(pairs) >= 6 and "dev" not in pdf:
        problems.append("six pairs or more, but no PDF pair in the dev split")
    return problems


def check(
    pairs: list[dict[str, Any]], root: Path = ROOT, read: Callable[[Path], str] | None = None
) -> list[str]:
    """Every problem in the gold set (empty when it is sound). Paths resolve against `root`."""
    read = read or decoder()
    problems = check_splits(pairs)
    for pair in pairs:
        shape = check_pair_shape(pair)
        problems += shape
        if shape:
            continue
        pid = pair["id"]
        texts: dict[str, str | None] = {}
        for side in ("old", "new"):
            path = (root / pair[side]).resolve()
            if not path.is_file():
                problems.append(f"{pid}: {side} file {pair[side]} not found")
                texts[side] = None
                continue
            texts[side] = read(path)
            want = pair.get(f"{side}_sha256")
            if want and sha256_text(texts[side] or "") != want:
                problems.append(
                    f"{pid}: {side} decodes to another text than the gold was written on (decoder changed?)"
                )
        for i, change in enumerate(pair["changes"]):
            problems += check_change(pid, i, change, texts)
        problems += check_overlaps(pid, pair["changes"])
    return problems


def summary(pairs: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line a pair: split and count of changes per kind (trivial ones counted apart)."""
    lines = []
    for p in pairs:
        kinds = Counter(c.get("kind") for c in p.get("changes", []))
        trivial = sum(bool(c.get("trivial")) for c in p.get("changes", []))
        counts = ", ".join(f"{k} {kinds[k]}" for k in KINDS if kinds[k])
        lines.append(f"{p.get('id')} [{p.get('split')}]: {counts} (trivial {trivial})")
    return lines


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: exit 1 when any check fails."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # "Ignoring wrong pointing object" on these PDFs
    pairs = read_gold(args.gold)
    problems = check(pairs)
    for line in summary(pairs):
        log.info(line)
    for problem in problems:
        log.error(problem)
    n = sum(len(p.get("changes", [])) for p in pairs)
    log.info(
        "%d pairs, %d changes: %s", len(pairs), n, f"{len(problems)} problem(s)" if problems else "all sound"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
