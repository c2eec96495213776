"""The context the model sees: numbered extracts labelled with vendor, document and section, cut to a
tiktoken budget (settings.retrieval.context_tokens)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.spans import Span
from core.tokens import count_tokens

_NUMBERING = re.compile(r"^(?:(?:ARTICLE|Article|article)\s+)?(?:\d+(?:\.\d+)*|[IVX]+)[.)]?(?:\s*[-–:])?\s+")


def span_label(span: Span) -> str:
    """"Vendor | section" for one extract (the section's last level, kept short: every token counts when a
    small CPU model reads the prompt)."""
    c = span.clause
    # last level, numbering dropped ("13.2. Responsabilités" -> "Responsabilités"): numbers in labels
    # would be copied into answers as if they were figures
    section = _NUMBERING.sub("", c.section.rsplit(">", 1)[-1].strip())
    if len(section) > 60:
        section = section[:57].rstrip() + "..."
    return " | ".join(p for p in (c.vendor_name, section) if p)


def format_extract(n: int, span: Span) -> str:
    """One numbered line: "[n] Vendor | document | section :: verbatim text"."""
    text = " ".join(span.text.split())
    return f"[{n}] {span_label(span)} :: {text}"


def build_context(spans: Sequence[Span], budget_tokens: int, encoding: str = "cl100k_base",
                  start: int = 1) -> tuple[str, list[Span]]:
    """Number the spans from `start` and keep them, in order, while they fit in `budget_tokens`
    (the first always fits). Returns the context text and the spans kept (index i has number start+i)."""
    lines: list[str] = []
    kept: list[Span] = []
    used = 0
    for sp in spans:
        line = format_extract(start + len(kept), sp)
        t = count_tokens(line, encoding) + 1
        if kept and used + t > budget_tokens:
            break
        lines.append(line)
        kept.append(sp)
        used += t
    return "\n".join(lines), kept
