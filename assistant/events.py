"""Typed events of an answer stream (`Assistant.stream`): what a page or CLI shows while an answer is
being made, then the final `Answer`.

- `Shown`: the full text to show now (replaces what was shown before). `stage` says what it is:
  "draft" (the ranker's best sentence, quoted, before any LLM call), "checked" (that sentence after the
  model's check), "generated" (verified generated wording so far), "final" (the answer's text).
- `Progress`: a stage started ("checking", "wording", "vendor 2/5"); for a status line, never the answer.
The stream always ends with exactly one `core.types.Answer`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from core.types import Answer, Citation

ShownStage = Literal["draft", "checked", "generated", "final"]


@dataclass(frozen=True)
class Shown:
    """The text to display now, whole (a UI replaces its placeholder with it)."""

    text: str
    stage: ShownStage
    citations: list[Citation] = field(default_factory=list)


@dataclass(frozen=True)
class Progress:
    """A stage of the answer started: a status line for the reader, not part of the answer."""

    stage: str
    message: str = ""


StreamEvent = Shown | Progress | Answer
