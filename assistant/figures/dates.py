"""Dates and times of day: "25 mai 2018", "2018-05-25", "May 25, 2018", "25/05/2018", "mai 2018", "25 May"
(as ordinal days, read by core.dates), and clock times ("14h30", "9:00 am", as hours)."""

from __future__ import annotations

import re

from assistant.figures.base import Figure
from core.dates import find_dates

CLOCK_RE = re.compile(
    r"(?<![\w.,])(?P<h>[01]?\d|2[0-3])\s?[hH:]\s?(?P<m>[0-5]\d)(?!\d)"
    r"|(?<![\w.,])(?P<h2>1[0-2]|0?\d)(?::(?P<m2>[0-5]\d))?\s?(?P<ampm>[ap])\.?m\.?(?!\w)",
    re.I,
)


def clock_value(m: re.Match[str]) -> float:
    """The hour of the day (with its minutes as a fraction) of a CLOCK_RE match."""
    if m.group("ampm"):
        h = int(m.group("h2")) % 12 + (12 if m.group("ampm").lower() == "p" else 0)
        return h + int(m.group("m2") or 0) / 60
    return int(m.group("h")) + int(m.group("m")) / 60


def date_figures(text: str) -> list[Figure]:
    """Every date in `text` as a figure (core.dates reads them): its value is the ordinal day."""
    return [
        Figure("date", float(d.day.toordinal()), d.precision, d.surface, d.start, d.end)
        for d in find_dates(text)
    ]
