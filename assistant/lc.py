"""The stages where LangChain users expect them: retrieval as a `BaseRetriever` (documents carry the
clause's vendor, document, section and offsets), and the whole answer as a `Runnable` (so callbacks,
tracing, `batch` and composition work), both thin adapters over `Assistant`."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict

from core.types import Answer


class ClauseRetriever(BaseRetriever):
    """Hybrid clause retrieval (dense + BM25 + glossary, per vendor for comparisons) as a LangChain
    retriever. `vendors` restricts the search like `ask --vendor`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any
    vendors: list[str] | None = None
    k: int | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        res = self.assistant.retrieve(query, vendors=self.vendors, k=self.k)
        out = []
        for h in res.hits:
            c = h.clause
            out.append(
                Document(
                    page_content=c.text,
                    id=c.id,
                    metadata={
                        "vendor": c.vendor,
                        "vendor_name": c.vendor_name,
                        "document": c.document,
                        "section": c.section,
                        "start": c.start,
                        "end": c.end,
                        "score": float(h.score),
                    },
                )
            )
        return out


def answer_runnable(assistant: Any) -> Runnable[Any, Answer]:
    """The assistant as a Runnable: input a question string or {"question", "vendors", "history"}; output
    the verified `Answer` (rank, check, say and every check included)."""

    def run(inp: Any) -> Answer:
        if isinstance(inp, str):
            return assistant.answer(inp)
        return assistant.answer(inp["question"], vendors=inp.get("vendors"), history=inp.get("history"))

    return RunnableLambda(run, name="contract_qa_answer")
