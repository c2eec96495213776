"""Vendor aliases read from the documents themselves: the company and product names a document gives its
own party, and the roles it calls that party by ("le Prestataire", "the Service Provider").

Nothing here lists aliases: they come from how contracts introduce their parties.
* Definitions: `(ci-après le « Prestataire »)`, `(ci-après le "Sous-traitant" ou "Humanlinker")`,
  `("the Service Provider")`, `(collectively "BWW," "we" or "us")`. A definition names the vendor when
  what it defines is the vendor: the phrase before it is a name already known for the vendor ("… de
  Humanlinker (ci-après …)"), or identifies a company that carries such a name ("La société Aura Digital,
  … au capital de …, immatriculée … (ci-après le « Prestataire »)"), or the terms include "we"/"us".
* The processor role: "The Service Provider, as a subcontractor", "le Prestataire agit en qualité de
  Sous-traitant", "SalesTech, via LEO Bizdev, agit en principe comme Sous-traitant". The GDPR processor
  words are how a DPA tells which party is the vendor (the customer is the controller).
* Company and product names in the preamble: "La société BOOST MY MAIL,", "SalesTech est une société",
  "éditée, développée et commercialisée par SalesTech", "la solution … dénommée « Boost My Mail »".

A *name* (internal capital, digit or all capitals: "SalesTech", "A5Groupe") is matched in questions like
the display name (any case, light misspellings). A *role* (a capitalised common word: "Prestataire",
"Service Provider") is stored with `ROLE_PREFIX` and matched only when written capitalised, as the
contract writes its defined terms; the lower-case common noun stays generic. A term that several vendors
use widens the search instead of choosing one (assistant/vendors.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.text import STOPWORDS, fold, sentence_bounds
from core.types import VENDOR_ROLE_PREFIX as ROLE_PREFIX

ALIASES_VERSION = "aliases-v3"  # bump when the derivation changes: every document record is rewritten
PREAMBLE_CHARS = 3000  # company identifications are read from the start of a document only
MAX_TERM_CHARS = 40

_Q_OPEN, _Q_CLOSE = '«"“', '»"”'
_QUOTED = re.compile(rf"[{_Q_OPEN}]\s*([^{_Q_CLOSE}\n]{{2,{MAX_TERM_CHARS}}}?)\s*[{_Q_CLOSE}]")
_DEFINITION = re.compile(r"\((?:[^()\n]|\([^()\n]{0,6}\)){2,160}\)")
# What a definition's parenthesis may hold besides its quoted terms: "(ci-après le « X »)",
# '(hereinafter "the X")', '(collectively, "X," "we" or "us")', '("the X")'.
_DEFINITION_WORDS = frozenset(
    """
ci apres après dessous avant ensemble hereinafter hereafter below referred to as called collectively together
individually each jointly denommee dénommée denomme dénommé designee désignée designe désigné le la les l ou et
the a an or and s this
""".split()
)
_FIRST_PERSON = frozenset({"we", "us", "our", "nous"})
_IDENTIFICATION = re.compile(
    r"\b(?:capital|RCS|R\.C\.S|immatricul\w*|registered|SIREN|SIRET|incorporated|company number|"
    r"siège social|head office)\b|\b(?:Inc|LLC|Ltd|Limited|GmbH|SAS|SARL|SA|plc|Corp|Corporation)\b\.?"
)
_CAP = r"[A-ZÀ-ÖØ-Þ]"
_NAME = rf"({_CAP}[\w&'’.-]*(?:[ \t]+(?:{_CAP}|\d)[\w&'’.-]*){{0,3}})"
_COMPANY_NAMES = (
    re.compile(rf"\b(?:[Ll]a société|[Tt]he company)\s+{_NAME}"),
    re.compile(rf"\b{_NAME},?\s+(?:est une|is an?|une|an?)?\s*(?:société|company|corporation)\b"),
    re.compile(
        rf"\b(?:édité|développé|commercialisé|published|developed|operated|provided)e?s?"
        rf"(?:\s*,\s*\w+|\s+(?:et|and)\s+\w+)*\s+(?:par|by)\s+{_NAME}"
    ),
)
_PRODUCT_NAME = re.compile(
    rf"\b(?:solution|service|plateforme|platform|produit|product|logiciel|software)\b[^.\n]{{0,40}}?"
    rf"\b(?:dénommée?|nommée?|called|named)\s+[{_Q_OPEN}]\s*([^{_Q_CLOSE}\n]{{2,{MAX_TERM_CHARS}}}?)\s*[{_Q_CLOSE}]"
)
_PROCESSOR = (
    r"(?i:(?:data\s+)?(?:processor|subcontractor|sub-processor|sous-traitant|prestataire|fournisseur))"
)
_ACTS_AS = (
    r"(?:,\s*)?(?:as|acting as|en (?:sa )?qualité de|est qualifiée? de|"
    r"agit(?:\s+\w+){0,3}?\s+(?:comme|en qualité de)|agissant (?:comme|en qualité de))\s+"
    r"(?:(?:a|an|the|un|une|le|la|l['’])\s*)?"
)
_ROLE_SUBJECT = re.compile(
    rf"\b(?:[Tt]he|[Ll]e|[Ll]a|[Ll]['’])\s*({_CAP}[\w-]+(?:\s+{_CAP}[\w-]+){{0,2}})\s*{_ACTS_AS}"
    rf"({_PROCESSOR})\b"
)
_NAMED_SUBJECT = re.compile(rf"{_NAME}(?:\s*,[^,.\n]{{0,40}},)?\s*{_ACTS_AS}({_PROCESSOR})\b")
_ARTICLE = re.compile(r"^(?:le|la|les|l['’]|the)\s*(?:\(s\)\s*)?", re.I)
_WORD = re.compile(r"[^\W_]+")


def _norm(s: str) -> str:
    return " ".join(_WORD.findall(fold(s)))


_LEGAL_FORM = re.compile(r"[\s,]+(?:Inc|LLC|Ltd|Limited|GmbH|SAS|SARL|SA|plc|Corp|Corporation)\.?$")


def _clean_term(term: str) -> str:
    """Without article, plural mark, legal form or trailing punctuation: "the Service Provider" ->
    "Service Provider", "Client(s)" -> "Client", "Acme Hosting Ltd" -> "Acme Hosting"."""
    term = _ARTICLE.sub("", " ".join(term.split())).strip(" ,.;:")
    term = _LEGAL_FORM.sub("", re.sub(r"\(s\)$", "", term))
    return term.strip(" ,.;:")


def is_name(term: str) -> bool:
    """A proper name rather than a capitalised common word: an internal capital ("SalesTech"), a digit
    ("A5Groupe") or all capitals ("BOOST MY MAIL")."""
    letters = [c for c in term if c.isalpha()]
    if any(c.isdigit() for c in term):
        return True
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return True
    return any(w[1:] != w[1:].lower() for w in term.split() if len(w) > 1)


def _contains_name(text: str, names: Iterable[str]) -> bool:
    t = f" {_norm(text)} "
    return any(n and f" {n} " in t for n in (_norm(x) for x in names))


def _is_name_phrase(text: str, names: Iterable[str]) -> bool:
    """The phrase is a known name, alone or after a preposition ("de Humanlinker", "la société X"): not a
    noun it qualifies ("le service Humanlinker" names the service, not the party)."""
    t = _norm(text)
    for n in (_norm(x) for x in names):
        if n and re.fullmatch(
            rf"(?:(?:de|d|du|of|par|by|la societe|societe|the company|company)\s+)?{re.escape(n)}", t
        ):
            return True
    return False


def _definition_terms(paren: str) -> list[str] | None:
    """The quoted terms of a definition parenthesis, or None when it holds other words (a remark in
    brackets that quotes something is no definition)."""
    terms = [q.group(1) for q in _QUOTED.finditer(paren)]
    rest = _QUOTED.sub(" ", paren[1:-1])
    if not terms or any(w not in _DEFINITION_WORDS for w in _norm(rest).split()):
        return None
    return terms


def _antecedent(text: str, pos: int, floor: int) -> str:
    """The sentence (or ";"-separated part) that leads up to `pos`, after `floor` and within 600 characters."""
    start = max(floor, pos - 600)
    units = sentence_bounds(text[start:pos], ".!?;")
    return text[start + units[-1][0] : pos] if units else ""


def derive_aliases(text: str, known: Iterable[str]) -> tuple[list[str], list[str]]:
    """(names, roles) a document uses for its own party. `known`: the vendor's display name, slug words and
    vendor.yaml aliases (the names a definition must point at)."""
    names: list[str] = []
    roles: list[str] = []
    known_list = [k for k in known if k]

    def add(term: str, as_role: bool | None = None) -> None:
        term = _clean_term(term)
        if (
            not term
            or len(term) > MAX_TERM_CHARS
            or not any(c.isalpha() for c in term)
            or not term[0].isupper()
            or all(w in STOPWORDS for w in _norm(term).split())  # "To a company…", "For a corporation…"
        ):
            return
        role = (not is_name(term)) if as_role is None else as_role
        bucket = roles if role else names
        if _norm(term) in {_norm(x) for x in [*known_list, *names, *roles]}:
            return
        bucket.append(term)

    head = text[:PREAMBLE_CHARS]
    for rx in _COMPANY_NAMES:
        for m in rx.finditer(head):
            add(m.group(1), as_role=False)
    for m in _PRODUCT_NAME.finditer(text):
        add(m.group(1), as_role=False)

    def every() -> list[str]:  # names found so far count as known
        return [*known_list, *names]

    floor = 0
    first_identified = False
    for m in _DEFINITION.finditer(text):
        terms = _definition_terms(m.group())
        if terms is None:
            continue
        ante = _antecedent(text, m.start(), floor)
        floor = m.end()
        identified = bool(_IDENTIFICATION.search(ante))
        first_person = any(_norm(t) in _FIRST_PERSON for t in terms)
        ours = (
            first_person
            or _is_name_phrase(ante, every())
            or (
                identified
                and (_contains_name(ante, every()) or (m.start() < PREAMBLE_CHARS and not first_identified))
            )
        )
        first_identified = first_identified or identified
        if ours:
            for term in terms:
                add(term)
    for m in _ROLE_SUBJECT.finditer(text):
        add(m.group(1))
        if m.group(2)[0].isupper():
            add(m.group(2), as_role=True)
    for m in _NAMED_SUBJECT.finditer(text):
        if _contains_name(m.group(1), every()) and m.group(2)[0].isupper():
            add(m.group(2), as_role=True)
    return names, roles


def document_aliases(text: str, known: Iterable[str]) -> list[str]:
    """derive_aliases as the strings a document record stores: names as they are, roles with ROLE_PREFIX."""
    names, roles = derive_aliases(text, known)
    return names + [ROLE_PREFIX + r for r in roles]
