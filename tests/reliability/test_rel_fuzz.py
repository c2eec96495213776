"""Property-based fuzzing (hypothesis, derandomized) of the pure parts that hostile text reaches first:
the loaders (bytes -> text or LoadError), the clause splitter and quote spans (offsets always verbatim),
and the citation checker (never raises; never accepts a quote that is not at its offsets).

A small fast version of each property runs by default; the `reliability` run uses many more examples."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.settings import ChunkSettings
from core.types import Citation, Clause

BIG = int(os.environ.get("RELIABILITY_EXAMPLES", "1000"))
_COMMON = dict(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FAST = settings(max_examples=25, **_COMMON)
MANY = settings(max_examples=BIG, **_COMMON)

# ------------------------------------------------------------------------------------ strategies
_HEADINGS = st.sampled_from(
    [
        "ARTICLE 1 - OBJET",
        "Article 12 : Responsabilité",
        "ARTICLE IV",
        "3. Données personnelles",
        "9.2.1 Sous-traitants",
        "• CONFIDENTIALITÉ",
        "• Durée",
        "# Terms",
        "## 4.1 Liability",
        "LIMITATION OF LIABILITY",
        "DÉFINITIONS",
        "16. Violation de données",
        "1.",
        "ARTICLE",
    ]
)
_WORDS = st.sampled_from(
    [
        "Le",
        "Prestataire",
        "notifie",
        "toute",
        "violation",
        "dans",
        "un",
        "délai",
        "de",
        "48",
        "heures",
        "ouvrées",
        "the",
        "Supplier",
        "shall",
        "not",
        "exceed",
        "€",
        "12",
        "months",
        "(twelve)",
        "«",
        "»",
        "ﬁn",
        "naïve",
        "Ωmega",
        "😀",
        "\u00a0",
        "\u200b",
        "l'article",
        "i.e.",
        "etc.",
        ";",
        ":",
        "-",
        "—",
        "[1]",
        "[SOURCE 3]",
        "</context>",
        "[SYSTEM]",
        "<script>",
        "x" * 300,
    ]
)
_SEP = st.sampled_from([" ", " ", " ", "\n", "\n\n", "\t", ". ", "; ", "\r\n", "\u2028", "  \n  "])


@st.composite
def contract_text(draw: st.DrawFn) -> str:
    """Contract-like text: headings, sentences of mixed words and odd whitespace, sometimes raw noise."""
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            parts.append(draw(_HEADINGS))
        elif kind == 1:
            parts.append(draw(st.text(max_size=200)))
        else:
            words = draw(st.lists(_WORDS, min_size=1, max_size=60))
            seps = draw(st.lists(_SEP, min_size=len(words), max_size=len(words)))
            parts.append("".join(w + s for w, s in zip(words, seps, strict=True)))
        parts.append(draw(st.sampled_from(["\n", "\n\n", "\n\n\n", " "])))
    return "".join(parts)


_CHUNKS = st.builds(
    lambda mx, mn, ov: ChunkSettings(max_tokens=mx, min_tokens=min(mn, mx), overlap_tokens=ov),
    st.integers(8, 400),
    st.integers(0, 60),
    st.integers(0, 60),
)


def _word_count(s: str) -> int:
    """A cheap token counter (whitespace words) so thousands of examples run in seconds."""
    return len(s.split())


# ------------------------------------------------------------------------------------ splitter
def _check_spans(text: str, spans: list) -> None:
    n = len(text)
    prev = -1
    seen = set()
    for s in spans:
        assert 0 <= s.start < s.end <= n, (s, n)
        piece = text[s.start : s.end]
        assert piece == piece.strip(), f"span not trimmed: {piece[:40]!r}...{piece[-40:]!r}"
        assert s.start >= prev, "spans out of order"
        prev = s.start
        assert (s.start, s.end) not in seen, "duplicate span"
        seen.add((s.start, s.end))
    # nothing lost: every visible character is inside some span
    covered = bytearray(n)
    for s in spans:
        covered[s.start : s.end] = b"\x01" * (s.end - s.start)
    lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i]]
    assert not lost, (
        f"{len(lost)} visible characters in no clause, first at {lost[0]}: {text[lost[0] : lost[0] + 30]!r}"
    )


def _split_property(text: str, cfg: ChunkSettings) -> None:
    from ingest.split import split_text

    _check_spans(text, split_text(text, cfg, count=_word_count))


@FAST
@given(text=contract_text(), cfg=_CHUNKS)
def test_splitter_offsets_valid_fast(text: str, cfg: ChunkSettings) -> None:
    _split_property(text, cfg)


@pytest.mark.reliability
@MANY
@given(text=contract_text(), cfg=_CHUNKS)
def test_splitter_offsets_valid_many(text: str, cfg: ChunkSettings, figures) -> None:  # type: ignore[no-untyped-def]
    figures.add("hypothesis_examples_splitter")
    _split_property(text, cfg)


@pytest.mark.reliability
@settings(max_examples=max(20, BIG // 10), **_COMMON)
@given(text=contract_text())
def test_splitter_with_real_tokenizer_and_clauses(text: str, figures) -> None:  # type: ignore[no-untyped-def]
    """The production path (tiktoken counts, Clause records): clause.text == text[start:end], ordinals 0..n-1."""
    from core.settings import load_settings
    from core.types import Document
    from ingest.document import build_clauses, sha256_text

    figures.add("hypothesis_examples_clauses")
    s = load_settings(env={}, **{"embedding.kind": "hashing", "llm.provider": "fake"})
    doc = Document(
        vendor="v", vendor_name="V", document="v/d.txt", text=text, sha256=sha256_text(text), language="fr"
    )
    clauses = build_clauses(doc, s)
    assert [c.ordinal for c in clauses] == list(range(len(clauses)))
    for c in clauses:
        assert text[c.start : c.end] == c.text
        assert c.doc_sha256 == doc.sha256
    assert len({c.id for c in clauses}) == len(clauses)
    _check_spans(text, clauses)


def _clause(text: str, start: int, end: int) -> Clause:
    return Clause(
        id="v1:abc:0",
        vendor="v",
        vendor_name="V",
        document="v/d.txt",
        section="",
        start=start,
        end=end,
        text=text[start:end],
        language="fr",
        ordinal=0,
        doc_sha256="abc",
    )


@pytest.mark.reliability
@MANY
@given(text=contract_text(), data=st.data())
def test_quote_spans_are_verbatim(text: str, data: st.DataObject, figures) -> None:  # type: ignore[no-untyped-def]
    """Every candidate quote the answerer can cite is the document text at its offsets."""
    from assistant.spans import split_clause

    assume(text.strip())
    figures.add("hypothesis_examples_quote_spans")
    a = data.draw(st.integers(0, len(text) - 1))
    b = data.draw(st.integers(a + 1, len(text)))
    for sp in split_clause(_clause(text, a, b)):
        assert a <= sp.start <= sp.end <= b
        assert text[sp.start : sp.end] == sp.text


# ------------------------------------------------------------------------------------ citation checker
@st.composite
def answer_and_citations(draw: st.DrawFn) -> tuple[str, str, list[Citation]]:
    doc = draw(contract_text())
    assume(doc.strip())
    cits: list[Citation] = []
    for n in range(1, draw(st.integers(0, 5)) + 1):
        a = draw(st.integers(0, len(doc)))
        b = draw(st.integers(a, min(len(doc), a + 300)))
        quote = doc[a:b]
        mode = draw(st.integers(0, 3))
        if mode == 1:  # a quote the model invented
            quote = draw(
                st.sampled_from(["no liability cap", "unlimited liability", "72 heures", quote + "!"])
            )
        elif mode == 2:  # right words, wrong offsets
            a, b = max(0, a - 1), max(0, b - 1)
        cits.append(
            Citation(
                n=n,
                vendor="v",
                vendor_name="V",
                document="v/d.txt",
                section="",
                quote=quote,
                start=a,
                end=b,
                clause_id=f"c{n}",
            )
        )
    words = draw(
        st.lists(
            st.one_of(_WORDS, st.sampled_from(["[1]", "[2]", "[1, 2]", "[9]", "[3;4]", "."])), max_size=40
        )
    )
    return doc, " ".join(words), cits


def _checker_property(doc: str, answer: str, cits: list[Citation]) -> None:
    from assistant.citations import check_answer, markers, renumber

    def text_of(document: str) -> str:
        if document != "v/d.txt":
            raise KeyError(document)
        return doc

    res = check_answer(answer, cits, text_of, allowed_clause_ids={c.clause_id for c in cits})
    used = set(markers(answer))
    for c in cits:
        if c.n in used and (doc[c.start : c.end] != c.quote or not c.quote.strip()):
            assert not res.ok, f"accepted a quote that is not verbatim: {c}"
    if res.ok:
        for c in res.citations:
            assert doc[c.start : c.end] == c.quote
    new_text, new = renumber(answer, cits)
    assert [c.n for c in new] == list(range(1, len(new) + 1))
    assert set(markers(new_text)) <= {c.n for c in new}
    for c in new:
        old = next(o for o in cits if o.quote == c.quote and o.start == c.start and o.end == c.end)
        assert old.document == c.document


@FAST
@given(case=answer_and_citations())
def test_citation_checker_fast(case: tuple[str, str, list[Citation]]) -> None:
    _checker_property(*case)


@pytest.mark.reliability
@MANY
@given(case=answer_and_citations())
def test_citation_checker_many(case: tuple[str, str, list[Citation]], figures) -> None:  # type: ignore[no-untyped-def]
    figures.add("hypothesis_examples_citation_checker")
    _checker_property(*case)


def test_checker_rejects_injected_marker_quotes() -> None:
    """An injected "[1]" in a document never turns an invented quote into a citation."""
    from assistant.citations import check_answer

    doc = "3.1 Liability is capped at the Fees paid in the twelve (12) months preceding the claim."
    fake = Citation(
        n=1,
        vendor="v",
        vendor_name="V",
        document="v/d.txt",
        section="",
        quote="this vendor has no liability cap",
        start=0,
        end=32,
        clause_id="c1",
    )
    res = check_answer("The vendor has no liability cap [1].", [fake], lambda d: doc, {"c1"})
    assert not res.ok and any("verbatim" in r for r in res.reasons)
    res2 = check_answer("There is no cap [SOURCE 3].", [], lambda d: doc)
    assert not res2.ok and not res2.citations


# ------------------------------------------------------------------------------------ loaders
_SUFFIXES = st.sampled_from([".txt", ".md", ".html", ".pdf", ".docx", ".TXT", ".xyz", ""])


@st.composite
def hostile_bytes(draw: st.DrawFn) -> bytes:
    from rel_badfiles import docx_bytes, pdf_bytes

    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.binary(max_size=4000))
    if kind == 1:
        return draw(st.text(max_size=2000)).encode(draw(st.sampled_from(["utf-8", "utf-16", "utf-32"])))
    if kind == 2:
        return draw(st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=2000)).encode("latin-1")
    base = (
        pdf_bytes(["ARTICLE 1", draw(st.text(max_size=80))]) if kind == 3 else docx_bytes(["ARTICLE 1", "x"])
    )
    if kind == 5:
        base = b"PK\x03\x04" + draw(st.binary(max_size=2000))
    cut = draw(st.integers(0, len(base)))
    flips = draw(st.lists(st.tuples(st.integers(0, max(0, len(base) - 1)), st.integers(0, 255)), max_size=8))
    b = bytearray(base[:cut] if draw(st.booleans()) else base)
    for i, v in flips:
        if i < len(b):
            b[i] = v
    return bytes(b)


def _loader_property(data: bytes, suffix: str) -> None:
    from ingest.loaders import LoadError, load_bytes

    try:
        text = load_bytes(data, suffix)
    except LoadError as exc:
        assert str(exc).strip(), "a LoadError needs a reason"
        return
    assert isinstance(text, str) and text.strip()
    assert "\x00" not in text or suffix.lower() not in (".txt", ".md"), "NUL bytes accepted as text"


@FAST
@given(data=hostile_bytes(), suffix=_SUFFIXES)
def test_loaders_fail_cleanly_fast(data: bytes, suffix: str) -> None:
    _loader_property(data, suffix)


@pytest.mark.reliability
@MANY
@given(data=hostile_bytes(), suffix=_SUFFIXES)
def test_loaders_fail_cleanly_many(data: bytes, suffix: str, figures) -> None:  # type: ignore[no-untyped-def]
    figures.add("hypothesis_examples_files")
    _loader_property(data, suffix)
