"""Chat models behind LangChain's `BaseChatModel`: local GGUF through ChatLlamaCpp by default, any
OpenAI-compatible server, Anthropic, or a deterministic fake for offline runs. Keys come from the environment."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from core.settings import LLMSettings

log = logging.getLogger(__name__)


class ExtractiveFakeChatModel(BaseChatModel):
    """Deterministic offline model: answers a yes/no check with "yes", and a question with the first
    numbered extract of the prompt, cited as [1] (or NOT_FOUND when there is none). For tests and
    model-free runs; it never invents text."""

    def _reply(self, messages: list[BaseMessage]) -> str:
        text = str(messages[-1].content) if messages else ""
        if re.search(r"\bReply yes or no\b", text):
            return "yes"
        m = re.search(r"^\[1\][^\n]*?:: (.+)$", text, re.M)
        return f"{m.group(1).strip()} [1]" if m else "NOT_FOUND"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._reply(messages)))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for piece in re.findall(r"\S+\s*", self._reply(messages)):
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))

    @property
    def _llm_type(self) -> str:
        return "extractive-fake"


def make_chat_model(cfg: LLMSettings) -> BaseChatModel:
    """Build the configured chat model (local GGUF loads weights: build once and share)."""
    provider = cfg.provider
    if provider == "fake":
        return ExtractiveFakeChatModel()
    if provider == "openai" or (cfg.choice == "endpoint" and provider == "llamacpp"):
        from langchain_openai import ChatOpenAI

        if not cfg.base_url and not os.environ.get("OPENAI_API_KEY"):
            raise ValueError("llm.provider=openai needs llm.base_url (LLM_BASE_URL) or OPENAI_API_KEY")
        return ChatOpenAI(
            base_url=cfg.base_url,
            model=cfg.model or "default",
            api_key=os.environ.get("OPENAI_API_KEY", "not-needed"),  # type: ignore[arg-type]
            temperature=cfg.temperature,
            max_tokens=cfg.max_tokens,  # type: ignore[call-arg]
            timeout=cfg.timeout_s,
            streaming=True,
        )
    if provider == "anthropic":
        from langchain_anthropic import ChatAnthropic

        if not os.environ.get("ANTHROPIC_API_KEY"):
            raise ValueError("llm.provider=anthropic needs ANTHROPIC_API_KEY in the environment")
        kw: dict[str, Any] = {"base_url": cfg.base_url} if cfg.base_url else {}
        return ChatAnthropic(
            model=cfg.model or "claude-3-5-haiku-latest",  # type: ignore[call-arg]
            temperature=cfg.temperature,
            max_tokens=cfg.max_tokens,
            timeout=cfg.timeout_s,
            **kw,
        )
    path = cfg.model_path
    if not path.exists():
        raise FileNotFoundError(f"GGUF model not found: {path} (run scripts/setup.sh or set LLM_MODEL_PATH)")
    try:
        import llama_cpp  # noqa: F401
    except ImportError as e:  # pragma: no cover - depends on the local build
        raise RuntimeError("llama-cpp-python is not installed (see README: built from source)") from e
    from langchain_community.chat_models import ChatLlamaCpp

    log.info("loading %s", path.name)
    return ChatLlamaCpp(
        model_path=str(path),
        n_ctx=cfg.n_ctx,
        n_threads=cfg.n_threads,
        n_batch=cfg.n_batch,
        max_tokens=cfg.max_tokens,
        temperature=cfg.temperature,
        verbose=False,
        streaming=True,
    )


def model_name(cfg: LLMSettings, llm: BaseChatModel | None = None) -> str:
    """What goes into Answer.model["llm"]: the GGUF file name or the endpoint's model name."""
    if llm is not None and not type(llm).__name__.startswith(("ChatLlamaCpp", "ChatOpenAI", "ChatAnthropic")):
        return str(getattr(llm, "_llm_type", type(llm).__name__))
    if cfg.provider == "fake":
        return "extractive-fake"
    if cfg.provider in ("openai", "anthropic") or cfg.choice == "endpoint":
        return cfg.model or (cfg.base_url or cfg.provider)
    return cfg.model_path.name
