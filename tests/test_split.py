"""Splitter on the real sample corpus and on small synthetic texts: section paths, offsets, budgets."""

from __future__ import annotations

import pytest

from core.settings import ChunkSettings, Settings
from core.tokens import count_tokens
from ingest.document import build_clauses, decode_document
from ingest.split import classify_heading, split_text

DOCS = [
    "aura-digital/cgv-and-privacy-policy.txt",
    "boost-my-mail/cgs.txt",
    "humanlinker/cgu-and-dpa.txt",
    "leo-bizdev/privacy-policy-and-dpa.txt",
    "unnamed-provider/dpa.txt",
]


@pytest.fixture(scope="module")
def corpus_clauses() -> dict:
    from core.settings import PROJECT_ROOT, load_settings

    settings = load_settings(
        env={}, corpus_dir=str(PROJECT_ROOT / "data" / "contracts"), **{"embedding.kind": "hashing"}
    )
    out = {}
    for d in DOCS:
        doc = decode_document(settings, d)
        out[d] = (doc, build_clauses(doc, settings), settings)
    return out


def _find(clauses, needle):
    hits = [c for c in clauses if needle in c.text]
    assert hits, f"no clause contains {needle!r}"
    return hits[0]


def test_boost_my_mail_article_numbering(corpus_clauses):
    doc, clauses, _ = corpus_clauses["boost-my-mail/cgs.txt"]
    c = _find(clauses, "9.2.2. Obligations du Fournisseur")
    assert c.section == (
        "ARTICLE 9. DONNEES PERSONNELLES > 9.2. Données personnelles traitées pour le compte "
        "du Client > 9.2.2. Obligations du Fournisseur"
    )
    c = _find(clauses, "9.2.1. Obligations du Client")
    assert c.section.startswith("ARTICLE 9. DONNEES PERSONNELLES > 9.2.")
    assert c.section.endswith("9.2.1. Obligations du Client")
    # every 9.2.x clause lives under ARTICLE 9, none leaks into ARTICLE 10
    for c in clauses:
        if "9.2." in c.section:
            assert c.section.startswith("ARTICLE 9.")
    c = _find(clauses, "ARTICLE 13. RESPONSABILITES")
    assert c.section.startswith("ARTICLE 13. RESPONSABILITES > 13.1.")
    assert _find(clauses, "La Solution permet aux clients professionnels").section == "PRÉAMBULE"


def test_leo_bizdev_numbered_titles(corpus_clauses):
    _, clauses, _ = corpus_clauses["leo-bizdev/privacy-policy-and-dpa.txt"]
    c = _find(clauses, "16. Violation de données")
    assert c.section == "16. Violation de données"
    assert c.text.startswith("16. Violation de données")
    assert "notification" in c.text.lower()
    assert _find(clauses, "10. Sous-traitants secondaires").section == "10. Sous-traitants secondaires"


def test_leo_bizdev_flattened_table_kept_together(corpus_clauses):
    _, clauses, _ = corpus_clauses["leo-bizdev/privacy-policy-and-dpa.txt"]
    c = _find(clauses, "MongoDB\tHébergement")
    assert "Amazon Web Services (AWS)\tHébergement" in c.text
    assert c.section == "10. Sous-traitants secondaires"


def test_aura_digital_bullet_and_upper_case_titles(corpus_clauses):
    _, clauses, _ = corpus_clauses["aura-digital/cgv-and-privacy-policy.txt"]
    c = _find(clauses, "• Durée et résiliation")
    assert c.section == "CONDITIONS GENERALES DE VENTE > ABONNEMENTS > Durée et résiliation"
    c = _find(clauses, "• Retard de paiement")
    assert c.section.endswith("CONDITIONS FINANCIERES > Retard de paiement")
    c = _find(clauses, "NOTIFICATIONS POUR VIOLATION DES DONNEES A CARACTERE PERSONNEL")
    assert c.section.endswith("NOTIFICATIONS POUR VIOLATION DES DONNEES A CARACTERE PERSONNEL")
    assert _find(clauses, "Aura Digital s’engage à protéger").section == "POLITIQUE DE CONFIDENTIALITE"
    # a lower-case bullet title followed by its own paragraph ("• litige") is a heading too
    assert _find(clauses, "• litige").section.endswith("REGLEMENT DES DIFFERENDS > litige")
    # list items are not headings
    assert not any(c.section.endswith("développement et conception de sites Web") for c in clauses)


def test_english_dpa_upper_case_titles(corpus_clauses):
    _, clauses, _ = corpus_clauses["unnamed-provider/dpa.txt"]
    c = _find(clauses, "DATA BREACH\n")
    assert c.section == "DATA BREACH"
    assert "Article 33" in c.text
    assert {"PREAMBLE", "SUBCONTRACTOR'S OBLIGATIONS", "CROSS-BORDER DATA FLOWS"} <= {
        c.section for c in clauses
    }
    assert all(c.language == "en" for c in clauses)


def test_humanlinker_without_headings_is_split_into_paragraph_units(corpus_clauses):
    doc, clauses, settings = corpus_clauses["humanlinker/cgu-and-dpa.txt"]
    assert all(c.section == "" for c in clauses)
    c = _find(clauses, "48 heures ouvrées")
    # a paragraph-level unit: starts at a paragraph start and ends at a paragraph end
    assert c.start == 0 or doc.text[c.start - 1] == "\n"
    assert c.end == len(doc.text) or doc.text[c.end] == "\n"
    assert c.tokens < settings.chunking.max_tokens
    assert len(clauses) > 40


@pytest.mark.parametrize("document", DOCS)
def test_every_clause_is_an_exact_trimmed_slice(corpus_clauses, document):
    doc, clauses, settings = corpus_clauses[document]
    assert clauses
    covered = 0
    for i, c in enumerate(clauses):
        assert doc.text[c.start : c.end] == c.text
        assert c.text == c.text.strip() and c.text
        assert c.ordinal == i and c.doc_sha256 == doc.sha256
        assert c.tokens == count_tokens(c.text, settings.chunking.encoding)
        covered = max(covered, c.end)
    assert [c.start for c in clauses] == sorted(c.start for c in clauses)
    # nothing lost: every non-blank character of the document is inside some clause
    inside = bytearray(len(doc.text))
    for c in clauses:
        inside[c.start : c.end] = b"\x01" * (c.end - c.start)
    assert all(inside[i] or doc.text[i].isspace() for i in range(len(doc.text)))


@pytest.mark.parametrize("document", DOCS)
def test_budgets_and_no_heading_only_chunks(corpus_clauses, document):
    doc, clauses, settings = corpus_clauses[document]
    cfg = settings.chunking
    for c in clauses:
        if c.tokens > cfg.max_tokens:  # only a single unsplittable sentence may exceed the budget
            assert len(split_text(c.text, cfg)) == 1 and "\n" not in c.text.strip()
        lines = [ln for ln in c.text.split("\n") if ln.strip()]
        has_articles = "ARTICLE" in doc.text
        assert not all(classify_heading(ln, has_articles) for ln in lines), f"heading-only chunk: {c.text!r}"


def test_long_section_is_cut_on_sentences_with_overlap():
    cfg = ChunkSettings(max_tokens=60, min_tokens=10, overlap_tokens=20)
    body = " ".join(
        f"Phrase numéro {i} du contrat de service décrit une obligation précise." for i in range(30)
    )
    text = (
        f"ARTICLE 1. OBJET\n\n{body}\n\nARTICLE 2. FIN\n\nLe contrat prend fin à son terme normal.\n"
        f"\nARTICLE 3. DROIT\n\nLe droit français s'applique au contrat sans exception.\n"
    )
    spans = split_text(text, cfg)
    first = [s for s in spans if s.section == "ARTICLE 1. OBJET"]
    assert len(first) > 3
    for s in first:
        assert s.tokens <= 60
        assert text[s.start : s.end].rstrip().endswith(".")  # sentence boundaries
    assert any(b.start < a.end for a, b in zip(first, first[1:], strict=False)), "consecutive chunks overlap"
    assert text[first[0].start :].startswith("ARTICLE 1. OBJET")


@pytest.mark.parametrize("structured", [True, False])
def test_no_clause_ends_inside_a_sentence_wrapped_over_lines(structured: bool):
    # a PDF's or a hard-wrapped text's lines: a clause that must end somewhere in the paragraph ends where a
    # sentence does, never at a line end inside one ("…shall notify Customer without undue delay, and in")
    cfg = ChunkSettings(max_tokens=60, min_tokens=10, overlap_tokens=20)
    sentence = (
        "The Processor shall notify the Customer without undue delay, and in\ncompliance with the applicable "
        "law, after becoming aware of\nany personal data breach affecting the Customer's data number {i}.\n"
    )
    body = "".join(sentence.format(i=i) for i in range(8))
    heads = "1. SCOPE\n\n{b}\n2. NOTICES\n\nNotices are sent by e-mail.\n\n3. LAW\n\nFrench law applies.\n"
    text = heads.format(b=body) if structured else body
    spans = split_text(text, cfg)
    assert len(spans) > 3
    for sp in spans:
        assert text[sp.start : sp.end].rstrip().endswith("."), text[sp.start : sp.end]
        assert text[sp.start].isupper() or text[sp.start].isdigit(), text[sp.start : sp.end]


def test_tiny_fragments_join_neighbours_and_headings_never_stand_alone():
    cfg = ChunkSettings(max_tokens=200, min_tokens=30, overlap_tokens=10)
    text = (
        "1. Objet\n\nCourt.\n\n2. Durée\n\n2.1. Principe\n\n"
        "Le contrat est conclu pour une durée d'un an renouvelable par tacite reconduction sauf "
        "dénonciation par l'une des parties avec un préavis de trois mois avant l'échéance.\n\n"
        "3. Prix\n\nLe prix est payable à trente jours fin de mois par virement bancaire sur le compte "
        "désigné par le prestataire dans la facture émise chaque mois.\n"
    )
    spans = split_text(text, cfg)
    texts = [text[s.start : s.end] for s in spans]
    assert not any(t.strip() in ("1. Objet", "2. Durée", "2.1. Principe", "Court.") for t in texts)
    duree = [s for s in spans if "2.1. Principe" in text[s.start : s.end]][0]
    assert "2. Durée" in text[duree.start : duree.end]  # the parent heading joined its first sub-section
    assert "2. Durée > 2.1. Principe" in duree.section or "1. Objet" in duree.section


def test_classify_heading_examples():
    assert classify_heading("ARTICLE 9. RESPONSABILITÉ").level == 1
    assert classify_heading("9.2.1. Obligations du Client", has_articles=True).level == 3
    assert classify_heading("16. Violation de données").label == "16. Violation de données"
    assert classify_heading("  • DEFINITIONS").level == 1
    assert classify_heading("  • Tarifs").level == 2
    assert classify_heading("DATA BREACH").level == 1
    assert classify_heading("## Résiliation").level == 2
    assert (
        classify_heading("8.1 Durée : plan mensuel avec reconduction tacite par période identique.") is None
    )
    assert classify_heading("  • les présentes Conditions Générales et leurs annexes ;") is None
    assert classify_heading("Le Client paiera tous les frais.") is None
    assert classify_heading("10 boulevard du Zénith") is None


def test_document_without_any_text_structure(fake_settings: Settings):
    spans = split_text("Un seul paragraphe sans titre.\n", fake_settings.chunking)
    assert len(spans) == 1 and spans[0].section == ""
    assert split_text("\n\n  \n", fake_settings.chunking) == []


def test_merge_sections_keeps_both_labels():
    from ingest.split import merge_sections

    assert merge_sections("A > 3.1. X", "A > 3.2. Y") == "A > 3.1. X / 3.2. Y"
    assert merge_sections("", "A > B") == "A > B"
    assert merge_sections("A", "A > B") == "A > B"
    assert merge_sections("A > B", "A") == "A > B"
    assert merge_sections("A", "A") == "A"
