"""Candidate quotes: a clause split into sentences and list items with document offsets (ranked against a
question by assistant/rank.py), and the idf-weighted word overlap the ranker uses."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from core.types import Clause, Hit
from vectorstore.bm25 import tokenize

# A sentence ends at . ; ! ? (or a line break) followed by space and what can start a new sentence/item.
_BOUNDARY = re.compile(r"(?<=[.;!?:])\s+(?=[A-ZÀ-ÖØ-Þ0-9«\"(\-•–—*])|\s*\n+\s*")
# Abbreviations after which a full stop does not end a sentence ("cf. art. 6", "n° 48", "e.g. the").
_ABBREV = re.compile(
    r"(?:\b(?:art|arts|cf|n°|no|ex|al|etc|e\.g|i\.e|p\.ex|M|Mme|Me|Dr|St|vs|env|approx|"
    r"min|max|réf|ref|p|pp|ch|chap|sect|para|§)\.|\b[A-Z]\.)$",
    re.I,
)
_MIN_CHARS = 25
_MAX_CHARS = 420


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


def _pieces(text: str) -> list[tuple[int, int]]:
    """(start, end) of sentences/items in `text`, whitespace-trimmed, short pieces merged forward."""
    out: list[tuple[int, int]] = []
    pos = 0
    for m in _BOUNDARY.finditer(text):
        if "\n" not in m.group() and _ABBREV.search(text[max(0, m.start() - 8) : m.start()]):
            continue
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    trimmed: list[tuple[int, int]] = []
    for s, e in out:
        seg = text[s:e]
        ls = len(seg) - len(seg.lstrip())
        rs = len(seg.rstrip())
        if rs > ls:
            trimmed.append((s + ls, s + rs))
    merged: list[tuple[int, int]] = []
    for s, e in trimmed:
        if merged and "\n" in text[merged[-1][1] : s]:
            ps, pe = merged[-1]
            if pe - ps < _MIN_CHARS and not re.search(r"\d", text[ps:pe].lstrip("0123456789. ")):
                merged.pop()  # a short heading line ("16. Violation de données"): the label has the section
            merged.append((s, e))
            continue
        if (
            merged
            and (merged[-1][1] - merged[-1][0] < _MIN_CHARS or e - s < _MIN_CHARS // 2)
            and e - merged[-1][0] <= _MAX_CHARS
        ):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    final: list[tuple[int, int]] = []
    for s, e in merged:  # split very long pieces at commas/semicolons so quotes stay short
        if e - s <= _MAX_CHARS:
            final.append((s, e))
            continue
        cur = s
        for m in re.finditer(r"[,;]\s+", text[s:e]):
            cut = s + m.start() + 1
            if cut - cur >= _MAX_CHARS // 2:
                final.append((cur, cut))
                cur = s + m.end()
        final.append((cur, e))
    return final


def sentences(text: str) -> list[str]:
    """The text's sentences and list items (the one document-sentence splitter of the project)."""
    return [text[s:e] for s, e in _pieces(text)]


def split_clause(clause: Clause, rank: int = 0, clause_dense: float = 0.0) -> list[Span]:
    """The clause's sentences and list items as spans with document offsets."""
    return [
        Span(clause, clause.start + s, clause.start + e, clause.text[s:e], rank, clause_dense)
        for s, e in _pieces(clause.text)
    ]


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
