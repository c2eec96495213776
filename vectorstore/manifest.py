"""The manifest record (`<collection>_docs`: one per document, naming its current version) and how many
records one Chroma call writes; shared by the clause store (vectorstore/store.py) and the versions it keeps
(vectorstore/versions.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

BATCH = 1024  # clause records per Chroma call (the cost is per record beyond a few hundred)
DOC_BATCH = 200  # manifest and version records (each carries a whole document's text) per Chroma call


@dataclass(frozen=True)
class DocRecord:
    """One manifest entry: the current version of a document in the store."""

    document: str
    vendor: str
    vendor_name: str
    language: str
    sha256: str  # of the decoded text
    source_sha256: str  # of the raw file bytes
    n_clauses: int
    ingested_at: str
    fingerprint: str = ""  # chunking settings + embedder that produced the clauses
    embedder: str = ""
    vendor_aliases: str = (
        ""  # "|"-joined aliases: vendor.yaml's, then those read from the document (ingest/aliases.py)
    )
    version: str = ""  # the current version's label (core/versions.py); "" in records written before it
    chars: int = 0  # the decoded text's length (0 in records written before it)

    def to_metadata(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> DocRecord:
        fields = {k: meta[k] for k in cls.__dataclass_fields__ if k in meta}
        return cls(**fields)
