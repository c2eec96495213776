"""Version records: the earlier texts of a document kept beside the manifest (the store's
`<collection>_versions` collection: one record per past version, the full decoded text as the Chroma document,
a 1-d dummy embedding, as the manifest), and how a version is named: `document@label`
("basecamp/dpa.pdf@2021-09"), the document id a citation of that version carries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from core.versions import label_key

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
