"""Real browser (Debian's chromium via Playwright) against `streamlit run app.py`: open the Compare tab's
review grid from a cached grid, click a cell's citation chip, check the highlighted quote is verbatim text of
the cited document, and open it in the document viewer. Offline (hashing embedder, fake LLM).
Screenshots go to $BROWSER_ARTIFACTS (default: the test's tmp dir). Run: pytest -m browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from assistant_fakes import offline_settings
from streamlit_server import CHROME_ARGS, CHROMIUM, artifacts_dir, offline_env, streamlit_app, wait_idle

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
    return artifacts_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[tuple[str, Path, int]]:
    """The page over the sample corpus with the whole grid already in the review cache (and its number of
    cells: every vendor x every topic)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    store = tmp_path_factory.mktemp("server") / "store"
    settings = offline_settings(SAMPLE, store)
    run_ingest(settings, progress=False)
    grid = GridBuilder(Assistant(settings), cache=ReviewCache.for_store(store)).build(None, None, "en")
    cells = len(grid.vendors) * len(grid.topics)
    assert len(grid.cells) == cells and len(grid.vendors) >= 6
    env = offline_env(SAMPLE, store)
    with streamlit_app(env, artifacts / "streamlit-review.log") as url:
        yield url, store, cells


def test_grid_chip_opens_the_highlighted_clause(server: tuple[str, Path, int], artifacts: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, store, cells = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            page.goto(url)
            expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=TIMEOUT_MS)
            page.get_by_role("tab", name="Compare vendors").click()
            expect(page.get_by_text("Vendor review grid")).to_be_visible(timeout=TIMEOUT_MS)
            expect(page.get_by_text(f"{cells}/{cells} cells ready")).to_be_visible(timeout=TIMEOUT_MS)
            wait_idle(page)
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
