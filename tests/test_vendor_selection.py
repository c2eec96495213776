"""Selection questions ("Which vendors host their service on Microsoft Azure?"): which questions are
selections, each vendor's row settled by two readings of its sentence (a figure the condition names must be
stated), the answer naming the vendors that meet the condition first, and the eval's selection scores."""

from __future__ import annotations

from typing import Any

import pytest
from assistant_fakes import FakeChecker, build_store

from assistant import Assistant
from assistant.figures.asked import states_asked_figures
from assistant.query import is_vendor_selection, is_which_vendors
from assistant.rows import Row, render
from assistant.verdict import YES_AT, selection_question, settle_selection
from evals.metrics import score_item, selected_vendors, selection_scores

SELECTIONS = [
    "Which vendors host their service on Microsoft Azure?",
    "Which vendors notify breaches within 72 hours or less?",
    "What providers cap their liability?",
    "Which of the vendors name a data protection officer?",
    "Do any of the suppliers allow audits?",
    "Which vendor charges for audits?",
    "Quels fournisseurs s'appuient sur Amazon Web Services (AWS) pour héberger les données ?",
    "Quels sont les prestataires qui plafonnent leur responsabilité ?",
    "Lesquels des éditeurs notifient en moins de 48 heures ?",
    "QUELLES SOCIÉTÉS ont un délégué à la protection des données ?",
]
NOT_SELECTIONS = [  # a ranking, a second open ask, or no question about the vendors as a set
    "Which vendor has the longest notice period?",
    "Quels fournisseurs ont le plafond le plus bas ?",
    "Which vendors allow transfers outside the EU, and under what safeguards?",
    "Quels fournisseurs doivent notifier une violation, et dans quel délai ?",
    "Quels sous-traitants les fournisseurs utilisent-ils ?",
    "Which courts have jurisdiction over disputes with Humanlinker and LEO Bizdev?",
    "Compare the liability caps.",
    "How fast must Humanlinker notify a breach?",
]


@pytest.mark.parametrize("question", SELECTIONS)
def test_selections(question: str) -> None:
    assert is_vendor_selection(question)


@pytest.mark.parametrize("question", NOT_SELECTIONS)
def test_not_selections(question: str) -> None:
    assert not is_vendor_selection(question)


def test_a_which_vendors_question_with_a_second_ask_still_fans_out() -> None:
    q = "Which vendors allow transfers outside the EU, and under what safeguards?"
    assert is_which_vendors(q) and not is_vendor_selection(q)


@pytest.mark.parametrize(
    "question,sentence,met",
    [
        (
            "Which vendors notify a breach within 48 hours?",
            "It notifies the customer without undue delay.",
            False,
        ),
        ("Which vendors notify a breach within 48 hours?", "It notifies the customer within 24 hours.", True),
        (
            "Quels fournisseurs notifient sous quarante-huit heures ?",
            "Notification sous 2 jours ouvrés.",
            True,
        ),
        ("Which vendors guarantee 99.9% uptime?", "Availability: 99,95 % per month.", True),
        ("Which vendors guarantee 99.9% uptime?", "We aim for high availability.", False),
        (
            "Which vendors are ISO 27001 certified?",
            "Le Prestataire est certifié ISO.",
            True,
        ),  # a name, not a measure
        ("Which vendors host data in the EU?", "Data are hosted in France.", True),  # no figure asked
    ],
)
def test_a_condition_with_a_measure_needs_a_sentence_stating_one(
    question: str, sentence: str, met: bool
) -> None:
    assert states_asked_figures(question, sentence) is met


def test_the_model_reads_the_question_kept_whole_with_the_vendor() -> None:
    assert (
        selection_question("Which vendors host data in the EU ?", "Acme", "en")
        == "Which vendors host data in the EU? Is Acme one of them?"
    )
    assert (
        selection_question("Quels fournisseurs hébergent en France ?", "Acme", "fr")
        == "Quels fournisseurs hébergent en France ? Acme en fait-il partie ?"
    )


@pytest.mark.parametrize(
    "sentence,p,verdict",
    [
        ("Acme notifies the customer within 24 hours.", 0.9, "yes"),  # both readings say yes
        ("Acme notifies the customer within 24 hours.", 0.5, None),  # the model is unsure
        ("Acme notifies the customer without undue delay.", 0.9, None),  # states no length of time
        ("Acme does not notify breaches within any set number of hours.", 0.1, "no"),  # both say no
        ("Acme does not notify breaches within any set number of hours.", 0.9, None),  # they disagree
    ],
)
def test_a_row_is_settled_when_both_readings_agree(sentence: str, p: float, verdict: str | None) -> None:
    checker = FakeChecker(default=p)
    q = "Which vendors notify a breach within 48 hours?"
    settled = settle_selection(checker, q, "Acme", sentence, "en")
    assert settled.verdict == verdict
    assert checker.calls == [(f"{q.rstrip('?')}? Is Acme one of them?", sentence)]


def test_without_a_model_the_negation_reading_settles_alone() -> None:
    q = "Which vendors notify a breach within 48 hours?"
    assert settle_selection(None, q, "Acme", "Acme notifies within 24 hours.", "en").verdict == "yes"
    assert settle_selection(None, q, "Acme", "Acme notifies without undue delay.", "en").verdict is None


def _row(text: str, verdict: str | None, abstained: bool = False) -> Row:
    return Row(text, None, None if abstained else 0.8, abstained, verdict)


def test_a_selection_names_the_vendors_that_meet_it_first_then_orders_rows_by_verdict() -> None:
    names = {"a": "Alpha", "b": "Beta", "c": "Gamma", "d": "Delta", "e": "Epsilon"}
    rows = {
        "a": _row("Not settled, read the clause: «…»", "unsettled"),
        "b": _row("Yes. «…»", "yes"),
        "c": _row("not specified in its documents.", None, abstained=True),
        "d": _row("No. «…»", "no"),
        "e": _row("Yes. «…»", "yes"),
    }
    missing = _row("not specified in its documents.", None, abstained=True)
    text, _, out = render(list(names), rows, names, missing, "en", selection=True)
    lines = text.splitlines()
    assert lines[0] == "By their documents: Beta and Epsilon."
    assert [r.vendor for r in out] == ["b", "e", "d", "a", "c"]
    assert [r.verdict for r in out] == ["yes", "yes", "no", "unsettled", None]
    fr, _, _ = render(["a", "d"], rows, names, missing, "fr", selection=True)
    assert fr.splitlines()[0].startswith("Aucun document des fournisseurs ne le dit")
    plain, _, plain_out = render(list(names), rows, names, missing, "en")
    assert [r.vendor for r in plain_out] == list(names) and not plain.startswith("By their documents")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    return build_store(tmp_path_factory.mktemp("store"))


def test_a_selection_through_the_engine(built) -> None:
    """Each row is checked as before, then settled: LEO Bizdev's 48-hour sentence meets the condition by
    both readings; Humanlinker's, which the model doubts, is quoted for the reader to judge; the rest are
    silent. The answer opens with the vendor that meets it."""
    settings, store, emb = built
    checker = FakeChecker([(r"quarante-huit|48 heures ouvrées", 0.9)], 0.05)
    judge = FakeChecker([(r"quarante-huit", 0.9), (r"48 heures ouvrées", 0.2)], 0.5)
    asst = Assistant(settings, store=store, embeddings=emb, llm=None, checker=checker, verdict_checker=judge)
    ans = asst.answer("Which vendors notify a personal data breach within 48 hours?")
    assert ans.comparison is not None
    rows = {r.vendor: r for r in ans.comparison}
    assert rows["leo-bizdev"].verdict == "yes" and rows["leo-bizdev"].answer.startswith("Yes.")
    assert rows["humanlinker"].verdict == "unsettled"
    assert ans.answer.splitlines()[0] == "By their documents: LEO Bizdev."
    assert [r.vendor for r in ans.comparison][:2] == ["leo-bizdev", "humanlinker"]
    assert all(r.verdict is None for r in ans.comparison if r.abstained)
    assert any(q.endswith("Is LEO Bizdev one of them?") for q, _ in judge.calls)
    assert "two readings" in ans.explanation
    assert ans.to_json()["comparison"][0]["verdict"] == "yes"


def _ask(rows: list[dict[str, Any]], abstained: bool = False) -> dict[str, Any]:
    return {"abstained": abstained, "comparison": rows, "answer": "", "citations": []}


VERDICTS = {"a": "yes", "b": "yes", "c": "no", "d": "silent"}


@pytest.mark.parametrize(
    "rows,said,scores",
    [
        (  # settled rows: the "yes" ones
            [
                {"vendor": "a", "verdict": "yes"},
                {"vendor": "b", "verdict": "unsettled"},
                {"vendor": "c", "verdict": "yes"},
            ],
            {"a", "c"},
            (0.5, 0.5, 0.0),
        ),
        (  # rows without verdicts (an engine that does not settle them): every answered row
            [
                {"vendor": "a", "abstained": False},
                {"vendor": "b", "abstained": False},
                {"vendor": "d", "abstained": True},
            ],
            {"a", "b"},
            (1.0, 1.0, 1.0),
        ),
        ([{"vendor": "c", "verdict": "no"}], set(), (None, 0.0, 0.0)),  # names none: no precision
    ],
)
def test_selection_scores(rows: list[dict[str, Any]], said: set[str], scores: tuple) -> None:
    ask = _ask(rows)
    assert selected_vendors(ask) == said
    s = selection_scores(VERDICTS, ask)
    assert (s["selection_precision"], s["selection_recall"], s["selection_exact"]) == scores


def test_a_selection_with_no_vendor_to_name() -> None:
    none = {"a": "no", "b": "silent"}
    assert selection_scores(none, _ask([{"vendor": "a", "verdict": "no"}])) == {
        "selection_precision": 1.0,
        "selection_recall": 1.0,
        "selection_exact": 1.0,
    }
    s = selection_scores(none, _ask([{"vendor": "a", "verdict": "yes"}]))
    assert s["selection_precision"] == 0.0 and s["selection_recall"] is None


def test_a_selection_item_passes_only_when_the_vendors_named_are_exactly_right() -> None:
    gold = {
        "id": "sel-x",
        "kind": "selection",
        "question": "Which vendors host on Azure?",
        "answerable": True,
        "vendors": ["a"],
        "verdicts": {"a": "yes", "b": "no"},
        "must_include": [["Alpha"]],
        "must_not_include": [],
        "evidence": [],
    }
    listed_all = _ask([{"vendor": "a", "abstained": False}, {"vendor": "b", "abstained": False}])
    listed_all["answer"] = "Alpha: «…»\nBeta: «…»"
    assert (
        score_item(gold, listed_all, 5, lambda d: None)["pass"] is False
    )  # naming every vendor is not an answer
    settled = _ask([{"vendor": "a", "verdict": "yes"}, {"vendor": "b", "verdict": "unsettled"}])
    settled["answer"] = "By their documents: Alpha.\nAlpha: Yes. «…»\nBeta: Not settled, read the clause: «…»"
    assert score_item(gold, settled, 5, lambda d: None)["pass"] is True
    assert YES_AT > 0.5  # the settled "yes" above needs the model's reading past even odds
