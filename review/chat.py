"""Chat routing to the grid: a "Which vendors ...?" question whose topic is a grid topic is answered from
the cached cells (one comparison row per vendor, each with its own citations), without a model call.
The answer engine receives `grid_answer` as its `shortcut` from whoever builds it (the page, the CLI, the
evals); it never imports the grid."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from assistant.query import is_which_vendors
from assistant.selection import is_bounded_selection
from core.markers import sub_markers
from core.text import detect_language, fold
from core.types import Answer, Citation, VendorAnswer
from review.build import GridBuilder
from review.cache import ReviewCache
from review.topics import LANGS, Topic, load_topics

SILENT = {"en": "{name}: not specified in its documents.", "fr": "{name} : non précisé dans ses documents."}


def _keyword_form(text: str) -> str:
    """Lowercase, accents stripped, apostrophes unified: how questions and topic keywords are compared."""
    return fold(text, apostrophes=True)


def match_topic(question: str, topics: Sequence[Topic]) -> Topic | None:
    """The topic whose keywords (either language) occur most in the question; None when none does."""
    q = f" {_keyword_form(question)} "
    best: tuple[int, int, Topic | None] = (0, 0, None)
    for t in topics:
        words = {_keyword_form(w) for ws in t.keywords.values() for w in ws if w.strip()}
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
    vendor's cell is not cached yet (the caller then answers it the usual way). Nor does it answer a
    selection the engine settles ("Which vendors notify a breach within 48 hours?", "…host data outside the
    EU?": assistant.selection): a cell answers its topic, not whether the vendor meets the condition, which the
    engine's rows settle vendor by vendor from the sentences found for the question itself."""
    if not is_which_vendors(question) or is_bounded_selection(question):
        return None
    t0 = time.perf_counter()
    tps = list(topics) if topics is not None else load_topics()
    topic = match_topic(question, tps)
    if topic is None:
        return None
    if lang is None:
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
