"""Sentence vectors for the ranker's sentence-level similarity, computed once per sentence text and
embedder and kept in a small SQLite file beside the store (a crash loses at most the batch in flight)."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)


class SentenceVectors:
    """`vectors(texts)`: unit-normalised embeddings of `texts` as documents, from the cache when present."""

    def __init__(self, embeddings: Embeddings, model: str, path: Path | None = None) -> None:
        self.embeddings = embeddings
        self.model = model
        self.path = path
        self._mem: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(str(path), check_same_thread=False)
                self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB)")
            except sqlite3.Error as exc:  # a read-only store: keep vectors in memory only
                log.warning("sentence vector cache unavailable (%s): in memory only", exc)
                self._db = None

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self.model}\x00{text}".encode()).hexdigest()

    def vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        keys = [self._key(t) for t in texts]
        with self._lock:
            missing = [k for k in dict.fromkeys(keys) if k not in self._mem]
            if missing and self._db is not None:
                for i in range(0, len(missing), 500):
                    part = missing[i : i + 500]
                    rows = self._db.execute(
                        f"SELECT key, v FROM vec WHERE key IN ({','.join('?' * len(part))})", part
                    ).fetchall()
                    for k, blob in rows:
                        self._mem[k] = np.frombuffer(blob, dtype=np.float32)
            todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._mem}
            if todo:
                vecs = np.asarray(self.embeddings.embed_documents(list(todo.values())), dtype=np.float32)
                vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
                for k, v in zip(todo, vecs, strict=True):
                    self._mem[k] = v
                if self._db is not None:
                    try:
                        with self._db:
                            self._db.executemany(
                                "INSERT OR REPLACE INTO vec VALUES (?, ?)",
                                [(k, self._mem[k].tobytes()) for k in todo],
                            )
                    except sqlite3.Error as exc:
                        log.warning("sentence vector cache not written: %s", exc)
            return [self._mem[k] for k in keys]

    def similarities(self, query_vector: Sequence[float], texts: Sequence[str]) -> list[float]:
        """Cosine similarity of the query to each text."""
        if not texts:
            return []
        q = np.asarray(query_vector, dtype=np.float32)
        q /= max(float(np.linalg.norm(q)), 1e-12)
        return [float(v @ q) for v in self.vectors(texts)]
