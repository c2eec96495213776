"""The version-comparison gold set (evals/gold/diff.jsonl): its quotes are verbatim at their offsets in the
decoded text of both versions, kinds carry the right sides, ids are unique, splits valid, and the checker
(evals/gold/check_diff_gold.py, the same checks) catches a broken item. Needs ../shared (the real documents)."""

from __future__ import annotations

import copy
import runpy
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from core.settings import PROJECT_ROOT

GOLD = PROJECT_ROOT / "evals" / "gold" / "diff.jsonl"
VERSIONS = PROJECT_ROOT.parent / "shared" / "corpus-versions" / "basecamp"

pytestmark = pytest.mark.skipif(
    not VERSIONS.is_dir(), reason=f"the versioned documents ({VERSIONS}) are not on this machine"
)


@pytest.fixture(scope="module")
def checker() -> SimpleNamespace:
    """evals/gold/check_diff_gold.py's functions (evals/gold is a data folder, not a package)."""
    return SimpleNamespace(**runpy.run_path(str(GOLD.parent / "check_diff_gold.py")))


@pytest.fixture(scope="module")
def pairs(checker: SimpleNamespace) -> list[dict[str, Any]]:
    return checker.read_gold(GOLD)


@pytest.fixture(scope="module")
def read(checker: SimpleNamespace) -> Callable[[Path], str]:
    return checker.decoder()  # caches each decoded file for the module's tests


def test_gold_is_sound(
    checker: SimpleNamespace, pairs: list[dict[str, Any]], read: Callable[[Path], str]
) -> None:
    assert checker.check(pairs, read=read) == []


def test_pairs_cover_the_three_documents_and_kinds(pairs: list[dict[str, Any]]) -> None:
    assert len(pairs) >= 5
    docs = Counter(p["document"] for p in pairs)
    assert (
        docs["terms-of-service"] >= 2
        and docs["privacy-policy"] >= 2
        and docs["data-processing-addendum"] >= 1
    )
    kinds = Counter(c["kind"] for p in pairs for c in p["changes"])
    assert kinds["changed"] and kinds["added"] and kinds["removed"]
    # every "Last updated"/revision line is recorded, as a trivial change
    for p in pairs:
        dated = [c for c in p["changes"] if c.get("new", "").startswith(("Last updated", "(Revision"))]
        assert dated and all(c["trivial"] and c.get("figures") for c in dated), p["id"]


def test_checker_reports_broken_items(
    checker: SimpleNamespace, pairs: list[dict[str, Any]], read: Callable[[Path], str]
) -> None:
    pair = copy.deepcopy(next(p for p in pairs if p["new"].endswith(".md")))
    shifted = copy.deepcopy(pair)
    change = next(c for c in shifted["changes"] if c["kind"] == "changed")
    change["new_start"] += 1
    change["new_end"] += 1
    assert any("new quote is not at" in p for p in checker.check([shifted], read=read))

    wrong_side = copy.deepcopy(pair)
    added = next(c for c in wrong_side["changes"] if c["kind"] in ("added", "removed"))
    added["kind"] = "removed" if added["kind"] == "added" else "added"
    assert any("has no" in p for p in checker.check([wrong_side], read=read))

    problems = checker.check([pair, copy.deepcopy(pair)], read=read)
    assert any(p.startswith("duplicate id") for p in problems)
    assert any("no PDF pair in the test split" in p for p in problems)


def test_checker_cli_exits_non_zero_on_a_bad_file(checker: SimpleNamespace, tmp_path: Path) -> None:
    bad = tmp_path / "diff.jsonl"
    bad.write_text('{"id": "x", "split": "train", "changes": []}\n', encoding="utf-8")
    assert checker.main(["--gold", str(bad)]) == 1
