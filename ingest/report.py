"""What one ingest did: a status and a reason per document, store-level repairs, timings; its exit code,
JSON and the rich table `python -m ingest` prints."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field


@dataclass
class ReportEntry:
    document: str
    status: str  # added | updated | unchanged | removed | skipped | failed
    reason: str = ""
    clauses: int = 0


@dataclass
class IngestReport:
    """What one ingest did, per document, plus store-level repairs."""

    entries: list[ReportEntry] = field(default_factory=list)
    orphans_removed: int = 0
    rebuilt: bool = False
    notes: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)  # total, embed (and model load when built here)
    clauses_embedded: int = 0
    store_full: str = ""  # set when the store's disk filled up: nothing more is written in this run

    def add(self, document: str, status: str, reason: str = "", clauses: int = 0) -> None:
        self.entries.append(ReportEntry(document, status, reason, clauses))

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in ("added", "updated", "unchanged", "removed", "skipped", "failed")}
        for e in self.entries:
            out[e.status] = out.get(e.status, 0) + 1
        return out

    def by_status(self, status: str) -> list[ReportEntry]:
        return [e for e in self.entries if e.status == status]

    @property
    def writes(self) -> int:
        """Documents whose store records changed in this run (0 for an unchanged corpus)."""
        c = self.counts()
        return c["added"] + c["updated"] + c["removed"] + self.orphans_removed + int(self.rebuilt)

    @property
    def exit_code(self) -> int:
        """Non-zero only when something was attempted and nothing could be ingested."""
        c = self.counts()
        attempted = c["skipped"] + c["failed"]
        good = c["added"] + c["updated"] + c["unchanged"] + c["removed"]
        return 1 if attempted and not good else 0

    def to_json(self) -> dict[str, object]:
        return {
            "counts": self.counts(),
            "orphans_removed": self.orphans_removed,
            "rebuilt": self.rebuilt,
            "notes": list(self.notes),
            "clauses_embedded": self.clauses_embedded,
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
            "entries": [e.__dict__ for e in self.entries],
        }

    def render(self, file=None) -> None:  # type: ignore[no-untyped-def]
        """A rich table of every document and why, then the totals (to stderr by default)."""
        from rich.console import Console
        from rich.table import Table

        console = Console(file=file or sys.stderr)
        table = Table(title="Ingest summary")
        for col in ("document", "status", "clauses", "reason"):
            table.add_column(col)
        for e in sorted(self.entries, key=lambda e: (e.status, e.document)):
            table.add_row(e.document, e.status, str(e.clauses) if e.clauses else "", e.reason)
        console.print(table)
        totals = ", ".join(f"{k} {v}" for k, v in self.counts().items())
        extra = f"; stale clause records removed {self.orphans_removed}" if self.orphans_removed else ""
        console.print(f"{totals}{extra}")
        if self.timings_s:
            console.print(
                "time: "
                + ", ".join(f"{k} {v:.1f}s" for k, v in self.timings_s.items())
                + (f" ({self.clauses_embedded} clauses embedded)" if self.clauses_embedded else "")
            )
        for n in self.notes:
            console.print(n)
