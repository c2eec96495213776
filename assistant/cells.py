"""A table cell as the answer: when the sentence that answers is a row of a table whose first column names
its rows and whose header names its columns ("Délai de traitement | 2 h | 8 h | 18 h" under "Anomalies
bloquantes | Anomalies majeures | Anomalies mineures"), the answer is the cell the question asks for, named by
its row and its column as the table writes them ("Délai de traitement — Anomalies majeures: 8 h"), and the
citation is the row as written.

Which column the question asks for is settled by two readings, blind to each other's errors, as a closed
question's verdict is (assistant.verdict):

- the meaning reading: the column header closest in meaning to the question (the embedder's similarity of
  the question to each header; it reads "blocking" as « bloquantes » across languages);
- the checker's reading: the cell whose line the checker's model most believes answers the question
  (P(yes), as any candidate sentence is checked).

When both pick the same column, that cell is the answer. When they do not, or when the question names no
column at all ("What are the handling times?"), the answer is every cell of the row, each named by its column:
never a cell the question did not ask for, never a figure without the column that gives it its meaning.
The model does not restate a cell: its wording of "Délai de traitement2 h8 h18 h" can only lose the column."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from langchain_core.embeddings import Embeddings

from assistant.check import Checker
from assistant.sentence_vectors import SentenceVectors
from ingest.tables import cell_line, named_value

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cell:
    """One cell of a table row: the row's name (its first cell), the column's header and the value."""

    row: str
    column: str
    value: str

    @property
    def line(self) -> str:
        """The cell as the table's "header: value" rendering writes it (ingest.tables.render_row)."""
        return cell_line(self.row, self.column, self.value)


@dataclass(frozen=True)
class CellReading:
    """The cell(s) that answer, and both readings (for the answer's warnings)."""

    cells: tuple[Cell, ...]  # one cell when both readings agree, else the whole row
    by_meaning: int | None
    by_checker: int | None
    p_yes: tuple[float, ...] = ()

    @property
    def text(self) -> str:
        """The answer's words: the cell's line ("Délai de traitement — Anomalies majeures: 8 h"), or the row
        named once and each of its cells by its column ("Délai de traitement — Anomalies bloquantes: 2 h;
        Anomalies majeures: 8 h; …")."""
        return self.cells[0].line if len(self.cells) == 1 else whole_row(self.cells)

    def note(self) -> str:
        picked = "agree" if len(self.cells) == 1 else "the whole row"
        ps = ", ".join(f"{p:.3f}" for p in self.p_yes)
        return (
            f"table cell: column by meaning {self.by_meaning}, by the checker {self.by_checker} "
            f"(P(yes) {ps}) -> {picked}"
        )


def whole_row(cells: Sequence[Cell]) -> str:
    """A row's cells, the row named once and each cell by its column ("Délai de traitement — Anomalies
    bloquantes: 2 h; Anomalies majeures: 8 h; Anomalies mineures: 18 h")."""
    return f"{cells[0].row} — " + "; ".join(named_value(c.column, c.value) for c in cells)


def unique_argmax(values: Sequence[float]) -> int | None:
    """The index of the one largest value; None when there is none or it is tied."""
    if not values:
        return None
    best = max(values)
    at = [i for i, v in enumerate(values) if v == best]
    return at[0] if len(at) == 1 else None


# The checker reads at most this many cells, the ones closest in meaning to the question (0.4-0.5 s each on
# 2 cores): a wide table's row costs no more than a three-column one.
MAX_CHECKED_CELLS = 3


def read_cell(
    question: str,
    cells: Sequence[Cell],
    label: str,
    checker: Checker | None,
    similarities: Callable[[str, Sequence[str]], Sequence[float]] | None,
) -> CellReading:
    """The cell of `cells` (one row's) that `question` asks for, when the two readings agree on its column;
    else the whole row. The checker reads the MAX_CHECKED_CELLS cells closest in meaning (P(yes) 0 for the
    others). Without a checker or an embedder (a test's fake), or when either fails, the row."""
    whole = CellReading(tuple(cells), None, None)
    if len(cells) < 2 or checker is None or similarities is None:
        return whole
    try:
        sims = list(similarities(question, [c.column for c in cells]))
        by_meaning = unique_argmax(sims)
        read = set(sorted(range(len(cells)), key=lambda i: -sims[i])[:MAX_CHECKED_CELLS])
        p = tuple(
            checker.check(question, c.line, label).p_yes if i in read else 0.0 for i, c in enumerate(cells)
        )
    except Exception as exc:  # noqa: BLE001 - no second reading: the whole row, each cell named
        log.warning("table cell reading unavailable: %s", exc)
        return whole
    by_checker = unique_argmax(p)
    if by_meaning is not None and by_meaning == by_checker:
        return CellReading((cells[by_meaning],), by_meaning, by_checker, p)
    return CellReading(tuple(cells), by_meaning, by_checker, p)


def question_similarities(
    embeddings: Embeddings, vectors: SentenceVectors
) -> Callable[[str, Sequence[str]], list[float]]:
    """The meaning reading's similarity: the question embedded as a query, each header as a document (the
    sentence-vector cache keeps the headers' vectors; the last questions' vectors are kept too, the row's
    and the cell's readings of one answer embedding its question once)."""
    query = lru_cache(maxsize=8)(embeddings.embed_query)

    def sims(question: str, texts: Sequence[str]) -> list[float]:
        return [float(s) for s in vectors.similarities(query(question), list(texts))]

    return sims
