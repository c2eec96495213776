"""The kind of figure a question asks for, and the sentences that cannot answer it (assistant.figures.asked).
Questions and sentences are written for this test, in the forms any vendor's terms and any buyer's questions
take; none comes from the gold sets."""

from __future__ import annotations

import pytest

from assistant.figures.asked import asked_kinds, lacks_asked_figure


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("How many days does the customer have to pay an invoice?", {"duration"}),
        ("Within how many business days must Acme answer a support ticket?", {"duration"}),
        ("How many hours' notice does Acme give before maintenance?", {"duration"}),
        ("Combien de jours le client a-t-il pour contester une facture ?", {"duration"}),
        ("En combien d’heures Acme rétablit-il le service ?", {"duration"}),
        ("Sous combien de semaines les données sont-elles supprimées ?", {"duration"}),
        ("What percentage of the monthly fee is credited after an outage?", {"percent"}),
        ("Quel pourcentage de disponibilité Acme garantit-il ?", {"percent"}),
        ("How much does the Pro plan cost per seat?", {"money"}),
        ("Combien coûte une licence supplémentaire ?", {"money"}),
        ("What is the monthly price of the Team plan?", {"money"}),
        ("Quel est le prix annuel de l'offre Entreprise ?", {"money"}),
        ("Quels sont les tarifs de l'offre ?", {"money"}),
        # two asks, two kinds
        ("How many days of notice apply, and what percentage is refunded?", {"duration", "percent"}),
        # not a figure the question names: a duration asked "how long", a notice, an amount, a count
        ("How long does Acme keep backups?", set()),
        ("Combien de temps les données sont-elles conservées ?", set()),
        ("What notice must Acme give before changing its prices?", set()),
        ("How much notice does Acme give before a price change?", set()),
        ("What is the price change notice period?", set()),
        ("Quel est le montant du plafond de responsabilité ?", set()),
        ("What amount is Acme's liability capped at?", set()),
        ("How many sub-processors does Acme use?", set()),
        ("How much must the customer pay if it terminates early?", set()),
        ("Is the uptime expressed as a percentage?", set()),
        ("Does Acme charge for data export?", set()),
    ],
)
def test_asked_kinds(question: str, kinds: set[str]) -> None:
    assert asked_kinds(question) == kinds


@pytest.mark.parametrize(
    ("question", "sentence", "lacks"),
    [
        # the figure is there, in words or digits, in either language
        (
            "How many days does the customer have to object?",
            "The customer may object within thirty days.",
            False,
        ),
        ("Combien de jours pour contester ?", "Le Client dispose d'un délai de quinze (15) jours.", False),
        ("How many days does Acme keep logs?", "Logs are kept for three months.", False),  # another unit
        ("What percentage is credited?", "Acme credits 10 % of the monthly fee.", False),
        ("How much does the Pro plan cost?", "The Pro plan is $12 per user per month.", False),
        ("Combien coûte l'offre Découverte ?", "L'offre Découverte est gratuite.", False),
        ("What is the price of extra storage?", "Extra storage is billed at 5% of the subscription.", False),
        # a cell glued to its row's label by a lost separator is still read
        ("En combien de jours l'incident est-il corrigé ?", "Délai de correction3 j.5 j.N/A", False),
        # no figure of the asked kind
        ("How many days does the customer have to object?", "The customer may object in writing.", True),
        (
            "What percentage of uptime does Acme guarantee?",
            "Acme's liability is capped at 12 months of fees.",
            True,
        ),
        ("How much does a licence cost?", "Prices are set by the vendor's current rate card.", True),
        ("Combien coûte l'abonnement ?", "Le Client paie l'abonnement dans les 30 jours.", True),
        ("What is the monthly price?", "Acme may change its prices with 30 days' notice.", True),
        # a question that asks for no figure never lacks one
        ("Who is Acme's data protection officer?", "Acme has appointed a DPO.", False),
    ],
)
def test_lacks_asked_figure(question: str, sentence: str, lacks: bool) -> None:
    assert lacks_asked_figure(question, sentence) is lacks


def test_two_kinds_need_both() -> None:
    q = "How many days of notice apply, and what percentage is refunded?"
    assert lacks_asked_figure(q, "Notice of 30 days applies.")
    assert not lacks_asked_figure(q, "Notice of 30 days applies and 50 % is refunded.")
