"""Citations that cannot lie: map the model's [n] markers to verbatim spans, and reject any quote not found
at its offsets, any citation of a clause the model was not given, and any figure the cited quotes do not
back (same value, unit, scale and role: assistant.figures). A quote of a text-table row ("Délai de
traitement2 h8 h18 h") backs figures together with that row's "header: value" lines (ingest.tables), so
that a cell's figure is read with its own column header: the quote itself stays the verbatim row."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from assistant.figures import unsupported_figures
from assistant.spans import Span
from core.markers import markers, strip_markers, sub_markers
from core.text import SENTENCE_ENDS, sentence_bounds
from core.types import Citation
from ingest.tables import Table, find_tables, table_context
from vectorstore.bm25 import tokenize, word_stems


def split_sentences(text: str) -> list[str]:
    """Sentences of an answer, each keeping its trailing markers ("... 48 hours [1]." or "... hours. [1]")."""
    return [text[s:e] for s, e in sentence_bounds(text, SENTENCE_ENDS)]


def span_citation(n: int, span: Span) -> Citation:
    c = span.clause
    return Citation(
        n=n,
        vendor=c.vendor,
        vendor_name=c.vendor_name,
        document=c.document,
        section=c.section,
        quote=span.text,
        start=span.start,
        end=span.end,
        clause_id=c.id,
    )


@dataclass
class CheckResult:
    """Outcome of the check: `ok`, the reasons for failure, and the citations in the answer's numbering."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)


@lru_cache(maxsize=16)
def _tables_of(text: str) -> tuple[Table, ...]:
    return tuple(find_tables(text))


def figure_context(c: Citation, document_text: Callable[[str], str]) -> str:
    """What backs the figures of a citation: its quote, plus the "header: value" lines of the text-table
    rows it quotes (empty for any other quote), each its own paragraph (a figure's role is read within its
    own line's sentence)."""
    try:
        text = document_text(c.document)
    except KeyError:
        return c.quote
    if text[c.start : c.end] != c.quote:
        return c.quote
    rows = table_context(_tables_of(text), c.start, c.end)
    return "\n\n".join([c.quote, *rows.split("\n")]) if rows else c.quote


def check_quote(
    c: Citation, document_text: Callable[[str], str], allowed_clause_ids: Collection[str]
) -> list[str]:
    """Reasons a citation is invalid: quote not verbatim at its offsets, or a clause not given."""
    reasons: list[str] = []
    if allowed_clause_ids and c.clause_id not in allowed_clause_ids:
        reasons.append(f"[{c.n}] cites clause {c.clause_id!r}, which was not in the context")
    try:
        text = document_text(c.document)
    except KeyError:
        return reasons + [f"[{c.n}] cites an unknown document {c.document!r}"]
    if not c.quote.strip() or text[c.start : c.end] != c.quote:
        reasons.append(f"[{c.n}] quote is not verbatim in {c.document} at {c.start}:{c.end}")
    return reasons


def check_answer(
    answer: str,
    citations: Sequence[Citation],
    document_text: Callable[[str], str],
    allowed_clause_ids: Collection[str] = (),
    require_citation: bool = True,
) -> CheckResult:
    """Check a generated answer against its citations (numbers `n` as used by the [n] markers).
    Each figure of a sentence (duration, percentage, amount, date, count, ordinal) must be backed by a quote
    that sentence cites (or, for a sentence without markers, any quote the answer cites): the same value
    with a compatible unit and scale, and, where the quote holds rival figures of that kind, the one whose
    party and neighbouring words agree with the sentence (assistant.figures)."""
    by_n = {c.n: c for c in citations}
    reasons: list[str] = []
    used = markers(answer)
    if require_citation and not used:
        reasons.append("the answer cites no passage: every claim needs an [n] marker")
    for n in used:
        if n not in by_n:
            reasons.append(f"[{n}] refers to no passage that was given")
    for c in citations:
        if c.n in used:
            reasons.extend(check_quote(c, document_text, allowed_clause_ids))
    context = {n: figure_context(by_n[n], document_text) for n in used if n in by_n}
    all_quotes = [context[n] for n in used if n in by_n]
    names = sorted({c.vendor_name for c in citations if c.vendor_name})
    for sent in split_sentences(answer):
        ns = [n for n in markers(sent) if n in by_n]
        quotes = [context[n] for n in ns] if ns else all_quotes
        bad = unsupported_figures(sent, quotes, names)
        if bad:
            reasons.append(f"figure(s) {', '.join(bad)} not found in the cited passage(s): {sent!r}")
    cited = [by_n[n] for n in used if n in by_n]
    return CheckResult(ok=not reasons, reasons=reasons, citations=cited)


def renumber(answer: str, citations: Sequence[Citation], start: int = 1) -> tuple[str, list[Citation]]:
    """Renumber markers to 1..k (or start..) in order of appearance, keeping only the cited ones."""
    by_n = {c.n: c for c in citations}
    order = [n for n in markers(answer) if n in by_n]
    new = {old: start + i for i, old in enumerate(order)}

    text = sub_markers(answer, lambda ns: "".join(f"[{new[n]}]" for n in ns if n in new))
    out = [replace(by_n[old], n=new[old]) for old in order]
    return text, out


# Words that carry no answer: affirmations, talk about the extracts themselves ("is detailed in [2]"), and
# the forms of the auxiliaries that the tokenizer keeps (a question's "does … have" comes back as "has": "Under
# Basecamp's DPA, 37signals has a GDPR role for customer personal data.").
_FILLER_STEMS = frozenset(
    tokenize(
        "yes oui non extract extracts extrait extraits passage passages document documents detailed détaillé "
        "described décrit explained expliqué mentioned mentionné specified précisé indicated indiqué stated "
        "provided prévu clause clauses article according selon following suivant suivantes set out énoncé "
        "located situated situé située based basé found trouve listed listé defined défini given donné governed "
        "régi has have had having does do did avait avaient était étaient"
    )
)
_NEGATIVE = re.compile(
    r"\b(?:not\s+(?:mentioned|specified|stated|provided|included|found|indicated|addressed|available)"
    r"|no\s+(?:information|mention|details?)|does\s+not\s+(?:specify|mention|say|state|indicate)"
    r"|do\s+not\s+(?:specify|mention|say|state|indicate)"
    r"|ne\s+(?:précise|precise|mentionne|spécifie|specifie|prévoit|prevoit|indique)(?:nt)?\s+pas"
    r"|n[’']est\s+pas\s+(?:mentionné|précisé|indiqué|spécifié|prévu)e?s?"
    r"|aucune?\s+(?:information|mention|précision|indication))\b",
    re.I,
)


def adds_nothing(sentence: str, question: str, names: Collection[str] = ()) -> bool:
    """True when a sentence says nothing the question (and the vendors' names) did not already say:
    "The law governing LEO Bizdev's terms is [3]." A small model writes these when it found the clause but
    did not restate it; shown alone they would pass every figure check and still answer nothing."""
    known = set(tokenize(question)) | _FILLER_STEMS
    for name in names:
        known |= set(tokenize(name))
    return all(set(stems) & known for stems in word_stems(strip_markers(sentence)))


def says_not_found(text: str) -> bool:
    """True when the answer only says the extracts do not cover the question ("… is not mentioned in the
    provided extracts"): that is an abstention, not an answer."""
    return bool(_NEGATIVE.search(text))
