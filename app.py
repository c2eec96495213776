"""Contract Q&A page: chat with cited clauses, a vendor comparison, a document viewer, what changed between
a document's versions, corpus upkeep.

Run: `streamlit run app.py` (bound to 127.0.0.1 by .streamlit/config.toml). Thin over `assistant`:
heavy objects come from ui.services.build_services (st.cache_resource), pieces from ui.components.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.runtime import apply_offline_defaults

apply_offline_defaults()  # before streamlit, torch, chromadb or llama.cpp initialise

import streamlit as st  # noqa: E402

from core.settings import Settings, load_settings, settings_line  # noqa: E402
from ui import chat  # noqa: E402
from ui import components as ui  # noqa: E402
from ui.changes import changes_tab  # noqa: E402
from ui.render import transcript_markdown  # noqa: E402
from ui.review import autostart as review_autostart  # noqa: E402
from ui.services import Services, build_services  # noqa: E402
from vectorstore.embeddings import embedder_name  # noqa: E402

log = logging.getLogger("app")


def page_settings() -> Settings:
    """Settings from config/environment, with the model picked in the sidebar."""
    settings = load_settings()
    choice = st.session_state.get("llm_choice", settings.llm.choice)
    if choice != settings.llm.choice:
        settings = settings.replace(**{"llm.choice": choice})
    return settings


def model_choices(settings: Settings) -> list[str]:
    """The local models, plus the endpoint when one is configured (only it for a remote provider)."""
    if settings.llm.provider in ("openai", "anthropic"):
        return ["endpoint"]
    return ["default", "fast", *(["endpoint"] if settings.llm.base_url else [])]


def sidebar(services: Services) -> list[str] | None:
    """Vendor filter, model choice, corpus overview and upkeep; returns the vendor filter (None = all)."""
    with st.sidebar:
        st.header("Contract Q&A")
        names = services.store.vendors()
        picked = st.multiselect(
            "Vendors",
            list(names),
            format_func=lambda v: names.get(v, v),
            key="vendor_filter",
            placeholder="All vendors",
            help="Restrict answers to these vendors' documents.",
        )
        opts = model_choices(services.settings)
        current = st.session_state.get("llm_choice", services.settings.llm.choice)
        st.radio(
            "Model",
            opts,
            index=opts.index(current) if current in opts else 0,
            format_func=lambda o: ui.MODEL_LABELS[o],
            key="llm_choice",
        )
        st.subheader("Corpus")
        st.caption(settings_line(services.settings, embedder_name(services.settings.embedding)))
        ui.corpus_overview(services)
        with st.expander("Add a document", icon=":material/upload_file:"):
            ui.upload_section(services)
        with st.expander("Re-ingest or remove", icon=":material/build:"):
            ui.maintenance_section(services)
    return picked or None


def pending_questions() -> list[chat.Pending]:
    """This session's questions still waiting for an answer (kept across reruns until it is stored)."""
    pending: list[chat.Pending] = st.session_state.setdefault("pending", [])
    return pending


def queue_question() -> None:
    """chat_input callback: queue the typed question with the current vendor filter. Callbacks run before
    the script, so a question typed while another answer streams is queued before anything can stop it."""
    text = st.session_state.get("question")
    if isinstance(text, str):
        chat.enqueue(pending_questions(), text, st.session_state.get("vendor_filter") or None)


def chat_tab(services: Services, vendors: list[str] | None) -> None:
    """Chat history, the queued questions, the input; answers the oldest queued question, then reruns.

    `vendors` is the sidebar filter now; each queued question keeps the filter it was typed with."""
    messages: list[dict[str, Any]] = st.session_state.setdefault("messages", [])
    pending = pending_questions()
    for item in chat.drop_exhausted(pending):
        messages.extend(ui.interrupted_entries(item))
    if not messages and not pending:
        st.caption(
            "Ask in English or French, e.g. *How fast must Humanlinker notify a data breach?* "
            "Follow-ups keep the vendor in focus (*and for Aura Digital?*)."
        )
    log_box = st.container()  # past and queued messages, always above the input
    st.chat_input("Ask about the contracts…", key="question", max_chars=2000, on_submit=queue_question)
    with log_box:
        for i, m in enumerate(messages):
            ui.render_message(services, m, key=f"m{i}")
        if ui.answer_next(services, pending, messages):
            st.rerun()  # the stored answer replaces the streamed one; the next queued question starts
    if messages:
        turns = [
            (m["role"], m["answer"] if "answer" in m else m.get("content", m.get("error", "")))
            for m in messages
        ]
        c1, c2 = st.columns([1, 1])
        c1.download_button(
            "Download chat (Markdown)",
            transcript_markdown(turns),
            file_name="chat.md",
            mime="text/markdown",
            icon=":material/download:",
            key="chat_md",
            on_click="ignore",
        )
        if c2.button("Clear chat", icon=":material/delete_sweep:", key="chat_clear"):
            st.session_state["messages"] = []
            st.session_state["pending"] = []
            st.rerun()


def guarded(name: str, draw: Callable[..., None], *args: Any) -> None:
    """Draw one part of the page; an error there is shown plainly and the rest of the page still works."""
    try:
        draw(*args)
    except Exception as exc:
        ui.show_error(f"{name} failed", exc)


def main() -> None:
    st.set_page_config(
        page_title="Contract Q&A",
        page_icon=str(Path(__file__).parent / "ui" / "assets" / "icon.png"),
        layout="wide",
    )
    try:
        settings = page_settings()
        logging.basicConfig(level=settings.log_level)
        services = build_services(settings)
    except Exception as exc:
        ui.show_error("The assistant could not start", exc)
        st.stop()
    try:
        ui.ensure_ingested(services)
        vendors = sidebar(services)
    except Exception as exc:
        ui.show_error("The clause store is not available", exc)
        st.stop()
    guarded("The review grid build", review_autostart, services)
    chat, compare, documents, changes = st.tabs(
        ["Ask", "Compare vendors", "Documents", "Changes"], key="main_tabs", on_change="rerun"
    )
    with chat:
        guarded("The chat", chat_tab, services, vendors)
    with compare:
        guarded("The comparison", ui.comparison_tab, services, services.store.vendors())
    with documents:
        guarded("The document view", ui.documents_tab, services)
    with changes:
        guarded("The changes view", changes_tab, services, services.store.vendors())
    viewer = st.session_state.pop("viewer", None)
    if viewer:
        ui.document_dialog(services, **viewer)


if __name__ == "__main__":
    main()
