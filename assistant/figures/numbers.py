"""Numbers as written: digits ("1 000", "99,9", "1,000.50"), number words in French and English
("quarante-huit", "vingt et un", "seventy-two", read by text2num), and phone numbers (identifiers, not
quantities)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from text_to_num import text2num

from assistant.figures.base import LETTER, NOT_LETTER_AFTER, NOT_LETTER_BEFORE, overlaps

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
NUMBER_WORD = "|".join(sorted(set(_EN_WORDS) | set(_FR_WORDS), key=len, reverse=True))  # longest first
WORD_SEP = r"(?:\s*-\s*|\s+)"
# a run of number words ("quatre-vingt-dix-neuf", "vingt et un", "one hundred and twenty")
PHRASE_RE = re.compile(
    rf"{NOT_LETTER_BEFORE}(?:{NUMBER_WORD})(?:{WORD_SEP}(?:(?:et|and){WORD_SEP})?(?:{NUMBER_WORD}))*"
    rf"{NOT_LETTER_AFTER}",
    re.I,
)
_TOKEN_RE = re.compile(rf"{LETTER}+", re.I)
# a number in digits, with a thousands separator ("1 000", "1.500", "1,000.50") or a decimal one ("99,9")
# Digits glued to a word of four letters or more that is no unit are part of a name ("37signals",
# "1Password"), not a figure; glued units stay figures ("48h", "30jours", "3mois", "100k€").
_GLUED_NAME = (
    r"(?!(?:jours?|heures?|mois|euros?|semaines?|minutes?|secondes?|années?|octets?|hours?|days?|weeks?"
    r"|months?|years?|seconds?|bytes?)\b)[^\W\d_]{4,}"
)
DIGITS_RE = re.compile(
    r"(?<![\w.,])(?:\d{1,3}(?P<sep>[ \u00a0\u202f.,'’])\d{3}(?:(?P=sep)\d{3})*(?:[.,]\d+)?"
    rf"|\d+(?:[.,]\d+)?)(?!\d)(?!{_GLUED_NAME})"
)
# a French phone number: an identifier, not a quantity
PHONE_RE = re.compile(r"(?<![\w.+])(?:\+33\s?|0)[1-9](?:[ .]?\d{2}){4}(?!\d)")


@dataclass
class Num:
    """A number found in the text, before its unit is read."""

    start: int
    end: int
    value: float
    digits: bool
    article: bool = False
    tail: int = -1  # where its unit is read from (after a mismatched "quarante-huit (72)": after the ")")


def digit_value(token: str) -> float:
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


def read_words(phrase: str) -> float | None:
    """The value of a number-word phrase, in French unless it holds English-only words; None if it is
    not one number."""
    words = [w.lower() for w in _TOKEN_RE.findall(phrase)]
    lang = "fr" if _FR_ONLY & set(words) else "en" if _EN_ONLY & set(words) else "fr"
    try:
        return float(text2num(" ".join(re.split(r"[\s\-]+", phrase.lower().strip())), lang))
    except (ValueError, TypeError):
        return None


def word_numbers(text: str, taken: list[tuple[int, int]]) -> list[Num]:
    """Number-word phrases, split into valid numbers ("dix deux" -> 10, 2) by text2num."""
    out: list[Num] = []
    for m in PHRASE_RE.finditer(text):
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
                v = read_words(text[toks[i][0] : toks[j - 1][1]])
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
            if overlaps(s, e, taken):
                continue
            out.append(Num(s, e, v, digits=False, article=len(words) == 1 and words[0] in _ARTICLES))
    return out
