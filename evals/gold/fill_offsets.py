"""Fill (or check) the character offsets of the gold set's evidence quotes.

Each evidence quote must be a verbatim substring of its document's decoded text; this script
locates it and writes `start`/`end` so that `text[start:end] == quote`. A quote typed with plain
apostrophes or spaces where the document has typographic ones (’, U+00A0, U+202F) is replaced
by the exact slice of the document, so new items can be written by hand and then normalised.
It also gives each new item its `split` ("dev" or "test", evals.dataset.assign_splits); items that
already have one keep it.

Usage:
    python evals/gold/fill_offsets.py [--gold FILE] [--corpus DIR] [--check]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

log = logging.getLogger("evals.gold.fill_offsets")

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_GOLD = ROOT / "evals" / "gold" / "contracts.jsonl"
DEFAULT_CORPUS = ROOT / "data" / "contracts"

# Characters a hand-typed quote may write differently from the document.
_EQUIVALENT = {
    "'": "['’‘]",
    "’": "['’‘]",
    "‘": "['’‘]",
    '"': '["“”]',
    "“": '["“”]',
    "”": '["“”]',
    "-": "[-‐‑–]",
}
_SPACE = r"[\s\u00a0\u202f]+"


def ingest_loader() -> Callable[[bytes, str], str] | None:
    """Ingestion's own loader (bytes, suffix) -> decoded text, or None when ingest is not importable."""
    try:
        from ingest.loaders import load_bytes
    except ImportError:
        return None
    return load_bytes


def fallback_decode(raw: bytes) -> str:
    """Decode like ingestion does in outline: UTF-8 (BOM dropped), then a conservative ftfy repair."""
    import ftfy

    text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    return ftfy.fix_text(
        text,
        uncurl_quotes=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        unescape_html=False,
        normalization="NFC",
    )


def decoded_text(corpus: Path, document: str) -> str:
    """The document's text as ingestion decodes it (offsets index this string)."""
    path = corpus / document
    raw = path.read_bytes()
    loader = ingest_loader()
    if loader is not None:
        return loader(raw, path.suffix)
    log.warning("ingest is not importable; offsets index a fallback decoding of %s", document)
    return fallback_decode(raw)


def tolerant_pattern(quote: str) -> re.Pattern[str]:
    """Regex that matches `quote` up to apostrophe, dash and whitespace variants."""
    parts: list[str] = []
    for ch in quote:
        if ch.isspace():
            if not parts or parts[-1] != _SPACE:
                parts.append(_SPACE)
        else:
            parts.append(_EQUIVALENT.get(ch, re.escape(ch)))
    return re.compile("".join(parts))


def locate(text: str, quote: str) -> tuple[int, int] | None:
    """Offsets of the first exact occurrence of `quote`, else of its tolerant match, else None."""
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote)
    match = tolerant_pattern(quote.strip()).search(text)
    if match:
        return match.start(), match.end()
    return None


def _evidence(items: list[dict], corpus: Path) -> Iterator[tuple[dict, dict, str]]:
    """(item, evidence passage, decoded text of its document) for every passage, each document decoded once."""
    cache: dict[str, str] = {}
    for item in items:
        for ev in item.get("evidence", []):
            doc = ev["document"]
            if doc not in cache:
                cache[doc] = decoded_text(corpus, doc)
            yield item, ev, cache[doc]


def fill(items: list[dict], corpus: Path) -> list[str]:
    """Set exact quotes and offsets on every evidence passage in place; return the problems found."""
    problems: list[str] = []
    for item, ev, text in _evidence(items, corpus):
        doc = ev["document"]
        span = locate(text, ev["quote"])
        if span is None:
            problems.append(f"{item['id']}: quote not found in {doc}: {ev['quote'][:80]!r}")
            continue
        start, end = span
        if text[start:end] != ev["quote"]:
            log.info("%s: quote normalised to the document's exact text", item["id"])
        ev["quote"], ev["start"], ev["end"] = text[start:end], start, end
    return problems


def check(items: list[dict], corpus: Path) -> list[str]:
    """Report evidence whose quote is not verbatim or whose offsets do not slice it."""
    problems: list[str] = []
    for item, ev, text in _evidence(items, corpus):
        doc = ev["document"]
        if ev["quote"] not in text:
            problems.append(f"{item['id']}: quote not verbatim in {doc}")
        elif "start" in ev and text[ev["start"] : ev["end"]] != ev["quote"]:
            problems.append(f"{item['id']}: offsets do not slice the quote in {doc}")
    return problems


def read_gold(path: Path) -> list[dict]:
    """Read a JSON Lines gold set (blank lines ignored)."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def write_gold(path: Path, items: list[dict]) -> None:
    """Write a gold set as JSON Lines, UTF-8, one item a line."""
    with path.open("w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: fill offsets in place (default) or only check them (--check)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--check", action="store_true", help="verify only; write nothing")
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:  # run as a script: make the project's packages (ingest) importable
        sys.path.insert(0, str(ROOT))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    from evals.dataset import SPLITS, assign_splits

    items = read_gold(args.gold)
    log.info("decoder: %s", "ingest.loaders.load_bytes" if ingest_loader() else "fallback (utf-8 + ftfy)")
    problems = check(items, args.corpus) if args.check else fill(items, args.corpus)
    if args.check:
        problems += [
            f"{item['id']}: no valid 'split' (run without --check to assign one)"
            for item in items
            if item.get("split") not in SPLITS
        ]
    for problem in problems:
        log.error(problem)
    if not args.check and not problems:
        placed = set(assign_splits(items))
        for item in items:
            if item["id"] in placed:
                log.info("%s: split %s", item["id"], item["split"])
        write_gold(args.gold, items)
        n_ev = sum(len(i.get("evidence", [])) for i in items)
        log.info("wrote %d items, %d evidence passages to %s", len(items), n_ev, args.gold)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
