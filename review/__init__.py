"""The vendor review grid, above the answer engine: every vendor x every topic of
config/review_topics.yaml, one pinned-vendor `Assistant.answer` per cell, cached on disk so that only what
changed is recomputed; its exports; and `grid_answer`, which the page, the CLI and the evals give the
engine as its `shortcut` for "Which vendors ...?" questions.

    topics   the topics file (pydantic-validated) -> Topic
    cache    ReviewCache (SQLite), CellKey and what a cell is keyed by
    build    ReviewGrid, GridBuilder, Progress, BackgroundBuild
    export   CSV, XLSX, Markdown
    chat     grid_answer, match_topic
    changes  citation_change, flag_changed_cells (a cited passage that changed since the previous version)
"""

from __future__ import annotations

from review.build import BackgroundBuild, GridBuilder, Progress, ReviewGrid, cell_from_answer
from review.cache import CACHE_FILE, CellKey, ReviewCache, current_prompt, engine_key, vendor_fingerprint
from review.changes import ChangedSince, citation_change, flag_changed_cells
from review.chat import grid_answer, match_topic
from review.export import grid_csv, grid_markdown, grid_records, grid_xlsx
from review.topics import DEFAULT_TOPICS, LANGS, Topic, TopicError, load_topics

__all__ = [
    "CACHE_FILE",
    "DEFAULT_TOPICS",
    "LANGS",
    "BackgroundBuild",
    "ChangedSince",
    "CellKey",
    "GridBuilder",
    "Progress",
    "ReviewCache",
    "ReviewGrid",
    "Topic",
    "TopicError",
    "cell_from_answer",
    "citation_change",
    "current_prompt",
    "engine_key",
    "flag_changed_cells",
    "grid_answer",
    "grid_csv",
    "grid_markdown",
    "grid_records",
    "grid_xlsx",
    "load_topics",
    "match_topic",
    "vendor_fingerprint",
]
