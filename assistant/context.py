"""How a sentence is shown to the model: one numbered line labelled with vendor and section, its text on
one line (so a document's own line breaks cannot open a new numbered line)."""

from __future__ import annotations

from assistant.spans import Span
from core.text import HEADING_NUMBER


def span_label(span: Span) -> str:
    """ "Vendor | section" for one extract (the section's last level, kept short: every token counts when a
    small CPU model reads the prompt)."""
    c = span.clause
    # last level, numbering dropped ("13.2. Responsabilités" -> "Responsabilités"): numbers in labels
    # would be copied into answers as if they were figures
    section = HEADING_NUMBER.sub("", c.section.rsplit(">", 1)[-1].strip(), count=1)
    if len(section) > 60:
        section = section[:57].rstrip() + "..."
    return " | ".join(p for p in (c.vendor_name, section) if p)


def format_extract(n: int, span: Span, text: str | None = None) -> str:
    """One numbered line: "[n] Vendor | section :: text", the text being the span's verbatim text on one line
    unless a readable form is given (a table row as its "header: value" cells)."""
    shown = " ".join((span.text if text is None else text).split())
    return f"[{n}] {span_label(span)} :: {shown}"
