"""Load one file into decoded text: txt (charset detection), md (decoded, then rendered to the text a reader
sees: ingest/markdown.py), html (BeautifulSoup + lxml), pdf (pypdf; running headers, footers and page numbers
dropped), docx (python-docx, zip-bomb checked first). Every failure is a `LoadError` with a one-line reason.

HTML, DOCX, PDF and Markdown tables are written into the text as "header: value" lines (ingest/tables.py):
the loader's output is the document text that offsets, clauses and quotes index, so a table cell is quotable
verbatim together with its header. Plain-text files are returned as decoded; their tables ride along with
their clauses (`Clause.table_text`).
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.text import WRAPPED_LINE
from ingest.decode import DecodeError, clean_extracted, decode_bytes, drop_page_furniture, looks_binary
from ingest.markdown import MARKDOWN_SUFFIXES, render_markdown
from ingest.tables import Row, find_tables, make_table, render_table, with_tables_rendered

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}
# A DOCX whose members inflate beyond this (or by a ratio above MAX_ZIP_RATIO) is refused unread.
MAX_DOCX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 200
_BLOCK_TAGS = (
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "li",
    "ul",
    "ol",
    "table",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "br",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "main",
    "nav",
)


class LoadError(ValueError):
    """The file cannot be turned into text; the message is the reason shown in the ingest summary."""


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def _tidy(text: str) -> str:
    """Collapse runs of blank lines and trailing spaces left by extractors (not used for .txt files)."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


_DROP_TAGS = frozenset({"script", "style", "noscript", "template", "head"})
_CELL_TAGS = frozenset({"td", "th"})
MAX_SPAN = 50  # a colspan above this is hostile or broken markup: the cell is written once


def _span(value: Any) -> int:
    try:
        return max(1, min(int(str(value).strip() or 1), MAX_SPAN))
    except ValueError:
        return 1


def _fill_carried(cells: list[str], carry: dict[int, tuple[str, int]]) -> None:
    """Append the cells that rows above span into the next columns (rowspan)."""
    while len(cells) in carry:
        text, left = carry.pop(len(cells))
        if left > 1:
            carry[len(cells)] = (text, left - 1)
        cells.append(text)


def _html_table_lines(table: Any) -> list[str] | None:
    """A table without nested tables as "header: value" lines (ingest/tables.py); None when it is a
    layout table (one row or one column) or holds a nested table (then written cell by cell)."""
    if table.find("table") is not None:
        return None
    rows: list[Row] = []
    header_rows = 0
    label_cells = 0
    carry: dict[int, tuple[str, int]] = {}  # column -> (text of a cell spanning rows, rows still to fill)
    for tr in table.find_all("tr"):
        cells: list[str] = []
        heads = 0
        first_th = False
        for i, cell in enumerate(tr.find_all(_CELL_TAGS)):
            _fill_carried(cells, carry)
            text = " ".join(cell.get_text(" ").split())
            down = _span(cell.get("rowspan"))
            for _ in range(_span(cell.get("colspan"))):
                if down > 1:
                    carry[len(cells)] = (text, down - 1)
                cells.append(text)
            heads += cell.name == "th"
            first_th = first_th or (i == 0 and cell.name == "th")
        _fill_carried(cells, carry)
        if not cells:
            continue
        in_head = tr.find_parent("thead") is not None
        if not rows and (in_head or (heads and heads == len(tr.find_all(_CELL_TAGS)))):
            header_rows = 1
        elif first_th and heads == 1:
            label_cells += 1
        rows.append(Row(tuple(cells)))
    data_rows = len(rows) - header_rows
    t = make_table(
        rows, header_hint=True if header_rows else None, label_hint=data_rows > 0 and label_cells == data_rows
    )
    if t is None:
        return None
    return render_table(t)


def _html_text(root: Any) -> str:
    """Text of a parsed tree with block elements on their own lines and table cells tab-separated.
    Iterative and linear (no tree mutation): deeply nested hostile markup cannot make it quadratic."""
    from bs4 import CData, NavigableString, Tag

    blocks = frozenset(_BLOCK_TAGS)
    out: list[str] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            out.append("\t" if node.name in _CELL_TAGS else "\n")
            continue
        if isinstance(node, NavigableString):
            if type(node) in (NavigableString, CData):
                out.append(str(node))
            continue
        if not isinstance(node, Tag) or node.name in _DROP_TAGS:
            continue
        if node.name == "br":
            out.append("\n")
            continue
        if node.name == "table":
            lines = _html_table_lines(node)
            if lines is not None:
                out.append("\n" + "\n".join(lines) + "\n")
                continue
        if node.name in blocks:
            out.append("\n")
        if node.name in blocks or node.name in _CELL_TAGS:
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    return "".join(out)


def html_to_text(markup: str | bytes) -> str:
    """HTML (a page, or a block of it inside Markdown) to text: scripts and styles dropped, block elements
    kept as line breaks, tables as "header: value" lines."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    lines = [
        re.sub(r" *\t[ \t]*", "\t", re.sub(r"[ \u00a0]+", " ", ln)).strip(" \t")
        for ln in _html_text(soup).split("\n")
    ]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def load_html(data: bytes) -> str:
    """An HTML file's text (html_to_text), repaired as extracted text is."""
    if looks_binary(data):
        raise LoadError("binary content in an HTML file")
    text = html_to_text(data)
    return clean_extracted(text + "\n") if text else ""


def _pdf_page_text(page: Any) -> str:
    """A page's text. pypdf's plain extraction runs a table's cells together with single spaces; when the
    layout-preserving extraction shows a table with a header (columns aligned by runs of spaces), that
    page is taken from it instead, its tables written as "header: value" lines (ingest/tables.py)."""
    plain = (page.extract_text() or "").strip()
    try:
        layout = page.extract_text(extraction_mode="layout") or ""
    except Exception:  # noqa: BLE001 - the layout mode fails on some fonts: the plain text stands
        log.debug("layout extraction failed", exc_info=True)
        return plain
    tables = [t for t in find_tables(layout) if t.header is not None]
    return with_tables_rendered(layout, tables) if tables else plain


_SENTENCE_END = re.compile(r"[.!?:;][\"'”’»)\]]*\s*$")


def _runs_on(page: str, next_page: str) -> bool:
    """Whether a page stops mid-sentence: its last line ends no sentence, and the next page goes on in lower
    case or that line was wrapped (it fills the page's width, as core.text's WRAPPED_LINE reads a line)."""
    lines = [ln.rstrip() for ln in page.split("\n") if ln.strip()]
    if not lines or _SENTENCE_END.search(lines[-1]):
        return False
    if next_page.lstrip()[:1].islower():
        return True
    return len(lines) >= 2 and len(lines[-1]) >= WRAPPED_LINE * max(map(len, lines))


def join_pages(pages: Sequence[str]) -> str:
    """Pages' texts joined by a blank line, or by a single line break where a page stops mid-sentence, so
    that a sentence running over a page break stays one sentence (core.text reads a single line break
    inside a sentence as a wrapped line, a blank line as the end of a paragraph)."""
    kept = [p for p in pages if p.strip()]
    out: list[str] = []
    for i, page in enumerate(kept):
        if i:
            out.append("\n" if _runs_on(kept[i - 1], page) else "\n\n")
        out.append(page)
    return "".join(out)


def load_pdf(data: bytes) -> str:
    """PDF pages without their running headers, footers and page numbers (ingest.decode's
    drop_page_furniture), joined by join_pages (tables as "header: value" lines); encrypted or corrupt PDFs
    raise LoadError."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise LoadError("encrypted (password-protected) PDF")
        pages = [_pdf_page_text(p) for p in reader.pages]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise LoadError(f"corrupt PDF ({type(exc).__name__}: {exc})") from exc
    return clean_extracted(_tidy(join_pages(drop_page_furniture(pages))))


def check_zip_safe(data: bytes) -> None:
    """Refuse archives whose declared uncompressed size or compression ratio is out of bounds."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise LoadError("password-protected (encrypted) DOCX or legacy Word file")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise LoadError("corrupt DOCX (not a zip archive)") from exc
    total = sum(i.file_size for i in infos)
    if total > MAX_DOCX_UNCOMPRESSED:
        raise LoadError(f"DOCX would inflate to {total // (1024 * 1024)} MB (zip bomb?)")
    for i in infos:
        if i.compress_size and i.file_size / i.compress_size > MAX_ZIP_RATIO and i.file_size > 10_000_000:
            raise LoadError(
                f"DOCX member {i.filename} compresses {i.file_size // i.compress_size}:1 (zip bomb?)"
            )


def load_docx(data: bytes) -> str:
    """DOCX paragraphs and tables in document order; a table is written as "header: value" lines
    (the first row is the header when marked as a repeated header row or when it looks like one)."""
    check_zip_safe(data)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        d = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise LoadError(f"corrupt or password-protected DOCX ({type(exc).__name__})") from exc
    except Exception as exc:  # noqa: BLE001 - lxml and python-docx raise many kinds on broken XML
        raise LoadError(f"corrupt DOCX ({type(exc).__name__}: {exc})") from exc
    blocks: list[str] = []
    body = d.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            blocks.append("".join(t.text or "" for t in child.iter() if t.tag.endswith("}t")))
        elif tag == "tbl":
            blocks.append("\n".join(_docx_table_lines(child)))  # a table's rows stay together
    return clean_extracted(_tidy("\n\n".join(b.strip() for b in blocks if b.strip())))


def _docx_cell_text(tc: Any) -> str:
    paras = [
        "".join(t.text or "" for t in p.iter() if t.tag.endswith("}t"))
        for p in tc.iter()
        if p.tag.endswith("}p")
    ]
    return " ".join(" ".join(paras).split())


def _docx_cell_props(tc: Any) -> tuple[int, bool]:
    """(columns the cell spans, whether it continues a vertical merge from the row above)."""
    span, continues = 1, False
    for pr in (p for p in tc if p.tag.endswith("}tcPr")):
        for el in pr:
            val = next((v for k, v in el.attrib.items() if k.endswith("}val")), None)
            if el.tag.endswith("}gridSpan"):
                span = _span(val or 1)
            elif el.tag.endswith("}vMerge"):
                continues = val != "restart"
    return span, continues


def _docx_table_lines(tbl: Any) -> list[str]:
    """Rows of a DOCX table (merged cells repeated across the columns and rows they cover), rendered as
    "header: value" lines; a one-row or one-column table is written row by row, cells joined by tabs."""
    rows: list[Row] = []
    marked_header = False
    for tr in (r for r in tbl if r.tag.endswith("}tr")):
        cells: list[str] = []
        above = rows[-1].cells if rows else ()
        for tc in (c for c in tr if c.tag.endswith("}tc")):
            span, continues = _docx_cell_props(tc)
            for _ in range(span):
                col = len(cells)
                cells.append(above[col] if continues and col < len(above) else _docx_cell_text(tc))
        if not rows and any(el.tag.endswith("}tblHeader") for el in tr.iter()):
            marked_header = True
        rows.append(Row(tuple(cells)))
    t = make_table(rows, header_hint=True if marked_header else None)
    if t is None:
        return ["\t".join(r.cells) for r in rows if any(r.cells)]
    return render_table(t)


def load_bytes(data: bytes, suffix: str) -> str:
    """Dispatch on the suffix; raise LoadError with a reason when the content is unusable."""
    suffix = suffix.lower()
    if not data.strip():
        raise LoadError("empty file")
    if suffix in TEXT_SUFFIXES:
        if looks_binary(data):
            raise LoadError("binary content in a text file")
        try:
            text = decode_bytes(data)
        except DecodeError as exc:
            raise LoadError(str(exc)) from exc
        if suffix in MARKDOWN_SUFFIXES:
            text = render_markdown(text, html_to_text)
    elif suffix in HTML_SUFFIXES:
        text = load_html(data)
    elif suffix == ".pdf":
        if not data.startswith(b"%PDF"):
            raise LoadError("corrupt PDF (no %PDF header)")
        text = load_pdf(data)
    elif suffix == ".docx":
        text = load_docx(data)
    else:
        raise LoadError(f"unsupported file type {suffix or '(no extension)'}")
    if not text.strip():
        raise LoadError("no text could be extracted")
    return text
