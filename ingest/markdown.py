"""Markdown to the plain text a reader sees, so that offsets, clauses and quotes index words, not markup.

Parsed by markdown-it-py (CommonMark, plus GFM tables and strikethrough), then written back as text:
front matter and Liquid tags (`{{ … }}`, `{% … %}`) dropped; links read as their text (a bare URL or an
`<url>` autolink stays the URL); emphasis, code backticks, escapes and images dropped; headings kept on
their own line behind their `#` marker (the structural splitter's Markdown heading, so that sections are
the document's headings); list items keep their markers ("1. ", "- "); tables as "header: value" lines
(ingest/tables.py); HTML rendered by the caller's HTML-to-text function (the HTML loader's). Paragraph line
breaks stay where the author put them: core.text's sentence rule reads a wrapped line as one sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ingest.tables import Row, make_table, render_table

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})

# YAML (---) front matter at the very start of the file, closed by --- or ...
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n(?:[^\n]*\n){0,200}?(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
# Liquid output and tags; bounded so that an unclosed "{{" costs one short scan
_LIQUID = re.compile(r"\{\{.{0,500}?\}\}|\{%.{0,500}?%\}", re.S)
# An asterisk between two letters or digits ("2*3", "a*b") is a character, as "_" in snake_case is:
# escaped before parsing so that CommonMark's intraword "*" emphasis never eats it. Code spans and fenced
# blocks are matched first and left as they are (an escape there would show).
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)[^\n]*\n(?:[^\n]*\n){0,5000}?[ \t]{0,3}\1[^\n]*$", re.M)
_CODE_OR_STAR = re.compile(r"(?<!`)(`+)(?!`).{0,2000}?(?<!`)\1(?!`)|(?<=[^\W_])\*(?=[^\W_])", re.S)
_BLANK_RUNS = re.compile(r"\n{3,}")
_LINE_END_SPACES = re.compile(r"[ \t]+\n")
_BR = re.compile(r"<br\s*/?>", re.I)
# Where an image stood: dropped with one of the spaces around it ("a ![x](y) b" reads "a b")
_DROPPED = "\x00"
_DROPPED_GAP = re.compile("(?<= )\x00 |\x00")


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _protect_stars(text: str) -> str:
    def code_or_star(m: re.Match[str]) -> str:
        return m.group(0) if m.group(1) else r"\*"

    out: list[str] = []
    pos = 0
    for fence in _FENCE.finditer(text):
        out.append(_CODE_OR_STAR.sub(code_or_star, text[pos : fence.start()]))
        out.append(fence.group(0))
        pos = fence.end()
    out.append(_CODE_OR_STAR.sub(code_or_star, text[pos:]))
    return "".join(out)


def prepare(text: str) -> str:
    """The Markdown source without what no reader sees: front matter and Liquid tags (a link whose target
    was a Liquid variable keeps its text: `[support]({{ site.email }})` reads "support")."""
    text = _FRONT_MATTER.sub("", text, count=1)
    return _protect_stars(_LIQUID.sub("", text))


def _inline(children: Sequence[Token] | None) -> str:
    """An inline run's text: text, code and line breaks kept; emphasis, link syntax, images and inline
    HTML tags dropped (`<br>` is a line break)."""
    out: list[str] = []
    for t in children or ():
        if t.type in ("text", "code_inline", "text_special"):
            out.append(t.content)
        elif t.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif t.type == "html_inline" and _BR.fullmatch(t.content.strip()):
            out.append("\n")
        elif t.type == "image":
            out.append(_DROPPED)
    return _DROPPED_GAP.sub("", "".join(out))


@dataclass
class _List:
    ordered: bool
    tight: bool = True  # no blank lines between its items (markdown-it hides their paragraphs)


@dataclass
class _Block:
    text: str
    depth: int  # list nesting depth where it was written
    tight: bool  # inside a tight list: one line break (no blank line) after a block of the same list


class _Writer:
    """markdown-it's flat token stream written out as text blocks."""

    def __init__(self, html_text: Callable[[str], str]) -> None:
        self.html_text = html_text
        self.blocks: list[_Block] = []
        self.lists: list[_List] = []  # the open lists, outermost first
        self.marker = ""  # the open list item's marker, written before its first line
        self.heading = ""  # the open heading's "## " marker
        self.rows: list[Row] | None = None  # the open table's rows
        self.cells: list[str] | None = None  # the open table row's cells
        self.header_rows = 0

    def emit(self, text: str) -> None:
        text = text.strip("\n")
        if not text.strip():
            return
        if self.heading:
            text = self.heading + " ".join(text.split())
        if self.marker:
            text = "  " * (len(self.lists) - 1) + self.marker + text.lstrip()
            self.marker = ""
        depth = len(self.lists)
        self.blocks.append(_Block(text, depth, bool(depth) and self.lists[-1].tight))

    def text(self, tokens: Sequence[Token]) -> str:
        for t in tokens:
            self.token(t)
        out: list[str] = []
        for prev, b in zip([None, *self.blocks], self.blocks, strict=False):
            if prev is not None:
                out.append("\n" if b.tight and prev.depth else "\n\n")
            out.append(b.text)
        text = _BLANK_RUNS.sub("\n\n", _LINE_END_SPACES.sub("\n", "".join(out))).strip("\n")
        return text + "\n" if text else ""

    def token(self, t: Token) -> None:
        kind = t.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            self.lists.append(_List(ordered=kind == "ordered_list_open"))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
        elif kind == "list_item_open":
            self.marker = f"{t.info}{t.markup} " if self.lists[-1].ordered else "- "
        elif kind == "paragraph_open" and self.lists:
            self.lists[-1].tight = t.hidden
        elif kind == "heading_open":
            self.heading = "#" * int(t.tag[1:]) + " "
        elif kind == "heading_close":
            self.heading = ""
        elif kind == "inline":
            if self.cells is not None:
                self.cells.append(" ".join(_inline(t.children).split()))
            else:
                self.emit(_inline(t.children))
        elif kind in ("fence", "code_block"):
            self.emit(t.content)
        elif kind == "html_block":
            self.emit(self.html_text(t.content))
        elif kind == "table_open":
            self.rows, self.header_rows = [], 0
        elif kind == "tr_open":
            self.cells = []
        elif kind == "tr_close" and self.rows is not None and self.cells is not None:
            self.rows.append(Row(tuple(self.cells)))
            self.cells = None
        elif kind == "thead_close" and self.rows is not None:
            self.header_rows = len(self.rows)
        elif kind == "table_close" and self.rows is not None:
            table = make_table(self.rows, header_hint=self.header_rows > 0)
            self.emit("\n".join(render_table(table) if table else ["\t".join(r.cells) for r in self.rows]))
            self.rows = None


def render_markdown(text: str, html_text: Callable[[str], str]) -> str:
    """The text a reader of the rendered Markdown sees (see the module docstring). `html_text` turns an
    HTML block into text (the HTML loader's rendering)."""
    return _Writer(html_text).text(_parser().parse(prepare(text)))
