"""The vendor review grid: every vendor x every topic of config/review_topics.yaml, one pinned-vendor
`Assistant.answer` per cell, cached on disk per (vendor's document versions, topic question, language,
prompt version, model) so that only what changed is recomputed and a crash loses nothing computed.

Also: the grid's exports (CSV, XLSX, Markdown with the quotes) and `grid_answer`, which answers a
"Which vendors ...?" question from cached cells. The JSON shape is the "Review grid" of
../shared/spec/interfaces.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import re
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, closing, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.markers import sub_markers
from core.settings import PROJECT_ROOT
from core.types import Answer, Citation, VendorAnswer

log = logging.getLogger(__name__)

DEFAULT_TOPICS = PROJECT_ROOT / "config" / "review_topics.yaml"
CACHE_FILE = "review-cache.sqlite"
LANGS = ("en", "fr")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
SILENT = {"en": "{name}: not specified in its documents.", "fr": "{name} : non précisé dans ses documents."}


# ----------------------------------------------------------------------------- topics


class TopicError(ValueError):
    """The topics file is malformed (the message names the entry)."""


@dataclass(frozen=True)
class Topic:
    """One column of the grid: a key, its label and question per language, chat keywords."""

    key: str
    labels: dict[str, str]
    questions: dict[str, str]
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["en"]

    def question(self, lang: str, vendor_name: str) -> str:
        """The topic's question in `lang`, about this vendor."""
        return (self.questions.get(lang) or self.questions["en"]).replace("{vendor}", vendor_name)


def load_topics(path: str | Path | None = None) -> list[Topic]:
    """Read the topics file (default config/review_topics.yaml), in file order; TopicError when malformed."""
    p = Path(path) if path else DEFAULT_TOPICS
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise TopicError(f"{p}: {exc}") from exc
    entries = raw.get("topics") if isinstance(raw, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise TopicError(f"{p}: no `topics:` mapping")
    topics: list[Topic] = []
    for key, entry in entries.items():
        where = f"{p}: topic {key!r}"
        if not isinstance(key, str) or not _KEY.match(key):
            raise TopicError(f"{where}: keys are lowercase letters, digits and '_'")
        if not isinstance(entry, dict):
            raise TopicError(f"{where}: expected label/question mappings")
        labels, questions = entry.get("label"), entry.get("question")
        for name, val in (("label", labels), ("question", questions)):
            if not isinstance(val, dict) or not all(
                isinstance(val.get(lg), str) and val[lg].strip() for lg in LANGS
            ):
                raise TopicError(f"{where}: `{name}` needs non-empty `en` and `fr` texts")
        kw = entry.get("keywords") or {}
        keywords = (
            {lg: tuple(str(w) for w in (kw.get(lg) or [])) for lg in kw} if isinstance(kw, dict) else {}
        )
        assert isinstance(labels, dict) and isinstance(questions, dict)
        topics.append(
            Topic(
                key,
                {k: str(v).strip() for k, v in labels.items()},
                {k: str(v).strip() for k, v in questions.items()},
                keywords,
            )
        )
    return topics


# ----------------------------------------------------------------------------- cache


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def vendor_fingerprint(store: Any, vendor: str) -> str:
    """sha256 over the vendor's current documents and their text sha256s (changes with any document)."""
    docs = sorted(f"{d.document}\t{d.sha256}" for d in store.documents() if d.vendor == vendor)
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


# ----------------------------------------------------------------------------- grid


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


def prompt_key(version: str) -> str:
    """The prompt version plus the sha256 of its file (prompts/<version>.txt) when there is one, so that an
    edit made without a version bump still invalidates the cells computed with the old text."""
    from assistant import prompts

    try:
        return f"{version}@{hashlib.sha256((prompts.PROMPTS_DIR / f'{version}.txt').read_bytes()).hexdigest()[:12]}"
    except OSError:
        return version


def engine_key(asst: Any) -> str:
    """ "+engine@<sha>" over the answer engine's tuned numbers (thresholds, confidence model, ranker weights,
    retrieval's fusion weights), so that re-fitting them recomputes the cells; "" for an engine without them."""
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
    blob = repr(engine) + json.dumps(weights, sort_keys=True, default=str)
    if fusion is not None and not getattr(fusion, "is_hand_set", False):  # fused otherwise: other clauses
        blob += json.dumps(fusion.to_json() if hasattr(fusion, "to_json") else repr(fusion), sort_keys=True)
    return f"+engine@{hashlib.sha256(blob.encode('utf-8')).hexdigest()[:8]}"


def cell_prompt_key(asst: Any, version: str) -> str:
    """What a cell is keyed by for its prompt: the prompt's key, then the answer engine's (engine_key)."""
    return prompt_key(version) + engine_key(asst)


def current_prompt(asst: Any, cache: ReviewCache | None = None, model: str = "") -> str:
    """The cell prompt key new answers will be stored under (cell_prompt_key of the prompt version in
    Answer.model["prompt"]): the assistant's `prompt_version` attribute, else `model_info()`'s default
    prompt, else the engine module's prompt constant, else the last one seen in the cache."""
    got = getattr(asst, "prompt_version", None)
    if isinstance(got, str) and got:
        return cell_prompt_key(asst, got)
    try:
        got = asst.model_info().get("prompt")
    except Exception:  # noqa: BLE001 - an engine whose model_info needs the prompt name
        got = None
    if isinstance(got, str) and got:
        return cell_prompt_key(asst, got)
    try:
        from assistant import pipeline

        got = getattr(pipeline, "ENGINE_PROMPT", None) or getattr(pipeline, "ANSWER_PROMPT", None)
    except Exception:  # noqa: BLE001 - an engine mid-rewrite must not break reading the cache
        log.warning("assistant.pipeline not importable", exc_info=True)
        got = None
    if isinstance(got, str) and got:
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
            ans = self.asst.answer(question, vendors=[vendor])
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


# ----------------------------------------------------------------------------- exports


def _flat(text: str) -> str:
    return " ".join(str(text).split())


def _quote_line(c: Mapping[str, Any]) -> str:
    sec = f" § {c.get('section')}" if c.get("section") else ""
    return f"[{c.get('n')}] {c.get('document')}{sec} ({c.get('start')}-{c.get('end')}): “{_flat(c.get('quote', ''))}”"


def cell_status(cell: Mapping[str, Any] | None) -> str:
    """answered | not in the documents | not computed | failed."""
    if cell is None:
        return "not computed"
    return "not in the documents" if cell.get("abstained") else "answered"


def grid_records(grid_json: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One flat record per (vendor, topic) of a grid JSON, in grid order (for CSV/XLSX)."""
    labels = {t["key"]: t["label"] for t in grid_json["topics"]}
    out = []
    for row in grid_json["rows"]:
        for key, label in labels.items():
            cell = row["cells"].get(key)
            req = (cell or {}).get("requirement") or {}
            cites = (cell or {}).get("citations") or []
            conf = (cell or {}).get("confidence")
            out.append(
                {
                    "vendor": row["vendor"],
                    "vendor_name": row["vendor_name"],
                    "topic": key,
                    "label": label,
                    "status": cell_status(cell),
                    "answer": (cell or {}).get("answer", ""),
                    "confidence": "" if conf is None else conf,
                    "requirement": req.get("status", ""),
                    "requirement_reason": req.get("reason", ""),
                    "quotes": "\n".join(_quote_line(c) for c in cites),
                }
            )
    return out


CSV_COLUMNS = [
    "vendor",
    "vendor_name",
    "topic",
    "label",
    "status",
    "answer",
    "confidence",
    "requirement",
    "requirement_reason",
    "quotes",
]


def grid_csv(grid_json: Mapping[str, Any]) -> str:
    """One line per (vendor, topic), quotes included."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(grid_records(grid_json))
    return buf.getvalue()


XLSX_FILL = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE", "unknown": "E7E6E6"}


def grid_xlsx(grid_json: Mapping[str, Any]) -> bytes:
    """A workbook: sheet "Grid" (vendors x topics, cells coloured by requirement) and sheet "Cells" (one
    row per cell with its quotes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Grid"
    topics = grid_json["topics"]
    ws.append(["Vendor", *[t["label"] for t in topics]])
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in grid_json["rows"]:
        values = [row["vendor_name"]]
        for t in topics:
            cell = row["cells"].get(t["key"])
            values.append("(not computed)" if cell is None else _flat(cell.get("answer", "")))
        ws.append(values)
        for t, xc in zip(topics, ws[ws.max_row][1:], strict=True):
            status = ((row["cells"].get(t["key"]) or {}).get("requirement") or {}).get("status")
            if status in XLSX_FILL:
                xc.fill = PatternFill("solid", fgColor=XLSX_FILL[status])
            xc.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 20
    for i in range(len(topics)):
        ws.column_dimensions[ws.cell(1, i + 2).column_letter].width = 40
    cells = wb.create_sheet("Cells")
    cells.append(CSV_COLUMNS)
    for rec in grid_records(grid_json):
        cells.append([rec[c] for c in CSV_COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _md(text: str) -> str:
    return _flat(text).replace("\\", "\\\\").replace("|", "\\|")


REQ_MARK = {"green": "🟢", "amber": "🟠", "red": "🔴", "unknown": "⚪"}


def grid_markdown(grid_json: Mapping[str, Any], title: str = "Vendor review grid") -> str:
    """The grid as Markdown: one table per topic (a row per vendor), then every cited quote verbatim."""
    lines = [f"# {_md(title)}", ""]
    for t in grid_json["topics"]:
        lines += [f"## {_md(t['label'])}", "", "| Vendor | Answer | Requirement |", "|---|---|---|"]
        quotes: list[str] = []
        for row in grid_json["rows"]:
            cell = row["cells"].get(t["key"])
            req = (cell or {}).get("requirement") or {}
            ans = (
                "_(not computed)_"
                if cell is None
                else (
                    ("_Not in the documents._ " if cell.get("abstained") else "")
                    + _md(cell.get("answer", ""))
                )
            )
            rq = f"{REQ_MARK.get(req.get('status', ''), '')} {_md(req.get('reason', ''))}".strip()
            lines.append(f"| {_md(row['vendor_name'])} | {ans} | {rq} |")
            quotes += [
                f"- {_md(row['vendor_name'])} {_quote_line(c)}" for c in (cell or {}).get("citations") or []
            ]
        if quotes:
            lines += ["", "Quotes:", "", *quotes]
        lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- chat: "Which vendors ...?"

_WHICH = re.compile(
    r"\b(?:which|what)\s+(?:of\s+the\s+)?(?:vendors?|providers?|suppliers?|processors?|companies|saas)\b"
    r"|\b(?:do|does|are)\s+any\s+(?:of\s+the\s+)?(?:vendors?|providers?|suppliers?)\b"
    r"|\b(?:quels?|quelles?|lesquels|lesquelles)\b[^?]*?\b(?:fournisseurs?|prestataires?|editeurs?|vendeurs?)\b",
    re.I,
)


def _fold(text: str) -> str:
    """Lowercase, accents stripped, apostrophes unified (for keyword matching)."""
    t = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    return "".join(ch for ch in t if not unicodedata.combining(ch))


def is_which_vendors(question: str) -> bool:
    """A question about the vendors as a set ("Which vendors host data outside the EU?")."""
    return bool(_WHICH.search(_fold(question)))


def match_topic(question: str, topics: Sequence[Topic]) -> Topic | None:
    """The topic whose keywords (either language) occur most in the question; None when none does."""
    q = f" {_fold(question)} "
    best: tuple[int, int, Topic | None] = (0, 0, None)
    for t in topics:
        words = {_fold(w) for ws in t.keywords.values() for w in ws if w.strip()}
        hits = [w for w in words if re.search(rf"(?<![a-z]){re.escape(w)}", q)]
        score = (len(hits), sum(len(w) for w in hits))
        if score > best[:2]:
            best = (*score, t)
    return best[2]


def _renumber(text: str, shift: int) -> str:
    return sub_markers(text, lambda ns: "".join(f"[{n + shift}]" for n in ns)) if shift else text


def grid_answer(
    question: str,
    asst: Any,
    vendors: Sequence[str] | None = None,
    lang: str | None = None,
    topics: Sequence[Topic] | None = None,
    cache: ReviewCache | None = None,
) -> Answer | None:
    """Answer a "Which vendors ...?" question from the cached grid: one comparison row per vendor with its
    own (renumbered) citations. None when the question is not of that kind, matches no topic, or a
    vendor's cell is not cached yet (the caller then answers it the usual way)."""
    if not is_which_vendors(question):
        return None
    t0 = time.perf_counter()
    tps = list(topics) if topics is not None else load_topics()
    topic = match_topic(question, tps)
    if topic is None:
        return None
    if lang is None:
        from assistant.glossary import detect_language

        lang = detect_language(question)
    lang = lang if lang in LANGS else "en"
    builder = GridBuilder(asst, cache=cache, topics=tps)
    grid = builder.cached(vendors, [topic.key], lang)
    if grid.missing or not grid.vendors:
        return None
    rows: list[VendorAnswer] = []
    citations: list[Citation] = []
    lines: list[str] = []
    models: dict[str, str] = {}
    for v, name in grid.vendors:
        cell = grid.cells[(v, topic.key)]
        models = dict(cell.get("model") or models)
        shift = len(citations)
        cites = [Citation(**{**c, "n": int(c["n"]) + shift}) for c in cell.get("citations") or []]
        if cell.get("abstained"):
            text, cites = SILENT[lang].format(name=name), []
        else:
            text = _renumber(str(cell.get("answer", "")), shift)
        citations += cites
        rows.append(
            VendorAnswer(
                v, name, text, bool(cell.get("abstained")), [c.n for c in cites], cell.get("confidence")
            )
        )
        lines.append(f"- **{name}**: {text}" if not cell.get("abstained") else f"- {text}")
    answered = [r for r in rows if not r.abstained]
    return Answer(
        question=question,
        answer="\n".join(lines),
        abstained=not answered,
        citations=citations,
        model={**models, "prompt": f"{models.get('prompt', '')}+review-grid".lstrip("+")},
        timings_ms={"total": (time.perf_counter() - t0) * 1000},
        language=lang,
        mode="generated" if answered else "abstained",
        vendors=[v for v, _ in grid.vendors],
        comparison=rows,
        explanation=f"From the review grid ({topic.label(lang)}), one cell per vendor.",
    )


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
