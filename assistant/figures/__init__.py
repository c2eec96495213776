"""Figures in contract text as typed values, in French and English: (kind, value, unit) with their place in
the text. An answer's figure is checked against its quotes by meaning, not by digits: "trois (3) mois" is
not "3 years", "quatre-vingt-dix-neuf pour cent (99 %)" is not 100 %, "1 000 €" is not "€1,000,000",
"2018-05-25" is "25 mai 2018", and "48 heures ouvrées" is neither 48 plain hours nor the client's 72h in
the same sentence (role agreement). Number words are read by text2num ("vingt et un", "quatre-vingt-dix-
neuf", "twenty-one"); everything else is small regular expressions, so it is fast and predictable.

The one reader of numbers in the assistant. Modules, each importing only those above it: base (the Figure
type), numbers (digits and number words), ordinals, units (units, scales, figures without a digit,
elapsed hours), dates (dates and clock times), parse (whole figures), roles (the party a figure binds),
compare (backing a claim's figure, limits), asked (the kind of figure a question asks for)."""

from assistant.figures.base import CURRENCIES, DURATION_UNITS, KINDS, Figure
from assistant.figures.compare import (
    comparable,
    role_agrees,
    same_figure,
    supported_by,
    unsupported_figures,
    within_limit,
)
from assistant.figures.parse import explicit, extract_numbers, figure_spans, parse_figures
from assistant.figures.roles import party_of
from assistant.figures.units import to_hours

__all__ = [
    "CURRENCIES",
    "DURATION_UNITS",
    "KINDS",
    "Figure",
    "comparable",
    "explicit",
    "extract_numbers",
    "figure_spans",
    "parse_figures",
    "party_of",
    "role_agrees",
    "same_figure",
    "supported_by",
    "to_hours",
    "unsupported_figures",
    "within_limit",
]
