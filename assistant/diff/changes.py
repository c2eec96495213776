"""Change records of a comparison (the `diff --json` shape of ../shared/spec/interfaces.md): verbatim quotes
at their offsets in each version, a word-level redline of changed sentences, the figures whose value or
unit changed, and the review-grid topics a change touches."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.diff.align import opcodes, readable
from assistant.diff.sentences import RawChange, UnitRange, sentence_changes
from assistant.diff.view import Prepared, prepare
from assistant.figures import Figure, parse_figures, same_figure
from core.settings import ChunkSettings
from core.text import fold

KINDS = ("changed", "added", "removed", "moved")
_WORDS = re.compile(r"\w+")
Redline = tuple[tuple[str, str], ...]  # ("=", same) ("-", deleted) ("+", inserted), verbatim


@dataclass(frozen=True)
class Side:
    """One version's side of a change: `document_text[start:end] == quote`."""

    quote: str
    start: int
    end: int
    section: str

    def to_json(self) -> dict[str, Any]:
        return {"quote": self.quote, "start": self.start, "end": self.end, "section": self.section}


@dataclass(frozen=True)
class FigureChange:
    """A figure whose value or unit differs (None on the side that has no such figure)."""

    old: str | None
    new: str | None

    def to_json(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new}


@dataclass(frozen=True)
class Change:
    """One change; `moved` marks a changed sentence that also moved to another clause."""

    kind: str
    old: Side | None
    new: Side | None
    redline: Redline = ()
    figures: tuple[FigureChange, ...] = ()
    topics: tuple[str, ...] = ()
    moved: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "old": self.old.to_json() if self.old else None,
            "new": self.new.to_json() if self.new else None,
            "figures": [f.to_json() for f in self.figures],
            "topics": list(self.topics),
        }
        if self.redline:
            out["redline"] = [list(seg) for seg in self.redline]
        if self.moved:
            out["moved"] = True
        return out


@dataclass(frozen=True)
class VersionInfo:
    document: str
    version: str
    chars: int

    def to_json(self) -> dict[str, Any]:
        return {"document": self.document, "version": self.version, "chars": self.chars}


@dataclass(frozen=True)
class DiffResult:
    old: VersionInfo
    new: VersionInfo
    changes: tuple[Change, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.old.to_json(),
            "new": self.new.to_json(),
            "changes": [c.to_json() for c in self.changes],
        }


# ------------------------------------------------------------------------------------------ redline
def redline(old: Prepared, new: Prepared, old_units: UnitRange, new_units: UnitRange) -> Redline:
    """Word-level edits from the old sentence(s) to the new: joined, the "=" and "+" pieces are the new
    quote verbatim; each "-" piece is verbatim old text."""
    ot = old.tokens[old.units[old_units[0]][0] : old.units[old_units[1]][1]]
    nt = new.tokens[new.units[new_units[0]][0] : new.units[new_units[1]][1]]
    ops = readable(opcodes([t.norm for t in ot], [t.norm for t in nt]), ot, nt)
    segs: list[tuple[str, str]] = []
    pos = nt[0].start
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            nxt = ops[k + 1] if k + 1 < len(ops) else None
            if nxt is None:
                end = nt[-1].end
            else:
                end = nt[nxt[3]].start if nxt[4] > nxt[3] else nt[j2 - 1].end
            segs.append(("=", new.text[pos:end]))
            pos = end
            continue
        if i2 > i1:
            segs.append(("-", old.text[ot[i1].start : ot[i2 - 1].end]))
        if j2 > j1:
            if nt[j1].start > pos:
                segs.append(("=", new.text[pos : nt[j1].start]))
            segs.append(("+", new.text[nt[j1].start : nt[j2 - 1].end]))
            pos = nt[j2 - 1].end
    return tuple(s for s in segs if s[1])


# ------------------------------------------------------------------------------------------ figures
def _bare(f: Figure) -> bool:
    """A number with no unit: a section or item number, a reference ("2016/679"), a name ("37signals")."""
    return f.kind == "count" and f.unit in ("", "id")


def figure_changes(old_quote: str, new_quote: str) -> tuple[FigureChange, ...]:
    """Figures of one quote that the other does not state (by value and unit, assistant.figures), paired
    by kind in order: "thirty (30) days" -> "fourteen (14) days". Bare numbers are left out."""
    fo = [f for f in parse_figures(old_quote) if not _bare(f)]
    fn = [g for g in parse_figures(new_quote) if not _bare(g)]
    lone_o = [f for f in fo if not any(same_figure(f, g) for g in fn)]
    lone_n = [g for g in fn if not any(same_figure(f, g) for f in fo)]
    out: list[FigureChange] = []
    for f in lone_o:
        g = next((g for g in lone_n if g.kind == f.kind), None)
        if g is not None:
            lone_n.remove(g)
        out.append(FigureChange(f.surface, g.surface if g else None))
    out.extend(FigureChange(None, g.surface) for g in lone_n)
    return tuple(out)


# ------------------------------------------------------------------------------------------- topics
def _folded(text: str) -> str:
    return f" {fold(' '.join(text.split()), apostrophes=True)} "


class TopicMatcher:
    """Review-grid topics by their keywords (either language), matched at word starts on accent-folded,
    lower-cased text as the grid's chat routing does ("heberg" finds "hébergement")."""

    def __init__(self, topics: Mapping[str, Sequence[str]] | None) -> None:
        self.patterns = {
            key: re.compile(
                "|".join(rf"(?<![a-z]){re.escape(_folded(w).strip())}" for w in words if w.strip())
            )
            for key, words in (topics or {}).items()
            if any(w.strip() for w in words)
        }

    def __call__(self, *texts: str) -> tuple[str, ...]:
        if not self.patterns:
            return ()
        folded = _folded(" ".join(texts))
        return tuple(key for key, rx in self.patterns.items() if rx.search(folded))


# -------------------------------------------------------------------------------------------- build
def _side(doc: Prepared, units: UnitRange | None) -> Side | None:
    if units is None:
        return None
    start, end = doc.span(*units)
    return Side(doc.text[start:end], start, end, doc.section_of(units[0]))


def build_change(old: Prepared, new: Prepared, raw: RawChange, topics: TopicMatcher) -> Change:
    o, n = _side(old, raw.old), _side(new, raw.new)
    quotes = [s.quote for s in (o, n) if s is not None]
    if raw.kind != "changed" or o is None or n is None:
        return Change(raw.kind, o, n, topics=topics(*quotes))
    assert raw.old is not None and raw.new is not None
    return Change(
        "changed",
        o,
        n,
        redline=redline(old, new, raw.old, raw.new),
        figures=figure_changes(o.quote, n.quote),
        topics=topics(*quotes),
        moved=raw.moved,
    )


def diff_prepared(
    old: Prepared, new: Prepared, topics: Mapping[str, Sequence[str]] | None = None
) -> list[Change]:
    """Changes between two prepared versions, in the new version's order. Versions whose words are the same
    in the same order say the same thing, however their lines are cut (a reflowed or re-exported copy that
    moves a heading onto the line of the sentence before it): no change."""
    if _WORDS.findall(old.text) == _WORDS.findall(new.text):
        return []
    match = TopicMatcher(topics)
    return [build_change(old, new, raw, match) for raw in sentence_changes(old, new)]


def diff_texts(
    old_text: str,
    new_text: str,
    *,
    old_name: str = "old.txt",
    new_name: str = "new.txt",
    old_version: str = "",
    new_version: str = "",
    topics: Mapping[str, Sequence[str]] | None = None,
    chunking: ChunkSettings | None = None,
) -> DiffResult:
    """Compare two decoded versions of a document clause by clause, then sentence by sentence. A name's
    suffix says what to ignore (Markdown markup for text files, page furniture for PDFs); `topics` maps
    review-grid topic keys to their keywords."""
    old = prepare(old_name, old_text, chunking)
    new = prepare(new_name, new_text, chunking)
    return DiffResult(
        VersionInfo(old_name, old_version, len(old_text)),
        VersionInfo(new_name, new_version, len(new_text)),
        tuple(diff_prepared(old, new, topics)),
    )
