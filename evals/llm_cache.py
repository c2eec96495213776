"""A replay cache of the language model's work, for evals that re-run an engine after a small change.

A full `--split both` run spends most of its 50 minutes in the 1.5B model: the yes/no checks (P(yes) read
from the next-token logits) and the streamed wordings. A change to the ranker, a gate or a rule changes
only some of those calls; the others are the same prompt to the same model. `--llm-cache FILE` keeps every
call's result in a SQLite file keyed by what decides it (the model and its sampling parameters, the exact
messages), answers a repeated call from the file and asks the model for a new one. Quality figures are
then those of a fresh run up to llama.cpp's float noise (a prefix evaluated in another batch can move
P(yes) in the third decimal); latency is not a measurement (the summary's `config.llm_cache` counts hits
and the report says so). Report figures from a run without the cache.

The engine never imports this module: the evals wrap an assistant's parts (`attach`, `Parts.wrap_models`)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from assistant.check import Checker, Verdict, check_messages

SCHEMA = 1  # bump when a stored value's shape changes: older entries are then never read


class LLMCache:
    """Key -> JSON value in one SQLite table; counts its hits and misses."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        if self.path.is_dir():
            raise ValueError(f"--llm-cache wants a file, not a folder: {self.path}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False)
        try:
            self._db.execute("CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._db.commit()
        except sqlite3.DatabaseError as exc:  # an existing file that is not this cache: never overwritten
            self._db.close()
            raise ValueError(f"--llm-cache: {self.path} is not a replay cache ({exc})") from exc
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(*parts: Any) -> str:
        blob = json.dumps([SCHEMA, *parts], ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str) -> Any | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM calls WHERE key = ?", (key,)).fetchone()
            if row is None:
                self.misses += 1
                return None
            self.hits += 1
            return json.loads(row[0])

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO calls (key, value) VALUES (?, ?)", (key, json.dumps(value))
            )
            self._db.commit()

    def stats(self) -> dict[str, Any]:
        return {"path": str(self.path), "hits": self.hits, "misses": self.misses}

    def close(self) -> None:
        with self._lock:
            self._db.close()


def check_cache_file(path: str | Path | None) -> None:
    """Raise ValueError, before a run starts, when `path` cannot be a replay cache (a folder, another file)."""
    if path:
        LLMCache(path).close()


def _messages_key(messages: list[BaseMessage]) -> list[list[str]]:
    return [[m.type, str(m.content)] for m in messages]


class CachedChecker:
    """A checker whose verdicts are read from the cache when the same model was asked the same check."""

    def __init__(self, inner: Checker, cache: LLMCache, model: str) -> None:
        self.inner = inner
        self.replay = cache
        self.model = model
        self.name = inner.name

    def check(self, question: str, sentence: str, label: str) -> Verdict:
        prompt = getattr(self.inner, "prompt", None)
        section = getattr(self.inner, "section", "check")
        asked: Any = (
            _messages_key(check_messages(prompt, question, sentence, label, section))
            if prompt is not None
            else [question, sentence, label, section]
        )
        key = self.replay.key("check", type(self.inner).__name__, self.model, asked)
        hit = self.replay.get(key)
        if hit is not None:
            return Verdict(float(hit["p_yes"]), bool(hit["calibrated"]), float(hit["ms"]))
        v = self.inner.check(question, sentence, label)
        self.replay.put(key, {"p_yes": v.p_yes, "calibrated": v.calibrated, "ms": v.ms})
        return v


class CachedChatModel(BaseChatModel):
    """A chat model whose replies (streamed or not) are replayed from the cache for the same messages,
    model and parameters. A stream the caller stopped early is kept as far as the caller read it: the
    same caller stops at the same place."""

    inner: Any
    replay: Any  # the LLMCache (`cache` is BaseChatModel's own field: LangChain's global cache)
    model: str = ""

    def _key(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> str:
        params = self.inner._get_llm_string(stop=stop, **kwargs)
        return self.replay.key("chat", self.model, params, _messages_key(messages))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        key = self._key(messages, stop, kwargs)
        hit = self.replay.get(key)
        if hit is not None:
            for content, meta in hit["chunks"]:
                yield ChatGenerationChunk(message=AIMessageChunk(content=content, response_metadata=meta))
            return
        got: list[list[Any]] = []
        failed = False
        try:
            for chunk in self.inner.stream(messages, stop=stop, **kwargs):
                meta = dict(getattr(chunk, "response_metadata", None) or {})
                got.append([str(chunk.content), json.loads(json.dumps(meta, default=str))])
                yield ChatGenerationChunk(
                    message=AIMessageChunk(content=chunk.content, response_metadata=meta)
                )
        except Exception:
            failed = True  # an error is not a reply: the next run asks again
            raise
        finally:  # also when the caller stops reading (GeneratorExit): it stops there again on a replay
            if not failed and got:
                self.replay.put(key, {"chunks": got})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        key = self._key(messages, stop, kwargs)
        hit = self.replay.get(key)
        if hit is not None:
            text, meta = "".join(c for c, _ in hit["chunks"]), (hit["chunks"][-1][1] if hit["chunks"] else {})
            return ChatResult(
                generations=[ChatGeneration(message=AIMessage(content=text, response_metadata=meta))]
            )
        reply = self.inner.invoke(messages, stop=stop, **kwargs)
        meta = json.loads(json.dumps(dict(reply.response_metadata or {}), default=str))
        self.replay.put(key, {"chunks": [[str(reply.content), meta]]})
        return ChatResult(
            generations=[ChatGeneration(message=AIMessage(content=reply.content, response_metadata=meta))]
        )

    @property
    def _llm_type(self) -> str:
        return self.model or "cached"


def attach(assistant: Any, cache: LLMCache | None) -> Any:
    """`assistant` with its checks and wordings routed through `cache` (unchanged without one); returns it.
    The keys carry the model's name as the answers report it (`assistant.llm.model_name` of the real model)."""
    if cache is not None:
        from assistant.llm import model_name

        parts = assistant.parts
        model = model_name(assistant.settings.llm, parts.llm)
        parts.wrap_models(
            lambda llm: CachedChatModel(inner=llm, replay=cache, model=model),
            lambda checker: CachedChecker(checker, cache, model),
        )
    return assistant
