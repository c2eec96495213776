"""Figures in text (digits and French/English number words) as sets of possible values, so that an answer's
"30 days" matches a clause's "trente (30) jours" and "100,000 euros" matches "100 000,00 €"."""

from __future__ import annotations

import re
import unicodedata

_UNITS = {
    # English
    "zero": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    # French
    "zéro": 0, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
    "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
}
# Words for one (one/un/une) are articles far more often than figures: they are not read as numbers.
_ONE_INSIDE = {"un": 1, "one": 1}  # ... except inside a compound ("vingt et un", "twenty-one")
_SCALES = {"hundred": 100, "cent": 100, "cents": 100, "thousand": 1000, "mille": 1000,
           "million": 1_000_000, "millions": 1_000_000}
_JOINERS = {"et", "and"}
_NUMWORD_RE = "|".join(sorted({*_UNITS, *_SCALES, *_ONE_INSIDE}, key=len, reverse=True))
_WORDS = re.compile(rf"\b(?:{_NUMWORD_RE})(?:(?:[\s\-]+(?:et|and)?[\s\-]*)(?:{_NUMWORD_RE}))*\b",
                    re.IGNORECASE)
# Digits with optional thousands separators (space, narrow/no-break space, dot, comma) and decimals.
_DIGITS = re.compile(r"(?<![\w.,])\d{1,3}(?:(?:[ \u00a0\u202f]\d{3})+|(?:,\d{3})+|(?:\.\d{3})+)?"
                     r"(?:[.,]\d+)?(?![\d])|(?<![\w.,])\d+(?:[.,]\d+)?(?![\d])")
_MARKER = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)*\]")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def words_value(phrase: str) -> int | None:
    """Value of a number-word phrase ("quarante-huit", "forty eight", "quatre-vingt-dix", "deux cents")."""
    toks = [t for t in re.split(r"[\s\-]+", phrase.lower()) if t and t not in _JOINERS]
    if not toks:
        return None
    if len(toks) == 1 and toks[0] in _ONE_INSIDE:
        return None
    total, current = 0, 0
    for i, t in enumerate(toks):
        if t in ("vingt", "vingts") and i > 0 and toks[i - 1] == "quatre" and current % 100 == 4:
            current += 76  # quatre-vingt(s) = 80
        elif t in _UNITS:
            current += _UNITS[t]
        elif t in _ONE_INSIDE:
            current += 1
        elif t in ("hundred", "cent", "cents"):
            current = max(current, 1) * 100
        elif t in _SCALES:
            total += max(current, 1) * _SCALES[t]
            current = 0
        else:
            return None
    return total + current


def _digit_values(token: str) -> set[float]:
    """Possible values of a digit string: "100 000,00" -> {100000}; "1,500" -> {1500, 1.5}; "99,9" -> {99.9}."""
    t = token.replace("\u00a0", " ").replace("\u202f", " ")
    vals: set[float] = set()
    compact = t.replace(" ", "")
    # separators: the last "." or "," may be decimal; others are thousands separators
    m = re.fullmatch(r"(\d+(?:[.,]\d{3})*)(?:([.,])(\d+))?", compact)
    if m:
        head, _sep, dec = m.group(1), m.group(2), m.group(3)
        base = float(re.sub(r"[.,]", "", head))
        vals.add(base + (float("0." + dec) if dec else 0.0))
        if dec is None and re.search(r"[.,]\d{3}$", head):  # "1,500" could be 1.5 in French
            i = max(head.rfind(","), head.rfind("."))
            vals.add(float(re.sub(r"[.,]", "", head[:i]) + "." + head[i + 1:]))
        if dec is not None and len(dec) == 3:  # "1.500" / "1,500" with one separator: thousands too
            vals.add(float(re.sub(r"[.,]", "", head) + dec))
    else:
        try:
            vals.add(float(compact.replace(",", ".")))
        except ValueError:
            pass
    return vals


def extract_numbers(text: str) -> list[tuple[str, set[float]]]:
    """Every figure in `text` as (surface form, possible values); citation markers [n] are ignored.
    A word and its digits side by side ("quarante-huit (48)") are one figure."""
    text = _MARKER.sub(" ", _nfc(text))
    found: list[tuple[int, int, str, set[float]]] = []
    for m in _DIGITS.finditer(text):
        vals = _digit_values(m.group())
        if vals:
            found.append((m.start(), m.end(), m.group(), vals))
    for m in _WORDS.finditer(text):
        v = words_value(m.group())
        if v is not None and not any(s <= m.start() < e for s, e, _, _ in found):
            found.append((m.start(), m.end(), m.group(), {float(v)}))
    found.sort()
    return [(surface, vals) for _, _, surface, vals in found]


def number_values(text: str) -> set[float]:
    """All possible values of all figures in `text`."""
    out: set[float] = set()
    for _, vals in extract_numbers(text):
        out |= vals
    return out


def unsupported_numbers(claim: str, sources: list[str]) -> list[str]:
    """Figures of `claim` whose value appears in none of `sources` (surface forms, in order)."""
    allowed: set[float] = set()
    for s in sources:
        allowed |= number_values(s)
    return [surface for surface, vals in extract_numbers(claim) if not (vals & allowed)]
