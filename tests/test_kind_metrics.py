"""Metrics of the answer kinds (gold `kind`: list, two_part, yes_no, table_cell) on hand-made answers, their
aggregates and breakdown, and `python -m evals run` over the gold sets that carry them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.scope import split_asks
from assistant.texts import t
from core.settings import PROJECT_ROOT, Settings, load_settings
from evals.cli import main
from evals.compare import metric_deltas
from evals.dataset import load_gold
from evals.metrics import (
    KIND_METRIC_NAMES,
    aggregate,
    gold_verdict,
    kind_scores,
    list_elements,
    list_scores,
    metric_names,
    score_item,
    shown_metrics,
    silent_asks,
    two_part_full,
    verdict,
)
from evals.report import load_run, render_markdown
from evals.runner import breakdowns

DOC = "v/terms.txt"
TEXT = (
    "Prohibited uses: unauthorised access, penetration tests, illicit content and API abuse.\n"
    "Délai de traitement\t2 h\t8 h\n"
    "Blocking anomalies are handled within two hours of the ticket.\n"
    "Personal data is not resold to third parties.\n"
)
FIX = Path(__file__).parent / "fixtures" / "evals"
COMPLETE = PROJECT_ROOT / "evals" / "gold" / "complete.jsonl"
BASECAMP = PROJECT_ROOT / "evals" / "gold" / "basecamp.jsonl"


def _texts(doc: str) -> str | None:
    return TEXT if doc == DOC else None


def _cite(quote: str, n: int = 1) -> dict[str, Any]:
    start = TEXT.index(quote)
    return {"n": n, "document": DOC, "quote": quote, "start": start, "end": start + len(quote)}


LIST_ITEMS = [
    ["accès non autorisé", "unauthorised access"],
    ["tests d'intrusion", "penetration test"],
    ["illicites", "illicit content"],
    ["abus des API", "API abuse"],
]


# ------------------------------------------------------------------ list
def test_list_elements_are_read_from_bullets_lines_or_a_comma_list() -> None:
    assert list_elements("The rights are:\n- access [1]\n- **erasure**\n2) portability\nThat is all.") == [
        "access",
        "erasure",
        "portability",
    ]
    # A sentence: the introduction up to ":" dropped, cut at commas, ";" and "and" / "et" outside brackets.
    assert list_elements(
        "Sont exclus : mauvaise utilisation, intégrations tierces et force majeure [1]."
    ) == [
        "mauvaise utilisation",
        "intégrations tierces",
        "force majeure",
    ]
    assert list_elements("AWS (cloud and storage), Braintree; and Sentry, at 99,9 % at 8:30.") == [
        "AWS (cloud and storage)",
        "Braintree",
        "Sentry",
        "at 99,9 % at 8:30",
    ]
    # The engine's "the documents do not say" lines are not elements.
    assert list_elements("A, B [1].\n" + t("en", "ask_silent", ask="what else?")) == ["A", "B"]
    assert list_elements("") == []


def test_list_recall_and_precision_right_partial_and_with_extra_items() -> None:
    right = list_scores(
        LIST_ITEMS, "Unauthorised access, penetration tests, illicit content and API abuse [1].", []
    )
    assert (right["list_item_recall"], right["list_item_precision"]) == (1.0, 1.0)
    partial = list_scores(LIST_ITEMS, "Unauthorised access and API abuse [1].", [])
    assert (partial["list_item_recall"], partial["list_item_precision"]) == (0.5, 1.0)
    extra = list_scores(
        LIST_ITEMS, "Unauthorised access, penetration tests, spam, reselling and API abuse [1].", []
    )
    assert extra["list_item_recall"] == 0.75 and extra["list_item_precision"] == pytest.approx(3 / 5)
    assert (extra["list_elements"], extra["list_elements_gold"]) == (5, 3)
    # Case, accents, apostrophes and whitespace do not matter; a cited quote counts for recall.
    folded = list_scores(LIST_ITEMS, "ACCES  NON\u00a0AUTORISE, tests d’intrusion", ["illicit content"])
    assert folded["list_item_recall"] == 0.75 and folded["list_item_precision"] == 1.0


def test_list_item_through_score_item_and_abstention() -> None:
    gold = {
        "id": "l",
        "kind": "list",
        "question": "q",
        "items": LIST_ITEMS,
        "must_include": LIST_ITEMS,
        "evidence": [{"document": DOC, "quote": TEXT.splitlines()[0]}],
    }
    quote = TEXT.splitlines()[0]
    ask = {"answer": f"“{quote}” [1]", "abstained": False, "mode": "extractive", "citations": [_cite(quote)]}
    s = score_item(gold, ask, 5, _texts)
    assert s["list_item_recall"] == 1.0 and s["list_item_precision"] == 1.0 and s["answer_accuracy"] == 1.0
    abstained = {
        "answer": "The documents do not specify this.",
        "abstained": True,
        "citations": [_cite(quote)],
    }
    s = score_item(gold, abstained, 5, _texts)
    assert s["list_item_recall"] == 0.0 and s["list_item_precision"] is None and s["list_items"] == 4
    assert score_item(gold, ask, 5, _texts, retrieval_only=True)["list_item_recall"] is None


# ------------------------------------------------------------------ two_part
PARTS = [
    {"ask": "consequences of late payment", "answerable": True, "must_include": [["suspen"]]},
    {"ask": "late-payment interest rate", "answerable": False, "must_include": []},
]
QUESTION = "What happens if I pay late, and what late-payment interest rate is charged?"


def _two(answer: str, codes: list[str] | None, **extra: Any) -> dict[str, Any]:
    ask: dict[str, Any] = {"answer": answer, "abstained": False, **extra}
    if codes is not None:
        ask["warning_codes"] = codes
    return ask


def test_two_part_full_needs_the_silent_half_declared() -> None:
    first, second = split_asks(QUESTION)
    said = "Late payment can lead to suspension of the Services [1]."
    declared = said + "\n" + t("en", "ask_silent", ask=second)
    assert two_part_full(PARTS, _two(declared, ["check", "ask_silent"]), QUESTION) == 1.0
    assert silent_asks(_two(declared, ["ask_silent"])) == ["what late-payment interest rate is charged?"]
    # Not declared: the answer gives the first half only.
    assert two_part_full(PARTS, _two(said, ["check"]), QUESTION) == 0.0
    # The code is what counts for the engine's answers: a line without the code is not a declaration.
    assert two_part_full(PARTS, _two(declared, ["check"]), QUESTION) == 0.0
    # Another system's answer (no codes) is read by the product's wording alone.
    assert two_part_full(PARTS, _two(declared, None), QUESTION) == 1.0
    # The wrong half declared silent, or the answered half's must_include unmet: 0.
    wrong = said + "\n" + t("en", "ask_silent", ask=first)
    assert two_part_full(PARTS, _two(wrong, ["ask_silent"]), QUESTION) == 0.0
    unmet = "Late payment has consequences [1].\n" + t("en", "ask_silent", ask=second)
    assert two_part_full(PARTS, _two(unmet, ["ask_silent"]), QUESTION) == 0.0
    assert two_part_full(PARTS, _two(declared, ["ask_silent"], abstained=True), QUESTION) == 0.0


def test_two_part_silence_line_does_not_meet_a_part_and_french_wording() -> None:
    parts = [
        {"ask": "préavis", "must_include": [["30 jours"]]},
        {"ask": "pénalité de retard", "answerable": False, "must_include": []},
    ]
    question = "Quel préavis faut-il respecter, et quelle pénalité de retard s'applique ?"
    _, second = split_asks(question)
    ok = "Un préavis de 30 jours [1].\n" + t("fr", "ask_silent", ask=second)
    assert two_part_full(parts, _two(ok, ["ask_silent"]), question) == 1.0
    # The code alone, without a line: the item's only silent half is the one declared.
    assert two_part_full(parts, _two("Un préavis de 30 jours [1].", ["ask_silent"]), question) == 1.0
    # A must_include group that only the echo of the question in the silence line holds is not met.
    echo = [{"ask": "préavis", "must_include": [["pénalité"]]}, parts[1]]
    assert two_part_full(echo, _two(ok, ["ask_silent"]), question) == 0.0
    # Both halves answerable and one declared silent: 0; both answered: 1.
    both = [parts[0], {"ask": "pénalité de retard", "must_include": [["10 %"]]}]
    assert two_part_full(both, _two(ok, ["ask_silent"]), question) == 0.0
    assert two_part_full(both, _two("Un préavis de 30 jours et 10 % [1].", []), question) == 1.0


# ------------------------------------------------------------------ yes_no
def test_verdicts_of_answers_and_gold() -> None:
    assert verdict("No. Data is not resold [1].") == "no" and verdict("**Oui**, par avenant") == "yes"
    assert verdict("Non : jamais") == "no" and verdict("None of the data is resold.") is None
    assert gold_verdict({"yes_no": "yes", "reference_answer": "No."}) == "yes"
    assert gold_verdict({"reference_answer": "Non : jamais."}) == "no"  # basecamp.jsonl states it only there
    assert gold_verdict({"reference_answer": "Not in general."}) is None


@pytest.mark.parametrize(
    ("ask", "verified", "right"),
    [
        ({"answer": "No. Personal data is not resold [1].", "mode": "generated"}, 1.0, 1.0),
        ({"answer": "Yes, it is resold [1].", "mode": "generated"}, 0.0, 0.0),
        (
            {"answer": "“**Personal data is not resold** to third parties.” [1]", "mode": "extractive"},
            0.0,
            0.0,
        ),
        ({"answer": "No, data is not resold [1]."}, 0.0, 1.0),  # another system: no mode, a verdict
        ({"answer": "The documents do not specify this.", "mode": "abstained", "abstained": True}, 0.0, 0.0),
    ],
)
def test_yes_no_verified_and_right(ask: dict[str, Any], verified: float, right: float) -> None:
    gold = {"id": "y", "kind": "yes_no", "yes_no": "no", "question": "Is the data sold?", "evidence": []}
    s = kind_scores(gold, {"abstained": False, "citations": [], **ask}, [])
    assert (s["yes_no_verified"], s["yes_no_right"]) == (verified, right)
    assert (
        kind_scores({**gold, "yes_no": None, "reference_answer": "Maybe."}, ask, [])["yes_no_right"] is None
    )


# ------------------------------------------------------------------ table_cell
def test_table_cell_cited_when_a_citation_overlaps_the_row() -> None:
    row, prose = TEXT.splitlines()[1], TEXT.splitlines()[2]
    gold = {
        "id": "c",
        "kind": "table_cell",
        "question": "How fast are blocking anomalies handled?",
        "row": "Délai de traitement",
        "column": "Anomalies bloquantes",
        "must_include": [["2 h", "two hours"]],
        "evidence": [{"document": DOC, "quote": row}, {"document": DOC, "quote": prose}],
    }

    def ask(quote: str, abstained: bool = False) -> dict[str, Any]:
        return {"answer": "Within 2 h [1].", "abstained": abstained, "citations": [_cite(quote)]}

    s = score_item(gold, ask(row[:22]), 5, _texts)
    assert s["table_cell_cited"] == 1.0 and s["answer_accuracy"] == 1.0
    assert score_item(gold, ask(prose), 5, _texts)["table_cell_cited"] == 0.0  # the prose, not the row
    assert score_item(gold, ask(row, abstained=True), 5, _texts)["table_cell_cited"] == 0.0


# ------------------------------------------------------------------ aggregates, breakdown, reports
def _row(kind: str | None, scores: dict[str, Any]) -> dict[str, Any]:
    gold = {
        "id": kind or "f",
        "question": "q",
        "lang": "en",
        "evidence": [],
        **({"kind": kind} if kind else {}),
    }
    return {"id": gold["id"], "vendors": ["v"], "lang": "en", "gold": gold, "scores": scores}


def test_aggregate_means_micro_averages_and_undefined_without_kinds() -> None:
    a = {**list_scores(LIST_ITEMS, "Unauthorised access, spam [1].", []), "latency_ms": 1.0}
    b = {**list_scores(LIST_ITEMS[:2], "Unauthorised access, penetration tests [1].", []), "latency_ms": 1.0}
    y = {"yes_no_verified": 0.0, "yes_no_right": 1.0, "latency_ms": 1.0}
    m = aggregate([a, b, y], 5)
    assert m["list_item_recall"] == pytest.approx((0.25 + 1.0) / 2)  # mean over list items
    assert m["list_item_recall_micro"] == pytest.approx(3 / 6)  # found items over all gold items
    assert m["list_item_precision"] == pytest.approx((0.5 + 1.0) / 2)
    assert m["list_item_precision_micro"] == pytest.approx(3 / 4)
    assert (m["yes_no_verified"], m["yes_no_right"]) == (0.0, 1.0)
    assert m["two_part_full"] is None and m["table_cell_cited"] is None
    names = metric_names(5)
    assert set(KIND_METRIC_NAMES) <= set(names) and names.index("latency_ms_p95") < names.index(
        "list_item_recall"
    )
    plain = aggregate([{"answer_accuracy": 1.0}], 5)
    assert all(plain[n] is None for n in KIND_METRIC_NAMES)
    assert not set(shown_metrics(5, plain)) & set(KIND_METRIC_NAMES)
    assert set(shown_metrics(5, plain, m)) & set(KIND_METRIC_NAMES) == {
        n for n in KIND_METRIC_NAMES if m[n] is not None
    }


def test_kind_breakdown_groups_rows_by_kind_and_only_when_the_gold_has_kinds() -> None:
    rows = [
        _row("yes_no", {"yes_no_verified": 1.0, "yes_no_right": 1.0}),
        _row("yes_no", {"yes_no_verified": 0.0, "yes_no_right": 1.0}),
        _row("two_part", {"two_part_full": 1.0}),
        _row(None, {"answer_accuracy": 1.0}),
    ]
    rows[3]["gold"]["answerable"] = False
    bd = breakdowns(rows, 5)
    assert {key: g["n"] for key, g in bd["kind"].items()} == {"two_part": 1, "unanswerable": 1, "yes_no": 2}
    assert bd["kind"]["yes_no"]["yes_no_verified"] == 0.5 and bd["kind"]["two_part"]["yes_no_right"] is None
    assert "kind" not in breakdowns(rows[3:], 5)
    summary = {"config": {"k": 5, "gold": "g.jsonl"}, "metrics": aggregate([r["scores"] for r in rows], 5)}
    md = render_markdown({**summary, "breakdown": bd}, rows)
    section = md.split("## By kind")[1]
    assert "| kind | n |" in section and "yes_no_verified" in section and "| yes_no | 2 |" in section
    assert "| `yes_no_right` | 1.000 |" in md and "list_item_recall" not in md


def test_compare_lists_the_kind_metrics_either_run_defines() -> None:
    a = {"config": {"k": 5}, "metrics": aggregate([{"yes_no_right": 1.0}], 5)}
    b = {"config": {"k": 5}, "metrics": aggregate([{"yes_no_right": 0.0}], 5)}
    names = [d[0] for d in metric_deltas(a, b)]
    assert "yes_no_right" in names and "list_item_recall" not in names and "mrr@5" in names
    assert dict((d[0], d[3]) for d in metric_deltas(a, b))["yes_no_right"] == -1.0


# ------------------------------------------------------------------ the gold sets
def test_reference_answers_find_every_list_item() -> None:
    """Each list item's own reference answer finds all its items (the scorer reads the gold's wording)."""
    for path in (COMPLETE, BASECAMP):
        for item in load_gold(path):
            if item.get("kind") == "list":
                s = list_scores(item["items"], item["reference_answer"], [])
                assert s["list_item_recall"] == 1.0, item["id"]
                assert s["list_item_precision"] is not None and s["list_item_precision"] > 0, item["id"]


def test_every_silent_half_scores_when_the_engine_declares_it() -> None:
    """Every two_part item with a silent half: its reference answer's first half plus the engine's silence
    line for the half the documents do not answer scores 1; declaring the other half scores 0."""
    for path in (COMPLETE, BASECAMP):
        for item in load_gold(path):
            parts = item.get("parts") or []
            silent = [i for i, p in enumerate(parts) if not p.get("answerable", True)]
            if item.get("kind") != "two_part" or not silent:
                continue
            asks = split_asks(item["question"])
            assert len(asks) == len(parts), item["id"]
            good = item["reference_answer"] + "\n" + t(item["lang"], "ask_silent", ask=asks[silent[0]])
            bad = item["reference_answer"] + "\n" + t(item["lang"], "ask_silent", ask=asks[1 - silent[0]])
            assert two_part_full(parts, _two(good, ["ask_silent"]), item["question"]) == 1.0, item["id"]
            assert two_part_full(parts, _two(bad, ["ask_silent"]), item["question"]) == 0.0, item["id"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        env={},
        corpus_dir=str(FIX / "corpus"),
        store_dir=str(tmp_path / "store"),
        **{"embedding.kind": "hashing", "llm.provider": "fake"},
    )


def test_retrieval_only_run_over_the_complete_set_writes_the_kind_breakdown(
    settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "complete"
    corpus = PROJECT_ROOT / "data" / "contracts"
    args = ["run", "--gold", str(COMPLETE), "--corpus", str(corpus), "--out", str(out), "--no-progress"]
    assert main([*args, "--retrieval-only", "--split", "both"], settings=settings) == 0
    summary, rows = load_run(out)
    assert summary["n_items"] == 82 and {r["kind"] for r in rows} == {
        "list",
        "table_cell",
        "two_part",
        "yes_no",
    }
    kinds = summary["breakdown"]["kind"]
    assert {key: g["n"] for key, g in kinds.items()} == {
        "list": 27,
        "table_cell": 13,
        "two_part": 21,
        "yes_no": 21,
    }
    assert all(g["evidence_recall@5"] is not None for g in kinds.values())
    assert all(summary[n] is None for n in KIND_METRIC_NAMES)  # retrieval only: no answer to score
    for split in ("dev", "test"):
        part, _ = load_run(out / split)
        assert sum(g["n"] for g in part["breakdown"]["kind"].values()) == part["n_items"]
    assert "## By kind" in (out / "report.md").read_text(encoding="utf-8")


def test_full_run_over_several_gold_files_scores_the_kinds(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kinds = tmp_path / "kinds.jsonl"
    items = [
        {
            "id": "acme-hosting-list",
            "kind": "list",
            "question": "In which countries is Acme Cloud's personal data hosted?",
            "lang": "en",
            "vendors": ["acme-cloud"],
            "items": [["Ireland"], ["Germany"]],
            "must_include": [["Ireland"], ["Germany"]],
            "evidence": [{"document": "acme-cloud/dpa.txt", "quote": "located in Ireland and Germany"}],
        },
        {
            "id": "acme-renewal-yn",
            "kind": "yes_no",
            "yes_no": "yes",
            "question": "Does the Acme Cloud agreement renew automatically?",
            "lang": "en",
            "vendors": ["acme-cloud"],
            "must_include": [["automatically"]],
            "evidence": [{"document": "acme-cloud/terms.txt", "quote": "renews automatically"}],
        },
        {
            "id": "acme-breach-two",
            "kind": "two_part",
            "question": "How quickly must Acme Cloud notify a breach, and what penalty applies to a late notice?",
            "lang": "en",
            "vendors": ["acme-cloud"],
            "must_include": [["72"]],
            "evidence": [
                {"document": "acme-cloud/dpa.txt", "quote": "within 72 hours after becoming aware of it"}
            ],
            "parts": [
                {"ask": "notice delay", "must_include": [["72"]], "evidence": []},
                {"ask": "penalty for a late notice", "answerable": False, "must_include": [], "evidence": []},
            ],
        },
    ]
    kinds.write_text("".join(json.dumps(it) + "\n" for it in items), encoding="utf-8")
    out = tmp_path / "both"
    base = ["run", "--corpus", str(FIX / "corpus"), "--no-progress"]
    assert (
        main([*base, "--gold", str(FIX / "gold.jsonl"), str(kinds), "--out", str(out)], settings=settings)
        == 0
    )
    printed = capsys.readouterr().out
    assert "yes_no_right" in printed and "table_cell_cited" not in printed  # undefined kind metrics unlisted
    summary, rows = load_run(out)
    assert summary["n_items"] == len(load_gold(FIX / "gold.jsonl")) + 3
    assert summary["config"]["gold_files"] == [str(FIX / "gold.jsonl"), str(kinds)]
    for name in ("list_item_precision_micro", "yes_no_verified", "yes_no_right", "two_part_full"):
        assert summary[name] is not None and 0.0 <= summary[name] <= 1.0, name
    assert summary["list_item_recall"] == 1.0  # the engine quotes "… located in Ireland and Germany."
    assert summary["table_cell_cited"] is None  # no table_cell item
    assert set(summary["breakdown"]["kind"]) >= {"list", "yes_no", "two_part", "(none)"}
    listed = next(r for r in rows if r["id"] == "acme-hosting-list")
    assert listed["scores"]["list_items"] == 2 and listed["kind"] == "list"
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "# Eval run: default on gold.jsonl + kinds.jsonl" in md and "`two_part_full`" in md
    # A --min on a kind metric is checked like any other; an id in two files is a usage error.
    rc = main(
        [*base, "--gold", str(kinds), "--out", str(tmp_path / "m"), "--min", "yes_no_right=1.01"],
        settings=settings,
    )
    assert rc == 1 and "THRESHOLD FAILED: yes_no_right" in capsys.readouterr().err
    assert (
        main([*base, "--gold", str(kinds), str(kinds), "--out", str(tmp_path / "d")], settings=settings) == 2
    )
    assert "is also in" in capsys.readouterr().err
