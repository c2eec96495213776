"""The gold set of questions whose answer is more than one sentence (evals/gold/complete.jsonl): lists, table
cells, questions with two asks and yes/no questions. Schema per kind, verbatim quotes at their offsets, list
items found in their quotes, table cells that ingest's table reader finds, the searches behind every silent
half, references that pass their own checks, and both splits holding every kind."""

from __future__ import annotations

import collections
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
from test_gold import GREP, REQUIRED, TOPICS, _load_fill_offsets

from core.text import fold
from evals.dataset import SPLITS, assign_splits, load_gold
from evals.metrics import answer_meets
from ingest.tables import find_tables, render_row

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "evals" / "gold" / "complete.jsonl"
CONTRACTS = ROOT / "evals" / "gold" / "contracts.jsonl"
CORPUS = ROOT / "data" / "contracts"
KINDS = ("list", "table_cell", "two_part", "yes_no")
PER_KIND = {"list": {"items"}, "table_cell": {"row", "column"}, "two_part": {"parts"}, "yes_no": {"yes_no"}}


def _folded(text: str) -> str:
    """Case, accents and typographic apostrophes folded (core.text.fold), whitespace runs as one space."""
    return " ".join(fold(text, apostrophes=True).split())


@pytest.fixture(scope="module")
def fill_offsets() -> ModuleType:
    return _load_fill_offsets()


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def texts(items: list[dict], fill_offsets: ModuleType) -> dict[str, str]:
    """Decoded text of every document the evidence cites (ingest's decoder, as fill_offsets.py uses)."""
    docs = {ev["document"] for item in items for ev in item["evidence"]}
    return {doc: fill_offsets.decoded_text(CORPUS, doc) for doc in docs}


def _by_kind(items: list[dict], kind: str) -> list[dict]:
    return [item for item in items if item["kind"] == kind]


# ------------------------------------------------------------------ schema and coverage
def test_the_file_parses_with_unique_ids_and_the_eval_loader_accepts_it(items: list[dict]) -> None:
    ids = [item["id"] for item in items]
    assert len(set(ids)) == len(ids), [i for i, n in collections.Counter(ids).items() if n > 1]
    assert [item["id"] for item in load_gold(GOLD)] == ids


def test_every_item_has_the_common_fields_and_those_of_its_kind(items: list[dict]) -> None:
    for item in items:
        for key, typ in REQUIRED.items():
            assert isinstance(item.get(key), typ), f"{item.get('id')}: {key} missing or not {typ.__name__}"
        assert item["kind"] in KINDS, item["id"]
        # `category` repeats the kind so that evals.dataset.assign_splits (it stratifies on category)
        # balances every kind over dev and test.
        assert item["category"] == item["kind"], item["id"]
        assert PER_KIND[item["kind"]] <= item.keys(), f"{item['id']}: lacks {PER_KIND[item['kind']]}"
        assert item["lang"] in {"en", "fr"} and item["topic"] in TOPICS, item["id"]
        assert item["answerable"] is True and item["vendors"] and item["evidence"], item["id"]
        for group in item["must_include"]:
            assert isinstance(group, list) and group and all(isinstance(a, str) and a.strip() for a in group)
            # Matched as substrings: a purely alphabetic alternative under 3 letters is inside too many words.
            assert all(not alt.isalpha() or len(alt) >= 3 for alt in group), f"{item['id']}: {group}"
        cited = {ev["document"].split("/", 1)[0] for ev in item["evidence"]}
        assert cited == set(item["vendors"]), f"{item['id']}: vendors {item['vendors']} but evidence {cited}"


def test_counts_by_kind_language_and_vendor(items: list[dict]) -> None:
    kinds = collections.Counter(item["kind"] for item in items)
    assert all(kinds[k] >= 12 for k in KINDS), kinds
    for kind in KINDS:
        langs = collections.Counter(item["lang"] for item in _by_kind(items, kind))
        assert langs["en"] >= 5 and langs["fr"] >= 5, (kind, langs)
    langs = collections.Counter(item["lang"] for item in items)
    assert abs(langs["en"] - langs["fr"]) <= len(items) // 10, langs
    vendors = {v for item in items for v in item["vendors"]}
    # every sample vendor but Basecamp, whose items of these kinds are in evals/gold/basecamp.jsonl
    assert vendors == {p.name for p in CORPUS.iterdir() if p.is_dir()} - {"basecamp"}


def test_no_question_repeats_the_main_gold_set(items: list[dict]) -> None:
    taken = {_folded(item["question"]) for item in load_gold(CONTRACTS)}
    assert [item["id"] for item in items if _folded(item["question"]) in taken] == []


# ------------------------------------------------------------------ evidence
def test_every_quote_is_verbatim_at_its_offsets(items: list[dict], fill_offsets: ModuleType) -> None:
    assert fill_offsets.check(items, CORPUS) == []
    assert all("start" in ev and "end" in ev for item in items for ev in item["evidence"])


def test_references_meet_their_own_checks(items: list[dict]) -> None:
    for item in items:
        ok = answer_meets(item["reference_answer"], item["must_include"], item["must_not_include"])
        assert ok, f"{item['id']}: the reference answer fails its must_include / must_not_include"


# ------------------------------------------------------------------ per kind
def test_list_items_are_the_must_include_and_each_is_in_a_quote(items: list[dict]) -> None:
    for item in _by_kind(items, "list"):
        assert item["items"] == item["must_include"] and len(item["items"]) >= 3, item["id"]
        quotes = [_folded(ev["quote"]) for ev in item["evidence"]]
        for group in item["items"]:
            found = any(_folded(alt) in quote for alt in group for quote in quotes)
            assert found, f"{item['id']}: no alternative of {group} in its evidence"


def test_table_cells_name_a_row_and_column_that_ingest_reads(
    items: list[dict], texts: dict[str, str]
) -> None:
    """The first quote is the row as the .txt writes it; ingest's table reader finds that row, and its
    "header: value" rendering gives the asked column a value that every must_include group comes from."""
    tables = {doc: find_tables(text) for doc, text in texts.items()}
    for item in _by_kind(items, "table_cell"):
        first = item["evidence"][0]
        found = [
            (table, row)
            for table in tables[first["document"]]
            for row in table.rows
            if (row.start, row.end) == (first["start"], first["end"])
        ]
        assert len(found) == 1, f"{item['id']}: the first quote is not one table row"
        table, row = found[0]
        assert row.cells[0] == item["row"], f"{item['id']}: row {item['row']!r} is {row.cells[0]!r}"
        head = re.escape(item["column"])
        values = [
            m.group(1) for line in render_row(table, row) for m in re.finditer(rf"{head}: ([^;]+)", line)
        ]
        assert len(values) == 1, f"{item['id']}: column {item['column']!r} not rendered once: {values}"
        for group in item["must_include"]:
            assert any(_folded(alt) in _folded(values[0]) for alt in group), f"{item['id']}: {group}"


def test_two_part_items_have_two_asks_and_the_silent_half_is_searched(items: list[dict]) -> None:
    two = _by_kind(items, "two_part")
    for item in two:
        parts = item["parts"]
        assert len(parts) == 2 and all(p["ask"].strip() for p in parts), item["id"]
        assert item["evidence"] == [ev for p in parts for ev in p["evidence"]], item["id"]
        assert item["must_include"] == [g for p in parts if p["answerable"] for g in p["must_include"]]
        assert any(p["answerable"] for p in parts), item["id"]
        for p in parts:
            if p["answerable"]:
                assert p["evidence"] and p["must_include"], f"{item['id']}: {p['ask']}"
                assert answer_meets(item["reference_answer"], p["must_include"], []), (
                    f"{item['id']}: {p['ask']}"
                )
                continue
            assert p["evidence"] == [] and p["must_include"] == [], f"{item['id']}: {p['ask']}"
            searches = GREP.findall(p.get("notes", ""))
            assert searches, f"{item['id']}: the silent half records no 'grep -ciE ...' search"
            for pattern, document, expected in searches:
                assert document.split("/", 1)[0] in item["vendors"], f"{item['id']}: searched another vendor"
                lines = (CORPUS / document).read_text(encoding="utf-8").splitlines()
                hits = sum(1 for line in lines if re.search(pattern, line, re.IGNORECASE))
                assert hits == int(expected), (
                    f"{item['id']}: {pattern!r} matches {hits} lines, not {expected}"
                )
    assert sum(not all(p["answerable"] for p in item["parts"]) for item in two) >= 3


def test_yes_no_items_state_their_verdict_first(items: list[dict]) -> None:
    answers: collections.Counter[str] = collections.Counter()
    for item in _by_kind(items, "yes_no"):
        verdict = item["yes_no"]
        assert verdict in {"yes", "no"}, item["id"]
        opening = {"yes": ("yes", "oui"), "no": ("no", "non")}[verdict]
        assert _folded(item["reference_answer"]).split()[0].strip(".,:;") in opening, item["id"]
        answers[verdict] += 1
    assert answers["yes"] >= 3 and answers["no"] >= 3, answers


# ------------------------------------------------------------------ dev / test split
def test_splits_are_stored_and_hold_every_kind(items: list[dict]) -> None:
    copies = [dict(item) for item in items]
    assert all(item.get("split") in SPLITS for item in items)
    assert assign_splits(copies) == [] and [c["split"] for c in copies] == [i["split"] for i in items]
    for kind in KINDS:
        splits = collections.Counter(item["split"] for item in _by_kind(items, kind))
        assert splits["dev"] >= 4 and splits["test"] >= 4, (kind, splits)
