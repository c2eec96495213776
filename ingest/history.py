"""A document's earlier versions at ingest: files grouped as versions of a document are kept in the store's
versions collection (their text, sha256 and label; never embedded), a document whose text changed on disk
keeps its replaced text there (written before the manifest moves on), and a file that became a version of
another document leaves the manifest with its history re-filed under that document."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field

from core.versions import label_key, stated_date
from ingest.discover import DocGroup, VendorInfo, vendor_info
from ingest.document import document_from_bytes
from ingest.loaders import LoadError
from ingest.report import IngestReport
from vectorstore.store import ClauseStore, DocRecord
from vectorstore.versions import VersionRecord, version_of

log = logging.getLogger(__name__)


def today() -> str:
    """The ingest date, the label of a version that says nothing else (UTC, as `ingested_at`)."""
    return time.strftime("%Y-%m-%d", time.gmtime())


@dataclass
class KnownVersions:
    """The past-version records in the store at the start of a run (one read), by source bytes and text."""

    by_source: dict[tuple[str, str], VersionRecord] = field(default_factory=dict)
    texts: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def read(cls, store: ClauseStore) -> KnownVersions:
        out = cls()
        for r in store.version_records():
            out.by_source[(r.document, r.source_sha256)] = r
            out.texts.add((r.document, r.sha256))
        return out

    def add(self, r: VersionRecord) -> None:
        self.by_source[(r.document, r.source_sha256)] = r
        self.texts.add((r.document, r.sha256))


def retire_members(
    groups: list[DocGroup], manifest: dict[str, DocRecord], store: ClauseStore, report: IngestReport
) -> None:
    """A document of the store that is now an earlier version of another (a newer dated file arrived, or
    vendor.yaml says so) leaves the manifest; its own past versions move to that document (its text comes
    back from its file as a version)."""
    for g in groups:
        for h in g.history:
            if h.document in manifest:
                store.move_versions(h.document, g.document)
                store.remove_document(h.document)
                del manifest[h.document]
                report.add(h.document, "removed", f"now a version of {g.document}")


def archive_members(
    g: DocGroup,
    known: KnownVersions,
    vendors: dict[str, VendorInfo],
    store: ClauseStore,
    report: IngestReport,
    max_bytes: float,
) -> dict[str, str]:
    """Keep the group's version files that the store lacks (read, decoded and labelled: the file name or
    vendor.yaml's label, else the text's own date, else the ingest date). Returns text sha -> label of
    every version file of the group (for the current version's label when its text is one of them)."""
    labels: dict[str, str] = {}
    new: list[tuple[VersionRecord, str]] = []
    info = vendor_info(vendors, g.document)
    for h in g.history:
        try:
            if h.path.stat().st_size > max_bytes:
                report.add(h.document, "skipped", "file exceeds ingest.max_file_mb")
                continue
            data = h.path.read_bytes()
        except OSError as exc:
            report.add(h.document, "failed", f"unreadable: {exc.strerror or exc}")
            continue
        source_sha = hashlib.sha256(data).hexdigest()
        rec = known.by_source.get((g.document, source_sha))
        if rec is not None:
            labels.setdefault(rec.sha256, rec.label)
            report.add(h.document, "unchanged", f"version {rec.label} of {g.document}")
            continue
        try:
            doc = document_from_bytes(g.document, data, h.path.suffix, info, source_sha)
        except LoadError as exc:
            report.add(h.document, "skipped", f"{exc} (a version of {g.document})")
            continue
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the run
            log.exception("loading %s failed", h.document)
            report.add(h.document, "failed", f"{type(exc).__name__}: {exc}")
            continue
        label = h.label or stated_date(doc.text) or today()
        rec = VersionRecord(
            document=g.document,
            label=label,
            sha256=doc.sha256,
            chars=len(doc.text),
            ingested_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            vendor=doc.vendor,
            vendor_name=doc.vendor_name,
            language=doc.language,
            source_sha256=source_sha,
            source=h.document,
        )
        labels.setdefault(doc.sha256, label)
        new.append((rec, doc.text))
    if new:
        try:
            store.put_versions(new)
        except Exception as exc:  # noqa: BLE001 - the files stay: the next run keeps them
            log.exception("keeping the versions of %s failed", g.document)
            for r, _ in new:
                report.add(r.source, "failed", f"{type(exc).__name__}: {exc}")
            return labels
        for r, _ in new:
            known.add(r)
            report.add(r.source, "added", f"version {r.label} of {g.document}")
    return labels


def replaced_version(
    rec: DocRecord, new_sha: str, known: KnownVersions, store: ClauseStore
) -> list[tuple[VersionRecord, str]]:
    """The manifest's version of a document about to be replaced by another text, to keep (nothing when
    the text is the same or that text is kept already)."""
    if rec.sha256 == new_sha or (rec.document, rec.sha256) in known.texts:
        return []
    text = store.document_text(rec.document)
    label = rec.version or stated_date(text) or rec.ingested_at[:10]
    return [(version_of(rec, label, len(text)), text)]


def current_label(g: DocGroup, text: str, sha: str, member_labels: dict[str, str]) -> str:
    """The label of the current version being written: its file name's, else that of a version file with
    the same text, else the text's own date; "" leaves the ingest date (the store's default)."""
    return g.label or member_labels.get(sha) or stated_date(text) or ""


def later_versions_note(groups: list[DocGroup], store: ClauseStore, report: IngestReport) -> None:
    """A version file labelled after its document's current version (a newer dated file beside the undated
    one) stays an earlier version: the undated file is the document. Said in the report, with the fix."""
    current = {r.document: r.version for r in store.documents()}
    for g in groups:
        label = current.get(g.document, "")
        later = [h for h in g.history if h.label and label and label_key(h.label) > label_key(label)]
        for h in later:
            report.notes.append(
                f"{h.document} ({h.label}) is dated after {g.document} ({label}), which stays the current "
                "version; to make it current, replace the content of the undated file with it (the previous "
                "text is kept) or rename it"
            )
