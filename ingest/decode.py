"""Bytes to clean text: charset detection (charset-normalizer), mojibake repair (ftfy plus a targeted pass
for double-encoded UTF-8 that ftfy leaves, e.g. "đź”§" read as windows-1250); the language guess is core.text's.

The text returned here is what every offset indexes, so nothing else may change it afterwards.
"""

from __future__ import annotations

import codecs
import re

import ftfy
from charset_normalizer import from_bytes

DECODER_VERSION = "decode-v1"  # bump when decoding or repair changes: every document is decoded again


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
