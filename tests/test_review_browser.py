"""Real browser (Debian's chromium via Playwright) against `streamlit run app.py`: open the Compare tab's
review grid from a cached grid, click a cell's citation chip, check the highlighted quote is verbatim text of
the cited document, and open it in the document viewer. Offline (hashing embedder, fake LLM).
Screenshots go to $BROWSER_ARTIFACTS (default: the test's tmp dir). Run: pytest -m browser."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from assistant_fakes import offline_settings
from streamlit_server import CHROME_ARGS, CHROMIUM, streamlit_app

from assistant import Assistant
from core.settings import PROJECT_ROOT
from ingest.pipeline import run_ingest
from review import GridBuilder, ReviewCache
from vectorstore.store import ClauseStore

pytestmark = pytest.mark.browser

SAMPLE = PROJECT_ROOT / "data" / "contracts"
TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = Path(os.environ.get("BROWSER_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[tuple[str, Path]]:
    """The page over the sample corpus with the whole grid already in the review cache."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    store = tmp_path_factory.mktemp("server") / "store"
    settings = offline_settings(SAMPLE, store)
    run_ingest(settings, progress=False)
    GridBuilder(Assistant(settings), cache=ReviewCache.for_store(store)).build(None, None, "en")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CQA")}
    env.update(
        {
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "CORPUS_DIR": str(SAMPLE),
            "STORE_DIR": str(store),
            "CQA__EMBEDDING__KIND": "hashing",
            "CQA__LLM__PROVIDER": "fake",
            "CQA_REVIEW_AUTOBUILD": "off",
        }
    )
    with streamlit_app(env, artifacts / "streamlit-review.log") as url:
        yield url, store


def _wait_idle(page, timeout_s: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        quiet = quiet + 1 if page.get_by_test_id("stStatusWidgetRunningIcon").count() == 0 else 0


def test_grid_chip_opens_the_highlighted_clause(server: tuple[str, Path], artifacts: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, store = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            page.goto(url)
            expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=TIMEOUT_MS)
            page.get_by_role("tab", name="Compare vendors").click()
            expect(page.get_by_text("Vendor review grid")).to_be_visible(timeout=TIMEOUT_MS)
            expect(page.get_by_text("60/60 cells ready")).to_be_visible(timeout=TIMEOUT_MS)
            _wait_idle(page)
            page.screenshot(path=str(artifacts / "review-grid.png"), full_page=True)
            # the chip of Humanlinker's breach-notification cell
            cell = page.locator(".st-key-rv-humanlinker-breach_notification-en-chip-1")
            chip = cell.get_by_test_id("stPopoverButton").first
            expect(chip).to_be_visible(timeout=20_000)
            chip.click()
            body = page.get_by_test_id("stPopoverBody").last
            mark = body.locator("mark").first
            expect(mark).to_be_visible(timeout=10_000)
            quote = mark.inner_text()
            document = body.locator("code").first.inner_text()
            assert document == "humanlinker/cgu-and-dpa.txt"
            text = ClauseStore(offline_settings(SAMPLE, store)).document_text(document)
            assert quote.strip() and (quote in text or " ".join(quote.split()) in " ".join(text.split()))
            page.screenshot(path=str(artifacts / "review-chip.png"))
            body.get_by_role("button", name="Open in document").click()
            dialog = page.get_by_test_id("stDialog")
            expect(dialog).to_be_visible(timeout=20_000)
            expect(dialog.frame_locator("iframe").first.locator("mark")).to_have_text(quote, timeout=20_000)
        finally:
            browser.close()
