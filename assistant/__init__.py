"""Question answering over vendors' contract terms with verified verbatim citations.

from assistant import Assistant, answer
Assistant(settings).answer("How quickly must Humanlinker notify a data breach?")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.pipeline import Assistant
    from assistant.retrieval import Retrieval
    from core.settings import Settings
    from core.types import Answer

__all__ = ["Assistant", "Retrieval", "answer"]


def __getattr__(name: str) -> Any:
    """Lazy exports: importing the package stays cheap (no LangChain until used)."""
    if name == "Assistant":
        from assistant.pipeline import Assistant

        return Assistant
    if name == "Retrieval":
        from assistant.retrieval import Retrieval

        return Retrieval
    raise AttributeError(name)


def answer(
    question: str, settings: Settings | None = None, vendors: list[str] | None = None, **kw: Any
) -> Answer:
    """Convenience: build an Assistant from settings (loaded when None) and answer one question.
    Extra keywords (history, store, embeddings, llm) go to the Assistant or to answer()."""
    from assistant.pipeline import Assistant
    from core.settings import load_settings

    settings = settings or load_settings()
    parts = {k: kw.pop(k) for k in ("store", "embeddings", "llm") if k in kw}
    return Assistant(settings, **parts).answer(question, vendors=vendors, **kw)
