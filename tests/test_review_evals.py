"""`python -m evals review`: scoring a grid against the gold grid (perfect grid, injected errors, the CLI)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from assistant_fakes import offline_settings

from core.settings import PROJECT_ROOT
from evals.cli import main
from evals.dataset import load_gold
from evals.review import DEFAULT_GOLD, corpus_text, score_grid

CORPUS = PROJECT_ROOT / "data" / "contracts"


def grid_from_gold(gold: list[dict[str, Any]]) -> dict[str, Any]:
    """A grid whose cells are the gold's own answers, citing the gold evidence (a perfect grid)."""
    rows: dict[str, dict[str, Any]] = {}
    for item in gold:
        vendor = item["vendors"][0]
        row = rows.setdefault(vendor, {"vendor": vendor, "vendor_name": vendor, "cells": {}})
        cites = [
            {
                "n": i + 1,
                "vendor": vendor,
                "vendor_name": vendor,
                "document": e["document"],
                "section": "",
                "quote": e["quote"],
                "start": e["start"],
                "end": e["end"],
            }
            for i, e in enumerate(item["evidence"])
        ]
        row["cells"][item["topic"]] = {
            "answer": item["reference_answer"] if item["answerable"] else f"{vendor}: not specified.",
            "abstained": not item["answerable"],
            "confidence": None,
            "citations": cites,
        }
    return {
        "topics": [{"key": k, "label": k} for k in dict.fromkeys(i["topic"] for i in gold)],
        "rows": list(rows.values()),
    }


@pytest.fixture(scope="module")
def gold() -> list[dict[str, Any]]:
    return load_gold(DEFAULT_GOLD)


def test_perfect_grid_scores_one(gold: list[dict[str, Any]]) -> None:
    rows, m = score_grid(gold, grid_from_gold(gold), corpus_text(CORPUS))
    assert len(rows) == len(gold) == 60
    for name in (
        "cell_accuracy",
        "cell_accuracy_all",
        "answer_accuracy",
        "citation_precision",
        "citation_recall",
        "quote_verbatim",
        "abstention_precision",
        "abstention_recall",
    ):
        assert m[name] == 1.0, name
    assert m["cells_missing"] == 0


def test_errors_are_counted(gold: list[dict[str, Any]]) -> None:
    grid = grid_from_gold(gold)
    cells = {(r["vendor"], k): c for r in grid["rows"] for k, c in r["cells"].items()}
    # a silent cell answered (false answer), an answerable cell marked silent (false silence), a wrong figure,
    # a misplaced quote, a missing cell
    cells[("unnamed-provider", "governing_law")].update(abstained=False, answer="French law.")
    cells[("humanlinker", "liability_cap")].update(abstained=True, answer="Not specified.")
    cells[("leo-bizdev", "breach_notification")]["answer"] = "Within 72 hours."
    bad = cells[("boost-my-mail", "price_change_notice")]["citations"][0]
    bad["quote"] = bad["quote"][1:]
    del next(r for r in grid["rows"] if r["vendor"] == "aura-digital")["cells"]["termination_notice"]
    rows, m = score_grid(gold, grid, corpus_text(CORPUS))
    n_ans = sum(i["answerable"] for i in gold)
    n_silent = len(gold) - n_ans
    assert m["cell_accuracy"] == pytest.approx((n_ans - 3) / n_ans)  # false silence, wrong figure, missing
    assert m["abstention_recall"] == pytest.approx((n_silent - 1) / n_silent)
    assert m["abstention_precision"] == pytest.approx(
        (n_silent - 1) / n_silent
    )  # 1 false silence among n_silent
    assert m["quote_verbatim"] < 1.0 and m["cells_missing"] == 1
    wrong = {r["id"] for r in rows if not r["scores"]["cell_correct"]}
    assert wrong == {
        "rg-up-governing_law",
        "rg-hl-liability_cap",
        "rg-leo-breach_notification",
        "rg-aura-termination_notice",
    }


def test_cli_scores_a_grid_file(
    gold: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid_file = tmp_path / "grid.json"
    grid_file.write_text(json.dumps(grid_from_gold(copy.deepcopy(gold))), encoding="utf-8")
    settings = offline_settings(CORPUS, tmp_path / "store")
    out = tmp_path / "run"
    assert (
        main(
            ["review", "--grid", str(grid_file), "--out", str(out), "--min", "cell_accuracy=0.9"],
            settings=settings,
        )
        == 0
    )
    assert "cell_accuracy" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["metrics"]["cell_accuracy"] == 1.0 and summary["config"]["grid"] == str(grid_file)
    assert len((out / "results.jsonl").read_text(encoding="utf-8").splitlines()) == 60
    assert "| cell_accuracy | 1.000 |" in (out / "report.md").read_text(encoding="utf-8")
    assert main(["review", "--grid", str(tmp_path / "absent.json")], settings=settings) == 2


def test_a_grid_built_for_the_gold_asks_the_model_through_the_llm_cache(tmp_path: Path) -> None:
    import shutil

    from evals.llm_cache import LLMCache
    from evals.review import build_for_gold
    from ingest.pipeline import run_ingest

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "boost-my-mail", corpus / "boost-my-mail")
    items = [i for i in load_gold(DEFAULT_GOLD) if i["vendors"] == ["boost-my-mail"]][:2]
    grids = []
    cache = LLMCache(tmp_path / "calls.sqlite")
    for store in ("a", "b"):  # two stores: two review caches, so the second grid computes its cells again
        settings = offline_settings(corpus, tmp_path / store)
        run_ingest(settings, progress=False)
        grids.append(build_for_gold(settings, items, "en", llm_cache=cache))
        if store == "a":
            first = dict(cache.stats())
    assert first["misses"] > 0 and first["hits"] == 0
    assert cache.stats()["hits"] == first["misses"] and cache.stats()["misses"] == first["misses"]
    answers = [[c["answer"] for c in r["cells"].values()] for g in grids for r in g["rows"]]
    assert answers[0] == answers[1] and len(answers[0]) == 2
