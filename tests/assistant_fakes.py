"""Test doubles for the assistant's tests: a prompt-aware scripted chat model and a shared hashing store."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from core.settings import PROJECT_ROOT, Settings, load_settings

SAMPLE_CORPUS = PROJECT_ROOT / "data" / "contracts"
_SLOT = re.compile(r"\{n:([^}]+)\}")


class ScriptedChat(BaseChatModel):
    """Replies from a queue, in order. A reply's `{n:REGEX}` slots become the number of the first extract
    line of the prompt matching REGEX (case-insensitive), so tests need not know the ranking. Every prompt
    received is kept in `calls`; an exhausted queue raises (a test that expects no LLM call fails loudly)."""

    replies: list[str]
    calls: list[list[BaseMessage]] = []

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(list(messages))
        if not self.replies:
            raise AssertionError("ScriptedChat: no reply left (unexpected LLM call)")
        template = self.replies.pop(0)
        prompt = "\n".join(str(m.content) for m in messages)
        lines = re.findall(r"^\[(\d+)\] (.*)$", prompt, re.M)

        def sub(m: re.Match[str]) -> str:
            for n, line in lines:
                if re.search(m.group(1), line, re.I):
                    return n
            raise AssertionError(f"ScriptedChat: no extract matches {m.group(1)!r} in:\n{prompt}")

        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=_SLOT.sub(sub, template)))])

    @property
    def _llm_type(self) -> str:
        return "scripted"


def offline_settings(corpus: Path, store_dir: Path) -> Settings:
    """Settings for offline tests: hashing embedder and fake LLM over `corpus`, the store in `store_dir`."""
    return load_settings(
        env={},
        corpus_dir=str(corpus),
        store_dir=str(store_dir),
        **{"embedding.kind": "hashing", "llm.provider": "fake"},
    )


def hashing_settings(store_dir: Path) -> Settings:
    return offline_settings(SAMPLE_CORPUS, store_dir)


def build_store(store_dir: Path) -> tuple[Settings, Any, Any]:
    """Ingest the sample corpus with the hashing embedder into `store_dir`: (settings, store, embeddings)."""
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import make_embeddings
    from vectorstore.store import ClauseStore

    settings = hashing_settings(store_dir)
    emb = make_embeddings(settings.embedding)
    store = ClauseStore(settings, emb)
    run_ingest(settings, embeddings=emb, store=store, progress=False)
    return settings, store, emb


class FakeChecker:
    """A checker (assistant.check.Checker) that judges by regex: the first rule whose pattern is found in
    the sentence (and whose optional third element, a pattern, in the question) gives P(yes); else
    `default`. Every call is kept in `calls` as (question, sentence)."""

    name = "fake-checker"

    def __init__(
        self,
        rules: list[tuple[str, float]] | list[tuple[str, float, str]] | None = None,
        default: float = 0.05,
        calibrated: bool = True,
    ) -> None:
        self.rules = list(rules or [])
        self.default = default
        self.calibrated = calibrated
        self.calls: list[tuple[str, str]] = []

    def check(self, question: str, sentence: str, label: str) -> Any:
        from assistant.check import Verdict

        self.calls.append((question, sentence))
        for pattern, p, *asked in self.rules:
            if re.search(pattern, sentence, re.I) and all(re.search(a, question, re.I) for a in asked):
                return Verdict(p, self.calibrated, 0.0)
        return Verdict(self.default, self.calibrated, 0.0)
