"""Comparison answers and "which vendors…" questions: one row per vendor, each found, checked and cited on
its own (a silent vendor says so in its row); follow-ups that inherit the previous turn's vendors or topic."""

from __future__ import annotations

import pytest
from assistant_fakes import FakeChecker, ScriptedChat, build_store

from assistant import Assistant
from assistant.events import Shown
from assistant.query import is_fan_out, is_which_vendors

CAP_HL = r"12 derniers mois"
CAP_BMM = r"redevance payée par le Client"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    return build_store(tmp_path_factory.mktemp("store"))


def make(
    built,
    replies: list[str] | None = None,
    rules: list[tuple[str, float]] | None = None,
    default: float = 0.05,
    **kw,
) -> tuple[Assistant, ScriptedChat, FakeChecker]:
    settings, store, emb = built
    llm = ScriptedChat(replies=list(replies or []))
    checker = FakeChecker(rules, default)
    return Assistant(settings, store=store, embeddings=emb, llm=llm, checker=checker, **kw), llm, checker


WHICH_VENDORS = [  # about the vendors as a set: fanned out, and answered from the review grid when cached
    "Which vendors host data outside the EU?",
    "What providers cap their liability?",
    "Which of the vendors name a data protection officer?",
    "Do any of the suppliers allow audits?",
    "Quels fournisseurs hébergent les données hors de l'UE ?",
    "Quels sont les prestataires qui plafonnent leur responsabilité ?",
    "Lesquels des éditeurs autorisent les audits ?",
    "Quelles sociétés ont un délégué à la protection des données ?",
    "QUELS ÉDITEURS notifient les violations ?",
]
OVER_ALL_VENDORS = [  # over several vendors without asking which: fanned out, compared row by row
    "Compare the liability caps.",
    "What do all the vendors say about audits?",
    "Comparer les préavis de résiliation.",
    "Que prévoient tous les fournisseurs sur la résiliation ?",
    "Chaque prestataire notifie-t-il les violations ?",
]
ONE_VENDOR = [
    "How fast must Humanlinker notify a breach?",
    "Quel est le plafond de responsabilité de Boost My Mail ?",
]


@pytest.mark.parametrize("question", WHICH_VENDORS)
def test_which_vendors_questions_fan_out_and_go_to_the_grid(question: str) -> None:
    assert is_which_vendors(question) and is_fan_out(question)


@pytest.mark.parametrize("question", OVER_ALL_VENDORS)
def test_questions_over_every_vendor_fan_out_without_the_grid(question: str) -> None:
    assert is_fan_out(question) and not is_which_vendors(question)


@pytest.mark.parametrize("question", ONE_VENDOR)
def test_a_one_vendor_question_neither_fans_out_nor_goes_to_the_grid(question: str) -> None:
    assert not is_fan_out(question) and not is_which_vendors(question)


def test_compare_gives_one_checked_cited_row_per_vendor(built) -> None:
    asst, llm, checker = make(built, rules=[(CAP_HL, 0.9), (CAP_BMM, 0.8)])
    ans = asst.compare("What is the liability cap?", ["humanlinker", "boost-my-mail"])
    assert ans.comparison is not None and [r.vendor for r in ans.comparison] == [
        "humanlinker",
        "boost-my-mail",
    ]
    assert not ans.abstained and ans.mode == "extractive"
    by_n = {c.n: c for c in ans.citations}
    for row in ans.comparison:
        assert not row.abstained and len(row.citation_ns) == 1
        assert by_n[row.citation_ns[0]].vendor == row.vendor  # each row cites its own vendor
        assert row.answer.count("«") == 1 and row.confidence is not None
    assert "12 derniers mois" in by_n[ans.comparison[0].citation_ns[0]].quote
    assert ans.answer.splitlines()[0].startswith("Humanlinker: ")
    assert ans.answer.splitlines()[1].startswith("Boost My Mail: ")
    assert ans.confidence == pytest.approx(0.8)  # the weakest row's
    for c in ans.citations:
        assert built[1].document_text(c.document)[c.start : c.end] == c.quote
    assert llm.calls == []  # rows are quoted, checked sentences: no wording call
    assert {q for q, _ in checker.calls} == {"What is the liability cap?"}


def test_a_silent_vendor_says_so_in_its_row(built) -> None:
    asst, _, _ = make(built, rules=[(CAP_HL, 0.9)])
    ans = asst.compare("What is the liability cap?", ["humanlinker", "boost-my-mail"])
    rows = {r.vendor: r for r in ans.comparison or []}
    assert not rows["humanlinker"].abstained
    assert rows["boost-my-mail"].abstained and rows["boost-my-mail"].citation_ns == []
    assert "not specified" in rows["boost-my-mail"].answer
    assert all(c.vendor == "humanlinker" for c in ans.citations)


@pytest.mark.parametrize("p_bmm,silent", [(0.45, False), (0.3, True)])
def test_a_row_is_gated_on_the_checks_probability(built, p_bmm: float, silent: bool) -> None:
    """A row whose fitted confidence is low (a confidence model that gives ~0 to every sentence here) is
    still answered when the check's own P(yes) reaches secondary_p, and silent under it."""
    from assistant.confidence import EngineConfig

    engine = EngineConfig(abstain_below=0.5, secondary_p=0.4, confidence_weights=(-20.0, 0, 0, 0, 0, 0))
    asst, _, _ = make(built, rules=[(CAP_HL, 0.9), (CAP_BMM, p_bmm)], engine=engine)
    ans = asst.compare("What is the liability cap?", ["humanlinker", "boost-my-mail"])
    rows = {r.vendor: r for r in ans.comparison or []}
    assert not rows["humanlinker"].abstained and rows["humanlinker"].confidence == pytest.approx(0.9)
    assert rows["boost-my-mail"].abstained is silent
    assert rows["boost-my-mail"].confidence == pytest.approx(p_bmm)


def test_which_vendors_question_fans_out_to_every_vendor(built) -> None:
    asst, _, checker = make(built, rules=[(r"quarante-huit", 0.9)])
    items = list(asst.stream("Which vendors notify a personal data breach within 48 hours?"))
    ans = items[-1]
    assert ans.comparison is not None and len(ans.comparison) == 6 and len(ans.vendors) == 6
    checked = {s for _, s in checker.calls}
    assert len(checked) >= 5  # every vendor's own best sentence was checked
    rows = {r.vendor: r for r in ans.comparison}
    assert not rows["leo-bizdev"].abstained and "48" in rows["leo-bizdev"].answer
    stages = [i.stage for i in items if isinstance(i, Shown)]
    assert stages[0] == "draft" and stages[-1] == "final"


def test_two_vendors_in_a_question_fan_out(built) -> None:
    asst, _, _ = make(built)
    ans = asst.answer("Compare Humanlinker and Aura Digital on the governing law")
    assert ans.vendors == ["humanlinker", "aura-digital"]
    assert ans.abstained and all(r.abstained for r in ans.comparison or [])


def test_follow_up_naming_only_a_vendor_reuses_the_topic(built) -> None:
    asst, llm, checker = make(
        built,
        ["Within 48 business hours [1].", "Within forty-eight hours [1]."],
        rules=[(r"48 heures ouvrées|quarante-huit", 0.9)],
    )
    first = asst.answer("How quickly must Humanlinker notify a personal data breach?")
    assert first.vendors == ["humanlinker"] and not first.abstained
    second = asst.answer(
        "And for LEO Bizdev?",
        history=[("How quickly must Humanlinker notify a personal data breach?", first)],
    )
    assert second.vendors == ["leo-bizdev"]
    assert not second.abstained and all(c.vendor == "leo-bizdev" for c in second.citations)
    assert "Question: How quickly must LEO Bizdev notify a personal data breach?" in str(
        llm.calls[1][-1].content
    )


def test_follow_up_without_vendor_inherits_vendors(built) -> None:
    asst, _, checker = make(built, min_dense=0.0)
    prev = {"question": "What is Humanlinker's liability cap?", "vendors": ["humanlinker"], "answer": "x"}
    ans = asst.answer("And what about audits?", history=[prev])
    assert ans.vendors == ["humanlinker"]
    assert all(c.vendor == "humanlinker" for c in ans.citations)
    assert checker.calls


def test_filter_narrowed_by_the_vendor_the_question_names(built) -> None:
    asst, _, _ = make(built)
    r = asst.retrieve("How quickly must Humanlinker notify a breach?", vendors=["humanlinker", "leo-bizdev"])
    assert r.vendors == ["humanlinker"] and not r.fan_out
    r2 = asst.retrieve("How quickly is a breach notified?", vendors=["humanlinker", "leo-bizdev"])
    assert r2.vendors == ["humanlinker", "leo-bizdev"] and r2.fan_out
    assert {h.clause.vendor for h in r2.hits} == {"humanlinker", "leo-bizdev"}


def test_which_vendors_question_is_answered_from_the_review_grid(built, tmp_path) -> None:
    """With the grid's cells cached for a topic, a "which vendors…" question on that topic is answered
    from them (one row per vendor, each cell's own citations), without checking anything again."""
    from review import GridBuilder, ReviewCache, grid_answer

    settings, store, emb = built
    settings = settings.replace(store_dir=tmp_path)  # a grid cache of this test's own
    filler, _, _ = make(
        (settings, store, emb),
        ["Within 48 business hours [1].", "Within forty-eight (48) hours [1]."] + ["NOT_FOUND"] * 3,
        rules=[(r"48 heures ouvrées|quarante-huit", 0.9)],
    )
    GridBuilder(filler, cache=ReviewCache.for_store(tmp_path)).build(None, ["breach_notification"], "en")
    asst, llm, checker = make((settings, store, emb), shortcut=grid_answer)
    ans = asst.answer("Which vendors notify a personal data breach, and how fast?")
    assert "answered from the review grid" in ans.warnings
    assert checker.calls == [] and llm.calls == []
    assert ans.comparison is not None and len(ans.comparison) == 6
    rows = {r.vendor: r for r in ans.comparison}
    assert "48" in rows["humanlinker"].answer and not rows["humanlinker"].abstained
    by_n = {c.n: c for c in ans.citations}
    for r in ans.comparison:
        assert all(by_n[n].vendor == r.vendor for n in r.citation_ns)
    plain, _, plain_checker = make((settings, store, emb))  # no shortcut given: rows, each checked
    assert (
        "answered from the review grid"
        not in plain.answer("Which vendors notify a personal data breach within 48 hours?").warnings
    )
    assert plain_checker.calls
