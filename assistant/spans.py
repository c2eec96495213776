"""Candidate quotes: a clause split into sentences and list items (core.text.sentence_spans) with document
offsets (ranked against a question by assistant/rank.py), and the idf-weighted word overlap the ranker uses."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from core.text import fold, sentence_bounds, sentence_spans
from core.text import sentences as sentences  # imported from here by assistant.requirements
from core.types import Clause, Hit
from vectorstore.bm25 import tokenize


@dataclass(frozen=True)
class Span:
    """A verbatim piece of a clause: `document_text[start:end] == text` (offsets are document offsets)."""

    clause: Clause
    start: int
    end: int
    text: str
    rank: int = 0  # retrieval rank of its clause
    clause_dense: float = 0.0  # dense similarity of its clause to the question (0 when unknown)
    score: float = 0.0  # ranking score against the question (set by assistant.rank.rank)

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.clause.document, self.start, self.end)

    def as_hit(self) -> Hit:
        """The span as a retrieved record (a clause narrowed to the span: still a verbatim slice)."""
        narrowed = replace(self.clause, start=self.start, end=self.end, text=self.text)
        return Hit(clause=narrowed, score=self.score, sources={"span_of_rank": self.rank})


def split_clause(clause: Clause, rank: int = 0, clause_dense: float = 0.0) -> list[Span]:
    """The clause's sentences and list items as spans with document offsets."""
    return [
        Span(clause, clause.start + s, clause.start + e, clause.text[s:e], rank, clause_dense)
        for s, e in sentence_spans(clause.text)
    ]


# The longest sentence a cut piece is widened back to (a longer one stays cut, its piece quoted)
WHOLE_SENTENCE_MAX = 1200


def whole_sentence(sp: Span, lead: str | None = None, max_chars: int = WHOLE_SENTENCE_MAX) -> Span:
    """The whole sentence `sp` was cut from, when sentence_spans cut a long sentence at a comma (the piece
    ends with a comma or follows one): the piece « Le Client s’interdit de transférer à un tiers le Contrat
    […] et notamment sans que cela soit limitatif, » is what the ranker and the check read, but quoted alone
    it drops the "sans accord préalable écrit du Fournisseur" that ends its sentence. `sp` itself otherwise:
    when it is an item of an enumeration read after its `lead` (lists.governing_words: its quote elides the
    rest), when the sentence is longer than `max_chars`, and when it introduces a list (it ends with a
    colon)."""
    if lead:
        return sp
    text = sp.clause.text
    s, e = sp.start - sp.clause.start, sp.end - sp.clause.start
    if not (sp.text.rstrip().endswith(",") or text[:s].rstrip().endswith(",")):
        return sp
    for a, b in sentence_bounds(text):
        if a <= s and e <= b:
            if (a, b) == (s, e) or b - a > max_chars or text[a:b].rstrip().endswith(":"):
                return sp  # (a sentence that introduces a list is answered by the list: assistant.lists)
            return replace(sp, start=sp.clause.start + a, end=sp.clause.start + b, text=text[a:b])
    return sp


# A sentence that opens by pointing back at the one before it (on folded text): "If we do so, we will give at
# least 30 days notice…" after "we may choose to change the prices", "Such personal data may include…",
# « Dans ce cas, le Fournisseur pourra facturer… », « Une telle… », « À défaut d'accord… ». Not "This
# Agreement" or « ce Contrat », which point at the document, nor the impersonal "It is…" or « Il est… ».
_DOCUMENT_NOUN = (
    r"(?:agreement|addendum|dpa|policy|contract|document|terms|section|clause|article|annex|appendix|exhibit"
    r"|schedule|page|website|site|contrat|accord|politique|conditions|cgu|cgv|cgs|annexe|present)"
)
_BACK_REFERENCE = re.compile(
    r"(?:if\s+(?:we|you|it|they|the\s+\w+)\s+(?:do|does|did)\s+so|if\s+so|in\s+(?:that|this|such|which)\s+(?:case|event)"
    r"|failing\s+(?:that|this|which|such)|otherwise|thereafter|they\b|it\b(?!\s+is\b|'s\b)"
    rf"|(?:such|this|these|those)\b(?!\s+{_DOCUMENT_NOUN}\b)"
    r"|a\s+defaut\b|dans\s+(?:ce|cette|un\s+tel|une\s+telle|ces)\s+(?:cas|hypotheses?)|en\s+ce\s+cas|celui-ci|celle-ci"
    r"|ceux-ci|celles-ci|elles?\b|ils\b|une?\s+tel(?:le)?\b|de\s+tel(?:le)?s\b|dans\s+la\s+mesure\s+ou\s+une?\s+tel"
    rf"|(?:ce|cet|cette|ces)\b(?!\s+{_DOCUMENT_NOUN}\b))"
)
_SENTENCE_END = re.compile(r"[.!?][\"'»”)\]]*\s*$")


def opens_with_back_reference(text: str) -> bool:
    """Whether the sentence opens by pointing back at the one before it (_BACK_REFERENCE)."""
    return bool(_BACK_REFERENCE.match(fold(text, apostrophes=True).lstrip(" \"'«“(-–")))


def with_neighbours(
    sp: Span,
    lead: str | None = None,
    avoid: Collection[tuple[str, int, int]] = (),
    max_chars: int = WHOLE_SENTENCE_MAX,
) -> Span:
    """`sp` with the sentence before it when it opens by pointing back at it, and the sentence after it when
    that one opens by pointing back at `sp` (opens_with_back_reference), so that the quote reads alone: "If we
    do so, we will give at least 30 days notice" says what the notice is for only after "we may choose to
    change the prices for existing customers", and « Dans ce cas, le Fournisseur pourra facturer au Client les
    frais… » is what the sentence before it (the work the Client may instruct) comes to. Only whole sentences of
    its clause, on the same paragraph (no blank line between), each ending as a sentence ends (not a heading or
    a list's introduction), not a sentence in `avoid` (another ask's answer), and not past `max_chars` in all.
    `sp` itself when it is an item of an enumeration read after its `lead` (as for whole_sentence)."""
    if lead:
        return sp
    text = sp.clause.text
    s, e = sp.start - sp.clause.start, sp.end - sp.clause.start
    bounds = sentence_bounds(text)
    at = next((k for k, (a, b) in enumerate(bounds) if (a, b) == (s, e)), None)
    if at is None or not _SENTENCE_END.search(sp.text):
        return sp

    def joins(k: int) -> bool:
        a, b = bounds[k]
        lo, hi = (b, s) if k < at else (e, a)
        key = (sp.clause.document, sp.clause.start + a, sp.clause.start + b)
        return "\n\n" not in text[lo:hi] and bool(_SENTENCE_END.search(text[a:b])) and key not in avoid

    start, end = s, e
    if at > 0 and opens_with_back_reference(sp.text) and joins(at - 1):
        start = bounds[at - 1][0]
    nxt = at + 1
    if nxt < len(bounds) and opens_with_back_reference(text[slice(*bounds[nxt])]) and joins(nxt):
        end = bounds[nxt][1]
    if (start, end) == (s, e) or end - start > max_chars:
        return sp
    return replace(sp, start=sp.clause.start + start, end=sp.clause.start + end, text=text[start:end])


def spans_of_hits(hits: Sequence[Hit]) -> list[Span]:
    """All spans of the hits' clauses, deduplicated by document range."""
    out: list[Span] = []
    seen: set[tuple[str, int, int]] = set()
    last_dense = 0.0
    for r, h in enumerate(hits):
        dense = h.sources.get("dense_score_x1000")
        # a neighbour clause (no dense rank of its own) inherits the score of the hit it continues
        d = dense / 1000.0 if dense is not None else (last_dense if "neighbour_of" in h.sources else 0.0)
        last_dense = d
        for sp in split_clause(h.clause, r, d):
            if sp.key not in seen:
                seen.add(sp.key)
                out.append(sp)
    return out


def lexical_overlap(query_terms: Sequence[str], text: str, idf: dict[str, float] | None = None) -> float:
    """Weighted share of distinct query stems found in `text` (0..1); weights are idf when given."""
    q = set(query_terms)
    if not q:
        return 0.0
    w = idf or {}
    total = sum(w.get(t, 1.0) for t in q)
    found = q & set(tokenize(text))
    return sum(w.get(t, 1.0) for t in found) / total if total else 0.0


def span_idf(query_terms: Sequence[str], texts: Sequence[str]) -> dict[str, float]:
    """Inverse document frequency of the query stems over the candidate spans: a stem that every span
    shares ("données") says little; a rare one ("violation") says much. Stems absent everywhere weigh 0."""
    n = len(texts)
    sets = [set(tokenize(t)) for t in texts]
    out: dict[str, float] = {}
    for t in set(query_terms):
        df = sum(t in s for s in sets)
        out[t] = math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else 0.0
    return out
