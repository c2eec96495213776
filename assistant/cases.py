"""The case a contract sentence's rule is limited to ("for free products", "customers located in the EU",
"pour les offres gratuites"), and the cases a question names: an answer for one case is not the answer for
another (a free product's liability limit is not a paying customer's cap). Read by the check stage (a
sentence limited to another case than the question's is not accepted) and by the verify stage (a wording
must keep the case its sentence is limited to)."""

from __future__ import annotations

import re

from assistant.places import place_names
from core.text import fold

# The case a sentence's rule applies to, when it names one: a kind of offer, account or customer ("for free
# products", "pour les offres gratuites", "paying customers") or the customer's place ("customers located in
# the EU", "clients établis hors de l'UE"). Canonical cases with their English and French words: the
# commercial vocabulary of offers, not any vendor's plan names. Kinds of customer ("business", "consumer",
# "professionnel") are left out: in contracts they mostly qualify other nouns ("business relationship",
# "personal data", "clients professionnels" for a whole contract) rather than limit a rule.
_CASES = {
    "free": r"free|gratuite?s?",
    "paid": r"paid|paying|payante?s?",
    "trial": r"trials?|d['’]essai",
    "legacy": r"legacy",
    "enterprise": r"enterprise",
    "premium": r"premium",
}
_CASE_WORD = "|".join(f"(?P<{k}>{v})" for k, v in _CASES.items())
_CASE_ANY = re.compile(rf"\b(?:{_CASE_WORD})\b", re.I)
_CASE_BEFORE = re.compile(
    rf"\b(?:for|to|of|with|if|when|unless|except|only|pour|aux?|des|si|sauf)\s+(?:(?:the|a|an|our|your|any|les?"
    rf"|la|l['’]|vos|nos)\s*)?(?:\w+\s+){{0,2}}?(?:{_CASE_WORD})\b",
    re.I,
)
_CASE_AFTER = re.compile(
    rf"\b(?:offers?|offres?|plans?|products?|produits?|accounts?|comptes?|customers?|clients?|users?"
    rf"|utilisateurs?|subscriptions?|abonnements?|versions?)\s+(?:{_CASE_WORD})\b",
    re.I,
)
_CASE_PLACE = re.compile(
    r"\b(?:customers?|clients?|users?|utilisateurs?|residents?|résidents?|personnes?)\s+(?:\w+\s+){0,2}?"
    r"(?:located|based|residing|established|situ[ée]e?s?|[ée]tablie?s?|r[ée]sidant)\s+(?:in|within|outside|"
    r"en|dans|hors|au|aux)\s+(?P<rest>[^,.;]{2,60})",
    re.I,
)
# the Union and the EEA: the acronyms as written (French "eu" is a past participle), the words in any case
_EU = re.compile(r"\b(?:EU|UE|EEA|EEE)\b|\b(?i:europe|european|europ[ée]enne)\b")


def _case_names(m: re.Match[str]) -> set[str]:
    return {k for k, v in m.groupdict().items() if v and k in _CASES}


def _place_case(text: str) -> str | None:
    """A place's canonical name: "eu" for the Union and the EEA in either language, else the folded name."""
    if _EU.search(text):
        return "eu"
    m = place_names().search(text)
    return fold(m.group()) if m else None


def cases_in(text: str) -> set[str]:
    """Every case a text names (canonical: "free", "paid", "eu", "united states"…), wherever it stands."""
    found = {k for m in _CASE_ANY.finditer(text) for k in _case_names(m)}
    place = _place_case(text)
    return found | ({place} if place else set())


def cases_of(sentence: str) -> set[str]:
    """The cases a sentence's rule is limited to (canonical), from its limiting constructions only."""
    found = {k for rx in (_CASE_BEFORE, _CASE_AFTER) for m in rx.finditer(sentence) for k in _case_names(m)}
    for m in _CASE_PLACE.finditer(sentence):
        place = _place_case(m.group("rest"))
        if place:
            found.add(place)
    return found


def case_conflict(question: str, sentence: str) -> bool:
    """True when the question names a case and the sentence is limited to others only (the question asks
    about paying customers, the sentence is for free products; EU customers against US ones)."""
    asked, limited = cases_in(question), cases_of(sentence)
    return bool(asked) and bool(limited) and not (asked & limited)
