"""Ordinals: "21st", "1er", "3ème" after digits, and ordinal words before a time noun ("le vingt et unième
jour", "the twenty-first day", "premier mois")."""

from __future__ import annotations

import re

from assistant.figures.base import LETTER, NOT_LETTER_AFTER, NOT_LETTER_BEFORE, Figure, overlaps
from assistant.figures.numbers import NUMBER_WORD, WORD_SEP, read_words

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
    rf"{NOT_LETTER_BEFORE}(?P<w>(?:(?:{NUMBER_WORD}){WORD_SEP}(?:(?:et|and){WORD_SEP})?)*"
    rf"(?:premi(?:er|ère)s?|{LETTER}+ièmes?|{'|'.join(_EN_ORD)}))\s+{_TIME_NOUN}{NOT_LETTER_AFTER}",
    re.I,
)
# the ending of an ordinal written with digits ("1er", "3ème", "21st")
ORD_SUFFIX = re.compile(r"(?:ers?|res?|ères?|ème|eme|e|è|st|nd|rd|th)(?![^\W\d_])")


def ordinal_words(text: str, taken: list[tuple[int, int]]) -> list[Figure]:
    """Ordinal words before a time noun ("vingt et unième jour", "twenty-first day"), outside `taken`."""
    out: list[Figure] = []
    for m in _ORD_WORD_RE.finditer(text):
        s, e = m.span("w")
        if overlaps(s, e, taken):
            continue
        w = m.group("w").lower()
        last = re.split(r"[\s-]+", w)[-1]
        head = w[: len(w) - len(last)]
        v: float | None = None
        if last in _EN_ORD:
            v = float(_EN_ORD[last])
            if head.strip(" -"):
                hv = read_words(head.strip(" -"))
                v = None if hv is None else hv + v
        elif last.startswith("premi"):
            v = 1.0 if not head.strip() else None
        else:
            stem = re.sub(r"ièmes?$", "", last)
            for cand in (stem, stem + "e", stem[:-1] + "f" if stem.endswith("v") else stem, stem.rstrip("u")):
                v = read_words((head + cand).strip(" -"))
                if v is not None:
                    break
        if v is not None:
            out.append(Figure("ordinal", v, "", text[s:e], s, e))
    return out
