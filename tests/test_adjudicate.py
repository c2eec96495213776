"""Adjudicated recall: the blind packet (misses' passages, decoys, controls) and the scores from labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.adjudicate import build_packet, main, read_labels, score

# one policy of ten 10-character passages: passage i is text[10*i : 10*i+10]
TEXT = "".join(f"passage {i:02d}" for i in range(10))
GOLD: list[dict[str, Any]] = [
    {
        "id": "hit",
        "question": "Q hit?",
        "evidence": [{"document": "p.txt", "start": 0, "end": 10, "quote": "passage 00"}],
    },
    {
        "id": "miss",
        "question": "Q miss?",
        "evidence": [{"document": "p.txt", "start": 90, "end": 100, "quote": "passage 09"}],
    },
    {"id": "none", "question": "Q none?", "evidence": []},  # no evidence: never judged
]


def P(i: int) -> dict:
    return {"document": "p.txt", "start": 10 * i, "end": 10 * i + 10}


def run(order_hit: list[int], order_miss: list[int]) -> dict:
    return {
        "hit": {"id": "hit", "ask": {"retrieved": [P(i) for i in order_hit]}},
        "miss": {"id": "miss", "ask": {"retrieved": [P(i) for i in order_miss]}},
    }


def text(doc: str) -> str | None:
    return TEXT if doc == "p.txt" else None


def test_packet_holds_misses_decoys_and_controls_blind() -> None:
    a = run([0, 1], [1, 2, 9, 3, 4, 5, 6, 7, 8])  # k=2: "miss" missed (9 is third), decoys from ranks 7-8
    b = run([0, 1], [2, 3])
    pairs, key = build_packet(GOLD, [a, b], text, k=2, decoys=1, controls=5, seed=1)
    kinds = sorted(e["kind"] for e in key)
    # the misses' top-2 passages of both runs, without the duplicate (2), one decoy, one control
    assert kinds == ["control", "decoy", "retrieved-miss", "retrieved-miss", "retrieved-miss"]
    decoy = next(e for e in key if e["kind"] == "decoy")
    assert decoy["start"] in (60, 70)  # ranks 3k+1..4k (7 and 8) of the first run: passages 6 and 7
    control = next(e for e in key if e["kind"] == "control")
    assert (control["item"], control["start"]) == ("hit", 0)
    for p, e in zip(pairs, key, strict=True):
        assert p["pair"] == e["pair"] and p["passage"] == TEXT[e["start"] : e["end"]]
        assert set(p) == {"pair", "question", "gold_answer_example", "passage"}  # nothing says what it is


def test_score_counts_a_miss_whose_passage_a_judge_accepted() -> None:
    a = run([0, 1], [1, 2, 9, 3, 4, 5, 6, 7, 8])
    pairs, key = build_packet(GOLD, [a], text, k=2, decoys=1, controls=5, seed=1)
    by = {(e["kind"], e["start"]): e["pair"] for e in key}
    labels = {p["pair"]: "no" for p in pairs}
    s = score(GOLD, a, key, labels, text, k=2)
    assert (s["items"], s["strict"], s["adjudicated"], s["with_partial"]) == (2, 0.5, 0.5, 0.5)
    assert s["decoy_yes_rate"] == 0.0 and s["control_yes_rate"] == 0.0
    labels[by[("retrieved-miss", 20)]] = "partial"
    assert score(GOLD, a, key, labels, text, k=2)["with_partial"] == 1.0
    labels[by[("retrieved-miss", 10)]] = "yes"
    s = score(GOLD, a, key, labels, text, k=2)
    assert s["adjudicated"] == 1.0 and s["corrected"] == 1.0  # no decoy accepted: nothing to correct
    decoy = next(e["pair"] for e in key if e["kind"] == "decoy")
    labels[decoy] = "yes"  # the judge accepts decoys: the rescued miss is discounted
    s = score(GOLD, a, key, labels, text, k=2)
    assert s["decoy_yes_rate"] == 1.0 and s["corrected"] is None
    # a run whose top passages were never judged says so
    other = run([0, 1], [3, 4])
    assert score(GOLD, other, key, labels, text, k=2)["unlabelled_passages"] == 2


def test_cli_packet_then_score(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "p.txt").write_text(TEXT, encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        "".join(json.dumps({**g, "vendors": [], "answerable": bool(g["evidence"])}) + "\n" for g in GOLD),
        encoding="utf-8",
    )
    rdir = tmp_path / "run"
    rdir.mkdir()
    (rdir / "summary.json").write_text("{}", encoding="utf-8")
    rows = run([0, 1], [1, 2, 9, 3, 4, 5, 6, 7, 8])
    (rdir / "results.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows.values()), encoding="utf-8"
    )
    common = ["--gold", str(gold), "--corpus", str(corpus), "--k", "2"]
    out = tmp_path / "packet"
    assert main(["packet", str(rdir), *common, "--out", str(out)]) == 0
    pairs = [json.loads(line) for line in (out / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    (out / "labels-a.jsonl").write_text(
        "".join(json.dumps({"pair": p["pair"], "label": "yes"}) + "\n" for p in pairs), encoding="utf-8"
    )
    assert main(["score", str(out), str(rdir), *common]) == 0
    table = capsys.readouterr().out
    assert "| 2 | 0.500 | 1.000 | 1.000 |" in table
    (out / "labels-b.jsonl").write_text('{"pair": 0, "label": "maybe"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="label must be one of"):
        read_labels(out)
