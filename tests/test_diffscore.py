"""The version-comparison scorer (evals/diffscore.py) on a tiny hand-made gold set."""

from __future__ import annotations

import json
from pathlib import Path

from evals.diffscore import aggregate, locate, main, score_pair

FIXTURES = Path(__file__).parent / "fixtures" / "diff"
GOLD = FIXTURES / "gold.jsonl"

OLD = "Fees are due in 30 days. We keep logs.\nWe sell nothing. Support answers by email."
NEW = "Fees are due in 14 days. We keep logs.\nSupport answers by email or phone."


def side(text: str, quote: str) -> dict[str, object]:
    start = text.index(quote)
    return {"quote": quote, "start": start, "end": start + len(quote), "section": ""}


def test_locate_by_offsets_then_unique_find_then_whitespace() -> None:
    text = "one two three. one two.\nthree four"
    assert locate(text, "one two three.", 0, 14) == (0, 14)
    assert locate(text, "two three.", 99, 120) == (4, 14)  # wrong offsets: found by text
    assert locate(text, "one two") is None  # twice: ambiguous
    assert locate(text, "two. three") == (19, 29)  # a line break where the gold has a space
    assert locate(text, "absent") is None
    assert locate(text, None) is None


def test_score_pair_counts_matches_once_and_trivial_apart() -> None:
    gold = {
        "id": "p",
        "changes": [
            {"kind": "changed", "old": "Fees are due in 30 days.", "new": "Fees are due in 14 days."},
            {"kind": "removed", "old": "We sell nothing.", "new": None},
            {
                "kind": "changed",
                "old": "Support answers by email.",
                "new": "Support answers by email or phone.",
            },
            {"kind": "added", "old": None, "new": "We are open on Sundays.", "trivial": True},  # not in NEW
        ],
    }
    predicted = [
        {
            "kind": "changed",
            "old": side(OLD, "Fees are due in 30 days."),
            "new": side(NEW, "Fees are due in 14 days."),
        },
        {"kind": "changed", "old": side(OLD, "30 days"), "new": side(NEW, "14 days")},  # same sentence again
        {"kind": "removed", "old": side(OLD, "We sell nothing. Support answers by email."), "new": None},
        {"kind": "added", "old": None, "new": side(NEW, "We keep logs.")},  # nothing changed there
    ]
    s = score_pair(gold, OLD, NEW, predicted)
    # the removal spans two gold sentences but matches one (the larger overlap: the changed sentence);
    # the repeated "30 days" finds nothing left to match
    assert (s.gold, s.predicted, s.matched, s.unlocated) == (4, 4, 2, 1)
    assert (s.gold_nontrivial, s.matched_nontrivial, s.predicted_nontrivial) == (3, 2, 4)
    m = aggregate([s])
    assert m["changed_sentence_recall"] == 0.5 and m["changed_sentence_precision"] == 0.5
    assert m["changed_sentence_recall_nontrivial"] == 2 / 3
    assert m["kind_agreement"] == 0.5
    assert [ch["kind"] for ch in s.missed] == ["removed", "added"]


def test_cli_writes_summary_and_report(tmp_path: Path) -> None:
    assert main(["--gold", str(GOLD), "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    m = summary["metrics"]
    assert m["pairs"] == 2 and m["gold_changes"] == 6 and m["unlocated_gold"] == 0
    per = {p["id"]: p for p in summary["per_pair"]}
    assert per["terms-same"]["predicted"] == 0 and per["terms-same"]["recall"] is None
    pair = per["terms-2023"]
    assert m["changed_sentence_recall"] == pair["matched"] / 6
    assert m["changed_sentence_precision"] == pair["matched"] / pair["predicted"]
    # the date line is marked trivial: without it, one gold change fewer
    assert m["changed_sentence_recall_nontrivial"] == (pair["matched"] - 1) / 5
    assert "changed-sentence recall" in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert main(["--gold", str(GOLD), "--split", "test", "--out", str(tmp_path / "t")]) == 0
    only_test = json.loads((tmp_path / "t" / "summary.json").read_text(encoding="utf-8"))
    assert [p["id"] for p in only_test["per_pair"]] == ["terms-same"]


def test_cli_error_on_a_missing_file(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "x", "old": "nope.md", "new": "nope2.md", "changes": []}) + "\n")
    assert main(["--gold", str(gold), "--out", str(tmp_path / "out")]) == 2
