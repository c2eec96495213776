"""Streamlit pieces of the page: answers with citation chips, the document viewer, the sidebar, the
comparison tab. app.py composes them; every document text shown here goes through ui.render (escaped)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from core.types import Answer, Citation, Hit
from ui import chat, render
from ui.confidence import confidence_line
from ui.review import review_tab
from ui.services import Services, corpus_files
from ui.uploads import ALLOWED_TYPES, UploadError, remove_document, safe_slug, save_upload, slugify
from ui.widgets import open_viewer, show_error

if TYPE_CHECKING:
    from ingest.report import IngestReport

log = logging.getLogger(__name__)

MODEL_LABELS = {
    "default": "Default (Qwen2.5-Coder 1.5B, local)",
    "fast": "Fast (Qwen2.5-Coder 0.5B, local)",
    "endpoint": "Configured endpoint",
}
NEW_VENDOR = "➕ New vendor…"
OTHER_TOPIC = "Other (type a topic)…"


# ----------------------------------------------------------------------------- citations


def _passage(services: Services, c: Citation, hits: Sequence[Hit]) -> render.Passage:
    clause = render.find_clause(c, hits)
    if clause is None and c.clause_id:
        try:
            clause = services.store.clause(c.clause_id)
        except Exception:  # a stale id after re-ingest: fall back to the document text
            log.warning("clause %s not found", c.clause_id, exc_info=True)
    passage = render.passage_for(c, clause)
    if passage.quote_span(c) is None or passage.text == c.quote:
        try:
            passage = render.passage_for(c, clause, services.store.document_text(c.document))
        except Exception:
            log.warning("document %s not readable", c.document, exc_info=True)
    return passage


def render_citations(services: Services, answer: Answer, key: str) -> None:
    """Numbered chips under an answer; each opens its clause with the quote highlighted."""
    if not answer.citations:
        return
    with st.container(horizontal=True, gap="small"):
        for c in answer.citations:
            pop_key = f"{key}-chip-{c.n}"
            with st.popover(render.chip_label(c), key=pop_key, on_change="rerun"):
                st.markdown(render.citation_meta_markdown(c))
                st.html(render.citation_html(c, _passage(services, c, answer.retrieved)))
                st.button(
                    "Open in document",
                    icon=":material/description:",
                    key=f"{key}-open-{c.n}",
                    on_click=open_viewer,
                    args=(c.document, c.start, c.end, render.anchor_id(c), pop_key),
                )


def render_answer(services: Services, answer: Answer, key: str) -> None:
    """An answer as a person reads it: the short answer, its citation chips, the confidence in words and
    number, then collapsed details (why this answer; model, timings and internal notes)."""
    body = render.answer_markdown(answer.answer, [c.n for c in answer.citations])
    if not answer.answer.strip():
        st.warning(
            "The model produced no usable answer. The clauses retrieved for the question are below; "
            "try rephrasing, or pick another model in the sidebar.",
            icon=":material/warning:",
        )
        if not answer.citations:
            render_hits(answer.retrieved[:5], key)
    elif answer.abstained:
        st.info(body, icon=":material/info:")
    else:
        st.markdown(body)
    render_citations(services, answer, key)
    if answer.abstained:
        st.badge("Not in the documents", icon=":material/search_off:", color="orange")
    elif answer.mode == "extractive":
        st.badge("Quoted from the contract", icon=":material/format_quote:", color="gray")
    elif answer.mode == "refused":
        st.badge("Refused", icon=":material/block:", color="red")
    confidence = confidence_line(answer)
    if confidence:
        st.caption(f":material/verified: {render.escape_markdown(confidence)}")
    why = chat.explanation_text(answer)
    if why:
        with st.expander("Why this answer", icon=":material/help:"):
            st.markdown(render.escape_markdown(why))
    with st.expander("Technical details", icon=":material/build:"):
        st.markdown("  \n".join(render.escape_markdown(line) for line in chat.technical_lines(answer)))


def render_hits(hits: Sequence[Hit], key: str) -> None:
    """Retrieved clauses, shown when no answer could be generated."""
    for i, h in enumerate(hits, 1):
        c = h.clause
        with st.expander(f"{i}. {c.vendor_name} · {render.short_section(c.section) or c.document}"):
            st.caption(render.escape_markdown(f"{c.document} · {c.section} · {c.start}–{c.end}"))
            st.html(render.text_html(c.text))


# ----------------------------------------------------------------------------- chat


def _status(box: Any, text: str, icon: str = ":material/hourglass_top:") -> None:
    box.caption(f"{icon} {render.escape_markdown(text)}")


@contextmanager
def model_turn(services: Services, key: str, status: Any) -> Iterator[None]:
    """Hold the server's model lock to answer question `key`. While other questions hold it, count this
    one as waiting and keep a status line with the number ahead and the expected wait up to date."""
    q = services.queue
    with q.waiting(key):
        while not services.lock.acquire(timeout=0.5):
            ahead = max(1, q.ahead(exclude=[key]))  # the lock is held: at least one is ahead
            _status(status, chat.queue_line(ahead, q.expected_wait(ahead, exclude=[key])))
    try:
        yield
    finally:
        services.lock.release()


def _show_text(box: Any, view: chat.StreamView) -> None:
    box.markdown(render.answer_markdown(view.text, [c.n for c in view.citations]))


def _follow(events: Iterator[object], status: Any, text: Any) -> chat.StreamView:
    """Show a stream's events as they come (status line, then the text); returns the view at its end."""
    view = chat.StreamView()
    try:
        for event in events:
            new = chat.apply_event(view, event)
            if new.done:
                return new
            if new.status != view.status and new.status:
                _status(status, new.status, ":material/pending:")
            if new.text != view.text:
                _show_text(text, new)
            view = new
    finally:
        close = getattr(events, "close", None)
        if close is not None:  # a stopped run: end the model call before the lock is released
            close()
    return view


def stream_answer(
    services: Services, item: chat.Pending, history: list[Answer], wanted: Callable[[], bool] | None = None
) -> dict[str, Any] | None:
    """Answer one queued question inside the current chat message: a status line (queue, then the stages
    the assistant reports) above the text as it is shown. Returns the chat-history entry (the answer, or
    the error with the clauses retrieved without the LLM); the caller stores it and reruns the page, which
    drops every transient line. None when, once the model is free, `wanted()` says the question was
    answered meanwhile (by a stopped run of this session that finished first)."""
    note, status, text = st.empty(), st.empty(), st.empty()
    if item.asks > 1:
        _status(note, "Asking again: the first answer was cut off by newer input.", ":material/replay:")
    view = chat.StreamView()
    error: BaseException | None = None
    try:
        with model_turn(services, item.id, status):
            if wanted is not None and not wanted():
                return None
            _status(status, "Searching the contracts…", ":material/search:")
            with services.queue.answering(item.id):
                view = _follow(
                    services.assistant.stream(item.question, vendors=item.vendors, history=history),
                    status,
                    text,
                )
    except Exception as exc:  # shown with the retrieved clauses
        error = exc
    note.empty()
    status.empty()
    if view.answer is not None:
        return {"role": "assistant", "answer": view.answer}
    text.empty()
    err = error or RuntimeError("the assistant returned no answer")
    show_error("No answer could be generated", err)
    hits: list[Hit] = []
    try:
        hits = list(services.assistant.retrieve(item.question, vendors=item.vendors).hits)
    except Exception as exc:
        show_error("Retrieval failed too", exc)
    return {"role": "assistant", "error": render.escape_markdown(render.error_help(err)), "hits": hits}


def answer_next(services: Services, pending: list[chat.Pending], messages: list[dict[str, Any]]) -> bool:
    """Show this session's queued questions (each with its place in line and expected wait) and answer the
    oldest. Its question and answer are stored together, then it leaves the queue; returns whether one
    was answered (the caller then reruns the page). A run stopped by newer input leaves it queued."""
    head = chat.next_to_ask(pending)
    if head is None:
        return False
    own = [p.id for p in pending]
    ahead_server = services.queue.ahead(exclude=own)  # other sessions' questions
    slots = []
    for i, p in enumerate(pending):
        with st.chat_message("user"):
            st.markdown(render.escape_markdown(p.question))
        slot = st.chat_message("assistant")
        if i:
            ahead = ahead_server + i
            with slot:
                _status(st, chat.queue_line(ahead, services.queue.expected_wait(ahead, exclude=own)))
        slots.append(slot)
    head.asks += 1
    with slots[0]:
        entry = stream_answer(
            services, head, history_for_assistant(messages), wanted=lambda: chat.is_pending(pending, head.id)
        )
    if entry is not None and chat.finish(pending, head.id):  # stored once, even if two runs answered it
        messages.extend([{"role": "user", "content": head.question}, entry])
    return True


def interrupted_entries(item: chat.Pending) -> list[dict[str, Any]]:
    """The transcript entries of a question given up after `chat.MAX_ASKS` interrupted asks: the question
    stays in the chat with a button to ask it again."""
    return [
        {"role": "user", "content": item.question},
        {
            "role": "assistant",
            "error": render.escape_markdown(chat.INTERRUPTED),
            "retry": item.question,
            "vendors": item.vendors,
        },
    ]


def history_for_assistant(messages: Sequence[dict[str, Any]], turns: int = 6) -> list[Answer]:
    """The last answers of the chat (each carries its question and vendors), so that follow-ups such
    as "and for Aura Digital?" keep the topic and the vendor in focus."""
    return [m["answer"] for m in messages if "answer" in m][-turns:]


def _ask_again(m: dict[str, Any]) -> None:
    """'Ask again' callback: queue the interrupted question once more (the button then goes away)."""
    question = m.pop("retry", None)
    if question:
        chat.enqueue(st.session_state.setdefault("pending", []), question, m.get("vendors"))


def render_message(services: Services, m: dict[str, Any], key: str) -> None:
    """One past chat message."""
    with st.chat_message(m["role"]):
        if m["role"] == "user":
            st.markdown(render.escape_markdown(m["content"]))
        elif "answer" in m:
            render_answer(services, m["answer"], key)
        else:
            st.error(m.get("error", "No answer."), icon=":material/error:")
            if m.get("retry"):
                st.button(
                    "Ask again", key=f"{key}-retry", icon=":material/replay:", on_click=_ask_again, args=(m,)
                )
            if m.get("hits"):
                st.caption("The clauses retrieved for this question:")
                render_hits(m["hits"], key)


# ----------------------------------------------------------------------------- document viewer


def document_view(
    services: Services,
    document: str,
    start: int = 0,
    end: int = 0,
    mark_id: str = "cqa-quote",
    height: int = 520,
) -> None:
    """The full document, escaped, with [start:end] highlighted and scrolled into view."""
    try:
        text = services.store.document_text(document)
    except Exception as exc:
        show_error(f"Cannot open {document}", exc)
        return
    rec = services.store.document(document)
    name = rec.vendor_name if rec else document.split("/")[0]
    st.markdown(
        f"**{render.escape_markdown(name)}** · `{document.replace('`', '')}`"
        + (f" · highlighted characters {start}–{end}" if end > start else "")
    )
    st.iframe(render.document_viewer_html(text, start, end, mark_id), height=height)


@st.dialog("Document", width="large")
def document_dialog(services: Services, document: str, start: int, end: int, mark_id: str) -> None:
    """The document viewer as a dialog, opened from a citation chip."""
    document_view(services, document, start, end, mark_id)


def documents_tab(services: Services) -> None:
    """Browse any ingested document; optionally highlight the first match of a phrase."""
    docs = services.store.documents()
    if not docs:
        st.info("No documents ingested yet.")
        return
    labels: dict[str, str] = {d.document: f"{d.vendor_name} — {d.document}" for d in docs}
    doc = st.selectbox("Document", list(labels), format_func=lambda d: labels.get(d, d), key="doc_pick")
    phrase = st.text_input("Find in document", key="doc_find", placeholder="e.g. 48 heures")
    start = end = 0
    if doc and phrase:
        text = services.store.document_text(doc)
        i = text.lower().find(phrase.lower())
        if i >= 0:
            start, end = i, i + len(phrase)
        else:
            st.caption("Not found in this document.")
    if doc:
        document_view(services, doc, start, end)


# ----------------------------------------------------------------------------- sidebar


def corpus_overview(services: Services) -> None:
    """Vendors, documents, clauses and the last ingest time."""
    docs = services.store.documents()
    vendors = {d.vendor for d in docs}
    c1, c2, c3 = st.columns(3)
    c1.metric("Vendors", len(vendors))
    c2.metric("Documents", len(docs))
    c3.metric("Clauses", sum(d.n_clauses for d in docs))
    last = max((d.ingested_at for d in docs), default="")
    st.caption(f"Last ingest: {render.escape_markdown(last[:19].replace('T', ' ')) or 'never'}")
    if docs:
        with st.expander("Per vendor", icon=":material/table_rows:"):
            rows: dict[str, dict[str, Any]] = {}
            for d in docs:
                r = rows.setdefault(
                    d.vendor, {"Vendor": d.vendor_name, "Documents": 0, "Clauses": 0, "Language": d.language}
                )
                r["Documents"] += 1
                r["Clauses"] += d.n_clauses
            st.dataframe(list(rows.values()), hide_index=True, width="stretch")


def run_ingest_ui(
    services: Services,
    paths: list[Path] | None = None,
    prune: bool = False,
    rebuild: bool = False,
    label: str = "Ingesting",
) -> IngestReport | None:
    """run_ingest with a progress bar that says clauses embedded / total, the rate and the time left."""
    from ingest.pipeline import run_ingest
    from ingest.progress import IngestProgress

    s = services.settings
    bar = st.progress(0.0, text=f"{label}…")

    def show(p: IngestProgress) -> None:
        bar.progress(p.fraction, text=f"{label}: {p.line()}")

    with services.lock:
        report = run_ingest(
            s,
            paths=paths,
            prune=prune,
            rebuild=rebuild,
            embeddings=services.embeddings,
            store=services.store,
            progress=show,
        )
    bar.progress(1.0, text=f"{label}: done")
    return report


def ensure_ingested(services: Services) -> None:
    """First run: when the store is empty and the corpus has documents, ingest them with a progress bar
    (clauses embedded / total, rate, time left) and say which CPU and embedding precision it runs on."""
    from core.hardware import current

    if services.store.documents():
        return
    files = corpus_files(services.settings.corpus_dir)
    if not files:
        st.warning(
            f"The corpus folder {services.settings.corpus_dir} has no documents. Add one from the sidebar."
        )
        return
    cpu, emb = current().cpu, services.settings.embedding
    st.info(
        f"First run: ingesting {len(files)} documents from the sample corpus (embedding on "
        f"{cpu.model}, {cpu.physical_cores} cores, {emb.dtype}); this happens once."
    )
    try:
        run_ingest_ui(services, label="Ingesting")
    except Exception as exc:
        show_error("The first ingest failed", exc)


def upload_section(services: Services) -> None:
    """Add a document to an existing or new vendor, then ingest that file."""
    s = services.settings
    vendors = services.store.vendors()
    pick = st.selectbox(
        "Vendor", [*sorted(vendors), NEW_VENDOR], format_func=lambda v: vendors.get(v, v), key="up_vendor"
    )
    name = ""
    if pick == NEW_VENDOR:
        name = st.text_input("Vendor name", key="up_new_name", placeholder="Acme Cloud")
        slug = st.text_input(
            "Folder (slug)",
            key="up_new_slug",
            placeholder=slugify(name) or "acme-cloud",
            help="Lowercase letters, digits and '-'; empty: derived from the name.",
        )
        slug = slug.strip() or slugify(name)
    else:
        slug = pick
    max_mb = int(s.ingest.max_file_mb)
    up = st.file_uploader(
        "Document",
        type=list(ALLOWED_TYPES),
        key="up_file",
        max_upload_size=max_mb,
        help=f"txt, md, html, pdf or docx; up to {max_mb} MB",
    )
    if (
        st.button("Add and ingest", key="up_go", disabled=up is None, icon=":material/upload:")
        and up is not None
    ):
        try:
            path = save_upload(
                s.corpus_dir,
                safe_slug(slug or ""),
                up.name,
                up.getvalue(),
                int(max_mb * 1024 * 1024),
                vendor_name=name or None,
            )
        except UploadError as exc:
            st.error(f"Upload refused: {render.escape_markdown(str(exc))}")
            return
        try:
            report = run_ingest_ui(services, paths=[path], label="Ingesting")
        except Exception as exc:
            show_error("Ingesting the upload failed", exc)
            return
        line = render.escape_markdown(_report_line(report))
        failed = report is not None and any(e.status in ("skipped", "failed") for e in report.entries)
        (st.warning if failed else st.success)(
            f"Added {render.escape_markdown(path.parent.name + '/' + path.name)}. {line}"
        )


def _report_line(report: IngestReport | None) -> str:
    """'added 1, unchanged 4' from an IngestReport, plus the reasons of skipped/failed files."""
    if report is None:
        return ""
    counts = ", ".join(f"{k} {v}" for k, v in report.counts().items() if v) or "nothing to do"
    bad = [
        f"{e.document}: {e.status} ({e.reason})" for e in report.entries if e.status in ("skipped", "failed")
    ]
    return "Ingest: " + counts + (". " + "; ".join(bad) if bad else ".")


def maintenance_section(services: Services) -> None:
    """Re-ingest the corpus, or remove one document (file deleted, store pruned)."""
    rebuild = st.checkbox(
        "Rebuild from scratch",
        key="re_rebuild",
        help="Re-embed every document (after changing the embedder or chunking).",
    )
    if st.button("Re-ingest corpus", key="re_go", icon=":material/sync:"):
        try:
            report = run_ingest_ui(services, paths=None, prune=True, rebuild=rebuild, label="Re-ingesting")
            st.success(render.escape_markdown(_report_line(report)) or "Done.")
        except Exception as exc:
            show_error("Re-ingest failed", exc)
    docs = [d.document for d in services.store.documents()]
    if not docs:
        return
    doc = st.selectbox("Remove a document", docs, index=None, key="rm_doc", placeholder="Choose a document")
    sure = st.checkbox("Yes, delete this file from the corpus", key="rm_sure", disabled=doc is None)
    if st.button("Remove", key="rm_go", disabled=not (doc and sure), icon=":material/delete:") and doc:
        try:
            remove_document(services.settings.corpus_dir, doc)
        except UploadError as exc:
            st.error(f"Not removed: {render.escape_markdown(str(exc))}")
            return
        try:
            folder = services.settings.corpus_dir / doc.split("/")[0]
            run_ingest_ui(services, paths=[folder], prune=True, label="Pruning")
            st.success(f"Removed {render.escape_markdown(doc)}.")
        except Exception as exc:
            show_error("Pruning the store failed", exc)


# ----------------------------------------------------------------------------- comparison


def comparison_tab(services: Services, vendor_names: dict[str, str]) -> None:
    """The review grid (ui.review: every vendor x topic, cached, coloured by your requirements), then any
    other topic on demand: one row per vendor with short answers and citations; export."""
    review_tab(services, vendor_names)
    st.divider()
    st.subheader("Another topic")
    vendors = st.multiselect(
        "Vendors",
        list(vendor_names),
        default=list(vendor_names),
        format_func=lambda v: vendor_names.get(v, v),
        key="cmp_vendors",
    )
    topic = st.selectbox("Topic", [*render.TOPICS, OTHER_TOPIC], key="cmp_topic")
    if topic == OTHER_TOPIC:
        topic = st.text_input("Topic", key="cmp_custom", placeholder="e.g. encryption at rest")
    if st.button(
        "Compare",
        type="primary",
        key="cmp_go",
        disabled=not (vendors and topic),
        icon=":material/compare_arrows:",
    ):
        with st.spinner(f"Comparing {len(vendors)} vendors…"), services.lock:
            try:
                st.session_state["comparison"] = services.assistant.compare(topic, vendors)
            except Exception as exc:
                show_error("The comparison failed", exc)
    ans: Answer | None = st.session_state.get("comparison")
    if ans is None:
        return
    st.subheader(f"Comparison: {render.escape_markdown(ans.question)}")
    rows = render.comparison_rows(ans)
    st.dataframe(
        [
            {"Vendor": r["vendor"], "Answer": r["answer"], "Citations": r["citations"], "Status": r["status"]}
            for r in rows
        ],
        hide_index=True,
        width="stretch",
        column_config={"Answer": st.column_config.TextColumn(width="large")},
    )
    by_n = {c.n: c for c in ans.citations}
    for va in ans.comparison or []:
        with st.container(border=True):
            st.markdown(f"**{render.escape_markdown(va.vendor_name)}**")
            if va.abstained:
                st.badge("Not in the documents", icon=":material/search_off:", color="orange")
            st.markdown(render.answer_markdown(va.answer, va.citation_ns))
            sub = Answer(
                question=ans.question,
                answer=va.answer,
                abstained=va.abstained,
                citations=[by_n[n] for n in va.citation_ns if n in by_n],
                retrieved=ans.retrieved,
            )
            render_citations(services, sub, key=f"cmp-{va.vendor}")
    c1, c2 = st.columns(2)
    stem = render.slug_for_file(ans.question)
    c1.download_button(
        "Download CSV",
        render.comparison_csv(ans),
        file_name=f"comparison-{stem}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="cmp_csv",
        on_click="ignore",
    )
    c2.download_button(
        "Download Markdown",
        render.comparison_markdown(ans),
        file_name=f"comparison-{stem}.md",
        mime="text/markdown",
        icon=":material/download:",
        key="cmp_md",
        on_click="ignore",
    )
