"""The yes/no gold sets whose questions the sentences themselves settle, one vendor each: a figure bound
(evals/gold/bounds.jsonl: "Does Humanlinker notify a breach within 72 hours?") or a place (evals/gold/
places.jsonl: "Does Basecamp store customer data in the United States?"). Schema, a verdict per item, evidence
verbatim at its offsets, both splits, languages and verdicts, and reference answers that open with their
verdict and pass their own checks."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import pytest
from test_gold import REQUIRED, _load_fill_offsets, _norm

from assistant.figures.asked import bounded_measures
from assistant.query import is_yes_no_question
from assistant.selection import place_asked
from evals.dataset import load_gold
from evals.metrics import gold_verdict

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "contracts"
# each set, with what its questions must ask (as the engine reads them)
SETS = {
    "bounds.jsonl": lambda q: bool(bounded_measures(q)),
    "places.jsonl": lambda q: place_asked(q) is not None,
}


@pytest.fixture(scope="module", params=sorted(SETS))
def gold_set(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def items(gold_set: str) -> list[dict[str, Any]]:
    return load_gold(ROOT / "evals" / "gold" / gold_set)


def test_items_follow_the_schema(items: list[dict[str, Any]]) -> None:
    slugs = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert len(items) >= 12
    assert not [i for i, n in collections.Counter(item["id"] for item in items).items() if n > 1]
    for item in items:
        for key, typ in REQUIRED.items():
            assert isinstance(item.get(key), typ), f"{item['id']}: {key}"
        assert item["kind"] == "yes_no" and item["yes_no"] in ("yes", "no"), item["id"]
        assert len(item["vendors"]) == 1 and set(item["vendors"]) <= slugs, item["id"]
        assert {ev["document"].split("/", 1)[0] for ev in item["evidence"]} == set(item["vendors"]), item[
            "id"
        ]


def test_each_question_is_closed_and_asks_what_its_set_is_for(
    items: list[dict[str, Any]], gold_set: str
) -> None:
    for item in items:
        assert is_yes_no_question(item["question"]), item["id"]
        assert SETS[gold_set](item["question"]), item["id"]


def test_splits_languages_verdicts_and_vendors(items: list[dict[str, Any]]) -> None:
    seen = collections.Counter((item["split"], item["lang"], item["yes_no"]) for item in items)
    assert all(
        seen[(s, lang, v)] >= 1 for s in ("dev", "test") for lang in ("en", "fr") for v in ("yes", "no")
    )
    vendors = {item["vendors"][0] for item in items}
    assert len(vendors) >= 4, vendors


def test_evidence_is_verbatim_at_its_offsets(items: list[dict[str, Any]]) -> None:
    decode = _load_fill_offsets().decoded_text
    for item in items:
        for ev in item["evidence"]:
            text = decode(CORPUS, ev["document"])
            assert text[ev["start"] : ev["end"]] == ev["quote"], f"{item['id']}: {ev['document']}"


def test_reference_answers_open_with_the_verdict_and_pass_their_checks(items: list[dict[str, Any]]) -> None:
    for item in items:
        assert gold_verdict({"reference_answer": item["reference_answer"]}) == item["yes_no"], item["id"]
        answer = _norm(item["reference_answer"])
        for group in item["must_include"]:
            assert any(_norm(alt) in answer for alt in group), f"{item['id']}: {group}"
