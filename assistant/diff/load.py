"""A version read from a file: decoded exactly as ingest decodes it (so offsets index the same text), and
labelled by a date in its file name, else by its own "Last updated" line, else by the file's date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from assistant.figures import parse_figures
from ingest.loaders import LoadError, load_bytes

# "Last updated", "Effective date", "Dernière mise à jour", "Mis à jour le", "En vigueur le"... and what follows
_UPDATED = re.compile(
    r"(?:last\s+(?:updated|modified|revised)|effective(?:\s+date|\s+as\s+of)?|revision|"
    r"derni[eè]re\s+(?:mise\s+[aà]\s+jour|modification)|mis(?:e)?\s+[aà]\s+jour\s+le|en\s+vigueur\s+(?:le|au))"
    r"[^\n]{0,80}",
    re.I,
)
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?:-(\d{2}))?(?!\d)")
HEAD_CHARS = 4000  # the date line of a document stands near its top


@dataclass(frozen=True)
class Version:
    path: Path
    text: str
    label: str


def _name_date(name: str) -> str | None:
    """YYYY-MM-DD or YYYY-MM from a file name (the last valid one)."""
    found = None
    for m in _NAME_DATE.finditer(name):
        y, mo, d = (int(g) if g else None for g in m.groups())
        assert y is not None and mo is not None
        try:
            date(y, mo, d or 1)
        except ValueError:
            continue
        found = m.group(0)
    return found


def stated_date(text: str) -> str | None:
    """The date of the document's own "Last updated" (or "Dernière mise à jour") line, as YYYY-MM-DD, or
    YYYY-MM when it names only a month."""
    for m in _UPDATED.finditer(text[:HEAD_CHARS]):
        for f in parse_figures(m.group()):
            if f.kind == "date" and f.unit in ("date", "month_date"):
                d = date.fromordinal(int(f.value))
                return d.isoformat() if f.unit == "date" else d.isoformat()[:7]
    return None


def version_label(path: Path, text: str) -> str:
    """A date in the file name, else the document's stated date, else the file's modification date."""
    return _name_date(path.name) or stated_date(text) or date.fromtimestamp(path.stat().st_mtime).isoformat()


def read_version(path: Path) -> Version:
    """Decode a file as ingest does; LoadError (with a one-line reason) when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read the file ({exc.strerror or exc})") from exc
    text = load_bytes(data, path.suffix)
    return Version(path, text, version_label(path, text))
