"""A long sentence is cut at commas into the units the ranker and the check read (core.text.sentence_spans),
but the answer quotes and words the whole sentence (assistant.spans.whole_sentence): the piece alone drops
the condition the rest of the sentence sets."""

from __future__ import annotations

from assistant.check import Checked
from assistant.rank import Candidate
from assistant.single import widened
from assistant.spans import split_clause, whole_sentence
from core.types import Clause

LONG = (
    "Le Client s’interdit de transférer à un tiers le Contrat ou tout ou partie de ses droits et obligations "
    "issus du Contrat, de quelque façon que ce soit, directement ou indirectement, et notamment sans que cela "
    "soit limitatif, par voie de cession de contrat, cession de droits et obligations, location-gérance, "
    "cession de fonds de commerce, cession de branche d’activité, apport partiel d’actifs, fusion ou "
    "absorption, sans accord préalable écrit du Fournisseur."
)
TEXT = "ARTICLE 15. CESSION\n\n" + LONG + " Le Fournisseur pourra transférer librement le Contrat."
OFFSET = 1000


def clause(text: str = TEXT) -> Clause:
    return Clause("c", "v", "V", "v/cgs.txt", "CESSION", OFFSET, OFFSET + len(text), text, "fr", 0, "x")


def test_a_piece_cut_at_a_comma_is_quoted_as_its_whole_sentence() -> None:
    spans = split_clause(clause())
    pieces = [sp for sp in spans if sp.text in LONG and sp.text != LONG]
    assert len(pieces) == 2 and pieces[0].text.endswith("limitatif,")  # the ranker's units
    for piece in pieces:
        whole = whole_sentence(piece)
        assert whole.text == LONG and "sans accord préalable écrit" in whole.text
        assert TEXT[whole.start - OFFSET : whole.end - OFFSET] == whole.text  # still a verbatim slice
        assert (whole.rank, whole.clause_dense, whole.score) == (piece.rank, piece.clause_dense, piece.score)


def test_a_whole_sentence_or_a_too_long_one_is_left_as_it_is() -> None:
    spans = split_clause(clause())
    short = next(sp for sp in spans if sp.text.startswith("Le Fournisseur"))
    assert whole_sentence(short) is short
    piece = next(sp for sp in spans if sp.text.endswith("limitatif,"))
    assert whole_sentence(piece, max_chars=300) is piece


def test_an_enumeration_item_read_with_its_lead_and_a_repeated_sentence_stay_pieces() -> None:
    spans = split_clause(clause())
    first, second = (sp for sp in spans if sp.text in LONG and sp.text != LONG)

    def checked(sp, ask: str) -> Checked:
        return Checked(Candidate(sp, ()), None, 0.9, ask)

    out = widened([checked(first, "a"), checked(second, "b")], {})
    assert out[0].cand.span.text == LONG  # the first ask's answer is the whole sentence
    assert out[1].cand.span is second  # the second ask's would repeat it: it keeps its piece
    assert out[0].ask == "a" and out[0].conf == 0.9
    led = widened([checked(first, "a")], {first.key: "Le Client ne doit pas"})
    assert led[0].cand.span is first


def test_a_sentence_that_introduces_a_list_stays_in_pieces() -> None:
    intro = LONG.removesuffix(".") + ", le Client peut, dans les limites de la loi :"
    spans = split_clause(
        clause("ARTICLE 9. DROITS\n\n" + intro + "\n- obtenir communication ;\n- s'opposer.")
    )
    piece = next(sp for sp in spans if sp.text.endswith("limitatif,"))
    assert whole_sentence(piece) is piece
