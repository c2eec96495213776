"""Changed-cell flags: whether the sentence a grid cell cites changed between the document's previous
version and its current one (assistant/diff over the stored versions), with the old and new quotes, for
the grid JSON's optional `changed_since` field of a cell:

    "changed_since": {"version": "2022-12-22", "current": "2023-01-10", "kind": "changed",
                      "old": "…thirty (30) days…", "new": "…fourteen (14) days…",
                      "old_document": "vendor/terms.md@2022-12-22", "old_start": 10, "old_end": 90,
                      "n": 1}

`old` is verbatim at `old_start:old_end` of the previous version's text (`old_document` reads it through
the store), `new` a verbatim slice of the current document; `kind` is changed, added (`old` is null) or
moved."""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from assistant.diff.stored import VersionPair, diff_versions
from vectorstore.versions import split_ref

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChangedSince:
    """How a cited passage of the current version differs from the previous version."""

    version: str  # the previous version's label
    current: str  # the current version's label
    kind: str  # changed | added | moved
    old: str | None
    new: str
    old_document: str
    old_start: int | None
    old_end: int | None
    n: int = 0  # the citation's number in its cell

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "current": self.current,
            "kind": self.kind,
            "old": self.old,
            "new": self.new,
            "old_document": self.old_document,
            "old_start": self.old_start,
            "old_end": self.old_end,
            "n": self.n,
        }


def _get(c: Any, key: str) -> Any:
    return c.get(key) if isinstance(c, Mapping) else getattr(c, key)


def citation_change(
    store: Any, citation: Any, pairs: dict[str, VersionPair | None] | None = None
) -> ChangedSince | None:
    """For a citation of a document's current version (a Citation or its JSON): the change of the diff
    between the previous and the current version whose new side overlaps the cited span; None when the
    document has one version kept, the citation names a past version, or its passage is unchanged."""
    document = str(_get(citation, "document"))
    if split_ref(document) is not None and store.document(document) is None:
        return None  # a citation of a past version: nothing newer to compare with here
    pairs = pairs if pairs is not None else {}
    if document not in pairs:
        vs = store.versions(document) if hasattr(store, "versions") else []
        pairs[document] = VersionPair(document, vs[-2], vs[-1]) if len(vs) >= 2 else None
    pair = pairs[document]
    if pair is None:
        return None
    start, end = int(_get(citation, "start")), int(_get(citation, "end"))
    for c in diff_versions(store, pair).changes:
        if c.new is None or c.new.end <= start or c.new.start >= end:
            continue
        return ChangedSince(
            version=pair.old.label,
            current=pair.new.label,
            kind=c.kind,
            old=c.old.quote if c.old else None,
            new=c.new.quote,
            old_document=pair.old.ref,
            old_start=c.old.start if c.old else None,
            old_end=c.old.end if c.old else None,
            n=int(_get(citation, "n") or 0),
        )
    return None


def flag_changed_cells(grid: MutableMapping[str, Any], store: Any) -> MutableMapping[str, Any]:
    """The grid JSON with `changed_since` on each cell one of whose citations changed since the previous
    version (the first such citation); cells of documents with one version kept are left as they are."""
    pairs: dict[str, VersionPair | None] = {}
    for row in grid.get("rows", []):
        for cell in (row.get("cells") or {}).values():
            if not isinstance(cell, dict) or cell.get("abstained"):
                continue
            for c in cell.get("citations") or []:
                try:
                    change = citation_change(store, c, pairs)
                except Exception:  # noqa: BLE001 - a flag is extra: never lose the grid over one
                    log.warning("changed-cell flag failed for %s", c.get("document"), exc_info=True)
                    change = None
                if change is not None:
                    cell["changed_since"] = change.to_json()
                    break
    return grid
