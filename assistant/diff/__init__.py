"""What changed between two versions of a document: clauses aligned by content, then sentences, then words
(no model involved). `diff_texts` takes two decoded texts; `assistant.diff.load` reads files as ingest
does; `python -m assistant diff OLD NEW` prints the comparison."""

from assistant.diff.changes import (
    KINDS,
    Change,
    DiffResult,
    FigureChange,
    Side,
    VersionInfo,
    diff_prepared,
    diff_texts,
)

__all__ = [
    "KINDS",
    "Change",
    "DiffResult",
    "FigureChange",
    "Side",
    "VersionInfo",
    "diff_prepared",
    "diff_texts",
]
