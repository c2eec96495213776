"""The grid's cache: one SQLite row per cell, keyed by what the cell depends on (the vendor's document
versions, the topic question, the language, the prompt and answer engine's numbers, the model), so that
only what changed is recomputed and a crash loses nothing computed."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant import prompts

log = logging.getLogger(__name__)

CACHE_FILE = "review-cache.sqlite"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def vendor_fingerprint(store: Any, vendor: str) -> str:
    """sha256 over the vendor's current documents, their text sha256s and how they were split and embedded
    (the ingest fingerprint and clause count): changes with any document, and with a re-split of the same
    text (a new splitter, chunk size or embedder), whose clauses the cached cells no longer cite."""
    docs = sorted(
        f"{d.document}\t{d.sha256}\t{d.fingerprint}\t{d.n_clauses}"
        for d in store.documents()
        if d.vendor == vendor
    )
    return _sha("\n".join(docs))


@dataclass(frozen=True)
class CellKey:
    """What a cell depends on; its digest is the cache key."""

    vendor: str
    topic: str
    lang: str
    docs: str  # vendor_fingerprint
    question: str
    prompt: str
    model: str

    @property
    def digest(self) -> str:
        return _sha(
            json.dumps(
                [self.vendor, self.topic, self.lang, self.docs, self.question, self.prompt, self.model],
                ensure_ascii=False,
            )
        )


class ReviewCache:
    """Cells in an SQLite file (WAL; one transaction per cell, so a crash keeps every cell already written).
    Safe to share between threads and processes (one connection per call)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as con, con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(
                "CREATE TABLE IF NOT EXISTS cells (key TEXT PRIMARY KEY, vendor TEXT, topic TEXT, "
                "lang TEXT, docs TEXT, question TEXT, prompt TEXT, model TEXT, cell TEXT, "
                "computed_at TEXT)"
            )

    @classmethod
    def for_store(cls, store_dir: str | Path) -> ReviewCache:
        return cls(Path(store_dir) / CACHE_FILE)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def get_many(self, keys: Iterable[CellKey]) -> dict[str, dict[str, Any]]:
        """digest -> cell for the keys present."""
        digests = [k.digest for k in keys]
        out: dict[str, dict[str, Any]] = {}
        with closing(self._connect()) as con:
            for i in range(0, len(digests), 500):
                part = digests[i : i + 500]
                rows = con.execute(
                    f"SELECT key, cell FROM cells WHERE key IN ({','.join('?' * len(part))})", part
                ).fetchall()
                out.update({k: json.loads(c) for k, c in rows})
        return out

    def get(self, key: CellKey) -> dict[str, Any] | None:
        return self.get_many([key]).get(key.digest)

    def put(self, key: CellKey, cell: Mapping[str, Any]) -> None:
        """Write one cell (committed before returning)."""
        with closing(self._connect()) as con, con:
            con.execute(
                "INSERT OR REPLACE INTO cells VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    key.digest,
                    key.vendor,
                    key.topic,
                    key.lang,
                    key.docs,
                    key.question,
                    key.prompt,
                    key.model,
                    json.dumps(dict(cell), ensure_ascii=False),
                    dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                ),
            )

    def count(self) -> int:
        with closing(self._connect()) as con:
            return int(con.execute("SELECT COUNT(*) FROM cells").fetchone()[0])

    def last_prompt(self, model: str) -> str | None:
        """The prompt version of the newest cell computed with this model (a fallback for key lookups)."""
        with closing(self._connect()) as con:
            row = con.execute(
                "SELECT prompt FROM cells WHERE model=? ORDER BY computed_at DESC LIMIT 1", (model,)
            ).fetchone()
        return str(row[0]) if row else None


# ----------------------------------------------------------------------------- what a cell is keyed by


def prompt_key(version: str) -> str:
    """The prompt version plus the sha256 of its file (prompts/<version>.txt) when there is one, so that an
    edit made without a version bump still invalidates the cells computed with the old text."""
    try:
        return f"{version}@{hashlib.sha256((prompts.PROMPTS_DIR / f'{version}.txt').read_bytes()).hexdigest()[:12]}"
    except OSError:
        return version


# The source folders whose code decides an answer: a cell computed by another version of them is stale
_ENGINE_CODE = ("assistant", "core")


@functools.lru_cache(maxsize=1)
def engine_code_key() -> str:
    """sha256 (12 hex) over the answer engine's source files (assistant/ and core/, *.py, in path order):
    a new version of the engine recomputes the cells its predecessor cached, even with the same prompt and
    numbers (a new list reading, a new case check)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for folder in _ENGINE_CODE:
        for f in sorted((root / folder).rglob("*.py")):
            h.update(f.relative_to(root).as_posix().encode("utf-8") + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def engine_key(asst: Any) -> str:
    """ "+engine@<sha>" over the answer engine's tuned numbers (thresholds, confidence model, ranker weights,
    retrieval's fusion weights) and its code (engine_code_key), so that re-fitting them or a new version of
    the engine recomputes the cells; "" for an engine without numbers."""
    try:
        getattr(
            asst, "embeddings", None
        )  # built first: the engine's numbers are chosen by the embedder's name
        engine, weights = getattr(asst, "engine", None), getattr(asst, "weights", None)
        fusion = getattr(asst, "fusion", None)
    except Exception:  # noqa: BLE001 - an engine that cannot load its numbers: keyed by the prompt alone
        log.warning("answer engine settings unreadable", exc_info=True)
        return ""
    if engine is None and weights is None:
        return ""
    blob = repr(engine) + json.dumps(weights, sort_keys=True, default=str) + engine_code_key()
    if fusion is not None and not getattr(fusion, "is_hand_set", False):  # fused otherwise: other clauses
        blob += json.dumps(fusion.to_json() if hasattr(fusion, "to_json") else repr(fusion), sort_keys=True)
    return f"+engine@{hashlib.sha256(blob.encode('utf-8')).hexdigest()[:8]}"


def cell_prompt_key(asst: Any, version: str) -> str:
    """What a cell is keyed by for its prompt: the prompt's key, then the answer engine's (engine_key)."""
    return prompt_key(version) + engine_key(asst)


def _engine_default_prompt() -> str | None:
    """The answer engine's prompt version, from assistant.check (public), for an assistant that cannot say."""
    try:
        from assistant.check import ENGINE_PROMPT
    except Exception:  # noqa: BLE001 - an engine mid-rewrite must not break reading the cache
        log.warning("assistant.check not importable", exc_info=True)
        return None
    return ENGINE_PROMPT


def current_prompt(asst: Any, cache: ReviewCache | None = None, model: str = "") -> str:
    """The cell prompt key new answers will be stored under (cell_prompt_key of the prompt version in
    Answer.model["prompt"]): the assistant's `prompt_version` attribute, else `model_info()`'s default
    prompt, else the engine's prompt constant, else the last one seen in the cache."""
    got = getattr(asst, "prompt_version", None)
    if isinstance(got, str) and got:
        return cell_prompt_key(asst, got)
    try:
        got = asst.model_info().get("prompt")
    except Exception:  # noqa: BLE001 - an engine whose model_info needs the prompt name
        got = None
    if isinstance(got, str) and got:
        return cell_prompt_key(asst, got)
    got = _engine_default_prompt()
    if got:
        return cell_prompt_key(asst, got)
    return (cache.last_prompt(model) if cache else None) or "unknown"


def current_model(asst: Any) -> str:
    """llm + embeddings names, as they appear in Answer.model (the embedder is built first: its name, e.g.
    "hashing-256", is only known once it is)."""
    try:
        getattr(asst, "embeddings", None)
        info = asst.model_info("")
        return f"{info.get('llm', '')}|{info.get('embeddings', '')}"
    except Exception:  # noqa: BLE001
        from assistant.llm import model_name

        return model_name(asst.settings.llm)
