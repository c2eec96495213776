"""The Basecamp gold Q&A set (evals/gold/basecamp.jsonl): schema, kinds, reference answers, the seeded
dev/test split, and (once the documents ship as data/contracts/basecamp/) verbatim evidence and the
absence searches of the unanswerable items, checked against ingestion's own text."""

from __future__ import annotations

import collections
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from test_gold import REQUIRED as GOLD_REQUIRED

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "evals" / "gold" / "basecamp.jsonl"
CORPUS = ROOT / "data" / "contracts"
SHIPPED = CORPUS / "basecamp"
# the project set's fields (tests/test_gold.py), plus the kind of question
REQUIRED = {**GOLD_REQUIRED, "kind": str}
not_shipped = pytest.mark.skipif(
    not SHIPPED.is_dir(),
    reason="data/contracts/basecamp/ does not exist yet: quotes are checked against the product's rendered text "
    "once the Basecamp documents ship (until then: python evals/gold/check_basecamp_gold.py against ../shared)",
)


def _load(name: str) -> ModuleType:
    """Import a script of evals/gold/ by path (evals/gold is a data folder, not a package)."""
    spec = importlib.util.spec_from_file_location(f"gold_{name}", GOLD.parent / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def aid() -> ModuleType:
    return _load("check_basecamp_gold")


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    """Every item, read by the eval's own loader (a bad line fails with its line number)."""
    from evals.dataset import load_gold

    return load_gold(GOLD)


def test_every_line_is_an_item(items: list[dict[str, Any]]) -> None:
    lines = [line for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [json.loads(line)["id"] for line in lines] == [item["id"] for item in items]


def test_ids_are_unique(items: list[dict[str, Any]]) -> None:
    counts = collections.Counter(item["id"] for item in items)
    assert [i for i, n in counts.items() if n > 1] == []


def test_items_follow_the_schema(items: list[dict[str, Any]], aid: ModuleType) -> None:
    for item in items:
        for key, typ in REQUIRED.items():
            assert isinstance(item.get(key), typ), f"{item.get('id')}: {key} missing or not {typ.__name__}"
        assert item["lang"] in {"en", "fr"}, item["id"]
        assert item["vendors"] == ["basecamp"], item["id"]
        assert item["kind"] in aid.KINDS, item["id"]
        assert item["split"] in {"dev", "test"}, item["id"]
        assert item["question"].strip() and item["reference_answer"].strip() and item["topic"].strip(), item[
            "id"
        ]
        for group in item["must_include"]:
            assert isinstance(group, list) and group, f"{item['id']}: empty must_include group"
            assert all(isinstance(alt, str) and alt.strip() for alt in group), item["id"]
            # Answers are matched by substring: a two-letter word is inside too many other words.
            assert all(not alt.isalpha() or len(alt) >= 3 for alt in group), f"{item['id']}: {group}"
        assert all(isinstance(s, str) and s.strip() for s in item["must_not_include"]), item["id"]
        for ev in aid.evidence_passages(item):
            assert set(ev) >= {"document", "quote"} and ev["quote"].strip(), item["id"]
            vendor, _, name = ev["document"].partition("/")
            assert vendor == "basecamp" and name in aid.DOCUMENTS, f"{item['id']}: {ev['document']}"


def test_answerability_matches_kind_and_evidence(items: list[dict[str, Any]], aid: ModuleType) -> None:
    for item in items:
        if item["kind"] == "unanswerable":
            assert item["answerable"] is False, item["id"]
            assert item["evidence"] == [] and item["must_include"] == [], item["id"]
            assert aid.note_searches(item), f"{item['id']}: notes hold no 'grep -ciE ...' search"
        else:
            assert item["answerable"] is True and item["evidence"], item["id"]


def test_list_and_two_part_items_carry_their_elements(items: list[dict[str, Any]]) -> None:
    for item in items:
        if item["kind"] == "list":
            assert item["items"] and item["items"] == item["must_include"], item["id"]
        else:
            assert "items" not in item, item["id"]
        if item["kind"] == "two_part":
            parts = item["parts"]
            assert len(parts) >= 2, item["id"]
            for part in parts:
                assert part["ask"].strip() and part["must_include"] and part["evidence"], item["id"]
                assert all(ev in item["evidence"] for ev in part["evidence"]), item["id"]
            assert item["must_include"] == [g for part in parts for g in part["must_include"]], item["id"]
        else:
            assert "parts" not in item, item["id"]


def test_reference_answers_satisfy_their_own_checks(items: list[dict[str, Any]]) -> None:
    """The reference answer is a correct answer, so the eval's own metric must accept it."""
    from evals.metrics import answer_meets

    for item in items:
        assert answer_meets(item["reference_answer"], item["must_include"], item["must_not_include"]), item[
            "id"
        ]


def test_coverage_counts(items: list[dict[str, Any]], aid: ModuleType) -> None:
    kinds = collections.Counter(item["kind"] for item in items)
    assert len(items) >= 70
    assert sum(item["answerable"] for item in items) >= 40
    assert kinds["unanswerable"] >= 15
    assert sum(item["lang"] == "fr" for item in items) >= 15
    assert set(kinds) == set(aid.KINDS), kinds
    from review.topics import load_topics

    # every topic of the review grid (config/review_topics.yaml) has items
    assert {t.key for t in load_topics()} <= {item["topic"] for item in items}


def test_the_split_is_the_documented_seeded_shuffle(items: list[dict[str, Any]], aid: ModuleType) -> None:
    assert {item["id"]: item["split"] for item in items} == aid.assign_splits(items)
    dev = sum(item["split"] == "dev" for item in items)
    assert 0.35 <= dev / len(items) <= 0.45, dev
    strata = collections.Counter((item["kind"], item["lang"], item["split"]) for item in items)
    for kind, lang in {(item["kind"], item["lang"]) for item in items}:
        if strata[kind, lang, "dev"] + strata[kind, lang, "test"] >= 3:
            assert strata[kind, lang, "dev"] and strata[kind, lang, "test"], (kind, lang)


def test_assign_splits_is_seeded_and_stratified(aid: ModuleType) -> None:
    fake = [{"id": f"x-{i}", "kind": aid.KINDS[i % 3], "lang": ["en", "fr"][i % 2]} for i in range(60)]
    first, again = aid.assign_splits(fake), aid.assign_splits(list(reversed(fake)))
    assert first == again
    assert sum(s == "dev" for s in first.values()) == 24
    assert aid.assign_splits(fake, seed="another-seed") != first


@not_shipped
def test_evidence_is_in_the_rendered_documents(items: list[dict[str, Any]], aid: ModuleType) -> None:
    """Every quote (whitespace and apostrophe variants allowed) is in ingestion's text of its document, and
    the absence searches of the unanswerable items still find nothing where they found nothing."""
    fill_offsets = _load("fill_offsets")
    texts: dict[str, str] = {}

    def text_of(name: str) -> str:
        if name not in texts:
            texts[name] = fill_offsets.decoded_text(CORPUS, f"basecamp/{name}")
        return texts[name]

    for item in items:
        for ev in aid.evidence_passages(item):
            name = ev["document"].split("/", 1)[1]
            assert fill_offsets.locate(text_of(name), ev["quote"]) is not None, (
                f"{item['id']}: {ev['quote'][:60]!r}"
            )
        for pattern, document, expected in aid.note_searches(item):
            if expected == 0:
                assert aid.search_count(text_of, pattern, document) == 0, (
                    f"{item['id']}: {pattern!r} now matches"
                )
