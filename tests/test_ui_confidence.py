"""The confidence as the page words it (ui/confidence.py): bands of a calibrated probability of being right,
the number as a percentage chance, uncalibrated scores said to be so, never 'low confidence' above 0.6."""

from __future__ import annotations

import pytest

from core.types import Answer, WarningCode
from ui import confidence
from ui.confidence import DOUBTFUL, LIKELY, UNCERTAIN, VERY_LIKELY, band, confidence_line, percent


def _answer(c: float | None, abstained: bool = False, codes: list[str] | None = None) -> Answer:
    return Answer(
        question="q",
        answer="x [1].",
        abstained=abstained,
        confidence=c,
        mode="abstained" if abstained else "generated",
        warning_codes=codes or [],
    )


def test_bands_are_pinned() -> None:
    assert [(b.floor, b.label, b.advice) for b in confidence.BANDS] == [
        (0.8, "Very likely right", ""),
        (0.6, "Likely right", ""),
        (0.4, "Uncertain", "read the clause"),
        (0.0, "Doubtful", "read the clause"),
    ]
    cases = {1.0: VERY_LIKELY, 0.8: VERY_LIKELY, 0.7999: LIKELY, 0.6: LIKELY, 0.5999: UNCERTAIN}
    cases |= {0.4: UNCERTAIN, 0.3999: DOUBTFUL, 0.0: DOUBTFUL, -0.2: DOUBTFUL, 1.7: VERY_LIKELY}
    for p, want in cases.items():
        assert band(p) is want, p


def test_the_number_is_a_percentage_chance() -> None:
    assert percent(0.934) == "93%" and percent(0.605) == "60%" and percent(0.47) == "47%"
    assert percent(0.999) == "99%" and percent(0.001) == "1%"  # a model never knows for certain
    assert (
        confidence_line(_answer(0.934))
        == "Very likely right: an estimated 93% chance that this answer is right."
    )
    assert (
        confidence_line(_answer(0.72)) == "Likely right: an estimated 72% chance that this answer is right."
    )
    assert confidence_line(_answer(0.47)) == (
        "Uncertain: an estimated 47% chance that this answer is right; read the clause."
    )
    assert confidence_line(_answer(0.2)) == (
        "Doubtful: an estimated 20% chance that this answer is right; read the clause."
    )
    assert confidence_line(_answer(None)) == ""
    # the words follow the number shown: 59.6% reads as 60%, so "likely right"
    assert confidence_line(_answer(0.596)).startswith("Likely right: an estimated 60% chance")


@pytest.mark.parametrize("p", [0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 0.99, 1.0])
def test_a_likely_answer_never_reads_as_low_confidence(p: float) -> None:
    line = confidence_line(_answer(p)).lower()
    assert "low" not in line and "doubt" not in line and "uncertain" not in line
    assert "likely right" in line and percent(p) in line


def test_abstention_and_uncalibrated_scores_are_not_a_chance_of_being_right() -> None:
    abst = confidence_line(_answer(0.12, abstained=True))
    assert abst.startswith("Not answered") and "12% chance of answering" in abst and "right" not in abst
    raw = confidence_line(_answer(0.93, codes=[WarningCode.UNCALIBRATED]))
    assert raw.startswith("Not a probability") and "0.93" in raw and "%" not in raw and "judged" in raw
    doubted = confidence_line(_answer(0.1, codes=[WarningCode.UNCALIBRATED]))
    assert "doubted" in doubted and "Read the clause" in doubted


def test_an_abstention_of_the_unanswerable_gate_gives_its_own_chance() -> None:
    """The gate abstained: the line gives P(the documents do not answer), not the closest sentence's
    confidence (which may be higher than the gate's threshold would suggest)."""
    a = _answer(0.62, abstained=True, codes=[WarningCode.ABSTAINED, WarningCode.UNANSWERABLE])
    a.signals = {"p_unanswerable": 0.71}
    assert confidence_line(a) == (
        "Not answered: an estimated 71% chance that the documents do not answer this question."
    )
    a.warning_codes = [WarningCode.ABSTAINED]  # abstained under the confidence threshold
    assert confidence_line(a).startswith("Not answered: the closest sentence found has an estimated 62%")
