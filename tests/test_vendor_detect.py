"""Vendor detection: names, slugs, aliases, light misspellings, unknown vendors, and no false positives."""

from __future__ import annotations

import pytest

from assistant.vendors import VendorInfo, detect_vendors, find_unknown_vendor

CATALOG = [
    VendorInfo("aura-digital", "Aura Digital"),
    VendorInfo("boost-my-mail", "Boost My Mail", ("BoostMyMail", "A5Groupe")),
    VendorInfo("humanlinker", "Humanlinker"),
    VendorInfo("leo-bizdev", "LEO Bizdev", ("SalesTech", "Leo Bizdev", "LEO")),
    VendorInfo("unnamed-provider", "Unnamed Provider"),
]
CORPUS_WORDS = {"mail", "provider", "digital", "aura", "client", "google", "données", "service"}


def known(word: str) -> bool:
    return word.lower() in CORPUS_WORDS


@pytest.mark.parametrize("question,expected", [
    ("How quickly must Humanlinker notify a data breach?", ["humanlinker"]),
    ("Quel est le plafond de responsabilité de Boost My Mail ?", ["boost-my-mail"]),
    ("What does boost-my-mail say about refunds?", ["boost-my-mail"]),
    ("Does BoostMyMail allow termination?", ["boost-my-mail"]),
    ("What about A5Groupe?", ["boost-my-mail"]),
    ("Is SalesTech a processor?", ["leo-bizdev"]),
    ("LEO Bizdev retention period", ["leo-bizdev"]),
    ("Chez leo bizdev, quelle durée de conservation ?", ["leo-bizdev"]),
    ("aura-digital governing law", ["aura-digital"]),
    ("What does the Unnamed Provider DPA say about audits?", ["unnamed-provider"]),
    # light misspellings
    ("How fast does Humanlinkr notify breaches?", ["humanlinker"]),
    ("Human Linker liability cap", ["humanlinker"]),
    ("Boost My Mial liability cap", ["boost-my-mail"]),
    ("Aura Digitale: quel préavis ?", ["aura-digital"]),
    # several vendors, in order of mention
    ("Compare Humanlinker and Aura Digital on liability", ["humanlinker", "aura-digital"]),
])
def test_detects_named_vendors(question: str, expected: list[str]) -> None:
    assert detect_vendors(question, CATALOG, known).vendors == expected


@pytest.mark.parametrize("question", [
    "Il y aura un préavis de trente jours ?",          # "aura" the verb
    "Which restaurant aurait le meilleur SLA ?",        # "aura" inside other words
    "Can I send a mail to the provider?",               # "mail" alone, "provider" alone
    "What is the liability cap of the service provider?",
    "Our digital services: what is the notice period?",  # "our digital" is not "Aura Digital"
    "Does the boost apply to my mailbox?",
    "What is the governing law?",
])
def test_no_false_positives(question: str) -> None:
    det = detect_vendors(question, CATALOG, known)
    assert det.vendors == []
    assert det.unknown is None


@pytest.mark.parametrize("question,name", [
    ("What is Salesforce's liability cap?", "Salesforce"),
    ("Quel est le plafond de responsabilité de Salesforce ?", "Salesforce"),
    ("What is the notice period for Acme Corp?", "Acme Corp"),
    ("Quelle est la durée de conservation chez HubSpot ?", "HubSpot"),
])
def test_unknown_vendor(question: str, name: str) -> None:
    det = detect_vendors(question, CATALOG, known)
    assert det.vendors == []
    assert det.unknown == name


def test_unknown_vendor_ignores_corpus_words_and_legal_terms() -> None:
    assert find_unknown_vendor("What does Google's role as sub-processor imply?", known) is None
    assert find_unknown_vendor("What does the GDPR say about the DPO?", known) is None
    assert find_unknown_vendor("Quelles sont les obligations du Client ?", known) is None


def test_mentions_carry_offsets() -> None:
    q = "And for Aura Digital?"
    det = detect_vendors(q, CATALOG, known)
    assert [q[m.start:m.end] for m in det.mentions] == ["Aura Digital"]
