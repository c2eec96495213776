"""Real browser (Debian's chromium via Playwright) against `streamlit run app.py`: open the Changes tab on a
small corpus with two versions of a document, read a change's redline (deletion and insertion marked in the
text), check that an HTML payload in the new version is shown as text and never runs, and open the change in
the document viewer. Offline (hashing embedder, fake LLM). Screenshots go to $BROWSER_ARTIFACTS (default:
the test's tmp dir). Run: pytest -m browser -k changes."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from assistant_fakes import offline_settings
from changes_corpus import NEW_LABEL, OLD_LABEL, PAYLOAD, write_corpus
from streamlit_server import CHROME_ARGS, CHROMIUM, streamlit_app

from ingest.pipeline import run_ingest

pytestmark = pytest.mark.browser

TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = Path(os.environ.get("BROWSER_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[str]:
    """The page over ACME's two versions of its terms (and Initech's single one), already ingested."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    root = tmp_path_factory.mktemp("server")
    corpus = write_corpus(root / "corpus")
    run_ingest(offline_settings(corpus, root / "store"), progress=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CQA")}
    env.update(
        {
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "ANONYMIZED_TELEMETRY": "False",
            "CORPUS_DIR": str(corpus),
            "STORE_DIR": str(root / "store"),
            "CQA__EMBEDDING__KIND": "hashing",
            "CQA__LLM__PROVIDER": "fake",
            "CQA_REVIEW_AUTOBUILD": "off",
        }
    )
    with streamlit_app(env, artifacts / "streamlit-changes.log") as url:
        yield url


def _wait_idle(page, timeout_s: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(1000)
        quiet = quiet + 1 if page.get_by_test_id("stStatusWidgetRunningIcon").count() == 0 else 0


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
            _wait_idle(page)
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
            page.wait_for_timeout(1000)
            assert not dialogs, f"a payload ran: {dialogs}"
        finally:
            browser.close()
