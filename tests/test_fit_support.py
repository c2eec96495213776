"""The support floor's fit (evals.fit_support) on labelled wordings, without an embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.fit_support import GOLD, auc, choose, counts, fit, load


def row(item: str, split: str, label: str) -> dict[str, str]:
    return {"id": item, "item": item, "split": split, "wording": "w", "sentence": "s", "label": label}


def test_the_floor_rejects_more_unfaithful_than_faithful_wordings() -> None:
    rows = [row("a-1", "dev", "faithful"), row("a-2", "dev", "unfaithful"), row("b-1", "dev", "faithful")]
    rows += [row("b-2", "dev", "unfaithful"), row("b-3", "dev", "minor")]
    sims = [0.8, 0.4, 0.6, 0.54, 0.5]
    # 0.55 rejects both unfaithful wordings and no faithful one; 0.625 would also reject a faithful one
    assert choose(rows, sims) == 0.55
    assert counts(rows, sims, 0.55) == {
        "faithful_rejected": 0,
        "faithful": 2,
        "minor_rejected": 1,
        "minor": 1,
        "unfaithful_rejected": 2,
        "unfaithful": 2,
    }
    assert auc(rows, sims) == pytest.approx(5 / 6)  # the minor wording (0.5) is under an unfaithful one
    assert auc(rows[:1], sims[:1]) is None


def test_test_is_reported_and_each_group_left_out() -> None:
    rows = [row("a-1", "dev", "faithful"), row("a-2", "dev", "unfaithful"), row("b-1", "dev", "faithful")]
    rows += [
        row("b-2", "dev", "unfaithful"),
        row("a-3", "test", "unfaithful"),
        row("b-3", "test", "faithful"),
    ]
    sims = [0.9, 0.45, 0.7, 0.5, 0.3, 0.35]
    out = fit(rows, sims)
    assert out["floor"] == 0.525 and out["test"]["unfaithful_rejected"] == 1
    assert out["test"]["faithful_rejected"] == 1  # reported, not chosen on
    assert set(out["leave_one_group_out"]) == {"a", "b"}
    assert out["leave_one_group_out"]["a"]["floor"] == 0.525  # fitted on b's dev wordings alone


def test_a_bad_record_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "w.jsonl"
    bad.write_text(json.dumps({**row("a-1", "dev", "faithful"), "label": "fine"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="w.jsonl:1"):
        load(bad)


def test_the_shipped_gold_loads_with_both_splits_and_every_label() -> None:
    rows = load(GOLD)
    assert {r["split"] for r in rows} == {"dev", "test"}
    assert {r["label"] for r in rows} == {"faithful", "minor", "unfaithful"}
    assert len({r["id"] for r in rows}) == len(rows)
