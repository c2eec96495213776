"""A decoded document as the diff compares it: markup, page furniture and line-end hyphens masked, words
and punctuation as normalised tokens that keep their offsets in the decoded text, grouped into sentences
and those into the clauses of ingest's structural splitter.

Masking never edits the text: masked characters read as spaces in a same-length copy (`view`), so every
token's offsets index the decoded text itself and quotes are always verbatim slices of it.
"""

from __future__ import annotations

import functools
import html
import itertools
import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePath

from core.settings import ChunkSettings
from core.text import WRAPPED_LINE
from ingest.loaders import TEXT_SUFFIXES
from ingest.split import Span, classify_heading, split_text

# Clauses are the splitter's sections: a large budget so that a section is cut only when very long (cut
# points move with every edit, headings do not), no overlap so that clauses partition the text, and no
# joining of small sections (a short section is a clause of its own, to align or move on its own).
CLAUSE_MAX_TOKENS = 1500

# --------------------------------------------------------------------------------------------- masks
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
_INVISIBLE = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]")  # soft hyphen, zero-width characters
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?:.*\n)*?(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
_LIQUID = re.compile(r"\{\{.{0,300}?\}\}|\{%.{0,300}?%\}", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]{0,500})?/?>")
_AUTOLINK = re.compile(r"(<)(?:https?://|mailto:)[^<>\s]+(>)")
_INLINE_LINK = re.compile(r"(!?\[)[^\[\]]{0,500}?(\]\((?:[^()]|\([^()]*\)){0,1000}?\))")
_REF_LINK = re.compile(r"(!?\[)[^\[\]]{1,500}?(\]\[[^\[\]\n]*\])")
_LINK_DEFINITION = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S.*$", re.M)
_ATTRIBUTE_LIST = re.compile(r"\{:[^}\n]*\}")
_HEADING_HASHES = re.compile(r"^[ \t]{0,3}#{1,6}(?=[ \t]|$)", re.M)
_RULE_OR_UNDERLINE = re.compile(r"^[ \t]{0,3}(?:=+|-{2,}|\*{3,}|_{3,})[ \t]*$", re.M)
_BLOCKQUOTE = re.compile(r"^[ \t]{0,3}(?:>[ \t]?)+", re.M)
_BULLET = re.compile(r"^[ \t]*[-*+](?=[ \t])", re.M)
_ORDERED = re.compile(r"^[ \t]*\d{1,9}[.)](?=[ \t])", re.M)  # renumbered when an item is inserted
_TABLE_RULE = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+(?:[ \t]*:?-{3,}:?)?[ \t]*\|?[ \t]*$", re.M)
_EMPHASIS = re.compile(r"\*+|~~|`+|\||(?<![^\W_])_+|_+(?![^\W_])")
_ESCAPE = re.compile(r"\\(?=[\\`*_{}\[\]()#+\-.!|>~])")
_PAGE_NUMBER = re.compile(
    r"^[ \t]*(?:-[ \t]*)?(?:(?:page|p\.)[ \t]*)?\d{1,4}(?:[ \t]*(?:/|of|sur|de)[ \t]*\d{1,4})?(?:[ \t]*-)?[ \t]*$",
    re.I,
)
_DIGITS = re.compile(r"\d+")
# the page number a table of contents gives a heading, with its leader dots ("1. Definitions ....... 3")
_CONTENTS_PAGE = re.compile(r"(?:[ \t]*(?:\.[ \t]?){3,}|[ \t]*…+)[ \t]*\d{1,4}(?=[ \t]*$)", re.M)
_REPEATS_FOR_FURNITURE = 3  # at least this often (and on half the pages) for a running header or footer
_FURNITURE_MAX_CHARS = 120


def _markup_masks(text: str, ordered_lists: bool) -> list[tuple[int, int]]:
    """Spans of Markdown, HTML and Liquid markup: front matter, tags, link syntax (the link text stays),
    heading hashes, list markers, emphasis, table rules. What the markup says is kept; only markup goes.
    Ordered-list numbers are markup in Markdown (an inserted item renumbers the rest), words in a
    plain-text contract ("1. Définitions")."""
    spans: list[tuple[int, int]] = []
    whole = (
        _FRONT_MATTER,
        _LIQUID,
        _HTML_COMMENT,
        _HTML_TAG,
        _LINK_DEFINITION,
        _ATTRIBUTE_LIST,
        _HEADING_HASHES,
        _RULE_OR_UNDERLINE,
        _BLOCKQUOTE,
        _BULLET,
        *((_ORDERED,) if ordered_lists else ()),
        _TABLE_RULE,
        _EMPHASIS,
        _ESCAPE,
    )
    for rx in whole:
        spans.extend(m.span() for m in rx.finditer(text))
    for rx in (_AUTOLINK, _INLINE_LINK, _REF_LINK):
        for m in rx.finditer(text):
            spans.extend((m.span(1), m.span(2)))
    return spans


def _line_spans(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for raw in text.split("\n"):
        out.append((pos, pos + len(raw)))
        pos += len(raw) + 1
    return out


def _furniture_masks(text: str) -> list[tuple[int, int]]:
    """Page numbers and running headers/footers of extracted PDF text (pages are joined by blank lines):
    a short line that stands word for word (numbers aside) at a page edge on half the pages (or more), a
    line that is only a page number next to a page edge (an edge is a page join, a text edge, or other
    furniture), and the page numbers of a table of contents."""
    lines = _line_spans(text)
    stripped = [text[a:b].strip() for a, b in lines]
    pages = 1 + sum(1 for i in range(1, len(lines)) if not stripped[i] and stripped[i - 1])
    shapes = [_DIGITS.sub("#", s) for s in stripped]  # "ACME DPA – page 3" and "... page 4" are one header
    counts = Counter(
        shape
        for s, shape in zip(stripped, shapes, strict=True)
        if 0 < len(s) <= _FURNITURE_MAX_CHARS and any(c.isalpha() for c in s)
    )
    running = {s for s, n in counts.items() if n >= max(_REPEATS_FOR_FURNITURE, pages / 2)}
    furniture: set[int] = set()

    def at_edge(i: int) -> bool:
        return any(not (0 <= j < len(lines)) or not stripped[j] or j in furniture for j in (i - 1, i + 1))

    grew = True
    while grew:  # furniture next to furniture (a header above a page number) is an edge too
        found = {
            i
            for i, s in enumerate(stripped)
            if s and i not in furniture and (_PAGE_NUMBER.match(s) or shapes[i] in running) and at_edge(i)
        }
        furniture |= found
        grew = bool(found)
    contents = [
        m.span()
        for m in _CONTENTS_PAGE.finditer(text)
        if any(c.isalpha() for c in text[text.rfind("\n", 0, m.start()) + 1 : m.start()])
    ]
    return [lines[i] for i in sorted(furniture)] + contents


def masks_for(name: str, text: str) -> list[tuple[int, int]]:
    """What to ignore in a document of this name: markup in Markdown and text files (Liquid, HTML), page
    furniture in PDFs; invisible characters everywhere. Decoded HTML and DOCX carry no markup."""
    spans = [m.span() for m in _INVISIBLE.finditer(text)]
    suffix = PurePath(name).suffix.lower()
    if suffix == ".pdf":
        spans += _furniture_masks(text)
    elif suffix in TEXT_SUFFIXES or not suffix:
        spans += _markup_masks(text, ordered_lists=suffix in MARKDOWN_SUFFIXES)
    return spans


def masked_view(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the masked characters turned into spaces (line breaks kept): same length, same offsets."""
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


# -------------------------------------------------------------------------------------------- tokens
_TOKEN = re.compile(
    r"&(?:[A-Za-z]{2,8}|#\d{1,6}|#[xX][0-9a-fA-F]{1,6});|[^\W_]+(?:[-‐‑'’][^\W_]+)*|[^\s\w]|_"
)
_TYPOGRAPHY = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
    }
)
_TERMINAL = frozenset(".!?")
_LINE_MARKER = re.compile(
    r"[ \t]*(?:[-*+•·▪●◦■][ \t]|\d{1,3}[.)][ \t]|\d{1,3}(?:\.\d{1,3})+\.?[ \t]|\(?[a-zA-Z0-9]{1,4}\)[ \t]|#{1,6}[ \t]|>"
    r"|(?:[ivxl]{1,5}|[IVXL]{1,5}|[a-z])\.[ \t])"  # "ii. the relevant provisions", "IV. Liability", "b. the"
)


@dataclass(frozen=True)
class Token:
    """A word or punctuation mark: `norm` is what is compared, `text[start:end]` what was written."""

    norm: str
    start: int
    end: int


@functools.lru_cache(maxsize=65536)
def normalise(token: str) -> str:
    """Compared form of a token: NFKC, typographic quotes and dashes as ASCII, HTML entities decoded,
    hyphens inside a word dropped (so "sub-processor", "subprocessor" and "sub-\\nprocessor" agree)."""
    if token.startswith("&") and token.endswith(";") and len(token) > 2:
        token = html.unescape(token)
    t = unicodedata.normalize("NFKC", token).translate(_TYPOGRAPHY)
    return t.replace("-", "") if t[:1].isalnum() and len(t) > 1 else t


def tokenize(view: str) -> list[Token]:
    """Tokens of a masked view; a word cut by a hyphen at a line end ("re-\\nsponsible", or "re- sponsible"
    as PDF extraction often leaves it) is one token."""
    raw = [Token(normalise(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(view)]
    raw = [t for t in raw if t.norm.strip()]
    out: list[Token] = []
    i = 0
    while i < len(raw):
        t = raw[i]
        if (
            i + 2 < len(raw)
            and t.norm[:1].isalnum()
            and raw[i + 1].norm == "-"
            and raw[i + 1].start == t.end
            and raw[i + 2].start > raw[i + 1].end
            and raw[i + 2].norm[:1].islower()
        ):
            nxt = raw[i + 2]
            out.append(Token(t.norm + nxt.norm, t.start, nxt.end))
            i += 3
            continue
        out.append(t)
        i += 1
    return out


# ---------------------------------------------------------------------------------------- structure
@dataclass(frozen=True)
class ClauseView:
    """One clause of the splitter: its section path and its sentences (`units[first:last]`)."""

    section: str
    first: int
    last: int


@dataclass(frozen=True)
class Prepared:
    """A version ready to compare: tokens, sentences (token ranges) and clauses (sentence ranges)."""

    name: str
    text: str
    tokens: tuple[Token, ...]
    units: tuple[tuple[int, int], ...]
    unit_clause: tuple[int, ...]
    clauses: tuple[ClauseView, ...]
    breaks: frozenset[int]  # tokens that open a sentence by punctuation alone (alignment anchors)
    in_sequence: frozenset[int] = frozenset()  # units opened by a clause number that follows the one before
    footnotes: frozenset[int] = frozenset()  # units of a footnote (placed by the page, not by the text)

    def norms(self, a: int, b: int) -> list[str]:
        return [t.norm for t in self.tokens[a:b]]

    def unit_key(self, u: int) -> str:
        """What a sentence is compared by: its words, and "#" for a clause number in sequence (an insertion
        or removal above renumbers "5.1 Confidentiality." as "4.1", a regrouping "1.4" as "2.": no change
        of its own)."""
        a, b = self.units[u]
        norms = [t.norm for t in self.tokens[a:b]]
        if u in self.in_sequence:
            norms[: _number_length(norms)] = ["#"]
        return " ".join(norms)

    @functools.cached_property
    def key_counts(self) -> Counter[str]:
        """How often each sentence (its `unit_key`) stands in the version."""
        return Counter(self.unit_key(u) for u in range(len(self.units)))

    def span(self, first_unit: int, last_unit: int) -> tuple[int, int]:
        """Character range of units first..last (inclusive) in the decoded text."""
        return self.tokens[self.units[first_unit][0]].start, self.tokens[self.units[last_unit][1] - 1].end

    def section_of(self, unit: int) -> str:
        return self.clauses[self.unit_clause[unit]].section


def _opener(text: str, tok: Token) -> bool:
    ch = text[tok.start]
    return ch in "“‘«([" or (ch in "\"'" and tok.end < len(text) and not text[tok.end].isspace())


def _closer(text: str, tok: Token) -> bool:
    ch = text[tok.start]
    return ch in "”’»)]" or (ch in "\"'" and not _opener(text, tok))


def _is_terminal(text: str, tokens: list[Token], i: int, lower_words: frozenset[str]) -> bool:
    """Token i ends a sentence: . ! ? (possibly followed by closing quotes or brackets), not after an
    initial or a one-letter abbreviation ("e.g.", "J. Smith", "U.S. Privacy"). A capital letter after a
    word ("Annex B. The parties") ends one when the next word is one the document also writes in lower
    case: a sentence's first word, not a surname."""
    j = i + 1
    while i >= 0 and _closer(text, tokens[i]):
        i -= 1
    if i < 0 or tokens[i].norm not in _TERMINAL:
        return False
    if not (i >= 1 and len(tokens[i - 1].norm) == 1 and tokens[i - 1].norm.isalpha()):
        return True
    letter, word_before = tokens[i - 1].norm, tokens[i - 2].norm if i >= 2 else ""
    return (
        letter.isupper()
        and len(word_before) > 1
        and word_before.isalpha()
        and j < len(tokens)
        and tokens[j].norm.lower() in lower_words
    )


# a line that opens with words in brackets that are no list label ("(EU) 2016/679", "(UK)"): after a full
# line that does not end a sentence, it goes on with the sentence
_PARENTHESIS = re.compile(r"[ \t]*\((?![a-z]\)|[ivxl]{1,5}\)|\d{1,2}\))[^()\n]{1,12}\)")
_ITEM_LABEL = re.compile(r"[ \t]*(\(?)([a-z]|[ivxl]{1,5}|\d{1,2})([.)])[ \t]")
_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50}


def _roman(label: str) -> int:
    """The value of a lower-case roman numeral (0 when it is not one)."""
    if not label or any(c not in _ROMAN for c in label):
        return 0
    values = [_ROMAN[c] for c in label]
    return sum(-v if k + 1 < len(values) and v < values[k + 1] else v for k, v in enumerate(values))


def _to_roman(n: int) -> str:
    out = ""
    for value, digits in ((50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + digits, n - value
    return out


def _inline_item(text: str, line_start: int, unit_start: int) -> bool:
    """A list label opening this line ("(b) Basecamp and...") whose previous label stands inside the
    sentence so far, in mid-line ("...agrees that (a) Basecamp's Affiliates...; and"): an enumeration
    within one sentence that the page wrapped, not a list item."""
    m = _ITEM_LABEL.match(text, line_start)
    if not m or line_start <= unit_start:
        return False
    opener, label, closer = m.groups()
    before = set()
    if label.isdigit() and int(label) > 1:
        before.add(str(int(label) - 1))
    if len(label) == 1 and label.isalpha() and label != "a":
        before.add(chr(ord(label) - 1))
    if _roman(label) > 1:
        before.add(_to_roman(_roman(label) - 1))
    return any(
        re.search(rf"[^\s]{re.escape(f' {opener}{b}{closer}')}\s", text[unit_start:line_start])
        for b in before
    )


CAPITAL_WIDTH = 1.4  # a capital letter is about this much wider than a lower-case one


def _width(line: str) -> float:
    """A line's printed width in lower-case letters: a heading in capitals fills a line with fewer."""
    return len(line) + (CAPITAL_WIDTH - 1) * sum(map(str.isupper, line))


def _full_line(lines: list[str]) -> float:
    """The length from which a line of this text was wrapped (it fills the page): a share of the 90th
    percentile of its line lengths (the longest would be a layout-mode table row or a URL)."""
    lengths = sorted(len(s) for s in lines if s)
    return WRAPPED_LINE * lengths[(len(lengths) - 1) * 9 // 10] if lengths else 0.0


def _wrapped_on(view: str, spans: list[Span]) -> list[Span]:
    """Spans of extracted text with those that open on a wrapped line joined to the one before: a full line
    that does not end a sentence goes on over the next ("... decision under\nArticle 25(6) of Directive
    95/46/EC ... is issued"), whatever the splitter took the next line for."""
    lines = [ln.strip() for ln in view.split("\n")]
    full = _full_line(lines)
    starts = list(itertools.accumulate((len(ln) + 1 for ln in view.split("\n")), initial=0))
    out: list[Span] = []
    for s in spans:
        k = bisect_right(starts, s.start) - 1
        prev = next((lines[j] for j in range(k - 1, -1, -1) if lines[j]), "")
        if out and _width(lines[k]) >= full and _width(prev) >= full and prev[-1] not in ".;:!?":
            last = out[-1]
            out[-1] = Span(last.start, s.end, last.section, last.tokens + s.tokens)
        else:
            out.append(s)
    return out


def _connector(line: str) -> bool:
    """A short line of lower-case words only ("and", "or"): it joins what stands on either side."""
    words = line.split()
    return bool(words) and all(w.isalpha() and w.islower() for w in words)


def _abbreviation(tokens: list[Token], i: int, view: str) -> bool:
    """tokens[i] opens no sentence although a full stop stands before it: it is one word closed by its own
    full stop with more words after it on the line, as in a citation ("Cal. Civ. Code § 1798.100")."""
    if i + 2 >= len(tokens):
        return False
    word, stop, after = tokens[i], tokens[i + 1], tokens[i + 2]
    line_start = view.rfind("\n", 0, word.start) + 1
    return (
        bool(view[line_start : word.start].strip())  # "I. Obligations" opening a line is a heading
        and word.norm.isalpha()
        and len(word.norm) <= 4
        and stop.norm == "."
        and stop.start == word.end
        and after.norm[:1].isalpha()
        and "\n" not in view[stop.end : after.start]
    )


def _sentence_starts(
    text: str, view: str, tokens: list[Token], clause_of: list[int], extracted: bool
) -> tuple[list[int], frozenset[int]]:
    """Indices of the tokens that open a sentence, and of those that open one by punctuation alone.

    Sentences for reporting also open at list items, headings, paragraphs and clauses. In `extracted`
    text (a PDF's, wrapped at a page width) a blank line may be a page join or a paragraph's spacing: a
    sentence goes on across it, as across any line break, unless it ended before, and a line that stops
    short of the page width ends its unit (a title, a label, an answer line under a prompt) unless the
    next line goes on in lower case; a heading is a short line, a full one was wrapped. Punctuation alone
    (". " before a capital) does not depend on where lines break, so those sentences anchor the alignment
    of a reflowed copy."""
    lines = _line_spans(text)
    line_starts = [a for a, _ in lines]
    stripped = [text[a:b].strip() for a, b in lines]
    widths = [_width(s) for s in stripped]
    short = _full_line(stripped) if extracted else 0.0
    heading_cache: dict[int, bool] = {}

    def line_of(pos: int) -> int:
        return bisect_right(line_starts, pos) - 1

    def is_heading(line: int) -> bool:
        if line not in heading_cache:
            s = stripped[line]
            heading_cache[line] = (not extracted or widths[line] < short) and classify_heading(s) is not None
        return heading_cache[line]

    def wraps(line: int) -> bool:  # a full line that does not end a sentence goes on over the next
        s = stripped[line]
        return extracted and widths[line] >= short and s[-1] not in ".;:!?"

    labels: dict[int, str | None] = {}

    def label_of(line: int) -> str | None:
        if line not in labels:
            labels[line] = _field_label(text, line_starts[line]) if 0 <= line < len(lines) else None
        return labels[line]

    def row_after_row(line: int, before: int) -> bool:  # a table's rows: one label line after another
        return label_of(line) is not None and label_of(line) == label_of(before)

    def is_row(line: int) -> bool:  # a row of a table ends with its line
        return label_of(line) is not None and label_of(line) in (label_of(line - 1), label_of(line + 1))

    def stops_short(line: int) -> bool:
        s = stripped[line]
        return widths[line] < short and not _connector(s)

    starts = [0] if tokens else []
    by_punctuation: set[int] = set()
    cited: set[int] = set()  # words of a citation that a full stop does not end
    lower_words = frozenset(t.norm for t in tokens if t.norm.isalpha() and t.norm.islower())
    for i in range(1, len(tokens)):
        prev, tok = tokens[i - 1], tokens[i]
        gap = view[prev.end : tok.start]
        if not gap or _closer(text, tok):
            if clause_of[i] != clause_of[i - 1]:
                starts.append(i)
            continue
        c = tok.norm[:1]
        if clause_of[i] != clause_of[i - 1]:
            starts.append(i)
        elif _is_terminal(text, tokens, i - 1, lower_words) and (
            c.isupper() or c.isdigit() or _opener(text, tok)
        ):
            # "ii." or "4." opens the sentence after it; "Cal. Civ. Code" is one citation
            if _abbreviation(tokens, i, view) or i - 2 in cited:
                cited.add(i)
            elif not _enumerator(tokens[starts[-1] : i]):
                by_punctuation.add(i)
                starts.append(i)
        elif "\n" in gap:
            lt, lp = line_of(tok.start), line_of(prev.start)
            blank = gap.count("\n") >= 2
            if (
                (blank and not (extracted or c.islower()))
                or prev.norm in (";", ":")
                or (
                    bool(_LINE_MARKER.match(text, line_starts[lt]))
                    and not _inline_item(text, line_starts[lt], tokens[starts[-1]].start)
                    and not (wraps(lp) and _PARENTHESIS.match(text, line_starts[lt]))
                )
                or (is_heading(lt) and not wraps(lp))
                or (is_heading(lp) and not c.islower())  # a heading is not continued
                or (stops_short(lp) and not c.islower())
                or row_after_row(lt, lp)
                or (is_row(lp) and not c.islower())
            ):
                starts.append(i)
    return _form_blocks(text, line_starts, tokens, starts, clause_of), frozenset(by_punctuation)


# A form's field line: a short label and a colon ("Name:", "Role (controller/processor): Processor"), or a
# label and a blank to fill ("Signature.........", "Print Name: ____")
_FIELD = re.compile(r"[ \t]*([A-Z][^\n:.;!?]{0,80}?)[ \t]*(?::(?=[ \t]|$)|\.{4,}|…{2,}|_{3,})", re.M)
MAX_LABEL_WORDS = 10
_CAPTION_NUMBER = re.compile(r"\d+[A-Za-z]?|[IVXL]+|[A-Z]")  # "Table 1", "Annex 1A", "Annex III", "Part A"


def _field_label(text: str, line_start: int) -> str | None:
    """The first word of the label a form's field line opens with, lower-cased; None for other lines (a
    list item, a numbered clause, a caption such as "Table 1:" or "Annex III:" is no field)."""
    if _LINE_MARKER.match(text, line_start):
        return None
    m = _FIELD.match(text, line_start)
    words = m.group(1).split() if m else []
    if not words or len(words) > MAX_LABEL_WORDS or _CAPTION_NUMBER.fullmatch(words[-1]):
        return None
    return words[0].lower()


def _form_blocks(
    text: str, line_starts: list[int], tokens: list[Token], starts: list[int], clause_of: list[int]
) -> list[int]:
    """Sentence starts with each form block made one unit: consecutive units that open with a field line,
    their labels' first words all different ("Name:", "Address:", "Signature:"), are one block that
    identifies a party or collects a signature. A label that comes again ("Schedule 1:", "Schedule 2:"; a
    table's rows) opens a block of its own."""
    out: list[int] = []
    block: set[str] = set()
    for i in starts:
        pos = tokens[i].start
        line_start = line_starts[bisect_right(line_starts, pos) - 1]
        label = _field_label(text, line_start) if not text[line_start:pos].strip() else None
        joins = bool(out) and label is not None and bool(block) and label not in block
        if joins and clause_of[i] == clause_of[out[-1]]:
            block.add(label)  # type: ignore[arg-type]
            continue
        block = {label} if label is not None else set()
        out.append(i)
    return out


def _enumerator(tokens: list[Token]) -> bool:
    """A list item's number alone: "4.", "ii.", "b)", "2.5."."""
    norms = [t.norm for t in tokens]
    if len(norms) == 2:
        return len(norms[0]) <= 4 and norms[0].isalnum() and norms[1] in ".)"
    return len(norms) % 2 == 0 and all(n.isdigit() if k % 2 == 0 else n == "." for k, n in enumerate(norms))


_MAX_CLAUSE_PART = 999


def _number_length(norms: list[str]) -> int:
    """How many tokens a clause number opening these tokens takes ("5 . 1", "10 .", "2 . 2 . 4"), 0 when
    none: numbers joined by full stops, with a full stop in it or after it, and words after it."""
    k = 0
    while k < len(norms) and norms[k].isdigit() and int(norms[k]) <= _MAX_CLAUSE_PART:
        k += 1
        if k < len(norms) and norms[k] == ".":
            k += 1
        else:
            break
    dotted = k >= 2 and "." in norms[:k]
    return k if dotted and k < len(norms) else 0


def _follows(number: tuple[int, ...], before: tuple[int, ...] | None) -> bool:
    """`number` comes next after `before` in a numbering: the next at some level ("4.2" after "4.1.3"), the
    first below it ("4.1.1" after "4.1"), or a numbering that starts again ("1.")."""
    if number[-1] == 1 and (before is None or len(number) == 1 or number[:-1] == before):
        return True
    if before is None:
        return False
    k = len(number)
    return k <= len(before) and number[:-1] == before[: k - 1] and number[-1] == before[k - 1] + 1


def _numbered_in_sequence(
    view: str, tokens: list[Token], units: tuple[tuple[int, int], ...]
) -> frozenset[int]:
    """Units opened at a line start by a clause number that follows the previous clause number of the
    document: renumbered when a clause is inserted or removed above, the same clause otherwise."""
    out: set[int] = set()
    before: tuple[int, ...] | None = None
    for u, (a, b) in enumerate(units):
        norms = [t.norm for t in tokens[a : min(b, a + 12)]]
        k = _number_length(norms)
        line_start = view.rfind("\n", 0, tokens[a].start) + 1
        if not k or view[line_start : tokens[a].start].strip():
            continue
        number = tuple(int(n) for n in norms[:k] if n.isdigit())
        if _follows(number, before):
            out.add(u)
        before = number
    return frozenset(out)


_FOOTNOTE = re.compile(r"[ \t]*(\d{1,2})[ \t]+[A-Z“\"]")


def _footnotes(view: str, tokens: list[Token], units: tuple[tuple[int, int], ...]) -> frozenset[int]:
    """Units of footnotes: a line that opens with a number and a capital ("7 The Agreement on the EEA...")
    after a line that ended its sentence, and the sentences that go on from it in mid-line. A footnote
    stands where the page put it."""
    out: set[int] = set()
    inside = False
    for u, (a, _) in enumerate(units):
        start = tokens[a].start
        line_start = view.rfind("\n", 0, start) + 1
        at_line_start = not view[line_start:start].strip()
        before = view[: max(0, line_start - 1)].rstrip()
        if at_line_start and _FOOTNOTE.match(view, line_start) and (not before or before[-1] in ".;:)"):
            inside = True
        elif at_line_start:
            inside = False
        if inside:
            out.add(u)
    return frozenset(out)


_RUN_IN_TITLE = re.compile(r"(.*?[^\W\d_]{2,}[^\W\d_)]*)\.\s+[A-Z0-9“\"(].*")


def _section_title(path: str) -> str:
    """A section path with each heading cut to its run-in title: "2.1 Roles of the Parties. The parties
    acknowledge..." reads "2.1 Roles of the Parties" (the splitter takes the whole line for the heading)."""
    return " > ".join(
        m.group(1) if (m := _RUN_IN_TITLE.fullmatch(part)) else part for part in path.split(" > ")
    )


def prepare(name: str, text: str, chunking: ChunkSettings | None = None) -> Prepared:
    """The comparison view of one decoded version (`name` picks the masks by its suffix)."""
    view = masked_view(text, masks_for(name, text))
    tokens = tokenize(view)
    encoding = (chunking or ChunkSettings()).encoding
    cfg = ChunkSettings(encoding=encoding, max_tokens=CLAUSE_MAX_TOKENS, min_tokens=0, overlap_tokens=0)
    # consecutive spans of one section are one clause: the splitter's cuts inside a section (a long
    # section's windows, the paragraphs of a document without headings) are not structure
    spans: list[Span] = []
    for s in split_text(text, cfg):
        if not spans or s.section != spans[-1].section:
            spans.append(s)
    extracted = PurePath(name).suffix.lower() == ".pdf"
    if extracted:
        spans = _wrapped_on(view, spans)
    span_starts = [s.start for s in spans]
    clause_of = [max(0, bisect_right(span_starts, t.start) - 1) for t in tokens]
    starts, breaks = _sentence_starts(text, view, tokens, clause_of, extracted)
    units = tuple(zip(starts, [*starts[1:], len(tokens)], strict=False))  # none without tokens
    # clauses renumbered over the spans that hold tokens (a span of masked furniture holds none)
    clauses: list[ClauseView] = []
    unit_clause: list[int] = []
    last_span = -1
    for u, (a, _) in enumerate(units):
        span = clause_of[a]
        if span != last_span:
            if clauses:
                clauses[-1] = ClauseView(clauses[-1].section, clauses[-1].first, u)
            clauses.append(ClauseView(_section_title(spans[span].section), u, u))
            last_span = span
        unit_clause.append(len(clauses) - 1)
    if clauses:
        clauses[-1] = ClauseView(clauses[-1].section, clauses[-1].first, len(units))
    return Prepared(
        name,
        text,
        tuple(tokens),
        units,
        tuple(unit_clause),
        tuple(clauses),
        breaks,
        _numbered_in_sequence(view, tokens, units),
        _footnotes(view, tokens, units),
    )
