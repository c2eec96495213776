"""The grid itself: every vendor x every topic, one pinned-vendor `Assistant.answer` per cell, read from
the cache first and computed (then cached, one cell at a time) for what it lacks; builds can run in a
background thread while the page reads their progress. The JSON shape is the "Review grid" of
../shared/spec/interfaces.md."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from core.types import Answer
from review.cache import (
    CellKey,
    ReviewCache,
    cell_prompt_key,
    current_model,
    current_prompt,
    vendor_fingerprint,
)
from review.topics import Topic, load_topics

log = logging.getLogger(__name__)


def cell_from_answer(ans: Answer) -> dict[str, Any]:
    """A grid cell (spec: Review grid) from a pinned-vendor Answer, plus optional `mode` and `model`."""
    return {
        "answer": ans.answer,
        "abstained": bool(ans.abstained),
        "confidence": None if ans.confidence is None else round(float(ans.confidence), 3),
        "citations": [c.to_json() for c in ans.citations],
        "mode": ans.mode,
        "model": dict(ans.model),
    }


@dataclass
class Progress:
    """Where a build stands; updated by the builder, read by the page and the CLI."""

    total: int = 0
    done: int = 0
    computed: int = 0
    cached: int = 0
    failed: int = 0
    current: str = ""
    running: bool = False
    started: float = 0.0
    finished: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def line(self) -> str:
        el = (self.finished or time.monotonic()) - self.started if self.started else 0.0
        return (
            f"{self.done}/{self.total} cells ({self.cached} cached, {self.computed} computed"
            + (f", {self.failed} failed" if self.failed else "")
            + f"; {el:.0f} s)"
            + (f" {self.current}" if self.current and self.running else "")
        )


@dataclass
class ReviewGrid:
    """Vendors x topics; cells are spec-shaped dicts, or None when not computed (yet)."""

    topics: list[Topic]
    lang: str
    vendors: list[tuple[str, str]]  # (slug, display name)
    cells: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def cell(self, vendor: str, topic: str) -> dict[str, Any] | None:
        return self.cells.get((vendor, topic))

    @property
    def missing(self) -> list[tuple[str, str]]:
        return [(v, t.key) for v, _ in self.vendors for t in self.topics if (v, t.key) not in self.cells]

    def to_json(self) -> dict[str, Any]:
        """The `review --json` object (spec: Review grid); missing cells are left out of `cells`."""
        return {
            "topics": [{"key": t.key, "label": t.label(self.lang)} for t in self.topics],
            "rows": [
                {
                    "vendor": v,
                    "vendor_name": name,
                    "cells": {t.key: self.cells[(v, t.key)] for t in self.topics if (v, t.key) in self.cells},
                }
                for v, name in self.vendors
            ],
        }


class GridBuilder:
    """Fills a ReviewGrid from the cache and, for what the cache lacks, from `Assistant.answer`."""

    def __init__(
        self,
        asst: Any,
        cache: ReviewCache | None = None,
        topics: Sequence[Topic] | None = None,
        prompt: str | None = None,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.asst = asst
        self.cache = cache or ReviewCache.for_store(asst.settings.store_dir)
        self.topics = list(topics) if topics is not None else load_topics()
        self.model = current_model(asst)
        self.prompt = prompt or current_prompt(asst, self.cache, self.model)
        self.lock = lock  # held around each model call (the page shares one model with the chat)
        # candidates checked per ask in a cell (EngineConfig.grid_checks; None: the engine's own max_checks)
        self.checks: int | None = getattr(getattr(asst, "engine", None), "grid_checks", None)
        self.progress = Progress()

    def select(
        self, vendors: Sequence[str] | None = None, topics: Sequence[str] | None = None
    ) -> tuple[list[tuple[str, str]], list[Topic]]:
        names: dict[str, str] = self.asst.store.vendors()
        unknown = [v for v in vendors or [] if v not in names]
        if unknown:
            raise KeyError(f"unknown vendor(s): {', '.join(unknown)} (known: {', '.join(sorted(names))})")
        by_key = {t.key: t for t in self.topics}
        bad = [t for t in topics or [] if t not in by_key]
        if bad:
            raise KeyError(f"unknown topic(s): {', '.join(bad)} (known: {', '.join(by_key)})")
        vs = [(v, names[v]) for v in (vendors or sorted(names))]
        ts = [by_key[t] for t in topics] if topics else list(self.topics)
        return vs, ts

    def keys(
        self, vendors: Sequence[tuple[str, str]], topics: Sequence[Topic], lang: str
    ) -> dict[tuple[str, str], CellKey]:
        out: dict[tuple[str, str], CellKey] = {}
        for v, name in vendors:
            docs = vendor_fingerprint(self.asst.store, v)
            for t in topics:
                out[(v, t.key)] = CellKey(
                    v, t.key, lang, docs, t.question(lang, name), self.prompt, self.model
                )
        return out

    def cached(
        self, vendors: Sequence[str] | None = None, topics: Sequence[str] | None = None, lang: str = "en"
    ) -> ReviewGrid:
        """The grid from the cache only (fast: no model call); missing cells are absent."""
        vs, ts = self.select(vendors, topics)
        keys = self.keys(vs, ts, lang)
        got = self.cache.get_many(keys.values())
        grid = ReviewGrid(ts, lang, vs)
        grid.cells = {vt: got[k.digest] for vt, k in keys.items() if k.digest in got}
        return grid

    def build(
        self,
        vendors: Sequence[str] | None = None,
        topics: Sequence[str] | None = None,
        lang: str = "en",
        on_progress: Callable[[Progress, str], None] | None = None,
    ) -> ReviewGrid:
        """The grid, computing (and caching, one cell at a time) whatever the cache lacks."""
        grid = self.cached(vendors, topics, lang)
        p = self.progress = Progress(
            total=len(grid.vendors) * len(grid.topics), started=time.monotonic(), running=True
        )
        p.cached = p.done = len(grid.cells)
        names = dict(grid.vendors)
        try:
            for v, tkey in grid.missing:
                topic = next(t for t in grid.topics if t.key == tkey)
                p.current = f"{names[v]} × {topic.label(lang)}"
                if on_progress:
                    on_progress(p, "start")
                t0 = time.monotonic()
                try:
                    grid.cells[(v, tkey)] = self.compute(v, names[v], topic, lang)
                    p.computed += 1
                    status = f"computed ({time.monotonic() - t0:.1f} s)"
                except Exception as exc:  # noqa: BLE001 - one failing cell must not stop the grid
                    log.warning("review cell %s/%s failed", v, tkey, exc_info=True)
                    p.failed += 1
                    p.errors.append(f"{v}/{tkey}: {type(exc).__name__}: {exc}")
                    status = f"failed: {type(exc).__name__}: {exc}"
                p.done += 1
                if on_progress:
                    on_progress(p, status)
        finally:
            p.running, p.finished, p.current = False, time.monotonic(), ""
        return grid

    def compute(self, vendor: str, vendor_name: str, topic: Topic, lang: str) -> dict[str, Any]:
        """One cell: the topic's question with the vendor pinned; cached under the answer's own prompt
        version and model (the lookup key follows them if they differ from what was expected)."""
        docs = vendor_fingerprint(self.asst.store, vendor)
        question = topic.question(lang, vendor_name)
        with self.lock or nullcontext():
            ans = self.asst.answer(question, vendors=[vendor], checks=self.checks)
        cell = cell_from_answer(ans)
        prompt = (
            cell_prompt_key(self.asst, str(ans.model["prompt"])) if ans.model.get("prompt") else self.prompt
        )
        model = f"{ans.model.get('llm', '')}|{ans.model.get('embeddings', '')}" if ans.model else self.model
        if (prompt, model) != (self.prompt, self.model):
            log.info(
                "review cache: answers carry prompt %s / model %s (expected %s / %s)",
                prompt,
                model,
                self.prompt,
                self.model,
            )
            self.prompt, self.model = prompt, model
        self.cache.put(CellKey(vendor, topic.key, lang, docs, question, prompt, model), cell)
        return cell


# ----------------------------------------------------------------------------- background builds


class BackgroundBuild:
    """One grid build in a thread at a time (per cache file); progress readable while it runs."""

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.builder: GridBuilder | None = None
        self._guard = threading.Lock()

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    @property
    def progress(self) -> Progress | None:
        return self.builder.progress if self.builder else None

    def start(
        self,
        builder: GridBuilder,
        vendors: Sequence[str] | None = None,
        topics: Sequence[str] | None = None,
        lang: str = "en",
    ) -> bool:
        """Start a build unless one runs; False when one was already running."""
        with self._guard:
            if self.running:
                return False
            self.builder = builder
            builder.progress = Progress(running=True, started=time.monotonic())
            self.thread = threading.Thread(
                target=self._run, args=(builder, vendors, topics, lang), name="review-grid-build", daemon=True
            )
            self.thread.start()
            return True

    @staticmethod
    def _run(
        builder: GridBuilder, vendors: Sequence[str] | None, topics: Sequence[str] | None, lang: str
    ) -> None:
        try:
            builder.build(vendors, topics, lang)
        except Exception as exc:  # noqa: BLE001 - shown by the page through progress.errors
            log.warning("background review build failed", exc_info=True)
            builder.progress.errors.append(f"{type(exc).__name__}: {exc}")
            builder.progress.running = False
