"""Calendar dates written in French or English ("25 mai 2018", "2018-05-25", "May 25, 2018", "25/05/2018",
"mai 2018", "25 May"): the one date reader, below every package (the figure reader reads dates through it,
ingest labels document versions with it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTHS_FR = {
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
MONTHS_EN = {
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
_MFR = "|".join(sorted(MONTHS_FR, key=len, reverse=True))
_MEN = "|".join(sorted(MONTHS_EN, key=len, reverse=True))
DATE_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
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


@dataclass(frozen=True)
class FoundDate:
    """A date in a text: `precision` is "date" (day, month, year), "month_date" ("May 2018": the 1st of the
    month) or "day_month" ("25 May": year 2000); `start`/`end` index the text."""

    day: date
    precision: str
    surface: str
    start: int
    end: int


def find_dates(text: str) -> list[FoundDate]:
    """Every date in `text`; where two forms overlap, the one listed first in DATE_RES is read."""
    out: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in DATE_RES:
        for m in rx.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
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
                    mo = MONTHS_FR.get(mon.lower()) or MONTHS_EN.get(mon) or MONTHS_EN[mon.capitalize()]
                    y = int(g["y"]) if g.get("y") else 0
                    d = 1 if g.get("first") else int(g["d"]) if g.get("d") else 0
                if y and d:
                    found = FoundDate(date(y, mo, d), "date", m.group(), m.start(), m.end())
                elif y:
                    found = FoundDate(date(y, mo, 1), "month_date", m.group(), m.start(), m.end())
                else:
                    found = FoundDate(date(2000, mo, d), "day_month", m.group(), m.start(), m.end())
            except (ValueError, KeyError):
                continue
            out.append(found)
            taken.append((m.start(), m.end()))
    return out
