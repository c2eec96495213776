"""What the engine reads of the store between questions, cached until the store changes: the vendor
catalog (names, aliases, roles), the corpus vocabulary, document texts and each document's clauses (for
neighbour expansion). The caches are dropped when the store's generation counter moves (an ingest, or an
upload through the page, since the last question)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from assistant.cells import Cell, whole_row
from assistant.lists import governing_words
from assistant.spans import Span
from assistant.vendors import VendorInfo, catalog_from
from core.text import sentence_spans
from ingest.tables import Table, column_headers, find_tables, row_key, table_context, terms_defined
from vectorstore.bm25 import tokenize

log = logging.getLogger(__name__)


class CorpusView:
    """Cached reads of the store returned by `store()` (built lazily by its owner)."""

    def __init__(self, store: Callable[[], Any]) -> None:
        self._store = store
        self._generation: str | None = None
        self._catalog: list[VendorInfo] | None = None
        self._vocab: set[str] | None = None
        self._texts: dict[tuple[str, str], str] = {}
        self._doc_clauses: dict[tuple[str, str], list[Any]] = {}
        self._tables: dict[tuple[str, str], list[Table]] = {}
        # the definitions of a labelled table's words (ingest.tables.terms_defined), by document version and
        # the table's first offset: read once, not at every candidate the table's rows give
        self._defined: dict[tuple[str, str, int], dict[str, str]] = {}

    @property
    def store(self) -> Any:
        return self._store()

    def refresh(self) -> None:
        """Drop the caches when the store's generation counter moved."""
        gen_of = getattr(self.store, "generation", None)
        try:
            gen = str(gen_of()) if callable(gen_of) else None
        except Exception:  # noqa: BLE001 - a store that cannot say: keep the caches
            log.debug("store generation unavailable", exc_info=True)
            return
        if gen is not None and gen != self._generation:
            if self._generation is not None:
                log.info("the store changed: clearing the assistant's caches")
            self._generation = gen
            self._catalog, self._vocab = None, None
            self._texts.clear()
            self._doc_clauses.clear()
            self._tables.clear()
            self._defined.clear()

    def catalog(self) -> list[VendorInfo]:
        """The corpus vendors with their aliases (from the store's document records)."""
        if not self._catalog:  # an empty store is asked again (an ingest may have run since)
            store = self.store
            aliases = store.vendor_aliases() if hasattr(store, "vendor_aliases") else {}
            self._catalog = catalog_from(store.vendors(), aliases)
        return self._catalog

    def known_word(self, word: str) -> bool:
        """Whether the corpus uses this word (its stems are in the BM25 vocabulary)."""
        if self._vocab is None:
            try:
                idx = self.store.bm25_index()
                self._vocab = {tok for toks in idx.tokens for tok in toks}
            except Exception:  # noqa: BLE001 - a store without a BM25 index: every word is unknown
                log.debug("no BM25 vocabulary", exc_info=True)
                self._vocab = set()
        stems = tokenize(word)
        return bool(stems) and all(s in self._vocab for s in stems)

    def document_text(self, document: str, sha: str = "") -> str:
        key = (document, sha)
        if key not in self._texts:
            self._texts[key] = self.store.document_text(document)
        return self._texts[key]

    def text_of(self, document: str) -> str:
        """A document's text, from the cache when any version of it was read this generation."""
        for (doc, _sha), text in self._texts.items():
            if doc == document:
                return text
        return self.document_text(document)

    def tables(self, span: Any) -> list[Table]:
        """The text tables of the span's document version (found once)."""
        return self._tables_of(span.clause.document, span.clause.doc_sha256)

    def _tables_of(self, document: str, sha: str) -> list[Table]:
        key = (document, sha)
        if key not in self._tables:
            self._tables[key] = find_tables(self.document_text(document, sha))
        return self._tables[key]

    def governing_words(self, span: Span) -> str | None:
        """The words the span completes when it is an item of an enumeration (lists.governing_words: "Le
        Client ne doit pas" before "(iv) utiliser la Solution pour…"), read from its document version."""
        return governing_words(span, self.document_text(span.clause.document, span.clause.doc_sha256))

    def readable(self, span: Any) -> str:
        """What the model is shown for a candidate: a text-table row as its "header: value" cells (its
        columns named: "Délai de traitement — Anomalies majeures: 8 h"), after the document's definition of
        the row's name when it gives one near the table ("Temps de récupération : délai selon lequel le
        Prestataire s'engage à corriger l'Anomalie…": what the row is about is often only there), else the
        sentence itself."""
        tables = self.tables(span)
        shown = _one_line(table_context(tables, span.start, span.end)) if tables else ""
        if not shown:
            return span.text
        label = row_key(tables, span.start, span.end)
        table = self._labelled_table(span)
        if label is None or table is None:
            return shown
        key = (span.clause.document, span.clause.doc_sha256, table.start)
        if key not in self._defined:
            self._defined[key] = terms_defined(self.document_text(key[0], key[1]), table)
        defined = self._defined[key].get(label)
        return f"{defined} {shown}" if defined else shown

    def _labelled_table(self, span: Any) -> Table | None:
        """The table whose first column names its rows that the span starts in, if any."""
        return next((t for t in self.tables(span) if t.row_labels and t.start <= span.start < t.end), None)

    def row_text(self, span: Any) -> str | None:
        """The one table row the span is, as its "header: value" cells ("Sous-traitant: OpenAI; Finalité:
        Intelligence artificielle générative"; a row of a table whose first column names its rows named once:
        "Délai de traitement — Anomalies bloquantes: 2 h; Anomalies majeures: 8 h; …"), for a table with a
        header and two columns or more; None for anything else."""
        if len(cells := self.row_cells(span)) >= 2:
            return whole_row(cells)
        tables = self.tables(span)
        if not tables or row_key(tables, span.start, span.end) is None:
            return None
        return _one_line(table_context(tables, span.start, span.end)) or None

    def row_cells(self, span: Any) -> list[Cell]:
        """The cells of the one table row the span is, each named by the row and its column ("Délai de
        traitement", "Anomalies majeures", "8 h"), for a table whose first column names its rows and whose
        header names its columns; [] for anything else (prose, a list-like table of names)."""
        table = self._labelled_table(span)
        rows = [r for r in table.rows if r.start < span.end and r.end > span.start] if table else []
        if table is None or table.header is None or len(rows) != 1 or not rows[0].cells[0]:
            return []
        cells = rows[0].cells
        heads = column_headers(table, len(cells))  # as render_row names them, what the check is shown
        return [Cell(cells[0], h, v) for h, v in zip(heads[1:], cells[1:], strict=False) if h and v]

    def named_rows(
        self, question: str, vendors: Sequence[str], named: Callable[[str, str, str], bool]
    ) -> list[Any]:
        """The clauses holding a table row that the question names (`named(question, row key, vendor name)`),
        in the documents of `vendors` (every vendor's when empty): retrieval may rank a table's clause low when
        the question names one row of it ("What does LEO Bizdev use Amazon Web Services for?")."""
        try:
            records = [r for r in self.store.documents() if not vendors or r.vendor in vendors]
        except Exception:  # noqa: BLE001 - a store without a manifest (a test's fake): no table to read
            log.debug("no document list", exc_info=True)
            return []
        out: list[Any] = []
        for rec in records:
            for table in self._tables_of(rec.document, rec.sha256):
                if table.header is None:
                    continue
                for row in table.rows:
                    if (
                        len(row.cells) >= 2
                        and row.cells[0]
                        and named(question, row.cells[0], rec.vendor_name)
                    ):
                        out += [
                            c
                            for c in self._clauses_of(rec.document, rec.sha256)
                            if c.start <= row.start < c.end
                        ]
        return list({c.id: c for c in out}.values())

    def _clauses_of(self, document: str, sha: str) -> list[Any]:
        key = (document, sha)
        if key not in self._doc_clauses:
            self._doc_clauses[key] = [c for c in self.store.clauses(document) if c.doc_sha256 == sha]
        return self._doc_clauses[key]

    def table_rows(self, span: Any) -> tuple[Span | None, list[Span]]:
        """(introduction, rows) of the text table the span is a row of, each row a verbatim span of its own
        line: a table right after another with the same header (a table cut in two) is the same table; the
        introduction is the sentence ending with ":" on the line before the header (None when there is
        none). ([], None) when the span is no table row."""
        tables = [t for t in self.tables(span) if t.header is not None]
        at = next((i for i, t in enumerate(tables) if t.start <= span.start < t.end), None)
        if at is None:
            return None, []
        text = self.document_text(span.clause.document, span.clause.doc_sha256)
        first = last = at
        while first > 0 and _continues(tables[first - 1], tables[first], text):
            first -= 1
        while last + 1 < len(tables) and _continues(tables[last], tables[last + 1], text):
            last += 1
        clauses = self._clauses_of(span.clause.document, span.clause.doc_sha256)

        def span_at(start: int, end: int) -> Span | None:
            c = next((c for c in clauses if c.start <= start and end <= c.end), None)
            return None if c is None else Span(c, start, end, text[start:end])

        rows = [span_at(r.start, r.end) for t in tables[first : last + 1] for r in t.rows]
        before = text[: tables[first].start].rstrip()
        line_start = before.rfind("\n") + 1
        intro = None
        if before.endswith(":"):
            s, _e = sentence_spans(before[line_start:])[-1]
            intro = span_at(line_start + s, len(before))
        return intro, [r for r in rows if r is not None]

    def row_key(self, span: Any) -> str | None:
        """The name of the table row the span is (its first cell), None when it is no single row."""
        tables = self.tables(span)
        return row_key(tables, span.start, span.end) if tables else None

    def neighbours(self, clause: Any, before: int = 1, after: int = 1) -> list[Any]:
        """The clauses around `clause` in its document version, from that version's clause list (read once)."""
        lo, hi = clause.ordinal - before, clause.ordinal + after
        return [c for c in self._clauses_of(clause.document, clause.doc_sha256) if lo <= c.ordinal <= hi]


def _one_line(rows: str) -> str:
    """A table row's rendered "header: value" lines (ingest.tables.table_context) as one line, "; " between."""
    return "; ".join(rows.split("\n")) if rows else ""


def _continues(a: Table, b: Table, text: str) -> bool:
    """Whether table `b` goes on with table `a`: the same header, nothing but blank lines between them."""
    return bool(
        a.header and b.header and a.header.cells == b.header.cells and not text[a.end : b.start].strip()
    )
