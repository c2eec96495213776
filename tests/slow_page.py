"""The page (app.py, unchanged) with each answer stream held back CQA_TEST_STREAM_DELAY_S seconds before its
first event, so that a browser test can type a second question while the first is still being answered
(the offline fake model answers in milliseconds). Run by tests/streamlit_server.py as the page script."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:  # `streamlit run tests/slow_page.py` puts tests/ first on the path, not the root
    sys.path.insert(0, ROOT)

import app  # noqa: E402
from assistant import Assistant  # noqa: E402

DELAY_S = float(os.environ.get("CQA_TEST_STREAM_DELAY_S", "0") or 0)


def slow_down() -> None:
    """Wrap Assistant.stream once per process (Streamlit re-executes this script on every run)."""
    if DELAY_S <= 0 or getattr(Assistant.stream, "held_back", False):
        return
    original = Assistant.stream

    def stream(self: Any, question: str, *args: Any, **kwargs: Any) -> Iterator[Any]:
        time.sleep(DELAY_S)
        yield from original(self, question, *args, **kwargs)

    stream.held_back = True  # type: ignore[attr-defined]
    Assistant.stream = stream  # type: ignore[method-assign]


slow_down()
app.main()
