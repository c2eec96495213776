"""Eval metrics, one implementation each (names as in ../shared/spec/interfaces.md).

Pure functions over plain data: `score_item` turns one gold item and one ask JSON into per-item scores
(with the counts that micro-averaged metrics need), `aggregate` turns a list of those into the metrics
of summary.json. Breakdowns and `compare` reuse `aggregate` on subsets, so every number has one source.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.texts import TEXTS
from core.text import LIST_ITEM, fold, is_list_item, sentences

_WORD = re.compile(r"\w+", re.UNICODE)
_SPACES = re.compile(r"\s+", re.UNICODE)
# Non-breaking and narrow spaces that French typography puts before ":" "?" "%" and inside numbers.
_NBSP = dict.fromkeys(map(ord, "\u00a0\u202f\u2007\u2009\u200a"), " ")

METRIC_NAMES_TEMPLATE = (
    "evidence_recall@{k}",
    "evidence_char_recall@{k}",
    "evidence_char_precision@{k}",
    "mrr@{k}",
    "citation_precision",
    "citation_recall",
    "quote_verbatim",
    "answer_accuracy",
    "abstention_precision",
    "abstention_recall",
    "latency_ms_p50",
    "latency_ms_p95",
)
# Metrics of the answer kinds (gold `kind`: list, two_part, yes_no, table_cell, selection), after the spec's;
# null in a run whose gold has no item of that kind.
KIND_METRIC_NAMES = (
    "list_item_recall",
    "list_item_precision",
    "list_item_recall_micro",
    "list_item_precision_micro",
    "two_part_full",
    "yes_no_verified",
    "yes_no_right",
    "table_cell_cited",
    "selection_precision",
    "selection_recall",
    "selection_exact",
)


def metric_names(k: int) -> list[str]:
    """The summary.json metric names for a cut-off k, in report order (the spec's, then the kinds')."""
    return [m.format(k=k) for m in (*METRIC_NAMES_TEMPLATE, *KIND_METRIC_NAMES)]


def shown_metrics(k: int, *runs: Mapping[str, Any]) -> list[str]:
    """metric_names(k) less the kind metrics that none of `runs` (metric dicts) defines: what a report or a
    comparison lists, so a run without list, two_part, yes_no or table_cell items shows no empty rows."""
    return [
        n for n in metric_names(k) if n not in KIND_METRIC_NAMES or any(m.get(n) is not None for m in runs)
    ]


@dataclass(frozen=True)
class Span:
    """A passage of a document: offsets when known, the quote (text) when known."""

    document: str
    start: int | None = None
    end: int | None = None
    quote: str | None = None

    @property
    def has_offsets(self) -> bool:
        return self.start is not None and self.end is not None and self.end > self.start

    @classmethod
    def from_json(cls, d: Mapping[str, Any], text: str | None = None) -> Span:
        """From an evidence / retrieved / citation JSON object; `text` fills the quote from the offsets."""
        start, end = d.get("start"), d.get("end")
        start = int(start) if start is not None else None
        end = int(end) if end is not None else None
        quote = d.get("quote")
        if quote is None and text is not None and start is not None and end is not None:
            quote = text[start:end]
        return cls(document=str(d.get("document", "")), start=start, end=end, quote=quote)


def normalize_text(text: str) -> str:
    """NFKC, non-breaking spaces as spaces, case-folded, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_NBSP).casefold()
    return _SPACES.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """Normalised words of a text (for the word-containment rule)."""
    return _WORD.findall(normalize_text(text))


def _contains_half(container: str, other: str) -> bool:
    """True when at least half of `other`'s words occur in `container` (both normalised)."""
    other_words = words(other)
    if not other_words:
        return False
    have = set(words(container))
    return sum(1 for w in other_words if w in have) * 2 >= len(other_words)


def spans_hit(a: Span, b: Span) -> bool:
    """Same document and overlapping character ranges; where offsets are missing, the normalised
    quote of one contains at least half of the other's words."""
    if a.document != b.document:
        return False
    if a.has_offsets and b.has_offsets:
        assert a.start is not None and a.end is not None and b.start is not None and b.end is not None
        return a.start < b.end and b.start < a.end
    if a.quote and b.quote:
        return _contains_half(a.quote, b.quote) or _contains_half(b.quote, a.quote)
    return False


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(i for i in intervals if i[1] > i[0]):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _length(intervals: Sequence[tuple[int, int]]) -> int:
    return sum(e - s for s, e in intervals)


def _intersection(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> int:
    total, i, j = 0, 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo:
            total += hi - lo
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def char_overlap(retrieved: Sequence[Span], evidence: Sequence[Span]) -> tuple[float, float] | None:
    """(char recall, char precision) of retrieved spans against evidence spans, per document, on the
    union of each side's ranges (as in LegalBench-RAG). None when no evidence span has offsets."""
    ev = [s for s in evidence if s.has_offsets]
    if not ev:
        return None
    docs = {s.document for s in ev} | {s.document for s in retrieved if s.has_offsets}
    ev_chars = ret_chars = both = 0
    for doc in docs:
        e = _merge((s.start, s.end) for s in ev if s.document == doc)  # type: ignore[misc]
        r = _merge((s.start, s.end) for s in retrieved if s.document == doc and s.has_offsets)  # type: ignore[misc]
        ev_chars += _length(e)
        ret_chars += _length(r)
        both += _intersection(e, r)
    recall = both / ev_chars if ev_chars else 0.0
    precision = both / ret_chars if ret_chars else 0.0
    return recall, precision


def reciprocal_rank(retrieved: Sequence[Span], evidence: Sequence[Span]) -> float:
    """1/rank of the first retrieved span that hits any evidence passage, 0 when none does."""
    for rank, span in enumerate(retrieved, start=1):
        if any(spans_hit(span, e) for e in evidence):
            return 1.0 / rank
    return 0.0


def answer_meets(answer: str, must_include: Sequence[Sequence[str]], must_not_include: Sequence[str]) -> bool:
    """Every must_include group has an alternative in the answer and no must_not_include string is in
    it (case-insensitive, NFKC, non-breaking spaces read as spaces)."""
    text = normalize_text(answer)
    for group in must_include:
        alternatives = [group] if isinstance(group, str) else list(group)
        if not any(normalize_text(alt) in text for alt in alternatives if normalize_text(alt)):
            return False
    return not any(normalize_text(bad) and normalize_text(bad) in text for bad in must_not_include)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between closest ranks (numpy's default)."""
    xs = sorted(float(v) for v in values if v is not None and not math.isnan(float(v)))
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def locate_evidence(
    evidence: Sequence[Mapping[str, Any]], document_text: Callable[[str], str | None]
) -> list[Span]:
    """Gold evidence as spans; a passage without offsets gets them when its quote occurs verbatim once
    or more in the document (first occurrence), else it keeps only its quote (word-containment rule)."""
    out: list[Span] = []
    for ev in evidence:
        span = Span.from_json(ev)
        if not span.has_offsets and span.quote:
            text = document_text(span.document)
            pos = text.find(span.quote) if text else -1
            if pos >= 0:
                span = Span(span.document, pos, pos + len(span.quote), span.quote)
        out.append(span)
    return out


def score_item(
    gold: Mapping[str, Any],
    ask: Mapping[str, Any],
    k: int,
    document_text: Callable[[str], str | None],
    retrieval_only: bool = False,
    latency_ms: float | None = None,
) -> dict[str, Any]:
    """Per-item scores. Metric-named keys hold this item's value (None where the metric does not apply);
    the count keys feed the micro-averaged citation metrics and quote_verbatim."""
    answerable = bool(gold.get("answerable", True))
    evidence = locate_evidence(gold.get("evidence") or [], document_text)
    has_evidence = answerable and bool(evidence)

    def text_of(doc: str) -> str | None:
        return document_text(doc)

    retrieved = [
        Span.from_json(r, text_of(str(r.get("document", ""))) if r.get("quote") is None else None)
        for r in (ask.get("retrieved") or [])[:k]
    ]
    s: dict[str, Any] = {"answerable": answerable, "has_evidence": has_evidence, "k": k}

    if has_evidence:
        rr = reciprocal_rank(retrieved, evidence)
        s[f"evidence_recall@{k}"] = 1.0 if rr > 0 else 0.0
        s[f"mrr@{k}"] = rr
        chars = char_overlap(retrieved, evidence)
        s[f"evidence_char_recall@{k}"] = chars[0] if chars else None
        s[f"evidence_char_precision@{k}"] = chars[1] if chars else None
    else:
        for name in (
            "evidence_recall@{k}",
            "mrr@{k}",
            "evidence_char_recall@{k}",
            "evidence_char_precision@{k}",
        ):
            s[name.format(k=k)] = None

    if latency_ms is None:
        latency_ms = (ask.get("timings_ms") or {}).get("total")
    s["latency_ms"] = float(latency_ms) if latency_ms is not None else None

    if retrieval_only:
        s.update(
            {
                "citations": 0,
                "citations_hit": 0,
                "evidence_passages": 0,
                "evidence_passages_cited": 0,
                "quotes_checked": 0,
                "quotes_verbatim": 0,
                "citation_precision": None,
                "citation_recall": None,
                "quote_verbatim": None,
                "answer_accuracy": None,
                "abstained": None,
            }
        )
        s.update(kind_scores(gold, None, evidence))
        s["pass"] = None if not has_evidence else bool(s[f"evidence_recall@{k}"])
        return s

    citations = list(ask.get("citations") or [])
    cite_spans = [Span.from_json(c) for c in citations]
    verbatim = 0
    for c in citations:
        text = text_of(str(c.get("document", "")))
        start, end, quote = c.get("start"), c.get("end"), c.get("quote")
        if (
            text is not None
            and start is not None
            and end is not None
            and quote is not None
            and text[int(start) : int(end)] == quote
        ):
            verbatim += 1
    s["quotes_checked"], s["quotes_verbatim"] = len(citations), verbatim
    s["quote_verbatim"] = verbatim / len(citations) if citations else None

    if has_evidence:
        hit = sum(1 for c in cite_spans if any(spans_hit(c, e) for e in evidence))
        cited = sum(1 for e in evidence if any(spans_hit(c, e) for c in cite_spans))
        s.update(
            {
                "citations": len(cite_spans),
                "citations_hit": hit,
                "evidence_passages": len(evidence),
                "evidence_passages_cited": cited,
            }
        )
        s["citation_precision"] = hit / len(cite_spans) if cite_spans else None
        s["citation_recall"] = cited / len(evidence)
    else:
        s.update(
            {
                "citations": 0,
                "citations_hit": 0,
                "evidence_passages": 0,
                "evidence_passages_cited": 0,
                "citation_precision": None,
                "citation_recall": None,
            }
        )

    abstained = bool(ask.get("abstained", False))
    s["abstained"] = abstained
    must = gold.get("must_include") or []
    if answerable and must:
        ok = not abstained and answer_meets(
            str(ask.get("answer", "")), must, gold.get("must_not_include") or []
        )
        s["answer_accuracy"] = 1.0 if ok else 0.0
    else:
        s["answer_accuracy"] = None

    s.update(kind_scores(gold, ask, evidence))

    # One pass/fail per item, for `compare` flips and the report's failed items.
    if not answerable:
        passed = abstained
    elif s["selection_exact"] is not None:  # the vendors named as meeting the condition, exactly
        passed = s["selection_exact"] == 1.0 and s["answer_accuracy"] in (None, 1.0)
    elif s["answer_accuracy"] is not None:
        passed = s["answer_accuracy"] == 1.0
    elif has_evidence:
        passed = not abstained and s["citations_hit"] > 0
    else:
        passed = not abstained
    if citations and verbatim < len(citations):
        passed = False
    s["pass"] = passed
    return s


def _mean(values: Iterable[Any]) -> float | None:
    xs = [float(v) for v in values if v is not None]
    return sum(xs) / len(xs) if xs else None


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def aggregate(scores: Sequence[Mapping[str, Any]], k: int) -> dict[str, float | None]:
    """The summary metrics from per-item scores (None where no item qualifies)."""
    m: dict[str, float | None] = {}
    for name in ("evidence_recall@{k}", "evidence_char_recall@{k}", "evidence_char_precision@{k}", "mrr@{k}"):
        key = name.format(k=k)
        m[key] = _mean(s.get(key) for s in scores)
    answered = [s for s in scores if s.get("abstained") is not None]
    m["citation_precision"] = _ratio(
        sum(s.get("citations_hit", 0) for s in answered), sum(s.get("citations", 0) for s in answered)
    )
    m["citation_recall"] = _ratio(
        sum(s.get("evidence_passages_cited", 0) for s in answered),
        sum(s.get("evidence_passages", 0) for s in answered),
    )
    m["quote_verbatim"] = _ratio(
        sum(s.get("quotes_verbatim", 0) for s in answered), sum(s.get("quotes_checked", 0) for s in answered)
    )
    m["answer_accuracy"] = _mean(s.get("answer_accuracy") for s in scores)
    if answered:
        predicted = [s for s in answered if s["abstained"]]
        negatives = [s for s in answered if not s.get("answerable", True)]
        m["abstention_precision"] = _ratio(
            sum(1 for s in predicted if not s.get("answerable", True)), len(predicted)
        )
        m["abstention_recall"] = _ratio(sum(1 for s in negatives if s["abstained"]), len(negatives))
    else:
        m["abstention_precision"] = m["abstention_recall"] = None
    latencies = [s["latency_ms"] for s in scores if s.get("latency_ms") is not None]
    m["latency_ms_p50"] = percentile(latencies, 50)
    m["latency_ms_p95"] = percentile(latencies, 95)
    m.update(aggregate_kinds(scores))
    return m


# ----------------------------------------------------------------------------- answer kinds
# Scores of the gold kinds whose answer is more than one fact (gold `kind`, evals/gold/complete.md): the
# elements of a list, both halves of a two-part question, the verdict of a yes/no, the row of a table cell.

_CITATION_MARKER = re.compile(r"\s*\[\d+(?:\s*[,;–-]\s*\d+)*\]")
_EMPHASIS = re.compile(r"\*\*|__|`")
_NUMBERED_ITEM = re.compile(r"^\s*\d{1,2}[.)]\s+")
_LEADING_CONNECTOR = re.compile(r"^(?:and|et|or|ou|as well as|ainsi que|&)\s+", re.I)
_SEPARATOR = re.compile(r"[,;]|\s+(?:and|et|&)\s+", re.I)
_INTRO_COLON = re.compile(r":(?!\d)")  # "Sont exclus : a, b" (not the colon of a time, "8:30")
_VERDICTS = {"yes": "yes", "oui": "yes", "no": "no", "non": "no"}


def folded_text(text: str) -> str:
    """normalize_text, then accents stripped and typographic apostrophes read as "'" (core.text.fold): the
    case-, accent- and whitespace-insensitive form the kind metrics compare."""
    return fold(normalize_text(text), apostrophes=True)


# How the engine says that the documents are silent on one ask of a two-ask question (assistant/texts.py
# "ask_silent", one line each): the template's words before "{ask}", folded, per language.
_SILENT_PREFIXES = tuple(
    p for p in (folded_text(texts["ask_silent"].split("{ask}")[0]) for texts in TEXTS.values()) if p
)


def silent_line_ask(line: str) -> str | None:
    """The ask (folded) of a "The documents do not say: {ask}" line, None for any other line."""
    folded = folded_text(line)
    return next((folded[len(p) :].strip() for p in _SILENT_PREFIXES if folded.startswith(p)), None)


def group_found(group: Sequence[str] | str, folded_texts: Sequence[str]) -> bool:
    """One of the group's alternatives occurs in one of the (folded) texts."""
    alternatives = [group] if isinstance(group, str) else list(group)
    alts = [a for a in (folded_text(alt) for alt in alternatives) if a]
    return any(a in t for a in alts for t in folded_texts)


def _split_top_level(text: str) -> list[str]:
    """`text` cut at "," ";" "and" "et" "&" outside brackets (a comma between two digits, "99,9", is kept)."""
    depth_at, depth = [], 0
    for ch in text:
        depth -= ch in ")]}" and depth > 0
        depth_at.append(depth)
        depth += ch in "([{"
    pieces, start = [], 0
    for m in _SEPARATOR.finditer(text):
        i = m.start()
        decimal = (
            m.group() == "," and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
        )
        if depth_at[i] or decimal:
            continue
        pieces.append(text[start:i])
        start = m.end()
    pieces.append(text[start:])
    return pieces


def list_elements(answer: str) -> list[str]:
    """The elements an answer lists, for list_item_precision: citation markers, emphasis and the engine's
    "the documents do not say: …" lines removed; the bullet or numbered lines when there are any (the
    other lines are an introduction or a conclusion), else every line cut into sentences (core.text) and
    each sentence, after an introduction ending with ":", cut at "," ";" "and" "et" "&" (outside brackets).
    Pieces lose their leading "and" / "or" / "et" / "ou" and end punctuation; pieces without a letter or a
    digit are dropped. So "A, B and C [1]." is three elements, and a sentence around the list is one more."""
    text = _EMPHASIS.sub("", _CITATION_MARKER.sub("", answer))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and silent_line_ask(ln) is None]
    bullets = [ln for ln in lines if is_list_item(ln) or _NUMBERED_ITEM.match(ln)]
    if bullets:
        raw = [_NUMBERED_ITEM.sub("", LIST_ITEM.sub("", b, count=1)) for b in bullets]
    else:
        raw = []
        for line in lines:
            for sentence in sentences(line) or [line]:
                intro = _INTRO_COLON.search(sentence)
                tail = sentence[intro.end() :] if intro else ""
                raw += _split_top_level(tail if tail.strip() else sentence)
    out = []
    for piece in raw:
        piece = _LEADING_CONNECTOR.sub("", piece.strip(" \t.;:,!?")).strip(" \t.;:,!?")
        if any(c.isalnum() for c in piece):
            out.append(piece)
    return out


def list_scores(
    gold_items: Sequence[Sequence[str] | str], answer: str, quotes: Sequence[str]
) -> dict[str, Any]:
    """Recall: gold items (groups of alternatives) found in the answer or in the quotes it cites. Precision:
    the answer's elements (list_elements) that hold an alternative of some gold item; None without any."""
    found_in = [folded_text(answer), *(folded_text(q) for q in quotes)]
    found = sum(1 for g in gold_items if group_found(g, found_in))
    elements = list_elements(answer)
    right = sum(1 for e in elements if any(group_found(g, [folded_text(e)]) for g in gold_items))
    return {
        "list_items": len(gold_items),
        "list_items_found": found,
        "list_elements": len(elements),
        "list_elements_gold": right,
        "list_item_recall": found / len(gold_items) if gold_items else None,
        "list_item_precision": right / len(elements) if elements else None,
    }


def silent_asks(ask: Mapping[str, Any]) -> list[str]:
    """The asks an answer declares the documents silent on: with `warning_codes` (the engine's answers), none
    unless "ask_silent" is among them, then the text of each "The documents do not say: {ask}" line (one
    empty ask when no line reads so); without codes (another system), those lines alone."""
    asks = [a for ln in str(ask.get("answer", "")).splitlines() if (a := silent_line_ask(ln)) is not None]
    codes = ask.get("warning_codes")
    if codes is None:
        return asks
    if "ask_silent" not in codes:
        return []
    return asks or [""]


def _ask_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(folded_text(text)) if len(w) >= 3}


def two_part_full(parts: Sequence[Mapping[str, Any]], ask: Mapping[str, Any], question: str = "") -> float:
    """1 when every answerable part's must_include is met (answer_meets, on the answer less its silence
    lines) and that part is not declared silent, and every silent part (`answerable: false`) is declared
    silent (silent_asks); else 0 (an abstention too). A declared ask is the part at its position among the
    engine's own asks of `question` (assistant.scope.split_asks) when the engine splits it into as many asks
    as there are parts; else the part whose `ask` shares the most words (3+ letters, folded) with it; else,
    when no single part wins, the item's only silent part (with none, or several, it fails)."""
    from assistant.scope import split_asks  # the engine's split, so a declared ask names its part exactly

    if ask.get("abstained"):
        return 0.0
    engine_asks = [folded_text(a) for a in split_asks(question)] if question else []
    silent_parts = [i for i, p in enumerate(parts) if not p.get("answerable", True)]
    declared: set[int] = set()
    for text in silent_asks(ask):
        overlaps = [len(_ask_words(text) & _ask_words(str(p.get("ask", "")))) for p in parts]
        best = max(overlaps, default=0)
        if len(engine_asks) == len(parts) and text in engine_asks:
            declared.add(engine_asks.index(text))
        elif best > 0 and overlaps.count(best) == 1:
            declared.add(overlaps.index(best))
        elif len(silent_parts) == 1:
            declared.add(silent_parts[0])
        else:
            return 0.0
    said = "\n".join(ln for ln in str(ask.get("answer", "")).splitlines() if silent_line_ask(ln) is None)
    for i, part in enumerate(parts):
        if i in silent_parts:
            if i not in declared:
                return 0.0
        elif i in declared or not answer_meets(said, part.get("must_include") or [], []):
            return 0.0
    return 1.0


def verdict(text: str) -> str | None:
    """ "yes" or "no" when the text opens with yes / oui or no / non (a word of its own), else None."""
    m = re.match(r"\W*(\w+)", folded_text(text))
    return _VERDICTS.get(m.group(1)) if m else None


def gold_verdict(gold: Mapping[str, Any]) -> str | None:
    """A yes_no item's verdict: its `yes_no`, else the word its reference answer opens with (the Basecamp
    set states it there only); None when neither gives one."""
    v = str(gold.get("yes_no") or "").strip().lower()
    return v if v in ("yes", "no") else verdict(str(gold.get("reference_answer") or ""))


def answer_verdict(ask: Mapping[str, Any]) -> str | None:
    """The verdict an answer opens with; None for an abstention, a refusal or a quoted clause (mode
    "extractive": the document's sentence, which states no verdict of its own)."""
    if ask.get("abstained") or ask.get("mode") in ("extractive", "abstained", "refused"):
        return None
    return verdict(str(ask.get("answer", "")))


def kind_scores(
    gold: Mapping[str, Any],
    ask: Mapping[str, Any] | None,
    evidence: Sequence[Span],
) -> dict[str, Any]:
    """The per-item scores of the answer kinds: None where the item is not of that kind or `ask` is None
    (a retrieval-only run), with the counts that the micro-averaged list metrics need."""
    s: dict[str, Any] = {
        "list_items": 0,
        "list_items_found": 0,
        "list_elements": 0,
        "list_elements_gold": 0,
        "list_item_recall": None,
        "list_item_precision": None,
        "two_part_full": None,
        "yes_no_verdict": None,
        "yes_no_verified": None,
        "yes_no_right": None,
        "table_cell_cited": None,
        "selection_precision": None,
        "selection_recall": None,
        "selection_exact": None,
    }
    kind = gold.get("kind")
    if ask is None or not gold.get("answerable", True):
        return s
    abstained = bool(ask.get("abstained"))
    citations = list(ask.get("citations") or [])
    if kind == "list":
        groups = gold.get("items") or gold.get("must_include") or []
        if groups:
            quotes = [] if abstained else [str(c.get("quote") or "") for c in citations]
            s.update(list_scores(groups, "" if abstained else str(ask.get("answer", "")), quotes))
    elif kind == "two_part" and gold.get("parts"):
        s["two_part_full"] = two_part_full(gold["parts"], ask, str(gold.get("question") or ""))
    elif kind == "yes_no" and (want := gold_verdict(gold)) is not None:
        said = answer_verdict(ask)
        s["yes_no_verdict"] = said
        s["yes_no_right"] = 1.0 if said == want else 0.0
        s["yes_no_verified"] = 1.0 if said == want and ask.get("mode") == "generated" else 0.0
    elif kind == "table_cell" and evidence:
        row = evidence[0]  # the row as the document writes it (complete.md: first evidence passage)
        cited = [Span.from_json(c) for c in citations]
        s["table_cell_cited"] = 1.0 if not abstained and any(spans_hit(c, row) for c in cited) else 0.0
    elif kind == "selection" and isinstance(gold.get("verdicts"), Mapping):
        s.update(selection_scores(gold["verdicts"], ask))
    return s


def selected_vendors(ask: Mapping[str, Any]) -> set[str]:
    """The vendors an answer over several vendors says meet the question's condition: its rows whose verdict
    is "yes" when the rows carry verdicts (a selection the engine settled row by row), else every row that
    answers (rows without verdicts present each vendor's clause as its answer)."""
    if ask.get("abstained"):
        return set()
    rows = list(ask.get("comparison") or [])
    if any(r.get("verdict") is not None for r in rows):
        return {str(r.get("vendor")) for r in rows if r.get("verdict") == "yes"}
    return {str(r.get("vendor")) for r in rows if not r.get("abstained")}


def selection_scores(verdicts: Mapping[str, str], ask: Mapping[str, Any]) -> dict[str, float | None]:
    """A selection item's scores ("Which vendors…?", gold `verdicts`: each vendor's "yes", "no" or
    "silent"): precision and recall of the vendors the answer says meet the condition, against the gold
    "yes" vendors, and whether the two sets are equal. Precision is None when the answer names none (unless
    none should be named: 1.0), recall None when none should be (unless none is: 1.0)."""
    want = {v for v, x in verdicts.items() if x == "yes"}
    said = selected_vendors(ask)
    hit = len(said & want)
    return {
        "selection_precision": hit / len(said) if said else (1.0 if not want else None),
        "selection_recall": hit / len(want) if want else (1.0 if not said else None),
        "selection_exact": 1.0 if said == want else 0.0,
    }


def aggregate_kinds(scores: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """The kind metrics: means over the items of each kind, and the list metrics micro-averaged too (found
    gold items over all gold items; gold elements over all elements listed)."""
    m: dict[str, float | None] = {name: _mean(s.get(name) for s in scores) for name in KIND_METRIC_NAMES}
    listed = [s for s in scores if s.get("list_item_recall") is not None]
    m["list_item_recall_micro"] = _ratio(
        sum(s.get("list_items_found", 0) for s in listed), sum(s.get("list_items", 0) for s in listed)
    )
    m["list_item_precision_micro"] = _ratio(
        sum(s.get("list_elements_gold", 0) for s in listed), sum(s.get("list_elements", 0) for s in listed)
    )
    return {name: m[name] for name in KIND_METRIC_NAMES}


# ----------------------------------------------------------------------------- confidence


def confidence_of(row: Mapping[str, Any]) -> float | None:
    """The confidence an eval row's answer carried (None when its check did not run)."""
    c = (row.get("ask") or {}).get("confidence")
    return float(c) if c is not None else None


def truth(row: Mapping[str, Any]) -> bool:
    """The cited (checked) sentence answers: answerable, and a citation hits the evidence."""
    s = row.get("scores") or {}
    return bool(s.get("answerable", True)) and int(s.get("citations_hit") or 0) > 0


def reliability(rows: Sequence[Mapping[str, Any]], bins: int = 5) -> list[dict[str, Any]]:
    """Per confidence bin: n, mean confidence, observed share of true sentences."""
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = [
            r
            for r in rows
            if (c := confidence_of(r)) is not None and (lo <= c < hi or (b == bins - 1 and c == 1.0))
        ]
        out.append(
            {
                "lo": lo,
                "hi": hi,
                "n": len(sel),
                "mean_confidence": sum(confidence_of(r) or 0.0 for r in sel) / len(sel) if sel else None,
                "observed": sum(truth(r) for r in sel) / len(sel) if sel else None,
            }
        )
    return out


def expected_calibration_error(rows: Sequence[Mapping[str, Any]], bins: int = 10) -> float | None:
    """Expected calibration error of the rows' confidence: over `reliability`'s equal-width bins of [0, 1],
    |mean confidence - observed share of true sentences| weighted by each bin's share of the rows that carry
    a confidence (0: perfectly calibrated). None when no row carries one."""
    table = reliability(rows, bins)
    n = sum(b["n"] for b in table)
    if not n:
        return None
    return sum(b["n"] / n * abs(b["mean_confidence"] - b["observed"]) for b in table if b["n"])
