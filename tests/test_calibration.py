"""The check's calibration tables: reliability bins, the threshold sweep and its choice."""

from __future__ import annotations

import pytest

from evals.calibration import choose, reliability, sweep, truth


def row(conf: float | None, answerable: bool = True, hit: bool = True) -> dict:
    return {"ask": {"confidence": conf}, "scores": {"answerable": answerable, "citations_hit": int(hit)}}


ROWS = [
    row(0.9),
    row(0.85),
    row(0.7, hit=False),
    row(0.65),
    row(0.45, answerable=False, hit=False),
    row(0.3, answerable=False, hit=False),
    row(0.35, hit=False),
    row(None),
]


def test_truth_needs_an_answerable_item_and_a_hit() -> None:
    assert truth(row(0.9)) and not truth(row(0.9, hit=False)) and not truth(row(0.9, answerable=False))


def test_reliability_bins() -> None:
    bins = reliability(ROWS, bins=5)
    assert sum(b["n"] for b in bins) == 7  # the item without a confidence is not binned
    top = bins[-1]
    assert top["n"] == 2 and top["observed"] == 1.0 and top["mean_confidence"] == pytest.approx(0.875)
    assert bins[1]["observed"] == 0.0  # 0.2-0.4: one unanswerable, one wrong sentence


def test_sweep_and_choice() -> None:
    table = {r["threshold"]: r for r in sweep(ROWS, [0.4, 0.5, 0.8])}
    assert table[0.5]["abstained"] == 3 and table[0.5]["abstention_recall"] == 1.0
    assert table[0.5]["abstention_precision"] == pytest.approx(2 / 3)
    assert table[0.4]["abstention_recall"] == 0.5
    assert table[0.8]["answerable_answered_true"] == pytest.approx(2 / 5)
    assert choose(list(table.values())) == 0.5
