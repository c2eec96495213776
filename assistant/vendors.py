"""Which vendors a question names: display names, slugs, aliases and light misspellings, plus names of
vendors that are not in the corpus (so that "What is Salesforce's liability cap?" abstains).

Aliases include what the documents call their own party (ingest/aliases.py): names ("SalesTech") match like
the display name; roles ("Prestataire", "Service Provider") match only written capitalised, as contracts
write their defined terms ("the service provider" in lower case stays generic). A name or role that several
vendors use names none of them: it is reported in `Detection.ambiguous` and the search is not narrowed
("le Sous-traitant" when three vendors call themselves so), rather than narrowed to the wrong vendor."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA

from core.text import fold
from core.types import VENDOR_ROLE_PREFIX

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class VendorInfo:
    """A vendor of the corpus: slug (folder name), display name, aliases (vendor.yaml's and the names its
    documents use) and roles (capitalised terms its documents call its party by)."""

    slug: str
    name: str
    aliases: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    def role_terms(self) -> list[tuple[str, ...]]:
        """The roles as token tuples in their written case ("Service", "Provider")."""
        out: list[tuple[str, ...]] = []
        for r in self.roles:
            toks = tuple(_TOKEN.findall(r))
            if toks and toks not in out:
                out.append(toks)
        return out

    def terms(self) -> list[tuple[str, ...]]:
        """Every way to write the vendor, as normalised token tuples (name, slug, aliases, joined forms)."""
        raw = [self.name, self.slug.replace("-", " "), *self.aliases]
        out: list[tuple[str, ...]] = []
        for r in raw:
            toks = tuple(fold(t) for t in _TOKEN.findall(r))
            if not toks:
                continue
            for form in (toks, ("".join(toks),)):
                if form not in out:
                    out.append(form)
        return out


@dataclass
class VendorMention:
    slug: str
    start: int  # character offsets in the question
    end: int
    fuzzy: bool = False


@dataclass
class Detection:
    """Vendors found in a question, in order of first mention, and an unknown vendor name if any."""

    vendors: list[str] = field(default_factory=list)
    mentions: list[VendorMention] = field(default_factory=list)
    unknown: str | None = None
    ambiguous: list[str] = field(default_factory=list)  # names/roles of several vendors: search not narrowed


def _fuzzy_limit(term: str) -> int:
    """Misspellings tolerated for a term of this length: none for short words (no "aura" by accident)."""
    n = len(term)
    if n < 6:
        return 0
    return 1 if n < 11 else 2


def _key(term: Sequence[str]) -> str:
    return "".join(fold(t) for t in term)


def shared_terms(catalog: Sequence[VendorInfo]) -> set[str]:
    """Names and roles (as joined normalised keys) that more than one vendor of the catalogue uses."""
    owners: dict[str, set[str]] = {}
    for v in catalog:
        for term in [*v.terms(), *v.role_terms()]:
            owners.setdefault(_key(term), set()).add(v.slug)
    return {k for k, slugs in owners.items() if len(slugs) > 1}


def _same_case(raw: Sequence[str], term: Sequence[str]) -> bool:
    """A role is written as the contract writes it: every capitalised word of the role capitalised."""
    return all(not t[0].isupper() or r[0].isupper() for r, t in zip(raw, term, strict=True))


def detect_vendors(
    question: str, catalog: Sequence[VendorInfo], known_word: Callable[[str], bool] | None = None
) -> Detection:
    """Find the corpus vendors a question names. Exact token matches of names/slugs/aliases and of
    capitalised roles first, then fuzzy matches of names (same first letter, small edit distance, long
    terms only). A name or role several vendors share is set aside in `ambiguous` (no vendor). When no
    corpus vendor is named, a capitalised name in a vendor position ("Salesforce's", "for Acme", "chez
    Acme") that the corpus never mentions (`known_word` false) is reported as `unknown`."""
    toks = [(m.start(), m.end(), fold(m.group()), m.group()) for m in _TOKEN.finditer(question)]
    words = [t[2] for t in toks]
    taken = [False] * len(toks)
    mentions: list[VendorMention] = []
    ambiguous: list[str] = []
    shared = shared_terms(catalog)
    candidates: list[tuple[int, VendorInfo, tuple[str, ...], bool]] = []
    for v in catalog:
        for term in v.terms():
            candidates.append((len(" ".join(term)), v, term, False))
        for term in v.role_terms():
            candidates.append((len(" ".join(term)), v, term, True))
    candidates.sort(key=lambda c: -c[0])  # longest terms first: "Leo Bizdev" before "LEO"
    for fuzzy in (False, True):
        for _, v, term, is_role in candidates:
            joined = _key(term)
            limit = _fuzzy_limit(joined)
            if fuzzy and (limit == 0 or is_role or joined in shared):
                continue
            sizes = [len(term)] if len(term) > 1 or is_role else [1, 2, 3]  # "Human Linker" for "humanlinker"
            for n in sizes:
                for i in range(len(toks) - n + 1):
                    if any(taken[i : i + n]):
                        continue
                    window = words[i : i + n]
                    w = "".join(window)
                    if is_role:
                        ok = w == joined and _same_case([t[3] for t in toks[i : i + n]], term)
                    elif not fuzzy:
                        ok = w == joined and (n == len(term) or len(joined) >= 6)
                    else:  # optimal string alignment distance (rapidfuzz: the former hand-written OSA's
                        # decisions on 20,000 random pairs, 67x faster)
                        ok = (
                            w[0] == joined[0]
                            and len(w) >= 4
                            and OSA.distance(w, joined, score_cutoff=limit) <= limit
                            and not (known_word and n == 1 and known_word(window[0]))
                        )
                    if ok:
                        for j in range(i, i + n):
                            taken[j] = True
                        if joined in shared:
                            ambiguous.append(question[toks[i][0] : toks[i + n - 1][1]])
                        else:
                            mentions.append(VendorMention(v.slug, toks[i][0], toks[i + n - 1][1], fuzzy))
    mentions.sort(key=lambda m: m.start)
    vendors: list[str] = []
    for m in mentions:
        if m.slug not in vendors:
            vendors.append(m.slug)
    det = Detection(vendors=vendors, mentions=mentions, ambiguous=ambiguous)
    if not vendors and not ambiguous:
        det.unknown = find_unknown_vendor(question, known_word)
    return det


# Capitalised words that are not vendor names: question words, legal/contract vocabulary, places.
_NOT_NAMES = frozenset(
    fold(w)
    for w in """
what which who whom whose when where why how does do did is are can could should would will may
must the a an and or of for in on to with by at from about under if any all each every this that these
those i we you it they my our your their is quel quelle quels quelles qui que quoi quand comment
combien pourquoi est ce cette ces le la les un une des du de pour chez avec sur dans selon entre
et ou mais aussi
gdpr rgpd dpa dpo sla cgu cgv cgs cnil eu ue uk us usa eea eee europe european france french english
francais anglais article annex annexe clause section contract contrat customer client provider
fournisseur prestataire vendor vendors processor subprocessor sub controller responsable
sous traitant service services solution platform plateforme terms conditions privacy policy
agreement data personal donnees ai ia saas api ip
monday tuesday wednesday thursday friday saturday sunday january february march april june july
august september october november december janvier fevrier mars avril mai juin juillet aout
septembre octobre novembre decembre
""".split()
)

_POSSESSIVE = re.compile(r"\b([A-Z][\w&.\-]*(?:\s+[A-Z][\w&.\-]*){0,2})['’]s\b")
_AFTER_PREP = re.compile(
    r"\b(?:for|of|with|at|by|from|does|do|is|chez|de|d['’]|avec|pour|par|selon)\s*"
    r"([A-Z][\w&.\-]*(?:\s+[A-Z][\w&.\-]*){0,2})"
)


def find_unknown_vendor(question: str, known_word: Callable[[str], bool] | None = None) -> str | None:
    """A capitalised name in a vendor position that is neither common vocabulary nor in the corpus."""
    for rx in (_POSSESSIVE, _AFTER_PREP):
        for m in rx.finditer(question):
            name = m.group(1).strip(" .-")
            parts = [fold(p) for p in _TOKEN.findall(name)]
            if not parts or all(p in _NOT_NAMES for p in parts):
                continue
            parts_kept = [p for p in parts if p not in _NOT_NAMES]
            if any(len(p) < 2 for p in parts_kept):
                continue
            if known_word is not None and any(known_word(p) for p in parts_kept):
                continue
            return name
    return None


def catalog_from(
    names: Mapping[str, str], aliases: Mapping[str, Iterable[str]] | None = None
) -> list[VendorInfo]:
    """Build the catalogue from slug -> display name and slug -> aliases (e.g. the store's records); an
    alias written with VENDOR_ROLE_PREFIX is a role."""
    aliases = aliases or {}
    out: list[VendorInfo] = []
    for slug, name in sorted(names.items()):
        given = [a for a in aliases.get(slug, ()) if a]
        roles = tuple(
            dict.fromkeys(a[len(VENDOR_ROLE_PREFIX) :] for a in given if a.startswith(VENDOR_ROLE_PREFIX))
        )
        plain = tuple(dict.fromkeys(a for a in given if not a.startswith(VENDOR_ROLE_PREFIX)))
        out.append(VendorInfo(slug, name or slug, plain, tuple(r for r in roles if r)))
    return out


def replace_mentions(question: str, mentions: Sequence[VendorMention], name: str) -> str:
    """The question with every vendor mention replaced by `name` (for follow-ups on another vendor)."""
    out, last = [], 0
    for m in sorted(mentions, key=lambda m: m.start):
        out.append(question[last : m.start])
        out.append(name)
        last = m.end
    out.append(question[last:])
    return "".join(out)


def mentions_in(text: str, source: str, mentions: Sequence[VendorMention]) -> list[VendorMention]:
    """`source`'s vendor mentions as they stand in `text`, an ask cut from it ("…? and which courts have
    jurisdiction?"), perhaps with words carried over from another part: the offsets of each mention's words
    wherever `text` has them. A mention's offsets hold in the text they were found in only, and an ask
    after the first does not start where the question does (its lexical query lost letters: "which courts
    have n?")."""
    if text == source:
        return list(mentions)
    found: dict[tuple[int, int], VendorMention] = {}
    for m in mentions:
        words = source[m.start : m.end]
        for hit in re.finditer(rf"(?<!\w){re.escape(words)}(?!\w)", text):
            found.setdefault((hit.start(), hit.end()), VendorMention(m.slug, hit.start(), hit.end(), m.fuzzy))
    return sorted(found.values(), key=lambda m: m.start)


def strip_mentions(question: str, mentions: Sequence[VendorMention]) -> str:
    """The question without its vendor mentions (vendor names only add noise to lexical matching once
    retrieval is filtered to that vendor)."""
    return " ".join(replace_mentions(question, mentions, " ").split())
