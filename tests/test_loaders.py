"""Loaders: html, pdf, docx and every kind of bad input gets a one-line LoadError reason."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from core.text import sentence_bounds
from ingest import loaders
from ingest.decode import drop_page_furniture
from ingest.loaders import LoadError, load_bytes

FIX = Path(__file__).parent / "fixtures" / "ingest"


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with each page's text (lines split at "\\n") in Helvetica, offsets computed for
    the xref."""
    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for text in pages:
        lines = " ".join(f"({line}) Tj T*" for line in text.split("\n"))
        stream = f"BT /F1 12 Tf 14 TL 72 720 Td {lines} ET".encode("latin-1")
        content_no = len(objs) + 2
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_no} 0 R "
            f"/Resources << /Font << /F1 {len(objs) + 3 if False else 0} 0 R >> >> >>".encode()
        )
        kids.append(len(objs))
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    font_no = len(objs) + 1
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objs = [o.replace(b"/F1 0 0 R", b"/F1 %d 0 R" % font_no) for o in objs]
    objs[1] = (
        "<< /Type /Pages /Kids [" + " ".join(f"{k} 0 R" for k in kids) + f"] /Count {len(kids)} >>"
    ).encode()
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                t.cell(r, c).text = cell
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_html_drops_script_and_style_and_keeps_blocks():
    text = load_bytes((FIX / "page.html").read_bytes(), ".html")
    assert "do not index" not in text and "color: red" not in text and "Activez JavaScript" not in text
    assert "Ignored title" not in text
    lines = text.splitlines()
    assert "Politique de confidentialité" in lines
    assert "Nous protégeons vos données personnelles." in lines
    assert "Accès" in lines and "Rectification" in lines
    assert "Sous-traitant: AWS; Finalité: Hébergement" in lines  # the table as "header: value" lines


def test_pdf_pages_joined_with_blank_lines():
    text = load_bytes(make_pdf(["Premiere page du contrat", "Second page of the terms"]), ".pdf")
    assert "Premiere page du contrat" in text and "Second page of the terms" in text
    assert "contrat\n\nSecond" in text


def _dpa_page(n: int, total: int, body: str) -> str:
    return f"ACME Data Processing Agreement\n{body}\nPage {n} of {total}"


def test_pdf_running_headers_footers_and_page_numbers_are_dropped():
    bodies = [
        "1. Scope. This agreement applies to all processing.",
        "2. Security.\nACME Data Processing Agreement\nterms apply here too.",
        "3. Breach. ACME notifies the customer within 48 hours.",
        "4. Term. This agreement ends with the contract.",
    ]
    text = load_bytes(make_pdf([_dpa_page(i, 4, b) for i, b in enumerate(bodies, 1)]), ".pdf")
    lines = text.splitlines()
    assert not any(re.fullmatch(r"Page \d of 4", ln) for ln in lines)
    assert all(b.split("\n")[0] in lines for b in bodies)  # every body line kept
    # the title line is furniture at the page edges only: inside a page it is the document's own text
    assert lines.count("ACME Data Processing Agreement") == 1
    assert "2. Security.\nACME Data Processing Agreement\nterms apply here too.\n\n3. Breach." in text


def test_page_furniture_is_decided_from_repetition():
    totals = [12, 7, 30, 5, 18]
    pages = [
        f"Schedule {i}\nBody of schedule {i} ends with a total of\n{n}\n- {i} -"
        for i, n in enumerate(totals, 1)
    ]
    kept = drop_page_furniture(pages)
    # "- N -" counts the pages: dropped; "Schedule N" is a heading in words, and the totals count nothing: kept
    assert kept == [
        f"Schedule {i}\nBody of schedule {i} ends with a total of\n{n}" for i, n in enumerate(totals, 1)
    ]
    numbered = [f"{i + 2}\nClause {i} text." for i in range(1, 5)]  # printed numbers start at 3
    assert drop_page_furniture(numbered) == [f"Clause {i} text." for i in range(1, 5)]
    # two pages give no evidence of repetition; a number on half the pages only is not furniture
    assert drop_page_furniture(["1\nA.", "2\nB."]) == ["1\nA.", "2\nB."]
    assert drop_page_furniture(["1\nA.", "B.", "C.", "4\nD.", "E.", "F."])[0] == "1\nA."


def test_pdf_sentence_over_a_page_break_stays_one_sentence():
    first = (
        "The processor shall notify the controller of any personal data breach without undue\n"
        "delay and in any event no later than forty-eight hours after becoming aware of it, and"
    )
    pages = [
        f"{first}\n1",
        "shall assist the controller in meeting its obligations.\n2",
        "A new clause starts.\n3",
    ]
    text = load_bytes(make_pdf(pages), ".pdf")
    assert "aware of it, and\nshall assist" in text and "obligations.\n\nA new clause" in text
    sentences = [text[a:b] for a, b in sentence_bounds(text)]
    assert sentences[0].startswith("The processor") and sentences[0].endswith("meeting its obligations.")


def test_encrypted_pdf_is_skipped_with_reason():
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=200, height=200)
    w.encrypt("secret")
    buf = io.BytesIO()
    w.write(buf)
    with pytest.raises(LoadError, match="encrypted"):
        load_bytes(buf.getvalue(), ".pdf")


@pytest.mark.parametrize("data", [b"%PDF-1.4\n garbage garbage", b"not a pdf at all"])
def test_corrupt_pdf(data):
    with pytest.raises(LoadError, match="corrupt PDF|no text"):
        load_bytes(data, ".pdf")


def test_docx_paragraphs_and_tables():
    data = make_docx(
        ["ARTICLE 1. OBJET", "Le présent contrat définit les conditions."],
        table=[["Sous-traitant", "Pays"], ["AWS", "Irlande"]],
    )
    text = load_bytes(data, ".docx")
    assert text.splitlines()[0] == "ARTICLE 1. OBJET"
    assert "Le présent contrat définit les conditions." in text
    assert "Sous-traitant: AWS; Pays: Irlande" in text.splitlines()


def test_docx_zip_bomb_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(loaders, "MAX_DOCX_UNCOMPRESSED", 1_000_000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"\0" * 2_000_000)
    called = []
    monkeypatch.setattr("docx.Document", lambda *a, **k: called.append(1))
    with pytest.raises(LoadError, match="zip bomb"):
        load_bytes(buf.getvalue(), ".docx")
    assert not called


def test_password_protected_and_corrupt_docx():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
    with pytest.raises(LoadError, match="password-protected"):
        load_bytes(ole, ".docx")
    with pytest.raises(LoadError, match="corrupt DOCX"):
        load_bytes(b"PK\x03\x04 truncated", ".docx")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "not a word document")
    with pytest.raises(LoadError, match="corrupt"):
        load_bytes(buf.getvalue(), ".docx")


@pytest.mark.parametrize(
    "data,suffix,reason",
    [
        (b"", ".txt", "empty file"),
        (b"  \n\n ", ".md", "empty file"),
        (b"\x00\x01\x02binary\x00" * 100, ".txt", "binary"),
        (b"hello", ".xlsx", "unsupported file type .xlsx"),
        (b"<html><script>x</script></html>", ".html", "no text"),
    ],
)
def test_bad_inputs_have_one_line_reasons(data, suffix, reason):
    with pytest.raises(LoadError) as exc:
        load_bytes(data, suffix)
    assert reason in str(exc.value) and "\n" not in str(exc.value)


def test_markdown_is_text():
    assert load_bytes(b"# Titre\n\nCorps du texte.\n", ".md") == "# Titre\n\nCorps du texte.\n"


def test_deeply_nested_html_loads_in_linear_time():
    import time

    html = "<html><body>" + "<div>" * 20_000 + "Clause profonde." + "</div>" * 20_000 + "</body></html>"
    t0 = time.perf_counter()
    assert load_bytes(html.encode(), ".html") == "Clause profonde.\n"
    assert time.perf_counter() - t0 < 20
    assert load_bytes(b"<p>a<br>b</p><!-- note --><p>c</p>", ".html") == "a\nb\n\nc\n"
