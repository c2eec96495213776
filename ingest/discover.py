"""The corpus folder: one folder per vendor (its optional vendor.yaml says the vendor's name, language,
aliases and which files are versions of which document) holding the contract files to ingest; and how
files group into documents with their versions (`group_versions`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.versions import label_key, name_label, split_name
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
    # vendor.yaml's `versions:`: (document, ((earlier version's file, label or ""), ...)), paths inside the
    # vendor folder
    versions: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()


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
            versions=_versions_entry(info.get("versions"), f),
        )
    return out


def _versions_entry(raw: Any, source: Path) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """vendor.yaml's `versions:` mapping: {document: [file, {path: file, label: "2020"}, ...]}; malformed
    entries are logged and left out."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        log.warning("%s: `versions` must map a document to its earlier versions' files; ignored", source)
        return ()
    out: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for doc, members in raw.items():
        items: list[tuple[str, str]] = []
        for m in members if isinstance(members, list) else [members]:
            if isinstance(m, str):
                items.append((m.strip("/"), ""))
            elif isinstance(m, dict) and isinstance(m.get("path"), str):
                items.append((m["path"].strip("/"), str(m.get("label") or "")))
            else:
                log.warning(
                    "%s: versions of %s: entry %r is neither a path nor {path, label}", source, doc, m
                )
        out.append((str(doc).strip("/"), tuple(items)))
    return tuple(out)


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


@dataclass(frozen=True)
class VersionFile:
    """A file holding an earlier version of a document: its corpus path, and its label from vendor.yaml or
    its file name ("" when neither gives one: the text's own date or the ingest date is used)."""

    document: str
    path: Path
    label: str = ""


@dataclass
class DocGroup:
    """A document (its current file and that file's name label) and the files of its earlier versions."""

    document: str
    path: Path
    label: str = ""
    history: list[VersionFile] = field(default_factory=list)


def group_versions(
    files: Sequence[tuple[str, Path]], vendors: dict[str, VendorInfo], report: IngestReport
) -> list[DocGroup]:
    """Files grouped into documents with their versions. vendor.yaml's `versions:` first; then a file whose
    name ends in a date or version ("terms-2021-09-27.md", "dpa-2020-07.pdf", "cgv-v2.txt") is a version of
    the file with the same name undated (same folder first, else the only such file of the vendor); dated
    files of one name with no undated file are one document whose latest label is the current version."""
    paths = dict(files)
    by_vendor: dict[str, list[str]] = {}
    for doc in paths:
        by_vendor.setdefault(doc.split("/", 1)[0], []).append(doc)
    groups: dict[str, DocGroup] = {}
    for slug, docs in by_vendor.items():
        claimed: set[str] = set()
        for head, members in vendor_info(vendors, f"{slug}/").versions:
            doc = f"{slug}/{head}"
            if doc not in paths:
                report.add(doc, "skipped", "named in vendor.yaml `versions` but not found")
                continue
            g = groups.setdefault(doc, DocGroup(doc, paths[doc], name_label(Path(doc).name)))
            claimed.add(doc)
            for rel, label in members:
                m = f"{slug}/{rel}"
                if m not in paths or m in claimed:
                    report.add(m, "skipped", f"listed as a version of {doc} in vendor.yaml but not found")
                    continue
                g.history.append(VersionFile(m, paths[m], label or name_label(Path(m).name)))
                claimed.add(m)
        _group_by_name([d for d in docs if d not in claimed], paths, groups)
    return sorted(groups.values(), key=lambda g: g.document)


def _group_by_name(docs: list[str], paths: dict[str, Path], groups: dict[str, DocGroup]) -> None:
    """The name rule of `group_versions` for one vendor's unclaimed files (added to `groups`)."""
    parsed = {d: (d.rsplit("/", 1)[0], *split_name(d.rsplit("/", 1)[1])) for d in docs}
    undated = {(folder, base): d for d, (folder, base, label) in parsed.items() if not label}
    heads = {
        (g.document.rsplit("/", 1)[0], split_name(Path(g.document).name)[0]): g.document
        for g in groups.values()
    }
    by_base: dict[str, list[str]] = {}
    for (_, base), d in {**heads, **undated}.items():
        by_base.setdefault(base, []).append(d)
    clusters: dict[tuple[str, str], list[str]] = {}
    for d, (folder, base, label) in parsed.items():
        if not label:
            groups.setdefault(d, DocGroup(d, paths[d], name_label(Path(d).name)))
            continue
        target = undated.get((folder, base)) or heads.get((folder, base))
        if target is None and len(by_base.get(base, [])) == 1:
            target = by_base[base][0]
        if target is None:
            clusters.setdefault((folder, base), []).append(d)
            continue
        groups.setdefault(
            target, DocGroup(target, paths[target], name_label(Path(target).name))
        ).history.append(VersionFile(d, paths[d], label))
    for members in clusters.values():
        members.sort(key=lambda d: label_key(parsed[d][2]))
        head = members[-1]
        groups[head] = DocGroup(
            head, paths[head], parsed[head][2], [VersionFile(d, paths[d], parsed[d][2]) for d in members[:-1]]
        )
