"""Leave-one-vendor-out (`python -m evals lovo`): fold assignment, that no fold's fit sees its held-out
vendor's items, pooled metrics equal to the per-item scores, ECE, and the command end to end on the sample
corpus with the hashing embedder (retrieval-only; the full mode with the fake LLM on two items)."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from evals.dataset import GoldError
from evals.lovo import (
    LovoResult,
    fold_vendors,
    held_out_items,
    item_fold,
    load_golds,
    run_lovo,
    training_items,
)
from evals.lovo_checks import verdict
from evals.lovo_fit import ALL_VENDORS, Fitter
from evals.metrics import aggregate, expected_calibration_error, metric_names

LOVO = Path(__file__).parent / "fixtures" / "lovo"
GOLDS = [LOVO / "gold-a.jsonl", LOVO / "gold-b.jsonl"]


def item(i: str, vendors: Sequence[str], split: str = "dev", answerable: bool = True) -> dict[str, Any]:
    return {"id": i, "question": f"q {i}", "vendors": list(vendors), "split": split, "answerable": answerable}


ITEMS = [
    item("a1", ["a"]),
    item("a2", ["a"], "test"),
    item("b1", ["b"]),
    item("b2", ["b"], "test", answerable=False),
    item("c1", ["c"]),
    item("ab", ["a", "b"]),  # a comparison: cross-vendor
    item("bc", ["b", "c"], "test"),
    item("none", [], answerable=False),  # about no vendor in the corpus: cross-vendor
]


# ------------------------------------------------------------------ folds
def test_an_item_of_one_vendor_is_in_its_fold_and_the_others_are_cross_vendor() -> None:
    assert [item_fold(it) for it in ITEMS] == ["a", "a", "b", "b", "c", None, None, None]
    assert fold_vendors(ITEMS) == ["a", "b", "c"]
    assert [it["id"] for it in held_out_items(ITEMS, "b")] == ["b1", "b2"]
    assert [it["id"] for it in held_out_items(ITEMS, "b", ("test",))] == ["b2"]


def test_a_fold_fits_on_the_dev_items_that_do_not_name_its_vendor() -> None:
    # b's fold drops b's own item and the comparison naming b; keeps the item about no vendor
    assert [it["id"] for it in training_items(ITEMS, "b")] == ["a1", "c1", "none"]
    assert [it["id"] for it in training_items(ITEMS, "a")] == ["b1", "c1", "none"]
    assert [it["id"] for it in training_items(ITEMS, None)] == [
        "a1",
        "b1",
        "c1",
        "ab",
        "none",
    ]  # no test item


def test_several_gold_files_load_as_one_set_with_unique_ids(tmp_path: Path) -> None:
    items = load_golds(GOLDS)
    assert len(items) == sum(len(p.read_text(encoding="utf-8").splitlines()) for p in GOLDS)
    assert set(fold_vendors(items)) == {
        "aura-digital",
        "boost-my-mail",
        "humanlinker",
        "leo-bizdev",
        "unnamed-provider",
    }
    with pytest.raises(GoldError, match="also in"):
        load_golds([GOLDS[0], GOLDS[0]])
    bare = tmp_path / "bare.jsonl"
    bare.write_text(json.dumps({"id": "x", "question": "q?"}) + "\n", encoding="utf-8")
    with pytest.raises(GoldError, match="no 'split'"):
        load_golds([bare])


def test_verdicts() -> None:
    assert verdict([0.9], [0.7], [0.8], [0.6]) == "carries"
    assert (
        verdict([0.9], [0.5], [0.8], [0.6]) == "overfits"
    )  # wins on what it saw, loses on the vendor it did not
    assert verdict([0.8], [0.5], [0.8], [0.6]) == "loses"
    assert verdict([0.9], [0.6], [0.8], [0.6]) == "no gain"
    assert (
        verdict([0.5, 0.9], [0.5, 0.4], [0.5, 0.8], [0.5, 0.5]) == "overfits"
    )  # the second metric breaks ties


# ------------------------------------------------------------------ ECE
def conf_row(c: float | None, right: bool, answerable: bool = True) -> dict[str, Any]:
    return {"ask": {"confidence": c}, "scores": {"answerable": answerable, "citations_hit": int(right)}}


def test_ece_weights_each_bin_s_gap_by_its_share_of_the_rows() -> None:
    rows = [
        conf_row(0.9, True),
        conf_row(0.9, False),  # bin 0.9-1.0: mean 0.9, observed 0.5 -> gap 0.4, 2 rows of 4
        conf_row(0.1, False),  # bin 0.1-0.2: gap 0.1
        conf_row(0.3, True),  # bin 0.3-0.4: gap 0.7
        conf_row(None, True),  # no confidence: not counted
    ]
    assert expected_calibration_error(rows) == pytest.approx((2 * 0.4 + 0.1 + 0.7) / 4)
    # an unanswerable item is never right, whatever it cites; confidence 1.0 falls in the last bin
    assert expected_calibration_error([conf_row(1.0, True, answerable=False)]) == pytest.approx(1.0)
    assert expected_calibration_error([conf_row(0.25, True)] + [conf_row(0.25, False)] * 3) == pytest.approx(
        0.0
    )
    assert expected_calibration_error([conf_row(None, True)]) is None
    # five bins: 0.1 and 0.3 share the 0.0-0.2 / 0.2-0.4 bins differently than with ten
    assert expected_calibration_error(rows[:4], bins=5) == pytest.approx((2 * 0.4 + 0.1 + 0.7) / 4)


# ------------------------------------------------------------------ folds on the sample corpus
def fit_run_rows(items: Sequence[Mapping[str, Any]], seed: int = 5) -> dict[str, dict[str, Any]]:
    """A full run's rows for these items, carrying the confidence signals (no restatement stated no answer,
    so no unworded cut is fitted): true answers at a higher P(yes) and rank score than false ones."""
    from assistant.confidence import CONFIDENCE_INPUTS

    rng = random.Random(seed)
    out = {}
    for it in items:
        if len(it.get("vendors") or []) > 1:
            continue
        answerable = bool(it.get("answerable", True))
        hit = answerable and rng.random() < 0.7
        signals = {name: round(rng.random(), 4) for name in CONFIDENCE_INPUTS[1:]}
        signals.update(
            p_yes=round(min(1.0, max(0.0, rng.gauss(0.7 if hit else 0.3, 0.2))), 4),
            rank_score=round(rng.gauss(4.5 if hit else 3.5, 0.8), 4),
            wording_no_answer=0.0,
        )
        out[str(it["id"])] = {
            "id": it["id"],
            "ask": {
                "question": it["question"],
                "confidence": signals["p_yes"],
                "citations": [{"document": "x/y.txt", "start": 0, "end": 5}],
                "signals": signals,
            },
            "scores": {"answerable": answerable, "citations_hit": int(hit)},
        }
    return out


class RecordingFitter(Fitter):
    """The real fits, recording the ids of the items each one is given (per fold, in call order)."""

    min_confidence_rows = 8  # the fixture's folds fit on 17-18 dev items: fewer rows than a real fit needs
    calls: list[tuple[str, set[str]]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = []

    def fit_fusion(self, items: Sequence[Mapping[str, Any]]) -> Any:
        self.calls.append(("fusion", {str(it["id"]) for it in items}))
        return super().fit_fusion(items)

    def fit_ranker(self, items: Sequence[Mapping[str, Any]], fusion: Any) -> Any:
        self.calls.append(("ranker", {str(it["id"]) for it in items}))
        return super().fit_ranker(items, fusion)

    def fit_confidence(self, items: Sequence[Mapping[str, Any]]) -> Any:
        self.calls.append(("confidence", {str(it["id"]) for it in items}))
        return super().fit_confidence(items)


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The sample corpus ingested once with the hashing embedder (settings for it, fake LLM)."""
    from assistant_fakes import build_store

    settings, _, _ = build_store(tmp_path_factory.mktemp("lovo") / "store")
    return settings


def small_grid() -> list[Any]:
    from assistant.fusion import Fusion

    return [
        Fusion.hand_set(60),
        Fusion({"dense": 1.0, "bm25": 0.0, "bm25_glossary": 0.15}, 20),
        Fusion({"dense": 1.0, "bm25": 0.35, "bm25_glossary": 0.0}, 60),
    ]


@pytest.fixture(scope="module")
def retrieval_run(sample_store: Settings) -> tuple[LovoResult, RecordingFitter, list[dict[str, Any]]]:
    items = load_golds(GOLDS)
    fitters: list[RecordingFitter] = []

    class Recorder(RecordingFitter):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            fitters.append(self)

    result = run_lovo(
        sample_store,
        items,
        retrieval_only=True,
        fit_rows=fit_run_rows(items),
        also_dev=True,
        points=small_grid(),
        progress=False,
        fitter_class=Recorder,
    )
    return result, fitters[0], items


def test_no_fold_fits_on_its_held_out_vendor_s_items(
    retrieval_run: tuple[LovoResult, RecordingFitter, list[dict[str, Any]]],
) -> None:
    result, fitter, items = retrieval_run
    by_id = {str(it["id"]): it for it in items}
    # the calls come in order: all vendors first, then one fold after another, each fitting all three
    names = [ALL_VENDORS, *fold_vendors(items)]
    assert [q for q, _ in fitter.calls] == ["fusion", "ranker", "confidence"] * len(names)
    for n, name in enumerate(names):
        for quantity, ids in fitter.calls[3 * n : 3 * n + 3]:
            assert ids and all(by_id[i]["split"] == "dev" for i in ids), (name, quantity)
            if name != ALL_VENDORS:
                assert not any(name in by_id[i]["vendors"] for i in ids), (name, quantity)
                assert ids == {str(it["id"]) for it in training_items(items, name)}
    # ...and so do the items each fit actually used (the fusion's answerable items with evidence, the
    # ranker's single-vendor ones, the confidence's rows with signals)
    for name, fit in result.fits.items():
        used = {*fit.fusion.item_ids, *fit.ranker.item_ids, *fit.confidence_ids}
        assert used <= set(fit.train_ids)
        if name != ALL_VENDORS:
            assert not any(name in by_id[i]["vendors"] for i in used)
            assert fit.confidence is not None and fit.confidence.n_items == len(fit.confidence_ids)
            # the engine the fold scores with holds the fold's confidence model and threshold
            assert fit.engine.abstain_below == fit.confidence.engine_values()["abstain_below"]


def test_every_held_out_item_is_scored_once_by_its_own_fold(
    retrieval_run: tuple[LovoResult, RecordingFitter, list[dict[str, Any]]],
) -> None:
    result, _, items = retrieval_run
    expected = [(str(it["id"]), item_fold(it), it["split"]) for it in items if item_fold(it) is not None]
    got = [(r["id"], r["fold"], r["split"]) for r in result.rows]
    assert sorted(got) == sorted(expected)  # both splits (also_dev), no cross-vendor item
    cross = {str(it["id"]) for it in items if item_fold(it) is None}
    assert result.cross_vendor["ids"] and set(result.cross_vendor["ids"]) == cross


def test_pooled_and_per_fold_metrics_are_the_per_item_scores(
    retrieval_run: tuple[LovoResult, RecordingFitter, list[dict[str, Any]]],
) -> None:
    result, _, _ = retrieval_run
    summary = result.summary()
    test_rows = [r for r in result.rows if r["split"] == "test"]
    assert summary["n_items"] == len(test_rows)
    assert {k: summary[k] for k in metric_names(5)} == aggregate([r["scores"] for r in test_rows], 5)
    top1 = [r["scores"]["ranker_top1"] for r in test_rows if r["scores"]["ranker_top1"] is not None]
    assert top1 and summary["ranker_top1"] == pytest.approx(sum(top1) / len(top1))
    for name, fold in summary["lovo"]["folds"].items():
        mine = [r["scores"] for r in test_rows if r["fold"] == name]
        assert fold["n_test"] == len(mine)
        assert fold["metrics"]["mrr@5"] == aggregate(mine, 5)["mrr@5"]
        dev = [r["scores"] for r in result.rows if r["fold"] == name and r["split"] == "dev"]
        assert fold["metrics_dev"]["evidence_recall@5"] == aggregate(dev, 5)["evidence_recall@5"]
    # each row's ranker scores come from the fold's own weights over the candidates of the fold's fusion
    for r in test_rows:
        s = r["scores"]
        if s["ranker_top1"] is not None:
            assert s["ranker_top1"] <= s["ranker_mrr"] <= s["ranker_recall@5"]


def test_seen_vs_unseen_checks_and_the_reliability_of_left_out_vendors(
    retrieval_run: tuple[LovoResult, RecordingFitter, list[dict[str, Any]]],
) -> None:
    result, _, items = retrieval_run
    summary = result.summary()
    lv = summary["lovo"]
    for name, fold in lv["folds"].items():
        assert set(fold["checks"]) == {"fusion", "ranker", "confidence"}
        conf = fold["checks"]["confidence"]
        own = [it for it in items if item_fold(it) == name]
        assert conf["n_unseen"] == len(own)  # the fit run's rows of every item of the held-out vendor
        assert conf["verdict"] in ("carries", "overfits", "loses", "no gain")
        assert fold["checks"]["fusion"]["n_seen"] == fold["fitted"]["fusion"]["n_items"]
    assert set(lv["pooled_checks"]) == {"fusion", "ranker", "confidence"}
    rel = lv["reliability"]
    assert rel["n"] == sum(1 for it in items if item_fold(it) is not None)
    assert len(rel["bins"]) == 10 and sum(b["n"] for b in rel["bins"]) == rel["n"]
    assert summary["ece"] == rel["ece"] is not None
    assert lv["all_vendors"]["fusion"]["n_items"] >= max(
        f["fitted"]["fusion"]["n_items"] for f in lv["folds"].values()
    )


# ------------------------------------------------------------------ the command
def test_lovo_command_writes_a_run_folder(
    sample_store: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evals.cli import main
    from evals.report import load_run

    items = load_golds(GOLDS)
    fit_run = tmp_path / "fit"
    fit_run.mkdir()
    (fit_run / "summary.json").write_text(
        json.dumps({"metrics": {"latency_ms_p50": 4000.0}}), encoding="utf-8"
    )
    (fit_run / "results.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in fit_run_rows(items).values()), encoding="utf-8"
    )
    out = tmp_path / "run"
    argv = ["lovo", *(a for g in GOLDS for a in ("--gold", str(g))), "--out", str(out), "--no-progress"]
    rc = main(
        [
            *argv,
            "--retrieval-only",
            "--fit-run",
            str(fit_run),
            "--vendor",
            "humanlinker",
            "--min",
            "evidence_recall@5=0",
        ],
        settings=sample_store,
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert "retrieval-only: 1 folds, 3 held-out items scored; no LLM" in printed
    assert "fusion: " in printed and f"wrote {out}" in printed
    summary, rows = load_run(out)
    assert {p.name for p in out.iterdir()} >= {"summary.json", "results.jsonl", "report.md", "report.html"}
    for name in [*metric_names(5), "ranker_top1", "ranker_mrr", "ranker_recall@5", "ece"]:
        assert name in summary and name in summary["metrics"]
    assert summary["config"]["system"] == "lovo" and summary["config"]["folds"] == ["humanlinker"]
    assert summary["config"]["golds"] == [str(g) for g in GOLDS] and summary["split"] == "test"
    lv = summary["lovo"]
    assert set(lv) >= {
        "fold_rule",
        "approximations",
        "folds",
        "all_vendors",
        "shipped",
        "pooled_checks",
        "cross_vendor",
        "reliability",
        "gates_not_fitted",
    }
    assert list(lv["folds"]) == ["humanlinker"]
    fold = lv["folds"]["humanlinker"]
    assert set(fold) >= {"n_test", "n_train", "metrics", "fitted", "checks"}
    assert set(fold["fitted"]) >= {"fusion", "ranker", "confidence"}
    assert fold["fitted"]["confidence"] is None  # 17 training rows: under the 20 a fit needs
    assert "accept_at" in lv["gates_not_fitted"] and "abstain_below" not in lv["gates_not_fitted"]
    assert rows and all(r["fold"] == "humanlinker" and r["split"] == "test" for r in rows)
    md = (out / "report.md").read_text(encoding="utf-8")
    for section in (
        "## What is approximated",
        "## Held-out figures",
        "## Fitted values per fold",
        "## Seen vs unseen",
        "## Reliability of the confidence on left-out vendors",
        "ECE",
    ):
        assert section in md
    # usage errors: full mode without a fit run, a vendor without items, a metric that does not exist
    assert main(argv + ["--out", str(tmp_path / "x")], settings=sample_store) == 2
    assert "--fit-run" in capsys.readouterr().err
    assert main([*argv, "--retrieval-only", "--vendor", "nobody"], settings=sample_store) == 2
    assert "no single-vendor item for nobody" in capsys.readouterr().err
    assert main([*argv, "--retrieval-only", "--min", "recall=1"], settings=sample_store) == 2


def full_mode_on_two_items(settings: Settings, **kw: Any) -> Any:
    """The full mode on two of LEO Bizdev's held-out items (the fake LLM)."""
    from evals.dataset import apply_filters

    items = load_golds(GOLDS)
    return run_lovo(
        settings,
        items,
        retrieval_only=False,
        vendors=["leo-bizdev"],
        fit_rows=fit_run_rows(items),
        select=lambda xs: apply_filters(xs, {}, limit=2),
        points=small_grid(),
        progress=False,
        fitter_class=RecordingFitter,
        **kw,
    )


def test_full_mode_answers_the_held_out_items_with_the_fold_s_engine(sample_store: Settings) -> None:
    result = full_mode_on_two_items(sample_store)
    assert [r["fold"] for r in result.rows] == ["leo-bizdev"] * 2
    for r in result.rows:
        assert "answer" in r["ask"] and r["ask"]["model"]["llm"] == "extractive-fake"
        assert "ranker_top1" in r["scores"] and "abstained" in r["scores"]
    summary = result.summary()
    assert (
        summary["config"]["models"]["llm"] == "extractive-fake"
        and summary["config"]["retrieval_only"] is False
    )
    assert summary["lovo"]["reliability"]["source"].startswith("the engine's answers")
    fit = result.fits["leo-bizdev"]
    assert fit.confidence is not None and fit.engine.confidence_weights == tuple(
        fit.confidence.engine_values()["confidence_weights"]
    )


def test_the_estimate_times_questions_by_the_fit_run_else_the_newest_full_run_of_the_history(
    tmp_path: Path,
) -> None:
    from evals.lovo import last_p50_s

    assert last_p50_s({"metrics": {"latency_ms_p50": 6000.0}}) == (6.0, "the fit run")
    history = tmp_path / "history.jsonl"
    lines = [
        {"run": "old", "mode": "full", "metrics": {"latency_ms_p50": 9000.0}},
        {"run": "new", "mode": "full", "metrics": {"latency_ms_p50": 5000.0}},
        {"run": "ret", "mode": "retrieval", "metrics": {"latency_ms_p50": 20.0}},
    ]
    history.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    assert last_p50_s(None, history) == (5.0, "the history's new")
    assert last_p50_s({"metrics": {}}, tmp_path / "absent.jsonl") is None


def test_full_mode_replays_the_model_calls_from_an_llm_cache(sample_store: Settings, tmp_path: Path) -> None:
    first, second = (full_mode_on_two_items(sample_store, llm_cache=tmp_path / "calls.sqlite") for _ in "ab")
    c1, c2 = first.summary()["config"]["llm_cache"], second.summary()["config"]["llm_cache"]
    assert c1["misses"] > 0 and c2["misses"] == 0 and c2["hits"] == c1["hits"] + c1["misses"]
    assert [r["ask"]["answer"] for r in first.rows] == [r["ask"]["answer"] for r in second.rows]
    assert all(r["ask"]["model"]["llm"] == "extractive-fake" for r in second.rows)


def _row(i: str, split: str, answer: str, fold: str | None = None, hit: int = 0) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": i,
        "split": split,
        "ask": {"answer": answer},
        "gold": {"split": split},
        "scores": {"answerable": True, "citations_hit": hit, "pass": bool(hit)},
    }
    if fold:
        row["fold"] = fold
    return row


def test_cross_fitted_rows_are_the_folds_dev_answers_and_the_dev_run_s_for_the_rest(tmp_path: Path) -> None:
    """`evals crossfit`: each dev row a leave-one-vendor-out run answered with the fold fitted without its
    vendor replaces the dev run's row; items no fold holds out keep the dev run's; test rows are not taken;
    metrics are recomputed over the merged rows; a run without dev rows is refused."""
    from evals.cli import main
    from evals.crossfit import cross_fitted_rows
    from evals.report import load_run, write_run

    dev = [
        _row("a-1", "dev", "in sample", hit=1),
        _row("b-1", "dev", "in sample", hit=1),
        _row("x-1", "dev", "x"),
    ]
    lovo = [
        _row("a-1", "dev", "held out", "a"),
        _row("b-1", "dev", "held out", "b", hit=1),
        _row("a-9", "test", "test row", "a"),
    ]
    rows, n = cross_fitted_rows(lovo, dev)
    assert n == 2 and [r["ask"]["answer"] for r in rows] == ["held out", "held out", "x"]
    write_run(tmp_path / "dev", {"config": {"k": 5, "split": "dev"}}, dev)
    (tmp_path / "lovo").mkdir()  # as `evals lovo` writes it: each row with its fold and split
    (tmp_path / "lovo" / "summary.json").write_text(json.dumps({"config": {"git_commit": "abc"}}))
    (tmp_path / "lovo" / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lovo))
    assert (
        main(["crossfit", str(tmp_path / "lovo"), str(tmp_path / "dev"), "--out", str(tmp_path / "x")]) == 0
    )
    summary, written = load_run(tmp_path / "x")
    assert [r["id"] for r in written] == ["a-1", "b-1", "x-1"]
    assert summary["config"]["cross_fitted"]["rows_cross_fitted"] == 2
    assert summary["config"]["cross_fitted"]["rows_from_dev_run"] == 1
    (tmp_path / "test-only").mkdir()
    (tmp_path / "test-only" / "summary.json").write_text("{}")
    (tmp_path / "test-only" / "results.jsonl").write_text(json.dumps(lovo[2]) + "\n")
    code = main(
        ["crossfit", str(tmp_path / "test-only"), str(tmp_path / "dev"), "--out", str(tmp_path / "y")]
    )
    assert code == 2 and not (tmp_path / "y").exists()
