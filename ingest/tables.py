"""Tables kept as tables: rows and cells found in text or read from HTML/DOCX, rendered as "header: value"
lines so that a cell's words and figures sit next to the header that gives them their meaning.

How this fits the verbatim-quote rule (citations are checked as `document_text[start:end] == quote`, and
every clause is such a slice):

* HTML, DOCX and PDF: the loader's output *is* the document text, so the loader writes each table into it
  as "header: value" lines (`render_table`; for a PDF page, from pypdf's layout-preserving extraction,
  whose columns are aligned with spaces, `with_tables_rendered`). The rendering is therefore the text that
  offsets index, that clauses slice and that the citation check compares against: a cell line is
  quotable verbatim.
* Text sources (txt, md): the document text stays what the source says
  (gold offsets, mojibake repair and quotes all index it). `find_tables` recovers tables from it:
  markdown pipe tables, tab-separated rows, columns aligned with runs of spaces, and rows whose separators were lost
  ("Délai de traitement2 h8 h18 h" under "Anomalies bloquantesAnomalies majeuresAnomalies mineures"; the
  cells are cut where a lower-case letter or "j." runs into a capital or a digit, and a table is kept only
  when every row yields the header's column count). `table_context` renders the rows a clause covers,
  with their headers, and the clause carries that rendering as `Clause.table_text`: it is embedded and
  indexed by BM25 with the clause, never quoted. Quotes remain slices of the original rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TABLES_VERSION = "tables-v5"  # bump when table finding or rendering changes: every document is re-split
MAX_ROW_CHARS = 300  # a longer line is prose, not a table row
MAX_HEADER_CELL_CHARS = 60
_SPACES = re.compile(r" {2,}|\u00a0{2,}")
# A lost cell separator: a lower-case letter (or "j." / "h." style abbreviation) runs into a capital or a
# digit with no space ("traitement2", "h8", "j.6", "bloquantesAnomalies").
_GLUE = re.compile(r"(?:(?<=[a-zà-öø-ÿ])|(?<=[a-zà-öø-ÿ]\.))(?=[A-ZÀ-ÖØ-Þ0-9])")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Row:
    """One table row: its cells and, for tables found in text, the line's document offsets."""

    cells: tuple[str, ...]
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Table:
    """Header row (None when the first row holds data) and data rows. `row_labels`: the first column names
    each row (a corner cell is empty, or the header has one cell fewer than the rows)."""

    header: Row | None
    rows: tuple[Row, ...]
    row_labels: bool = False

    @property
    def start(self) -> int:
        return (self.header or self.rows[0]).start

    @property
    def end(self) -> int:
        return self.rows[-1].end


def _clean(cell: str) -> str:
    return " ".join(cell.replace("\u00a0", " ").split())


def looks_like_header(cells: Sequence[str]) -> bool:
    """Short label cells without figures: "Sous-traitant | Finalité", "Anomalies bloquantes | …"."""
    filled = [c for c in cells if c]
    return (
        len(filled) >= 2
        and all(len(c) <= MAX_HEADER_CELL_CHARS and not _DIGIT.search(c) for c in filled)
        and all(len(c.split()) <= 8 for c in filled)
    )


def make_table(
    rows: Sequence[Row], header_hint: bool | None = None, label_hint: bool = False
) -> Table | None:
    """A table from raw rows: the first row is the header when `header_hint` says so or (hint None) when
    it looks like one. None when fewer than two columns or no data row."""
    rows = [r for r in rows if any(r.cells)]
    if len(rows) < 2 or max(len(r.cells) for r in rows) < 2:
        return None
    first = rows[0]
    is_header = header_hint if header_hint is not None else looks_like_header(first.cells)
    if not is_header:
        return Table(None, tuple(rows), label_hint)
    data = rows[1:]
    width = max(len(r.cells) for r in data)
    labels = label_hint or (first.cells[0] == "" and width >= 2) or len(first.cells) == width - 1
    return Table(first, tuple(data), labels)


def column_headers(table: Table, width: int) -> list[str]:
    """The header of each of a `width`-cell row's columns (column 0 is the row label when `row_labels`, its
    header "" when the header row has no corner cell); "" for a column the header does not name."""
    if table.header is None:
        return [""] * width
    h = list(table.header.cells)
    if table.row_labels and len(h) == width - 1:
        h = [""] + h
    return h + [""] * (width - len(h))


def named_value(header: str, value: str) -> str:
    """A cell named by its column's header ("Finalité: Hébergement"); the value alone under no header."""
    return f"{header}: {value}" if header else value


def cell_line(label: str, header: str, value: str) -> str:
    """One cell of a labelled row as a line: "Délai de traitement — Anomalies majeures: 8 h" (the value alone
    under no header; no "—" without a row label)."""
    piece = named_value(header, value)
    return f"{label} — {piece}" if label else piece


def render_row(table: Table, row: Row) -> list[str]:
    """ "header: value" lines of one row. With row labels, one line per cell ("Délai de traitement —
    Anomalies majeures: 8 h"); otherwise one line per row ("Sous-traitant: MongoDB; Finalité: …")."""
    cells = list(row.cells)
    heads = column_headers(table, len(cells))
    if table.header is None:
        return [" | ".join(c for c in cells if c)] if any(cells) else []
    if table.row_labels and len(cells) >= 2:
        label = cells[0]
        out = []
        for h, v in zip(heads[1:], cells[1:], strict=False):
            if v:
                out.append(cell_line(label, h, v))
        return out
    parts = [named_value(h, v) for h, v in zip(heads, cells, strict=False) if v]
    return ["; ".join(parts)] if parts else []


def render_table(table: Table) -> list[str]:
    """Every data row of the table as "header: value" lines."""
    return [line for row in table.rows for line in render_row(table, row)]


# ---------------------------------------------------------------------------------------------- text tables
@dataclass
class _Line:
    start: int
    end: int
    text: str


def _text_lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        out.append(_Line(pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return out


def _tab_cells(s: str) -> list[str] | None:
    if "\t" not in s.strip(" \u00a0"):
        return None
    return [_clean(c) for c in re.split(r"\t+", s.strip(" \u00a0\t"))]


_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _pipe_cells(s: str) -> list[str] | None:
    """Cells of a markdown pipe-table row ("| a | b |"), or None."""
    body = s.strip()
    if body.count("|") < 2 and not (body.count("|") == 1 and _MD_RULE.match(body)):
        return None
    if _MD_RULE.match(body):
        return []
    return [_clean(c) for c in body.strip("|").split("|")]


def _pipe_table(block: list[_Line]) -> Table | None:
    """A markdown table: the row above the "---|---" rule is the header (no rule: no table)."""
    cells = [_pipe_cells(ln.text) for ln in block]
    if len(cells) < 3 or cells[1] != []:
        return None
    rows = [Row(tuple(c), ln.start, ln.end) for c, ln in zip(cells, block, strict=True) if c]
    return make_table(rows, header_hint=True)


def _space_cells(s: str) -> list[tuple[int, str]] | None:
    """(column, cell) of a line whose cells are separated by runs of 2+ spaces (indentation kept as column)."""
    body = s.rstrip()
    if len(body) > MAX_ROW_CHARS or not _SPACES.search(body.strip()):
        return None
    out: list[tuple[int, str]] = []
    pos = len(body) - len(body.lstrip(" \u00a0"))
    for part in _SPACES.split(body[pos:]):
        if part.strip():
            out.append((pos, _clean(part)))
        pos += len(part)
        m = _SPACES.match(body, pos)
        if m:
            pos = m.end()
    return out if len(out) >= 2 else None


def _glued_cells(s: str) -> list[str] | None:
    body = s.strip(" \u00a0")
    if len(body) > MAX_ROW_CHARS or not _GLUE.search(body):
        return None
    return [_clean(c) for c in _GLUE.split(body) if _clean(c)]


def _run(lines: list[_Line], i: int, ok: Callable[[str], object]) -> int:
    """Index after the run of consecutive non-blank lines from i for which `ok(line)` is true."""
    j = i
    while j < len(lines) and lines[j].text.strip() and ok(lines[j].text):
        j += 1
    return j


def _aligned(rows: list[list[tuple[int, str]]]) -> bool:
    """Space-aligned rows: same cell count and every column after the first starts at the same place (±2)."""
    n = len(rows[0])
    if any(len(r) != n for r in rows):
        return False
    return all(max(r[c][0] for r in rows) - min(r[c][0] for r in rows) <= 2 for c in range(1, n))


def _glued_table(block: list[_Line]) -> Table | None:
    """Rows that lost their separators: accepted when the data rows all cut into the same number of cells,
    the header into that many or one fewer (a row-label column), and every data row holds a figure."""
    cut = [_glued_cells(ln.text) or [] for ln in block]
    head, data = cut[0], cut[1:]
    if not data:
        return None
    width = len(data[0])
    if width < 3 or any(len(d) != width for d in data) or len(head) not in (width, width - 1):
        return None
    if not looks_like_header(head) or not all(any(_DIGIT.search(c) for c in d[1:]) for d in data):
        return None
    header = Row(tuple(head), block[0].start, block[0].end)
    rows = tuple(Row(tuple(d), ln.start, ln.end) for d, ln in zip(data, block[1:], strict=True))
    return Table(header, rows, row_labels=len(head) == width - 1)


def find_tables(text: str) -> list[Table]:
    """Tables of a text document (see the module docstring), in document order, with line offsets."""
    lines = _text_lines(text)
    out: list[Table] = []
    i = 0
    while i < len(lines):
        if not lines[i].text.strip():
            i += 1
            continue
        j = _run(lines, i, lambda s: _pipe_cells(s) is not None)
        if j - i >= 2:
            t = _pipe_table(lines[i:j])
            if t is not None:
                out.append(t)
                i = j
                continue
        j = _run(lines, i, _tab_cells)
        if j - i >= 2:
            rows = [Row(tuple(_tab_cells(ln.text) or ()), ln.start, ln.end) for ln in lines[i:j]]
            t = make_table(rows)
            if t is not None:
                out.append(t)
                i = j
                continue
        j = _run(lines, i, _space_cells)
        if j - i >= 2:
            cells = [_space_cells(ln.text) or [] for ln in lines[i:j]]
            if len(cells[0]) == len(cells[1]) - 1 and cells[0][0][0] > cells[1][0][0] + 2:
                cells[0] = [(cells[1][0][0], ""), *cells[0]]  # an empty corner cell above the row labels
            if _aligned(cells):
                t = make_table(
                    [
                        Row(tuple(c for _, c in cs), ln.start, ln.end)
                        for cs, ln in zip(cells, lines[i:j], strict=True)
                    ]
                )
                if t is not None:
                    out.append(t)
                    i = j
                    continue
        j = _run(lines, i, lambda s: _glued_cells(s) is not None)
        if j - i >= 2:
            # the header may carry a lone leading cell (an empty corner): try the longest block first
            for k in range(j, i + 1, -1):
                t = _glued_table(lines[i:k])
                if t is not None:
                    out.append(t)
                    i = k
                    break
            else:
                i += 1
            continue
        i += 1
    return out


def with_tables_rendered(text: str, tables: Sequence[Table]) -> str:
    """`text` with each table's lines replaced by its "header: value" lines, the other lines' runs of
    spaces collapsed and blank runs cut to one blank line (for layout-preserving PDF extraction)."""
    out: list[str] = []
    ti = 0
    ordered = sorted(tables, key=lambda t: t.start)
    for ln in _text_lines(text):
        while ti < len(ordered) and ordered[ti].end < ln.start:
            ti += 1
        if ti < len(ordered) and ordered[ti].start <= ln.start <= ordered[ti].end:
            if ln.start == ordered[ti].start:
                out.extend(render_table(ordered[ti]))
            continue
        out.append(" ".join(ln.text.split()))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


def table_context(tables: Sequence[Table], start: int, end: int) -> str:
    """ "header: value" lines of the table rows inside [start, end) (headers come from the table even when
    the header row lies outside the span). A table without a header adds nothing its text does not say."""
    out: list[str] = []
    for t in tables:
        if t.header is None or t.end <= start or t.start >= end:
            continue
        for row in t.rows:
            if row.start < end and row.end > start:
                out.extend(render_row(t, row))
    return "\n".join(out)


def row_key(tables: Sequence[Table], start: int, end: int) -> str | None:
    """The first cell of the one table row that [start, end) is (the row's name: "Amazon Web Services (AWS)"
    of "Amazon Web Services (AWS) | Hébergement cloud…"), for a table with a header and two columns or
    more; None for anything else."""
    for t in tables:
        if t.header is None or t.end <= start or t.start >= end:
            continue
        rows = [r for r in t.rows if r.start < end and r.end > start]
        if len(rows) == 1 and len(rows[0].cells) >= 2 and rows[0].cells[0]:
            return rows[0].cells[0]
    return None


# A term defined the way contracts define the words of a table, at the start of its own paragraph: "Délai de
# traitement : délai selon lequel…", "Response Time - the time within which…", "Uptime means…", « Anomalie
# bloquante désigne… ».
_DEFINES = (
    r"\s*(?:[:\u2013\u2014-]|\bmeans\b|\bshall\s+mean\b|\bd[ée]signe\b|\bsignifie\b|\bs['\u2019]entend\b)\s*"
)
# characters before the table's first row or after its last: the text that explains it
DEFINITION_REACH = 2000


def terms_defined(text: str, table: Table) -> dict[str, str]:
    """The definitions the document gives of a table's words, near the table: each row label (for a table
    whose first column names its rows) and each column header that opens a paragraph of its own followed by
    a colon, a dash, "means" or « désigne », within DEFINITION_REACH characters of the table ("Temps de
    récupération : délai selon lequel le Prestataire s'engage à corriger l'Anomalie…" under an SLA table).
    Maps the term as the table writes it to its defining paragraph as the document writes it."""
    terms = [c for c in (table.header.cells if table.header else ()) if c]
    if table.row_labels:
        terms += [r.cells[0] for r in table.rows if r.cells and r.cells[0]]
    near = [(max(0, table.start - DEFINITION_REACH), table.start), (table.end, table.end + DEFINITION_REACH)]
    out: dict[str, str] = {}
    for term in dict.fromkeys(terms):
        rx = re.compile(rf"(?im)^[ \t]*{re.escape(term)}{_DEFINES}(?=\w)")
        for lo, hi in near:
            m = rx.search(text, lo, hi)
            if m:
                end = text.find("\n", m.start())
                out[term] = " ".join(text[m.start() : end if end >= 0 else len(text)].split())
                break
    return out
