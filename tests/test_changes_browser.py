"""Real browser (Debian's chromium via Playwright) against `streamlit run app.py`: open the Changes tab on a
small corpus with two versions of a document, read a change's redline (deletion and insertion marked in the
text), check that an HTML payload in the new version is shown as text and never runs, and open the change in
the document viewer; the review grid marks the cell whose cited clause changed. Offline (hashing embedder,
fake LLM). Screenshots go to $BROWSER_ARTIFACTS (default: the test's tmp dir). Run: pytest -m browser -k
changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from assistant_fakes import offline_settings
from changes_corpus import NEW_LABEL, OLD_LABEL, PAYLOAD, write_corpus
from streamlit_server import CHROME_ARGS, CHROMIUM, artifacts_dir, offline_env, streamlit_app, wait_idle

from assistant import Assistant
from ingest.pipeline import run_ingest
from review import GridBuilder, ReviewCache

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return artifacts_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[str]:
    """The page over ACME's two versions of its terms (and Initech's single one), already ingested."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    root = tmp_path_factory.mktemp("server")
    corpus = write_corpus(root / "corpus")
    settings = offline_settings(corpus, root / "store")
    run_ingest(settings, progress=False)
    cache = ReviewCache.for_store(settings.store_dir)
    GridBuilder(Assistant(settings), cache=cache).build(["acme"], ["termination_notice"], "en")
    env = offline_env(corpus, root / "store")
    with streamlit_app(env, artifacts / "streamlit-changes.log") as url:
        yield url


def test_changes_tab_shows_a_readable_redline_and_the_payload_as_text(server: str, artifacts: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            dialogs: list[str] = []  # an alert() would mean the payload ran
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(server)
            expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=TIMEOUT_MS)
            page.get_by_role("tab", name="Changes").click()
            expect(page.get_by_text("What changed between versions")).to_be_visible(timeout=TIMEOUT_MS)
            timeline = page.locator(".cqa-timeline")
            expect(timeline).to_contain_text(f"{OLD_LABEL} (from)", timeout=TIMEOUT_MS)
            expect(timeline).to_contain_text(f"{NEW_LABEL} (current, to)")
            card = page.locator(".st-key-chg-card-2")
            redline = card.locator(".cqa-redline")
            expect(redline).to_be_visible(timeout=TIMEOUT_MS)
            wait_idle(page)
            # the deletion and the insertion are marked in the text itself, not by colour alone
            expect(redline.locator("del")).to_have_text("thirty (30)")
            expect(redline.locator(".cqa-del")).to_have_text("[-thirty (30)-]")
            expect(redline.locator(".cqa-ins").first).to_have_text("{+fourteen (14)+}")
            text = redline.inner_text()
            assert "[-thirty (30)-]{+fourteen (14)+}" in text and PAYLOAD in text
            assert page.locator(".cqa-redline img").count() == 0 and page.locator("img[src=x]").count() == 0
            expect(card).to_contain_text("thirty (30) days → fourteen (14) days")
            card.scroll_into_view_if_needed()
            page.screenshot(path=str(artifacts / "changes-tab.png"), full_page=True)
            card.screenshot(path=str(artifacts / "changes-redline.png"))
            card.get_by_role("button", name=f"Open in {NEW_LABEL}").click()
            dialog = page.get_by_test_id("stDialog")
            expect(dialog).to_be_visible(timeout=20_000)
            mark = dialog.frame_locator("iframe").first.locator("mark")
            expect(mark).to_contain_text(
                f"fourteen (14) days' written notice to ACME {PAYLOAD}", timeout=20_000
            )
            page.keyboard.press("Escape")
            # the review grid marks ACME's termination cell: its cited clause changed since the last version
            page.get_by_role("tab", name="Compare vendors").click()
            badge = page.locator(".stMarkdownBadge", has_text=f"Changed since {OLD_LABEL}")
            expect(badge).to_be_visible(timeout=TIMEOUT_MS)
            page.get_by_text(f"What changed since {OLD_LABEL}").click()
            expect(page.locator(".cqa-changed-old")).to_contain_text("thirty (30) days' written notice")
            expect(page.locator(".cqa-changed-new")).to_contain_text(PAYLOAD)
            wait_idle(page)
            badge.scroll_into_view_if_needed()
            page.screenshot(path=str(artifacts / "changes-grid.png"), full_page=True)
            page.wait_for_timeout(1000)
            assert not dialogs, f"a payload ran: {dialogs}"
        finally:
            browser.close()
