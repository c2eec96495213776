"""Dates and times of day: "25 mai 2018", "2018-05-25", "May 25, 2018", "25/05/2018", "mai 2018", "25 May"
(as ordinal days), and clock times ("14h30", "9:00 am", as hours)."""

from __future__ import annotations

import re
from datetime import date

from assistant.figures.base import Figure, overlaps

CLOCK_RE = re.compile(
    r"(?<![\w.,])(?P<h>[01]?\d|2[0-3])\s?[hH:]\s?(?P<m>[0-5]\d)(?!\d)"
    r"|(?<![\w.,])(?P<h2>1[0-2]|0?\d)(?::(?P<m2>[0-5]\d))?\s?(?P<ampm>[ap])\.?m\.?(?!\w)",
    re.I,
)

_MONTHS_FR = {
    "janvier": 1,
    "février": 2,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "août": 8,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "décembre": 12,
    "decembre": 12,
}
_MONTHS_EN = {
    "January": 1,
    "February": 2,
    "March": 3,
    "April": 4,
    "May": 5,
    "June": 6,
    "July": 7,
    "August": 8,
    "September": 9,
    "October": 10,
    "November": 11,
    "December": 12,
    "Jan": 1,
    "Feb": 2,
    "Mar": 3,
    "Apr": 4,
    "Jun": 6,
    "Jul": 7,
    "Aug": 8,
    "Sep": 9,
    "Sept": 9,
    "Oct": 10,
    "Nov": 11,
    "Dec": 12,
}
_MFR = "|".join(sorted(_MONTHS_FR, key=len, reverse=True))
_MEN = "|".join(sorted(_MONTHS_EN, key=len, reverse=True))
_DATE_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"(?<![\d/.-])(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d-])")),
    (
        "num",
        re.compile(
            r"(?<![\d/.-])(?P<a>\d{1,2})(?P<s>[/.-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})"
            r"(?![\d/]|[.-]\d)"
        ),
    ),
    (
        "fr",
        re.compile(
            rf"(?<!\w)(?:(?P<d>\d{{1,2}})(?:er|ᵉʳ)?|(?P<first>premier))\s+(?P<mon>{_MFR})"
            rf"(?:\s+(?P<y>\d{{4}}))?(?!\w)",
            re.I,
        ),
    ),
    (
        "en_md",
        re.compile(
            rf"(?<!\w)(?P<mon>{_MEN})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
            rf"(?:,?\s+(?P<y>\d{{4}}))?(?!\w)"
        ),
    ),
    (
        "en_dm",
        re.compile(
            rf"(?<!\w)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MEN})\.?"
            rf"(?:,?\s+(?P<y>\d{{4}}))?(?!\w)"
        ),
    ),
    ("my", re.compile(rf"(?<!\w)(?P<mon>{_MFR}|{_MEN})\s+(?P<y>\d{{4}})(?!\w)")),
)


def clock_value(m: re.Match[str]) -> float:
    """The hour of the day (with its minutes as a fraction) of a CLOCK_RE match."""
    if m.group("ampm"):
        h = int(m.group("h2")) % 12 + (12 if m.group("ampm").lower() == "p" else 0)
        return h + int(m.group("m2") or 0) / 60
    return int(m.group("h")) + int(m.group("m")) / 60


def date_figures(text: str) -> list[Figure]:
    """Every date in `text`; where two forms overlap, the one listed first in _DATE_RES is read."""
    out: list[Figure] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _DATE_RES:
        for m in rx.finditer(text):
            if overlaps(m.start(), m.end(), taken):
                continue
            g = m.groupdict()
            try:
                if kind == "iso":
                    y, mo, d = int(g["y"]), int(g["m"]), int(g["d"])
                elif kind == "num":
                    a, b, y = int(g["a"]), int(g["b"]), int(g["y"])
                    y = y + 2000 if y < 100 else y
                    d, mo = (b, a) if b > 12 >= a else (a, b)  # day first unless that cannot be
                else:
                    mon = g["mon"]
                    mo = _MONTHS_FR.get(mon.lower()) or _MONTHS_EN.get(mon) or _MONTHS_EN[mon.capitalize()]
                    y = int(g["y"]) if g.get("y") else 0
                    d = 1 if g.get("first") else int(g["d"]) if g.get("d") else 0
                if y and d:
                    fig = Figure(
                        "date", float(date(y, mo, d).toordinal()), "date", m.group(), m.start(), m.end()
                    )
                elif y:
                    fig = Figure(
                        "date", float(date(y, mo, 1).toordinal()), "month_date", m.group(), m.start(), m.end()
                    )
                else:
                    fig = Figure(
                        "date",
                        float(date(2000, mo, d).toordinal()),
                        "day_month",
                        m.group(),
                        m.start(),
                        m.end(),
                    )
            except (ValueError, KeyError):
                continue
            out.append(fig)
            taken.append((m.start(), m.end()))
    return out
