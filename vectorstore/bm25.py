"""BM25 over French and English contract text: accent-insensitive, snowball-stemmed in both languages.

Each word is indexed under its French and its English stem (both cheap), so a query in either language
matches a clause in either language whenever the stems agree ("résiliation" / "resiliation").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import snowballstemmer
from rank_bm25 import BM25Okapi

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Small stop-word lists: dropped from BM25 tokens and used by ingest to guess a document's language.
FRENCH_STOPWORDS = frozenset("""
le la les un une des du de d l et ou en au aux à a ce cet cette ces qui que qu quoi dont où
il elle ils elles on nous vous je tu se sa son ses leur leurs est sont été être avoir ont par pour
dans sur avec sans sous ne pas plus tout tous toute toutes y mais si comme lorsque entre
""".split())
ENGLISH_STOPWORDS = frozenset("""
the a an and or of to in on at by for with without from as is are was were be been being it its
this that these those which who whom whose any all not no shall will may must can such than then
there their they them he she we you your our if when where into upon under over
""".split())
STOPWORDS = FRENCH_STOPWORDS | ENGLISH_STOPWORDS


def strip_accents(text: str) -> str:
    """Remove combining marks so "résiliation" and "resiliation" match."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=2)
def _stemmer(lang: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(lang)


@lru_cache(maxsize=65536)
def _stems(word: str) -> tuple[str, ...]:
    fr = strip_accents(_stemmer("french").stemWord(word))
    en = strip_accents(_stemmer("english").stemWord(strip_accents(word)))
    return (fr,) if fr == en else (fr, en)


def tokenize(text: str) -> list[str]:
    """Lower-case words minus stop words, each replaced by its French and English stems (accents stripped)."""
    out: list[str] = []
    for w in _WORD.findall(text.lower()):
        if w in STOPWORDS or strip_accents(w) in STOPWORDS:
            continue
        out.extend(_stems(w))
    return out


class BM25Index:
    """BM25Okapi over tokenised clauses, with the clause ids and vendors to filter results."""

    def __init__(self, ids: Sequence[str], vendors: Sequence[str], tokens: Sequence[list[str]]) -> None:
        self.ids = list(ids)
        self.vendors = list(vendors)
        self.tokens = [list(t) for t in tokens]
        self._bm25 = BM25Okapi(self.tokens) if self.tokens and any(self.tokens) else None

    def search(self, query: str, k: int, vendors: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Top-k (clause id, score) with a positive score, restricted to `vendors` when given."""
        q = tokenize(query)
        if self._bm25 is None or not q or k <= 0:
            return []
        scores = self._bm25.get_scores(q)
        allowed = set(vendors) if vendors else None
        ranked = sorted(range(len(self.ids)), key=lambda i: (-scores[i], self.ids[i]))
        out: list[tuple[str, float]] = []
        for i in ranked:
            if scores[i] <= 0:
                break
            if allowed is not None and self.vendors[i] not in allowed:
                continue
            out.append((self.ids[i], float(scores[i])))
            if len(out) >= k:
                break
        return out
