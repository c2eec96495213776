"""Rank: the candidate sentences of the retrieved clauses, scored as the answer's evidence.

The ranker is the selector (a small LLM picks evidence worse than it; see docs/ARCHITECTURE.md). Each
candidate gets features that a reader would use: does the sentence hold the kind of fact the question asks
for (a duration for "how long / combien de jours", an amount for "how much", a place for "where", a name for
"who", a court or law), do its words and its section heading match the question (with the glossary's
French/English translations), how close its clause is in meaning (dense similarity), and its clause's
retrieval rank. The weights are fitted on the gold set's dev split (`python -m evals fit-ranker`) and live
in config/ranker.json."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assistant.figures import extract_numbers
from assistant.glossary import expanded_query
from assistant.places import has_place
from assistant.query import injected_ranges
from assistant.retrieval import Retrieval
from assistant.sentence_vectors import SentenceVectors
from assistant.spans import Span, lexical_overlap, span_idf, spans_of_hits
from assistant.vendors import strip_mentions
from core.settings import PROJECT_ROOT
from core.text import is_heading, is_list_item
from vectorstore.bm25 import tokenize

WEIGHTS_FILE = PROJECT_ROOT / "config" / "ranker.json"


def update_weights_file(engine: Mapping[str, Any] | None = None, **sections: Any) -> Path:
    """Merge fitted values into config/ranker.json: `engine`'s keys into its "engine" object, each other
    keyword as a top-level section (replaced: "weights", "fitted", "calibrated"…). Returns the file."""
    doc = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")) if WEIGHTS_FILE.exists() else {}
    if engine:
        doc.setdefault("engine", {}).update(engine)
    doc.update(sections)
    WEIGHTS_FILE.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return WEIGHTS_FILE


# ----------------------------------------------------------------------------- question types
# What kind of fact a question asks for, from its wording (French and English). A question may ask for
# several (a "which court and which law" question); "" when none is recognisable.
_QTYPES: dict[str, re.Pattern[str]] = {
    "duration": re.compile(
        r"\bhow\s+(?:long|quickly|fast|soon|many\s+(?:days|hours|months|weeks|years))|\bwithin\s+what|"
        r"\bnotice\s+period|\bdeadline|\bhow\s+much\s+notice|\bwhen\s+must|\bretention\s+period|"
        r"\bcombien\s+de\s+(?:temps|jours|mois|heures|semaines|ann[ée]es)|\bd[ée]lai|\bdur[ée]e|"
        r"\bsous\s+quel|\bpr[ée]avis|\bquand\s+doit|\bà\s+quelle\s+fr[ée]quence|\bhow\s+often|\bfrequency",
        re.I,
    ),
    "amount": re.compile(
        r"\bhow\s+much|\bamount|\bcap\b|\bcapped|\bceiling|\bmaximum|\blimit(?:ed)?\s+to|\bfee|\bprice|"
        r"\bpenalt|\binterest\s+rate|\bcombien|\bmontant|\bplafond|\bprix|\btarif|\bp[ée]nalit|\bindemnit",
        re.I,
    ),
    "percent": re.compile(
        r"\bpercent|\bpercentage|\buptime|\bavailability|\bsla\b|\bpourcentage|"
        r"\btaux|\bdisponibilit",
        re.I,
    ),
    "place": re.compile(
        r"\bwhere\b|\bwhich\s+countr|\blocat|\bhost(?:ed|ing)?\b|\bservers?\b|\bo[uù]\s|"
        r"\bh[ée]berg|\bpays\b|\bsitu[ée]",
        re.I,
    ),
    "who": re.compile(
        r"\bwho\b|\bwhich\s+(?:company|entity|sub-?processors?|subcontractors?|provider)|"
        r"\bname\s+of|\bqui\b|\bquel(?:le)?s?\s+(?:soci[ée]t[ée]|entit[ée]|sous-traitants?)|"
        r"\bnom\s+d|\bdpo\b|\bd[ée]l[ée]gu[ée]|\bcontact",
        re.I,
    ),
    "law": re.compile(
        r"\bcourts?\b|\bjurisdiction|\bgoverning\s+law|\bapplicable\s+law|\blaw\s+govern|"
        r"\btribuna|\bjuridiction|\bdroit\s+applicable|\bloi\s+applicable|\bcomp[ée]ten",
        re.I,
    ),
}

_DURATION_UNITS = re.compile(
    r"\b(?:heures?|hours?|h\b|jours?|days?|semaines?|weeks?|mois|months?|ans?|ann[ée]es?|years?|"
    r"minutes?|business\s+days?|ouvr[ée]s?|calendaires?)\b",
    re.I,
)
MONEY = re.compile(
    r"€|\beuros?\b|\$|\busd\b|\bgbp\b|£|\bmontant|\bsommes?\s+(?:vers|pay)|"
    r"\bfees?\s+paid|\bprix\b|\bredevances?\b|\bamounts?\s+paid",
    re.I,
)
PERCENT = re.compile(r"%|\bpour\s*cent|\bpercent", re.I)
NAMES = re.compile(
    r"\b(?:[A-Z][\w&'’-]+\s+){0,3}(?:SAS|SASU|SARL|SA|Inc\.?|Ltd\.?|LLC|GmbH|S\.A\.S\.?)\b|"
    r"\b[A-Z][a-z]+[A-Z]\w+|@\w|\b[A-Z]{2,}[a-z]*\b"
)
LAW = re.compile(
    r"\btribuna\w*|\bcourts?\b|\bjuridictions?\b|\bcomp[ée]ten\w*|\bdroit\s+fran[çc]ais|"
    r"\bloi\s+fran[çc]aise|\bfrench\s+law|\blaws?\s+of\b|\bgoverned\s+by|\br[ée]gi[e]?s?\s+par|"
    r"\bsoumis\w*\s+au\s+droit",
    re.I,
)

FEATURES = ("dense", "lexical", "section", "qtype", "rank", "figure", "short", "sentence")


def question_types(question: str) -> list[str]:
    """The kinds of fact the question asks for ("duration", "amount", "percent", "place", "who", "law")."""
    types = [t for t, rx in _QTYPES.items() if rx.search(question)]
    if (
        "duration" in types
        and "amount" in types
        and re.search(r"combien\s+de\s+(?:temps|jours|mois)", question, re.I)
    ):
        types.remove("amount")  # "combien de jours" is a duration, not an amount
    return types


def type_match(types: Sequence[str], text: str) -> float:
    """1.0 when the sentence holds the kind of fact the question asks for (any of its types), else 0."""
    if not types:
        return 0.0
    has_num = bool(extract_numbers(text))
    for t in types:
        if t == "duration" and has_num and _DURATION_UNITS.search(text):
            return 1.0
        if t == "amount" and (
            MONEY.search(text)
            and has_num
            or re.search(
                r"\bplafon|\bcap(?:ped)?\b|"
                r"\blimit[ée]e?\s+[àa]",
                text,
                re.I,
            )
        ):
            return 1.0
        if t == "percent" and PERCENT.search(text) and has_num:
            return 1.0
        if t == "place" and has_place(text):
            return 1.0
        if t == "who" and NAMES.search(text):
            return 1.0
        if t == "law" and LAW.search(text):
            return 1.0
    return 0.0


@dataclass(frozen=True)
class Candidate:
    """A sentence with its features and score (features in FEATURES order)."""

    span: Span
    features: tuple[float, ...]
    score: float = 0.0


DEFAULT_WEIGHTS = {
    "dense": 1.0,
    "lexical": 0.6,
    "section": 0.2,
    "qtype": 0.4,
    "rank": 0.15,
    "figure": 0.0,
    "short": 0.0,
    "sentence": 0.0,
}


def load_weights(path: Path | None = None, embeddings: str | None = None) -> dict[str, float]:
    """The fitted weights (config/ranker.json) when they were fitted with this embedder (similarities of
    another embedder live on another scale), else hand-set defaults."""
    p = path or WEIGHTS_FILE
    out = dict(DEFAULT_WEIGHTS)
    if p.exists():
        data = json.loads(p.read_text(encoding="utf-8"))
        fitted_for = data.get("fitted", {}).get("embeddings")
        if embeddings is None or fitted_for in (None, embeddings):
            out.update({k: float(v) for k, v in data.get("weights", {}).items() if k in FEATURES})
    return out


def features(
    spans: Sequence[Span],
    question: str,
    types: Sequence[str] | None = None,
    sentence_sims: Sequence[float] | None = None,
    texts: Sequence[str] | None = None,
) -> list[tuple[float, ...]]:
    """The feature vector of each span for this question (see FEATURES); `sentence_sims` are the
    question's dense similarities to each sentence itself (0 when not computed); `texts` what each span
    reads as (a table row as its "header: value" cells; the span's text when not given)."""
    types = list(types) if types is not None else question_types(question)
    terms = tokenize(expanded_query(question))
    reads = list(texts) if texts is not None else [sp.text for sp in spans]
    idf = span_idf(terms, reads)
    out: list[tuple[float, ...]] = []
    sims = list(sentence_sims) if sentence_sims is not None else [0.0] * len(spans)
    for sp, text, sim in zip(spans, reads, sims, strict=True):
        section = sp.clause.section.rsplit(">", 1)[-1]
        has_fig = 1.0 if extract_numbers(text) else 0.0
        out.append(
            (
                sp.clause_dense,
                lexical_overlap(terms, text, idf),
                lexical_overlap(terms, section, idf) if section else 0.0,
                type_match(types, text),
                1.0 / (1 + sp.rank),
                has_fig,
                1.0 if len(sp.text) < 60 else 0.0,
                sim,
            )
        )
    return out


def rank(
    spans: Sequence[Span],
    question: str,
    weights: dict[str, float] | None = None,
    sentence_sims: Sequence[float] | None = None,
    texts: Sequence[str] | None = None,
) -> list[Candidate]:
    """The spans as scored candidates, best first (`texts`: what each span reads as, see features)."""
    w = weights or load_weights()
    wv = [w.get(f, 0.0) for f in FEATURES]
    feats = features(spans, question, sentence_sims=sentence_sims, texts=texts)
    cands = []
    for sp, f in zip(spans, feats, strict=True):
        s = sum(a * b for a, b in zip(wv, f, strict=True))
        cands.append(Candidate(replace(sp, score=s), f, s))
    cands.sort(key=lambda c: (-c.score, c.span.rank, c.span.start))
    return cands


def candidates(
    question: str,
    retrieval: Retrieval,
    weights: dict[str, float],
    sentence_vectors: SentenceVectors | None = None,
    vendor: str | None = None,
    readable: Callable[[Span], str] | None = None,
) -> list[Candidate]:
    """The retrieved clauses' sentences (one vendor's when given), ranked for this question. Headings and
    label lines, and paragraphs addressed to an AI (prompt injection), are never candidates. Each sentence's
    own similarity to the question is read from `sentence_vectors` when the weights use it. `readable` gives
    what a span reads as (a table row as its "header: value" cells), which its features are computed on."""
    hits = [h for h in retrieval.hits if vendor is None or h.clause.vendor == vendor]
    bad = [rg for h in hits for rg in injected_ranges(h.clause.text, h.clause.start)]
    spans, texts = [], []
    for sp in spans_of_hits(hits):
        if any(sp.start < e and s < sp.end for s, e in bad):
            continue
        shown = readable(sp) if readable is not None else sp.text
        # a short table row ("OpenAI | Intelligence artificielle générative") or an item among others of
        # a list ("- Title") reads like a label line, but it is one of the table's or the list's answers:
        # it is a candidate (a bullet standing alone between blank lines is a heading: "• Sauvegardes")
        if (
            shown == sp.text
            and not among_items(sp)
            and is_heading(sp.text, own_line=own_line(sp), labels=True)
        ):
            continue
        spans.append(sp)
        texts.append(shown)
    if not spans:
        return []
    sims = None
    if weights.get("sentence") and retrieval.query_vector and sentence_vectors is not None:
        sims = sentence_vectors.similarities(retrieval.query_vector, texts)
    return rank(spans, strip_mentions(question, retrieval.mentions), weights, sims, texts)


def among_items(sp: Span) -> bool:
    """Whether the span is a list item with another item on the line right before or after it (no blank
    line between): "- Title" in "- Profile photo / - Title / - Last name", not a bullet used as a heading,
    alone between blank lines ("• Sauvegardes")."""
    around = _around(sp)
    if not is_list_item(sp.text) or around is None:
        return False
    before, after = around
    prev = before[:-1].rsplit("\n", 1)[-1] if before.endswith("\n") else ""
    nxt = after[1:].split("\n", 1)[0] if after.startswith("\n") else ""
    return is_list_item(prev) or is_list_item(nxt)


def _around(sp: Span) -> tuple[str, str] | None:
    """The clause's text before and after the span, spaces and tabs next to it stripped; None when the span
    is not where its offsets say in its clause."""
    text, i = sp.clause.text, sp.start - sp.clause.start
    if not 0 <= i <= len(text) or text[i : i + len(sp.text)] != sp.text:
        return None
    return text[:i].rstrip(" \t"), text[i + len(sp.text) :].lstrip(" \t")


def own_line(sp: Span) -> bool:
    """Whether the span is a whole line of its clause (a line break, or the clause's edge, on both sides)."""
    around = _around(sp)
    if around is None:
        return False
    before, after = around
    return (not before or before.endswith("\n")) and (not after or after.startswith("\n"))


_PARENS = re.compile(r"\s*\(([^()]*)\)")


def _key_names(key: str) -> list[str]:
    """The ways a question may name a table row: its first cell whole, without its parenthesis, and the
    parenthesis alone ("Amazon Web Services (AWS)": all three)."""
    names = [key, _PARENS.sub("", key), *_PARENS.findall(key)]
    return [n.strip() for n in dict.fromkeys(names) if len(n.strip()) >= 3 and re.search(r"[^\W\d_]", n)]


def names_row(question: str, key: str, vendor_name: str = "") -> bool:
    """Whether the question names the table row whose first cell is `key`, written as a name (capitalised:
    "What does LEO Bizdev use Amazon Web Services for?", "À quoi sert Unipile ?"), not the vendor itself."""
    for name in _key_names(key):
        if name.casefold() == vendor_name.casefold():
            continue
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", question, re.I):
            if question[m.start()].isupper():
                return True
    return False


def named_rows_first(
    question: str, cands: Sequence[Candidate], row_key: Callable[[Span], str | None]
) -> list[Candidate]:
    """The candidates with the table rows the question names first (in their ranked order), the others after:
    a question about one named row of a table (a sub-processor, a plan) asks for that row's cells, whatever
    the prose around the table scores."""
    named = [c for c in cands if (k := row_key(c.span)) and names_row(question, k, c.span.clause.vendor_name)]
    if not named:
        return list(cands)
    return named + [c for c in cands if c not in named]
