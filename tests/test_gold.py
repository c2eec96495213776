"""The project's gold Q&A set (evals/gold/contracts.jsonl): schema, coverage counts, verbatim evidence."""

from __future__ import annotations

import collections
import importlib.util
import json
import unicodedata
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "evals" / "gold" / "contracts.jsonl"
CORPUS = ROOT / "data" / "contracts"
REQUIRED = {
    "id": str,
    "question": str,
    "lang": str,
    "vendors": list,
    "answerable": bool,
    "reference_answer": str,
    "must_include": list,
    "must_not_include": list,
    "evidence": list,
    "topic": str,
}
TOPICS = {
    "breach_notification", "liability", "jurisdiction", "sub_processors", "hosting", "transfers", "audits",
    "termination", "reversibility", "retention", "sla_support", "payment", "security", "data_subject_rights",
    "parties", "processing", "confidentiality", "contract_changes", "unknown_vendor", "out_of_scope",
}


def _load_fill_offsets() -> ModuleType:
    """Import evals/gold/fill_offsets.py by path (evals/gold is a data folder, not a package)."""
    spec = importlib.util.spec_from_file_location("gold_fill_offsets", GOLD.parent / "fill_offsets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _norm(text: str) -> str:
    """Normalise as the answer_accuracy metric does: NFKC, case-folded, non-breaking spaces as spaces."""
    text = unicodedata.normalize("NFKC", text).replace("\u00a0", " ").replace("\u202f", " ")
    return " ".join(text.casefold().split())


@pytest.fixture(scope="module")
def items() -> list[dict]:
    """Every gold item, parsed line by line (a bad line fails with its line number)."""
    parsed = []
    for n, line in enumerate(GOLD.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                parsed.append(json.loads(line))
            except json.JSONDecodeError as exc:  # pragma: no cover - reported as a failure
                pytest.fail(f"line {n}: {exc}")
    return parsed


@pytest.fixture(scope="module")
def texts(items: list[dict]) -> dict[str, str]:
    """Decoded text of every document the evidence cites (ingest's decoder when available)."""
    fill_offsets = _load_fill_offsets()
    docs = {ev["document"] for item in items for ev in item["evidence"]}
    return {doc: fill_offsets.decoded_text(CORPUS, doc) for doc in docs}


def test_items_follow_the_schema(items: list[dict]) -> None:
    for item in items:
        for key, typ in REQUIRED.items():
            assert isinstance(item.get(key), typ), f"{item.get('id')}: {key} missing or not {typ.__name__}"
        assert item["lang"] in {"fr", "en"}, item["id"]
        assert item["topic"] in TOPICS, f"{item['id']}: unknown topic {item['topic']!r}"
        assert item["question"].strip() and item["reference_answer"].strip(), item["id"]
        for group in item["must_include"]:
            assert isinstance(group, list) and group, f"{item['id']}: empty must_include group"
            assert all(isinstance(alt, str) and alt.strip() for alt in group), item["id"]
            # Answers are matched by substring: a two-letter word ("UE", "IP") is inside too many words.
            assert all(not alt.isalpha() or len(alt) >= 3 for alt in group), f"{item['id']}: {group}"
        assert all(isinstance(s, str) and s.strip() for s in item["must_not_include"]), item["id"]
        for ev in item["evidence"]:
            assert isinstance(ev.get("document"), str) and isinstance(ev.get("quote"), str), item["id"]
            assert ev["quote"].strip(), item["id"]
            if "start" in ev or "end" in ev:
                assert isinstance(ev["start"], int) and isinstance(ev["end"], int), item["id"]
                assert 0 <= ev["start"] < ev["end"], item["id"]


def test_the_eval_loader_accepts_the_file(items: list[dict]) -> None:
    from evals.dataset import load_gold

    assert [item["id"] for item in load_gold(GOLD)] == [item["id"] for item in items]


def test_answerability_matches_evidence(items: list[dict]) -> None:
    for item in items:
        if item["answerable"]:
            assert item["evidence"], f"{item['id']}: answerable item without evidence"
            assert item["vendors"], f"{item['id']}: answerable item without vendors"
        else:
            assert item["evidence"] == [], f"{item['id']}: unanswerable item with evidence"
            assert item["must_include"] == [], f"{item['id']}: unanswerable item with must_include"


def test_ids_are_unique(items: list[dict]) -> None:
    counts = collections.Counter(item["id"] for item in items)
    assert [i for i, n in counts.items() if n > 1] == []


def test_coverage_counts(items: list[dict]) -> None:
    n = len(items)
    french = sum(item["lang"] == "fr" for item in items)
    comparisons = sum(item["answerable"] and len(item["vendors"]) >= 2 for item in items)
    unanswerable = sum(not item["answerable"] for item in items)
    assert n >= 80
    assert french * 3 >= n, f"{french} French items of {n}"
    assert comparisons >= 10
    assert unanswerable >= 10


def test_vendor_slugs_exist_and_match_evidence(items: list[dict]) -> None:
    slugs = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    for item in items:
        assert set(item["vendors"]) <= slugs, f"{item['id']}: unknown vendor in {item['vendors']}"
        cited = {ev["document"].split("/", 1)[0] for ev in item["evidence"]}
        assert cited <= set(item["vendors"]), f"{item['id']}: evidence from a vendor not listed"
        if item["answerable"]:
            assert cited == set(item["vendors"]), f"{item['id']}: a listed vendor has no evidence"


def test_evidence_is_verbatim_with_offsets(items: list[dict], texts: dict[str, str]) -> None:
    for item in items:
        for ev in item["evidence"]:
            text = texts[ev["document"]]
            assert ev["quote"] in text, f"{item['id']}: quote not verbatim in {ev['document']}"
            if "start" in ev:
                assert text[ev["start"] : ev["end"]] == ev["quote"], f"{item['id']}: offsets off"


def test_reference_answers_satisfy_their_own_checks(items: list[dict]) -> None:
    """The reference answer is a correct answer, so it must pass must_include / must_not_include."""
    for item in items:
        answer = _norm(item["reference_answer"])
        for group in item["must_include"]:
            assert any(_norm(alt) in answer for alt in group), f"{item['id']}: {group} not in reference"
        for bad in item["must_not_include"]:
            assert _norm(bad) not in answer, f"{item['id']}: {bad!r} in reference"


def test_fill_offsets_normalises_hand_typed_quotes() -> None:
    fill_offsets = _load_fill_offsets()
    text = "Le Fournisseur s\u2019engage\u00a0: au plus tard 48\u202fheures."
    span = fill_offsets.locate(text, "s'engage : au plus tard 48 heures")
    assert span is not None
    assert text[span[0] : span[1]] == "s\u2019engage\u00a0: au plus tard 48\u202fheures"
    assert fill_offsets.locate(text, "72 heures") is None
