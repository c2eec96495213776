"""Small Streamlit helpers shared by the page's pieces (ui.components, ui.review): the error box and the
citation chip's "Open in document" callback. Below both, so neither imports the other for them."""

from __future__ import annotations

import logging

import streamlit as st

from ui import render

log = logging.getLogger(__name__)


def show_error(prefix: str, exc: BaseException) -> None:
    """An error box with the cause and the remedy; the traceback goes to the log."""
    log.error("%s", prefix, exc_info=exc)
    st.error(f"**{prefix}.** {render.escape_markdown(render.error_help(exc))}", icon=":material/error:")


def open_viewer(document: str, start: int, end: int, mark_id: str, popover_key: str = "") -> None:
    """Button callback: close the chip's popover and ask this run to open the document viewer."""
    if popover_key:
        st.session_state[popover_key] = False
    st.session_state["viewer"] = {"document": document, "start": start, "end": end, "mark_id": mark_id}
