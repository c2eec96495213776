"""Gold Q&A sets (JSON Lines, schema in ../shared/spec/interfaces.md): loading, validation, filters."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


class GoldError(ValueError):
    """A gold file that does not follow the schema."""


def _check(item: Mapping[str, Any], where: str) -> None:
    for key in ("id", "question"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise GoldError(f"{where}: '{key}' must be a non-empty string")
    if not isinstance(item.get("vendors", []), list):
        raise GoldError(f"{where}: 'vendors' must be a list")
    for ev in item.get("evidence") or []:
        if not isinstance(ev, dict) or not ev.get("document") or not isinstance(ev.get("quote"), str):
            raise GoldError(f"{where}: each evidence needs 'document' and a verbatim 'quote'")
    must = item.get("must_include") or []
    if not isinstance(must, list) or any(not isinstance(g, list | str) for g in must):
        raise GoldError(f"{where}: 'must_include' must be a list of groups (lists of strings)")


def parse_gold(lines: Sequence[str], source: str = "<gold>") -> list[dict[str, Any]]:
    """Gold items from JSON Lines text (blank lines skipped); ids must be unique."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldError(f"{source}:{n}: invalid JSON ({exc.msg})") from exc
        if not isinstance(item, dict):
            raise GoldError(f"{source}:{n}: expected a JSON object")
        _check(item, f"{source}:{n}")
        if item["id"] in seen:
            raise GoldError(f"{source}:{n}: duplicate id {item['id']!r}")
        seen.add(item["id"])
        item.setdefault("vendors", [])
        item.setdefault("answerable", True)
        item.setdefault("must_include", [])
        item.setdefault("must_not_include", [])
        item.setdefault("evidence", [])
        items.append(item)
    return items


def load_gold(path: str | Path) -> list[dict[str, Any]]:
    """Read and validate a gold JSONL file."""
    p = Path(path)
    return parse_gold(p.read_text(encoding="utf-8").splitlines(), source=str(p))


def item_language(item: Mapping[str, Any]) -> str:
    return str(item.get("lang") or "?")


def item_vendors(item: Mapping[str, Any]) -> list[str]:
    return list(item.get("vendors") or []) or ["(none)"]


def parse_filters(specs: Sequence[str]) -> dict[str, set[str]]:
    """`lang=fr`, `vendor=a,b` -> {"lang": {"fr"}, "vendor": {"a", "b"}} (repeated keys add values)."""
    out: dict[str, set[str]] = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        key = key.strip().lower()
        if not sep or key not in {"lang", "vendor", "id", "answerable"} or not value.strip():
            raise GoldError(f"bad --filter {spec!r}: use lang=fr, vendor=SLUG, id=ID or answerable=true|false")
        out.setdefault(key, set()).update(v.strip() for v in value.split(",") if v.strip())
    return out


def apply_filters(items: Sequence[dict[str, Any]], filters: Mapping[str, set[str]],
                  limit: int | None = None, sample: int | None = None, seed: int = 0) -> list[dict[str, Any]]:
    """Items that match every filter (any value of each), then a seeded random `sample` of them (kept in
    file order, so every vendor and language can appear), then the first `limit`."""
    out = []
    for it in items:
        if "lang" in filters and item_language(it) not in filters["lang"]:
            continue
        if "vendor" in filters and not filters["vendor"] & set(it.get("vendors") or []):
            continue
        if "id" in filters and it["id"] not in filters["id"]:
            continue
        if "answerable" in filters and str(bool(it.get("answerable", True))).lower() not in {
                v.lower() for v in filters["answerable"]}:
            continue
        out.append(it)
    if sample is not None and sample < len(out):
        keep = set(random.Random(seed).sample(range(len(out)), sample))
        out = [it for i, it in enumerate(out) if i in keep]
    return out[:limit] if limit is not None else out
