"""Eval metrics on hand-made cases: hits, char overlap, MRR, citations, verbatim quotes, accuracy,
abstention and percentiles."""

from __future__ import annotations

import pytest

from evals.metrics import (
    Span,
    aggregate,
    answer_meets,
    char_overlap,
    locate_evidence,
    metric_names,
    normalize_text,
    percentile,
    reciprocal_rank,
    score_item,
    spans_hit,
)

DOC = "a/doc.txt"
TEXT = (
    "Article 1. The supplier notifies any breach within 48 hours.\u00a0Article 2. Payment is due "
    "within thirty days of the invoice. Article 3. Liability is capped at the fees paid."
)


def _texts(doc: str) -> str | None:
    return TEXT if doc == DOC else None


def _pos(quote: str) -> tuple[int, int]:
    i = TEXT.index(quote)
    return i, i + len(quote)


# ------------------------------------------------------------------ hits
def test_hit_by_overlap_needs_same_document_and_overlapping_ranges() -> None:
    assert spans_hit(Span(DOC, 10, 20), Span(DOC, 19, 30))
    assert not spans_hit(Span(DOC, 10, 20), Span(DOC, 20, 30))  # touching, not overlapping
    assert not spans_hit(Span(DOC, 10, 20), Span("b/other.txt", 10, 20))


def test_hit_by_word_containment_when_offsets_missing() -> None:
    ev = Span(DOC, quote="notifies any breach within 48 hours")
    # Retrieved span text contains all of the evidence's words.
    assert spans_hit(Span(DOC, 0, 80, quote=TEXT[:80]), ev)
    # Half of the other's words (3 of 6) is enough, in either direction; fewer is not.
    assert spans_hit(
        Span(DOC, quote="notifies any breach at once"), Span(DOC, quote="notifies any breach after two days")
    )
    assert not spans_hit(
        Span(DOC, quote="notifies the customer"), Span(DOC, quote="any breach after two days notifies")
    )
    # Case, NFKC and non-breaking spaces do not matter.
    assert spans_hit(Span(DOC, quote="WITHIN\u00a048\u202fHOURS"), Span(DOC, quote="within 48 hours"))
    assert not spans_hit(Span(DOC, quote="within 48 hours"), Span("b/other.txt", quote="within 48 hours"))


def test_locate_evidence_fills_offsets_from_verbatim_quote() -> None:
    quote = "Payment is due within thirty days"
    [span] = locate_evidence([{"document": DOC, "quote": quote}], _texts)
    assert (span.start, span.end) == _pos(quote)
    [missing] = locate_evidence([{"document": DOC, "quote": "not in the text"}], _texts)
    assert not missing.has_offsets and missing.quote == "not in the text"


# ------------------------------------------------------------------ char overlap and rank
def test_char_overlap_recall_and_precision() -> None:
    evidence = [Span(DOC, 100, 200)]
    retrieved = [Span(DOC, 150, 250), Span(DOC, 180, 260), Span("b/x.txt", 0, 40)]
    recall, precision = char_overlap(retrieved, evidence)  # type: ignore[misc]
    # union of retrieved in DOC = 150..260 (110 chars) + 40 elsewhere; overlap 150..200 = 50 chars
    assert recall == pytest.approx(50 / 100)
    assert precision == pytest.approx(50 / 150)
    assert char_overlap([], evidence) == (0.0, 0.0)
    assert char_overlap(retrieved, [Span(DOC, quote="no offsets")]) is None


def test_reciprocal_rank_of_first_hit() -> None:
    evidence = [Span(DOC, 100, 200)]
    assert reciprocal_rank(
        [Span(DOC, 0, 50), Span(DOC, 300, 400), Span(DOC, 190, 210)], evidence
    ) == pytest.approx(1 / 3)
    assert reciprocal_rank([Span(DOC, 0, 50)], evidence) == 0.0


# ------------------------------------------------------------------ answers
def test_answer_accuracy_nfkc_nbsp_and_case() -> None:
    # NFKC folds the full-width digits and the ligature; the nbsp reads as a space.
    assert answer_meets("Dans un délai de ４８\u00a0HEURES", [["48 heures", "quarante-huit"]], [])
    assert answer_meets("The ﬁnal fee", [["final"]], [])
    assert not answer_meets("Within 72 hours", [["48", "forty-eight"]], [])
    assert not answer_meets("48 hours, or 72 hours", [["48"]], ["72"])
    assert answer_meets("48 hours", [["48"], ["hours"]], [])
    assert not answer_meets("48 days", [["48"], ["hours"]], [])
    assert normalize_text("  A\u202fB\n C ") == "a b c"


def test_percentiles_interpolate_like_numpy() -> None:
    assert percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48.0)
    assert percentile([7], 95) == 7
    assert percentile([], 50) is None


# ------------------------------------------------------------------ per item and aggregate
def _ask(citations: list[dict], retrieved: list[dict], answer: str = "", abstained: bool = False) -> dict:
    return {
        "question": "q",
        "answer": answer,
        "abstained": abstained,
        "citations": citations,
        "retrieved": retrieved,
    }


def _cite(quote: str, n: int = 1, shift: int = 0) -> dict:
    s, e = _pos(quote)
    return {"n": n, "document": DOC, "quote": quote, "start": s + shift, "end": e + shift}


GOLD_BREACH = {
    "id": "breach",
    "question": "q",
    "answerable": True,
    "must_include": [["48"]],
    "must_not_include": [],
    "evidence": [{"document": DOC, "quote": "within 48 hours"}],
    "vendors": ["a"],
    "lang": "en",
}
GOLD_PAY = {
    "id": "pay",
    "question": "q",
    "answerable": True,
    "must_include": [["thirty", "30"]],
    "must_not_include": [],
    "vendors": ["a"],
    "lang": "en",
    "evidence": [
        {"document": DOC, "quote": "Payment is due within thirty days"},
        {"document": DOC, "quote": "of the invoice"},
    ],
}
GOLD_NONE = {
    "id": "none",
    "question": "q",
    "answerable": False,
    "must_include": [],
    "must_not_include": [],
    "evidence": [],
    "vendors": [],
    "lang": "fr",
}


def test_citation_precision_recall_and_quote_verbatim_per_item() -> None:
    s1, e1 = _pos("Payment is due within thirty days")
    ask = _ask(
        [
            _cite("Payment is due within thirty days", 1),
            _cite("Liability is capped", 2),
            _cite("Payment is due", 3, shift=1),
        ],  # offsets shifted: not verbatim
        [{"document": DOC, "start": 0, "end": 40}, {"document": DOC, "start": s1, "end": e1}],
        answer="Within thirty days [1].",
    )
    s = score_item(GOLD_PAY, ask, 5, _texts)
    # citation 1 hits the first passage, citation 3 (shifted by one) still overlaps it, citation 2 misses.
    assert (s["citations"], s["citations_hit"]) == (3, 2)
    assert s["citation_precision"] == pytest.approx(2 / 3)
    assert (s["evidence_passages"], s["evidence_passages_cited"]) == (2, 1)
    assert s["citation_recall"] == pytest.approx(0.5)
    assert (s["quotes_checked"], s["quotes_verbatim"]) == (3, 2)
    assert s["evidence_recall@5"] == 1.0 and s["mrr@5"] == pytest.approx(0.5)
    assert s["answer_accuracy"] == 1.0
    assert s["pass"] is False  # a non-verbatim quote fails the item


def test_aggregate_micro_citations_abstention_and_latency() -> None:
    ok = score_item(
        GOLD_BREACH,
        _ask(
            [_cite("within 48 hours")],
            [
                {
                    "document": DOC,
                    **dict(zip(("start", "end"), _pos("notifies any breach within 48 hours"), strict=True)),
                }
            ],
            answer="Within 48 hours [1].",
        ),
        5,
        _texts,
        latency_ms=100,
    )
    wrong = score_item(
        GOLD_PAY,
        _ask(
            [_cite("Liability is capped")], [{"document": DOC, "start": 0, "end": 10}], answer="72 hours [1]."
        ),
        5,
        _texts,
        latency_ms=300,
    )
    abstained_ok = score_item(
        GOLD_NONE, _ask([], [], answer="Not specified.", abstained=True), 5, _texts, latency_ms=200
    )
    abstained_wrong = score_item(
        GOLD_BREACH, _ask([], [], answer="Not specified.", abstained=True), 5, _texts, latency_ms=400
    )
    m = aggregate([ok, wrong, abstained_ok, abstained_wrong], 5)
    assert set(metric_names(5)) <= set(m)
    assert m["evidence_recall@5"] == pytest.approx(1 / 3)  # three answerable items with evidence
    assert m["mrr@5"] == pytest.approx(1 / 3)
    assert m["citation_precision"] == pytest.approx(1 / 2)  # pooled: 1 hit of 2 citations
    assert m["citation_recall"] == pytest.approx(1 / 4)  # 1 of 4 evidence passages (1 + 2 + 1)
    assert m["quote_verbatim"] == 1.0
    assert m["answer_accuracy"] == pytest.approx(1 / 3)  # an abstention on an answerable item is wrong
    assert m["abstention_precision"] == pytest.approx(1 / 2)
    assert m["abstention_recall"] == 1.0
    assert m["latency_ms_p50"] == pytest.approx(250)
    assert m["latency_ms_p95"] == pytest.approx(385)
    assert [ok["pass"], wrong["pass"], abstained_ok["pass"], abstained_wrong["pass"]] == [
        True,
        False,
        True,
        False,
    ]


def test_retrieval_only_scores_leave_answer_metrics_undefined() -> None:
    s = score_item(
        GOLD_BREACH,
        {"question": "q", "retrieved": [{"document": DOC, "start": 0, "end": 5}]},
        5,
        _texts,
        retrieval_only=True,
        latency_ms=12,
    )
    assert s["evidence_recall@5"] == 0.0 and s["pass"] is False
    m = aggregate([s], 5)
    assert m["answer_accuracy"] is None and m["citation_precision"] is None
    assert m["abstention_precision"] is None and m["abstention_recall"] is None
    assert m["latency_ms_p50"] == 12


def test_top_k_cut_off_is_respected() -> None:
    s, e = _pos("within 48 hours")
    retrieved = [{"document": DOC, "start": 0, "end": 5}] * 2 + [{"document": DOC, "start": s, "end": e}]
    ask = {"question": "q", "retrieved": retrieved}
    assert score_item(GOLD_BREACH, ask, 2, _texts, retrieval_only=True)["evidence_recall@2"] == 0.0
    scored = score_item(GOLD_BREACH, ask, 3, _texts, retrieval_only=True)
    assert scored["evidence_recall@3"] == 1.0 and scored["mrr@3"] == pytest.approx(1 / 3)
    assert scored["evidence_char_recall@3"] == 1.0
