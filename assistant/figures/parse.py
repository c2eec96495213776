"""Reading figures: each number with what follows it (scale, percent, currency, unit), dates, ordinals,
figures without a digit, and ranges ("5 à 10 jours"), as typed Figures with their place in the text."""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

from assistant.figures.base import NOT_LETTER_AFTER, Figure, overlaps
from assistant.figures.dates import CLOCK_RE, clock_value, date_figures
from assistant.figures.numbers import DIGITS_RE, PHONE_RE, PHRASE_RE, Num, digit_value, word_numbers
from assistant.figures.ordinals import ORD_SUFFIX, ordinal_words
from assistant.figures.units import (
    CURRENCY_AFTER,
    CURRENCY_BEFORE,
    OF_RE,
    PERCENT_RE,
    PERMILLE_RE,
    SCALE_RE,
    SCALE_WORDS,
    TIMES_RE,
    UNIT_RE,
    UNIT_TABLE,
    implicit_figures,
    unit_at,
)
from core.markers import MARKER_RE, strip_markers

_MARKER_UNIT_RE = re.compile(MARKER_RE.pattern + r"\s*(?:-\s*)?")
_RANGE_GAP = re.compile(r"^\s*(?:à|au|-|–|to|ou|or)\s*$", re.I)
_RANGE_AND = re.compile(r"^\s*(?:et|and)\s*$", re.I)
_RANGE_OPEN = re.compile(r"(?:entre|between|from|de)\s*$", re.I)


def _number_figures(text: str, taken: list[tuple[int, int]]) -> list[Figure]:
    nums: list[Num] = []
    for m in DIGITS_RE.finditer(text):
        if not overlaps(m.start(), m.end(), taken):
            nums.append(Num(m.start(), m.end(), digit_value(m.group()), digits=True))
    nums += word_numbers(text, taken + [(n.start, n.end) for n in nums])
    nums.sort(key=lambda n: n.start)
    # a number and its other spelling in brackets are one figure: "quarante-huit (48)", "72 (seventy-two)"
    merged: list[Num] = []
    for n in nums:
        prev = merged[-1] if merged else None
        if prev and re.fullmatch(r"\s*\(\s*", text[prev.end : n.start]):
            close = re.compile(r"\s*\)").match(text, n.end)
            if close and prev.digits != n.digits and abs(prev.value - n.value) < 1e-9:
                merged[-1] = Num(prev.start, close.end(), n.value, digits=True)
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


def _read_number(text: str, n: Num) -> Figure | None:
    """The figure a number starts: its scale, then percent, currency, duration unit or "fois"/"times"."""
    value, pos = n.value, (n.tail if n.tail >= 0 else n.end)
    if n.digits and ORD_SUFFIX.match(text, pos):
        end = ORD_SUFFIX.match(text, pos).end()  # type: ignore[union-attr]
        return Figure("ordinal", value, "", text[n.start : end], n.start, end)
    before = text[max(0, n.start - 6) : n.start]
    cur_before = CURRENCY_BEFORE.search(before)
    scaled = False
    s = SCALE_RE.match(text, pos)
    if s and (n.digits or s.group("word")):
        if s.group("k"):
            value *= 1e3
        elif s.group("M") or s.group("G"):
            value *= 1e6 if s.group("M") else 1e9
        else:
            value *= SCALE_WORDS[s.group("word").lower()]
        pos, scaled = s.end(), True
    elif cur_before and n.digits:
        m_abbr = re.compile(r"\s?(?:m|M|mn)(?![^\W\d_])|\s?(?:bn|Bn)(?![^\W\d_])").match(text, pos)
        if m_abbr:
            value *= 1e9 if "n" in m_abbr.group().lower() and "b" in m_abbr.group().lower() else 1e6
            pos, scaled = m_abbr.end(), True
    p = PERCENT_RE.match(text, pos)
    if p and not scaled:
        return Figure("percent", value, "percent", text[n.start : p.end()], n.start, p.end())
    p = PERMILLE_RE.match(text, pos)
    if p and not scaled:  # "cinq (5) pour mille" = 0.5 %
        return Figure("percent", value / 10, "percent", text[n.start : p.end()], n.start, p.end())
    of = OF_RE.match(text, pos) if scaled or not n.digits else None
    for rx, cur in CURRENCY_AFTER:
        c = rx.match(text, pos) or (rx.match(text, of.end()) if of else None)
        if c:
            return Figure("money", value, cur, text[n.start : c.end()], n.start, c.end())
    if cur_before:
        cur = next(k for k, v in cur_before.groupdict().items() if v)
        start = n.start - (len(before) - cur_before.start())
        return Figure("money", value, cur, text[start:pos], start, pos)
    if not scaled:
        u = unit_at(text, pos, n.digits)
        if u:
            kind, unit, factor, end = u
            return Figure(kind, value * factor, unit, text[n.start : end], n.start, end)
        t = TIMES_RE.match(text, pos)
        if t and (
            not n.article
            or re.compile(r"\s+(?:par|tous|toutes|chaque|per|a|an|every|each)\b", re.I).match(text, t.end())
        ):
            return Figure("count", value, "times", text[n.start : t.end()], n.start, t.end())
    if n.article:
        return None  # "un", "une", "one" without a unit: an article
    return Figure("count", value, "", text[n.start : pos], n.start, pos)


def _marker_figures(text: str) -> list[Figure]:
    """A unit written with a citation marker where its number should be ("est de [6] jours", "[2] %"):
    a fabricated figure (value NaN)."""
    out: list[Figure] = []
    for m in _MARKER_UNIT_RE.finditer(text):
        pos = m.end()
        if not re.search(r"\w", text[max(0, m.start() - 30) : m.start()]):
            continue  # a marker at the start of a line or text: the start of an extract, not a figure
        u = unit_at(text, pos, False)
        fig: Figure | None = None
        if u and u[0] == "duration":
            fig = Figure("duration", math.nan, u[1], text[m.start() : u[3]], m.start(), u[3])
        elif (p := PERCENT_RE.match(text, pos)) is not None:
            fig = Figure("percent", math.nan, "percent", text[m.start() : p.end()], m.start(), p.end())
        else:
            for rx, cur in CURRENCY_AFTER:
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
            u = UNIT_RE.search(b.surface) if b.kind == "duration" else None
            factor = UNIT_TABLE[int(next(k for k, v in u.groupdict().items() if v)[1:])][2] if u else 1.0
            out[i] = Figure(b.kind, a.value * factor, b.unit, a.surface, a.start, a.end)
    return out


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[Figure, ...]:
    figs = _marker_figures(text)
    work = strip_markers(text, lambda m: " " * len(m.group()))  # markers are never figures
    taken = [(f.start, f.end) for f in figs]
    for rx, unit in ((PHONE_RE, "id"), (CLOCK_RE, "clock")):
        for m in rx.finditer(work):
            if overlaps(m.start(), m.end(), taken):
                continue
            v = float(re.sub(r"\D", "", m.group())) if unit == "id" else clock_value(m)
            figs.append(Figure("count", v, unit, m.group(), m.start(), m.end()))
            taken.append((m.start(), m.end()))
    for f in date_figures(work):
        if not overlaps(f.start, f.end, taken):
            figs.append(f)
            taken.append((f.start, f.end))
    ords = ordinal_words(work, taken)
    figs += ords
    taken += [(f.start, f.end) for f in ords]
    nums = _number_figures(work, taken)
    figs += nums
    taken += [(f.start, f.end) for f in nums]
    figs += implicit_figures(work, taken)
    figs.sort(key=lambda f: (f.start, f.end))
    figs = _propagate_ranges(work, figs)
    return tuple(Figure(f.kind, f.value, f.unit, text[f.start : f.end], f.start, f.end) for f in figs)


def parse_figures(text: str) -> list[Figure]:
    """Every figure in `text`, in order. Citation markers "[n]" are never figures; a unit with a marker in
    place of its number is a figure that nothing supports."""
    return list(_parse(unicodedata.normalize("NFC", text)))


def explicit(fig: Figure) -> bool:
    """A figure written with digits or number words (not "a year", "annual", "twice")."""
    return bool(re.search(r"\d", fig.surface) or PHRASE_RE.search(fig.surface))


def extract_numbers(text: str) -> list[tuple[str, set[float]]]:
    """The figures of `text` written with digits or number words, as (surface form, {value}), in order:
    "does this text hold a figure?" (figures without a number, "a year", "twice", are left out).
    Citation markers [n] are not figures; a word and its digits side by side ("quarante-huit (48) heures")
    are one figure; a unit with a marker in place of its number ("[6] jours") is listed with no value."""
    return [
        (f.surface, set() if math.isnan(f.value) else {f.value})
        for f in parse_figures(text)
        if math.isnan(f.value) or explicit(f)
    ]


_MEASURES = ("duration", "percent", "money")
_AMOUNT_QUALIFIER = re.compile(r"\s+(?:hors\s+taxes?|HT|TTC)" + NOT_LETTER_AFTER, re.I)
_OPEN_BRACKET = re.compile(r"\s*\(\s*")
_CLOSE_BRACKET = re.compile(r"\s*\)")


def figure_spans(text: str) -> list[tuple[int, int]]:
    """Where `text`'s measures are (durations, percentages and amounts written with a number, and times
    of day), each with what qualifies it: "48 heures ouvrées", "trente (30) jours", "douze (12) derniers
    mois", "1 000 € HT"; a range ("5 à 10 jours") or a restatement in brackets ("quatre-vingt-dix-neuf
    pour cent (99 %)") is one span. The (start, end) offsets index `text` as given (not its NFC form)."""
    spans: list[tuple[int, int]] = []
    prev: Figure | None = None
    for f in _parse(text):
        if (f.kind not in _MEASURES and f.unit != "clock") or math.isnan(f.value) or not explicit(f):
            continue
        end = f.end
        if f.kind == "money" and (q := _AMOUNT_QUALIFIER.match(text, end)):
            end = q.end()
        if prev is not None and prev.kind == f.kind and prev.unit == f.unit:
            gap = text[spans[-1][1] : f.start]
            if _RANGE_GAP.match(gap) or (_RANGE_AND.match(gap) and _RANGE_OPEN.search(text[: prev.start])):
                spans[-1], prev = (spans[-1][0], end), f
                continue
            close = _CLOSE_BRACKET.match(text, end)
            if _OPEN_BRACKET.fullmatch(gap) and close and prev.value == f.value:
                spans[-1], prev = (spans[-1][0], close.end()), f
                continue
        spans.append((f.start, end))
        prev = f
    return spans
