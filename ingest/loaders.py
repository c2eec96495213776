"""Load one file into decoded text: txt/md (charset detection), html (BeautifulSoup + lxml), pdf (pypdf),
docx (python-docx, zip-bomb checked first). Every failure is a `LoadError` with a one-line reason.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path
from typing import Any

from ingest.decode import DecodeError, clean_extracted, decode_bytes, looks_binary

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}
# A DOCX whose members inflate beyond this (or by a ratio above MAX_ZIP_RATIO) is refused unread.
MAX_DOCX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_RATIO = 200
_BLOCK_TAGS = ("p", "div", "section", "article", "header", "footer", "li", "ul", "ol", "table", "tr",
               "h1", "h2", "h3", "h4", "h5", "h6", "br", "blockquote", "pre", "dd", "dt", "main", "nav")


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
        if node.name in blocks:
            out.append("\n")
        if node.name in blocks or node.name in _CELL_TAGS:
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    return "".join(out)


def load_html(data: bytes) -> str:
    """HTML to text: scripts and styles dropped, block elements kept as line breaks."""
    from bs4 import BeautifulSoup

    if looks_binary(data):
        raise LoadError("binary content in an HTML file")
    soup = BeautifulSoup(data, "lxml")
    lines = [re.sub(r" *\t[ \t]*", "\t", re.sub(r"[ \u00a0]+", " ", ln)).strip(" \t")
             for ln in _html_text(soup).split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return clean_extracted(text + "\n") if text else ""


def load_pdf(data: bytes) -> str:
    """PDF pages joined with blank lines; encrypted or corrupt PDFs raise LoadError."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise LoadError("encrypted (password-protected) PDF")
        pages = [(p.extract_text() or "").strip() for p in reader.pages]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as exc:
        raise LoadError(f"corrupt PDF ({type(exc).__name__}: {exc})") from exc
    return clean_extracted(_tidy("\n\n".join(p for p in pages if p)))


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
            raise LoadError(f"DOCX member {i.filename} compresses {i.file_size // i.compress_size}:1 (zip bomb?)")


def load_docx(data: bytes) -> str:
    """DOCX paragraphs and table rows (cells joined by tabs), in document order."""
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
            for row in child.iter():
                if row.tag.endswith("}tr"):
                    cells = ["".join(t.text or "" for t in c.iter() if t.tag.endswith("}t")).strip()
                             for c in row if c.tag.endswith("}tc")]
                    blocks.append("\t".join(cells))
    return clean_extracted(_tidy("\n\n".join(b.strip() for b in blocks if b.strip())))


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
