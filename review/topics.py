"""The grid's columns: config/review_topics.yaml, read through a pydantic model of the file so that a bad
entry gives one TopicError naming the file and the topic."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, Field, StringConstraints, ValidationError, ValidationInfo, field_validator
from pydantic_core import ErrorDetails

from core.settings import PROJECT_ROOT

DEFAULT_TOPICS = PROJECT_ROOT / "config" / "review_topics.yaml"
LANGS = ("en", "fr")


class TopicError(ValueError):
    """The topics file is malformed (the message names the entry)."""


@dataclass(frozen=True)
class Topic:
    """One column of the grid: a key, its label and question per language, chat keywords."""

    key: str
    labels: dict[str, str]
    questions: dict[str, str]
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["en"]

    def question(self, lang: str, vendor_name: str) -> str:
        """The topic's question in `lang`, about this vendor."""
        return (self.questions.get(lang) or self.questions["en"]).replace("{vendor}", vendor_name)


_NEEDS_BOTH = "needs non-empty `en` and `fr` texts"


class TopicEntry(BaseModel):
    """One entry under `topics:`: label and question in both languages, optional keywords per language
    (other keys of the entry are ignored)."""

    label: dict[Any, str]
    question: dict[Any, str]
    keywords: dict[Any, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("label", "question", mode="before")
    @classmethod
    def _both_languages(cls, val: Any, info: ValidationInfo) -> dict[Any, str]:
        if not isinstance(val, dict) or not all(
            isinstance(val.get(lg), str) and val[lg].strip() for lg in LANGS
        ):
            raise ValueError(f"`{info.field_name}` {_NEEDS_BOTH}")
        return {k: str(v).strip() for k, v in val.items()}

    @field_validator("keywords", mode="before")
    @classmethod
    def _keyword_lists(cls, val: Any) -> dict[Any, tuple[str, ...]]:
        kw = val or {}
        return {lg: tuple(str(w) for w in (kw.get(lg) or [])) for lg in kw} if isinstance(kw, dict) else {}


TopicKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


class TopicsFile(BaseModel):
    """The whole file: a non-empty `topics:` mapping, in file order (other top-level keys are ignored)."""

    topics: dict[TopicKey, TopicEntry] = Field(min_length=1)

    def to_topics(self) -> list[Topic]:
        return [Topic(k, e.label, e.question, e.keywords) for k, e in self.topics.items()]


def _message(err: ErrorDetails) -> str:
    """The first validation error, worded as the topics file's author needs it."""
    loc = err["loc"]
    if len(loc) < 2:  # the file is not a mapping, or `topics` is absent, empty or not a mapping
        return "no `topics:` mapping"
    where = f"topic {loc[1]!r}"
    if loc[2:] == ("[key]",):
        return f"{where}: keys are lowercase letters, digits and '_'"
    if len(loc) == 2:
        return f"{where}: expected label/question mappings"
    if loc[2] in ("label", "question") and err["type"] == "missing":
        return f"{where}: `{loc[2]}` {_NEEDS_BOTH}"
    return f"{where}: {str(err['msg']).removeprefix('Value error, ')}"


def load_topics(path: str | Path | None = None) -> list[Topic]:
    """Read the topics file (default config/review_topics.yaml), in file order; TopicError when malformed."""
    p = Path(path) if path else DEFAULT_TOPICS
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise TopicError(f"{p}: {exc}") from exc
    try:
        return TopicsFile.model_validate(raw).to_topics()
    except ValidationError as exc:
        raise TopicError(f"{p}: {_message(exc.errors()[0])}") from None
