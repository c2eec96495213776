"""Units and scales: what follows (or precedes) a number to make it a duration, a percentage or an amount
("48 heures ouvrées", "99 %", "1 000 €", "2 Mds €"); durations and counts written without a digit ("a
year", "tous les mois", "annual", "half", "twice"); and durations as ranges of elapsed hours (to_hours)."""

from __future__ import annotations

import math
import re

from assistant.figures.base import NOT_LETTER_AFTER, NOT_LETTER_BEFORE, Figure, overlaps

# (pattern, unit, factor): longer and more specific first ("heures ouvrées" before "heures").
UNIT_TABLE: tuple[tuple[str, str, float], ...] = (
    (
        r"heures?\s+ouvr(?:ée|é|able)s?|h\s+ouvr(?:ée|é|able)s?|(?:business|working|office)[\s-]+hours?",
        "business_hour",
        1.0,
    ),
    (
        r"jours?\s+ouvr(?:é|able)s?|j\s+ouvr(?:é|able)s?|(?:business|working)[\s-]+days?|work[\s-]?days?",
        "working_day",
        1.0,
    ),
    (r"heures?|hours?|hrs?", "hour", 1.0),
    (r"minutes?|mins?|mn", "minute", 1.0),
    (
        r"jours?(?:\s+(?:calendaires|francs|civils|consécutifs|pleins))?|journées?"
        r"|(?:calendar[\s-]+|consecutive[\s-]+|full[\s-]+)?days?",
        "day",
        1.0,
    ),
    (r"semaines?|(?:calendar[\s-]+)?weeks?", "week", 1.0),
    (r"mois(?:\s+civils?)?|(?:calendar[\s-]+)?months?", "month", 1.0),
    (r"trimestres?|quarters?", "month", 3.0),
    (r"semestres?", "month", 6.0),
    (r"années?|ans?|years?|yrs?", "year", 1.0),
    (r"fortnights?", "day", 14.0),
    (r"quinzaines?", "day", 15.0),
    (r"décennies?|decades?", "year", 10.0),
)
UNIT_RE = re.compile(
    "(?:" + "|".join(f"(?P<u{i}>{p})" for i, (p, _, _) in enumerate(UNIT_TABLE)) + ")" + NOT_LETTER_AFTER,
    re.I,
)
# abbreviations read as units only right after digits ("72h", "48 h", "7j/7")
_ABBREV_RE = re.compile(r"(?P<h>h)(?![^\W\d_])|(?P<j>j)(?![^\W\d_])")
_ADJ_BEFORE_UNIT = re.compile(
    r"(?:working|business|calendar|full|consecutive|clear|whole|additional|further|extra|more|supplémentaires?|"
    r"derni(?:er|ère)s?|premi(?:er|ère)s?|prochain(?:e)?s?|précédent(?:e)?s?|consécuti(?:f|ve)s?|"
    r"last|first|next|previous|preceding|following)\s+",
    re.I,
)
TIMES_RE = re.compile(r"\s*(?:fois|times)" + NOT_LETTER_AFTER, re.I)
PERCENT_RE = re.compile(
    r"\s*(?:%|pour\s*cents?|pourcent|per\s*cent|percent)" + NOT_LETTER_AFTER + "|\\s*%", re.I
)
PERMILLE_RE = re.compile(r"\s*(?:‰|pour\s*mille|per\s*mille)" + NOT_LETTER_AFTER, re.I)
CURRENCY_AFTER: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\s*(?:€|eur(?:os?)?" + NOT_LETTER_AFTER + ")", re.I), "EUR"),
    (
        re.compile(
            r"\s*(?:us\s*\$|\$|usd" + NOT_LETTER_AFTER + r"|(?:us\s+)?dollars?" + NOT_LETTER_AFTER + ")",
            re.I,
        ),
        "USD",
    ),
    (
        re.compile(
            r"\s*(?:£|gbp"
            + NOT_LETTER_AFTER
            + r"|livres?\s+sterling|pounds?(?:\s+sterling)?"
            + NOT_LETTER_AFTER
            + ")",
            re.I,
        ),
        "GBP",
    ),
)
# a currency before the number ("€1,000", "EUR 50 000"); a code is a word of its own (not "Utilisateur")
CURRENCY_BEFORE = re.compile(
    rf"(?:(?P<EUR>€|{NOT_LETTER_BEFORE}(?:EUR|eur))"
    rf"|(?P<USD>{NOT_LETTER_BEFORE}US\$|\$|{NOT_LETTER_BEFORE}USD)"
    rf"|(?P<GBP>£|{NOT_LETTER_BEFORE}GBP))\s*$"
)
_CURRENCY_AHEAD = r"(?=\s?(?:€|\$|£|EUR|USD|GBP|eur|euros?))"
SCALE_RE = re.compile(
    r"(?P<k>\s?[kK](?![^\W\d_]))"
    r"|(?P<M>\s?(?:M|Mio|m)" + _CURRENCY_AHEAD + ")"
    r"|(?P<G>\s?(?:Mds?|Mrds?|bn|Bn)(?![^\W\d_]))"
    r"|\s+(?P<word>mille|thousand|millions?|milliards?|billions?)" + NOT_LETTER_AFTER
)
SCALE_WORDS = {
    "mille": 1e3,
    "thousand": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "milliard": 1e9,
    "milliards": 1e9,
    "billion": 1e9,
    "billions": 1e9,
}
OF_RE = re.compile(r"\s+(?:de\s+|d['’]\s*|of\s+)", re.I)


def unit_at(text: str, pos: int, digits: bool) -> tuple[str, str, float, int] | None:
    """(kind, unit, factor, end) of a unit written at `pos` (after optional blanks or a hyphen)."""
    m = re.compile(r"\s*(?:-\s*)?").match(text, pos)
    p = m.end() if m else pos
    u = UNIT_RE.match(text, p)
    if not u and (adj := _ADJ_BEFORE_UNIT.match(text, p)):  # "15 additional days", "15 working months"
        u = UNIT_RE.match(text, adj.end())
    if u:
        i = int(next(k for k, v in u.groupdict().items() if v is not None)[1:])
        _, unit, factor = UNIT_TABLE[i]
        return "duration", unit, factor, u.end()
    if digits:
        a = _ABBREV_RE.match(text, p)
        if a and p - pos <= 1:
            return "duration", "hour" if a.group("h") else "day", 1.0, a.end()
    return None


# ------------------------------------------------------------------------------ without a digit
_IMPLICIT_RE = re.compile(
    rf"{NOT_LETTER_BEFORE}(?:a|an|per|each|every|par|chaque|tous\s+les|toutes\s+les)\s+"
    rf"(?:(?:calendar|full|single|business|working)\s+)?(?=(?:{'|'.join(p for p, _, _ in UNIT_TABLE)})"
    rf"{NOT_LETTER_AFTER})",
    re.I,
)
_PER_ANNUM = re.compile(r"\bper\s+annum\b", re.I)
_ADJ_TABLE: tuple[tuple[str, str, float], ...] = (
    (r"annual(?:ly)?|yearly|annuel(?:le)?s?|annuellement", "year", 1.0),
    (r"monthly|mensuel(?:le)?s?|mensuellement", "month", 1.0),
    (r"quarterly|trimestriel(?:le)?s?|trimestriellement", "month", 3.0),
    (r"semestriel(?:le)?s?|half[\s-]yearly", "month", 6.0),
    (r"weekly|hebdomadaires?", "week", 1.0),
    (r"daily|quotidien(?:ne)?s?|quotidiennement|journali(?:er|ère)s?", "day", 1.0),
    (r"hourly", "hour", 1.0),
)
_ADJ_RE = re.compile("|".join(f"(?P<a{i}>{p})" for i, (p, _, _) in enumerate(_ADJ_TABLE)), re.I)
_ADJ_BOUNDED = re.compile(rf"{NOT_LETTER_BEFORE}(?:{_ADJ_RE.pattern}){NOT_LETTER_AFTER}", re.I)
_HALF_UNIT_RE = re.compile(
    rf"{NOT_LETTER_BEFORE}(?:half|demi)(?:[\s-]+(?:an?\s+)?|-)(?=(?:"
    rf"{'|'.join(p for p, _, _ in UNIT_TABLE)}){NOT_LETTER_AFTER})",
    re.I,
)
_FRACTION_RE = re.compile(
    rf"{NOT_LETTER_BEFORE}(?P<f>(?:one|a)\s+half|half|moitié|(?:one|a)\s+third|two\s+thirds|"
    rf"three\s+quarters|trois\s+quarts|(?:one|a)\s+quarter(?=\s+of)|un\s+quart|deux\s+tiers|et\s+demie?)"
    rf"{NOT_LETTER_AFTER}",
    re.I,
)
_FRACTIONS = {
    "half": 0.5,
    "moitié": 0.5,
    "third": 1 / 3,
    "thirds": 2 / 3,
    "three quarters": 0.75,
    "trois quarts": 0.75,
    "quarter": 0.25,
    "un quart": 0.25,
    "deux tiers": 2 / 3,
    "demi": 0.5,  # "trois mois et demi"
    "demie": 0.5,
}
_DOZEN_RE = re.compile(rf"{NOT_LETTER_BEFORE}(?:an?|one|une)\s+(?:dozen|douzaine){NOT_LETTER_AFTER}", re.I)
_MULTIPLIER_RE = re.compile(
    r"\b(?:(?P<two>twice)|(?P<three>thrice)|(?P<one>once)(?=\s+(?:a|an|per|every|each)\s))", re.I
)


def implicit_figures(text: str, taken: list[tuple[int, int]]) -> list[Figure]:
    """Durations of one written without a digit ("a year", "per month", "tous les mois", "annual"),
    fractions ("half", "la moitié"), multipliers ("twice")."""
    out: list[Figure] = []

    def add(fig: Figure) -> None:
        if not overlaps(fig.start, fig.end, taken + [(f.start, f.end) for f in out]):
            out.append(fig)

    for m in _HALF_UNIT_RE.finditer(text):
        u = unit_at(text, m.end(), False)
        if u:
            add(Figure("duration", 0.5 * u[2], u[1], text[m.start() : u[3]], m.start(), u[3]))
    for m in _FRACTION_RE.finditer(text):
        f = m.group("f").lower()
        key = next((k for k in ("three quarters", "trois quarts", "un quart", "deux tiers") if k == f), None)
        if key is None:
            key = "thirds" if f.endswith("thirds") else f.split()[-1]
        add(Figure("count", _FRACTIONS[key], "fraction", m.group(), m.start(), m.end()))
    for m in _DOZEN_RE.finditer(text):
        add(Figure("count", 12.0, "", m.group(), m.start(), m.end()))
    for m in _IMPLICIT_RE.finditer(text):
        u = unit_at(text, m.end(), False)
        if u:
            add(Figure("duration", u[2], u[1], text[m.start() : u[3]], m.start(), u[3]))
    for m in _PER_ANNUM.finditer(text):
        add(Figure("duration", 1.0, "year", m.group(), m.start(), m.end()))
    for m in _ADJ_BOUNDED.finditer(text):
        a = _ADJ_RE.fullmatch(m.group())
        if a:
            i = int(next(k for k, v in a.groupdict().items() if v is not None)[1:])
            _, unit, factor = _ADJ_TABLE[i]
            add(Figure("duration", factor, unit, m.group(), m.start(), m.end()))
    for m in _MULTIPLIER_RE.finditer(text):
        v = 2.0 if m.group("two") else 3.0 if m.group("three") else 1.0
        add(Figure("count", v, "times", m.group(), m.start(), m.end()))
    return out


# -------------------------------------------------------------------------------- elapsed time
TO_HOURS = {"minute": 1 / 60, "hour": 1.0, "day": 24.0, "week": 168.0}
TO_MONTHS = {"month": 1.0, "year": 12.0}


def to_hours(fig: Figure) -> tuple[float, float] | None:
    """A duration as a (low, high) range of elapsed hours, for comparing against a limit ("max 72 hours").
    Plain units are exact; months and years span their shortest and longest; business hours and working
    days span from 24-hour working days with no weekend (low) to 7-hour days with weekends and two public
    holidays in the way (high). None for figures that are not durations."""
    if fig.kind != "duration" or math.isnan(fig.value):
        return None
    v = fig.value
    if fig.unit in TO_HOURS:
        h = v * TO_HOURS[fig.unit]
        return h, h
    if fig.unit == "month":
        return v * 28 * 24, v * 31 * 24
    if fig.unit == "year":
        return v * 365 * 24, v * 366 * 24
    if fig.unit in ("working_day", "business_hour"):
        days = v if fig.unit == "working_day" else math.ceil(v / 7)
        low = v * 24 if fig.unit == "working_day" else v
        return low, 24 * (days + 2 * math.ceil(days / 5) + 2 + 1)
    return None
