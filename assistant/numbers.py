"""Figures in text as surface forms and values, for callers that only ask "does this text hold a figure?" or
want plain values. Reading and comparing figures (units, scale, roles) lives in `assistant.figures`."""

from __future__ import annotations

import math
import re

from text_to_num import text2num

from assistant.figures import explicit, parse_figures, unsupported_figures

_ARTICLES = {"un", "une", "one"}


def words_value(phrase: str) -> int | None:
    """Value of a number-word phrase ("quarante-huit", "forty eight", "quatre-vingt-dix", "deux cents");
    None for a lone article ("un", "one") or words that are not a number."""
    words = [w for w in re.split(r"[\s\-]+", phrase.lower().strip()) if w]
    if not words or (len(words) == 1 and words[0] in _ARTICLES):
        return None
    for lang in ("fr", "en"):
        try:
            return int(text2num(" ".join(words), lang))
        except (ValueError, TypeError):
            continue
    return None


def extract_numbers(text: str) -> list[tuple[str, set[float]]]:
    """The figures of `text` written with digits or number words, as (surface form, {value}), in order:
    "does this text hold a figure?" (figures without a number, "a year", "twice", are left out, as before).
    Citation markers [n] are not figures; a word and its digits side by side ("quarante-huit (48) heures")
    are one figure; a unit with a marker in place of its number ("[6] jours") is listed with no value."""
    return [
        (f.surface, set() if math.isnan(f.value) else {f.value})
        for f in parse_figures(text)
        if math.isnan(f.value) or explicit(f)
    ]


def number_values(text: str) -> set[float]:
    """All values of all figures in `text`."""
    out: set[float] = set()
    for _, vals in extract_numbers(text):
        out |= vals
    return out


def unsupported_numbers(claim: str, sources: list[str]) -> list[str]:
    """Figures of `claim` that no source backs with the same value, unit and role (surface forms, in
    order); see `assistant.figures.unsupported_figures`."""
    return unsupported_figures(claim, sources)
