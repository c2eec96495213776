"""A sentence that opens by pointing back at the one before it ("If we do so, …", "Such personal data…",
« Dans ce cas, … ») is quoted with it, and a sentence is quoted with the one after it when that one points back
at it (assistant.spans.with_neighbours): alone, the quote does not say what it is about."""

from __future__ import annotations

import pytest

from assistant.check import Checked
from assistant.rank import Candidate
from assistant.single import widened
from assistant.spans import opens_with_back_reference, split_clause, with_neighbours
from core.types import Clause

OFFSET = 500
PRICE = "However, we may choose to change the prices for existing customers."
NOTICE = (
    "If we do so, we will give at least 30 days notice and will notify you via the email address on record."
)
OTHER = "You can cancel at any time."
TEXT = f"2. Pricing\n\n{PRICE} {NOTICE}\n\n{OTHER}"


def clause(text: str = TEXT) -> Clause:
    return Clause("c", "v", "V", "v/terms.md", "Pricing", OFFSET, OFFSET + len(text), text, "en", 0, "x")


def span(text: str, cl: Clause | None = None):
    return next(sp for sp in split_clause(cl or clause()) if sp.text == text)


@pytest.mark.parametrize(
    "sentence",
    [
        "If we do so, we will give notice.",
        "Such personal data may include the surname.",
        "In that case, the fees are refunded.",
        "These subprocessors are located in the EU.",
        "It will be encrypted at rest.",
        "Dans ce cas, le Fournisseur pourra facturer les frais.",
        "Dans la mesure où une telle situation se prolonge, les Parties se concertent.",
        "À défaut d’accord, le contrat pourra être résilié.",
        "Ce plafond est expressément accepté.",
        "Cette notification sera accompagnée de toute documentation utile.",
        "Celle-ci est adressée par courriel.",
    ],
)
def test_sentences_that_point_back(sentence: str) -> None:
    assert opens_with_back_reference(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "This Agreement is governed by the laws of Illinois.",
        "Ce Contrat est conclu pour une durée d’un an.",
        "Cette Politique décrit les traitements.",
        "It is the Customer's responsibility to back up its data.",
        "Il est rappelé que le Client reste responsable.",
        "The Customer may terminate on thirty days' notice.",
        "Le Prestataire héberge les données en France.",
        "Thesis statements are not clauses.",
    ],
)
def test_sentences_that_stand_alone(sentence: str) -> None:
    assert not opens_with_back_reference(sentence)


def test_a_sentence_is_quoted_with_the_one_it_points_back_at_and_the_one_that_points_back_at_it() -> None:
    both = f"{PRICE} {NOTICE}"
    for sp in (span(PRICE), span(NOTICE)):
        wide = with_neighbours(sp)
        assert wide.text == both
        assert TEXT[wide.start - OFFSET : wide.end - OFFSET] == wide.text  # still a verbatim slice
        assert (wide.rank, wide.clause_dense, wide.score) == (sp.rank, sp.clause_dense, sp.score)


def test_no_widening_across_a_blank_line_a_heading_past_the_limit_or_into_another_answer() -> None:
    alone = span(OTHER)
    assert with_neighbours(alone) is alone  # stands alone, and the one before is a paragraph away
    cl = clause(f"{PRICE}\n\n{NOTICE}")
    notice = span(NOTICE, cl)
    assert with_neighbours(notice) is notice  # a blank line between: another paragraph
    headed = clause(f"Price changes\n{NOTICE}")
    notice = span(NOTICE, headed)
    assert with_neighbours(notice) is notice  # a heading does not end as a sentence does
    price = span(PRICE)
    assert with_neighbours(price, max_chars=len(PRICE) + 10) is price
    assert with_neighbours(price, avoid={span(NOTICE).key}) is price  # another ask's answer
    assert with_neighbours(price, "Pricing:") is price  # an enumeration item read after its lead


def test_widened_answers_keep_each_asks_own_sentence() -> None:
    price, notice = span(PRICE), span(NOTICE)

    def checked(sp, ask: str) -> Checked:
        return Checked(Candidate(sp, ()), None, 0.9, ask)

    one = widened([checked(price, "a")], {})
    assert one[0].cand.span.text == f"{PRICE} {NOTICE}"
    assert one[0].checked_sentence == price  # a closed question's verdict is read from it alone
    two = widened([checked(price, "a"), checked(notice, "b")], {})
    assert [c.cand.span.text for c in two] == [PRICE, NOTICE]  # each ask quotes its own sentence
    assert all(c.checked_sentence is None for c in two)
    led = widened([checked(notice, "a")], {notice.key: "Pricing:"})
    assert led[0].cand.span is notice  # an enumeration item read after its lead keeps its elision
