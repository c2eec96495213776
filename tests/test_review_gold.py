"""The review grid's gold file (evals/gold/review.jsonl): one item per sample vendor x topic, quotes verbatim
at their offsets in the decoded text, silent cells without evidence, references that meet their own checks."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from core.settings import PROJECT_ROOT
from evals.dataset import load_gold
from evals.metrics import answer_meets
from review import load_topics

GOLD = PROJECT_ROOT / "evals" / "gold" / "review.jsonl"
CORPUS = PROJECT_ROOT / "data" / "contracts"
VENDORS = {"humanlinker", "boost-my-mail", "aura-digital", "leo-bizdev", "unnamed-provider"}


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    from ingest.loaders import load_bytes

    return {f"{p.parent.name}/{p.name}": load_bytes(p.read_bytes(), p.suffix) for p in CORPUS.glob("*/*.txt")}


def test_one_item_per_vendor_and_topic(items: list[dict]) -> None:
    keys = {t.key for t in load_topics()}
    cells = Counter((i["vendors"][0], i["topic"]) for i in items)
    assert set(cells) == {(v, k) for v in VENDORS for k in keys}
    assert set(cells.values()) == {1}
    assert len({i["id"] for i in items}) == len(items)
    assert len(load_gold(GOLD)) == len(items)  # the evals schema accepts it


def test_quotes_are_verbatim_at_their_offsets(items: list[dict], texts: dict[str, str]) -> None:
    n = 0
    for item in items:
        for ev in item["evidence"]:
            assert ev["document"].split("/")[0] == item["vendors"][0], item["id"]
            text = texts[ev["document"]]
            assert text[ev["start"] : ev["end"]] == ev["quote"], item["id"]
            n += 1
    assert n >= 60


def test_silent_and_answered_cells(items: list[dict]) -> None:
    silent = [i for i in items if not i["answerable"]]
    assert 10 <= len(silent) <= 25
    for item in items:
        if item["answerable"]:
            assert item["evidence"], item["id"]
            assert answer_meets(item["reference_answer"], item["must_include"], item["must_not_include"]), (
                item["id"]
            )
        else:
            assert item["evidence"] == [] and item["must_include"] == [], item["id"]
    assert sum(bool(i["must_include"]) for i in items if i["answerable"]) >= 30


@pytest.mark.parametrize(
    ("vendor", "topic", "absent"),
    [
        ("unnamed-provider", "governing_law", ["governed by", "jurisdiction", "courts of"]),
        ("leo-bizdev", "availability_sla", ["99", "disponibilité du service", "uptime"]),
        ("boost-my-mail", "security_certifications", ["ISO 27001", "ISO/IEC", "SOC 2", "certifi"]),
        ("unnamed-provider", "dpo_contact", ["Service Provider's Data Protection Officer", "our DPO"]),
    ],
)
def test_silent_cells_are_silent_in_the_text(
    items: list[dict], texts: dict[str, str], vendor: str, topic: str, absent: list[str]
) -> None:
    item = next(i for i in items if i["vendors"] == [vendor] and i["topic"] == topic)
    assert not item["answerable"]
    text = "\n".join(t for d, t in texts.items() if d.startswith(vendor + "/")).lower()
    for word in absent:
        assert word.lower() not in text, word
