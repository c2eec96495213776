"""Typed records that cross package boundaries. One definition each (see docs/ARCHITECTURE.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

# A vendor alias that is a role the documents call the vendor's party by ("Prestataire", "Service
# Provider") rather than a name: written with this prefix in the document records (ingest/aliases.py),
# matched in questions only when capitalised (assistant/vendors.py).
VENDOR_ROLE_PREFIX = "role:"


@dataclass(frozen=True)
class Document:
    """A decoded document: `text` is what offsets index (after charset detection and mojibake repair)."""

    vendor: str  # slug = folder name
    vendor_name: str  # display name from vendor.yaml, else the slug
    document: str  # path relative to the corpus root, "/" separators
    text: str
    sha256: str  # of `text` (utf-8)
    language: str  # "fr" | "en" | ...
    source_sha256: str = ""  # of the raw file bytes
    # the version label (core/versions.py: a date or "vN" from the file name, the document's own "Last
    # updated" date, else the ingest date); "" when not known (the store then records the ingest date)
    version: str = ""


@dataclass(frozen=True)
class Clause:
    """One retrievable unit: a verbatim slice `document_text[start:end] == text`."""

    id: str
    vendor: str
    vendor_name: str
    document: str
    section: str  # section path, e.g. "ARTICLE 9 > 9.2 > 9.2.2"; "" when the document has no headings
    start: int
    end: int
    text: str
    language: str
    ordinal: int  # position of the clause in its document (0-based), for neighbour expansion
    doc_sha256: str
    tokens: int = 0
    # "header: value" lines of the text-table rows inside the clause (ingest/tables.py): embedded and
    # indexed with the clause so that cells are findable, never quoted (quotes are slices of `text`)
    table_text: str = ""

    def to_metadata(self) -> dict[str, Any]:
        """Flat metadata for Chroma (no text: the text is the Chroma document)."""
        d = asdict(self)
        d.pop("text")
        return d

    @classmethod
    def from_metadata(cls, text: str, meta: dict[str, Any]) -> Clause:
        fields = {k: meta[k] for k in cls.__dataclass_fields__ if k != "text" and k in meta}
        return cls(text=text, **fields)


@dataclass
class Hit:
    """A retrieved clause with its fused score and the ranks that produced it."""

    clause: Clause
    score: float
    sources: dict[str, int] = field(default_factory=dict)  # e.g. {"dense": 0, "bm25": 3}

    def to_json(self) -> dict[str, Any]:
        c = self.clause
        return {
            "vendor": c.vendor,
            "document": c.document,
            "start": c.start,
            "end": c.end,
            "score": round(float(self.score), 6),
            "section": c.section,
            "clause_id": c.id,
        }


@dataclass
class Citation:
    """A verified verbatim quote: `document_text[start:end] == quote`."""

    n: int
    vendor: str
    vendor_name: str
    document: str
    section: str
    quote: str
    start: int
    end: int
    clause_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class VendorAnswer:
    """One row of a comparison: a vendor's short answer with its own citations (numbers are global)."""

    vendor: str
    vendor_name: str
    answer: str
    abstained: bool
    citation_ns: list[int] = field(default_factory=list)
    confidence: float | None = None  # the checker's P(the cited sentence answers), None when not checked
    # a settled selection's "yes", "no" or "unsettled" for this vendor ("Which vendors notify a breach within
    # 48 hours?", "…host data outside the EU?": assistant.selection); None outside one and for a silent vendor
    verdict: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


AnswerMode = Literal["generated", "extractive", "abstained", "refused"]


class WarningCode(StrEnum):
    """A stable code for each kind of note an answer carries (`Answer.warning_codes`, in `ask --json`), so
    that the page, the evals and the tests tell them apart without matching the notes' wording."""

    STORE_EMPTY = "store_empty"
    REFUSED = "refused"
    UNKNOWN_VENDOR = "unknown_vendor"
    FROM_GRID = "from_grid"  # answered from the review grid's cached cells
    ABSTAINED = "abstained"
    LLM_UNAVAILABLE = "llm_unavailable"  # the model failed: the answer is the ranker's sentence, quoted
    CHECK = "check"  # the check's P(yes) and confidence, for the record
    UNCALIBRATED = "uncalibrated"  # the checker's model gives no probabilities: a parsed yes/no
    WORDING_REJECTED = "wording_rejected"  # no wording passed the checks: the sentence is quoted
    ROW_ABSTAINED = "row_abstained"  # a comparison row's sentence was not accepted
    ASK_SILENT = "ask_silent"  # one of a question's two asks has no sentence: the answer says so
    VERSIONS = "versions"  # answered from stored versions of a document (what changed, an older version)
    VERDICT = "verdict"  # a closed question's yes or no: the two readings of the sentence, for the record
    UNANSWERABLE = "unanswerable"  # abstained: P(the documents do not answer) reached the gate's threshold
    TABLE_CELL = "table_cell"  # a table row answered by its cell: the two readings of its column


@dataclass
class Answer:
    """What `assistant.answer()` returns and `ask --json` prints (spec: ../shared/spec/interfaces.md)."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Hit] = field(default_factory=list)
    model: dict[str, str] = field(default_factory=dict)  # {"llm", "embeddings", "prompt"}
    timings_ms: dict[str, float] = field(default_factory=dict)  # retrieve, generate, total, first_token
    language: str = "en"
    mode: AnswerMode = "generated"
    vendors: list[str] = field(default_factory=list)  # vendors the question was restricted to
    comparison: list[VendorAnswer] | None = None
    warnings: list[str] = field(
        default_factory=list
    )  # internal notes (logs, evals), never shown as the answer
    # the checker's probability that the cited sentence answers the question (0..1); None when not checked
    confidence: float | None = None
    # why the answer is what it is, in words for the reader (a lawyer, a buyer): shown in a collapsed detail
    explanation: str = ""
    # what the confidence was computed from (the check's P(yes), the ranker's score, ...), for calibration
    signals: dict[str, float] = field(default_factory=dict)
    # the kinds of the warnings above (WarningCode values), each once, in the order first seen
    warning_codes: list[str] = field(default_factory=list)

    def warn(self, code: WarningCode, text: str) -> None:
        """Add a note (`warnings`) and its kind (`warning_codes`)."""
        self.warnings.append(text)
        if code.value not in self.warning_codes:
            self.warning_codes.append(code.value)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "retrieved": [h.to_json() for h in self.retrieved],
            "model": dict(self.model),
            "timings_ms": {k: round(float(v), 1) for k, v in self.timings_ms.items()},
            "language": self.language,
            "mode": self.mode,
            "vendors": list(self.vendors),
            "warnings": list(self.warnings),
            "warning_codes": list(self.warning_codes),
            "confidence": None if self.confidence is None else round(float(self.confidence), 3),
            "explanation": self.explanation,
            "signals": {k: round(float(v), 4) for k, v in self.signals.items()},
        }
        if self.comparison is not None:
            out["comparison"] = [v.to_json() for v in self.comparison]
        return out
