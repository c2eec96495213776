"""Ingest progress a person can read: clauses embedded / total, rate, time left.

The pipeline updates one `IngestProgress` and hands it to a callback after each document read and each
embedding batch; the CLI draws it in the terminal (`TerminalProgress`), the page in a progress bar
(ui.components.run_ingest_ui). The rate counts embedding time only (not the model load), so the estimate
is right from the first batch on.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

ProgressFn = Callable[["IngestProgress"], None]


@dataclass
class IngestProgress:
    """Where an ingest stands. `clauses_total` counts the clauses of the documents read so far; while
    documents remain unread, `estimated_total` extrapolates from the ones read."""

    files_total: int = 0
    files_read: int = 0
    files_with_work: int = 0  # read documents that need embedding (new or changed)
    clauses_total: int = 0
    clauses_done: int = 0
    cached: int = 0  # clauses whose vectors came from the embedding cache
    embed_s: float = 0.0  # time inside embedding calls so far
    started: float = field(default_factory=time.monotonic)
    finished: bool = False

    @property
    def estimated_total(self) -> int:
        if self.files_read >= self.files_total or not self.files_read:
            return max(self.clauses_total, self.clauses_done)
        per_file = self.clauses_total / self.files_read
        return max(self.clauses_total, round(per_file * self.files_total))

    @property
    def rate(self) -> float | None:
        """Clauses embedded per second of embedding time (cached ones excluded); None before the first batch."""
        computed = self.clauses_done - self.cached
        return computed / self.embed_s if computed and self.embed_s > 0 else None

    @property
    def eta_s(self) -> float | None:
        """Seconds of embedding left at the current rate (None until a rate is known)."""
        rate = self.rate
        if rate is None:
            return None
        return max(0.0, (self.estimated_total - self.clauses_done) / rate)

    @property
    def fraction(self) -> float:
        total = self.estimated_total
        return 1.0 if self.finished else (min(1.0, self.clauses_done / total) if total else 0.0)

    def line(self) -> str:
        """`embedded 120/304 clauses · 4.1 clauses/s · about 45 s left` (plus unread documents, if any)."""
        total = self.estimated_total
        approx = "~" if self.files_read < self.files_total else ""
        parts = [f"embedded {self.clauses_done}/{approx}{total} clauses"]
        if self.rate is not None:
            parts.append(f"{self.rate:.1f} clauses/s")
        if self.finished:
            parts.append(f"done in {format_duration(time.monotonic() - self.started)}")
        elif self.eta_s is not None:
            parts.append(f"about {format_duration(self.eta_s)} left")
        elif total:
            parts.append("estimating time left…")
        if self.files_read < self.files_total:
            parts.append(f"read {self.files_read}/{self.files_total} documents")
        return " · ".join(parts)


def format_duration(seconds: float) -> str:
    """`45 s`, `3 min 20 s`, `1 h 05 min`."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class TerminalProgress:
    """Draws the progress line on a terminal (rewritten in place), or prints it every `every_s` seconds
    when the stream is not a terminal (logs, `make run | tee`)."""

    def __init__(self, stream: IO[str] | None = None, every_s: float = 10.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every_s = every_s
        self._last = 0.0
        self._width = 0
        self._shown = False

    def __call__(self, p: IngestProgress) -> None:
        if not p.estimated_total and not p.finished:
            return  # nothing to embed (an unchanged corpus): stay silent
        now = time.monotonic()
        if self.tty:
            text = f"ingest: {p.line()}"
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
            if p.finished:
                self.stream.write("\n")
            self.stream.flush()
            self._shown = True
        elif (p.finished and p.clauses_done) or (not p.finished and now - self._last >= self.every_s):
            self.stream.write(f"ingest: {p.line()}\n")
            self.stream.flush()
            self._last, self._shown = now, True
