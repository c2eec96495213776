"""The citation checker: verbatim quotes at offsets, only given clauses, and figures (digits and French/
English number words) that appear in the cited quotes."""

from __future__ import annotations

import pytest

from assistant.citations import adds_nothing, check_answer, markers, renumber, says_not_found, split_sentences
from assistant.figures import extract_numbers, unsupported_figures
from core.types import Citation

DOC = (
    "Le Sous-traitant s'engage à notifier au Client, dans les meilleurs délais et, au plus tard, "
    "48 heures ouvrées après en avoir pris connaissance, toute violation de données. "
    "Le Client peut résilier avec un préavis de trente (30) jours. "
    "LEO Bizdev notifiera le Client dans un délai maximum de quarante-huit (48) heures. "
    "La responsabilité est limitée aux sommes payées au titre des 12 mois précédents. "
    "Capital de 100 000,00 €."
)
DOCS = {"v/doc.txt": DOC}


def cite(n: int, quote: str, clause_id: str = "c1") -> Citation:
    start = DOC.index(quote)
    return Citation(
        n=n,
        vendor="v",
        vendor_name="V",
        document="v/doc.txt",
        section="S",
        quote=quote,
        start=start,
        end=start + len(quote),
        clause_id=clause_id,
    )


def text_of(doc: str) -> str:
    return DOCS[doc]


BREACH = cite(1, "au plus tard, 48 heures ouvrées après en avoir pris connaissance")
NOTICE = cite(2, "Le Client peut résilier avec un préavis de trente (30) jours.")
LEO = cite(3, "notifiera le Client dans un délai maximum de quarante-huit (48) heures")
CAP = cite(4, "La responsabilité est limitée aux sommes payées au titre des 12 mois précédents.")
CAPITAL = cite(5, "Capital de 100 000,00 €.")
ALL = [BREACH, NOTICE, LEO, CAP, CAPITAL]


def test_valid_answer_passes() -> None:
    res = check_answer("Within 48 business hours of becoming aware of it [1].", ALL, text_of, {"c1"})
    assert res.ok, res.reasons
    assert [c.n for c in res.citations] == [1]


def test_fabricated_quote_is_rejected() -> None:
    fake = Citation(
        n=1,
        vendor="v",
        vendor_name="V",
        document="v/doc.txt",
        section="S",
        quote="au plus tard 24 heures",
        start=BREACH.start,
        end=BREACH.start + 22,
        clause_id="c1",
    )
    res = check_answer("Within 24 hours [1].", [fake], text_of, {"c1"})
    assert not res.ok
    assert any("not verbatim" in r for r in res.reasons)


def test_shifted_offsets_are_rejected() -> None:
    moved = Citation(**{**BREACH.to_json(), "start": BREACH.start + 1, "end": BREACH.end + 1})
    assert not check_answer("Within 48 hours [1].", [moved], text_of, {"c1"}).ok


def test_altered_number_is_rejected() -> None:
    res = check_answer("Within 24 business hours [1].", ALL, text_of, {"c1"})
    assert not res.ok
    assert any("24" in r for r in res.reasons)


def test_wrong_clause_id_is_rejected() -> None:
    res = check_answer("Within 48 business hours [1].", [cite(1, BREACH.quote, "other")], text_of, {"c1"})
    assert not res.ok
    assert any("not in the context" in r for r in res.reasons)


def test_marker_to_unknown_passage_is_rejected() -> None:
    res = check_answer("Within 48 business hours [9].", ALL, text_of, {"c1"})
    assert not res.ok and any("[9]" in r for r in res.reasons)


def test_answer_without_marker_is_rejected() -> None:
    assert not check_answer("Within 48 business hours.", ALL, text_of, {"c1"}).ok


@pytest.mark.parametrize(
    "answer,ok",
    [
        ("Within forty-eight hours [3].", True),  # words in the answer, "quarante-huit (48)" quoted
        ("Dans un délai de 48 heures [3].", True),
        ("With thirty days' notice [2].", True),  # "trente (30) jours"
        ("Avec un préavis de 30 jours [2].", True),
        ("With sixty days' notice [2].", False),
        ("Limited to the fees paid over the previous 12 months [4].", True),  # "12 mois"
        ("Limited to the fees paid over the previous twelve months [4].", True),
        ("Limited to the fees paid over the previous 24 months [4].", False),
        ("The share capital is 100,000 euros [5].", True),  # "100 000,00 €"
        ("The share capital is 100 000 € [5].", True),
        ("The share capital is 150,000 euros [5].", False),
        ("Within 48 hours [2].", False),  # right figure, wrong passage cited
    ],
)
def test_number_matching(answer: str, ok: bool) -> None:
    res = check_answer(answer, ALL, text_of, {"c1"})
    assert res.ok is ok, res.reasons


def test_each_sentence_is_checked_against_its_own_citations() -> None:
    ans = "Breaches are notified within 48 business hours [1]. Notice is 30 days [1]."
    res = check_answer(ans, ALL, text_of, {"c1"})
    assert not res.ok
    ans_ok = "Breaches are notified within 48 business hours [1]. Notice is 30 days [2]."
    assert check_answer(ans_ok, ALL, text_of, {"c1"}).ok


def test_number_words() -> None:
    """Number words are read where production reads them: as figures (assistant.figures.extract_numbers)."""
    for phrase, value in [
        ("quarante-huit heures", 48.0),
        ("forty-eight hours", 48.0),
        ("quatre-vingt-dix jours", 90.0),
        ("soixante-dix jours", 70.0),
        ("vingt et un jours", 21.0),
        ("deux cents euros", 200.0),
        ("one hundred and twenty days", 120.0),
        ("un jour", 1.0),  # "un" before a unit is one of it
    ]:
        assert extract_numbers(phrase) == [(phrase, {value})], phrase
    assert extract_numbers("un délai") == []  # an article, not a figure
    assert extract_numbers("quarante-huit (48) heures") == [
        ("quarante-huit (48) heures", {48.0})
    ]  # one figure
    assert extract_numbers("délai de [6] jours") == [("[6] jours", set())]  # a marker is never a number
    assert unsupported_figures("99.9% availability", ["disponibilité de 99,9 %"]) == []
    assert unsupported_figures("within 72h", ["dans un délai de 48h"]) == ["72h"]
    assert unsupported_figures("within 48 hours", ["dans un délai de 48 heures ouvrées"]) == ["48 hours"]


def test_markers_sentences_and_renumbering() -> None:
    assert markers("a [2] b [1, 3] c [2]") == [2, 1, 3]
    assert split_sentences("First 48 hours [1]. Second. [2] Third") == [
        "First 48 hours [1].",
        "Second. [2]",
        "Third",
    ]
    text, cites = renumber("x [4] y [2] z [4]", ALL)
    assert text == "x [1] y [2] z [1]"
    assert [(c.n, c.quote) for c in cites] == [(1, CAP.quote), (2, NOTICE.quote)]


@pytest.mark.parametrize(
    ("sentence", "question", "expected"),
    [
        ("The law governing LEO Bizdev's terms is [3].", "Which law governs LEO Bizdev's terms?", True),
        (
            "Yes, LEO Bizdev transfers personal data outside the EEA [2].",
            "Does LEO Bizdev transfer personal data outside the EEA?",
            True,
        ),
        (
            "Le montant couvre l'assurance responsabilité civile de Boost My Mail. [3]",
            "Quel montant couvre l'assurance responsabilité civile de Boost My Mail ?",
            True,
        ),
        ("The audit rights are detailed in extracts [1] and [2].", "What are the audit rights?", True),
        (
            "Humanlinker's registered office is located in [3].",
            "Where is Humanlinker's registered office?",
            True,
        ),
        ("French law governs LEO Bizdev's terms [3].", "Which law governs LEO Bizdev's terms?", False),
        (
            "Within 48 business hours of becoming aware of it [1].",
            "How fast must Humanlinker notify a breach?",
            False,
        ),
        ("Oui, en France [2].", "Les données sont-elles hébergées dans l'UE ?", False),
        (  # the question's "does … have" restated as "has"
            "Under Boost My Mail's DPA, Boost My Mail has a GDPR role for customer personal data. [1]",
            "Under Boost My Mail's DPA, what GDPR role does Boost My Mail have for customer personal data?",
            True,
        ),
        (
            "Boost My Mail has a processor role for customer personal data. [1]",
            "What GDPR role does Boost My Mail have for customer personal data?",
            False,
        ),
    ],
)
def test_adds_nothing(sentence: str, question: str, expected: bool) -> None:
    assert adds_nothing(sentence, question, ["LEO Bizdev", "Boost My Mail"]) is expected


def test_says_not_found() -> None:
    assert says_not_found("The DPO is not mentioned in the provided extracts [1].")
    assert says_not_found("Les extraits ne précisent pas le montant de l'assurance [2].")
    assert says_not_found("Aucune information sur ce point [1].")
    assert not says_not_found("Data is not transferred outside the EU [2].")
    assert not says_not_found("Les données ne sont pas transférées hors de l'UE [1].")
