"""The page's heavy objects (embedder, store, assistant), built once per configuration with
st.cache_resource and shared by every session; one lock serialises model calls on a small CPU."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st
from langchain_core.embeddings import Embeddings

from core.settings import EmbeddingSettings, Settings
from vectorstore.embeddings import make_embeddings
from vectorstore.store import ClauseStore

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")


@dataclass
class Services:
    """What the page talks to: the settings it was built from, the store, the assistant."""

    settings: Settings
    embeddings: Embeddings
    store: ClauseStore
    assistant: Any  # assistant.Assistant (imported lazily: loading it pulls LangChain models)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _full_key(s: Settings) -> str:
    return s.model_dump_json()


def _store_key(s: Settings) -> str:
    return s.model_dump_json(include={"store_dir", "vectorstore_url", "collection", "embedding",
                                      "chunking", "cache_dir"})


@st.cache_resource(show_spinner="Loading the embedding model…",
                   hash_funcs={EmbeddingSettings: lambda c: c.model_dump_json()})
def cached_embeddings(cfg: EmbeddingSettings) -> Embeddings:
    """The embedder for this configuration (loads weights once per process)."""
    log.info("loading embeddings %s", cfg.kind)
    return make_embeddings(cfg)


@st.cache_resource(show_spinner=False, hash_funcs={Settings: _store_key})
def cached_store(settings: Settings) -> ClauseStore:
    """The clause store for this store location and embedder."""
    return ClauseStore(settings, cached_embeddings(settings.embedding))


@st.cache_resource(max_entries=3, show_spinner="Preparing the assistant…", hash_funcs={Settings: _full_key})
def build_services(settings: Settings) -> Services:
    """Store + assistant for these settings; the embedder and store are shared across LLM choices."""
    from assistant import Assistant

    emb = cached_embeddings(settings.embedding)
    store = cached_store(settings)
    return Services(settings=settings, embeddings=emb, store=store,
                    assistant=Assistant(settings, store=store, embeddings=emb))


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Supported documents under corpus_dir/<vendor>/ (sorted), the way ingest discovers them."""
    root = Path(corpus_dir)
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob("*/*")
                  if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith("."))
