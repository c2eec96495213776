"""Gold Q&A sets (JSON Lines, schema in ../shared/spec/interfaces.md): loading, validation, filters."""

from __future__ import annotations

import collections
import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

SPLITS = ("dev", "test")
SPLIT_SEED = "cqa-gold-split-v1"


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
    if "split" in item and item["split"] not in SPLITS:
        raise GoldError(f"{where}: 'split' must be one of {', '.join(SPLITS)}, not {item['split']!r}")


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


GOLD_FILE = "gold_file"  # the key that names an item's gold file (its stem) in a run over several files


def load_golds(paths: Sequence[str | Path], tag_files: bool = False) -> list[dict[str, Any]]:
    """Read and validate several gold JSONL files as one set, in order; an id may appear in only one. With
    `tag_files`, each item names its file's stem under GOLD_FILE (a run's rows carry it, and its report
    breaks the metrics down by gold file)."""
    items: list[dict[str, Any]] = []
    where: dict[str, str] = {}
    for path in paths:
        for item in load_gold(path):
            if item["id"] in where:
                raise GoldError(f"{path}: id {item['id']!r} is also in {where[item['id']]}")
            where[item["id"]] = str(path)
            items.append({**item, GOLD_FILE: Path(path).stem} if tag_files else item)
    return items


def gold_label(paths: Sequence[str | Path]) -> str:
    """The gold file(s) of a run as one string (summary.json's config "gold"): the path, or the paths
    joined by " + "."""
    return " + ".join(str(p) for p in paths)


def item_kind(item: Mapping[str, Any]) -> str:
    """The item's answer kind: its `kind` (complete.md, basecamp.jsonl), else "unanswerable" for an item the
    documents do not answer, else "(none)"."""
    kind = str(item.get("kind") or "").strip()
    return kind or ("(none)" if item.get("answerable", True) else "unanswerable")


def item_language(item: Mapping[str, Any]) -> str:
    return str(item.get("lang") or "?")


def item_vendors(item: Mapping[str, Any]) -> list[str]:
    return list(item.get("vendors") or []) or ["(none)"]


def item_fold(item: Mapping[str, Any]) -> str | None:
    """The vendor whose leave-one-vendor-out fold holds the item: its only vendor; None for an item naming
    none or several (never held out)."""
    vendors = list(item.get("vendors") or [])
    return str(vendors[0]) if len(vendors) == 1 else None


def parse_filters(specs: Sequence[str]) -> dict[str, set[str]]:
    """`lang=fr`, `vendor=a,b` -> {"lang": {"fr"}, "vendor": {"a", "b"}} (repeated keys add values)."""
    out: dict[str, set[str]] = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        key = key.strip().lower()
        if not sep or key not in {"lang", "vendor", "id", "answerable"} or not value.strip():
            raise GoldError(
                f"bad --filter {spec!r}: use lang=fr, vendor=SLUG, id=ID or answerable=true|false"
            )
        out.setdefault(key, set()).update(v.strip() for v in value.split(",") if v.strip())
    return out


def apply_filters(
    items: Sequence[dict[str, Any]],
    filters: Mapping[str, set[str]],
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> list[dict[str, Any]]:
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
            v.lower() for v in filters["answerable"]
        }:
            continue
        out.append(it)
    if sample is not None and sample < len(out):
        keep = set(random.Random(seed).sample(range(len(out)), sample))
        out = [it for i, it in enumerate(out) if i in keep]
    return out[:limit] if limit is not None else out


# ------------------------------------------------------------------ dev / test split
def split_hash(item_id: str, seed: str = SPLIT_SEED) -> int:
    """A stable 64-bit hash of an item id under a seed (sha256, so it is the same on every machine)."""
    return int.from_bytes(hashlib.sha256(f"{seed}\x00{item_id}".encode()).digest()[:8], "big")


def split_stratum(item: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """What the split balances on: vendor (or "(several)" / "(none)"), language, kind, category.

    The kind is "comparison" (answerable, 2+ vendors), "answerable" or "unanswerable"."""
    vendors = list(item.get("vendors") or [])
    vendor = "(several)" if len(vendors) > 1 else (vendors[0] if vendors else "(none)")
    answerable = bool(item.get("answerable", True))
    kind = "unanswerable" if not answerable else "comparison" if len(vendors) > 1 else "answerable"
    return vendor, item_language(item), kind, str(item.get("category") or "-")


def _balance_keys(item: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The groups an item's split balances, finest first: its whole stratum, then each of its dimensions
    (category, kind, vendor, language), then the whole set."""
    vendor, lang, kind, category = stratum = split_stratum(item)
    return [
        ("stratum", *stratum),
        ("category", category),
        ("kind", kind),
        ("vendor", vendor),
        ("lang", lang),
        ("all",),
    ]


def assign_splits(items: Sequence[dict[str, Any]], seed: str = SPLIT_SEED) -> list[str]:
    """Give every item without a `split` one, in place; return the ids given one. An item's split never moves.

    New items are taken in (stratum, seeded hash of the id) order, and each goes to the split that holds
    fewer items of its stratum; on a tie, the one with fewer items summed over its category, kind, vendor,
    language and the whole set; on a full tie, the one its hash's low bit names. So the assignment is
    deterministic, every stratum stays within one item of 50/50 (each dimension and the whole set close to
    it), and adding items later places only the new ones."""
    counts: collections.Counter[tuple[tuple[str, ...], str]] = collections.Counter()
    for it in items:
        if it.get("split") in SPLITS:
            for key in _balance_keys(it):
                counts[key, it["split"]] += 1
    new = sorted(
        (it for it in items if "split" not in it),
        key=lambda it: (split_stratum(it), split_hash(str(it["id"]), seed)),
    )
    for it in new:
        keys, preferred = _balance_keys(it), SPLITS[split_hash(str(it["id"]), seed) & 1]
        choice = min(
            SPLITS,
            key=lambda s: (counts[keys[0], s], sum(counts[key, s] for key in keys[1:]), s != preferred),
        )
        it["split"] = choice
        for key in keys:
            counts[key, choice] += 1
    return [str(it["id"]) for it in new]


def select_split(items: Sequence[dict[str, Any]], split: str) -> list[dict[str, Any]]:
    """The items of `split` ("dev", "test"; "both" keeps every item that has a split). Every item must
    carry a split: a gold file without them is an error, not a silent on-the-fly split."""
    if split not in (*SPLITS, "both"):
        raise GoldError(f"unknown split {split!r}: use dev, test or both")
    missing = [str(it.get("id")) for it in items if it.get("split") not in SPLITS]
    if missing:
        raise GoldError(
            f"{len(missing)} gold item(s) have no 'split' (first: {missing[0]}); assign them with "
            "evals/gold/fill_offsets.py (the project set) or evals.dataset.assign_splits"
        )
    return [it for it in items if split == "both" or it["split"] == split]
