"""The figure type and what every reader of figures shares: the kinds and units a figure may have, and
regex pieces for "not inside a word"."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("duration", "percent", "money", "date", "count", "ordinal")
DURATION_UNITS = ("minute", "hour", "business_hour", "day", "working_day", "week", "month", "year")
CURRENCIES = ("EUR", "USD", "GBP")


@dataclass(frozen=True)
class Figure:
    """One figure: `value` is the number as written with its scale applied (1 million -> 1_000_000,
    "half" -> 0.5; a date's ordinal day); `unit` is a duration unit, "percent", a currency, "date" (also
    "month_date" for "May 2018" and "day_month" for "25 May"), or for counts "" / "times" / "fraction" /
    "clock" / "id". A citation marker standing where a number should be ("est de [6] jours") is a figure
    whose value is NaN: it never matches anything. `start`/`end` index the (NFC) text it was parsed from."""

    kind: str
    value: float
    unit: str
    surface: str
    start: int
    end: int


LETTER = r"[^\W\d_]"  # a letter
NOT_LETTER_AFTER = rf"(?!{LETTER})"
NOT_LETTER_BEFORE = rf"(?<!{LETTER})"


def overlaps(s: int, e: int, spans: list[tuple[int, int]]) -> bool:
    """Whether [s, e) overlaps any of the spans (a place already read as a figure)."""
    return any(a < e and s < b for a, b in spans)
