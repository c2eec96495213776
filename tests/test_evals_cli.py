"""`python -m evals` on a tiny two-vendor fixture corpus with the hashing embedder: retrieval-only and
full runs, thresholds, compare, report files and HTML escaping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.settings import Settings, load_settings
from evals.cli import check_thresholds, default_out_dir, main, parse_thresholds
from evals.compare import flips, render_compare, render_table
from evals.dataset import GoldError, apply_filters, load_gold, parse_filters, parse_gold
from evals.metrics import metric_names
from evals.report import load_run, render_html, write_run

FIX = Path(__file__).parent / "fixtures" / "evals"
GOLD = FIX / "gold.jsonl"
CORPUS = FIX / "corpus"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        env={},
        corpus_dir=str(CORPUS),
        store_dir=str(tmp_path / "store"),
        **{"embedding.kind": "hashing", "llm.provider": "fake"},
    )


def _run(settings: Settings, out: Path, *extra: str) -> int:
    return main(
        ["run", "--gold", str(GOLD), "--corpus", str(CORPUS), "--out", str(out), "--no-progress", *extra],
        settings=settings,
    )


def test_retrieval_only_run_writes_the_four_files(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert _run(settings, out, "--retrieval-only", "--system", "bm25") == 0
    assert {p.name for p in out.iterdir()} >= {"summary.json", "results.jsonl", "report.md", "report.html"}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for name in metric_names(5):
        assert name in summary and name in summary["metrics"]
    cfg = summary["config"]
    assert cfg["system"] == "bm25" and cfg["k"] == 5 and cfg["retrieval_only"] is True
    assert cfg["corpus_documents"] == 3 and summary["n_items"] == 6
    assert cfg["models"]["embeddings"] is None and cfg["git_commit"] and cfg["timestamp"]  # bm25: no dense
    assert "fusion" not in cfg  # a baseline has no fusion
    # BM25 finds every evidence passage of this tiny corpus in its top 5.
    assert summary["evidence_recall@5"] == 1.0
    assert summary["answer_accuracy"] is None
    assert set(summary["breakdown"]["vendor"]) == {"acme-cloud", "dupont-logiciels"}
    assert set(summary["breakdown"]["language"]) == {"en", "fr"}
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [it["id"] for it in load_gold(GOLD)]
    for r in rows:
        assert r["ask"]["question"] and isinstance(r["ask"]["retrieved"], list)
        assert {"start", "end", "document"} <= set(r["ask"]["retrieved"][0])
        assert "evidence_recall@5" in r["scores"]
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| `evidence_recall@5` | 1.000 |" in md and "## By vendor" in md and "## By language" in md
    assert "evidence_recall@5" in capsys.readouterr().out


def test_min_threshold_fails_with_clear_message(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = _run(
        settings, tmp_path / "ok", "--retrieval-only", "--system", "bm25", "--min", "evidence_recall@5=0.9"
    )
    assert rc == 0
    rc = _run(
        settings,
        tmp_path / "bad",
        "--retrieval-only",
        "--system",
        "bm25",
        "--k",
        "1",
        "--min",
        "evidence_char_precision@1=0.99",
        "--min",
        "evidence_recall@1=0.0",
    )
    assert rc == 1
    err = capsys.readouterr().err
    assert "THRESHOLD FAILED: evidence_char_precision@1" in err and "under the required minimum 0.99" in err
    assert err.count("THRESHOLD FAILED") == 1  # evidence_recall@1 >= 0 holds
    # A metric name that does not exist is a usage error (exit 2) before anything runs.
    assert _run(settings, tmp_path / "x", "--retrieval-only", "--min", "recall=0.5") == 2
    assert "METRIC one of" in capsys.readouterr().err


def test_full_run_with_plain_rag_and_fake_llm(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "full"
    assert _run(settings, out, "--system", "plain-rag", "--filter", "lang=fr") == 0
    summary, rows = load_run(out)
    assert summary["n_items"] == 3 and all(r["lang"] == "fr" for r in rows)
    assert summary["answer_accuracy"] is not None and summary["abstention_recall"] is not None
    assert summary["config"]["prompt"] == "baseline_stuff.v1"
    for r in rows:
        assert "answer" in r["ask"] and "abstained" in r["ask"] and "citations" in r["ask"]


def test_redact_keeps_ids_scores_and_offsets_only(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "red"
    assert _run(settings, out, "--retrieval-only", "--system", "bm25", "--redact", "--limit", "2") == 0
    _, rows = load_run(out)
    assert len(rows) == 2
    raw = (out / "results.jsonl").read_text(encoding="utf-8") + (out / "report.md").read_text(
        encoding="utf-8"
    )
    assert "Acme Cloud notify" not in raw and "within 72 hours" not in raw
    assert rows[0]["ask"]["retrieved"][0]["start"] is not None and "scores" in rows[0]
    # The same, after the fact, on a run written with text.
    full = tmp_path / "full"
    assert _run(settings, full, "--retrieval-only", "--system", "bm25", "--limit", "2") == 0
    assert "Acme Cloud notify" in (full / "results.jsonl").read_text(encoding="utf-8")
    assert main(["redact", str(full)]) == 0
    for name in ("results.jsonl", "report.md", "report.html"):
        text = (full / name).read_text(encoding="utf-8")
        assert "Acme Cloud notify" not in text and "within 72 hours" not in text
    assert load_run(full)[0]["config"]["redacted"] is True


def test_compare_shows_deltas_and_flips(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert _run(settings, a, "--retrieval-only", "--system", "bm25") == 0
    assert _run(settings, b, "--retrieval-only", "--system", "bm25", "--k", "1") == 0
    assert main(["compare", str(a), str(a)]) == 0
    same = capsys.readouterr().out
    assert (
        "| `evidence_recall@5` | 1.000 | 1.000 | +0.000 |" in same
        and "## Regressed (pass in A, fail in B): 0" in same
    )
    assert main(["compare", str(a), str(b)]) == 0
    assert "mrr@1" in capsys.readouterr().out
    assert main(["compare", str(a), str(tmp_path / "missing")]) == 2


def test_flips_from_hand_made_runs(tmp_path: Path) -> None:
    def rows(passes: dict[str, bool | None]) -> list[dict]:
        return [
            {"id": i, "ask": {"question": f"question {i}"}, "scores": {"pass": p}} for i, p in passes.items()
        ]

    ra, rb = (
        rows({"x": True, "y": False, "z": None, "w": True}),
        rows({"x": False, "y": True, "z": True, "v": True}),
    )
    f = flips(ra, rb)
    assert f == {"regressed": ["x"], "fixed": ["y"], "only_in_a": ["w"], "only_in_b": ["v"]}
    sa = {"metrics": {"mrr@5": 0.5}, "config": {"k": 5}}
    sb = {"metrics": {"mrr@5": 0.75}, "config": {"k": 5}}
    text = render_compare(sa, ra, sb, rb)
    assert "| `mrr@5` | 0.500 | 0.750 | +0.250 |" in text
    assert "- `x` question x" in text.split("## Fixed")[0] and "- `y` question y" in text.split("## Fixed")[1]
    table = render_table([("a", sa), ("b", {**sb, "n_items": 4})])
    assert table.splitlines()[2].startswith("| a | ? | full |") and "| 0.750 |" in table.splitlines()[3]


def test_html_report_escapes_text_and_is_self_contained(tmp_path: Path) -> None:
    evil = '<script>alert("x")</script> & <b>'
    summary = {
        "metrics": {"evidence_recall@5": 0.0, "latency_ms_p50": 10.0},
        "config": {"k": 5, "system": evil},
        "n_items": 1,
        "breakdown": {"vendor": {evil: {"n": 1, "evidence_recall@5": 0.0}}},
    }
    row = {
        "id": evil,
        "ask": {
            "question": evil,
            "answer": evil,
            "abstained": False,
            "citations": [{"n": 1, "document": "d.txt", "quote": evil, "start": 0, "end": 3}],
        },
        "scores": {"pass": False, "latency_ms": 10.0, "evidence_recall@5": 0.0},
        "gold": {"evidence": [{"document": "d.txt", "quote": evil}], "answerable": True},
    }
    out = write_run(tmp_path / "r", summary, [row])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and html.count("&lt;script&gt;") >= 4
    assert "<svg" in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<link" not in html and "src=" not in html
    assert render_html(summary, [row]) == html


def test_gold_validation_and_filters() -> None:
    items = load_gold(GOLD)
    assert len(apply_filters(items, parse_filters(["vendor=acme-cloud"]))) == 3
    assert [i["id"] for i in apply_filters(items, parse_filters(["lang=fr", "answerable=false"]))] == [
        "dupont-insurance"
    ]
    assert len(apply_filters(items, {}, limit=2)) == 2
    sampled = apply_filters(items, {}, sample=3, seed=1)
    assert len(sampled) == 3 and sampled == apply_filters(items, {}, sample=3, seed=1)
    assert [i["id"] for i in sampled] == [i["id"] for i in items if i in sampled]  # file order kept
    with pytest.raises(GoldError, match="duplicate id"):
        parse_gold(['{"id": "a", "question": "q"}', '{"id": "a", "question": "r"}'])
    with pytest.raises(GoldError, match="quote"):
        parse_gold(['{"id": "a", "question": "q", "evidence": [{"document": "d"}]}'])
    with pytest.raises(GoldError):
        parse_filters(["colour=red"])


def test_default_out_dir_names_timestamp_system_and_gold() -> None:
    d = default_out_dir("bm25", "evals/gold/contracts.jsonl")
    assert d.parent.name == "runs" and d.parent.parent.name == "evals"
    assert d.name.endswith("-bm25-contracts") and d.name[:8].isdigit()


def test_threshold_parsing_and_checks() -> None:
    names = metric_names(5)
    assert parse_thresholds(["mrr@5=0.5"], names) == {"mrr@5": 0.5}
    with pytest.raises(ValueError, match="not a number"):
        parse_thresholds(["mrr@5=high"], names)
    problems = check_thresholds(
        {"mrr@5": 0.4, "answer_accuracy": None, "latency_ms_p95": 900.0},
        {"mrr@5": 0.5, "answer_accuracy": 0.1},
        {"latency_ms_p95": 500},
    )
    assert len(problems) == 3 and "undefined" in problems[1] and "over the allowed maximum" in problems[2]
    assert check_thresholds({"mrr@5": 0.6}, {"mrr@5": 0.5}) == []


def test_default_system_retrieval_and_full_runs(settings: Settings, tmp_path: Path) -> None:
    assert _run(settings, tmp_path / "r", "--retrieval-only") == 0
    summary, rows = load_run(tmp_path / "r")
    assert summary["config"]["system"] == "default" and summary["evidence_recall@5"] is not None
    # the fusion in force is recorded: the hand-set default (retrieval.fusion: hand-set)
    assert summary["config"]["fusion"] == {
        "weights": {"dense": 1.0, "bm25": 1.0, "bm25_glossary": 0.7},
        "rrf_k": 60,
        "fitted_for": None,
    }
    assert all("answer" not in r["ask"] and r["ask"]["retrieved"] for r in rows)
    assert _run(settings, tmp_path / "f", "--min", "quote_verbatim=1.0") == 0
    summary, rows = load_run(tmp_path / "f")
    assert summary["quote_verbatim"] == 1.0 and summary["config"]["prompt"]
    assert summary["answer_accuracy"] is not None and summary["abstention_recall"] is not None
    assert all({"answer", "abstained", "citations", "retrieved", "model"} <= set(r["ask"]) for r in rows)


def test_extracts_scores_the_spans_the_model_would_see(settings: Settings, tmp_path: Path) -> None:
    """`--retrieval-only --extracts`: the retrieved list is the ranker's best k candidate sentences (spans
    inside clauses), the first k of those a full run ranked for the checker."""
    assert _run(settings, tmp_path / "c", "--retrieval-only") == 0
    assert _run(settings, tmp_path / "x", "--retrieval-only", "--extracts") == 0
    _, clauses = load_run(tmp_path / "c")
    summary, spans = load_run(tmp_path / "x")
    assert summary["config"]["extracts"] is True and summary["evidence_recall@5"] is not None
    assert _run(settings, tmp_path / "f") == 0
    _, full = load_run(tmp_path / "f")
    by_id = {r["id"]: r for r in full}
    for r in spans:
        got = [(h["document"], h["start"], h["end"]) for h in r["ask"]["retrieved"]]
        if by_id[r["id"]]["ask"].get("mode") not in ("refused",) and by_id[r["id"]]["ask"]["retrieved"]:
            want = [(h["document"], h["start"], h["end"]) for h in by_id[r["id"]]["ask"]["retrieved"]]
            assert got and got == want[: len(got)]
    longer = sum(h["end"] - h["start"] for r in clauses for h in r["ask"]["retrieved"][:5])
    assert sum(h["end"] - h["start"] for r in spans for h in r["ask"]["retrieved"][:5]) < longer
    assert _run(settings, tmp_path / "bad", "--extracts") == 2


def _gold_with_splits(tmp_path: Path) -> Path:
    """The fixture gold set with a split on every item (assigned as evals/gold/fill_offsets.py does)."""
    from evals.dataset import assign_splits

    items = load_gold(GOLD)
    assign_splits(items)
    path = tmp_path / "gold-split.jsonl"
    path.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items), encoding="utf-8")
    return path


def test_split_selects_items_and_both_writes_each_split_from_one_pass(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = _gold_with_splits(tmp_path)
    ids = {s: [it["id"] for it in load_gold(gold) if it["split"] == s] for s in ("dev", "test")}
    assert ids["dev"] and ids["test"]

    def run(out: Path, *extra: str) -> int:
        return main(
            [
                "run",
                "--gold",
                str(gold),
                "--corpus",
                str(CORPUS),
                "--out",
                str(out),
                "--no-progress",
                "--retrieval-only",
                "--system",
                "bm25",
                *extra,
            ],
            settings=settings,
        )

    assert run(tmp_path / "dev", "--split", "dev") == 0
    dev, dev_rows = load_run(tmp_path / "dev")
    assert (
        dev["split"] == "dev"
        and dev["config"]["split"] == "dev"
        and [r["id"] for r in dev_rows] == ids["dev"]
    )
    assert run(tmp_path / "all") == 0
    assert load_run(tmp_path / "all")[0]["split"] is None  # no --split: every item, no split recorded

    assert run(tmp_path / "both", "--split", "both") == 0
    assert "dev" in capsys.readouterr().out
    whole, whole_rows = load_run(tmp_path / "both")
    assert whole["split"] == "both" and len(whole_rows) == whole["n_items"] == len(ids["dev"]) + len(
        ids["test"]
    )
    for split in ("dev", "test"):
        summary, rows = load_run(tmp_path / "both" / split)
        assert summary["split"] == split and summary["n_items"] == len(ids[split])
        assert [r["id"] for r in rows] == ids[split]
        assert set(summary["breakdown"]["language"]) == {r["lang"] for r in rows}
    # The dev part of the one pass scores what a --split dev run scores (latencies aside).
    both_dev = load_run(tmp_path / "both" / "dev")[0]
    for name in metric_names(5):
        if not name.startswith("latency"):
            assert both_dev[name] == dev[name], name

    # A threshold with --split both holds on each split.
    assert run(tmp_path / "strict", "--split", "both", "--min", "evidence_char_precision@5=0.99") == 1
    err = capsys.readouterr().err
    assert "[dev] evidence_char_precision@5" in err and "[test] evidence_char_precision@5" in err


def test_split_on_a_gold_file_without_splits_is_a_usage_error(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(settings, tmp_path / "x", "--retrieval-only", "--system", "bm25", "--split", "test") == 2
    assert "no 'split'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
