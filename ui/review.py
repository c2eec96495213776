"""The Compare tab's review grid: every vendor x every topic from the review cache, each cell a short answer
with its citation chips (opening the clause highlighted), coloured by the user's requirements, marked when its
cited passage changed since the document's previous version; filters, CSV/XLSX/Markdown exports, and a
background build of the missing cells with its progress.

The grid logic lives in the review package and assistant.requirements; this module only draws it. A background
build starts when the tab is opened and cells are missing (CQA_REVIEW_AUTOBUILD=open, the default), whenever
cells are missing, e.g. right after an ingest (=always), or only from the button (=off).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Literal

import streamlit as st

from assistant.requirements import RequirementError, apply_requirements, load_requirements, requirements_path
from core.markers import MARKER_RE
from core.types import Citation
from review import (
    BackgroundBuild,
    GridBuilder,
    ReviewCache,
    Topic,
    TopicError,
    flag_changed_cells,
    grid_csv,
    grid_markdown,
    grid_xlsx,
    load_topics,
)
from ui import render
from ui.services import Services
from ui.widgets import open_viewer, show_error

log = logging.getLogger(__name__)

AUTOBUILD_ENV = "CQA_REVIEW_AUTOBUILD"
BadgeColour = Literal["green", "orange", "red", "gray"]
STATUS_BADGE: dict[
    str, tuple[str, str, BadgeColour]
] = {  # requirement status -> (label, icon, badge colour); the reason is shown under the answer
    "green": ("Meets", ":material/check_circle:", "green"),
    "amber": ("Check", ":material/error:", "orange"),
    "red": ("Fails", ":material/cancel:", "red"),
    "unknown": ("Unknown", ":material/help:", "gray"),
}
SHORT_ANSWER = 260


@st.cache_resource(show_spinner=False)
def background_builds(store_dir: str) -> BackgroundBuild:
    """One background build per store, shared by every session of this server."""
    return BackgroundBuild()


def autobuild_mode() -> str:
    """open (default): build missing cells when the tab is shown; always: on every page run; off."""
    mode = os.environ.get(AUTOBUILD_ENV, "open").strip().lower()
    return mode if mode in ("open", "always", "off") else "open"


def _builder(services: Services, topics: list[Topic]) -> GridBuilder:
    cache = ReviewCache.for_store(services.settings.store_dir)
    return GridBuilder(services.assistant, cache=cache, topics=topics, lock=services.lock)


def start_build(
    services: Services,
    lang: str,
    topics: list[Topic] | None = None,
    vendors: list[str] | None = None,
    keys: list[str] | None = None,
) -> bool:
    """Start a background build of the missing cells (all vendors x topics unless given) in `lang`, unless
    a build runs or nothing is missing."""
    topics = topics if topics is not None else load_topics()
    runner = background_builds(str(services.settings.store_dir))
    if runner.running:
        return False
    builder = _builder(services, topics)
    if not builder.cached(vendors, keys, lang).missing:
        return False
    return runner.start(builder, vendors, keys, lang)


def autostart(services: Services) -> None:
    """Wiring for app.py: with CQA_REVIEW_AUTOBUILD=always, fill missing cells (e.g. after an ingest)."""
    if autobuild_mode() != "always":
        return
    try:
        start_build(services, st.session_state.get("rv_lang", "en"))
    except Exception:  # noqa: BLE001 - the page must open even when the grid cannot be built
        log.warning("review grid autostart failed", exc_info=True)


@st.fragment(run_every=2.0)
def _live_progress(services: Services) -> None:
    """The running build's progress, refreshed every 2 s; reruns the page once when the build ends."""
    runner = background_builds(str(services.settings.store_dir))
    p = runner.progress
    if runner.running and p is not None:
        st.progress(p.fraction, text=f"Building the review grid: {p.line()}")
        st.session_state["rv_was_running"] = True
    elif st.session_state.pop("rv_was_running", False):
        st.rerun(scope="app")  # show the cells just computed


def progress_panel(services: Services) -> None:
    """The progress of a build, refreshed only while one runs (no timer on an idle page)."""
    runner = background_builds(str(services.settings.store_dir))
    if runner.running or st.session_state.get("rv_was_running"):
        _live_progress(services)


def _short(answer: str, limit: int = SHORT_ANSWER) -> str:
    """The cell's answer, cut at a word boundary after `limit` characters (its [n] markers kept)."""
    text = " ".join(answer.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    markers = [m.group() for m in MARKER_RE.finditer(text[len(cut) :]) if m.group() not in cut]
    return cut + "…" + (" " + " ".join(dict.fromkeys(markers)) if markers else "")


def _doc_text(services: Services, document: str) -> str | None:
    texts: dict[str, str | None] = st.session_state.setdefault("rv_texts", {})
    if document not in texts:
        try:
            texts[document] = services.store.document_text(document)
        except Exception:  # noqa: BLE001 - the chip still shows the quote alone
            log.warning("document %s not readable", document, exc_info=True)
            texts[document] = None
    return texts[document]


def cell_chips(services: Services, cites: list[dict[str, Any]], key: str) -> None:
    """Citation chips of one cell; each opens the clause with the quote highlighted."""
    if not cites:
        return
    with st.container(horizontal=True, gap="small"):
        for d in cites:
            c = Citation(**{k: d[k] for k in Citation.__dataclass_fields__ if k in d})
            pop_key = f"{key}-chip-{c.n}"
            with st.popover(f"[{c.n}]", key=pop_key, on_change="rerun", help=render.chip_label(c)):
                st.markdown(render.citation_meta_markdown(c))
                st.html(render.citation_html(c, render.passage_for(c, None, _doc_text(services, c.document))))
                st.button(
                    "Open in document",
                    icon=":material/description:",
                    key=f"{key}-open-{c.n}",
                    on_click=open_viewer,
                    args=(c.document, c.start, c.end, render.anchor_id(c), pop_key),
                )


def changed_label(changed: dict[str, Any]) -> str:
    """The cell's marker: 'Changed since 2021-09-27' (said in words, not by colour alone)."""
    return f"Changed since {changed.get('version') or 'the previous version'}"


def changed_detail(changed: dict[str, Any], key: str) -> None:
    """What the cited passage said in the previous version and says now (escaped), and a button opening the
    previous version at the old passage."""
    since = render.escape_markdown(str(changed.get("version", "")))
    with st.expander(f"What changed since {since}", icon=":material/history:"):
        old, new = changed.get("old"), str(changed.get("new") or "")
        before = f"Before ({changed.get('version', 'previous version')})"
        if old:
            st.caption(render.escape_markdown(before + ":"))
            st.html(render.text_html(str(old), css_class="cqa-changed-old"))
        else:
            st.caption(render.escape_markdown(before + ": not in that version (added since)."))
        st.caption(render.escape_markdown(f"Now ({changed.get('current', 'current version')}):"))
        st.html(render.text_html(new, css_class="cqa-changed-new"))
        if old and changed.get("old_document") and changed.get("old_start") is not None:
            st.button(
                "Open the previous version",
                icon=":material/description:",
                key=f"{key}-changed-open",
                on_click=open_viewer,
                args=(
                    changed["old_document"],
                    int(changed["old_start"]),
                    int(changed["old_end"]),
                    f"cqa-changed-{key}",
                ),
            )


def grid_cell(services: Services, cell: dict[str, Any] | None, key: str) -> None:
    """One cell: the requirement's colour and reason, a 'Changed since' marker, the short answer, its chips,
    and what the changed passage said before."""
    with st.container(border=True, height="stretch"):
        if cell is None:
            st.caption(":material/hourglass_empty: not computed yet")
            return
        req = (
            None if cell.get("abstained") else cell.get("requirement")
        )  # silent: "Not in the documents" says it
        changed = cell.get("changed_since")
        if req:
            label, icon, colour = STATUS_BADGE.get(req["status"], STATUS_BADGE["unknown"])
            st.badge(label, icon=icon, color=colour)
        if cell.get("abstained"):
            st.badge("Not in the documents", icon=":material/search_off:", color="gray")
        if changed:
            st.badge(
                render.escape_markdown(changed_label(changed)), icon=":material/history:", color="violet"
            )
        shown = cell.get("citations") or []  # a silent cell's closest clause, as its answer says
        st.markdown(render.answer_markdown(_short(str(cell.get("answer", ""))), [int(c["n"]) for c in shown]))
        if req and req.get("reason"):
            st.caption(render.escape_markdown(req["reason"]))
        cell_chips(services, shown, key)
        if changed:
            changed_detail(changed, key)


def review_tab(services: Services, vendor_names: dict[str, str]) -> None:
    """The whole grid at once (topics as rows, vendors as columns), filters, requirements, exports."""
    t0 = time.perf_counter()
    try:
        topics = load_topics()
    except TopicError as exc:
        show_error("The review topics file is invalid", exc)
        return
    st.subheader("Vendor review grid")
    c1, c2, c3 = st.columns([3, 4, 1])
    vendors = c1.multiselect(
        "Vendors",
        list(vendor_names),
        default=list(vendor_names),
        key="rv_vendors",
        format_func=lambda v: vendor_names.get(v, v),
        placeholder="All vendors",
    )
    labels = {t.key: t for t in topics}
    lang = c3.segmented_control("Language", ["en", "fr"], default="en", key="rv_lang", required=True) or "en"
    keys = c2.multiselect(
        "Topics",
        list(labels),
        default=list(labels),
        key="rv_topics",
        format_func=lambda k: labels[k].label(lang),
        placeholder="All topics",
    )
    if not vendors or not keys:
        st.info("Pick at least one vendor and one topic.")
        return
    builder = _builder(services, topics)
    grid = builder.cached(vendors, keys, lang)
    try:
        reqs = load_requirements()
    except (RequirementError, OSError, ImportError) as exc:
        show_error("Your requirements file could not be read", exc)
        reqs = {}
    data = apply_requirements(grid.to_json(), reqs)
    flag_changed_cells(data, services.store)  # a cell whose cited passage changed since the previous version
    st.session_state["rv_store"] = str(services.settings.store_dir)
    runner = background_builds(str(services.settings.store_dir))
    missing = len(grid.missing)
    if (
        missing
        and not runner.running
        and autobuild_mode() == "open"
        and st.session_state.get("main_tabs") == "Compare vendors"
    ):
        start_build(services, lang, topics)
    info = st.container(horizontal=True, vertical_alignment="center")
    total = len(grid.vendors) * len(grid.topics)
    info.caption(
        f"{total - missing}/{total} cells ready · requirements: "
        f"{render.escape_markdown(requirements_path().name)} ({len(reqs)} rules)"
    )
    if info.button(
        "Build missing cells",
        key="rv_build",
        disabled=not missing or runner.running,
        icon=":material/play_arrow:",
    ):
        start_build(services, lang, topics, vendors, keys)
    progress_panel(services)
    if runner.progress and runner.progress.errors and not runner.running:
        st.warning(
            "Some cells failed: " + render.escape_markdown("; ".join(runner.progress.errors[-3:])),
            icon=":material/warning:",
        )
    rows = {r["vendor"]: r for r in data["rows"]}
    widths = [2] + [3] * len(grid.vendors)
    head = st.columns(widths)
    head[0].markdown("**Topic**")
    for col, (_, name) in zip(head[1:], grid.vendors, strict=True):
        col.markdown(f"**{render.escape_markdown(name)}**")
    for t in data["topics"]:
        cols = st.columns(widths)
        cols[0].markdown(f"**{render.escape_markdown(t['label'])}**")
        if t["key"] in reqs:
            cols[0].caption(f"Yours: {render.escape_markdown(reqs[t['key']].text)}")
        for col, (v, _) in zip(cols[1:], grid.vendors, strict=True):
            with col:
                grid_cell(services, rows[v]["cells"].get(t["key"]), key=f"rv-{v}-{t['key']}-{lang}")
    e1, e2, e3 = st.columns(3)
    e1.download_button(
        "Grid as CSV",
        grid_csv(data),
        file_name=f"review-grid-{lang}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="rv_csv",
        on_click="ignore",
    )
    e2.download_button(
        "Grid as XLSX",
        grid_xlsx(data),
        file_name=f"review-grid-{lang}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key="rv_xlsx",
        on_click="ignore",
    )
    e3.download_button(
        "Grid as Markdown",
        grid_markdown(data),
        file_name=f"review-grid-{lang}.md",
        mime="text/markdown",
        icon=":material/download:",
        key="rv_md",
        on_click="ignore",
    )
    st.session_state["rv_render_ms"] = (time.perf_counter() - t0) * 1000
