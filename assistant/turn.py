"""One question on its way through the stages: the small record every stage reads (the question, its
language, the vendors' display names, the clock) and the Answer they fill in, with the outcomes that end a
turn early (abstain) and the last events of every turn (finish)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from assistant.citations import span_citation
from assistant.events import Shown, StreamEvent
from assistant.retrieval import timed_ms
from assistant.spans import Span
from assistant.texts import t
from core.types import Answer, WarningCode


@dataclass
class Turn:
    """What the stages share for one question: `answer` is filled in as they go."""

    question: str
    lang: str
    answer: Answer
    names: dict[str, str] = field(default_factory=dict)  # vendor slug -> display name
    timings: dict[str, float] = field(default_factory=lambda: {"retrieve": 0.0, "generate": 0.0})
    t0: float = field(default_factory=time.perf_counter)
    # later asks that no sentence of their own answers but the first ask's answer does (single.check_asks):
    # not said to be silent
    covered: list[str] = field(default_factory=list)
    # candidates checked per ask at most for this question; None: EngineConfig.max_checks (the review grid,
    # computed in the background, asks for EngineConfig.grid_checks)
    checks: int | None = None
    # the words each answering sentence completes when it is an item of an enumeration, by span key
    # (lists.governing_words: "Le Client ne doit pas" before "(iv) utiliser la Solution pour…"): read with it
    # by the verdict and the wording, quoted with it
    leads: dict[tuple[str, int, int], str] = field(default_factory=dict)

    def who(self, vendors: Sequence[str]) -> str:
        """Whose documents were searched, for the reader ("Humanlinker's documents", "The documents in the
        corpus")."""
        if not vendors:
            return t(self.lang, "who_all")
        return t(self.lang, "who_vendor", names=", ".join(self.names.get(v, v) for v in vendors))

    def abstain(
        self, closest: Span | None, who: str, why: str, warning: str, confidence: float | None
    ) -> None:
        """The documents do not say: the answer says so and quotes the closest sentence when there is one."""
        a = self.answer
        cites = [span_citation(1, closest)] if closest is not None else []
        text = t(self.lang, "not_specified", who=who)
        if cites:
            text += " " + t(self.lang, "closest", n=1)
        a.answer, a.abstained, a.mode, a.citations = text, True, "abstained", cites
        a.confidence, a.explanation = confidence, why
        a.warn(WarningCode.ABSTAINED, f"abstained: {warning}")

    def finish(self) -> Iterator[StreamEvent]:
        """The final events: the answer's text as shown, then the Answer with its timings."""
        self.timings.setdefault("first_token", timed_ms(self.t0))
        self.timings["total"] = timed_ms(self.t0)
        self.answer.timings_ms = self.timings
        yield Shown(self.answer.answer, "final", list(self.answer.citations))
        yield self.answer


def fmt_conf(p: float | None) -> str:
    """A confidence as the reader sees it ("?" when there is none)."""
    return "?" if p is None else f"{p:.2f}"
