"""Version records: the earlier texts of a document kept beside the manifest (the store's
`<collection>_versions` collection: one record per past version, the full decoded text as the Chroma document,
a 1-d dummy embedding, as the manifest), and how a version is named: `document@label`
("basecamp/dpa.pdf@2021-09"), the document id a citation of that version carries. `VersionStore` is the
clause store's version keeping (ClauseStore inherits it): past versions' texts, and the clauses built on
demand for one (`<collection>_vclauses`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from core.types import Clause
from core.versions import label_key
from vectorstore.manifest import BATCH, DOC_BATCH, DocRecord

SEP = "@"  # document@label: a version's reference


@dataclass(frozen=True)
class VersionRecord:
    """One version of a document: its label, the sha256 of its decoded text, its size, when it was
    ingested and the file it was read from. `current` marks the manifest's version (computed on read)."""

    document: str
    label: str
    sha256: str
    chars: int = 0
    ingested_at: str = ""
    vendor: str = ""
    vendor_name: str = ""
    language: str = ""
    source_sha256: str = ""
    source: str = ""  # the corpus file the text came from (the document's own path when it changed on disk)
    current: bool = False

    @property
    def ref(self) -> str:
        """The document id that names this version: `document@label`."""
        return f"{self.document}{SEP}{self.label}"

    def to_metadata(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("current")
        return d

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> VersionRecord:
        fields = {k: meta[k] for k in cls.__dataclass_fields__ if k in meta and k != "current"}
        return cls(**fields)

    def to_json(self) -> dict[str, Any]:
        """For listings and the page: label, sha256, chars, ingested_at, source, current."""
        return {
            "document": self.document,
            "version": self.label,
            "ref": self.ref,
            "sha256": self.sha256,
            "chars": self.chars,
            "ingested_at": self.ingested_at,
            "source": self.source,
            "current": self.current,
        }


def version_id(document: str, sha256: str) -> str:
    """A past version's record id: one record per document and text (writing it again is a no-op)."""
    return f"{document}{SEP}{sha256[:16]}"


def split_ref(ref: str) -> tuple[str, str] | None:
    """(document, label) of a `document@label` reference; None when there is no "@"."""
    document, sep, label = ref.rpartition(SEP)
    return (document, label) if sep and document and label else None


def ordered(past: Sequence[VersionRecord], current: VersionRecord | None) -> list[VersionRecord]:
    """A document's versions oldest first, the current one last: past records of another text than the
    current (one per text), in label order (then ingest time); a label taken twice gets "+sha7" on the
    later record so that every `document@label` names one version."""
    seen = {current.sha256} if current is not None else set()
    keep: list[VersionRecord] = []
    for r in sorted(past, key=lambda r: (label_key(r.label), r.ingested_at)):
        if r.sha256 not in seen:
            seen.add(r.sha256)
            keep.append(r)
    out = keep + ([current] if current is not None else [])
    taken: set[str] = {current.label} if current is not None else set()
    result: list[VersionRecord] = []
    for r in out:
        if r.current:
            result.append(r)
            continue
        label = r.label if r.label not in taken else f"{r.label}+{r.sha256[:7]}"
        taken.add(label)
        result.append(replace(r, label=label) if label != r.label else r)
    return result


def version_of(rec: DocRecord, label: str, chars: int, current: bool = False) -> VersionRecord:
    """The version record of a manifest record's text (the current one, or the one about to be replaced)."""
    return VersionRecord(
        document=rec.document,
        label=label,
        sha256=rec.sha256,
        chars=chars,
        ingested_at=rec.ingested_at,
        vendor=rec.vendor,
        vendor_name=rec.vendor_name,
        language=rec.language,
        source_sha256=rec.source_sha256,
        source=rec.document,
        current=current,
    )


class VersionStore:
    """The store's past versions: their texts (`history`), and the clauses built for one on demand
    (`vclauses`). ClauseStore opens both collections and provides the reads and the generation counter
    declared below; `put_versions` is step 2 of its write protocol (before the manifest's commit point)."""

    history: Any  # the `<collection>_versions` collection
    vclauses: Any  # the `<collection>_vclauses` collection

    if TYPE_CHECKING:  # ClauseStore's, used here

        def get_all(
            self, where: dict[str, Any] | None, include: list[str], col: Any = None
        ) -> dict[str, list[Any]]: ...

        def document(self, document: str) -> DocRecord | None: ...

        def documents(self) -> list[DocRecord]: ...

        def document_text(self, document: str) -> str: ...

        def _bump_generation(self) -> None: ...

    def put_versions(self, items: Sequence[tuple[VersionRecord, str]]) -> None:
        """Keep past versions (record, full text); one record per document and text, so writing one again
        changes nothing. Readers are told (the generation moves)."""
        if not items:
            return
        for i in range(0, len(items), DOC_BATCH):
            part = items[i : i + DOC_BATCH]
            self.history.upsert(
                ids=[version_id(r.document, r.sha256) for r, _ in part],
                documents=[t for _, t in part],
                metadatas=[r.to_metadata() for r, _ in part],
                embeddings=[[0.0]] * len(part),
            )
        self._bump_generation()

    def version_records(self, document: str | None = None) -> list[VersionRecord]:
        """The stored past-version records (metadata only) of a document, or of every document."""
        where = {"document": document} if document is not None else None
        got = self.get_all(where, ["metadatas"], self.history)
        return [VersionRecord.from_metadata(dict(m or {})) for m in got["metadatas"]]

    def _current_version(self, rec: DocRecord) -> VersionRecord:
        chars = rec.chars or len(self.document_text(rec.document))
        return version_of(rec, rec.version or rec.ingested_at[:10], chars, current=True)

    def versions(self, document: str) -> list[VersionRecord]:
        """Every kept version of a document, oldest first, the current one last (`current=True`); labels
        are unique per document (vectorstore/versions.py). Empty when the document is not in the store."""
        rec = self.document(document)
        if rec is None:
            return []
        return ordered(self.version_records(document), self._current_version(rec))

    def all_versions(self, vendors: Sequence[str] | None = None) -> dict[str, list[VersionRecord]]:
        """document -> its versions (as `versions`) for every document (of `vendors` when given), from one
        read of the versions collection."""
        past: dict[str, list[VersionRecord]] = {}
        for r in self.version_records():
            past.setdefault(r.document, []).append(r)
        return {
            rec.document: ordered(past.get(rec.document, []), self._current_version(rec))
            for rec in self.documents()
            if not vendors or rec.vendor in vendors
        }

    def version_text(self, document: str, label: str) -> str:
        """The text of the version `label` of a document (the current one's too); KeyError naming the
        versions that exist when there is no such version."""
        vs = self.versions(document)
        match = next((v for v in vs if v.label == label), None)
        if match is None:
            have = ", ".join(v.label for v in vs) or "none: the document is not in the store"
            raise KeyError(f"no version {label!r} of {document} (versions: {have})")
        if match.current:
            return self.document_text(document)
        got = self.history.get(ids=[version_id(document, match.sha256)], include=["documents"])
        if not got["ids"]:
            raise KeyError(f"version {label!r} of {document} vanished")
        return str(got["documents"][0])

    def move_versions(self, old: str, new: str) -> int:
        """Re-file a document's past versions under another document (a file that became a version of
        another): written under the new name first, then deleted under the old one."""
        got = self.get_all({"document": old}, ["metadatas", "documents"], self.history)
        items = [
            (replace(VersionRecord.from_metadata(dict(m)), document=new), str(t))
            for m, t in zip(got["metadatas"], got["documents"], strict=True)
        ]
        self.put_versions(items)
        self.delete_versions(old)
        return len(items)

    def delete_versions(self, document: str) -> int:
        """Drop a document's past versions and the clauses built for them."""
        ids = self.get_all({"document": document}, [], self.history)["ids"]
        for i in range(0, len(ids), BATCH):
            self.history.delete(ids=ids[i : i + BATCH])
        vids = self.get_all({"version_of": document}, [], self.vclauses)["ids"]
        for i in range(0, len(vids), BATCH):
            self.vclauses.delete(ids=vids[i : i + BATCH])
        if ids:
            self._bump_generation()
        return len(ids)

    def version_clauses(
        self, document: str, sha256: str, fingerprint: str
    ) -> tuple[list[Clause], list[list[float]]] | None:
        """The clauses and vectors built for a past version (by `put_version_clauses`) with these chunking
        and embedder settings; None when there are none, or only some (an interrupted write)."""
        where = {"$and": [{"version_of": document}, {"version_sha": sha256}, {"fingerprint": fingerprint}]}
        got = self.get_all(where, ["documents", "metadatas", "embeddings"], self.vclauses)
        if not got["ids"]:
            return None
        rows = sorted(
            zip(got["documents"], got["metadatas"], got["embeddings"], strict=True),
            key=lambda r: int(r[1].get("ordinal", 0)),
        )
        if any(int(m.get("n", -1)) != len(rows) for _, m, _ in rows):
            return None
        return (
            [Clause.from_metadata(str(t), dict(m)) for t, m, _ in rows],
            [list(map(float, e)) for _, _, e in rows],
        )

    def put_version_clauses(
        self,
        document: str,
        sha256: str,
        fingerprint: str,
        clauses: Sequence[Clause],
        vectors: Sequence[Sequence[float]],
    ) -> None:
        """Keep the clauses built on demand for a past version (apart from the current clauses: retrieval
        never sees them), each record stamped with the version, the settings and the clause count."""
        if len(clauses) != len(vectors):
            raise ValueError("one vector per clause")
        old = self.get_all({"$and": [{"version_of": document}, {"version_sha": sha256}]}, [], self.vclauses)
        if old["ids"]:
            self.vclauses.delete(ids=old["ids"])
        extra = {"version_of": document, "version_sha": sha256, "fingerprint": fingerprint, "n": len(clauses)}
        for i in range(0, len(clauses), BATCH):
            part = clauses[i : i + BATCH]
            self.vclauses.upsert(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[{**c.to_metadata(), **extra} for c in part],
                embeddings=[list(map(float, v)) for v in vectors[i : i + BATCH]],
            )
