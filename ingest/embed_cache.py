"""On-disk cache of clause vectors keyed by (model, sha256 of the embedded text).

A changed document usually keeps most of its clauses: only new texts are embedded again. The cache lives
next to the store (store_dir/embed-cache.sqlite) and `--rebuild` drops it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors by content hash for one model; safe to delete at any time."""

    def __init__(self, path: Path, model: str) -> None:
        self.path = Path(path)
        self.model = model
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key TEXT NOT NULL, "
                "vec BLOB NOT NULL, PRIMARY KEY (model, key))"
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:  # commits on success
                yield db
        finally:
            db.close()

    def get_many(self, texts: Sequence[str]) -> dict[str, list[float]]:
        """text -> cached vector, for the texts that are cached."""
        keys = {text_key(t): t for t in texts}
        out: dict[str, list[float]] = {}
        items = list(keys)
        with self._connect() as db:
            for i in range(0, len(items), 500):
                part = items[i : i + 500]
                rows = db.execute(
                    f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({','.join('?' * len(part))})",
                    [self.model, *part],
                ).fetchall()
                for key, blob in rows:
                    out[keys[key]] = array("f", blob).tolist()
        return out

    def put_many(self, texts: Sequence[str], vectors: Sequence[Sequence[float]]) -> None:
        rows = [
            (self.model, text_key(t), array("f", map(float, v)).tobytes())
            for t, v in zip(texts, vectors, strict=True)
        ]
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO vectors (model, key, vec) VALUES (?, ?, ?)", rows)

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM vectors WHERE model = ?", [self.model]).fetchone()[0])

    @staticmethod
    def drop(path: Path) -> None:
        Path(path).unlink(missing_ok=True)
