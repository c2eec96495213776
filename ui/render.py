"""Pure rendering helpers for the page: escaped HTML with the quoted span highlighted, chip labels,
Markdown-safe answers, and CSV/Markdown exports of comparisons. No Streamlit import: unit-tested alone.

Document text is untrusted: every function here escapes it (html.escape) before adding any markup, and
text shown through Markdown has every Markdown/Streamlit control character backslash-escaped.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.markers import ESCAPED_MARKER_RE, marker_numbers
from core.text import md_cell, slug
from core.types import Answer, Citation, Clause, Hit

# Every ASCII punctuation character CommonMark lets us backslash-escape that could start markup
# (links, emphasis, code, headings, lists, tables, HTML) or Streamlit directives (":red[...]", ":smile:", "$x$").
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&\"'=^])")
# the assistant marks a quote's key phrase in bold (**48 heures**): after escaping, that pair is all we restore
_BOLD = re.compile(r"\\\*\\\*(?=\S)(.+?)(?<=\S)\\\*\\\*")
TEXT_STYLE = (
    "white-space: pre-wrap; font-family: inherit; line-height: 1.5; margin: 0; overflow-wrap: anywhere;"
)
MARK_STYLE = "background: #ffe58a; color: inherit; padding: 0 1px; border-radius: 2px;"

TOPICS: tuple[str, ...] = (
    "Personal data breach notification delay",
    "Liability cap",
    "Data retention period after termination",
    "Data hosting location",
    "Sub-processors",
    "Governing law and jurisdiction",
    "Termination notice period",
    "Security measures and certifications",
    "Price changes",
    "Audit rights",
)


def escape_markdown(text: str) -> str:
    """Make text inert under Streamlit Markdown: backslash-escape every control character."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def answer_markdown(text: str, cited: Iterable[int] | None = None) -> str:
    """The answer as safe Markdown, with its `[n]` markers shown as small badges and its bold key phrase
    (`**48 heures**`, the assistant's mark on a quote) in bold; everything else is escaped.

    Only markers whose number is in `cited` become badges (all of them when `cited` is None); others
    stay as plain escaped text so that a stray "[7]" in the prose is not mistaken for a citation.
    """
    allowed = None if cited is None else set(cited)
    safe = _BOLD.sub(r"**\1**", escape_markdown(text)).replace("\n", "  \n")

    def badge(m: re.Match[str]) -> str:
        ns = marker_numbers(m.group(1))
        if allowed is not None and any(n not in allowed for n in ns):
            return m.group(0)
        return " ".join(f":blue-badge[{n}]" for n in ns)

    return ESCAPED_MARKER_RE.sub(badge, safe)


def short_section(section: str, limit: int = 48) -> str:
    """The last part of a section path, cut to `limit` characters, for chip labels."""
    last = section.split(">")[-1].strip() if section else ""
    return last if len(last) <= limit else last[: limit - 1].rstrip() + "…"


def chip_label(c: Citation) -> str:
    """Label of a citation chip: the number that matches the `[n]` marker, vendor, short section."""
    sec = short_section(c.section)
    return f"[{c.n}] {c.vendor_name}" + (f" · {sec}" if sec else "")


def anchor_id(c: Citation) -> str:
    """A stable HTML id for the quote's highlight in the document viewer."""
    return f"cqa-quote-{c.n}-{c.start}"


def highlight_html(
    text: str, start: int, end: int, mark_id: str | None = None, css_class: str = "cqa-text"
) -> str:
    """`text` escaped inside a pre-wrap <div>, with text[start:end] wrapped in <mark> (offsets clamped)."""
    n = len(text)
    start = max(0, min(start, n))
    end = max(start, min(end, n))
    ident = f' id="{html.escape(mark_id, quote=True)}"' if mark_id else ""
    body = (
        html.escape(text[:start])
        + f'<mark{ident} style="{MARK_STYLE}">'
        + html.escape(text[start:end])
        + "</mark>"
        + html.escape(text[end:])
    )
    return f'<div class="{html.escape(css_class, quote=True)}" style="{TEXT_STYLE}">{body}</div>'


def text_html(text: str, css_class: str = "cqa-text") -> str:
    """`text` escaped inside a pre-wrap <div> (no highlight)."""
    return f'<div class="{html.escape(css_class, quote=True)}" style="{TEXT_STYLE}">{html.escape(text)}</div>'


@dataclass(frozen=True)
class Passage:
    """A piece of document text shown around a quote: `text` starts at document offset `offset`."""

    text: str
    offset: int
    section: str

    def quote_span(self, c: Citation) -> tuple[int, int] | None:
        """Where the citation's quote lies inside this passage (relative offsets), or None."""
        s, e = c.start - self.offset, c.end - self.offset
        if 0 <= s <= e <= len(self.text) and self.text[s:e] == c.quote:
            return s, e
        i = self.text.find(c.quote) if c.quote else -1
        return (i, i + len(c.quote)) if i >= 0 else None


def find_clause(c: Citation, hits: Sequence[Hit]) -> Clause | None:
    """The retrieved clause a citation came from: by clause id, else the one that contains the quote."""
    clauses = [h.clause for h in hits]
    if c.clause_id:
        for cl in clauses:
            if cl.id == c.clause_id:
                return cl
    for cl in clauses:
        if cl.document == c.document and cl.start <= c.start and c.end <= cl.end:
            return cl
    return None


def passage_for(
    c: Citation, clause: Clause | None, document_text: str | None = None, margin: int = 400
) -> Passage:
    """The clause that holds the quote; else a window of the document around it; else the quote alone."""
    if clause is not None and clause.start <= c.start and c.end <= clause.end:
        return Passage(clause.text, clause.start, clause.section)
    if document_text is not None and document_text[c.start : c.end] == c.quote:
        lo = min(c.start, clause.start) if clause is not None else max(0, c.start - margin)
        hi = max(c.end, clause.end) if clause is not None else min(len(document_text), c.end + margin)
        return Passage(document_text[lo:hi], lo, c.section)
    return Passage(c.quote, c.start, c.section)


def citation_html(c: Citation, passage: Passage) -> str:
    """The passage escaped, with the citation's quote highlighted (the whole passage when not found)."""
    span = passage.quote_span(c)
    if span is None:
        return highlight_html(c.quote, 0, len(c.quote), anchor_id(c))
    return highlight_html(passage.text, span[0], span[1], anchor_id(c))


def citation_meta_markdown(c: Citation) -> str:
    """Vendor, document and section path of a citation, as safe Markdown."""
    sec = escape_markdown(c.section) if c.section else "_(no heading)_"
    return (
        f"**{escape_markdown(c.vendor_name)}** · `{c.document.replace('`', '')}` · {sec}  \n"
        f"characters {c.start}–{c.end}"
    )


def document_viewer_html(text: str, start: int, end: int, mark_id: str = "cqa-quote", title: str = "") -> str:
    """A self-contained HTML page (for an iframe) showing the escaped document with the span highlighted
    and scrolled into view. The only script is ours; the document text is escaped."""
    body = highlight_html(text, start, end, mark_id, css_class="cqa-doc")
    heading = f"<h4>{html.escape(title)}</h4>" if title else ""
    script = (
        f"<script>const m=document.getElementById({mark_id!r});"
        "if(m){m.scrollIntoView({block:'center'});}</script>"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><style>"
        "body{font-family:system-ui,sans-serif;font-size:14px;margin:8px;color:#222}"
        "h4{margin:0 0 8px 0}</style></head><body>" + heading + body + script + "</body></html>"
    )


def error_help(exc: BaseException) -> str:
    """A plain sentence saying what went wrong and what to do about it."""
    name = type(exc).__name__
    msg = (str(exc) or name).strip().rstrip(".")
    low = f"{name} {msg}".lower()
    if "ingest is running" in low or "lockederror" in low:
        what = "Another ingest is running; try again when it has finished."
    elif any(w in low for w in ("chroma", "sqlite", "collection", "vector store", "clause store")):
        what = (
            "The clause store failed. If VECTORSTORE_URL is set, check that the Chroma server runs; "
            "else re-ingest from the sidebar, or check STORE_DIR and disk space."
        )
    elif isinstance(exc, FileNotFoundError) or "gguf" in low or "model folder" in low:
        what = "A model file is missing. Run `make setup` (scripts/setup.sh), or pick another model in the sidebar."
    elif any(w in low for w in ("timeout", "timed out", "connection", "connect", "refused", "unreachable")):
        what = (
            "The language model endpoint did not answer. Check LLM_BASE_URL and that the server runs, "
            "or pick a local model."
        )
    elif isinstance(exc, MemoryError) or "memory" in low:
        what = "Out of memory. Pick the fast model in the sidebar, or close other applications."
    else:
        what = "Try again; if it persists, pick the fast model in the sidebar or check the server log."
    return f"{name}: {msg}. {what}"


def slug_for_file(text: str, limit: int = 40) -> str:
    """A short ASCII file-name stem from free text (a comparison topic)."""
    return slug(text, limit, default="export")


# ----------------------------------------------------------------------------- comparisons


def _citation_line(c: Citation, max_quote: int = 300) -> str:
    q = " ".join(c.quote.split())
    if len(q) > max_quote:
        q = q[: max_quote - 1] + "…"
    sec = f" § {c.section}" if c.section else ""
    return f"[{c.n}] {c.document}{sec}: “{q}”"


# A selection's row status ("Which vendors…?": whether the vendor meets the question's condition)
_STATUS = {"yes": "meets it", "no": "does not meet it", "unsettled": "not settled: read the clause"}


def comparison_rows(answer: Answer) -> list[dict[str, str]]:
    """One flat row per vendor of a comparison: vendor, status (for a selection, whether the vendor meets
    the question's condition), short answer, its citations."""
    by_n = {c.n: c for c in answer.citations}
    rows: list[dict[str, str]] = []
    for va in answer.comparison or []:
        cites = [by_n[n] for n in va.citation_ns if n in by_n]
        rows.append(
            {
                "vendor": va.vendor_name or va.vendor,
                "status": _STATUS.get(va.verdict or "")
                or ("not in the documents" if va.abstained else "answered"),
                "answer": va.answer,
                "citations": " ".join(f"[{c.n}]" for c in cites),
                "sources": "; ".join(_citation_line(c) for c in cites),
            }
        )
    return rows


def comparison_csv(answer: Answer) -> str:
    """The comparison as CSV (topic column first), for st.download_button."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["topic", "vendor", "status", "answer", "citations", "sources"])
    for r in comparison_rows(answer):
        w.writerow([answer.question, r["vendor"], r["status"], r["answer"], r["citations"], r["sources"]])
    return buf.getvalue()


def comparison_markdown(answer: Answer) -> str:
    """The comparison as a Markdown report: a table, then the numbered verbatim quotes."""
    lines = [
        f"# Comparison: {md_cell(answer.question)}",
        "",
        "| Vendor | Answer | Citations |",
        "|---|---|---|",
    ]
    for r in comparison_rows(answer):
        ans = r["answer"] if r["status"] == "answered" else f"_Not in the documents._ {r['answer']}"
        lines.append(f"| {md_cell(r['vendor'])} | {md_cell(ans)} | {r['citations']} |")
    if answer.citations:
        lines += ["", "## Sources", ""]
        lines += [f"- {_citation_line(c, max_quote=10_000)}" for c in answer.citations]
    model = answer.model.get("llm", "")
    if model:
        lines += ["", f"_Model: {md_cell(model)}; prompt: {md_cell(answer.model.get('prompt', ''))}_"]
    return "\n".join(lines) + "\n"


def transcript_markdown(turns: Sequence[tuple[str, Answer | str]]) -> str:
    """A chat transcript (user questions, answers with their quotes) as Markdown, for download."""
    out: list[str] = []
    for role, item in turns:
        if isinstance(item, Answer):
            out.append(f"**Assistant:** {item.answer}")
            out += [f"- {_citation_line(c, max_quote=10_000)}" for c in item.citations]
        else:
            out.append(f"**{role.capitalize()}:** {item}")
        out.append("")
    return "\n".join(out)
