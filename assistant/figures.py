"""Figures in contract text as typed values, in French and English: (kind, value, unit) with their place in
the text. An answer's figure is checked against its quotes by meaning, not by digits: "trois (3) mois" is
not "3 years", "quatre-vingt-dix-neuf pour cent (99 %)" is not 100 %, "1 000 €" is not "€1,000,000",
"2018-05-25" is "25 mai 2018", and "48 heures ouvrées" is neither 48 plain hours nor the client's 72h in
the same sentence (role agreement). Number words are read by text2num ("vingt et un", "quatre-vingt-dix-
neuf", "twenty-one"); everything else is small regular expressions, so it is fast and predictable."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from text_to_num import text2num

from assistant.glossary import translate_terms
from core.markers import MARKER_RE, strip_markers
from vectorstore.bm25 import tokenize

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


# ----------------------------------------------------------------------------------------------- lexicon
_L = r"[^\W\d_]"  # a letter
_NOT_LETTER_AFTER = rf"(?!{_L})"
_NOT_LETTER_BEFORE = rf"(?<!{_L})"

# (pattern, unit, factor): longer and more specific first ("heures ouvrées" before "heures").
_UNIT_TABLE: tuple[tuple[str, str, float], ...] = (
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
_UNIT_RE = re.compile(
    "(?:" + "|".join(f"(?P<u{i}>{p})" for i, (p, _, _) in enumerate(_UNIT_TABLE)) + ")" + _NOT_LETTER_AFTER,
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
_TIMES_RE = re.compile(r"\s*(?:fois|times)" + _NOT_LETTER_AFTER, re.I)
_PERCENT_RE = re.compile(
    r"\s*(?:%|pour\s*cents?|pourcent|per\s*cent|percent)" + _NOT_LETTER_AFTER + "|\\s*%", re.I
)
_PERMILLE_RE = re.compile(r"\s*(?:‰|pour\s*mille|per\s*mille)" + _NOT_LETTER_AFTER, re.I)
_CURRENCY_AFTER: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\s*(?:€|eur(?:os?)?" + _NOT_LETTER_AFTER + ")", re.I), "EUR"),
    (
        re.compile(
            r"\s*(?:us\s*\$|\$|usd" + _NOT_LETTER_AFTER + r"|(?:us\s+)?dollars?" + _NOT_LETTER_AFTER + ")",
            re.I,
        ),
        "USD",
    ),
    (
        re.compile(
            r"\s*(?:£|gbp"
            + _NOT_LETTER_AFTER
            + r"|livres?\s+sterling|pounds?(?:\s+sterling)?"
            + _NOT_LETTER_AFTER
            + ")",
            re.I,
        ),
        "GBP",
    ),
)
_CURRENCY_BEFORE = re.compile(r"(?:(?P<EUR>€|EUR|eur)|(?P<USD>US\$|\$|USD)|(?P<GBP>£|GBP))\s*$")
_CURRENCY_AHEAD = r"(?=\s?(?:€|\$|£|EUR|USD|GBP|eur|euros?))"
_SCALE_RE = re.compile(
    r"(?P<k>\s?[kK](?![^\W\d_]))"
    r"|(?P<M>\s?(?:M|Mio|m)" + _CURRENCY_AHEAD + ")"
    r"|(?P<G>\s?(?:Mds?|Mrds?|bn|Bn)(?![^\W\d_]))"
    r"|\s+(?P<word>mille|thousand|millions?|milliards?|billions?)" + _NOT_LETTER_AFTER
)
_SCALE_WORDS = {
    "mille": 1e3,
    "thousand": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "milliard": 1e9,
    "milliards": 1e9,
    "billion": 1e9,
    "billions": 1e9,
}
_OF = re.compile(r"\s+(?:de\s+|d['’]\s*|of\s+)", re.I)

# number words (text2num reads the phrases; this only finds them)
_EN_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred thousand million billion"
).split()
_FR_WORDS = (
    "zéro zero un une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze "
    "seize vingt vingts trente quarante cinquante soixante cent cents mille million millions "
    "milliard milliards"
).split()
_FR_ONLY = set(_FR_WORDS) - set(_EN_WORDS)
_EN_ONLY = set(_EN_WORDS) - set(_FR_WORDS)
_ARTICLES = {"un", "une", "one"}
_SCALE_ONLY = {
    "mille",
    "thousand",
    "million",
    "millions",
    "milliard",
    "milliards",
    "billion",
    "billions",
    "hundred",
    "cent",
    "cents",
}
_W = "|".join(sorted(set(_EN_WORDS) | set(_FR_WORDS), key=len, reverse=True))
_SEP = r"(?:\s*-\s*|\s+)"
_PHRASE_RE = re.compile(
    rf"{_NOT_LETTER_BEFORE}(?:{_W})(?:{_SEP}(?:(?:et|and){_SEP})?(?:{_W}))*{_NOT_LETTER_AFTER}", re.I
)
_TOKEN_RE = re.compile(rf"{_L}+", re.I)

_EN_ORD = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
    "fortieth": 40,
    "fiftieth": 50,
    "sixtieth": 60,
    "hundredth": 100,
}
_TIME_NOUN = (
    r"(?:(?:business|working|calendar|full)\s+)?(?:days?|months?|years?|weeks?|quarters?|hours?"
    r"|semesters?|anniversary|jours?|mois|années?|ans?|semaines?|trimestres?|semestres?|heures?"
    r"|anniversaire)"
)
_ORD_WORD_RE = re.compile(
    rf"{_NOT_LETTER_BEFORE}(?P<w>(?:(?:{_W}){_SEP}(?:(?:et|and){_SEP})?)*"
    rf"(?:premi(?:er|ère)s?|{_L}+ièmes?|{'|'.join(_EN_ORD)}))\s+{_TIME_NOUN}{_NOT_LETTER_AFTER}",
    re.I,
)
_ORD_SUFFIX = re.compile(r"(?:ers?|res?|ères?|ème|eme|e|è|st|nd|rd|th)(?![^\W\d_])")

_DIGITS_RE = re.compile(
    r"(?<![\w.,])(?:\d{1,3}(?P<sep>[ \u00a0\u202f.,'’])\d{3}(?:(?P=sep)\d{3})*(?:[.,]\d+)?"
    r"|\d+(?:[.,]\d+)?)(?!\d)"
)
_CLOCK_RE = re.compile(
    r"(?<![\w.,])(?P<h>[01]?\d|2[0-3])\s?[hH:]\s?(?P<m>[0-5]\d)(?!\d)"
    r"|(?<![\w.,])(?P<h2>1[0-2]|0?\d)(?::(?P<m2>[0-5]\d))?\s?(?P<ampm>[ap])\.?m\.?(?!\w)",
    re.I,
)
_PHONE_RE = re.compile(r"(?<![\w.+])(?:\+33\s?|0)[1-9](?:[ .]?\d{2}){4}(?!\d)")
_MARKER_UNIT_RE = re.compile(MARKER_RE.pattern + r"\s*(?:-\s*)?")

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

_IMPLICIT_RE = re.compile(
    rf"{_NOT_LETTER_BEFORE}(?:a|an|per|each|every|par|chaque|tous\s+les|toutes\s+les)\s+"
    rf"(?:(?:calendar|full|single|business|working)\s+)?(?=(?:{'|'.join(p for p, _, _ in _UNIT_TABLE)})"
    rf"{_NOT_LETTER_AFTER})",
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
_ADJ_BOUNDED = re.compile(rf"{_NOT_LETTER_BEFORE}(?:{_ADJ_RE.pattern}){_NOT_LETTER_AFTER}", re.I)
_HALF_UNIT_RE = re.compile(
    rf"{_NOT_LETTER_BEFORE}(?:half|demi)(?:[\s-]+(?:an?\s+)?|-)(?=(?:"
    rf"{'|'.join(p for p, _, _ in _UNIT_TABLE)}){_NOT_LETTER_AFTER})",
    re.I,
)
_FRACTION_RE = re.compile(
    rf"{_NOT_LETTER_BEFORE}(?P<f>(?:one|a)\s+half|half|moitié|(?:one|a)\s+third|two\s+thirds|"
    rf"three\s+quarters|trois\s+quarts|(?:one|a)\s+quarter(?=\s+of)|un\s+quart|deux\s+tiers|et\s+demie?)"
    rf"{_NOT_LETTER_AFTER}",
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
_DOZEN_RE = re.compile(rf"{_NOT_LETTER_BEFORE}(?:an?|one|une)\s+(?:dozen|douzaine){_NOT_LETTER_AFTER}", re.I)
_MULTIPLIER_RE = re.compile(
    r"\b(?:(?P<two>twice)|(?P<three>thrice)|(?P<one>once)(?=\s+(?:a|an|per|every|each)\s))", re.I
)
_RANGE_GAP = re.compile(r"^\s*(?:à|au|-|–|to|ou|or)\s*$", re.I)
_RANGE_AND = re.compile(r"^\s*(?:et|and)\s*$", re.I)
_RANGE_OPEN = re.compile(r"(?:entre|between|from|de)\s*$", re.I)


# ------------------------------------------------------------------------------------------- parsing
@dataclass
class _Num:
    start: int
    end: int
    value: float
    digits: bool
    article: bool = False
    tail: int = -1  # where its unit is read from (after a mismatched "quarante-huit (72)": after the ")")


def _digit_value(token: str) -> float:
    """ "100 000,00" -> 100000; "1.500" / "1,500" -> 1500 (one separator before exactly three digits is a
    thousands separator); "99,9" -> 99.9; "1,000.50" -> 1000.5; "0,375" -> 0.375."""
    t = re.sub(r"[ \u00a0\u202f'’]", "", token)
    dots, commas = t.count("."), t.count(",")
    if dots and commas:
        dec = "." if t.rfind(".") > t.rfind(",") else ","
        other = "," if dec == "." else "."
        return float(t.replace(other, "").replace(dec, "."))
    sep = "." if dots else "," if commas else ""
    if not sep:
        return float(t)
    if t.count(sep) > 1:
        return float(t.replace(sep, ""))
    head, tail = t.split(sep)
    if len(tail) == 3 and head != "0":
        return float(head + tail)
    return float(head + "." + tail)


def _words_value(phrase: str) -> float | None:
    words = [w.lower() for w in _TOKEN_RE.findall(phrase)]
    lang = "fr" if _FR_ONLY & set(words) else "en" if _EN_ONLY & set(words) else "fr"
    try:
        return float(text2num(" ".join(re.split(r"[\s\-]+", phrase.lower().strip())), lang))
    except (ValueError, TypeError):
        return None


def _word_numbers(text: str, taken: list[tuple[int, int]]) -> list[_Num]:
    """Number-word phrases, split into valid numbers ("dix deux" -> 10, 2) by text2num."""
    out: list[_Num] = []
    for m in _PHRASE_RE.finditer(text):
        toks = [
            (t.start() + m.start(), t.end() + m.start(), t.group().lower())
            for t in _TOKEN_RE.finditer(m.group())
        ]
        i = 0
        while i < len(toks):
            if toks[i][2] in ("et", "and"):
                i += 1
                continue
            best: tuple[int, float] | None = None
            for j in range(len(toks), i, -1):
                if toks[j - 1][2] in ("et", "and"):
                    continue
                v = _words_value(text[toks[i][0] : toks[j - 1][1]])
                if v is not None:
                    best = (j, v)
                    break
            if best is None:
                i += 1
                continue
            j, v = best
            s, e = toks[i][0], toks[j - 1][1]
            words = [t[2] for t in toks[i:j]]
            before = text[max(0, s - 12) : s]
            i = j
            if words[0] in ("cent", "cents", "mille") and re.search(r"(?:pour|per)\s*$", before, re.I):
                continue  # "pour cent", "pour mille": a percent or per-mille sign, not 100 or 1000
            if all(w in _SCALE_ONLY for w in words) and re.search(r"\d\s*$", before):
                continue  # "100 mille", "1 million": a scale, read with the digits
            if any(a < e and s < b for a, b in taken):
                continue
            out.append(_Num(s, e, v, digits=False, article=len(words) == 1 and words[0] in _ARTICLES))
    return out


def _overlaps(s: int, e: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < e and s < b for a, b in spans)


def _date_figures(text: str) -> list[Figure]:
    out: list[Figure] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _DATE_RES:
        for m in rx.finditer(text):
            if _overlaps(m.start(), m.end(), taken):
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


def _unit_at(text: str, pos: int, digits: bool) -> tuple[str, str, float, int] | None:
    """(kind, unit, factor, end) of a unit written at `pos` (after optional blanks or a hyphen)."""
    m = re.compile(r"\s*(?:-\s*)?").match(text, pos)
    p = m.end() if m else pos
    u = _UNIT_RE.match(text, p)
    if not u and (adj := _ADJ_BEFORE_UNIT.match(text, p)):  # "15 additional days", "15 working months"
        u = _UNIT_RE.match(text, adj.end())
    if u:
        i = int(next(k for k, v in u.groupdict().items() if v is not None)[1:])
        _, unit, factor = _UNIT_TABLE[i]
        return "duration", unit, factor, u.end()
    if digits:
        a = _ABBREV_RE.match(text, p)
        if a and p - pos <= 1:
            return "duration", "hour" if a.group("h") else "day", 1.0, a.end()
    return None


def _number_figures(text: str, taken: list[tuple[int, int]]) -> list[Figure]:
    nums: list[_Num] = []
    for m in _DIGITS_RE.finditer(text):
        if not _overlaps(m.start(), m.end(), taken):
            nums.append(_Num(m.start(), m.end(), _digit_value(m.group()), digits=True))
    nums += _word_numbers(text, taken + [(n.start, n.end) for n in nums])
    nums.sort(key=lambda n: n.start)
    # a number and its other spelling in brackets are one figure: "quarante-huit (48)", "72 (seventy-two)"
    merged: list[_Num] = []
    for n in nums:
        prev = merged[-1] if merged else None
        if prev and re.fullmatch(r"\s*\(\s*", text[prev.end : n.start]):
            close = re.compile(r"\s*\)").match(text, n.end)
            if close and prev.digits != n.digits and abs(prev.value - n.value) < 1e-9:
                merged[-1] = _Num(prev.start, close.end(), n.value, digits=True)
                continue
            if close and prev.digits != n.digits:  # two spellings that disagree: both take the unit after
                prev.tail = n.tail = close.end()
        merged.append(n)
    out: list[Figure] = []
    for n in merged:
        fig = _read_number(text, n)
        if fig is not None:
            out.append(fig)
    return out


def _read_number(text: str, n: _Num) -> Figure | None:
    """The figure a number starts: its scale, then percent, currency, duration unit or "fois"/"times"."""
    value, pos = n.value, (n.tail if n.tail >= 0 else n.end)
    if n.digits and _ORD_SUFFIX.match(text, pos):
        end = _ORD_SUFFIX.match(text, pos).end()  # type: ignore[union-attr]
        return Figure("ordinal", value, "", text[n.start : end], n.start, end)
    before = text[max(0, n.start - 6) : n.start]
    cur_before = _CURRENCY_BEFORE.search(before)
    scaled = False
    s = _SCALE_RE.match(text, pos)
    if s and (n.digits or s.group("word")):
        if s.group("k"):
            value *= 1e3
        elif s.group("M") or s.group("G"):
            value *= 1e6 if s.group("M") else 1e9
        else:
            value *= _SCALE_WORDS[s.group("word").lower()]
        pos, scaled = s.end(), True
    elif cur_before and n.digits:
        m_abbr = re.compile(r"\s?(?:m|M|mn)(?![^\W\d_])|\s?(?:bn|Bn)(?![^\W\d_])").match(text, pos)
        if m_abbr:
            value *= 1e9 if "n" in m_abbr.group().lower() and "b" in m_abbr.group().lower() else 1e6
            pos, scaled = m_abbr.end(), True
    p = _PERCENT_RE.match(text, pos)
    if p and not scaled:
        return Figure("percent", value, "percent", text[n.start : p.end()], n.start, p.end())
    p = _PERMILLE_RE.match(text, pos)
    if p and not scaled:  # "cinq (5) pour mille" = 0.5 %
        return Figure("percent", value / 10, "percent", text[n.start : p.end()], n.start, p.end())
    of = _OF.match(text, pos) if scaled or not n.digits else None
    for rx, cur in _CURRENCY_AFTER:
        c = rx.match(text, pos) or (rx.match(text, of.end()) if of else None)
        if c:
            return Figure("money", value, cur, text[n.start : c.end()], n.start, c.end())
    if cur_before:
        cur = next(k for k, v in cur_before.groupdict().items() if v)
        start = n.start - (len(before) - cur_before.start())
        return Figure("money", value, cur, text[start:pos], start, pos)
    if not scaled:
        u = _unit_at(text, pos, n.digits)
        if u:
            kind, unit, factor, end = u
            return Figure(kind, value * factor, unit, text[n.start : end], n.start, end)
        t = _TIMES_RE.match(text, pos)
        if t and (
            not n.article
            or re.compile(r"\s+(?:par|tous|toutes|chaque|per|a|an|every|each)\b", re.I).match(text, t.end())
        ):
            return Figure("count", value, "times", text[n.start : t.end()], n.start, t.end())
    if n.article:
        return None  # "un", "une", "one" without a unit: an article
    return Figure("count", value, "", text[n.start : pos], n.start, pos)


def _ordinal_words(text: str, taken: list[tuple[int, int]]) -> list[Figure]:
    out: list[Figure] = []
    for m in _ORD_WORD_RE.finditer(text):
        s, e = m.span("w")
        if _overlaps(s, e, taken):
            continue
        w = m.group("w").lower()
        last = re.split(r"[\s-]+", w)[-1]
        head = w[: len(w) - len(last)]
        v: float | None = None
        if last in _EN_ORD:
            v = float(_EN_ORD[last])
            if head.strip(" -"):
                hv = _words_value(head.strip(" -"))
                v = None if hv is None else hv + v
        elif last.startswith("premi"):
            v = 1.0 if not head.strip() else None
        else:
            stem = re.sub(r"ièmes?$", "", last)
            for cand in (stem, stem + "e", stem[:-1] + "f" if stem.endswith("v") else stem, stem.rstrip("u")):
                v = _words_value((head + cand).strip(" -"))
                if v is not None:
                    break
        if v is not None:
            out.append(Figure("ordinal", v, "", text[s:e], s, e))
    return out


def _implicit_figures(text: str, taken: list[tuple[int, int]]) -> list[Figure]:
    """Durations of one written without a digit ("a year", "per month", "tous les mois", "annual"),
    fractions ("half", "la moitié"), multipliers ("twice")."""
    out: list[Figure] = []

    def add(fig: Figure) -> None:
        if not _overlaps(fig.start, fig.end, taken + [(f.start, f.end) for f in out]):
            out.append(fig)

    for m in _HALF_UNIT_RE.finditer(text):
        u = _unit_at(text, m.end(), False)
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
        u = _unit_at(text, m.end(), False)
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


def _marker_figures(text: str) -> list[Figure]:
    """A unit written with a citation marker where its number should be ("est de [6] jours", "[2] %"):
    a fabricated figure (value NaN)."""
    out: list[Figure] = []
    for m in _MARKER_UNIT_RE.finditer(text):
        pos = m.end()
        if not re.search(r"\w", text[max(0, m.start() - 30) : m.start()]):
            continue  # a marker at the start of a line or text: the start of an extract, not a figure
        u = _unit_at(text, pos, False)
        fig: Figure | None = None
        if u and u[0] == "duration":
            fig = Figure("duration", math.nan, u[1], text[m.start() : u[3]], m.start(), u[3])
        elif (p := _PERCENT_RE.match(text, pos)) is not None:
            fig = Figure("percent", math.nan, "percent", text[m.start() : p.end()], m.start(), p.end())
        else:
            for rx, cur in _CURRENCY_AFTER:
                c = rx.match(text, pos)
                if c:
                    fig = Figure("money", math.nan, cur, text[m.start() : c.end()], m.start(), c.end())
                    break
        if fig is not None:
            out.append(fig)
    return out


def _propagate_ranges(text: str, figs: list[Figure]) -> list[Figure]:
    """ "5 à 10 jours", "between 10 and 20 %": the first bound takes the unit of the second."""
    out = list(figs)
    for i in range(len(out) - 1):
        a, b = out[i], out[i + 1]
        if (
            a.kind == "count"
            and a.unit == ""
            and b.kind in ("duration", "percent")
            and not text[: a.start].endswith("/")
            and (
                _RANGE_GAP.match(text[a.end : b.start])
                or (_RANGE_AND.match(text[a.end : b.start]) and _RANGE_OPEN.search(text[: a.start]))
            )
        ):
            u = _UNIT_RE.search(b.surface) if b.kind == "duration" else None
            factor = _UNIT_TABLE[int(next(k for k, v in u.groupdict().items() if v)[1:])][2] if u else 1.0
            out[i] = Figure(b.kind, a.value * factor, b.unit, a.surface, a.start, a.end)
    return out


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[Figure, ...]:
    figs = _marker_figures(text)
    work = strip_markers(text, lambda m: " " * len(m.group()))  # markers are never figures
    taken = [(f.start, f.end) for f in figs]
    for rx, kind, unit in ((_PHONE_RE, "count", "id"), (_CLOCK_RE, "count", "clock")):
        for m in rx.finditer(work):
            if _overlaps(m.start(), m.end(), taken):
                continue
            if unit == "id":
                v = float(re.sub(r"\D", "", m.group()))
            elif m.group("ampm"):
                h = int(m.group("h2")) % 12 + (12 if m.group("ampm").lower() == "p" else 0)
                v = h + int(m.group("m2") or 0) / 60
            else:
                v = int(m.group("h")) + int(m.group("m")) / 60
            figs.append(Figure(kind, v, unit, m.group(), m.start(), m.end()))
            taken.append((m.start(), m.end()))
    for f in _date_figures(work):
        if not _overlaps(f.start, f.end, taken):
            figs.append(f)
            taken.append((f.start, f.end))
    ords = _ordinal_words(work, taken)
    figs += ords
    taken += [(f.start, f.end) for f in ords]
    nums = _number_figures(work, taken)
    figs += nums
    taken += [(f.start, f.end) for f in nums]
    figs += _implicit_figures(work, taken)
    figs.sort(key=lambda f: (f.start, f.end))
    figs = _propagate_ranges(work, figs)
    return tuple(Figure(f.kind, f.value, f.unit, text[f.start : f.end], f.start, f.end) for f in figs)


def parse_figures(text: str) -> list[Figure]:
    """Every figure in `text`, in order. Citation markers "[n]" are never figures; a unit with a marker in
    place of its number is a figure that nothing supports."""
    return list(_parse(unicodedata.normalize("NFC", text)))


# ---------------------------------------------------------------------------------------- comparing
_TO_HOURS = {"minute": 1 / 60, "hour": 1.0, "day": 24.0, "week": 168.0}
_TO_MONTHS = {"month": 1.0, "year": 12.0}


def _close(a: float, b: float) -> bool:
    """Equal values: whole numbers exactly (a SIRET or an amount differs by one), others to 1e-9."""
    if float(a).is_integer() and float(b).is_integer():
        return a == b
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _same_duration(a: Figure, b: Figure) -> bool:
    if a.unit == b.unit:
        return _close(a.value, b.value)
    if a.unit in _TO_HOURS and b.unit in _TO_HOURS:  # exact conversions only: 24 h = 1 day, 1 week = 7 days
        return _close(a.value * _TO_HOURS[a.unit], b.value * _TO_HOURS[b.unit])
    if a.unit in _TO_MONTHS and b.unit in _TO_MONTHS:  # 12 months = 1 year
        return _close(a.value * _TO_MONTHS[a.unit], b.value * _TO_MONTHS[b.unit])
    return False


def _year_of(f: Figure) -> int:
    return date.fromordinal(int(f.value)).year


def supported_by(claim: Figure, quote: Figure) -> bool:
    """Whether `quote`'s figure backs `claim`'s: the same value in a compatible unit. One-way: a claim's bare
    number ("48") is backed by "48 heures", but "48 hours" is not backed by a bare 48; "May 2018" is backed
    by "25 mai 2018", not the reverse."""
    if math.isnan(claim.value) or math.isnan(quote.value):
        return False
    if claim.kind == "count" and claim.unit == "":
        if quote.kind == "date":
            return quote.unit in ("date", "month_date") and _close(claim.value, _year_of(quote))
        return _close(claim.value, quote.value)
    if claim.kind == "count" and claim.unit == "times":
        return quote.kind == "count" and quote.unit in ("", "times") and _close(claim.value, quote.value)
    if claim.kind == "count" and claim.unit == "fraction":
        if quote.kind == "percent":
            return _close(claim.value * 100, quote.value)
        return quote.kind == "count" and quote.unit == "fraction" and _close(claim.value, quote.value)
    if claim.kind == "percent" and quote.kind == "count" and quote.unit == "fraction":
        return _close(claim.value, quote.value * 100)
    if claim.kind != quote.kind:
        return False
    if claim.kind == "duration":
        return _same_duration(claim, quote)
    if claim.kind == "date":
        if claim.unit == quote.unit or (claim.unit == "date" and quote.unit == "date"):
            return _close(claim.value, quote.value)
        if quote.unit != "date":
            return False
        c, q = date.fromordinal(int(claim.value)), date.fromordinal(int(quote.value))
        if claim.unit == "month_date":
            return (c.year, c.month) == (q.year, q.month)
        return (c.month, c.day) == (q.month, q.day)  # day_month
    return claim.unit == quote.unit and _close(claim.value, quote.value)


def same_figure(a: Figure, b: Figure) -> bool:
    """The same value with a compatible unit and scale, both ways (48 heures = forty-eight hours = 2 days;
    99 % != 100 %; 3 mois != 3 years; 1 000 € != €1,000,000; 48 business hours != 48 hours)."""
    return supported_by(a, b) and supported_by(b, a)


def to_hours(fig: Figure) -> tuple[float, float] | None:
    """A duration as a (low, high) range of elapsed hours, for comparing against a limit ("max 72 hours").
    Plain units are exact; months and years span their shortest and longest; business hours and working
    days span from 24-hour working days with no weekend (low) to 7-hour days with weekends and two public
    holidays in the way (high). None for figures that are not durations."""
    if fig.kind != "duration" or math.isnan(fig.value):
        return None
    v = fig.value
    if fig.unit in _TO_HOURS:
        h = v * _TO_HOURS[fig.unit]
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


def within_limit(fig: Figure, limit: Figure) -> bool | None:
    """Whether the duration `fig` is at most `limit` (True), surely more (False), or undecidable (None,
    e.g. "48 heures ouvrées" against "72 hours": 48 to several hundred elapsed hours)."""
    a, b = to_hours(fig), to_hours(limit)
    if a is None or b is None:
        return None
    if a[1] <= b[0]:
        return True
    if a[0] > b[1]:
        return False
    return None


# ----------------------------------------------------------------------------------- role agreement
_PARTIES: tuple[tuple[str, str], ...] = (
    ("subprocessor", r"sous[\s-]traitants?\s+ultérieurs?|sub[\s-]?processors?|sub[\s-]?contractors?"),
    ("authority", r"cnil|autorités?\s+de\s+contrôle|supervisory\s+authorit(?:y|ies)"),
    ("subject", r"personnes?\s+concernées?|data\s+subjects?"),
    (
        "client",
        r"clients?|customers?|controllers?|responsables?\s+d[eu]\s+(?:du\s+)?traitement|subscribers?"
        r"|abonnés?|licensees?|utilisateurs?|users?|vous|you",
    ),
    (
        "vendor",
        r"prestataires?|fournisseurs?|sous[\s-]traitants?|processors?|service\s+providers?|providers?"
        r"|vendors?|suppliers?|éditeurs?|nous|we",
    ),
)
_PARTY_RE = re.compile(
    "|".join(f"(?P<{name}>{_NOT_LETTER_BEFORE}(?:{p}){_NOT_LETTER_AFTER})" for name, p in _PARTIES), re.I
)
_PREP_BEFORE = re.compile(
    r"(?:\b(?:à|au|aux|to|for|pour|with|avec|auprès\s+d[eu]s?|envers|towards|of|from"
    r"|de|du|des|d['’]|sur|on|against|contre)\s+(?:(?:the|le|la|les|l['’]|its|their|son|sa"
    r"|ses|leur|leurs|each|chaque|tout|toute|any)\s*)?)$",
    re.I,
)
_AGENT_BEFORE = re.compile(r"\b(?:by|par)\s+(?:(?:the|le|la|les|l['’])\s*)?$", re.I)
_BOUNDARY_RE = re.compile(r"[.;!?](?=\s|$)|\n")
_ROLE_KINDS = ("duration", "percent", "money")


def _sentence_span(text: str, pos: int) -> tuple[int, int]:
    """Start and end of the sentence (or ";"-separated part) holding `pos`."""
    s0, s1 = 0, len(text)
    for m in _BOUNDARY_RE.finditer(text):
        if m.end() <= pos:
            s0 = m.end()
        elif m.start() >= pos:
            s1 = m.start()
            break
    return s0, s1


def explicit(fig: Figure) -> bool:
    """A figure written with digits or number words (not "a year", "annual", "twice")."""
    return bool(re.search(r"\d", fig.surface) or _PHRASE_RE.search(fig.surface))


def _party_mentions(segment: str, offset: int, names: Collection[str]) -> list[tuple[int, str, str]]:
    """(position, party, how) of each party mention: how is "agent" ("by the Provider"), "object" (after a
    preposition: "au Client", "to the customer") or "subject"."""
    found: list[tuple[int, str, str]] = []
    for m in _PARTY_RE.finditer(segment):
        party = next(k for k, v in m.groupdict().items() if v)
        found.append((m.start(), party, m.group()))
    for name in names:
        if name.strip():
            for m in re.finditer(rf"{_NOT_LETTER_BEFORE}{re.escape(name)}{_NOT_LETTER_AFTER}", segment, re.I):
                found.append((m.start(), "vendor", m.group()))
    out: list[tuple[int, str, str]] = []
    for pos, party, word in sorted(found):
        left = segment[:pos]
        how = "agent" if _AGENT_BEFORE.search(left) else "object" if _PREP_BEFORE.search(left) else "subject"
        if how == "object" and re.match(r"\s*:", segment[pos + len(word) :]):
            how = "subject"  # a heading "For the Customer:" names whom the line binds
        out.append((pos + offset, party, how))
    return out


def party_of(text: str, fig: Figure, names: Collection[str] = ()) -> str | None:
    """The party a figure belongs to: the subject (or agent) of the clause that holds it, read backwards
    from the figure through its sentence's comma-separated parts, else the first one after it."""
    s0, s1 = _sentence_span(text, fig.start)
    before = text[s0 : fig.start]
    parts = [(m.start() + s0, m.group()) for m in re.finditer(r"[^,]+", before)]
    for off, part in reversed(parts):
        ms = _party_mentions(part, off, names)
        agents = [p for _, p, how in ms if how == "agent"]
        if agents:
            return agents[0]
        subjects = [p for _, p, how in ms if how == "subject"]
        if subjects:
            return subjects[0]
    after = _party_mentions(text[fig.end : s1], fig.end, names)
    for _, p, how in after:
        if how != "object":
            return p
    return None


def _window_words(text: str, fig: Figure, n: int = 8) -> list[str]:
    """The words around a figure, within its sentence (the event it belongs to)."""
    s0, s1 = _sentence_span(text, fig.start)
    left = re.findall(r"[^\W\d_]+", text[s0 : fig.start])[-n:]
    right = re.findall(r"[^\W\d_]+", text[fig.end : s1])[:n]
    return left + right


def _window(text: str, fig: Figure, n: int = 8) -> set[str]:
    """Stems of the words around a figure, within its sentence."""
    return set(tokenize(" ".join(_window_words(text, fig, n))))


def _claim_window(claim: str, fig: Figure) -> set[str]:
    """The claim's window, with the glossary's translations of its own words (not of the whole sentence:
    a term from elsewhere in the sentence would favour a rival figure near it)."""
    words = " ".join(_window_words(claim, fig))
    return set(tokenize(words)) | set(tokenize(" ".join(translate_terms(words))))


def role_agrees(
    claim: str,
    fig: Figure,
    quote: str,
    quote_figs: Sequence[Figure] | None = None,
    names: Collection[str] = (),
) -> bool:
    """Whether `quote` backs the claim's figure as the figure of the same role: when the quote holds other
    figures of the same kind (72h and 48h), the matching one must agree with the claim on its party (who
    it binds) and its neighbouring words must agree at least as well as a rival's; undecidable -> False."""
    figs = list(quote_figs) if quote_figs is not None else parse_figures(quote)
    cands = [q for q in figs if supported_by(fig, q)]
    if not cands:
        return False
    if not explicit(fig) or (fig.kind not in _ROLE_KINDS and not (fig.kind == "count" and fig.unit == "")):
        return True
    kinds = {q.kind for q in cands}
    rivals = [
        r
        for r in figs
        if r.kind in kinds
        and r.kind in _ROLE_KINDS
        and not supported_by(fig, r)
        and not math.isnan(r.value)
        and explicit(r)
    ]
    if not rivals:
        return True
    pc = party_of(claim, fig, names)
    cw = _claim_window(claim, fig)
    for q in cands:
        if q.kind not in _ROLE_KINDS:
            return True
        pq = party_of(quote, q, names)
        if pc and pq and pc != pq:
            continue
        known = {pq} | {party_of(quote, r, names) for r in rivals if r.kind == q.kind}
        known.discard(None)
        if pc is None and len(known) >= 2:
            continue  # the quote binds several parties and the claim names none: undecidable
        ev_q = len(cw & _window(quote, q))
        ok = True
        for r in (r for r in rivals if r.kind == q.kind):
            pr = party_of(quote, r, names)
            if pc and pr and pr != pc:
                continue  # a rival that binds another party cannot be the one meant
            ev_r = len(cw & _window(quote, r))
            same_unit = r.unit == fig.unit or (fig.kind == "count" and fig.unit == "")
            if ev_r > ev_q or (ev_r == ev_q and same_unit):
                ok = False
                break
        if ok:
            return True
    return False


def unsupported_figures(claim: str, quotes: Sequence[str], names: Collection[str] = ()) -> list[str]:
    """Surfaces of the claim's figures that no quote backs (same value, compatible unit and scale, and the
    same role when the quote holds rival figures). `names` are the vendors' names (parties)."""
    claim = unicodedata.normalize("NFC", claim)
    parsed = [(q, parse_figures(q)) for q in (unicodedata.normalize("NFC", q) for q in quotes)]
    out: list[str] = []
    for fig in parse_figures(claim):
        if not any(role_agrees(claim, fig, q, figs, names) for q, figs in parsed):
            out.append(fig.surface)
    return out
