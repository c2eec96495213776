"""The systems an eval can run, each turning a question into ask JSON (spec shape):

- `default`: the project's assistant (hybrid retrieval, rerank, verified citations);
- `bm25`: BM25 alone over the same clause store (baseline);
- `plain-rag`: a plain LangChain RAG (RecursiveCharacterTextSplitter 1000/200 over the decoded documents,
  dense retrieval with the same embedder in its own in-memory Chroma collection, a "stuff" prompt).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from langchain_core.embeddings import Embeddings

from core.markers import markers
from core.settings import PROJECT_ROOT, Settings
from vectorstore.embeddings import embeddings_name

log = logging.getLogger(__name__)

SYSTEMS = ("default", "bm25", "plain-rag")
STUFF_PROMPT = "baseline_stuff.v1"
# Phrases by which the stuff prompt's answer says that the context does not answer (it is told to).
_ABSTAIN = re.compile(
    r"\b(NOT_FOUND|i don'?t know|not (specified|stated|mentioned|covered)|do(es)? not (specify|say|state|"
    r"mention)|ne (le )?précise(nt)? pas|je ne sais pas|non précisé)",
    re.IGNORECASE,
)


class System(Protocol):
    """What the runner needs from a system: retrieval alone, or a full answer, as ask JSON."""

    name: str

    def retrieve(self, question: str, k: int) -> dict[str, Any]: ...

    def answer(self, question: str, k: int) -> dict[str, Any]: ...

    def describe(self) -> dict[str, Any]: ...


def _retrieval_ask(
    question: str, retrieved: list[dict[str, Any]], model: dict[str, Any], elapsed_ms: float, **extra: Any
) -> dict[str, Any]:
    return {
        "question": question,
        "retrieved": retrieved,
        "model": model,
        "timings_ms": {"retrieve": round(elapsed_ms, 1), "total": round(elapsed_ms, 1)},
        **extra,
    }


class DefaultSystem:
    """The project's assistant, unchanged."""

    name = "default"

    def __init__(
        self,
        settings: Settings,
        store: Any,
        embeddings: Embeddings,
        llm: Any = None,
        extracts: bool = False,
        llm_cache: str | Path | None = None,
    ) -> None:
        from assistant import Assistant
        from review import grid_answer

        self.extracts = extracts
        self.settings = settings
        self.assistant = Assistant(
            settings, store=store, embeddings=embeddings, llm=llm, shortcut=grid_answer
        )
        self.embeddings = embeddings
        self.cache: Any = None
        if llm_cache:
            from evals.llm_cache import LLMCache, attach

            self.cache = LLMCache(llm_cache)
            attach(self.assistant, self.cache)

    def cache_stats(self) -> dict[str, Any] | None:
        """The replay cache's file, hits and misses (None without one)."""
        return self.cache.stats() if self.cache is not None else None

    def retrieve(self, question: str, k: int) -> dict[str, Any]:
        """The retrieved clauses (k of them); with `extracts`, the spans the answerer would be given
        instead (retrieval, span selection and the token budget, no LLM)."""
        t0 = time.perf_counter()
        if self.extracts:  # the ranker's best k sentences (k=1: the sentence the checker sees first)
            r = self.assistant.retrieve(question)
            hits = [c.span.as_hit() for c in self.assistant.candidates(question, r)[:k]]
        else:
            r = self.assistant.retrieve(question, k=k)
            hits = r.hits
        elapsed = (time.perf_counter() - t0) * 1000
        ask = _retrieval_ask(
            question,
            [h.to_json() for h in hits],
            self.describe()["models"],
            elapsed,
            vendors=list(r.vendors or []),
            language=r.language,
        )
        ask["timings_ms"].update({k_: round(float(v), 1) for k_, v in (r.timings_ms or {}).items()})
        ask["timings_ms"]["total"] = round(elapsed, 1)
        return ask

    def answer(self, question: str, k: int) -> dict[str, Any]:
        return dict(self.assistant.answer(question).to_json())

    def describe(self) -> dict[str, Any]:
        return {
            "models": {"embeddings": embeddings_name(self.embeddings), "llm": _llm_name(self.settings)},
            "fusion": self.assistant.fusion.to_json(),  # the retrieval fusion in force (fitted or hand-set)
            # the engine's numbers in force (a replay, evals.selection, needs the run's accept_at)
            "engine": self.assistant.parts.engine.model_dump(mode="json"),
        }


def _llm_name(settings: Settings) -> str:
    """The model a run names in its summary: what its answers name (Answer.model["llm"]), "extractive-fake"
    for the offline fake as much as a GGUF's file name."""
    from assistant.llm import model_name

    return model_name(settings.llm)


def _load_prompt(name: str) -> str:
    path = PROJECT_ROOT / "prompts" / f"{name}.txt"
    return path.read_text(encoding="utf-8")


def stuff_answer(
    question: str, passages: list[dict[str, Any]], llm: Callable[[str], str], prompt_name: str = STUFF_PROMPT
) -> tuple[str, bool, list[dict[str, Any]]]:
    """The baselines' "stuff" answer: all passages in one prompt, numbered; citations are the passages
    whose [n] the answer mentions (quotes are the passages themselves, so they are verbatim)."""
    template = _load_prompt(prompt_name)
    context = "\n\n".join(f"[{i}] ({p['document']})\n{p['text']}" for i, p in enumerate(passages, start=1))
    text = llm(template.format(context=context, question=question)).strip()
    cited = sorted({n for n in markers(text) if 1 <= n <= len(passages)})
    citations = [
        {
            "n": n,
            "vendor": passages[n - 1]["vendor"],
            "vendor_name": passages[n - 1]["vendor"],
            "document": passages[n - 1]["document"],
            "section": "",
            "quote": passages[n - 1]["text"],
            "start": passages[n - 1]["start"],
            "end": passages[n - 1]["end"],
        }
        for n in cited
    ]
    abstained = bool(_ABSTAIN.search(text)) and not citations
    return text, abstained, citations


def make_llm_callable(settings: Settings) -> Callable[[str], str]:
    """The project's configured LLM as prompt -> text (the same model the assistant uses)."""
    from assistant.llm import make_chat_model

    model = make_chat_model(settings.llm)

    def call(prompt: str) -> str:
        out = model.invoke(prompt)
        return str(getattr(out, "content", out))

    return call


class _BaselineBase:
    """Shared full-answer path of the baselines: their own retrieval, then the stuff prompt."""

    name = "baseline"

    def __init__(
        self, settings: Settings, store: Any, embeddings: Embeddings, llm: Callable[[str], str] | None = None
    ) -> None:
        self.settings, self.store, self.embeddings = settings, store, embeddings
        self._llm = llm
        self._texts: dict[str, str] = {}

    def _text(self, document: str) -> str:
        if document not in self._texts:
            self._texts[document] = self.store.document_text(document)
        return self._texts[document]

    def _spans(self, question: str, k: int) -> list[dict[str, Any]]:
        raise NotImplementedError

    def retrieve(self, question: str, k: int) -> dict[str, Any]:
        t0 = time.perf_counter()
        spans = self._spans(question, k)
        elapsed = (time.perf_counter() - t0) * 1000
        retrieved = [{k_: v for k_, v in s.items() if k_ != "text"} for s in spans]
        return _retrieval_ask(question, retrieved, self.describe()["models"], elapsed)

    def answer(self, question: str, k: int) -> dict[str, Any]:
        if self._llm is None:
            self._llm = make_llm_callable(self.settings)
        t0 = time.perf_counter()
        spans = self._spans(question, k)
        t1 = time.perf_counter()
        text, abstained, citations = stuff_answer(question, spans, self._llm)
        t2 = time.perf_counter()
        return {
            "question": question,
            "answer": text,
            "abstained": abstained,
            "citations": citations,
            "retrieved": [{k_: v for k_, v in s.items() if k_ != "text"} for s in spans],
            "model": {**self.describe()["models"], "prompt": STUFF_PROMPT},
            "timings_ms": {
                "retrieve": round((t1 - t0) * 1000, 1),
                "generate": round((t2 - t1) * 1000, 1),
                "total": round((t2 - t0) * 1000, 1),
            },
        }

    def describe(self) -> dict[str, Any]:
        return {"models": {"embeddings": embeddings_name(self.embeddings), "llm": _llm_name(self.settings)}}


class BM25System(_BaselineBase):
    """BM25 alone over the clause store (no vendor detection, no dense, no rerank)."""

    name = "bm25"

    def describe(self) -> dict[str, Any]:
        return {"models": {"embeddings": None, "llm": _llm_name(self.settings)}}

    def _spans(self, question: str, k: int) -> list[dict[str, Any]]:
        out = []
        for rank, h in enumerate(self.store.bm25_search(question, k)):
            c = h.clause
            out.append(
                {
                    "vendor": c.vendor,
                    "document": c.document,
                    "start": c.start,
                    "end": c.end,
                    "score": round(float(h.score), 6),
                    "rank": rank,
                    "text": c.text,
                }
            )
        return out


class PlainRagSystem(_BaselineBase):
    """Plain LangChain RAG over the decoded documents, in its own in-memory Chroma collection."""

    name = "plain-rag"
    chunk_size, chunk_overlap = 1000, 200

    def __init__(
        self, settings: Settings, store: Any, embeddings: Embeddings, llm: Callable[[str], str] | None = None
    ) -> None:
        super().__init__(settings, store, embeddings, llm)
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_core.documents import Document as LCDocument
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap, add_start_index=True
        )
        docs = [
            LCDocument(
                page_content=self._text(r.document), metadata={"document": r.document, "vendor": r.vendor}
            )
            for r in store.documents()
        ]
        chunks = splitter.split_documents(docs)
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self.vs = Chroma(
            collection_name=f"plainrag_{uuid.uuid4().hex[:8]}",
            embedding_function=embeddings,
            client=client,
            collection_metadata={"hnsw:space": "cosine"},
        )
        if chunks:
            self.vs.add_documents(chunks)
        self.n_chunks = len(chunks)
        log.info("plain-rag: %d chunks from %d documents", len(chunks), len(docs))

    def _spans(self, question: str, k: int) -> list[dict[str, Any]]:
        if not self.n_chunks:
            return []
        out = []
        for rank, (d, dist) in enumerate(self.vs.similarity_search_with_score(question, k=k)):
            start = int(d.metadata["start_index"])
            out.append(
                {
                    "vendor": d.metadata["vendor"],
                    "document": d.metadata["document"],
                    "start": start,
                    "end": start + len(d.page_content),
                    "score": round(1.0 - float(dist), 6),
                    "rank": rank,
                    "text": d.page_content,
                }
            )
        return out


def make_system(
    name: str,
    settings: Settings,
    store: Any,
    embeddings: Embeddings,
    extracts: bool = False,
    llm_cache: str | Path | None = None,
) -> System:
    """Build a system by name (see SYSTEMS); `extracts`: the default system's retrieval returns the spans
    the answerer would see; `llm_cache`: its model calls replayed from that file (evals.llm_cache)."""
    if extracts and name != "default":
        raise ValueError("--extracts applies to the default system only")
    if llm_cache and name != "default":
        raise ValueError("--llm-cache applies to the default system only")
    if name == "default":
        return DefaultSystem(settings, store, embeddings, extracts=extracts, llm_cache=llm_cache)
    if name == "bm25":
        return BM25System(settings, store, embeddings)
    if name == "plain-rag":
        return PlainRagSystem(settings, store, embeddings)
    raise ValueError(f"unknown system {name!r}; choose one of {', '.join(SYSTEMS)}")
