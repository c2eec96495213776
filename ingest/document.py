"""One corpus file to a Document (decoded text, language, vendor) and its Clauses."""

from __future__ import annotations

import hashlib
from pathlib import Path

from core.settings import Settings
from core.text import detect_language
from core.types import Clause, Document
from ingest.aliases import document_aliases
from ingest.discover import VendorInfo, load_corpus_vendors, vendor_info
from ingest.loaders import load_bytes
from ingest.split import split_text
from ingest.tables import find_tables, table_context
from vectorstore.store import clause_id


def sha256_text(text: str) -> str:
    """The sha256 of a decoded text (what clause ids and the store's records carry)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode_document(
    settings: Settings, document: str, path: Path | None = None, vendors: dict[str, VendorInfo] | None = None
) -> Document:
    """Read and decode one corpus file into a Document (raises LoadError with a reason)."""
    path = path or (settings.corpus_dir / document)
    vendors = vendors if vendors is not None else load_corpus_vendors(settings.corpus_dir)
    return document_from_bytes(document, path.read_bytes(), path.suffix, vendor_info(vendors, document))


def document_from_bytes(
    document: str, data: bytes, suffix: str, info: VendorInfo, source_sha256: str = ""
) -> Document:
    """Decode a corpus file's bytes into a Document (raises LoadError with a reason). `source_sha256` is
    the bytes' sha256 when the caller has computed it already."""
    text = load_bytes(data, suffix)
    return Document(
        vendor=document.split("/", 1)[0],
        vendor_name=info.name,
        document=document,
        text=text,
        sha256=sha256_text(text),
        language=info.language or detect_language(text),
        source_sha256=source_sha256 or hashlib.sha256(data).hexdigest(),
    )


def build_clauses(doc: Document, settings: Settings) -> list[Clause]:
    """Split a decoded document into Clause records (ids carry the document's text sha). A clause holding
    rows of a text table carries their "header: value" rendering in `table_text` (ingest/tables.py)."""
    spans = split_text(doc.text, settings.chunking)
    tables = find_tables(doc.text)
    return [
        Clause(
            id=clause_id(doc.document, doc.sha256, i),
            vendor=doc.vendor,
            vendor_name=doc.vendor_name,
            document=doc.document,
            section=s.section,
            start=s.start,
            end=s.end,
            text=doc.text[s.start : s.end],
            language=doc.language,
            ordinal=i,
            doc_sha256=doc.sha256,
            tokens=s.tokens,
            table_text=table_context(tables, s.start, s.end) if tables else "",
        )
        for i, s in enumerate(spans)
    ]


def vendor_aliases(doc: Document, info: VendorInfo) -> tuple[str, ...]:
    """vendor.yaml's aliases, then the names and roles the document itself gives its party
    (ingest/aliases.py; roles carry its ROLE_PREFIX)."""
    known = [info.name, doc.vendor.replace("-", " "), *info.aliases]
    derived = [a for a in document_aliases(doc.text, known) if a not in info.aliases]
    return (*info.aliases, *derived)
