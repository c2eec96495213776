"""Pure pieces of the Changes view (ui/changes.py): a document's versions as a timeline, the default pair,
filters by kind and grid topic, counts, where each change opens in the document viewer, and a change's
redline as escaped HTML. No Streamlit import: unit-tested alone.

Document text is untrusted: every piece is html.escape'd before markup is added. Deletions and insertions
are marked in the text itself ([-deleted-] {+inserted+}, the markers of `python -m assistant diff --md`)
around <del>/<ins> (struck through, underlined), so the redline reads without colour and survives a copy.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath

from assistant.diff.changes import KINDS, Change, Redline
from ui.render import TEXT_STYLE, escape_markdown
from vectorstore.versions import VersionRecord

DEL_OPEN, DEL_CLOSE = "[-", "-]"
INS_OPEN, INS_CLOSE = "{+", "+}"
LEGEND = (
    f"Redline: {DEL_OPEN}deleted{DEL_CLOSE} is struck through, {INS_OPEN}inserted{INS_CLOSE} is "
    "underlined; the markers are part of the text."
)
# the markers sit outside the struck-through / underlined text so that the line never hides them
DEL_STYLE = "background: #fde2e2; padding: 0 1px; border-radius: 2px;"
INS_STYLE = "background: #d9f2e1; padding: 0 1px; border-radius: 2px; font-weight: 600;"
MARKER_STYLE = "font-weight: 700;"
STOP_STYLE = "display: inline-block; padding: 2px 8px; border: 1px solid #bbb; border-radius: 12px;"
PICKED_STYLE = STOP_STYLE + " border: 2px solid #333; font-weight: 600;"


# ----------------------------------------------------------------------------- versions


@dataclass(frozen=True)
class Stop:
    """One version on the timeline: its label, whether it is the current one, and its role in the pair."""

    label: str
    current: bool
    role: str  # "from", "to" or ""
    ingested_at: str = ""

    def text(self) -> str:
        """The stop as plain words: '2023-01-10 (current, to)'."""
        notes = [n for n in ("current" if self.current else "", self.role) if n]
        return self.label + (f" ({', '.join(notes)})" if notes else "")


def timeline(versions: Sequence[VersionRecord], old: str = "", new: str = "") -> list[Stop]:
    """The versions oldest first (as the store orders them, the current one last), `old` marked "from" and
    `new` marked "to"."""
    return [
        Stop(v.label, v.current, "from" if v.label == old else "to" if v.label == new else "", v.ingested_at)
        for v in versions
    ]


def timeline_html(stops: Sequence[Stop]) -> str:
    """The timeline as an escaped ordered list; roles and 'current' are written, not only styled."""
    items = []
    for i, s in enumerate(stops):
        arrow = '<span aria-hidden="true"> → </span>' if i else ""
        style = PICKED_STYLE if s.role else STOP_STYLE
        items.append(
            f'<li style="display: inline;">{arrow}<span style="{style}">{html.escape(s.text())}</span></li>'
        )
    return (
        '<ol class="cqa-timeline" aria-label="Versions, oldest first" '
        'style="list-style: none; padding: 0; margin: 0; line-height: 2;">' + "".join(items) + "</ol>"
    )


def default_pair(versions: Sequence[VersionRecord]) -> tuple[str, str] | None:
    """The labels of the two latest versions (previous, current); None when fewer than two are kept."""
    return (versions[-2].label, versions[-1].label) if len(versions) >= 2 else None


def version_document(v: VersionRecord) -> str:
    """The id the document viewer reads a version by: the document itself for the current version, else
    `document@label`."""
    return v.document if v.current else v.ref


# ----------------------------------------------------------------------------- changes


def kinds_of(c: Change) -> set[str]:
    """The kinds a change counts as for the filter: its own, and "moved" for a changed sentence that moved."""
    return {c.kind, "moved"} if c.moved else {c.kind}


def filter_changes(
    changes: Iterable[Change], kinds: Collection[str] = (), topics: Collection[str] = ()
) -> list[Change]:
    """The changes of any of `kinds` touching any of `topics` (an empty selection keeps everything)."""
    return [
        c
        for c in changes
        if (not kinds or kinds_of(c) & set(kinds)) and (not topics or set(c.topics) & set(topics))
    ]


def counts(changes: Iterable[Change]) -> dict[str, int]:
    """Changes per kind, every kind listed (zeros included), in the spec's order."""
    n = Counter(c.kind for c in changes)
    return {k: n[k] for k in KINDS}


def summary_line(changes: Sequence[Change]) -> str:
    """'6 changes: 3 changed, 3 added, 0 removed, 0 moved'."""
    per = ", ".join(f"{v} {k}" for k, v in counts(changes).items())
    return f"{len(changes)} change{'s' if len(changes) != 1 else ''}: {per}"


def figures_line(c: Change) -> str:
    """The figures whose value or unit changed: 'thirty (30) days → fourteen (14) days'; '' when none."""
    return "; ".join(f"{f.old or '—'} → {f.new or '—'}" for f in c.figures)


def section_of(c: Change) -> str:
    side = c.new or c.old
    return side.section if side else ""


def topic_labels(c: Change, labels: Mapping[str, str]) -> list[str]:
    """The change's grid topics by their labels (the key, spaced, for a topic the file no longer has)."""
    return [labels.get(k, k.replace("_", " ")) for k in c.topics]


def segments(c: Change) -> Redline:
    """The change as redline pieces: its word redline, else the whole added (+) or removed (-) quote, else
    the moved sentence unchanged (=)."""
    if c.redline:
        return c.redline
    if c.kind == "added" and c.new:
        return (("+", c.new.quote),)
    if c.kind == "removed" and c.old:
        return (("-", c.old.quote),)
    side = c.new or c.old
    return (("=", side.quote),) if side else ()


def redline_html(pieces: Redline, css_class: str = "cqa-redline") -> str:
    """Redline pieces escaped inside a pre-wrap <div>: a deletion as [-text-] with the text in <del> (struck
    through), an insertion as {+text+} with the text in <ins> (underlined), the rest as is."""

    def marked(tag: str, style: str, line: str, opening: str, closing: str, text: str) -> str:
        mark = f'<span style="{MARKER_STYLE}">{{}}</span>'
        return (
            f'<span class="cqa-{tag}" style="{style}">{mark.format(html.escape(opening))}'
            f'<{tag} style="text-decoration: {line}; color: inherit;">{html.escape(text)}</{tag}>'
            f"{mark.format(html.escape(closing))}</span>"
        )

    out = []
    for kind, text in pieces:
        if kind == "-":
            out.append(marked("del", DEL_STYLE, "line-through", DEL_OPEN, DEL_CLOSE, text))
        elif kind == "+":
            out.append(marked("ins", INS_STYLE, "underline", INS_OPEN, INS_CLOSE, text))
        else:
            out.append(html.escape(text))
    return f'<div class="{html.escape(css_class, quote=True)}" style="{TEXT_STYLE}">{"".join(out)}</div>'


@dataclass(frozen=True)
class Target:
    """Where a change opens in the document viewer: a version's text and the quote's offsets in it."""

    document: str  # the document, or `document@label` for a past version
    start: int
    end: int
    label: str  # the version's label, for the button


def targets(c: Change, old: VersionRecord, new: VersionRecord) -> list[Target]:
    """The change's quote in the newer version (when it has one), then in the older one (when it has one)."""
    out = []
    if c.new is not None:
        out.append(Target(version_document(new), c.new.start, c.new.end, new.label))
    if c.old is not None:
        out.append(Target(version_document(old), c.old.start, c.old.end, old.label))
    return out


def no_versions_text(vendor_name: str, documents: Sequence[str]) -> str:
    """What the view says for a vendor with no earlier version of any document, and how to add one (safe
    Markdown: the names are escaped, the file names in code spans)."""
    example = PurePath(documents[0]) if documents else PurePath("vendor/terms.md")
    dated = f"{example.stem}-YYYY-MM-DD{example.suffix}".replace("`", "")
    plain = example.name.replace("`", "")
    return (
        f"No earlier version of {escape_markdown(vendor_name)}'s documents is kept, so there is nothing to "
        f"compare yet. To add one: put the older text beside the document under a dated name (`{dated}` "
        f"next to `{plain}`, or in a `history/` folder) and re-ingest; or upload the new version under the "
        "same file name from the sidebar's *Add a document*: the replaced text is kept as the previous "
        "version."
    )
