"""core.text: folding variants, slugs, Markdown cells, the language guess, headings, and the sentence /
list-item splitter on real-shaped text (PDF-wrapped English, French clauses, lists)."""

from __future__ import annotations

import pytest

from core.text import (
    classify_heading,
    detect_language,
    fold,
    is_heading,
    is_list_item,
    md_cell,
    sentence_at,
    sentence_bounds,
    sentence_spans,
    slug,
)


# (text, options, expected): the variants the callers use
#   lower=False       vectorstore.bm25 (stems), assistant.query (stop words)
#   default           assistant.rank/vendors/glossary/say, ingest.aliases
#   apostrophes=True  assistant.review and assistant.requirements (their own _fold still, same output)
@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("Résiliation", {}, "resiliation"),
        ("Résiliation", {"lower": False}, "Resiliation"),
        ("éèçœ", {"lower": False}, "eecœ"),
        ("DONNÉES À CARACTÈRE PERSONNEL", {}, "donnees a caractere personnel"),
        ("l’accès", {}, "l’acces"),
        ("l’accès", {"apostrophes": True}, "l'acces"),
        ("L’Hébergeur", {"lower": False, "apostrophes": True}, "L'Hebergeur"),
        ("10\u00a0000\u202f€", {}, "10 000 €"),  # NBSP and NNBSP read as spaces (NFKD)
        ("ﬁchier", {}, "fichier"),
        ("", {}, ""),
    ],
)
def test_fold_variants(text: str, options: dict[str, bool], expected: str) -> None:
    assert fold(text, **options) == expected


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("Société Générale Cloud!", {"limit": 63}, "societe-generale-cloud"),
        (
            "Délai de notification / breach?",
            {"limit": 40, "default": "export"},
            "delai-de-notification-breach",
        ),
        ("???", {"limit": 40, "default": "export"}, "export"),
        ("intel xeon platinum 8480+", {"default": "cpu"}, "intel-xeon-platinum-8480"),
        ("ab cd", {"limit": 3}, "ab"),  # never ends on "-" once cut
    ],
)
def test_slug(text: str, options: dict[str, object], expected: str) -> None:
    assert slug(text, **options) == expected  # type: ignore[arg-type]


def test_md_cell_is_one_safe_line() -> None:
    assert md_cell("a | b\n  c\\d") == "a \\| b c\\\\d"
    assert md_cell(3) == "3"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("How long is the notice period?", "en"),
        ("Quel est le délai de préavis ?", "fr"),
        ("Délai de préavis chez Aura ?", "fr"),  # French letters and words count twice: few stop words here
        ("Breach notification deadline", "en"),  # no stop word either way: the tie goes to English
        ("The Customer shall notify the Processor of any breach of the data.", "en"),
        ("Le Client doit notifier le Sous-traitant de toute violation des données.", "fr"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_detect_language_tie_takes_the_default() -> None:
    assert detect_language("12345", default="fr") == "fr"
    assert detect_language("12345") == "en"


def test_headings_and_list_items() -> None:
    assert classify_heading("ARTICLE 9. RESPONSABILITÉ").level == 1  # type: ignore[union-attr]
    assert classify_heading("Le Client paie le prix convenu.") is None
    assert is_heading("16. Violation de données")
    assert not is_heading("Le Client paie le prix convenu dans les trente jours.")
    # the engine's wider rule: a label line is never an answer, a sentence with a figure is one
    assert is_heading("Transferts internationaux des données par Aura Digital", own_line=True, labels=True)
    assert not is_heading("Transferts internationaux des données par Aura Digital", labels=True)
    assert not is_heading("Le Prestataire notifie sous 48 heures.", labels=True)
    assert all(is_list_item(x) for x in ("- un", "• deux", "a) trois", "(iv) quatre", "2) cinq"))
    assert not is_list_item("3. Titre")


def _units(text: str, **kw: str) -> list[str]:
    return [text[s:e] for s, e in sentence_bounds(text, **kw)]


PDF_WRAPPED = (
    "7. PERSONAL DATA INCIDENT MANAGEMENT AND NOTIFICATION\n"
    "37signals maintains security incident management policies and procedures specified in the Security, Privacy and\n"
    "Architecture Documentation and the Agreement. 37signals shall notify Customer without undue delay, and in\n"
    "compliance with Data Protection Laws and Regulations, after becoming aware of the accidental or unlawful\n"
    "destruction of Personal Data.\n"
    "8. RETURN AND DELETION OF PERSONAL DATA\n"
)


def test_a_line_wrapped_inside_a_sentence_does_not_end_it() -> None:
    units = _units(PDF_WRAPPED)
    assert units[0] == "7. PERSONAL DATA INCIDENT MANAGEMENT AND NOTIFICATION"  # a heading line is a unit
    assert units[2].startswith("37signals shall notify Customer without undue delay, and in\ncompliance")
    assert units[2].endswith("destruction of Personal Data.")  # a line break after a sentence's end ends it
    assert units[3] == "8. RETURN AND DELETION OF PERSONAL DATA"
    assert len(units) == 4


def test_french_clauses_keep_abbreviations_and_figures() -> None:
    text = (
        "Conformément à l'art. 5 du Contrat, M. Dupont, représentant de la société (ci-après le « Prestataire »), "
        "notifie le Client sous 48 heures. Le délai de l'article 1.2 s'applique ; cf. art. 6.1 des CGV."
    )
    assert _units(text) == [
        "Conformément à l'art. 5 du Contrat, M. Dupont, représentant de la société (ci-après le « Prestataire »), "
        "notifie le Client sous 48 heures.",
        "Le délai de l'article 1.2 s'applique ; cf. art. 6.1 des CGV.",  # ";" then lower case: one unit
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Le Prestataire s'engage à :\n- notifier toute violation de données ;\n- assister le Client.",
        "Les données sont hébergées :\n• en France, chez OVH ;\n• en Irlande, chez AWS.",
        "Le Client peut résilier le Contrat :\na) en cas de manquement grave ;\nb) en cas de cessation d'activité.",
    ],
)
def test_list_items_are_units(text: str) -> None:
    assert _units(text) == text.split("\n")


def test_short_lines_blank_lines_and_fields_end_units() -> None:
    text = "Éditeur : Humanlinker, SAS, 7 rue Meyerbeer, 75009 Paris\nContact : contact@humanlinker.com\n\nServices"
    assert _units(text, ends=".!?") == text.replace("\n\n", "\n").split("\n")
    table = "Sous-traitant\tFinalité\nMongoDB\tHébergement des bases\nStripe\tPaiements"
    assert _units(table) == table.split("\n")  # a table row is a unit


def test_a_blank_line_inside_a_sentence_does_not_end_it() -> None:
    # a converted document's blank line in mid-sentence: the full line before stops on a word, the line
    # after goes on in lower case
    text = (
        "Les contenus strictement nécessaires aux fonctionnalités activées, notamment l'envoi d'emails, la "
        "détection d'échanges\n\nexistants avec des prospects identifiés et le suivi des réponses.\n\nSuite."
    )
    assert _units(text) == [text.split("\n\nSuite.")[0], "Suite."]
    # a blank line still ends a heading, a short label and a sentence, and comes before a lettered item
    for kept in (
        "Comment les données collectées sont utilisées\n\na- Pour fournir le produit et les services",
        "8. RETURN AND DELETION OF PERSONAL DATA\n\nthe data is deleted within thirty days of the end.",
        "Siège social : 12 rue des Lilas\n\ninfo@acme.example",
        "The Customer may object to a new sub-processor.\n\nhowever, the objection must be reasoned.",
    ):
        assert _units(kept)[-1] == kept.split("\n\n")[1], kept


def test_citation_markers_stay_with_their_sentence() -> None:
    assert _units("First 48 hours [1]. Second. [2] Third", ends=".!?") == [
        "First 48 hours [1].",
        "Second. [2]",
        "Third",
    ]


def test_sentence_spans_and_sentence_at() -> None:
    text = "16. Violation de données\nLe Prestataire notifie le Client sous 48 heures. Le Client coopère."
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "Le Prestataire notifie le Client sous 48 heures.",
        "Le Client coopère.",
    ]
    pos = text.index("48")
    s, e = sentence_at(text, pos)
    assert text[s:e] == "Le Prestataire notifie le Client sous 48 heures."
    assert sentence_at("", 0) == (0, 0)
