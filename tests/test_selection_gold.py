"""The selection gold set (evals/gold/selection.jsonl: "Which vendors…?" questions, each vendor's verdict):
schema, a verdict for every vendor of the corpus, evidence for every vendor that meets or fails the
condition (verbatim, at its offsets in ingest's own text), both splits and both languages, and reference
answers that pass their own checks."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import pytest
from test_gold import REQUIRED, _load_fill_offsets, _norm

from evals.dataset import load_gold

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "evals" / "gold" / "selection.jsonl"
CORPUS = ROOT / "data" / "contracts"
VERDICTS = {"yes", "no", "silent"}


@pytest.fixture(scope="module")
def items() -> list[dict[str, Any]]:
    return load_gold(GOLD)


def test_items_follow_the_schema(items: list[dict[str, Any]]) -> None:
    slugs = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert len(items) >= 20
    assert not [i for i, n in collections.Counter(item["id"] for item in items).items() if n > 1]
    for item in items:
        for key, typ in REQUIRED.items():
            assert isinstance(item.get(key), typ), f"{item['id']}: {key}"
        assert item["kind"] == "selection" and item["answerable"] is True, item["id"]
        assert set(item["verdicts"]) == slugs, f"{item['id']}: a verdict for every vendor of the corpus"
        assert set(item["verdicts"].values()) <= VERDICTS, item["id"]


def test_every_vendor_that_meets_or_fails_the_condition_has_evidence(items: list[dict[str, Any]]) -> None:
    for item in items:
        cited = {ev["document"].split("/", 1)[0] for ev in item["evidence"]}
        decided = {v for v, x in item["verdicts"].items() if x != "silent"}
        assert cited == decided == set(item["vendors"]), item["id"]


def test_must_include_names_each_vendor_that_meets_it(items: list[dict[str, Any]]) -> None:
    for item in items:
        yes = sum(x == "yes" for x in item["verdicts"].values())
        assert len(item["must_include"]) == yes, item["id"]


def test_splits_and_languages(items: list[dict[str, Any]]) -> None:
    seen = collections.Counter((item["split"], item["lang"]) for item in items)
    assert all(seen[(s, lang)] >= 3 for s in ("dev", "test") for lang in ("en", "fr")), seen
    nobody = [item for item in items if "yes" not in item["verdicts"].values()]
    assert {item["split"] for item in nobody} == {"dev", "test"}  # "none of them" is an answer too


def test_evidence_is_verbatim_at_its_offsets(items: list[dict[str, Any]]) -> None:
    decode = _load_fill_offsets().decoded_text
    texts: dict[str, str] = {}
    for item in items:
        for ev in item["evidence"]:
            text = texts.setdefault(ev["document"], decode(CORPUS, ev["document"]))
            assert text[ev["start"] : ev["end"]] == ev["quote"], f"{item['id']}: {ev['document']}"


def test_reference_answers_pass_their_own_checks(items: list[dict[str, Any]]) -> None:
    for item in items:
        answer = _norm(item["reference_answer"])
        for group in item["must_include"]:
            assert any(_norm(alt) in answer for alt in group), f"{item['id']}: {group}"
