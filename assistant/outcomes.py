"""Outcomes that need no generated wording: the one-quote answer (the checked sentence quoted verbatim with
its key phrase in bold), abstentions with the closest clause, and the key phrase itself."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.rank import _LAW, _MONEY, _NAMES, _PERCENT, _PLACES
from assistant.spans import Span

# a figure with what qualifies it: "48 heures ouvrées", "trente (30) jours", "99 %", "1 000 €",
# "douze (12) derniers mois", "72 hours"
_NUM = r"(?:\d[\d\s\u00a0\u202f.,]*\d|\d)"
_WORDNUM = (
    r"(?:(?:quatre-vingt|soixante|cinquante|quarante|trente|vingt|dix|onze|douze|treize|quatorze|"
    r"quinze|seize|cent|mille|deux|trois|quatre|cinq|six|sept|huit|neuf|un|une|one|two|three|four|five|"
    r"six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|hundred)"
    r"(?:[\s-](?:et[\s-])?(?:un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|vingt|"
    r"cent|mille|one|two|three|four|five|six|seven|eight|nine))*)"
)
_UNIT = (
    r"(?:heures?|hours?|h\b|jours?|days?|semaines?|weeks?|mois|months?|ans?|ann[ée]es?|years?|"
    r"minutes?|%|pour\s*cent|percent|€|euros?|\$|usd|eur)"
)
_FIGURE_PHRASE = re.compile(
    rf"(?:{_WORDNUM}\s*\(\s*{_NUM}\s*\)|{_NUM}|{_WORDNUM})\s*(?:(?:derniers?|premiers?|business|working|"
    rf"calendar|clear)\s+)?{_UNIT}(?:\s+(?:ouvr[ée]e?s|calendaires|francs|pleins|hors\s+taxes?|HT|TTC))?",
    re.I,
)


def key_phrase(text: str, types: Sequence[str]) -> tuple[int, int] | None:
    """Where the sentence's answer-bearing phrase is (a figure with its unit, a place, a court or law, a
    name), chosen by the kinds of fact the question asks for; None when nothing fits."""
    order: list[re.Pattern[str]] = []
    for t in types:
        if t in ("duration", "amount", "percent"):
            order.append(_FIGURE_PHRASE)
            order.append({"amount": _MONEY, "percent": _PERCENT}.get(t, _FIGURE_PHRASE))
        elif t == "place":
            order.append(_PLACES)
        elif t == "law":
            order.append(_LAW)
        elif t == "who":
            order.append(_NAMES)
    order.append(_FIGURE_PHRASE)
    for rx in order:
        m = rx.search(text)
        if m and m.group().strip():
            s, e = m.span()
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            return s, e
    return None


def marked_quote(text: str, types: Sequence[str]) -> str:
    """The sentence on one line in French quotation marks, its key phrase in bold (Markdown)."""
    one = " ".join(text.split())
    span = key_phrase(one, types)
    if span:
        s, e = span
        one = f"{one[:s]}**{one[s:e]}**{one[e:]}"
    return f"« {one} »"


def quoted(text: str) -> str:
    """A verbatim quote on one line, in French quotation marks."""
    return f"« {' '.join(text.split())} »"


def one_quote(spans: Sequence[Span], types: Sequence[str], vendor_prefix: bool = False) -> str:
    """The answer that quotes the checked sentence(s): one line each, key phrase in bold, cited [n]."""
    lines = []
    for i, sp in enumerate(spans, 1):
        who = f"{sp.clause.vendor_name}: " if vendor_prefix else ""
        lines.append(f"{who}{marked_quote(sp.text, types)} [{i}]")
    return "\n".join(lines)
