"""The engine's heavy parts, each built on first use and then kept: the store, the embedder, the LLM and its
checker, the tuned numbers (confidence model, ranker weights, fusion), the sentence-vector cache and the
prompts. The Assistant owns one `Parts`; the stages receive it explicitly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from assistant.cells import question_similarities
from assistant.check import ENGINE_PROMPT, Checker, make_checker
from assistant.confidence import DEFAULT_MIN_DENSE, EngineConfig
from assistant.fusion import Fusion, fusion_for
from assistant.llm import make_chat_model, model_name
from assistant.prompts import Prompt, load_prompt
from assistant.rank import load_weights
from assistant.sentence_vectors import SentenceVectors
from assistant.support import min_support_for
from core.settings import Settings
from vectorstore.embeddings import embedder_name, embeddings_name, make_embeddings


class Parts:
    """Built lazily from settings, unless given (tests and the page pass their own store, embedder, LLM)."""

    def __init__(
        self,
        settings: Settings,
        store: Any = None,
        embeddings: Embeddings | None = None,
        llm: BaseChatModel | None = None,
        checker: Checker | None = None,
        verdict_checker: Checker | None = None,
        weights: dict[str, float] | None = None,
        engine: EngineConfig | None = None,
        fusion: Fusion | None = None,
        min_dense: float | None = None,
    ) -> None:
        self.settings = settings
        self._store = store
        self._embeddings = embeddings
        self._llm = llm
        self._checker = checker
        self._verdict_checker = verdict_checker
        self._checker_given = checker is not None
        self._weights = weights
        self._engine = engine
        self._fusion = fusion
        self._prompts: dict[str, Prompt] = {}
        self._sentence_vectors: SentenceVectors | None = None
        self._similarities: Callable[[str, Sequence[str]], list[float]] | None = None
        # best dense similarity under which retrieval found nothing relevant (per embedder kind)
        self.min_dense = (
            min_dense if min_dense is not None else DEFAULT_MIN_DENSE.get(settings.embedding.kind, 0.3)
        )

    @property
    def embeddings(self) -> Embeddings:
        if self._embeddings is None:
            self._embeddings = make_embeddings(self.settings.embedding)
        return self._embeddings

    @property
    def store(self) -> Any:
        if self._store is None:
            from vectorstore.store import ClauseStore

            self._store = ClauseStore(self.settings, self.embeddings)
        return self._store

    @property
    def llm(self) -> BaseChatModel:
        if self._llm is None:
            self._llm = make_chat_model(self.settings.llm)
        return self._llm

    @property
    def checker(self) -> Checker:
        if self._checker is None:
            self._checker = make_checker(self.llm, self.prompt(ENGINE_PROMPT))
        return self._checker

    @property
    def verdict_checker(self) -> Checker | None:
        """The second reading of a closed question's sentence ("is the answer yes or no?", the prompt's
        verdict section) on the checker's model: given, else built, except beside a given checker (a test's
        fake judge has no model to ask), where it is None and the negation reading decides alone."""
        if self._verdict_checker is None and not self._checker_given:
            self._verdict_checker = make_checker(self.llm, self.prompt(ENGINE_PROMPT), section="verdict")
        return self._verdict_checker

    def wrap_models(
        self,
        wrap_llm: Callable[[BaseChatModel], BaseChatModel],
        wrap_checker: Callable[[Checker], Checker],
    ) -> None:
        """Put a layer around the chat model and the checkers (built now if they were not): the evals'
        replay cache. The checkers are built from the real model first, so each keeps its kind (logits,
        logprobs or parsed reply)."""
        real = self.llm
        checker, verdict = self.checker, self.verdict_checker
        self._checker = wrap_checker(checker)
        self._verdict_checker = wrap_checker(verdict) if verdict is not None else None
        self._llm = wrap_llm(real)

    @property
    def engine(self) -> EngineConfig:
        """The tuned numbers: given, else config/ranker.json's (its confidence model only for the embedder
        it was fitted with)."""
        if self._engine is None:
            self._engine = EngineConfig.load(embeddings=self.embedder_name())
        return self._engine

    @property
    def weights(self) -> dict[str, float]:
        """The ranker's weights: given, else those fitted for this embedder (config/ranker.json)."""
        if self._weights is None:
            self._weights = load_weights(embeddings=self.embedder_name())
        return self._weights

    @property
    def fusion(self) -> Fusion:
        """How retrieval fuses its lists: given, else as settings' retrieval.fusion names it (hand-set, or
        "fitted": config/fusion.json when it was fitted for this embedder)."""
        if self._fusion is None:
            r = self.settings.retrieval
            self._fusion = fusion_for(r.fusion, self.embedder_name(), r.rrf_k)
        return self._fusion

    @property
    def sentence_vectors(self) -> SentenceVectors:
        if self._sentence_vectors is None:
            s = self.settings
            path = None if s.vectorstore_url else s.store_dir / "sentence_vectors.sqlite"
            self._sentence_vectors = SentenceVectors(self.embeddings, self.embedder_name(), path)
        return self._sentence_vectors

    def similarities(self) -> Callable[[str, Sequence[str]], list[float]]:
        """The meaning reading: a question's similarity to each of some texts, by the embedder (the sentence-
        vector cache keeps the texts' vectors): a table's column headers (assistant.cells) and its rows
        (assistant.table_row). Built once: it keeps the vectors of the last questions it read."""
        if self._similarities is None:
            self._similarities = question_similarities(self.embeddings, self.sentence_vectors)
        return self._similarities

    @property
    def min_support(self) -> float:
        """A wording's least similarity to the sentence it cites (assistant.support; 0: no such check)."""
        return min_support_for(self.embedder_name(), self.settings.answer.min_support)

    def prompt(self, version: str = ENGINE_PROMPT) -> Prompt:
        if version not in self._prompts:
            self._prompts[version] = load_prompt(version)
        return self._prompts[version]

    def embedder_name(self) -> str:
        """The embedder's name as the fitted numbers are keyed by (the built embedder's, else the settings')."""
        if self._embeddings is not None:
            return embeddings_name(self._embeddings)
        return embedder_name(self.settings.embedding)

    def model_info(self, prompt: str = ENGINE_PROMPT) -> dict[str, str]:
        """Answer.model: the LLM, the embedder and the prompt version."""
        return {
            "llm": model_name(self.settings.llm, self._llm),
            "embeddings": self.embedder_name(),
            "prompt": prompt,
        }
