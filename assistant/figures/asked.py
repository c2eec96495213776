"""The kind of figure a question asks for, read from how it asks ("how many days…", "combien de jours…",
"what percentage…", "how much does … cost", "quel est le prix…"), and whether a sentence holds one: the
expected answer type of question answering, for the figures this module's package reads. A sentence without a
figure of the asked kind does not answer such a question, whatever else it shares with it: "What monthly uptime
percentage does X guarantee?" is not answered by the liability clause the retrieval found, nor "Combien coûte
l'abonnement ?" by a sentence saying that the price is set by the vendor's current rates.

Only questions that name what they count are read: a unit of time after "how many"/"combien de", a
percentage, a price or what something costs. "How long…" and "what notice…" are not: "for as long as the
account is open" and "with reasonable notice" answer them without a figure; nor is "what amount…", which a
formula answers ("the fees paid in the last twelve months").

A sentence's figures are read with a digit glued to the word before it set apart ("Temps de récupération3 j."):
text copied from a table often loses its cell separators, and a figure glued to its row's label is still that
row's figure. The gap is only for this reading; quotes stay as the document has them."""

from __future__ import annotations

import re

from assistant.figures.base import Figure
from assistant.figures.compare import within_limit
from assistant.figures.parse import explicit, parse_figures
from core.text import fold

_UNITS_EN = r"(?:minutes?|hours?|days?|weeks?|months?|years?)"
_UNITS_FR = r"(?:minutes?|heures?|jours?|semaines?|mois|ans|annees?)"
_WH = r"(?:what|which|quel(?:le)?s?)"
_BE = r"(?:is|are|was|will\s+be|est|sont|sera)"
_DET = r"(?:the|a|an|le|la|les|l'|un|une)"

# on folded text (accents stripped, lower case, ’ read as ')
_ASKS: dict[str, re.Pattern[str]] = {
    # "how many (business) days", "within how many hours", "combien de jours", "en combien d'heures"
    "duration": re.compile(
        rf"\bhow\s+many\s+(?:\w+\s+)?{_UNITS_EN}\b|\bcombien\s+(?:de\s+|d'\s*){_UNITS_FR}\b"
    ),
    # "what percentage", "what monthly uptime percentage", "quel pourcentage"
    "percent": re.compile(rf"\b{_WH}\s+(?:\w+\s+){{0,3}}?(?:percentage|percent|pourcentage)\b"),
    # what something costs: "how much does/will X cost", "combien coûte", "what is the (monthly) price of",
    # "quel est le prix (mensuel)"; not "what is the price change notice" (a price noun that qualifies another)
    "money": re.compile(
        r"\bhow\s+much\s+(?:does|do|did|will|would|should|can|could)\b[^?]*\bcosts?\b"
        r"|\bcombien\s+(?:coute|coutent|coutera|couteront)\b"
        rf"|\b{_WH}\s+{_BE}\s+{_DET}\s*(?:\w+\s+)?(?:price|pricing|prix|tarifs?)\b"
        r"(?!\s+(?:changes?|increases?|rises?|modifications?|adjustments?|updates?|revisions?|de\s+modification))"
    ),
}
# the kinds of figure that answer each asked kind: a price may be a percentage of another ("10 % of the fees")
_ANSWERS = {"duration": {"duration"}, "percent": {"percent"}, "money": {"money", "percent"}}
# a price stated without a figure
_FREE = re.compile(r"\b(?:free|gratuite?s?|gratuitement|no\s+charge|sans\s+frais|at\s+no\s+cost)\b")
_GLUED = re.compile(r"(?<=[^\W\d_])(?=\d)")


def asked_kinds(question: str) -> frozenset[str]:
    """The kinds of figure ("duration", "percent", "money") the question asks for; empty for most."""
    text = fold(question, apostrophes=True)
    return frozenset(k for k, rx in _ASKS.items() if rx.search(text))


def lacks_asked_figure(question: str, sentence: str) -> bool:
    """True when the question asks for a kind of figure and the sentence holds none that could answer it."""
    asked = asked_kinds(question)
    if not asked:
        return False
    kinds = {f.kind for f in parse_figures(_GLUED.sub(" ", sentence))}
    if "money" in asked and _FREE.search(fold(sentence)):
        kinds.add("money")
    return not all(kinds & _ANSWERS[k] for k in asked)


# The kinds of figure a condition names that a sentence must state one of to meet it ("within 48 hours",
# "99.9 % uptime", "more than 100 €"); a count ("ISO 27001", "Article 28") is a name, not a measure.
_MEASURES = frozenset({"duration", "percent", "money"})
# The words that make a named measure a bound (on folded text): right before it, a most ("within 48 hours",
# "moins de 48 heures", "up to three months") or a least ("at least 99.5 %", "au moins 30 jours"); right
# after it, "or less" / "or more".
# The words themselves, English and French, are also the keywords of the review grid's requirement rules
# (assistant.requirements: "max 72 hours", « au plus 72 heures », "at least 99.5 %").
AT_MOST_WORDS = (
    r"within|at\s+most|no\s+more\s+than|not\s+more\s+than|up\s+to|under|less\s+than|maximum(?:\s+of)?"
    r"|sous|au\s+plus|au\s+maximum|moins\s+de|jusqu'a|d'au\s+plus|n'excedant\s+pas|inferieure?s?\s+a"
    r"|dans\s+un\s+delai\s+(?:maximum\s+|maximal\s+)?de"
)
AT_LEAST_WORDS = (
    r"at\s+least|no\s+less\s+than|not\s+less\s+than|more\s+than|over|above|minimum(?:\s+of)?"
    r"|au\s+moins|au\s+minimum|d'au\s+moins|plus\s+de|superieure?s?\s+a"
)
_AT_MOST_BEFORE = re.compile(rf"\b(?:{AT_MOST_WORDS})\s*$")
_AT_LEAST_BEFORE = re.compile(rf"\b(?:{AT_LEAST_WORDS})\s*$")
_AT_MOST_AFTER = re.compile(r"^\s*(?:or\s+less|or\s+fewer|ou\s+moins|maximum|max\b)")
_AT_LEAST_AFTER = re.compile(r"^\s*(?:or\s+more|ou\s+plus|minimum|min\b)")


def _bound(question: str, fig: Figure) -> str | None:
    """ "max", "min" or None: whether the question names `fig` as an upper or a lower bound."""
    before = fold(question[: fig.start], apostrophes=True)[-40:]
    after = fold(question[fig.end :], apostrophes=True)[:20]
    if _AT_MOST_BEFORE.search(before) or _AT_MOST_AFTER.match(after):
        return "max"
    if _AT_LEAST_BEFORE.search(before) or _AT_LEAST_AFTER.match(after):
        return "min"
    return None


def bounded_measures(question: str) -> list[tuple[Figure, str]]:
    """The measures the question names as bounds, each with "max" or "min": "within 48 hours" (max), "at
    least 99.5 %" (min), "up to three months" (max), "moins de 48 heures" (max). A measure named without a
    bound ("guarantee 99.9 % uptime", "24 hours a day") is none: which side meets it is not said."""
    out = []
    for f in parse_figures(question):
        if explicit(f) and f.kind in _MEASURES and (bound := _bound(question, f)) is not None:
            out.append((f, bound))
    return out


def meets_bounds(question: str, sentence: str) -> bool | None:
    """Whether the sentence meets every bound the question names (bounded_measures): True when, for each,
    one of its figures of that kind is surely within it (24 hours is within "within 48 hours"; 99.99 % is
    "at least 99.5 %"); False when, for one, it states figures of that kind and each is surely outside
    (72 hours; 99 %); None when the question names no bound, the sentence states no figure of a bound's
    kind ("without undue delay"), or whether a figure is within is not sure (48 business hours may run past
    48 elapsed hours: assistant.figures.within_limit)."""
    bounds = bounded_measures(question)
    if not bounds:
        return None
    stated = parse_figures(_GLUED.sub(" ", sentence))
    met: list[bool | None] = []
    for limit, bound in bounds:
        reads = [
            within_limit(f, limit) if bound == "max" else within_limit(limit, f)
            for f in stated
            if f.kind == limit.kind and explicit(f)
        ]
        met.append(True if True in reads else False if reads and all(r is False for r in reads) else None)
    if False in met:
        return False
    return True if all(m is True for m in met) else None
