"""Comparing stored versions of a document: find the document of a vendor by name, pick versions by label
(a label, a prefix of one such as "2021", or "current"), and diff their texts as the store keeps them (so it
works against a Chroma server too). Used by `python -m assistant diff --vendor --document`, the chat's
"what changed" answers (assistant/changes.py) and the review grid's changed-cell flags."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from assistant.diff.changes import DiffResult, VersionInfo, diff_prepared
from assistant.diff.view import prepare
from core.settings import ChunkSettings
from core.text import fold
from core.versions import label_end, label_key
from vectorstore.versions import VersionRecord

DIFF_CACHE_ENTRIES = 16  # comparisons kept in memory (the chat and the grid ask for the same pairs)
_CACHE: OrderedDict[tuple[str, str, str, str], DiffResult] = OrderedDict()


class VersionError(LookupError):
    """An unknown vendor, document or version; the message is one line for the reader, listing what exists."""


@dataclass(frozen=True)
class VersionPair:
    """The two versions of one document to compare (old before new)."""

    document: str
    old: VersionRecord
    new: VersionRecord


def _norm(name: str) -> str:
    return fold(name).replace("_", "-").replace(" ", "-")


def find_document(store: Any, vendor: str, name: str) -> str:
    """The vendor's document named `name`: its corpus path, its path inside the vendor folder, its file name
    or stem, or the one document whose name contains it. VersionError (listing the documents) otherwise."""
    vendors = store.vendors()
    if vendor not in vendors:
        have = ", ".join(sorted(vendors)) or "none: run python -m ingest"
        raise VersionError(f"vendor {vendor!r} is not in the store (vendors: {have})")
    docs = [r.document for r in store.documents() if r.vendor == vendor]
    want = _norm(name.strip("/"))
    for d in docs:
        rel = d.split("/", 1)[1]
        file = PurePath(d).name
        if want in (_norm(d), _norm(rel), _norm(file), _norm(PurePath(d).stem)):
            return d
    partial = [d for d in docs if want and want in _norm(d.split("/", 1)[1])]
    if len(partial) == 1:
        return partial[0]
    listed = ", ".join(d.split("/", 1)[1] for d in (partial or docs))
    what = "matches several documents" if len(partial) > 1 else "is not a document of this vendor"
    raise VersionError(f"{name!r} {what} ({vendor}'s documents: {listed})")


def pick_version(versions: Sequence[VersionRecord], label: str) -> VersionRecord:
    """The version labelled `label`, or the only one whose label starts with it ("2021" -> "2021-09-27"),
    or the current one for "current"/"latest". VersionError listing the versions otherwise."""
    if label.lower() in ("current", "latest", "actuelle", "courante") and versions:
        return versions[-1]
    exact = [v for v in versions if v.label == label]
    if exact:
        return exact[0]
    prefix = [v for v in versions if v.label.startswith(label)]
    if len(prefix) == 1:
        return prefix[0]
    have = ", ".join(v.label for v in versions) or "none"
    what = "matches several versions" if prefix else "is not a stored version"
    doc = versions[0].document if versions else "the document"
    raise VersionError(f"{label!r} {what} of {doc} (versions: {have})")


def version_on_or_before(versions: Sequence[VersionRecord], when: str) -> VersionRecord | None:
    """The latest version labelled on or before the date label `when` (a year covers its whole year:
    "since 2021" compares from the version of 2021); None when every version is later or undated."""
    end = label_end(when)
    dated = [v for v in versions if label_end(v.label) and v.label[: len(end)] <= end]
    return max(dated, key=lambda v: label_key(v.label)) if dated else None


def pick_pair(store: Any, document: str, old: str | None = None, new: str | None = None) -> VersionPair:
    """The versions to compare: the labels given, else the two latest (new defaults to the current one,
    old to the version before new). VersionError when there is no such version or only one is kept."""
    versions = store.versions(document)
    if not versions:
        raise VersionError(f"{document} is not in the store")
    n = pick_version(versions, new) if new else versions[-1]
    if old:
        o = pick_version(versions, old)
    else:
        before = [v for v in versions if versions.index(v) < versions.index(n)]
        if not before:
            only = "only one version is kept" if len(versions) == 1 else f"no version before {n.label}"
            raise VersionError(
                f"{document}: {only} (versions: {', '.join(v.label for v in versions)}); nothing to compare"
            )
        o = before[-1]
    return VersionPair(document, o, n)


def diff_versions(
    store: Any,
    pair: VersionPair,
    topics: Mapping[str, Sequence[str]] | None = None,
    chunking: ChunkSettings | None = None,
) -> DiffResult:
    """The comparison of two stored versions, their texts read from the store (each side's masks picked
    by the file it came from). Kept in memory for the next ask of the same pair."""
    key = (pair.document, pair.old.sha256, pair.new.sha256, repr(sorted((topics or {}).items())))
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    sides = []
    for v in (pair.old, pair.new):
        text = store.version_text(pair.document, v.label)
        sides.append(
            (
                prepare(v.source or pair.document, text, chunking),
                VersionInfo(pair.document, v.label, len(text)),
            )
        )
    (old, old_info), (new, new_info) = sides
    result = DiffResult(old_info, new_info, tuple(diff_prepared(old, new, topics)))
    _CACHE[key] = result
    while len(_CACHE) > DIFF_CACHE_ENTRIES:
        _CACHE.popitem(last=False)
    return result
