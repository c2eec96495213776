"""Yes or no: the verdict of a closed question ("Can Boost My Mail change its prices?", "Le Prestataire
peut-il sous-traiter ?"), settled by two readings of the sentence that answers it, blind to each other's
errors:

- the negation reading: a "yes" agrees with a sentence whose count of negations has the question's parity
  ("Can it subcontract without consent?" / "It may not subcontract without consent": 1 and 2, so "no");
  it is wrong where the verdict is in the words ("only by a signed amendment" answers "by e-mail?" no);
- the model's reading: the checker's model asked "according to this sentence, is the answer yes or no?"
  (the engine prompt's `verdict` section), read as P(yes) from its first token; it is wrong on long
  conditional sentences, and leans to "no".

Both read an item of an enumeration after the words it completes ("Le Client ne doit pas […] (iv) utiliser
la Solution pour stocker des numéros de carte…": `lists.governing_words`, `lists.read_with`). A verdict is
stated only when both agree, as the verdict and the sentence quoted verbatim. Otherwise the model's wording is
shown only if it states no yes or no of its own (the 1.5B model tends to open with "Yes, <the question
restated>" whatever the sentence says).

Measured on the gold's closed questions with each item's evidence as the sentence (Qwen2.5-Coder-1.5B
Q4_K_M; dev: 27 items over six vendors, AMD EPYC family 25 model 17, 2026-12-07): the negation reading is
right on 24; the model's P(yes) orders them well (ROC AUC 0.967; test, reported only: 0.929 on 33) but its
best single cut is under 0.5 (0.463 on dev, 0.421 on test), and a content-free sentence ("N/A") gets P(yes)
0.07-0.19: the model leans to "no". A band of 0.4-0.5 instead of 0.4-0.6 settles more of those items (21
right and 1 wrong against 18 and 1), but end to end on the dev split, where the engine's chosen sentence is
not always the evidence, it settled three more closed answers: one right ("Yes." for the register of
processing), two wrong ("Yes." before a sentence that keeps data only "pour la durée de l'utilisation du
Service", asked whether data are kept after the contract; "Yes." before a wrongly chosen sentence). The band
stays 0.4-0.6. Tried and not kept either: the sentence before the question in the prompt (AUC 0.856 on dev),
"if the sentence is true, would the answer be yes or no?" (0.956 dev, 0.893 test), the content-free P(yes)
subtracted in log-odds (contextual calibration: no better than the raw P(yes) on either split), and the
negation reading alone unless the model strongly disagrees (on dev's wrongly chosen sentences, 5 or 6 wrong
verdicts out of 16 against 2)"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.check import Checker
from assistant.citations import span_citation
from assistant.lists import read_with
from assistant.outcomes import marked_quote
from assistant.reasons import Rejection
from assistant.say import Said, negation_verdict, yes_no
from assistant.selection import figure_verdict, place_verdict
from assistant.spans import Span
from assistant.texts import t

log = logging.getLogger(__name__)

# The model's reading is "yes" at P(yes) >= YES_AT, "no" at P(yes) <= NO_AT, and no reading between: a
# sentence that does not decide the question leaves it near even odds (0.51-0.53 on the dev split's wrongly
# chosen sentences), and "yes" is also what the negation reading says of any sentence without a negation;
# a band of 0.4-0.5, nearer the model's own even odds, lost more than it gained end to end (above).
YES_AT, NO_AT = 0.6, 0.4


@dataclass(frozen=True)
class Settled:
    """The two readings of a closed question's sentence and the verdict they agree on (None if they do
    not, or if the model could not be asked)."""

    verdict: str | None
    negation: str
    p_yes: float | None = None  # the model's reading; None when there is no model to ask
    by: str | None = None  # "figures" or "places": settled by the sentence's own, before any model reading

    def note(self) -> str:
        """The record of both readings, for the answer's warnings."""
        if self.by == "figures":
            return f"verdict: the sentence's figures against the question's bound -> {self.verdict}"
        if self.by == "places":
            return f"verdict: the places the sentence names against the place asked -> {self.verdict}"
        model = "not asked" if self.p_yes is None else f"P(yes) {self.p_yes:.3f}"
        return f"verdict: negation reading {self.negation}, model {model} -> {self.verdict or 'unsettled'}"


def settle(checker: Checker | None, question: str, sentence: str, label: str) -> Settled:
    """Both readings of `sentence` for the closed `question`. Without a second reader (a test's fake judge)
    the negation reading decides alone, as before the model's reading existed; when the model fails, no
    verdict is settled. A question that bounds a measure ("Does it notify a breach within 48 hours?", "au
    moins 99,5 % ?") is settled by the sentence's figures when they settle it (selection.figure_verdict: 24
    hours yes, 72 hours no), and one that asks only where data are ("Does Basecamp store customer data in the
    EU?") by the places the sentence names (selection.place_verdict); then the model is not asked: it reads
    figures and places worse than they compare."""
    by_negation = negation_verdict(question, sentence)
    if (by_figures := figure_verdict(question, sentence)) is not None:
        return Settled(by_figures, by_negation, by="figures")
    if (by_places := place_verdict(question, sentence)) is not None:
        return Settled(by_places, by_negation, by="places")
    if checker is None:
        return Settled(by_negation, by_negation)
    try:
        p = checker.check(question, " ".join(sentence.split()), label).p_yes
    except Exception as exc:  # noqa: BLE001 - no second reading: no verdict, the sentence is quoted
        log.warning("verdict reading unavailable: %s", exc)
        return Settled(None, by_negation)
    by_model = "yes" if p >= YES_AT else "no" if p <= NO_AT else None
    return Settled(by_negation if by_model == by_negation else None, by_negation, p)


def stated(verdict: str, span: Span, types: Sequence[str], lang: str, lead: str | None = None) -> Said:
    """The answer to a closed question whose verdict is settled: the verdict, then the sentence that decides
    it quoted verbatim ("No. «…» [1]"), after the words it completes when it is an item of an enumeration
    ("No. «Le Client ne doit pas […] (iv) utiliser…» [1]", the elision marked as a legal quote marks it).
    No wording is asked for: the small model's restatement of a closed question is the question with "Yes"
    before it, which can only lose what the sentence says ("we recommend two-factor authentication" read as
    "mandatory")."""
    text = f"{t(lang, verdict)} {marked_quote(read_with(lead, span.text), types)} [1]"
    return Said(text=text, citations=[span_citation(1, span)], verdict=verdict)


def unsettled(said: Said) -> Said:
    """A closed question's wording when no verdict is settled: shown when it states no yes or no of its own
    (it may restate what the sentence says), rejected (Rejection.UNSETTLED) when it does."""
    if said.text and yes_no(said.text) is not None:
        return replace(
            said, text="", citations=[], reason=Rejection.UNSETTLED, failure=Rejection.UNSETTLED.value
        )
    return said
