"""The corpus folder: one folder per vendor (its optional vendor.yaml says the vendor's name, language and
aliases) holding the contract files to ingest."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ingest.loaders import is_supported
from ingest.report import IngestReport

log = logging.getLogger(__name__)

# Not contracts, and not reported: the vendor's metadata, and a NOTICE (attribution of a licensed corpus)
IGNORED_NAMES = {"vendor.yaml", "vendor.yml", "NOTICE"}


@dataclass(frozen=True)
class VendorInfo:
    """What vendor.yaml says about a vendor (name defaults to the slug)."""

    name: str
    language: str | None = None
    aliases: tuple[str, ...] = ()


def load_corpus_vendors(corpus_dir: Path) -> dict[str, VendorInfo]:
    """slug -> VendorInfo for every vendor folder (vendor.yaml optional; bad YAML falls back to the slug)."""
    out: dict[str, VendorInfo] = {}
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        return out
    for d in sorted(p for p in corpus_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        info: dict[str, object] = {}
        f = d / "vendor.yaml"
        if f.is_file():
            try:
                loaded = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
                info = loaded if isinstance(loaded, dict) else {}
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                log.warning("%s unreadable (%s): using the folder name", f, exc)
        aliases: Any = info.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        lang = info.get("language")
        out[d.name] = VendorInfo(
            name=str(info.get("name") or d.name),
            language=str(lang) if lang else None,
            aliases=tuple(str(a) for a in aliases if a),
        )
    return out


def vendor_info(vendors: dict[str, VendorInfo], document: str) -> VendorInfo:
    """The VendorInfo of the vendor folder a document is in (its slug alone when it has no vendor.yaml)."""
    slug = document.split("/", 1)[0]
    return vendors.get(slug, VendorInfo(slug))


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def discover(
    corpus_dir: Path, paths: Sequence[str | Path] | None, report: IngestReport
) -> tuple[list[tuple[str, Path]], list[str]]:
    """(document, file) pairs to ingest under the given paths (default: the whole corpus), plus the
    document prefixes in scope (for pruning). Escaping paths and unsupported files are reported."""
    root = corpus_dir.resolve()
    targets: list[Path] = []
    scopes: list[str] = []
    for p in paths or [root]:
        cand = Path(p)
        if not cand.is_absolute():
            cand = (Path.cwd() / cand) if (Path.cwd() / cand).exists() else (root / cand)
        resolved = cand.resolve()
        if not _inside(resolved, root):
            report.add(str(p), "skipped", "outside the corpus directory")
            continue
        scope = resolved.relative_to(root).as_posix()
        scopes.append("" if scope == "." else scope)
        if not resolved.exists():
            report.add(scope, "skipped", "no such file or folder")
            continue
        targets.append(cand)
    found: dict[str, Path] = {}
    for t in targets:
        files = [t] if t.is_file() else sorted(q for q in t.rglob("*") if q.is_file() or q.is_symlink())
        for f in files:
            resolved = f.resolve()
            own = f.parent.resolve() / f.name  # where the entry itself (maybe a symlink) lives
            rel = own.relative_to(root).as_posix() if _inside(own, root) else None
            name = f.name
            if name in IGNORED_NAMES or any(part.startswith(".") for part in Path(rel or name).parts):
                continue
            if rel is None or not _inside(resolved, root):
                report.add(rel or str(f), "skipped", "symlink or path escapes the corpus directory")
                continue
            if "/" not in rel:
                report.add(rel, "skipped", "not inside a vendor folder")
                continue
            if not resolved.is_file():
                report.add(rel, "skipped", "not a regular file")
                continue
            if not is_supported(f):
                report.add(rel, "skipped", f"unsupported file type {f.suffix or '(no extension)'}")
                continue
            found.setdefault(rel, resolved)
    return sorted(found.items()), scopes
