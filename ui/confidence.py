"""How the page words an answer's confidence: bands of `Answer.confidence` read as a calibrated probability
that the answer is right (the engine's confidence model is being recalibrated on left-out vendors so that it
is one), shown as a percentage chance. No Streamlit import: unit-tested alone.

An uncalibrated confidence (`WarningCode.UNCALIBRATED`: the checker's model gave a parsed yes/no, not
probabilities) is said to be one and never worded as a chance.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.types import Answer, WarningCode


@dataclass(frozen=True)
class Band:
    """Confidences from `floor` up to the next band's floor read as `label`; `advice` follows the number."""

    floor: float
    label: str
    advice: str = ""


# Highest first: the first band whose floor the confidence reaches words it.
VERY_LIKELY = Band(0.8, "Very likely right")
LIKELY = Band(0.6, "Likely right")
UNCERTAIN = Band(0.4, "Uncertain", "read the clause")
DOUBTFUL = Band(0.0, "Doubtful", "read the clause")
BANDS: tuple[Band, ...] = (VERY_LIKELY, LIKELY, UNCERTAIN, DOUBTFUL)


def band(p: float) -> Band:
    """The band a probability of being right falls in (clamped to [0, 1])."""
    p = min(1.0, max(0.0, float(p)))
    return next(b for b in BANDS if p >= b.floor)


def whole_percent(p: float) -> int:
    """A probability as a whole percentage from 1 to 99: never 0 or 100, which a model cannot know."""
    return min(99, max(1, round(min(1.0, max(0.0, float(p))) * 100)))


def percent(p: float) -> str:
    """A probability as the reader sees it: '93%'."""
    return f"{whole_percent(p)}%"


def confidence_line(answer: Answer) -> str:
    """The confidence as a reader sees it under an answer, e.g. 'Very likely right: an estimated 93% chance
    that this answer is right.'; '' when the answer was not checked (no confidence)."""
    c = answer.confidence
    if c is None:
        return ""
    c = min(1.0, max(0.0, float(c)))
    if WarningCode.UNCALIBRATED in answer.warning_codes:
        verdict = "judged" if c >= 0.5 else "doubted"
        return (
            f"Not a probability: this model gives a yes/no reply only (score {c:.2f}); the checker {verdict} "
            "that the cited sentence answers the question. Read the clause."
        )
    p_unanswered = (answer.signals or {}).get("p_unanswerable")
    if answer.abstained and WarningCode.UNANSWERABLE in answer.warning_codes and p_unanswered is not None:
        return (
            f"Not answered: an estimated {percent(float(p_unanswered))} chance that the documents do not "
            "answer this question."
        )
    if answer.abstained:
        return (
            f"Not answered: the closest sentence found has an estimated {percent(c)} chance of answering "
            "the question."
        )
    b = band(whole_percent(c) / 100)  # the band of the number shown: 0.596 reads "60%", likely right
    advice = f"; {b.advice}" if b.advice else ""
    return f"{b.label}: an estimated {percent(c)} chance that this answer is right{advice}."
