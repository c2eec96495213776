"""The case a contract sentence's rule is limited to ("for free products", "customers located in the EU",
"pour les offres gratuites"), and the cases a question names: an answer for one case is not the answer for
another (a free product's liability limit is not a paying customer's cap); and the party a sentence gives a
power or a duty (the vendor's right to assign the contract is not the customer's). Read by the check stage (a
sentence limited to another case than the question's is not accepted) and by the verify stage (a wording
must keep the case its sentence is limited to)."""

from __future__ import annotations

import functools
import re

from assistant.places import place_names
from core.text import fold
from vectorstore.bm25 import tokenize

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


def case_conflict(question: str, sentence: str, vendor_name: str = "") -> bool:
    """True when the question names a case and the sentence is limited to others only (the question asks
    about paying customers, the sentence is for free products; EU customers against US ones), or when the
    sentence gives the action the question asks about to the other party only (party_conflict)."""
    asked, limited = cases_in(question), cases_of(sentence)
    if asked and limited and not (asked & limited):
        return True
    return party_conflict(question, sentence, vendor_name)


# ----------------------------------------------------------------------------- the party a right belongs to
# Which party a sentence grants a power or binds ("Le Client s'interdit de transférer…", "le Fournisseur
# pourra transférer…", "37signals shall notify…", "You may cancel…"), and which party a question asks about
# ("Puis-je transférer… ?", "Can the provider suspend…?"): a right of the vendor is not the customer's. The
# roles are the contract vocabulary of either side in both languages ("we" is the vendor in its own terms,
# "you" the customer); the vendor's own name counts as the vendor.
_CUSTOMER = r"clients?|clientes?|customers?|licensees?|subscribers?|abonn[ée]e?s?|you|vous"
_VENDOR = r"fournisseurs?|prestataires?|providers?|vendors?|suppliers?|[ée]diteurs?|licensors?|we|nous"
_MODAL = (
    r"(?:(?:ne|n['’])\s*)?(?:peut|peuvent|pourra|pourront|puisse|puissent|doit|doivent|devra|devront"
    r"|s['’]engagen?t?|s['’]interdit|s['’]interdisent|s['’]oblige|est\s+tenue?|se\s+r[ée]serve"
    r"|est\s+autoris[ée]e?|a\s+le\s+droit|may|shall|will|must|can|cannot|agrees?|undertakes?"
    r"|is\s+entitled|reserves|is\s+required|has\s+the\s+right)(?:\s+not)?"
)
# after the modal, words before the action: "de", "to", "librement", "at any time"…
_FILLER = r"(?:\s+(?:de|d['’]|à|to|pas|not|also|aussi|également|librement|freely|only|seulement|then))*"
_ACTION = r"\s+(?P<action>[^\W\d_][\w’'-]{2,})"
_FIRST_PERSON = re.compile(
    r"\b(?:(?:puis|dois|peux|pourrais|pourrai)[- ]je|je\s+(?:peux|dois|pourrai)|(?:can|may|must|should|could)"
    r"\s+(?:I|we))\b" + _FILLER + _ACTION,
    re.I,
)


@functools.lru_cache(maxsize=64)
def _subject_modal(role: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])(?:{role})\s+(?:\w+\s+){{0,1}}?{_MODAL}" + _FILLER + _ACTION, re.I)


@functools.lru_cache(maxsize=64)
def _asked_modal(role: str) -> re.Pattern[str]:
    """A question about `role`'s power: "Can the provider suspend…", "Le client peut-il résilier…" (not a
    passive one: "When is a customer charged…?" asks about the vendor's charge)."""
    return re.compile(
        rf"(?:\b(?:can|may|must|does|will|shall)\s+(?:the\s+|a\s+)?(?:{role})\b(?:\s+be\s+allowed\s+to)?"
        rf"|(?<![\w-])(?:{role})\s+(?:[\w'’]+\s+){{0,3}}?(?:peut|peuvent|doit|doivent|pourra)-(?:t-)?"
        r"(?:il|elle|ils|elles))" + _FILLER + _ACTION,
        re.I,
    )


def _action(word: str) -> set[str]:
    return set(tokenize(word))  # the stems BM25 uses, French and English


def _roles(vendor_name: str) -> dict[str, str]:
    """Each party's words, the vendor's own name among the vendor's."""
    return {"customer": _CUSTOMER, "vendor": _VENDOR + (f"|{re.escape(vendor_name)}" if vendor_name else "")}


def parties_of(sentence: str, vendor_name: str = "") -> dict[str, set[str]]:
    """The parties the sentence gives a power or a duty, each with the stems of the actions it names
    ("Le Fournisseur pourra transférer…" -> {"vendor": {stems of "transférer"}})."""
    out: dict[str, set[str]] = {}
    for party, role in _roles(vendor_name).items():
        for m in _subject_modal(role).finditer(sentence):
            out.setdefault(party, set()).update(_action(m.group("action")))
    return out


def asked_party(question: str, vendor_name: str = "") -> tuple[str, set[str]] | None:
    """(party, action stems) of the power the question asks about: the customer for "Puis-je transférer…",
    "Can the customer terminate…", the vendor for "Can the provider suspend…", "Boost My Mail peut-il
    céder…"; None when the question names no party before its action."""
    m = _FIRST_PERSON.search(question)
    if m:
        return "customer", _action(m.group("action"))
    for party, role in _roles(vendor_name).items():
        m = _asked_modal(role).search(question)
        if m:
            return party, _action(m.group("action"))
    return None


def party_conflict(question: str, sentence: str, vendor_name: str = "") -> bool:
    """True when the question asks about one party's power to do something and the sentence gives that same
    action to the other party only ("Puis-je transférer mon contrat ?" / "Le Fournisseur pourra transférer
    le Contrat"); a sentence about another action, or about both parties, is no conflict."""
    asked = asked_party(question, vendor_name)
    if asked is None or not asked[1]:
        return False
    party, action = asked
    given = {p for p, acts in parties_of(sentence, vendor_name).items() if acts & action}
    return bool(given) and party not in given
