"""The Changes tab: a vendor's document versions on a timeline, the changes between a chosen pair (the two
latest by default) with a redline that reads without colour, filters by kind and by review-grid topic, each
change opening its clause in the document viewer, and the change list as Markdown or JSON.

The comparison is assistant.diff.stored over the versions the store keeps; the pure pieces (timeline,
filters, escaped redline) are ui.diffview. Document text only reaches the page escaped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import PurePath

import streamlit as st

from assistant.diff.changes import KINDS, Change, DiffResult
from assistant.diff.render import to_markdown
from assistant.diff.stored import VersionPair, diff_versions
from review import Topic, TopicError, load_topics
from ui import diffview, render
from ui.services import Services
from ui.widgets import open_viewer, show_error
from vectorstore.versions import VersionRecord

log = logging.getLogger(__name__)

SHOW_MAX = 100  # change cards drawn at once; the exports hold every change the filters keep
KIND_ICONS = {
    "changed": ":material/edit:",
    "added": ":material/add_circle:",
    "removed": ":material/remove_circle:",
    "moved": ":material/swap_vert:",
}


def _topics() -> list[Topic]:
    try:
        return load_topics()
    except TopicError as exc:
        show_error("The review topics file is invalid; changes are not matched to topics", exc)
        return []


def _pick_document(services: Services, vendor: str, name: str) -> tuple[str, list[VersionRecord]] | None:
    """The vendor's document to compare (among those with an earlier version kept) and its versions; None,
    after saying so and how to add a version, when there is none."""
    docs = services.store.all_versions([vendor])
    kept = {d: vs for d, vs in docs.items() if len(vs) >= 2}
    if not kept:
        st.info(diffview.no_versions_text(name, sorted(docs)), icon=":material/history_toggle_off:")
        return None
    doc = st.selectbox(
        "Document",
        list(kept),
        format_func=lambda d: f"{PurePath(d).name} ({len(kept[d])} versions)",
        key="chg_doc",
    )
    single = sorted(PurePath(d).name for d in docs if d not in kept)
    if single:
        st.caption("One version kept (nothing to compare): " + render.escape_markdown(", ".join(single)))
    return (doc, kept[doc]) if doc else None


def _pick_pair(document: str, versions: list[VersionRecord]) -> VersionPair | None:
    """From/To pickers (default: the two latest) above the timeline; None when From is not the older."""
    labels = [v.label for v in versions]
    old_default, _ = diffview.default_pair(versions) or (labels[0], labels[-1])
    current = {v.label for v in versions if v.current}

    def shown(label: str) -> str:
        return f"{label} (current)" if label in current else label

    c1, c2 = st.columns(2)
    old = c1.selectbox(
        "From", labels, index=labels.index(old_default), format_func=shown, key=f"chg_from-{document}"
    )
    new = c2.selectbox("To", labels, index=len(labels) - 1, format_func=shown, key=f"chg_to-{document}")
    st.html(diffview.timeline_html(diffview.timeline(versions, old or "", new or "")))
    if old is None or new is None or labels.index(old) >= labels.index(new):
        st.info("Pick a *From* version older than the *To* version.", icon=":material/swap_horiz:")
        return None
    return VersionPair(document, versions[labels.index(old)], versions[labels.index(new)])


def change_card(c: Change, n: int, pair: VersionPair, topic_labels: Mapping[str, str]) -> None:
    """One change: its kind and section, the redline, the figures that changed, its grid topics, and a
    button per version that opens the full text there with the quote highlighted."""
    with st.container(border=True, key=f"chg-card-{n}"):
        kind = c.kind.capitalize() + (" (and moved)" if c.moved else "")
        section = render.escape_markdown(diffview.section_of(c)) or "_(no section)_"
        st.markdown(f"{KIND_ICONS.get(c.kind, '')} **{n}. {kind}** · {section}")
        if c.old and c.new and c.old.section != c.new.section:
            st.caption(f"Section before: {render.escape_markdown(c.old.section) or '(no section)'}")
        st.html(diffview.redline_html(diffview.segments(c)))
        figures = diffview.figures_line(c)
        if figures:
            st.markdown(f"**Figures:** {render.escape_markdown(figures)}")
        topics = diffview.topic_labels(c, topic_labels)
        if topics:
            st.caption("Grid topics: " + render.escape_markdown(", ".join(topics)))
        with st.container(horizontal=True, gap="small"):
            for t in diffview.targets(c, pair.old, pair.new):
                st.button(
                    f"Open in {t.label}",
                    icon=":material/description:",
                    key=f"chg-open-{n}-{t.label}",
                    on_click=open_viewer,
                    args=(t.document, t.start, t.end, f"cqa-change-{n}"),
                )


def _exports(shown: DiffResult, stem: str) -> None:
    c1, c2 = st.columns(2)
    c1.download_button(
        "Changes as Markdown",
        to_markdown(shown),
        file_name=f"{stem}.md",
        mime="text/markdown",
        icon=":material/download:",
        key="chg_md",
        on_click="ignore",
    )
    c2.download_button(
        "Changes as JSON",
        json.dumps(shown.to_json(), ensure_ascii=False, indent=2),
        file_name=f"{stem}.json",
        mime="application/json",
        icon=":material/download:",
        key="chg_json",
        on_click="ignore",
    )


def changes_tab(services: Services, vendor_names: dict[str, str]) -> None:
    """Vendor and document pickers, the versions' timeline and pair, the summary, filters, the changes."""
    st.subheader("What changed between versions")
    if not vendor_names:
        st.info("No documents ingested yet.")
        return
    vendor = st.selectbox(
        "Vendor", list(vendor_names), format_func=lambda v: vendor_names.get(v, v), key="chg_vendor"
    )
    if not vendor:
        return
    picked = _pick_document(services, vendor, vendor_names.get(vendor, vendor))
    if picked is None:
        return
    pair = _pick_pair(*picked)
    if pair is None:
        return
    topics = _topics()
    lang = st.session_state.get("rv_lang", "en")
    labels = {t.key: t.label(lang) for t in topics}
    keywords = {t.key: tuple(w for words in t.keywords.values() for w in words) for t in topics}
    try:
        with st.spinner("Comparing the versions…"):
            result = diff_versions(services.store, pair, keywords, services.settings.chunking)
    except Exception as exc:
        show_error("The comparison failed", exc)
        return
    st.markdown(f"**{render.escape_markdown(diffview.summary_line(result.changes))}**")
    if not result.changes:
        st.info("No changes: the two versions say the same thing.", icon=":material/check:")
        return
    f1, f2 = st.columns(2)
    kinds = f1.multiselect("Kinds", list(KINDS), key="chg_kinds", placeholder="All kinds")
    keys = f2.multiselect(
        "Grid topics",
        list(labels),
        format_func=lambda k: labels.get(k, k),
        key="chg_topics",
        placeholder="All topics",
    )
    shown = diffview.filter_changes(result.changes, kinds, keys)
    stem = render.slug_for_file(f"changes {pair.document} {pair.old.label} {pair.new.label}", 80)
    _exports(DiffResult(result.old, result.new, tuple(shown)), stem)
    st.caption(render.escape_markdown(diffview.LEGEND))
    if len(shown) < len(result.changes):
        st.caption(
            f"Showing {len(shown)} of {len(result.changes)} changes (filtered); the exports hold these."
        )
    if not shown:
        st.info("No change of this kind or topic.", icon=":material/filter_alt_off:")
    number = {id(c): i for i, c in enumerate(result.changes, 1)}
    for c in shown[:SHOW_MAX]:
        change_card(c, number[id(c)], pair, labels)
    if len(shown) > SHOW_MAX:
        st.caption(f"{len(shown) - SHOW_MAX} more changes: narrow the filters, or download the list.")
