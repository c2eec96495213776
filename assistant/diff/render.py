"""The comparison as a readable Markdown report: each change with its kind, section and offsets, changed
sentences as a redline marked without colour ([-deleted-]{+inserted+}), figures and topics."""

from __future__ import annotations

from collections import Counter

from assistant.diff.changes import KINDS, Change, DiffResult, Redline, Side

LEGEND = "Redline: `[-deleted-]` `{+inserted+}`; offsets index each version's decoded text."


def _flat(text: str) -> str:
    """Whitespace runs as single spaces (for display; quotes in the JSON stay verbatim)."""
    return " ".join(text.split()) if text.strip() else (" " if text else "")


def _spaced(text: str) -> str:
    """Whitespace runs as single spaces, keeping one at either end when there was any."""
    inner = " ".join(text.split())
    if not inner:
        return " " if text else ""
    return (" " if text[:1].isspace() else "") + inner + (" " if text[-1:].isspace() else "")


def redline_text(redline: Redline) -> str:
    """A redline as one line of text: [-deleted-]{+inserted+}, a space kept between words and marks."""
    out = ""
    for kind, text in redline:
        piece = _spaced(text)
        if kind == "=":
            if out and out[-1] in "]}" and piece[:1].isalnum():
                out += " "
            out += piece
            continue
        mark = f"[-{piece.strip()}-]" if kind == "-" else f"{{+{piece.strip()}+}}"
        if out and out[-1].isalnum():
            out += " "
        out += mark
    return out


def _where(side: Side) -> str:
    return f"{side.start}–{side.end}"


def _change_md(n: int, c: Change) -> list[str]:
    side = c.new or c.old
    section = side.section if side else ""
    title = f"### {n}. {c.kind}{' (and moved)' if c.moved else ''}"
    lines = [f"{title}: {section or '(no section)'}", ""]
    if c.old and c.new and c.old.section != c.new.section:
        lines += [f"Section before: {c.old.section or '(no section)'}", ""]
    if c.kind == "changed" and c.redline:
        lines += [f"> {redline_text(c.redline)}", "", f"Old {_where(c.old)}, new {_where(c.new)}."]  # type: ignore[arg-type]
    elif c.kind == "added" and c.new:
        lines += [f"> {{+{_flat(c.new.quote)}+}}", "", f"New {_where(c.new)}."]
    elif c.kind == "removed" and c.old:
        lines += [f"> [-{_flat(c.old.quote)}-]", "", f"Old {_where(c.old)}."]
    elif c.old and c.new:
        lines += [f"> {_flat(c.new.quote)}", "", f"Moved: old {_where(c.old)}, new {_where(c.new)}."]
    if c.figures:
        figs = "; ".join(f"{f.old or '—'} → {f.new or '—'}" for f in c.figures)
        lines.append(f"Figures: {figs}.")
    if c.topics:
        lines.append(f"Topics: {', '.join(c.topics)}.")
    return [*lines, ""]


def to_markdown(result: DiffResult) -> str:
    """The whole report: what was compared, counts by kind, then every change in the new version's order."""
    o, n = result.old, result.new
    lines = [f"# What changed: {o.document} ({o.version or '?'}) → {n.document} ({n.version or '?'})", ""]
    if not result.changes:
        return "\n".join([*lines, "No changes: the two versions say the same thing.", ""])
    counts = Counter(c.kind for c in result.changes)
    summary = ", ".join(f"{counts[k]} {k}" for k in KINDS if counts[k])
    lines += [f"{len(result.changes)} changes: {summary}.", "", LEGEND, ""]
    for i, c in enumerate(result.changes, 1):
        lines += _change_md(i, c)
    return "\n".join(lines)
