"""Outcomes that need no generated wording: the one-quote answer (the checked sentence quoted verbatim with
its key phrase in bold), abstentions with the closest clause, and the key phrase itself."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from assistant.figures import figure_spans
from assistant.lists import read_with
from assistant.places import PLACE_ADDRESS, PLACE_AREAS, PLACE_WORDS, place_names
from assistant.rank import LAW, MONEY, NAMES, PERCENT
from assistant.spans import Span

Finder = Callable[[str], tuple[int, int] | None]  # where a kind of key phrase is in a sentence

# An e-mail address, whole: the contact a "who" question asks for ("privacy@37signals.com"); the ranker's
# NAMES only notes that a sentence holds one ("@" and a letter). The first name or address in the sentence.
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
WHO = re.compile(f"{EMAIL.pattern}|{NAMES.pattern}")


def _first_figure(text: str) -> tuple[int, int] | None:
    """The first measure with what qualifies it ("48 heures ouvrées", "trente (30) jours", "99 %",
    "1 000 €", "douze (12) derniers mois", "seventy-two (72) hours"), read by assistant.figures."""
    spans = figure_spans(text)
    return spans[0] if spans else None


def _search(rx: re.Pattern[str]) -> Finder:
    """The first match of `rx` that is not blank, trimmed of blanks."""

    def find(text: str) -> tuple[int, int] | None:
        m = rx.search(text)
        if not (m and m.group().strip()):
            return None
        s, e = m.span()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        return s, e

    return find


def key_phrase(text: str, types: Sequence[str]) -> tuple[int, int] | None:
    """Where the sentence's answer-bearing phrase is (a figure with its unit, a place, a court or law, a
    name), chosen by the kinds of fact the question asks for; None when nothing fits."""
    order: list[Finder] = []
    for t in types:
        if t in ("duration", "amount", "percent"):
            order.append(_first_figure)
            if t in ("amount", "percent"):
                order.append(_search(MONEY if t == "amount" else PERCENT))
        elif t == "place":
            order += [
                _search(place_names()),
                _search(PLACE_ADDRESS),
                _search(PLACE_AREAS),
                _search(PLACE_WORDS),
            ]
        elif t == "law":
            order.append(_search(LAW))
        elif t == "who":
            order.append(_search(WHO))
    order.append(_first_figure)
    for find in order:
        span = find(text)
        if span:
            return _whole_words(text, *span)
    return None


def _whole_words(text: str, s: int, e: int) -> tuple[int, int]:
    """(s, e) widened to the words it cuts: the bold of a quote never stops inside a word ("**outside the
    Eu**ropean Union" is "**outside the European** Union"), and the key fact a wording must keep is a word."""
    while 0 < s < len(text) and text[s - 1].isalnum() and text[s].isalnum():
        s -= 1
    while 0 < e < len(text) and text[e - 1].isalnum() and text[e].isalnum():
        e += 1
    return s, e


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


def one_quote(
    spans: Sequence[Span],
    types: Sequence[str],
    vendor_prefix: bool = False,
    leads: Mapping[tuple[str, int, int], str] | None = None,
) -> str:
    """The answer that quotes the checked sentence(s): one line each, key phrase in bold, cited [n]; an item
    of an enumeration after the words it completes (`leads`, by span key: lists.governing_words)."""
    lines = []
    for i, sp in enumerate(spans, 1):
        who = f"{sp.clause.vendor_name}: " if vendor_prefix else ""
        text = read_with((leads or {}).get(sp.key), sp.text)
        lines.append(f"{who}{marked_quote(text, types)} [{i}]")
    return "\n".join(lines)
