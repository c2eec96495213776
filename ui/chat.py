"""The chat's session logic, without Streamlit (unit-tested alone): the questions waiting for an answer,
what is shown while an answer streams, the expected wait, and the answer's reasons in words (its
confidence: ui.confidence).

Streamlit reruns the page script on every input and stops the run in progress, so a question typed while
another is streaming would otherwise cut that answer off for good. Each question therefore stays in the
session as a `Pending` item until its answer is stored; an item interrupted mid-answer is asked again on the
next run (once: `MAX_ASKS`), in the order the questions were typed.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from assistant.events import Progress, Shown
from core.types import Answer, Citation, WarningCode

MAX_ASKS = 2  # the first ask, plus one re-ask after an interruption
INTERRUPTED = (
    "This question was interrupted twice by newer input before its answer came, so it was "
    "not answered. Ask it again with the button below."
)


# ----------------------------------------------------------------------------- pending questions


@dataclass
class Pending:
    """A question typed in this session whose answer is not stored yet."""

    question: str
    vendors: list[str] | None = None  # the sidebar's vendor filter when it was typed
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    asks: int = 0  # runs that started answering it (more than one: it was interrupted)


def enqueue(pending: list[Pending], question: str, vendors: Sequence[str] | None = None) -> Pending | None:
    """Add a typed question at the end of the session's queue (blank input adds nothing)."""
    text = question.strip()
    if not text:
        return None
    item = Pending(text, list(vendors) if vendors else None)
    pending.append(item)
    return item


def drop_exhausted(pending: list[Pending], max_asks: int = MAX_ASKS) -> list[Pending]:
    """Remove and return the questions already asked `max_asks` times without an answer stored (each run
    that asked them was stopped by newer input): the page shows them as interrupted, with a way to re-ask."""
    gone = [p for p in pending if p.asks >= max_asks]
    pending[:] = [p for p in pending if p.asks < max_asks]
    return gone


def next_to_ask(pending: list[Pending]) -> Pending | None:
    """The oldest question without an answer: the one this run answers."""
    return pending[0] if pending else None


def finish(pending: list[Pending], item_id: str) -> bool:
    """Take an answered question out of the queue; False when it was no longer there. Streamlit starts a
    new run before the stopped one has unwound (fast reruns), so two runs of one session may both answer
    the same question: only the one for which this returns True stores its answer."""
    before = len(pending)
    pending[:] = [p for p in pending if p.id != item_id]
    return len(pending) < before


def is_pending(pending: Sequence[Pending], item_id: str) -> bool:
    """Whether the question still waits for its answer (another run of the session may have stored it)."""
    return any(p.id == item_id for p in pending)


# ----------------------------------------------------------------------------- the expected wait


def estimate_wait(ahead: int, recent: Sequence[float], running_for: float | None = None) -> float | None:
    """Seconds until a question with `ahead` questions before it starts being answered: the median of the
    recent answer durations for each, less what the one being answered (`running_for` seconds in) has
    already taken. None when no answer has been timed yet (nothing to estimate from)."""
    if ahead <= 0:
        return 0.0
    if not recent:
        return None
    typical = statistics.median(recent)
    if running_for is None:
        return ahead * typical
    return max(0.0, typical - running_for) + (ahead - 1) * typical


def format_wait(seconds: float | None) -> str:
    """A wait in words: 'about 40 s', 'about 3 min'; 'unknown' before any answer was timed."""
    if seconds is None:
        return "unknown until a first answer is timed"
    if seconds < 5:
        return "a few seconds"
    if seconds < 90:
        return f"about {round(seconds / 5) * 5:.0f} s"
    return f"about {max(2, round(seconds / 60))} min"


def queue_line(ahead: int, wait: float | None) -> str:
    """The status line of a question waiting its turn: how many questions on the server (this session's
    and others') are before it, and the expected wait."""
    return (
        f"Queued behind {ahead} question{'s' if ahead != 1 else ''} on this server; "
        f"expected wait {format_wait(wait)}."
    )


# ----------------------------------------------------------------------------- what a streaming answer shows


@dataclass(frozen=True)
class StreamView:
    """What the page shows for an answer being made: the text so far, a status line, and at the end the
    Answer (then the transient lines, status and queue, are gone)."""

    text: str = ""
    stage: str = ""
    status: str = ""
    citations: tuple[Citation, ...] = ()
    answer: Answer | None = None

    @property
    def done(self) -> bool:
        return self.answer is not None


def apply_event(view: StreamView, event: object) -> StreamView:
    """The view after one stream event. `Shown` replaces the text; `Progress` sets the status line; a plain
    `str` (the engine before typed events) is appended to the text; the `Answer` ends the stream and clears
    the status line. Anything else is ignored."""
    if isinstance(event, Answer):
        return replace(
            view, answer=event, status="", text=event.answer, stage="final", citations=tuple(event.citations)
        )
    if isinstance(event, Shown):
        return replace(view, text=event.text, stage=event.stage, citations=tuple(event.citations))
    if isinstance(event, Progress):
        return replace(view, status=status_text(event))
    if isinstance(event, str):
        return replace(view, text=view.text + event)
    return view


def status_text(event: Progress) -> str:
    """A status line from a Progress event: 'checking the clause' -> 'Checking the clause…'."""
    line = (event.message or event.stage).strip()
    if not line:
        return ""
    line = line[0].upper() + line[1:]
    return line if line.endswith(("…", ".", "!", "?")) else line + "…"


def fold_events(events: Iterable[object], view: StreamView | None = None) -> StreamView:
    """The view after a whole sequence of events."""
    out = view or StreamView()
    for ev in events:
        out = apply_event(out, ev)
    return out


# ----------------------------------------------------------------------------- the answer, for a person


_FALLBACK_REASONS = {
    "generated": "The answer restates the cited clause; every figure and name in it was checked against "
    "the quoted text.",
    "extractive": "The clause is quoted as written: no reworded answer could be checked against it.",
    "abstained": "The documents searched do not say this; the closest clauses are cited for you to read.",
    "refused": "The question is outside what the contract documents can answer.",
}


def explanation_text(answer: Answer) -> str:
    """Why the answer is what it is, for the reader: the assistant's explanation, else a sentence from the
    answer's mode (engines before `Answer.explanation` leave it empty)."""
    if answer.explanation.strip():
        return answer.explanation.strip()
    if answer.mode == "extractive" and WarningCode.LLM_UNAVAILABLE in answer.warning_codes:
        return "The language model was unavailable, so the clause is quoted as written."
    return _FALLBACK_REASONS.get(answer.mode, "")


def technical_lines(answer: Answer) -> list[str]:
    """Model names, timings and the internal notes, for a collapsed 'Technical details' (never the answer)."""
    lines = [f"{k}: {v}" for k, v in answer.model.items() if v]
    if answer.timings_ms:
        lines.append("timings: " + ", ".join(f"{k} {v / 1000:.2f} s" for k, v in answer.timings_ms.items()))
    lines.append(f"mode: {answer.mode}")
    lines += [f"note: {w}" for w in answer.warnings]
    return lines
