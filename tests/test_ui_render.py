"""Pure page helpers: escaping and highlighting, chips, answer Markdown, comparison exports, errors."""

from __future__ import annotations

import csv
import io
import re

from core.types import Answer, Citation, Clause, Hit, VendorAnswer
from ui import render

DOC = "Préambule.\nArticle 9 – Violations\nLe sous-traitant notifie <b>au plus tard</b> 48 heures ouvrées.\nFin."
QUOTE = "<b>au plus tard</b> 48 heures"


def _cit(n: int = 1, doc: str = DOC, quote: str = QUOTE, clause_id: str = "c1") -> Citation:
    start = doc.index(quote)
    return Citation(
        n=n,
        vendor="hl",
        vendor_name="Humanlinker",
        document="hl/cgu.txt",
        section="Article 9 > Violations",
        quote=quote,
        start=start,
        end=start + len(quote),
        clause_id=clause_id,
    )


def _clause(doc: str = DOC, cid: str = "c1") -> Clause:
    start = doc.index("Le sous-traitant")
    end = doc.index("\nFin.")
    return Clause(
        id=cid,
        vendor="hl",
        vendor_name="Humanlinker",
        document="hl/cgu.txt",
        section="Article 9 > Violations",
        start=start,
        end=end,
        text=doc[start:end],
        language="fr",
        ordinal=1,
        doc_sha256="x",
    )


def test_highlight_escapes_text_and_wraps_span_in_mark() -> None:
    out = render.highlight_html("a <script>x</script> b & c", 2, 20, mark_id="q1")
    assert "<script>" not in out
    assert '<mark id="q1"' in out
    assert "&lt;script&gt;x&lt;/script&gt;</mark>" in out
    assert "b &amp; c</div>" in out
    assert "white-space: pre-wrap" in out


def test_text_html_escapes_without_mark() -> None:
    out = render.text_html("<i>x</i>\nnext")
    assert "<i>" not in out and "&lt;i&gt;x&lt;/i&gt;\nnext" in out and "<mark" not in out


def test_highlight_clamps_offsets() -> None:
    out = render.highlight_html("abc", -5, 99)
    assert ">abc</mark>" in out


def test_citation_html_highlights_quote_inside_its_clause() -> None:
    c, cl = _cit(), _clause()
    passage = render.passage_for(c, cl)
    assert passage.offset == cl.start
    out = render.citation_html(c, passage)
    assert "&lt;b&gt;au plus tard&lt;/b&gt; 48 heures</mark>" in out
    assert out.index("Le sous-traitant notifie") < out.index("<mark")
    assert "ouvrées." in out[out.index("</mark>") :]
    assert "<b>" not in out


def test_passage_falls_back_to_document_window_then_quote() -> None:
    c = _cit()
    p = render.passage_for(c, None, DOC, margin=10)
    assert p.quote_span(c) is not None and p.offset == c.start - 10
    alone = render.passage_for(c, None, None)
    assert alone.text == QUOTE


def test_quote_span_finds_quote_when_offsets_drift() -> None:
    c = _cit()
    moved = Citation(**{**c.to_json(), "start": c.start + 3, "end": c.end + 3})
    p = render.passage_for(moved, _clause())
    span = p.quote_span(moved)
    assert span is not None and p.text[span[0] : span[1]] == QUOTE


def test_find_clause_by_id_then_by_containment() -> None:
    cl = _clause()
    other = Clause(**{**cl.__dict__, "id": "zz", "start": 0, "end": 5, "text": DOC[:5]})
    hits = [Hit(other, 0.9), Hit(cl, 0.5)]
    assert render.find_clause(_cit(), hits) is cl
    assert render.find_clause(_cit(clause_id="missing"), hits) is cl
    assert render.find_clause(_cit(clause_id=""), [Hit(other, 1.0)]) is None


def test_escape_markdown_neutralises_markup() -> None:
    raw = "**bold** [link](http://x) <b>x</b> :red[alert] $x$ # h"
    out = render.escape_markdown(raw)
    for token in ("**", "](", "<b>", ":red[", "$x$"):
        assert token not in out
    assert out.replace("\\", "") == raw


def test_answer_markdown_turns_known_markers_into_badges() -> None:
    out = render.answer_markdown("Dans les 48 heures [1], voir aussi [2] et [7].", cited=[1, 2])
    assert ":blue-badge[1]" in out and ":blue-badge[2]" in out
    assert ":blue-badge[7]" not in out and "\\[7\\]" in out


def test_chip_label_and_section() -> None:
    c = _cit(n=3)
    assert render.chip_label(c) == "[3] Humanlinker · Violations"
    assert render.short_section("A > " + "x" * 80, limit=10).endswith("…")
    assert render.chip_label(Citation(**{**c.to_json(), "section": ""})) == "[3] Humanlinker"


def test_document_viewer_html_escapes_and_scrolls_to_mark() -> None:
    out = render.document_viewer_html("x <img src=x onerror=alert(1)> y", 2, 7, mark_id="q-1")
    assert "<img" not in out and "&lt;img" in out
    assert '<mark id="q-1"' in out
    assert "getElementById('q-1')" in out and "scrollIntoView" in out


def _comparison() -> Answer:
    c1 = _cit(n=1)
    c2 = Citation(
        n=2,
        vendor="aura",
        vendor_name="Aura Digital",
        document="aura/cgv.txt",
        section="",
        quote='sans délai | "immédiatement"',
        start=10,
        end=37,
    )
    return Answer(
        question="Breach notification",
        answer="",
        abstained=False,
        citations=[c1, c2],
        comparison=[
            VendorAnswer("hl", "Humanlinker", "48 business hours [1].", False, [1]),
            VendorAnswer("aura", "Aura Digital", "Without delay | promptly [2].", False, [2]),
            VendorAnswer("bmm", "Boost My Mail", "Not in the documents.", True, []),
        ],
    )


def test_comparison_csv_round_trips() -> None:
    rows = list(csv.DictReader(io.StringIO(render.comparison_csv(_comparison()))))
    assert [r["vendor"] for r in rows] == ["Humanlinker", "Aura Digital", "Boost My Mail"]
    assert rows[0]["topic"] == "Breach notification"
    assert rows[0]["citations"] == "[1]" and QUOTE in rows[0]["sources"]
    assert rows[1]["answer"] == "Without delay | promptly [2]."
    assert rows[2]["status"] == "not in the documents" and rows[2]["citations"] == ""


def test_comparison_markdown_table_escapes_pipes() -> None:
    md = render.comparison_markdown(_comparison())
    lines = md.splitlines()
    assert lines[0] == "# Comparison: Breach notification"
    table = [ln for ln in lines if ln.startswith("| ")]
    assert len(table) == 4  # header + 3 vendors
    assert "Without delay \\| promptly [2]." in table[2]
    assert all(len(re.findall(r"(?<!\\)\|", ln)) == 4 for ln in table)  # 3 columns, pipes escaped
    assert "_Not in the documents._" in table[3]
    assert any(ln.startswith("- [2] aura/cgv.txt") for ln in lines)


def test_transcript_markdown() -> None:
    a = Answer(question="q", answer="48 h [1].", abstained=False, citations=[_cit()])
    md = render.transcript_markdown([("user", "How fast?"), ("assistant", a)])
    assert "**User:** How fast?" in md and "**Assistant:** 48 h [1]." in md and "- [1] hl/cgu.txt" in md


def test_error_help_says_what_to_do() -> None:
    assert "make setup" in render.error_help(FileNotFoundError("no such file: model.gguf"))
    assert "LLM_BASE_URL" in render.error_help(ConnectionError("connection refused"))
    assert "re-ingest" in render.error_help(RuntimeError("chroma collection missing"))
    assert "VECTORSTORE_URL" in render.error_help(ValueError("Could not connect to a Chroma server"))
    assert "Another ingest" in render.error_help(RuntimeError("another ingest is running on /x"))
    assert render.error_help(ValueError("boom")).startswith("ValueError: boom.")


def test_slug_for_file() -> None:
    assert render.slug_for_file("Délai de notification / breach?") == "delai-de-notification-breach"
    assert render.slug_for_file("???") == "export"


def test_answer_markdown_keeps_the_key_phrase_bold_and_nothing_else() -> None:
    out = render.answer_markdown("« au plus tard, **48 heures ouvrées** après » [1]", cited=[1])
    assert out == "« au plus tard, **48 heures ouvrées** après » :blue-badge[1]"
    # a bold pair restores bold only: the link inside stays escaped text; stray pairs stay literal
    out = render.answer_markdown("**[x](http://e)** a ** b", cited=[])
    assert out.startswith("**\\[x\\]\\(http\\://e\\)**") and out.endswith("a \\*\\* b")
    assert "](" not in out


def test_a_selections_rows_say_whether_each_vendor_meets_the_condition() -> None:
    ans = _comparison()
    assert ans.comparison is not None
    ans.comparison[0].verdict, ans.comparison[1].verdict = "yes", "unsettled"
    rows = render.comparison_rows(ans)
    assert [r["status"] for r in rows] == ["meets it", "not settled: read the clause", "not in the documents"]
