"""Run a system over gold items: build the store (the project's, or a temporary one for `--corpus`),
ask each question, score it, aggregate. I/O lives here; the scoring is evals.metrics."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT, Settings
from evals.dataset import GOLD_FILE, item_kind, item_language, item_vendors
from evals.metrics import aggregate, score_item

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """Everything a report needs: per-item rows, summary metrics, configuration and breakdowns."""

    rows: list[dict[str, Any]]
    metrics: dict[str, float | None]
    config: dict[str, Any]
    breakdown: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """summary.json: the metrics at top level (spec names) and under "metrics", plus the rest (the gold
        split the run covers: "dev", "test", "both", or null for a run that did not select one)."""
        return {
            **self.metrics,
            "metrics": dict(self.metrics),
            "config": self.config,
            "n_items": len(self.rows),
            "split": self.config.get("split"),
            "breakdown": self.breakdown,
        }

    def by_split(self, splits: Sequence[str]) -> dict[str, RunResult]:
        """One result per split, from this run's rows (each row's gold item names its split): metrics and
        breakdowns recomputed over that split's rows, so one pass over dev + test reports both."""
        k = int(self.config.get("k", 5))
        out = {}
        for split in splits:
            rows = [r for r in self.rows if (r.get("gold") or {}).get("split") == split]
            out[split] = RunResult(
                rows=rows,
                metrics=aggregate([r["scores"] for r in rows], k),
                config={**self.config, "split": split, "n_items": len(rows)},
                breakdown=breakdowns(rows, k),
            )
        return out


def breakdowns(rows: Sequence[Mapping[str, Any]], k: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Metrics per vendor, per question language, per (question language → evidence document language)
    pair (an item with several vendors counts in each), when some gold item names its `kind`, per kind of
    answer (evals.dataset.item_kind), and in a run over several gold files, per file. The pair is the row's
    "lang_pair" (set by evaluate when it knows the documents' languages), else worked out from its gold item
    with unknown documents."""
    by: dict[str, dict[str, list[Mapping[str, Any]]]] = {"vendor": {}, "language": {}, "lang_pair": {}}
    if any((r.get("gold") or {}).get("kind") for r in rows):
        by["kind"] = {}
    files = {(r.get("gold") or {}).get(GOLD_FILE) for r in rows} - {None}
    if len(files) > 1:  # a run over several gold files: each file's items on their own
        by[GOLD_FILE] = {}
    for r in rows:
        if GOLD_FILE in by:
            by[GOLD_FILE].setdefault(str((r.get("gold") or {}).get(GOLD_FILE) or "?"), []).append(r["scores"])
        for v in r.get("vendors") or ["(none)"]:
            by["vendor"].setdefault(v, []).append(r["scores"])
        by["language"].setdefault(r.get("lang") or "?", []).append(r["scores"])
        pair = r.get("lang_pair") or lang_pair(r.get("gold") or {"lang": r.get("lang")}, None)
        by["lang_pair"].setdefault(pair, []).append(r["scores"])
        if "kind" in by:
            by["kind"].setdefault(r.get("kind") or item_kind(r.get("gold") or {}), []).append(r["scores"])
    return {
        dim: {key: {"n": len(s), **aggregate(s, k)} for key, s in sorted(groups.items())}
        for dim, groups in by.items()
    }


# ------------------------------------------------------------------ question / document language pairs
PAIR_UNKNOWN = "(unknown)"  # a side whose language is not known (a document not in the store)
PAIR_MIXED = "mixed"  # evidence documents in several languages
PAIR_NO_EVIDENCE = "(none)"  # document side of an item without evidence (unanswerable ones)


def question_language(item: Mapping[str, Any]) -> str:
    """The gold item's `lang`, else the question's language as the assistant detects it."""
    lang = str(item.get("lang") or "").strip().lower()
    if lang and lang != "?":
        return lang
    question = str(item.get("question") or "")
    if not question.strip():
        return PAIR_UNKNOWN
    from core.text import detect_language

    return detect_language(question)


def lang_pair(item: Mapping[str, Any], document_language: Callable[[str], str | None] | None) -> str:
    """The item's "<question language>→<evidence documents' language>" ("en→fr"); "<qlang>→(none)" for one
    without evidence, "mixed" when its evidence documents span several languages, "(unknown)" when a side
    is unknown (no `document_language`, or one that does not know a document)."""
    qlang = question_language(item)
    docs = sorted({str(ev["document"]) for ev in item.get("evidence") or [] if ev.get("document")})
    if not docs:
        return PAIR_UNKNOWN if qlang == PAIR_UNKNOWN else f"{qlang}→{PAIR_NO_EVIDENCE}"
    langs = {document_language(d) if document_language is not None else None for d in docs}
    if qlang == PAIR_UNKNOWN or None in langs:
        return PAIR_UNKNOWN
    if len(langs) > 1:
        return PAIR_MIXED
    return f"{qlang}→{langs.pop()}"


def document_languages(records: Iterable[Any]) -> Callable[[str], str | None]:
    """document -> its language as ingest recorded it in the store's document records (vendor.yaml's
    `language`, else detected from the text: ingest decides it once); None for a document not in them."""
    langs = {str(r.document): (str(r.language or "").strip().lower() or None) for r in records}
    return langs.get


def store_texts(store: Any) -> Callable[[str], str | None]:
    """document -> its text in the store (read once), None for a document the store does not hold."""
    texts: dict[str, str | None] = {}

    def document_text(doc: str) -> str | None:
        if doc not in texts:
            try:
                texts[doc] = store.document_text(doc)
            except KeyError:
                texts[doc] = None
        return texts[doc]

    return document_text


def git_commit(root: Path = PROJECT_ROOT) -> str:
    """HEAD commit (with "-dirty" when tracked files changed), or "unknown" outside a checkout."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _running_postfix(scores: Sequence[Mapping[str, Any]], k: int, retrieval_only: bool) -> dict[str, str]:
    m = aggregate(scores, k)
    keys = [f"evidence_recall@{k}", f"mrr@{k}"] + ([] if retrieval_only else ["answer_accuracy"])
    return {
        key.split("@")[0].replace("evidence_", "") if "@" in key else "acc": (
            "-" if m[key] is None else f"{m[key]:.2f}"
        )
        for key in keys
    }


def evaluate(
    items: Sequence[Mapping[str, Any]],
    ask_fn: Callable[[str], dict[str, Any]],
    k: int,
    document_text: Callable[[str], str | None],
    retrieval_only: bool,
    progress: bool = True,
    document_language: Callable[[str], str | None] | None = None,
) -> list[dict[str, Any]]:
    """Ask every item (timing it end to end) and score it; a failing item is recorded, not fatal. Each row
    carries its question → document language pair (lang_pair; documents unknown without
    `document_language`)."""
    from tqdm import tqdm

    rows: list[dict[str, Any]] = []
    bar = tqdm(items, desc="eval", unit="q", file=sys.stderr, disable=not progress, dynamic_ncols=True)
    for item in bar:
        t0 = time.perf_counter()
        error = None
        try:
            ask = ask_fn(item["question"])
        except Exception as exc:  # noqa: BLE001 - one broken item must not lose the run
            log.exception("item %s failed", item["id"])
            error = f"{type(exc).__name__}: {exc}"
            ask = {
                "question": item["question"],
                "answer": "",
                "abstained": False,
                "citations": [],
                "retrieved": [],
            }
        latency = (time.perf_counter() - t0) * 1000
        scores = score_item(item, ask, k, document_text, retrieval_only=retrieval_only, latency_ms=latency)
        if error:
            scores["error"] = error
            scores["pass"] = False
        rows.append(
            {
                "id": item["id"],
                "ask": ask,
                "scores": scores,
                "vendors": item_vendors(item),
                "lang": item_language(item),
                "kind": item_kind(item),
                "lang_pair": lang_pair(item, document_language),
                "gold": dict(item),
            }
        )
        bar.set_postfix(_running_postfix([r["scores"] for r in rows], k, retrieval_only))
    return rows


def attach_passages(
    rows: list[dict[str, Any]], document_text: Callable[[str], str | None], top: int = 3, max_chars: int = 700
) -> None:
    """Give each failed item the text of its top retrieved spans, for the report (the store is temporary)."""
    for r in rows:
        if r["scores"].get("pass") is not False:
            continue
        passages = []
        for span in (r["ask"].get("retrieved") or [])[:top]:
            text = document_text(str(span.get("document", "")))
            if text is None or span.get("start") is None or span.get("end") is None:
                continue
            passage = text[int(span["start"]) : int(span["end"])]
            passages.append(
                {
                    "document": span["document"],
                    "start": span["start"],
                    "end": span["end"],
                    "text": passage[:max_chars] + ("…" if len(passage) > max_chars else ""),
                }
            )
        r["retrieved_text"] = passages


@contextlib.contextmanager
def open_store(
    settings: Settings,
    corpus: str | Path | None,
    embeddings: Any,
    progress: bool = True,
    store_dir: str | Path | None = None,
) -> Iterator[tuple[Settings, Any]]:
    """The store to evaluate: one holding `corpus` (ingested now, incrementally) in `store_dir` or a
    temporary folder, else the configured store (ingested first when it is empty)."""
    from ingest.pipeline import run_ingest
    from vectorstore.store import ClauseStore

    if corpus is None:
        store = ClauseStore(settings, embeddings)
        if not store.documents():
            from vectorstore.embeddings import make_embeddings

            log.warning("store %s is empty: ingesting %s first", settings.store_dir, settings.corpus_dir)
            ingest_emb = make_embeddings(settings.embedding)  # the configured embedder, whatever the system
            run_ingest(
                settings, embeddings=ingest_emb, store=ClauseStore(settings, ingest_emb), progress=progress
            )
        yield settings, store
        return
    corpus_dir = Path(corpus).expanduser().resolve()
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
    with contextlib.ExitStack() as stack:
        folder = store_dir or stack.enter_context(tempfile.TemporaryDirectory(prefix="cqa-eval-"))
        run_settings = settings.replace(
            corpus_dir=str(corpus_dir), store_dir=str(folder), vectorstore_url=None, collection="eval_clauses"
        )
        store = ClauseStore(run_settings, embeddings)
        run_ingest(run_settings, embeddings=embeddings, store=store, progress=progress, prune=True)
        yield run_settings, store


def run_eval(
    settings: Settings,
    items: Sequence[Mapping[str, Any]],
    *,
    system: str = "default",
    k: int = 5,
    retrieval_only: bool = False,
    corpus: str | Path | None = None,
    embeddings: Any = None,
    gold_path: str | Path | None = None,
    progress: bool = True,
    store_dir: str | Path | None = None,
    extra_config: Mapping[str, Any] | None = None,
    extracts: bool = False,
    llm_cache: str | Path | None = None,
) -> RunResult:
    """Evaluate `system` on `items` and return rows, metrics, configuration and breakdowns.

    A baseline opens (or, on a `corpus` of its own, builds) the clause store with the hashing embedder: the
    clauses are the same (splitting does not depend on the embedder) and bm25/plain-rag never read the
    clause vectors; plain-rag embeds its own chunks with the configured embedder. `llm_cache`: the default
    system's checks and wordings replayed from (and added to) that file (evals.llm_cache)."""
    from evals.systems import make_system
    from vectorstore.embeddings import HashingEmbeddings, make_embeddings

    if embeddings is None and system != "bm25":
        embeddings = make_embeddings(settings.embedding)
    if store_dir is not None and corpus is not None and embeddings is None:
        embeddings = make_embeddings(settings.embedding)  # a kept store serves every system: real vectors
    store_embeddings = embeddings if system == "default" or store_dir is not None else HashingEmbeddings()
    started = dt.datetime.now(dt.UTC)
    commit = git_commit()  # the code the run starts with (a long run may outlive a commit)
    with open_store(settings, corpus, store_embeddings, progress=progress, store_dir=store_dir) as (
        run_settings,
        store,
    ):
        sys_ = make_system(
            system,
            run_settings,
            store,
            embeddings if embeddings is not None else store_embeddings,
            extracts=extracts,
            llm_cache=None if retrieval_only else llm_cache,
        )
        document_text = store_texts(store)

        def ask_fn(question: str) -> dict[str, Any]:
            return sys_.retrieve(question, k) if retrieval_only else sys_.answer(question, k)

        records = store.documents()
        n_docs = len(records)
        doc_language = document_languages(records)
        rows = evaluate(
            items,
            ask_fn,
            k,
            document_text,
            retrieval_only,
            progress=progress,
            document_language=doc_language,
        )
        attach_passages(rows, document_text)
    metrics = aggregate([r["scores"] for r in rows], k)
    prompt = next(
        (
            str(r["ask"].get("model", {}).get("prompt"))
            for r in rows
            if (r["ask"].get("model") or {}).get("prompt")
        ),
        None,
    )
    described = sys_.describe()
    models = dict(described["models"])
    if retrieval_only:
        models["llm"] = None
    config = {
        "system": system,
        "k": k,
        "retrieval_only": retrieval_only,
        "extracts": extracts,
        "gold": str(gold_path) if gold_path else None,
        "corpus": str(Path(corpus).expanduser().resolve()) if corpus else str(settings.corpus_dir),
        "corpus_documents": n_docs,
        "models": models,
        "prompt": prompt,
        "llm_choice": None if retrieval_only else settings.llm.choice,
        "retrieval": settings.retrieval.model_dump(),
        **({"fusion": described["fusion"]} if "fusion" in described else {}),
        **({"engine": described["engine"]} if "engine" in described else {}),
        "chunking": settings.chunking.model_dump(),
        "git_commit": commit,
        "timestamp": started.isoformat(timespec="seconds"),
        "duration_s": round((dt.datetime.now(dt.UTC) - started).total_seconds(), 1),
        "n_items": len(rows),
        **({"llm_cache": stats} if (stats := getattr(sys_, "cache_stats", lambda: None)()) else {}),
        **(extra_config or {}),
    }
    return RunResult(rows=rows, metrics=metrics, config=config, breakdown=breakdowns(rows, k))
