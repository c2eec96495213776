"""Selection questions ("Which vendors host their service on Microsoft Azure?"): which questions are
selections, each vendor's row settled by two readings of its sentence (a figure the condition names must be
stated), the answer naming the vendors that meet the condition first, and the eval's selection scores."""

from __future__ import annotations

from typing import Any

import pytest
from assistant_fakes import FakeChecker, build_store

from assistant import Assistant
from assistant.figures.asked import bounded_measures, meets_bounds
from assistant.places import abbreviated_countries, eu_places
from assistant.query import is_vendor_selection, is_which_vendors
from assistant.rows import Row, render
from assistant.selection import is_bounded_selection, place_asked, place_verdict, settle_row
from assistant.verdict import settle
from evals.metrics import score_item, selected_vendors, selection_scores

SELECTIONS = [
    "Which vendors host their service on Microsoft Azure?",
    "Which vendors notify breaches within 72 hours or less?",
    "Which vendors give the customer at least 10 days to object to a new sub-processor?",
    "Which vendors commit to an uptime of at least 99.5%?",
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
    "question,bounds",
    [
        ("Which vendors notify a breach within 48 hours?", [("duration", 48.0, "max")]),
        ("Which vendors commit to an uptime of at least 99.5%?", [("percent", 99.5, "min")]),
        ("Which vendors delete data up to three months after the end?", [("duration", 3.0, "max")]),
        ("Lesquels des prestataires notifient en moins de 48 heures ?", [("duration", 48.0, "max")]),
        ("Quels fournisseurs donnent au moins 30 jours de préavis ?", [("duration", 30.0, "min")]),
        ("Which vendors notify breaches in 72 hours or less?", [("duration", 72.0, "max")]),
        ("Which vendors guarantee 99.9% uptime?", []),  # named without a bound: which side meets it?
        ("Which vendors provide support 24 hours a day?", []),
        ("Which vendors are ISO 27001 certified?", []),  # a name, not a measure
    ],
)
def test_bounds_the_question_names(question: str, bounds: list[tuple[str, float, str]]) -> None:
    assert [(f.kind, f.value, b) for f, b in bounded_measures(question)] == bounds


@pytest.mark.parametrize(
    "question,sentence,met",
    [
        ("Which vendors notify a breach within 48 hours?", "It notifies the customer within 24 hours.", True),
        (
            "Which vendors notify a breach within 48 hours?",
            "dans un délai maximum de quarante-huit (48) heures",
            True,
        ),
        (
            "Which vendors notify a breach within 48 hours?",
            "It notifies the customer within 72 hours.",
            False,
        ),
        (
            "Which vendors notify a breach within 48 hours?",
            "It notifies the customer without undue delay.",
            None,
        ),
        # 48 business hours may run past 48 elapsed hours: not surely within the bound, nor surely outside
        ("Which vendors notify a breach within 48 hours?", "au plus tard, 48 heures ouvrées après", None),
        ("Which vendors commit to an uptime of at least 99.5%?", "Disponibilité de 99 % par an.", False),
        ("Which vendors commit to an uptime of at least 99.5%?", "We guarantee 99.99% monthly uptime.", True),
        ("Which vendors delete data up to three months after the end?", "Deleted within 60 days.", True),
        ("Which vendors give at least 10 days to object?", "Le Client dispose de huit (8) jours.", False),
        ("Which vendors give at least 10 days to object?", "Le Client dispose de quinze (15) jours.", True),
        ("Which vendors guarantee 99.9% uptime?", "Availability: 99,95 % per month.", None),  # no bound
    ],
)
def test_a_sentence_meets_a_bound_by_its_figures(question: str, sentence: str, met: bool | None) -> None:
    assert meets_bounds(question, sentence) is met


@pytest.mark.parametrize(
    "question,bounded",
    [
        ("Which vendors notify a breach within 48 hours?", True),
        ("Quels fournisseurs garantissent une disponibilité d'au moins 99,5 % ?", True),
        ("Which vendors host their service on Microsoft Azure?", False),  # no measure: left to the reader
        ("Which vendors do not notify a breach within 48 hours?", False),  # negated: left to the reader
        ("How fast must Humanlinker notify a breach, within 48 hours?", False),  # not a selection
    ],
)
def test_bounded_selections(question: str, bounded: bool) -> None:
    assert is_bounded_selection(question) is bounded


@pytest.mark.parametrize(
    "sentence,verdict",
    [
        ("Acme notifies the customer within 24 hours.", "yes"),
        ("Acme notifies the customer within 72 hours.", "no"),
        ("Acme notifies the customer without undue delay.", "unsettled"),
        ("Acme notifies the customer within 24 hours, without undue delay.", "yes"),  # "without" tells how
        ("Acme ne notifie pas les violations sous 24 heures.", "unsettled"),  # a negated sentence
    ],
)
def test_a_row_is_settled_by_its_figures(sentence: str, verdict: str) -> None:
    assert settle_row("Which vendors notify a breach within 48 hours?", sentence) == verdict


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
    assert fr.splitlines()[0].startswith("Aucune clause trouvée ne montre un fournisseur")
    plain, _, plain_out = render(list(names), rows, names, missing, "en")
    assert [r.vendor for r in plain_out] == list(names) and not plain.startswith("By their documents")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    return build_store(tmp_path_factory.mktemp("store"))


def test_a_selection_through_the_engine(built) -> None:
    """Each row is checked as before, then settled by its sentence's figures: LEO Bizdev's "quarante-huit
    (48) heures" is within 48 hours; Humanlinker's "48 heures ouvrées" may run past 48 elapsed hours and is
    quoted for the reader to judge; the rest are silent. The answer opens with the vendors that meet it, and
    no model is asked for a verdict."""
    settings, store, emb = built
    checker = FakeChecker([(r"quarante-huit|48 heures ouvrées", 0.9)], 0.05)
    judge = FakeChecker(default=0.9)
    asst = Assistant(settings, store=store, embeddings=emb, llm=None, checker=checker, verdict_checker=judge)
    ans = asst.answer("Which vendors notify a personal data breach within 48 hours?")
    assert ans.comparison is not None
    rows = {r.vendor: r for r in ans.comparison}
    assert rows["leo-bizdev"].verdict == "yes" and rows["leo-bizdev"].answer.startswith("Yes.")
    assert rows["humanlinker"].verdict == "unsettled"
    assert rows["humanlinker"].answer.startswith("Not settled, read the clause:")
    assert ans.answer.splitlines()[0] == "By their documents: LEO Bizdev."
    assert [r.vendor for r in ans.comparison][:2] == ["leo-bizdev", "humanlinker"]
    assert all(r.verdict is None for r in ans.comparison if r.abstained)
    assert judge.calls == []
    assert "bound on a figure or a place" in ans.explanation
    assert ans.to_json()["comparison"][0]["verdict"] == "yes"


def test_a_selection_without_a_bound_is_answered_row_by_row_as_before(built) -> None:
    settings, store, emb = built
    checker = FakeChecker([(r"quarante-huit|48 heures ouvrées", 0.9)], 0.05)
    asst = Assistant(settings, store=store, embeddings=emb, llm=None, checker=checker)
    ans = asst.answer("Which vendors notify a personal data breach quickly?")
    assert ans.comparison is not None and all(r.verdict is None for r in ans.comparison)
    assert (
        not ans.answer.startswith("By their documents")
        and "bound on a figure or a place" not in ans.explanation
    )


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


def test_a_closed_question_over_several_vendors_with_a_bound_is_settled_row_by_row() -> None:
    assert is_bounded_selection("Do Humanlinker and LEO Bizdev notify a breach within 48 hours?")
    assert not is_bounded_selection("Do Humanlinker and LEO Bizdev notify breaches quickly?")


@pytest.mark.parametrize(
    "sentence,verdict,asked",
    [
        ("Acme notifies the customer within 24 hours.", "yes", False),  # the figures settle it
        ("Acme notifies the customer within 72 hours.", "no", False),
        ("Acme notifies the customer without undue delay.", None, True),  # no figure: the two readings
    ],
)
def test_a_closed_question_with_a_bound_is_settled_by_the_figures_first(
    sentence: str, verdict: str | None, asked: bool
) -> None:
    judge = FakeChecker(default=0.5)
    settled = settle(judge, "Does Acme notify a breach within 48 hours?", sentence, "Acme")
    assert settled.verdict == verdict and (settled.by == "figures") is not asked
    assert bool(judge.calls) is asked
    if not asked:
        assert "figures" in settled.note()


def test_a_closed_question_with_a_bound_through_the_engine(built) -> None:
    """The model's reading would say no (P(yes) 0.1); LEO Bizdev's "quarante-huit (48) heures" is within
    48 hours, so the answer is "Yes." and the sentence, with no model asked for the verdict."""
    settings, store, emb = built
    checker = FakeChecker([(r"quarante-huit", 0.9)], 0.05)
    judge = FakeChecker(default=0.1)
    asst = Assistant(settings, store=store, embeddings=emb, llm=None, checker=checker, verdict_checker=judge)
    ans = asst.answer("Does LEO Bizdev notify a personal data breach within 48 hours?")
    assert ans.answer.startswith("Yes. «") and "quarante-huit" in ans.answer
    assert judge.calls == []
    assert any("figures against the question's bound -> yes" in w for w in ans.warnings)


@pytest.mark.parametrize(
    "question,asked",
    [
        ("Which vendors host customer data outside the European Union?", "outside"),
        ("Quels fournisseurs hébergent les données hors de l'UE ?", "outside"),
        ("Quels fournisseurs hébergent les données de leurs clients dans l'Union européenne ?", "inside"),
        ("Which vendors store customer data in the United States?", "US"),
        ("Quels fournisseurs transfèrent des données vers les États-Unis ?", "US"),
        ("Which vendors keep customer data in Ireland?", "IE"),
        # another condition than the place: left to the reader
        ("Which vendors need the customer's authorisation before hosting data outside the EU?", None),
        ("Which vendors host their service on Microsoft Azure?", None),  # a provider, not a place
        ("Which vendors name a data protection officer in France?", None),  # no verb of hosting or sending
        ("Which vendors host data in France or Germany?", None),  # which country would a row need?
    ],
)
def test_the_place_a_question_asks_about(question: str, asked: str | None) -> None:
    assert place_asked(question) == asked


@pytest.mark.parametrize(
    "sentence,outside,inside,france,us",
    [
        ("Les données personnelles sont hébergées en France.", "no", "yes", "yes", "no"),
        (
            "Any information you provide will be transferred to and stored in the United States.",
            "yes",
            "no",
            "no",
            "yes",
        ),
        (
            "Le Sous-traitant héberge les Données dans un État membre de l'Union européenne.",
            "no",
            "yes",
            None,
            "no",
        ),
        # conditional or negated: says nothing of where the data are
        (
            "If you are located in the European Union, your data will be stored in the United States.",
            None,
            None,
            None,
            None,
        ),
        (
            "En cas d'hébergement hors de l'Union européenne, le Sous-traitant obtiendra l'accord du Client.",
            None,
            None,
            None,
            None,
        ),
        ("Aucune donnée n'est transférée hors de l'UE.", None, None, None, None),
        # a condition given as an example of what the sentence states, and the EU as whose data they are
        (
            "EU personal data may be transferred to the U.S. in connection with our operations, for "
            "instance, if an EU user signs up for our newsletter.",
            "yes",
            "no",
            "no",
            "yes",
        ),
        # "us" the pronoun is no country; "USA" ending a sentence is one
        ("Your data is hosted in France; contact us with any question.", "no", "yes", "yes", "no"),
        ("Les données sont hébergées aux USA.", "yes", "no", "no", "yes"),
        # both inside and outside: not settled either way
        (
            "Data are hosted in the EU, and support staff in the United States may access them.",
            None,
            None,
            None,
            "yes",
        ),
    ],
)
def test_a_row_is_settled_by_the_places_it_names(
    sentence: str, outside: str | None, inside: str | None, france: str | None, us: str | None
) -> None:
    questions = [
        "Which vendors host customer data outside the European Union?",
        "Which vendors host customer data in the European Union?",
        "Quels fournisseurs hébergent les données en France ?",
        "Which vendors store customer data in the United States?",
    ]
    assert [place_verdict(q, sentence) for q in questions] == [outside, inside, france, us]


def test_country_abbreviations_are_read_as_written() -> None:
    assert abbreviated_countries("Data may be transferred to the U.S. and the UK.") == {"US", "GB"}
    assert abbreviated_countries("US-based support staff") == {"US"}
    assert abbreviated_countries("Please contact us; let us know.") == set()
    # the country as a legal order
    assert abbreviated_countries("The UK Addendum forms part of this DPA under the UK GDPR.") == set()
    assert abbreviated_countries("If U.S. law enforcement authorities have a warrant, we comply.") == set()
    assert abbreviated_countries("As a US company with all data infrastructure located in the US.") == {"US"}
    assert abbreviated_countries("POUR TOUTE QUESTION, CONTACT US A L'ADRESSE CI-DESSOUS.") == set()
    assert eu_places("Contact us at privacy@example.com.") == (set(), set())


@pytest.mark.parametrize(
    "sentence,inside,outside",
    [
        ("Data is hosted in the EU.", True, False),  # "EU" before a full stop
        ("Les données sont hébergées dans l'UE.", True, False),  # after an elision
        # the French participle "eu" is no place, in any case but capitals
        ("Le Prestataire notifiera le Client sous 48 heures après en avoir eu connaissance.", False, False),
        ("Eu égard à leur nature, les données sont hébergées en France.", True, False),
        # "French" before what holds data is a place; before a version or a law, no place
        ("Data is hosted on French servers.", True, False),
        ("The French version prevails; the contract is governed by French law.", False, False),
        # a legal instrument by its number is no place
        (
            "Au sens de l'article 28 du Règlement (UE) 2016/679, le Prestataire est sous-traitant.",
            False,
            False,
        ),
        ("Regulation (EU) 2016/679 applies to the processing.", False, False),
    ],
)
def test_the_eu_is_read_as_written(sentence: str, inside: bool, outside: bool) -> None:
    found_inside, found_outside = eu_places(sentence)
    assert (bool(found_inside), bool(found_outside)) == (inside, outside)


def test_a_place_selection_settles_its_rows() -> None:
    q = "Which vendors host customer data outside the European Union?"
    assert is_bounded_selection(q)
    assert settle_row(q, "Data are stored in the United States.") == "yes"
    assert settle_row(q, "Data are stored in Ireland.") == "no"
    assert settle_row(q, "Data are stored on servers we choose.") == "unsettled"


@pytest.mark.parametrize(
    "question,sentence,verdict",
    [
        ("Does Acme store customer data in the EU?", "All data infrastructure is located in the U.S.", "no"),
        ("Acme héberge-t-il les données en France ?", "Les données sont hébergées en France.", "yes"),
        ("Does Acme store customer data in the EU?", "If you are in the EU, data go to the U.S.", None),
    ],
)
def test_a_closed_question_about_where_data_are_is_settled_by_the_places_first(
    question: str, sentence: str, verdict: str | None
) -> None:
    judge = FakeChecker(default=0.5)  # the model unsure: only the places can settle it
    settled = settle(judge, question, sentence, "Acme")
    assert settled.verdict == verdict
    assert (settled.by == "places") is (verdict is not None) and bool(judge.calls) is (verdict is None)
    if verdict is not None:
        assert "places the sentence names" in settled.note()
