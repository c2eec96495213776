"""Bytes to clean text: charset detection (charset-normalizer), mojibake repair (ftfy plus a targeted pass
for double-encoded UTF-8 that ftfy leaves, e.g. "đź”§" read as windows-1250), and the page furniture of
extracted PDF pages (running headers, footers, page numbers) told from repetition; the language guess is
core.text's.

The text returned here is what every offset indexes, so nothing else may change it afterwards.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Sequence

import ftfy
from charset_normalizer import from_bytes

DECODER_VERSION = "decode-v2"  # bump when decoding or repair changes: every document is decoded again
# v2: Markdown rendered to text (ingest/markdown.py); PDF page furniture dropped, pages joined mid-sentence


class DecodeError(ValueError):
    """The bytes are not text in any charset we can trust."""


_FTFY = ftfy.TextFixerConfig(
    uncurl_quotes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    unescape_html=False,
    explain=False,
    normalization="NFC",
)
# Runs of non-ASCII characters that may be UTF-8 bytes read through a single-byte code page.
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{2,}")
_MOJIBAKE_CODECS = ("cp1252", "cp1250", "latin-1")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters in the first 8 KiB (UTF-16 with a BOM is text)."""
    head = data[:8192]
    if any(head.startswith(b) for b, _ in _BOMS[1:]):
        return False
    if b"\x00" in head:
        return True
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return bool(head) and ctrl / len(head) > 0.05


def detect_and_decode(data: bytes) -> tuple[str, str]:
    """Decode bytes: BOM, then strict UTF-8, then charset-normalizer's best guess. Returns (text, encoding)."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc), enc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if looks_binary(data):
        raise DecodeError("binary content, not text")
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise DecodeError("undecodable text: no charset fits")
    return str(best), str(best.encoding)


def _repair_run(m: re.Match[str]) -> str:
    run = m.group(0)
    for codec in _MOJIBAKE_CODECS:
        try:
            fixed = run.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if len(fixed) < len(run):
            return fixed
    return run


def repair_mojibake(text: str) -> str:
    """ftfy's repairs (quotes left curly, no width or ligature changes), then a targeted pass for
    double-encoded UTF-8 runs that ftfy judged too risky (such as emoji read as windows-1250)."""
    fixed = ftfy.fix_text(text, config=_FTFY)
    return _NON_ASCII_RUN.sub(_repair_run, fixed)


def decode_bytes(data: bytes) -> str:
    """Bytes of a text file to the repaired text that offsets index."""
    text, _ = detect_and_decode(data)
    return repair_mojibake(text.replace("\r\n", "\n").replace("\r", "\n"))


def clean_extracted(text: str) -> str:
    """Repair text that a loader (pdf, docx, html) extracted, with the same rules as plain text."""
    return repair_mojibake(text.replace("\r\n", "\n").replace("\r", "\n"))


# ------------------------------------------------------------------------------------------ page furniture
FURNITURE_MIN_PAGES = 3  # repetition is evidence only from this many pages on
FURNITURE_EDGE_LINES = 2  # lines read at each page's top and at its bottom
FURNITURE_MAX_CHARS = 120
_DIGITS = re.compile(r"\d+")
# The only words a line whose numbers change from page to page may hold to be a page number ("3", "- 3 -",
# "Page 3 of 41", "p. 3", "3 sur 41", "Seite 3 von 41")
_PAGE_WORDS = re.compile(r"\b(?:pages?|p|pp|pg|seite|página|pagina|of|sur|de|von)\b", re.I)


def _form(line: str) -> str:
    """A line as repetition compares it: whitespace runs as one space, every number as "#"."""
    return _DIGITS.sub("#", " ".join(line.split()))


def _furniture_rules(pages: list[list[str]]) -> dict[str, set[str] | tuple[int, int]]:
    """form -> what makes an edge line of that form furniture: the texts it repeats verbatim, or (which
    number of the line, page number minus page index) for a page number."""
    need = max(FURNITURE_MIN_PAGES, len(pages) / 2)
    seen: dict[str, dict[int, set[str]]] = {}  # form -> page index -> its lines of that form at the edges
    for i, lines in enumerate(pages):
        filled = [" ".join(ln.split()) for ln in lines if ln.strip()]
        for s in {*filled[:FURNITURE_EDGE_LINES], *filled[-FURNITURE_EDGE_LINES:]}:
            if len(s) <= FURNITURE_MAX_CHARS and any(c.isalnum() for c in s):
                seen.setdefault(_form(s), {}).setdefault(i, set()).add(s)
    rules: dict[str, set[str] | tuple[int, int]] = {}
    for form, by_page in seen.items():
        if len(by_page) < need:
            continue
        texts = set().union(*by_page.values())
        if len(texts) == 1:
            rules[form] = texts  # a running header or footer, word for word
            continue
        if any(c.isalpha() for c in _PAGE_WORDS.sub("", form)):
            continue  # numbers that change in a line of words: a heading ("Schedule 2"), not a page number
        for slot in range(form.count("#")):
            offsets = Counter(int(_DIGITS.findall(s)[slot]) - i for i, ss in by_page.items() for s in ss)
            offset, pages_counted = offsets.most_common(1)[0]
            if pages_counted >= need:
                rules[form] = (slot, offset)  # the page number: page index + a constant
                break
    return rules


def drop_page_furniture(pages: Sequence[str]) -> list[str]:
    """Each page's text without its running headers, footers and page numbers, decided per document from
    repetition: a line at a page's top or bottom whose form (numbers aside) stands at the top or bottom of
    at least half the pages (and FURNITURE_MIN_PAGES), word for word, or as a page number that counts the
    pages ("3", "- 3 -", "Page 3 of 41"). Only lines at a page's edges are dropped."""
    split = [p.split("\n") for p in pages]
    if len(split) < FURNITURE_MIN_PAGES:
        return list(pages)
    rules = _furniture_rules(split)

    def furniture(i: int, line: str) -> bool:
        s = " ".join(line.split())
        rule = rules.get(_form(s))
        if isinstance(rule, set):
            return s in rule
        if rule is not None:
            slot, offset = rule
            return int(_DIGITS.findall(s)[slot]) - i == offset
        return not s  # a blank line next to furniture goes with it

    out: list[str] = []
    for i, lines in enumerate(split):
        a, b = 0, len(lines)
        while a < b and furniture(i, lines[a]):
            a += 1
        while b > a and furniture(i, lines[b - 1]):
            b -= 1
        out.append("\n".join(lines[a:b]))
    return out
