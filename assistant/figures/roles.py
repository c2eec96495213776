"""Party roles: which party a figure in a contract sentence binds (the vendor, the client, a
sub-processor, a data subject, an authority), read from the subject or agent of its clause, and the words
around a figure (the event it belongs to)."""

from __future__ import annotations

import re
from collections.abc import Collection

from assistant.figures.base import NOT_LETTER_AFTER, NOT_LETTER_BEFORE, Figure
from assistant.glossary import translate_terms
from core.text import sentence_at
from vectorstore.bm25 import tokenize

_PARTIES: tuple[tuple[str, str], ...] = (
    ("subprocessor", r"sous[\s-]traitants?\s+ultérieurs?|sub[\s-]?processors?|sub[\s-]?contractors?"),
    ("authority", r"cnil|autorités?\s+de\s+contrôle|supervisory\s+authorit(?:y|ies)"),
    ("subject", r"personnes?\s+concernées?|data\s+subjects?"),
    (
        "client",
        r"clients?|customers?|controllers?|responsables?\s+d[eu]\s+(?:du\s+)?traitement|subscribers?"
        r"|abonnés?|licensees?|utilisateurs?|users?|vous|you",
    ),
    (
        "vendor",
        r"prestataires?|fournisseurs?|sous[\s-]traitants?|processors?|service\s+providers?|providers?"
        r"|vendors?|suppliers?|éditeurs?|nous|we",
    ),
)
_PARTY_RE = re.compile(
    "|".join(f"(?P<{name}>{NOT_LETTER_BEFORE}(?:{p}){NOT_LETTER_AFTER})" for name, p in _PARTIES), re.I
)
_PREP_BEFORE = re.compile(
    r"(?:\b(?:à|au|aux|to|for|pour|with|avec|auprès\s+d[eu]s?|envers|towards|of|from"
    r"|de|du|des|d['’]|sur|on|against|contre)\s+(?:(?:the|le|la|les|l['’]|its|their|son|sa"
    r"|ses|leur|leurs|each|chaque|tout|toute|any)\s*)?)$",
    re.I,
)
_AGENT_BEFORE = re.compile(r"\b(?:by|par)\s+(?:(?:the|le|la|les|l['’])\s*)?$", re.I)


def _party_mentions(segment: str, offset: int, names: Collection[str]) -> list[tuple[int, str, str]]:
    """(position, party, how) of each party mention: how is "agent" ("by the Provider"), "object" (after a
    preposition: "au Client", "to the customer") or "subject"."""
    found: list[tuple[int, str, str]] = []
    for m in _PARTY_RE.finditer(segment):
        party = next(k for k, v in m.groupdict().items() if v)
        found.append((m.start(), party, m.group()))
    for name in names:
        if name.strip():
            for m in re.finditer(rf"{NOT_LETTER_BEFORE}{re.escape(name)}{NOT_LETTER_AFTER}", segment, re.I):
                found.append((m.start(), "vendor", m.group()))
    out: list[tuple[int, str, str]] = []
    for pos, party, word in sorted(found):
        left = segment[:pos]
        how = "agent" if _AGENT_BEFORE.search(left) else "object" if _PREP_BEFORE.search(left) else "subject"
        if how == "object" and re.match(r"\s*:", segment[pos + len(word) :]):
            how = "subject"  # a heading "For the Customer:" names whom the line binds
        out.append((pos + offset, party, how))
    return out


def party_of(text: str, fig: Figure, names: Collection[str] = ()) -> str | None:
    """The party a figure belongs to: the subject (or agent) of the clause that holds it, read backwards
    from the figure through its sentence's comma-separated parts, else the first one after it."""
    s0, s1 = sentence_at(text, fig.start)
    before = text[s0 : fig.start]
    parts = [(m.start() + s0, m.group()) for m in re.finditer(r"[^,]+", before)]
    for off, part in reversed(parts):
        ms = _party_mentions(part, off, names)
        agents = [p for _, p, how in ms if how == "agent"]
        if agents:
            return agents[0]
        subjects = [p for _, p, how in ms if how == "subject"]
        if subjects:
            return subjects[0]
    after = _party_mentions(text[fig.end : s1], fig.end, names)
    for _, p, how in after:
        if how != "object":
            return p
    return None


def _window_words(text: str, fig: Figure, n: int = 8) -> list[str]:
    """The words around a figure, within its sentence (the event it belongs to)."""
    s0, s1 = sentence_at(text, fig.start)
    left = re.findall(r"[^\W\d_]+", text[s0 : fig.start])[-n:]
    right = re.findall(r"[^\W\d_]+", text[fig.end : s1])[:n]
    return left + right


def figure_window(text: str, fig: Figure, n: int = 8) -> set[str]:
    """Stems of the words around a figure, within its sentence."""
    return set(tokenize(" ".join(_window_words(text, fig, n))))


def claim_window(claim: str, fig: Figure) -> set[str]:
    """The claim's window, with the glossary's translations of its own words (not of the whole sentence:
    a term from elsewhere in the sentence would favour a rival figure near it)."""
    words = " ".join(_window_words(claim, fig))
    return set(tokenize(words)) | set(tokenize(" ".join(translate_terms(words))))
