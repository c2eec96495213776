"""Why a wording of the checked sentence was not shown (the say stage's verdict on what the model wrote),
as codes. The technical detail travels beside the code in the answer's warnings; `assistant.texts` words
each code for the reader."""

from __future__ import annotations

from enum import StrEnum


class Rejection(StrEnum):
    """One reason a wording was rejected. The value is the note written into the answer's warnings; for
    FIGURES, UNVERIFIED and MODEL_UNAVAILABLE the note is the check's or the error's own detail."""

    NOTHING_WRITTEN = "the model wrote nothing"
    NOT_FOUND = "the model found no answer in the sentence"
    MARKUP = "the wording carries markup or a link"
    INSTRUCTION = "the wording carries an instruction"
    SAYS_NOT_ANSWERED = "the model said the sentence does not answer"
    NO_CITATION = "the wording cites no sentence"
    UNKNOWN_CITATION = "the wording cites a sentence that was not given"
    REPEATS_QUESTION = "the wording only repeats the question"
    POLARITY = "the wording's yes or no contradicts the sentence's negation"
    UNSETTLED = "the wording's yes or no is not settled by the two readings of the sentence"
    MISSING_KEY_FACT = "the wording leaves out the clause's key fact (its figure or name)"
    MISSING_CASE = "the wording leaves out the case the clause is limited to"
    MISSING_ITEMS = "the wording leaves out items the sentence enumerates"
    UNSUPPORTED = (
        "the wording is too far in meaning from the sentence it cites"  # (similarity detail follows)
    )
    UNFINISHED = "the wording is unfinished (it stops mid-phrase or leaves a blank to fill in)"
    TRUNCATED = "the wording was cut off at the model's token limit"
    FIGURES = "figure(s) "  # a figure of the wording that the cited sentence does not hold (detail follows)
    UNVERIFIED = "the wording failed the citation check"  # quote, marker or clause checks (detail follows)
    MODEL_UNAVAILABLE = "language model unavailable"  # the model failed while writing (detail follows)

    @property
    def states_no_answer(self) -> bool:
        """Whether the model stated no answer from the sentence it was given (it found none, echoed the
        question, dropped the key fact, or put in a figure the clause does not hold), rather than a fault of
        form (markup, a wrong marker) or of the model itself."""
        return self in _NO_ANSWER

    @classmethod
    def of(cls, note: str) -> Rejection | None:
        """The code of a note as written in an answer's warnings (eval runs record notes, not codes); None
        for a note that is none of them. Check-answer notes are joined with "; "; a figure among them
        decides."""
        f = note.strip()
        if not f:
            return None
        parts = [p.strip() for p in f.split("; ")]
        if any(p.startswith(cls.FIGURES.value) for p in parts):
            return cls.FIGURES
        for r in cls:
            if r is not cls.FIGURES and f.startswith(r.value):
                return r
        return None


_NO_ANSWER = frozenset(
    {
        Rejection.NOT_FOUND,
        Rejection.SAYS_NOT_ANSWERED,
        Rejection.REPEATS_QUESTION,
        Rejection.MISSING_KEY_FACT,
        Rejection.MISSING_CASE,
        Rejection.MISSING_ITEMS,
        Rejection.UNSUPPORTED,
        Rejection.UNFINISHED,
        Rejection.FIGURES,
        Rejection.POLARITY,
        Rejection.UNSETTLED,
    }
)
