"""The party a right belongs to (assistant.cases.party_conflict): a question about one party's power to do
something is not answered by a sentence that gives that action to the other party only. Invented vendors
and sentences, French and English, with the cases that must stay no conflict."""

from __future__ import annotations

import pytest

from assistant.cases import asked_party, case_conflict, party_conflict


@pytest.mark.parametrize(
    "question,sentence,conflict",
    [
        # the customer asks about its own right; the sentence gives it to the vendor
        (
            "Puis-je transférer mon contrat Acme ?",
            "Le Fournisseur pourra transférer librement le Contrat.",
            True,
        ),
        (
            "Can I cancel my account at any time?",
            "We may cancel your account if you breach these terms.",
            True,
        ),
        (
            "Le client peut-il résilier le contrat ?",
            "Le Prestataire peut résilier le Contrat sans préavis.",
            True,
        ),
        # the vendor is asked about; the sentence binds the customer only
        ("Acme peut-il céder le contrat ?", "Le Client ne peut pas céder le Contrat sans accord.", True),
        ("Can the provider suspend the service?", "You may suspend your subscription once a year.", True),
        # the same party: no conflict, whether the sentence allows or forbids
        ("Puis-je transférer mon contrat Acme ?", "Le Client s’interdit de transférer le Contrat.", False),
        ("Can I cancel my account at any time?", "You may cancel your account at any time.", False),
        # both parties named with the action: the sentence holds the asker's case too
        ("Puis-je résilier ?", "Le Client peut résilier et le Prestataire peut résilier sur préavis.", False),
        # another action (a refund asked, a refund given): no conflict
        ("Can I get a refund?", "We will refund you within 30 days.", False),
        # a passive question: the customer is charged by the vendor
        ("When is a customer charged for an upgrade?", "We will charge your card immediately.", False),
        # no party before the question's action
        ("Quel est le délai de préavis ?", "Le Prestataire peut résilier le Contrat.", False),
        # a sentence that names no party before a modal
        ("Puis-je transférer mon contrat ?", "Tout transfert du Contrat est soumis à accord écrit.", False),
    ],
)
def test_party_conflict(question: str, sentence: str, conflict: bool) -> None:
    assert party_conflict(question, sentence, "Acme") is conflict
    assert case_conflict(question, sentence, "Acme") is conflict


def test_the_vendor_s_name_is_the_vendor() -> None:
    asked = asked_party("Acme peut-il céder le contrat ?", "Acme")
    assert asked is not None and asked[0] == "vendor"
    assert party_conflict("Puis-je céder le contrat ?", "Acme pourra céder le Contrat librement.", "Acme")
    # without the vendor's name, "Acme" is no party: no conflict is claimed
    assert not party_conflict("Puis-je céder le contrat ?", "Acme pourra céder le Contrat librement.", "")
    # actions are compared by their stems in one language: a French question and an English sentence with
    # another verb ("céder" / "assign") are no conflict (the check decides alone)
    assert not party_conflict("Puis-je céder le contrat ?", "Acme may assign this Agreement freely.", "Acme")
