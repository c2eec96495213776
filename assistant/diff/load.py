"""A version read from a file: decoded exactly as ingest decodes it (so offsets index the same text), and
labelled by ingest's rule (core/versions.py: a date or version suffix in its file name, else its own
"Last updated" line), else by the file's date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.versions import stated_date, version_label
from ingest.loaders import LoadError, load_bytes

__all__ = ["Version", "read_version", "stated_date", "version_label_of"]


@dataclass(frozen=True)
class Version:
    path: Path
    text: str
    label: str


def version_label_of(path: Path, text: str) -> str:
    """A date or version in the file name, else the document's stated date, else the file's modification
    date."""
    return version_label(path.name, text, "") or date.fromtimestamp(path.stat().st_mtime).isoformat()


def read_version(path: Path) -> Version:
    """Decode a file as ingest does; LoadError (with a one-line reason) when it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read the file ({exc.strerror or exc})") from exc
    text = load_bytes(data, path.suffix)
    return Version(path, text, version_label_of(path, text))
