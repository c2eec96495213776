"""The assistant as named stages: scope -> retrieve -> rank -> check -> say -> verify, with outcomes
(abstain, refuse, one-quote) when a stage cannot go further. `Assistant` is the facade: it builds the parts
once (assistant/parts.py), keeps what it read of the store until the store changes (assistant/corpus.py),
and runs the stages in order, each a function of its own module given what it needs (the question's
`Turn`, the parts), streaming typed events (assistant/events.py) that end with the `Answer`. See
docs/ARCHITECTURE.md."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from assistant.changes import answer_change
from assistant.check import ENGINE_PROMPT, Checker
from assistant.confidence import EngineConfig
from assistant.corpus import CorpusView
from assistant.events import Progress, StreamEvent
from assistant.fusion import Fusion
from assistant.parts import Parts
from assistant.past import asked_version, from_version, version_reader
from assistant.prompts import Prompt
from assistant.rank import Candidate, candidates, named_rows_first, names_row
from assistant.retrieval import Retrieval, StoreReader, retrieve, timed_ms
from assistant.rows import answer_rows
from assistant.scope import Scope, decide
from assistant.sentence_vectors import SentenceVectors
from assistant.single import answer_single
from assistant.texts import t
from assistant.turn import Turn
from assistant.vendors import Detection, VendorInfo, detect_vendors
from core.settings import Settings
from core.text import detect_language
from core.types import Answer, Hit, WarningCode
from vectorstore.versions import VersionRecord

log = logging.getLogger(__name__)

# A fan-out question ("which vendors…") answered from elsewhere before the engine ranks and checks rows:
# (question, assistant, vendors, language) -> Answer, or None to answer row by row. The page, the CLI and
# the evals pass the review grid's `grid_answer`; the engine never imports the grid.
Shortcut = Callable[[str, Any, Sequence[str], str], "Answer | None"]


class Assistant:
    """Question answering over the clause store: rank, check, then say (see docs/ARCHITECTURE.md)."""

    def __init__(
        self,
        settings: Settings,
        store: StoreReader | Any = None,
        embeddings: Embeddings | None = None,
        llm: BaseChatModel | None = None,
        checker: Checker | None = None,
        min_dense: float | None = None,
        weights: dict[str, float] | None = None,
        engine: EngineConfig | None = None,
        fusion: Fusion | None = None,
        shortcut: Shortcut | None = None,
        verdict_checker: Checker | None = None,
    ) -> None:
        self.settings = settings
        self.parts = Parts(
            settings,
            store,
            embeddings,
            llm,
            checker,
            verdict_checker=verdict_checker,
            weights=weights,
            engine=engine,
            fusion=fusion,
            min_dense=min_dense,
        )
        self.corpus = CorpusView(lambda: self.parts.store)
        self.shortcut = shortcut

    # ------------------------------------------------------------------ the parts (built once, on first use)
    store = property(lambda self: self.parts.store)
    embeddings = property(lambda self: self.parts.embeddings)
    llm = property(lambda self: self.parts.llm)
    checker = property(lambda self: self.parts.checker)
    engine = property(lambda self: self.parts.engine)
    weights = property(lambda self: self.parts.weights)
    fusion = property(lambda self: self.parts.fusion)
    min_dense = property(lambda self: self.parts.min_dense)

    @property
    def sentence_vectors(self) -> SentenceVectors:
        return self.parts.sentence_vectors

    def prompt(self, version: str) -> Prompt:
        return self.parts.prompt(version)

    def model_info(self, prompt: str = ENGINE_PROMPT) -> dict[str, str]:
        return self.parts.model_info(prompt)

    # ------------------------------------------------------------------ the store as read, until it changes
    def refresh(self) -> None:
        self.corpus.refresh()

    def catalog(self) -> list[VendorInfo]:
        return self.corpus.catalog()

    def known_word(self, word: str) -> bool:
        return self.corpus.known_word(word)

    def document_text(self, document: str, sha: str = "") -> str:
        return self.corpus.document_text(document, sha)

    def detect(self, question: str) -> Detection:
        return detect_vendors(question, self.catalog(), self.known_word)

    # ------------------------------------------------------------------ LangChain
    def as_retriever(self, vendors: Sequence[str] | None = None, k: int | None = None) -> Any:
        """This assistant's retrieval as a LangChain `BaseRetriever` (assistant/lc.py)."""
        from assistant.lc import ClauseRetriever

        return ClauseRetriever(assistant=self, vendors=list(vendors) if vendors else None, k=k)

    def as_runnable(self) -> Any:
        """The whole answer chain as a LangChain `Runnable` (invoke, batch, callbacks, tracing)."""
        from assistant.lc import answer_runnable

        return answer_runnable(self)

    # ------------------------------------------------------------------ the stages, one call each
    def retrieve(
        self,
        question: str,
        vendors: Sequence[str] | None = None,
        k: int | None = None,
        detection: Detection | None = None,
        scope: Scope | None = None,
    ) -> Retrieval:
        """Hybrid retrieval restricted to the question's vendors (assistant/retrieval.py)."""
        sc = scope or decide(question, vendors, None, self.catalog(), self.known_word)
        if detection is not None and scope is None:
            sc.detection = detection
        p = self.parts
        return retrieve(
            question, sc, p.store, p.embeddings, p.fusion, self.settings.retrieval, self.corpus, k
        )

    def candidates(self, question: str, retrieval: Retrieval, vendor: str | None = None) -> list[Candidate]:
        """The retrieved sentences (one vendor's when given), ranked (assistant/rank.py)."""
        p = self.parts
        have = {h.clause.id for h in retrieval.hits}
        rows = self.corpus.named_rows(question, [vendor] if vendor else retrieval.vendors, names_row)
        extra = [Hit(c, 0.0, {"named_row": 1}) for c in rows if c.id not in have]
        if extra:  # the table a named row is in, when retrieval did not bring it
            retrieval = dataclasses.replace(retrieval, hits=[*retrieval.hits, *extra])
        ranked = candidates(question, retrieval, p.weights, p.sentence_vectors, vendor, self.corpus.readable)
        return named_rows_first(question, ranked, self.corpus.row_key)

    # ------------------------------------------------------------------ the stream
    def answer(
        self,
        question: str,
        vendors: Sequence[str] | None = None,
        history: Sequence[Any] | None = None,
        checks: int | None = None,
    ) -> Answer:
        """The verified answer (runs the stream to its end)."""
        return _last(self.stream(question, vendors=vendors, history=history, checks=checks))

    def compare(self, topic_or_question: str, vendors: Sequence[str]) -> Answer:
        """One separately found, checked and cited row per vendor (Answer.comparison)."""
        return _last(self._run(topic_or_question, vendors, None, force_rows=True))

    def stream(
        self,
        question: str,
        vendors: Sequence[str] | None = None,
        history: Sequence[Any] | None = None,
        checks: int | None = None,
    ) -> Iterator[StreamEvent]:
        """Typed events (`Shown`, `Progress`) as the answer takes shape, then the final `Answer`; `checks`:
        candidates checked per ask at most (default EngineConfig.max_checks; the review grid passes
        EngineConfig.grid_checks)."""
        yield from self._run(question, vendors, history, checks=checks)

    def _run(
        self,
        question: str,
        vendors: Sequence[str] | None,
        history: Sequence[Any] | None,
        force_rows: bool = False,
        checks: int | None = None,
    ) -> Iterator[StreamEvent]:
        if checks is not None and checks < 1:
            raise ValueError(f"checks must be at least 1, not {checks}")
        t0 = time.perf_counter()
        lang = detect_language(question)
        base = Answer(question=question, answer="", abstained=True, language=lang, model=self.model_info())
        turn = Turn(question, lang, base, t0=t0, checks=checks)
        a = turn.answer
        self.refresh()
        if not self.catalog():
            a.answer, a.mode, a.explanation = t(lang, "empty"), "abstained", t(lang, "why_empty")
            a.warn(WarningCode.STORE_EMPTY, "store is empty")
            yield from turn.finish()
            return
        sc = decide(question, vendors, history, self.catalog(), self.known_word)
        if sc.refusal:
            a.answer, a.mode, a.explanation = t(lang, "refused"), "refused", t(lang, "why_refused")
            a.warn(WarningCode.REFUSED, f"refused: {sc.refusal}")
            yield from turn.finish()
            return
        if not force_rows and self._from_versions(turn, sc.vendors):  # what changed, older versions
            yield from turn.finish()
            return
        if force_rows and len(sc.vendors) >= 1:
            sc.fan_out = True
        yield Progress("retrieve", "searching the documents")
        ret = self.retrieve(sc.question, scope=sc)
        a.vendors, a.retrieved = list(ret.vendors), list(ret.hits)
        turn.timings["retrieve"] = ret.timings_ms.get("retrieve", 0.0)
        if ret.unknown_vendor and not ret.vendors:
            a.answer, a.mode = t(lang, "unknown", name=ret.unknown_vendor), "abstained"
            a.explanation = t(lang, "why_unknown", name=ret.unknown_vendor)
            a.warn(WarningCode.UNKNOWN_VENDOR, f"vendor not in corpus: {ret.unknown_vendor}")
            yield from turn.finish()
            return
        turn.names = {v.slug: v.name for v in self.catalog()}
        if ret.fan_out and not force_rows:
            grid = self._from_grid(sc, lang)
            if grid is not None:
                grid.retrieved = list(ret.hits)
                turn.answer, turn.timings = grid, {**turn.timings, **grid.timings_ms}
                yield from turn.finish()
                return
        tr = time.perf_counter()
        if ret.fan_out:
            per_vendor = {v: self.candidates(sc.question, ret, v) for v in ret.vendors}
            turn.timings["rank"] = timed_ms(tr)
            yield from answer_rows(turn, self.parts, self.corpus, sc.question, per_vendor, ret)
            return
        if len(sc.asks) == 1:
            per_ask = [(sc.asks[0], self.candidates(sc.asks[0], ret))]
        else:  # each ask gets its own retrieval: its clause may be far from the other's
            per_ask = [(ask, self.candidates(ask, self.retrieve(ask, scope=sc))) for ask in sc.asks]
        turn.timings["rank"] = timed_ms(tr)
        yield from answer_single(turn, self.parts, self.corpus, sc.question, per_ask, ret)

    def _from_versions(self, turn: Turn, vendors: Sequence[str]) -> bool:
        """A change question answered from the stored versions' diff (assistant/changes.py), or a question
        about an older version answered over that version's clauses (assistant/past.py); False otherwise."""
        if answer_change(turn, self, vendors):
            return True
        past = asked_version(turn.question, self.store, vendors)
        if past is None:
            return False
        turn.answer = self.answer_version(turn.question, *past)
        return True

    def answer_version(self, question: str, document: str, version: VersionRecord) -> Answer:
        """The engine's answer over one past version of a document: the same parts over a reader that holds
        only that version's clauses (built on demand), its citations naming `document@label`."""
        p = self.parts
        sub = Assistant(
            self.settings,
            store=version_reader(self, document, version),
            embeddings=p.embeddings,
            llm=p.llm,
            checker=p.checker,
            verdict_checker=p.verdict_checker,
            weights=p.weights,
            engine=p.engine,
            fusion=p.fusion,
            min_dense=p.min_dense,
        )
        ans = sub.answer(question, vendors=[version.vendor or document.split("/", 1)[0]])
        return from_version(ans, document, version)

    def _from_grid(self, sc: Scope, lang: str) -> Answer | None:
        """A "which vendors…" question answered by the shortcut the caller gave (the review grid's cached
        cells, every one already found, checked and cited); None when there is none or it cannot answer."""
        if self.shortcut is None:
            return None
        try:
            ans = self.shortcut(sc.question, self, sc.vendors, lang)
        except Exception:  # noqa: BLE001 - the grid is a shortcut: on any failure, answer row by row
            log.warning("review grid unavailable for this question", exc_info=True)
            return None
        if ans is not None:
            ans.explanation = ans.explanation or t(lang, "why_rows")
            ans.warn(WarningCode.FROM_GRID, "answered from the review grid")
        return ans


def _last(events: Iterator[StreamEvent]) -> Answer:
    """The Answer that ends a stream of events."""
    final: Answer | None = None
    for item in events:
        if isinstance(item, Answer):
            final = item
    assert final is not None
    return final
