"""Gold-checking aid for evals/gold/basecamp.jsonl, usable before the product reads Basecamp's Markdown.

NOT a product renderer: `gold_render_markdown` strips just enough markup (front matter, Liquid tags, link
and HTML syntax, emphasis markers, heading hashes) to let an annotator check that each evidence quote is
the document's words as the product will read them. Once the files ship as data/contracts/basecamp/,
tests/test_basecamp_gold.py checks the quotes against ingestion's own text instead, and
`fill_offsets.py --gold evals/gold/basecamp.jsonl` can add offsets. The PDF is read with ingestion's loader.

It also assigns the dev/test split (`assign_splits`): within each (kind, lang) stratum, items are ordered
by a seeded SHA-256 of their id (evals.dataset.split_hash, seed SPLIT_SEED below) and the first
round(40 %) of them go to "dev", the rest to "test". The test reruns it and compares.

Usage:
    python evals/gold/check_basecamp_gold.py [--gold FILE] [--docs DIR] [--assign-splits]
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import logging
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

log = logging.getLogger("evals.gold.check_basecamp_gold")

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_GOLD = ROOT / "evals" / "gold" / "basecamp.jsonl"
DEFAULT_DOCS = ROOT.parent / "shared" / "corpus-versions" / "basecamp" / "current"
SPLIT_SEED = "basecamp-gold-split-v1"
DEV_SHARE = 0.4
KINDS = ("fact", "figure", "list", "two_part", "yes_no", "unanswerable")
DOCUMENTS = (
    "terms-of-service.md",
    "privacy-policy.md",
    "sla.md",
    "cancellation-policy.md",
    "security-overview.md",
    "subprocessors.md",
    "until-the-end-of-the-internet.md",
    "data-processing-addendum.pdf",
)
# A search recorded in an unanswerable item's notes: pattern, "basecamp/<file>" or "basecamp/*", line count.
NOTE_SEARCH = re.compile(r"grep -ciE '([^']+)' basecamp/(\S+) -> (\d+)")
PAGE_NUMBER_LINE = re.compile(r"\n\d+\n")

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_LIQUID = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_LINK_DEFINITION = re.compile(r"^\[[^\]]+\]:\s*\S+\s*$", re.M)
_LINK = re.compile(r"!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_HEADING = re.compile(r"^#{1,6}\s+", re.M)
_STRONG = re.compile(r"\*{2,3}(?=\S)(.+?)(?<=\S)\*{2,3}")
_EM = re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])")


def gold_render_markdown(text: str) -> str:
    """Markdown as plain text, for checking gold quotes only (see the module docstring)."""
    text = _FRONT_MATTER.sub("", text.replace("\r\n", "\n"))
    text = _LIQUID.sub("", text)
    text = _LINK_DEFINITION.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    text = _HEADING.sub("", text)
    text = _STRONG.sub(r"\1", text)
    return _EM.sub(r"\1", text)


def _fill_offsets() -> ModuleType:
    """evals/gold/fill_offsets.py (its `locate` is the one quote matcher), imported by path."""
    spec = importlib.util.spec_from_file_location(
        "gold_fill_offsets", Path(__file__).with_name("fill_offsets.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def document_text(docs: Path, name: str) -> str:
    """A document's text: the PDF through ingestion's loader, Markdown through `gold_render_markdown`."""
    path = docs / name
    if path.suffix.lower() == ".pdf":
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        from ingest.loaders import load_bytes

        return load_bytes(path.read_bytes(), path.suffix)
    return gold_render_markdown(path.read_text(encoding="utf-8"))


def split_stratum(item: dict[str, Any]) -> tuple[str, str]:
    """What the split balances on: the item's kind and language."""
    return str(item.get("kind")), str(item.get("lang"))


def assign_splits(items: Sequence[dict[str, Any]], seed: str = SPLIT_SEED) -> dict[str, str]:
    """id -> "dev" / "test": per (kind, lang) stratum, a seeded shuffle, the first round(40 %) to dev."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from evals.dataset import split_hash

    strata: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    for item in items:
        strata[split_stratum(item)].append(str(item["id"]))
    out: dict[str, str] = {}
    for ids in strata.values():
        ids.sort(key=lambda i: split_hash(i, seed))
        n_dev = int(len(ids) * DEV_SHARE + 0.5)
        out.update({i: ("dev" if k < n_dev else "test") for k, i in enumerate(ids)})
    return out


def evidence_passages(item: dict[str, Any]) -> list[dict[str, Any]]:
    """Every evidence passage of an item, its parts' and list elements' included."""
    passages = list(item.get("evidence") or [])
    for part in item.get("parts") or []:
        passages += part.get("evidence") or []
    return passages


def note_searches(item: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(pattern, document or "*", line count) for each `grep -ciE` search recorded in an item's notes."""
    return [(p, d, int(n)) for p, d, n in NOTE_SEARCH.findall(item.get("notes") or "")]


def search_count(text_of: Callable[[str], str], pattern: str, document: str) -> int:
    """Lines matching `pattern` (case-insensitive) in one document's text, or in all eight for "*"."""
    names = DOCUMENTS if document == "*" else (document,)
    return sum(1 for name in names for line in text_of(name).splitlines() if re.search(pattern, line, re.I))


def check(items: list[dict[str, Any]], text_of: Callable[[str], str]) -> list[str]:
    """Problems: a quote not found in its document's text, one that runs over a PDF page number, or a search
    in the notes whose line count differs."""
    locate = _fill_offsets().locate
    problems: list[str] = []
    for item in items:
        for ev in evidence_passages(item):
            vendor, _, name = ev["document"].partition("/")
            if vendor != "basecamp" or name not in DOCUMENTS:
                problems.append(f"{item['id']}: evidence from {ev['document']}")
                continue
            text = text_of(name)
            span = locate(text, ev["quote"])
            if span is None:
                problems.append(f"{item['id']}: quote not found in {name}: {ev['quote'][:70]!r}")
            elif PAGE_NUMBER_LINE.search(text[span[0] : span[1]]):
                problems.append(f"{item['id']}: quote runs over a page number in {name}")
        for pattern, document, expected in note_searches(item):
            found = search_count(text_of, pattern, document)
            if found != expected:
                problems.append(
                    f"{item['id']}: {pattern!r} matches {found} lines in {document}, not {expected}"
                )
    return problems


def shared_text_of(docs: Path) -> Callable[[str], str]:
    """name -> the document's text read from `docs` (see `document_text`), each read once."""
    cache: dict[str, str] = {}

    def text_of(name: str) -> str:
        if name not in cache:
            cache[name] = document_text(docs, name)
        return cache[name]

    return text_of


def counts(items: list[dict[str, Any]]) -> str:
    """A kind x language x split table, as text."""
    c = collections.Counter((i["kind"], i["lang"], i.get("split")) for i in items)
    rows = [f"{'kind':<14}{'en dev':>8}{'en test':>8}{'fr dev':>8}{'fr test':>8}"]
    for kind in KINDS:
        cells = [c[kind, lang, split] for lang in ("en", "fr") for split in ("dev", "test")]
        rows.append(f"{kind:<14}" + "".join(f"{n:>8}" for n in cells))
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """CLI: check every quote (and, with --assign-splits, write each item's split)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="the Basecamp documents")
    parser.add_argument("--assign-splits", action="store_true", help="(re)write every item's split")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    lines = args.gold.read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    problems = check(items, shared_text_of(args.docs))
    for problem in problems:
        log.error(problem)
    if args.assign_splits and not problems:
        splits = assign_splits(items)
        for item in items:
            item["split"] = splits[item["id"]]
        with args.gold.open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    sys.stdout.write(counts(items) + "\n")
    log.info("%d items, %d problems", len(items), len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
