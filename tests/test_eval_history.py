"""`python -m evals record` and `python -m evals history` on synthetic run folders (no models, no corpus)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.settings import PROJECT_ROOT
from evals.cli import main
from evals.history import load_history, machine_cpu, render_history

CPU = "Test CPU, 2 cores, avx2"


def _summary(
    commit: str = "0123456789abcdef0123456789abcdef01234567",
    timestamp: str = "2026-12-01T10:00:00+00:00",
    split: str | None = "test",
    system: str = "default",
    retrieval_only: bool = False,
    gold: str = "evals/gold/contracts.jsonl",
    **metrics: Any,
) -> dict[str, Any]:
    values = {
        "evidence_recall@5": 0.9,
        "mrr@5": 0.75,
        "answer_accuracy": None if retrieval_only else 0.7,
        "abstention_precision": None,
        "latency_ms_p50": 7000.0,
        **metrics,
    }
    return {
        **values,
        "metrics": dict(values),
        "breakdown": {"vendor": {}, "language": {}},
        "config": {
            "system": system,
            "k": 5,
            "retrieval_only": retrieval_only,
            "gold": gold,
            "corpus": "/work/main/data/contracts",
            "models": {"embeddings": "embeddinggemma-300m", "llm": None if retrieval_only else "qwen"},
            "git_commit": commit,
            "timestamp": timestamp,
            "sample": None,
            "redacted": False,
            "split": split,
        },
        "n_items": 111,
    }


def _run_dir(root: Path, name: str, summary: dict[str, Any]) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return d


def _record(history: Path, *runs: Path | str, change: str = "a change") -> int:
    return main(["record", *map(str, runs), "--change", change, "--history", str(history), "--cpu", CPU])


def test_record_appends_one_line_per_run_with_its_provenance(tmp_path: Path) -> None:
    history = tmp_path / "h" / "history.jsonl"
    a = _run_dir(tmp_path, "a", _summary())
    b = _run_dir(tmp_path, "b", _summary(split="dev", commit="fedcba9876543210-dirty"))
    assert _record(history, a, b, change="  engine: split second asks  ") == 0
    rows = load_history(history)
    assert [r["run"] for r in rows] == [str(a), str(b)]
    r = rows[0]
    assert r["change"] == "engine: split second asks"
    assert r["commit"] == "0123456789abcdef0123456789abcdef01234567"
    assert r["date"] == "2026-12-01T10:00:00+00:00" and r["recorded"]
    assert (r["gold"], r["split"], r["system"], r["mode"]) == (
        "evals/gold/contracts.jsonl",
        "test",
        "default",
        "full",
    )
    assert r["retrieval_only"] is False and r["sample"] is None and r["n_items"] == 111
    assert r["models"] == {"embeddings": "embeddinggemma-300m", "llm": "qwen"}
    assert r["cpu"] == CPU
    # only the metrics the summary defines; null ones are left out
    assert r["metrics"] == {
        "evidence_recall@5": 0.9,
        "mrr@5": 0.75,
        "answer_accuracy": 0.7,
        "latency_ms_p50": 7000.0,
    }
    assert rows[1]["split"] == "dev" and rows[1]["commit"] == "fedcba9876543210-dirty"
    # a second record appends, it does not rewrite
    assert _record(history, a, change="again") == 0
    assert [r["change"] for r in load_history(history)] == ["engine: split second asks"] * 2 + ["again"]


def test_a_run_that_replayed_model_calls_records_no_latency(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    replayed = _summary()
    replayed["config"]["llm_cache"] = {"path": "/x/calls.sqlite", "hits": 40, "misses": 3}
    fresh = _summary()
    fresh["config"]["llm_cache"] = {"path": "/x/calls.sqlite", "hits": 0, "misses": 43}
    assert _record(history, _run_dir(tmp_path, "r", replayed), _run_dir(tmp_path, "f", fresh)) == 0
    r, f = load_history(history)
    assert "latency_ms_p50" not in r["metrics"] and r["metrics"]["answer_accuracy"] == 0.7
    assert r["llm_cache"] == {"hits": 40, "misses": 3}
    assert f["metrics"]["latency_ms_p50"] == 7000.0 and "llm_cache" not in f


def test_record_without_cpu_names_this_machine(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    a = _run_dir(tmp_path, "a", _summary())
    assert main(["record", str(a), "--change", "x", "--history", str(history)]) == 0
    cpu = load_history(history)[0]["cpu"]
    assert cpu == machine_cpu() and " cores, " in cpu


def test_record_a_review_summary(tmp_path: Path) -> None:
    review = {
        "metrics": {"cell_accuracy": 0.7, "answer_accuracy": 0.75, "cells": 60, "citation_recall": None},
        "config": {
            "gold": "evals/gold/review.jsonl",
            "grid": "review cache",
            "lang": "fr",
            "model": {"llm": "q"},
        },
        "created": "2026-12-03T02:25:09+00:00",
    }
    history = tmp_path / "history.jsonl"
    assert _record(history, _run_dir(tmp_path, "r", review)) == 0
    (r,) = load_history(history)
    assert r["mode"] == "review" and r["lang"] == "fr" and r["commit"] is None
    assert r["date"] == "2026-12-03T02:25:09+00:00" and r["models"] == {"llm": "q"}
    assert r["metrics"] == {"cell_accuracy": 0.7, "answer_accuracy": 0.75, "cells": 60}


@pytest.mark.parametrize(
    "content",
    [None, "{not json", "[1, 2]", json.dumps({"config": {}, "metrics": {"mrr@5": None}})],
    ids=["missing", "not-json", "not-an-object", "no-metric"],
)
def test_record_refuses_a_bad_folder_and_writes_nothing(
    tmp_path: Path, content: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "history.jsonl"
    good = _run_dir(tmp_path, "good", _summary())
    assert _record(history, good) == 0
    before = history.read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    if content is not None:
        (bad / "summary.json").write_text(content, encoding="utf-8")
    capsys.readouterr()
    # the good folder given first is not recorded either: all or nothing
    assert _record(history, good, bad) == 2
    err = capsys.readouterr().err
    assert "error:" in err and str(bad) in err and "nothing recorded" in err
    assert history.read_bytes() == before


@pytest.mark.parametrize("change", ["", "   "])
def test_record_refuses_an_empty_change(
    tmp_path: Path, change: str, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text("", encoding="utf-8")
    assert _record(history, _run_dir(tmp_path, "a", _summary()), change=change) == 2
    assert "--change is empty" in capsys.readouterr().err
    assert history.read_text(encoding="utf-8") == ""


def test_record_requires_change(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["record", str(_run_dir(tmp_path, "a", _summary())), "--history", str(tmp_path / "h.jsonl")])
    assert exc.value.code == 2
    assert not (tmp_path / "h.jsonl").exists()


def _table_lines(out: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in out.splitlines()]


def test_history_table_oldest_first_with_deltas_per_kind_of_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "history.jsonl"
    runs = [
        # recorded out of date order: the table sorts by the runs' dates
        ("t2", _summary(timestamp="2026-12-02T10:00:00+00:00", commit="b" * 40, answer_accuracy=0.771), "v2"),
        ("t1", _summary(timestamp="2026-12-01T10:00:00+00:00", commit="a" * 40), "v1 | first"),
        (
            "d1",
            _summary(timestamp="2026-12-01T11:00:00+00:00", split="dev", answer_accuracy=0.5),
            "dev run",
        ),
        (
            "r1",
            _summary(timestamp="2026-12-01T12:00:00+00:00", split=None, retrieval_only=True, system="bm25"),
            "bm25",
        ),
        (
            "t3",
            _summary(
                timestamp="2026-12-03T10:00:00+00:00", commit="c" * 40 + "-dirty", latency_ms_p50=6500.0
            ),
            "v3",
        ),
    ]
    for name, summary, change in runs:
        assert _record(history, _run_dir(tmp_path, name, summary), change=change) == 0
    capsys.readouterr()

    assert main(["history", "--history", str(history)]) == 0
    lines = _table_lines(capsys.readouterr().out)
    assert lines[0] == [
        "date",
        "commit",
        "change",
        "gold",
        "split",
        "system",
        "mode",
        "evidence_recall@5",
        "mrr@5",
        "answer_accuracy",
        "latency_ms_p50",
    ]
    body = lines[2:]
    assert [r[2] for r in body] == ["v1 \\| first", "dev run", "bm25", "v2", "v3"]
    v1, dev, bm25, v2, v3 = body
    assert v1[:7] == [
        "2026-12-01 10:00",
        "aaaaaaa",
        "v1 \\| first",
        "contracts.jsonl",
        "test",
        "default",
        "full",
    ]
    assert v1[7:] == ["0.900", "0.750", "0.700", "7000 ms"]  # first of its kind: no delta
    assert dev[4] == "dev" and dev[9] == "0.500"  # a dev run is not compared with the test runs
    assert bm25[4:7] == ["–", "bm25", "retrieval"] and bm25[9] == "–"
    assert v2[1] == "bbbbbbb" and v2[7:] == [
        "0.900 (+0.000)",
        "0.750 (+0.000)",
        "0.771 (+0.071)",
        "7000 ms (+0 ms)",
    ]
    assert v3[1] == "ccccccc-dirty" and v3[9:] == ["0.700 (-0.071)", "6500 ms (-500 ms)"]


def test_history_filters_and_metric_choice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = tmp_path / "history.jsonl"
    a = _run_dir(tmp_path, "a", _summary(timestamp="2026-12-01T10:00:00+00:00", citation_precision=0.6))
    b = _run_dir(tmp_path, "b", _summary(timestamp="2026-12-02T10:00:00+00:00", citation_precision=0.65))
    d = _run_dir(tmp_path, "d", _summary(split="dev"))
    p = _run_dir(tmp_path, "p", _summary(gold="../shared/benchmarks/policyqa-dev/gold.jsonl", split=None))
    assert _record(history, a, b, d, p) == 0
    capsys.readouterr()

    assert (
        main(["history", "--history", str(history), "--split", "test", "--metric", "citation_precision"]) == 0
    )
    lines = _table_lines(capsys.readouterr().out)
    assert lines[0][-1] == "citation_precision" and len(lines[0]) == 8
    assert [r[-1] for r in lines[2:]] == ["0.600", "0.650 (+0.050)"]

    # --metric repeatable; a column no shown row defines is dropped
    argv = ["history", "--history", str(history), "--gold", "policyqa", "--metric", "mrr@5"]
    assert main([*argv, "--metric", "citation_precision", "abstention_precision"]) == 0
    lines = _table_lines(capsys.readouterr().out)
    assert lines[0][3:] == ["gold", "split", "system", "mode", "mrr@5"]
    assert len(lines) == 3 and lines[2][3] == "policyqa-dev/gold.jsonl"

    assert main(["history", "--history", str(history), "--split", "none", "--gold", "contracts"]) == 0
    captured = capsys.readouterr()
    assert len(_table_lines(captured.out)) == 2 and "no recorded run matches" in captured.err


def test_history_same_gold_given_two_ways_is_one_kind() -> None:
    base = {"split": None, "system": "bm25", "mode": "retrieval", "sample": 60}
    rows = [
        {**base, "date": "2026-11-22T06:47:11+00:00", "gold": str(PROJECT_ROOT.parent / "shared/b/gold.jsonl"),
         "metrics": {"mrr@5": 0.5}},
        {**base, "date": "2026-11-22T07:00:00+00:00", "gold": "../shared/b/gold.jsonl", "metrics": {"mrr@5": 0.6}},
        {**base, "date": "2026-11-22T08:00:00+00:00", "gold": "../shared/b/gold.jsonl", "sample": None,
         "metrics": {"mrr@5": 0.4}},
    ]  # fmt: skip
    out = render_history(rows, ["mrr@5"])
    cells = [line.split(" | ")[-1].rstrip(" |") for line in out.splitlines()[2:]]
    assert cells[:2] == ["0.500", "0.600 (+0.100)"]
    assert cells[2] == "0.400"  # the full set is not compared with a 60-item sample


def test_history_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--history", str(tmp_path / "absent.jsonl")]) == 2
    assert "cannot read the history" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"date": "2026-12-01"}\nnot json\n', encoding="utf-8")
    assert main(["history", "--history", str(bad)]) == 2
    assert f"{bad}:2" in capsys.readouterr().err


def test_committed_history_reads() -> None:
    rows = load_history()
    assert rows and all(r["change"] and r["metrics"] and r["cpu"] for r in rows)
    assert render_history(rows).count("\n") == len(rows) + 2
