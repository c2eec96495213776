"""Adding and removing corpus files from the page: strict file-name and vendor-slug checks, atomic
writes under settings.corpus_dir/<slug>/, and nothing ever written or deleted outside the corpus."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

import yaml

from core.text import slug

ALLOWED_TYPES: tuple[str, ...] = ("txt", "md", "html", "htm", "pdf", "docx")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_NAME_OK = re.compile(r"^[\w .()+,@'-]+$", re.UNICODE)


class UploadError(ValueError):
    """An upload or removal refused, with a one-line reason for the user."""


def safe_filename(name: str, allowed: tuple[str, ...] = ALLOWED_TYPES) -> str:
    """Return the name if it is a plain file name of an allowed type, else raise UploadError.

    Refused: path separators, "..", absolute or drive paths, hidden names, control characters."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name:
        raise UploadError("empty file name")
    if "/" in name or "\\" in name or ".." in name or name.startswith("~") or ":" in name:
        raise UploadError(f"file name must not contain a path: {name!r}")
    if os.path.isabs(name) or name.startswith("."):
        raise UploadError(f"file name must be a plain, visible name: {name!r}")
    if any(unicodedata.category(ch).startswith("C") for ch in name) or not _NAME_OK.match(name):
        raise UploadError(f"file name has characters that are not allowed: {name!r}")
    if len(name.encode("utf-8")) > 200:
        raise UploadError("file name too long")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in allowed:
        raise UploadError(f"unsupported type {ext or '(none)'!r}: use one of {', '.join(allowed)}")
    return name


def slugify(text: str) -> str:
    """A vendor slug from a display name: ASCII lowercase words joined by '-'."""
    return slug(text, limit=63)


def safe_slug(slug: str) -> str:
    """Return the slug if it is a valid vendor folder name (a-z, 0-9, '-'), else raise UploadError."""
    slug = (slug or "").strip()
    if not _SLUG.match(slug):
        raise UploadError(f"vendor slug must be lowercase letters, digits and '-': {slug!r}")
    return slug


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def save_upload(
    corpus_dir: Path, slug: str, filename: str, data: bytes, max_bytes: int, vendor_name: str | None = None
) -> Path:
    """Write an uploaded document into corpus_dir/<slug>/<filename> (atomically) and return its path.

    A new vendor folder gets a vendor.yaml with its display name. Overwriting an existing document is
    allowed (it becomes a new version on the next ingest)."""
    slug = safe_slug(slug)
    filename = safe_filename(filename)
    if not data:
        raise UploadError("the file is empty")
    if len(data) > max_bytes:
        raise UploadError(f"file too large: {len(data) / 1e6:.1f} MB > {max_bytes / 1e6:.1f} MB")
    root = Path(corpus_dir)
    folder = root / slug
    target = folder / filename
    if not _inside(root, target):
        raise UploadError("refusing to write outside the corpus folder")
    folder.mkdir(parents=True, exist_ok=True)
    meta = folder / "vendor.yaml"
    if not meta.exists():
        name = (vendor_name or "").strip() or slug
        meta.write_text(yaml.safe_dump({"name": name}, allow_unicode=True), encoding="utf-8")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def remove_document(corpus_dir: Path, document: str) -> Path:
    """Delete corpus_dir/<document> (a 'vendor/file' path as the store names it); return the path."""
    parts = document.split("/")
    if (
        len(parts) != 2
        or ".." in document
        or "\\" in document
        or any(not p or p.startswith(".") for p in parts)
    ):
        raise UploadError(f"not a corpus document path: {document!r}")
    root = Path(corpus_dir)
    path = root / parts[0] / parts[1]
    if not _inside(root, path) or path.is_symlink() or not path.is_file():
        raise UploadError(f"no such document file: {document}")
    path.unlink()
    return path
