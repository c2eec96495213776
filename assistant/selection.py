"""Selections: a "which vendors…" question whose condition is a bound on a measure ("Which vendors notify a
breach within 48 hours?", "Quels fournisseurs garantissent une disponibilité d'au moins 99,5 % ?", "…give
the customer at least 10 days to object…"). Each vendor's row, found and checked as any comparison row, is
settled by the figures of its sentence: "yes" when one is surely within the bound, "no" when it states
figures of that kind and each is surely outside, "unsettled" otherwise (no such figure, "48 heures ouvrées"
against 48 hours, a negated sentence). The answer names the vendors that meet the condition first
(assistant.rows). A closed question over several vendors that bounds a measure is settled row by row the
same way, and a closed question over one vendor gets its yes or no from the figures before any model reading
(assistant.verdict.settle).

Only bounds are settled, and only by figures. The language model's reading of whether a vendor meets a
condition ("Which vendors host their service on Microsoft Azure? Is Boost My Mail one of them?", the verdict
prompt, both readings required to agree) was measured on the 24 items of evals/gold/selection.jsonl
(Qwen2.5-Coder-1.5B Q4_K_M, AMD EPYC family 25 model 17, 2026-12-07): the cut chosen on dev (P(yes) >= 0.55;
8 right and 1 wrong "yes" rows there, 0.55 also chosen leaving out each vendor in turn) gave 4 right and 6
wrong on test; at the closed questions' 0.6, 3/1 on dev and 2/2 on test. A "yes" right half the time would
mislead a buyer, so those rows keep the clause for the reader to judge, as before. The figures' reading on
the rows of the bounded items (dev 3, test 1): dev 6 "yes" rows right of 7 (the seventh: "within a maximum
of 30 days" read as within "up to three months", which the gold marks no) and 3 "no" rows, none on a vendor
meeting the condition; test 2 "yes" of 2 and 1 "no" of 1, one vendor meeting it left unsettled."""

from __future__ import annotations

from assistant.figures.asked import bounded_measures, meets_bounds
from assistant.query import is_vendor_selection, is_yes_no_question
from assistant.say import negations


def figure_verdict(question: str, sentence: str) -> str | None:
    """ "yes" or "no" when the question bounds a measure (figures.asked.bounded_measures), asked without a
    negation of its own, and the sentence's figures settle it (figures.asked.meets_bounds); None otherwise:
    no bound, a negated question or sentence ("ne notifie pas sous 48 heures"; "without"/"sans" tell how,
    not whether, and do not count), no figure of the bound's kind, or one that may or may not be within."""
    if negations(question) or not bounded_measures(question) or negations(sentence, without=False):
        return None
    met = meets_bounds(question, sentence)
    return None if met is None else "yes" if met else "no"


def is_bounded_selection(question: str) -> bool:
    """A question over several vendors whose rows the figures settle: a "which vendors…" selection
    (query.is_vendor_selection) or a closed question ("Do Humanlinker and LEO Bizdev notify a breach within
    48 hours?") that bounds a measure, asked without a negation ("Which vendors do not notify within 48
    hours?" is left to the reader)."""
    return (
        (is_vendor_selection(question) or is_yes_no_question(question))
        and bool(bounded_measures(question))
        and negations(question) == 0
    )


def settle_row(question: str, sentence: str) -> str:
    """ "yes", "no" or "unsettled": whether the sentence meets the bounded selection's condition, by its
    figures (figure_verdict)."""
    return figure_verdict(question, sentence) or "unsettled"
