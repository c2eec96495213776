"""UI safety: document text with HTML/Markdown/JS stays inert (render helpers, and a real Chromium against
`streamlit run app.py` on the XSS corpus: no payload runs, no tracker loads); uploads are limited by size
and type; file names cannot escape the corpus (../, absolute paths, symlinks) in the page's sanitiser
(ui/uploads.py) nor in ingest's path checks."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit_server import CHROME_ARGS, CHROMIUM, streamlit_app

from core.settings import Settings

PAYLOADS = [
    "<script>window.__xss=1;document.title='PWNED'</script>",
    '<img src=x onerror="window.__xss=2">',
    "[the portal](javascript:window.__xss=3)",
    '<a href="javascript:window.__xss=4">click</a>',
    '<iframe src="javascript:parent.__xss=5"></iframe>',
    '<svg onload="window.__xss=6"></svg>',
    "![t](http://198.51.100.7/p.png)",
    ":red[styled] $x^2$ **bold** `code` <details open ontoggle=alert(1)>",
]
BAD_NAMES = [
    "../../etc/passwd",
    "/etc/passwd",
    "..",
    ".",
    "a/../../b.txt",
    "..\\..\\win.ini",
    "C:\\x.txt",
    "~/.ssh/id_rsa.txt",
    ".hidden.txt",
    "ok.txt\x00.pdf",
    "con\nsole.txt",
    "x" * 300 + ".txt",
    "evil.exe",
    "noext",
    "payload.html.sh",
    "",
]


# ------------------------------------------------------------------------------------ render helpers
_OUR_TAGS = {"html", "head", "body", "meta", "style", "div", "mark", "h4", "script"}


def _assert_only_our_markup(out: str) -> None:
    """Parse the HTML as a browser would: only our own tags, no event handlers, no javascript: URLs,
    and the one script is ours (it never contains document text)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(out, "html.parser")
    for tag in soup.find_all(True):
        assert tag.name in _OUR_TAGS, f"document text produced a <{tag.name}> element"
        for attr, value in tag.attrs.items():
            assert not attr.lower().startswith("on"), f"event handler attribute {attr}"
            assert "javascript:" not in str(value).lower()
    scripts = soup.find_all("script")
    assert len(scripts) <= 1 and all("__xss" not in s.get_text() for s in scripts)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_rendered_document_text_is_inert(payload: str) -> None:
    from ui.render import answer_markdown, document_viewer_html, escape_markdown, highlight_html

    text = f"Clause 1. {payload} End."
    html_out = highlight_html(text, 10, 10 + len(payload))
    viewer = document_viewer_html(text, 0, 5)
    for out in (html_out, viewer):
        _assert_only_our_markup(out)
    md = escape_markdown(payload)
    assert "](" not in md.replace("\\]\\(", ""), md
    assert not re.search(r"(?<!\\)<", md), md
    ans = answer_markdown(f"The vendor says {payload} [1].", cited=[1])
    assert not re.search(r"(?<!\\)[<\[]\w", ans.replace(":blue-badge[1]", "")), ans


# ------------------------------------------------------------------------------------ upload sanitiser
@pytest.mark.parametrize("name", BAD_NAMES)
def test_upload_names_cannot_escape(name: str) -> None:
    from ui.uploads import UploadError, safe_filename

    with pytest.raises(UploadError):
        safe_filename(name)


def test_save_upload_limits_and_confinement(tmp_path: Path) -> None:
    from ui.uploads import UploadError, remove_document, save_upload

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    ok = save_upload(corpus, "acme", "terms.txt", b"Clause.", max_bytes=100)
    assert ok == corpus / "acme" / "terms.txt" and ok.read_bytes() == b"Clause."
    with pytest.raises(UploadError, match="too large"):
        save_upload(corpus, "acme", "big.txt", b"x" * 101, max_bytes=100)
    with pytest.raises(UploadError):
        save_upload(corpus, "acme", "empty.txt", b"", max_bytes=100)
    with pytest.raises(UploadError):
        save_upload(corpus, "acme", "run.sh", b"#!/bin/sh", max_bytes=100)
    for slug in ("../outside", "/tmp", "..", "Acme", "a/b", ""):
        with pytest.raises(UploadError):
            save_upload(corpus, slug, "x.txt", b"x", max_bytes=100)
    # a vendor folder that is a symlink to somewhere else
    (corpus / "linked").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UploadError):
        save_upload(corpus, "linked", "x.txt", b"x", max_bytes=100)
    assert not list(outside.iterdir()), "an upload was written outside the corpus"
    # a document that is a symlink to a file outside: removal must refuse
    secret = outside / "secret.txt"
    secret.write_text("keep me")
    (corpus / "acme" / "link.txt").symlink_to(secret)
    for doc in ("acme/link.txt", "../outside/secret.txt", "/etc/passwd", "acme/../../outside/secret.txt"):
        with pytest.raises(UploadError):
            remove_document(corpus, doc)
    assert secret.read_text() == "keep me"
    assert remove_document(corpus, "acme/terms.txt") == corpus / "acme" / "terms.txt"


@pytest.mark.reliability
def test_ingest_paths_cannot_escape(hostile_settings: Settings, tmp_path: Path) -> None:
    from ingest.pipeline import run_ingest

    outside = tmp_path / "outside.txt"
    outside.write_text("ARTICLE 1\n\nSecret outside the corpus.\n")
    corpus = hostile_settings.corpus_dir
    (corpus / "xss-vendor" / "escape.txt").symlink_to(outside)
    report = run_ingest(
        hostile_settings,
        paths=["../../etc/passwd", "/etc/passwd", str(outside), str(corpus / "xss-vendor")],
        progress=False,
    )
    by_doc = {e.document: e for e in report.entries}
    assert by_doc["xss-vendor/terms.txt"].status == "added"
    assert by_doc["xss-vendor/escape.txt"].status == "skipped"
    escaped = [e for e in report.entries if e.status == "skipped" and "outside" in e.reason]
    assert len(escaped) == 3, report.to_json()
    assert not any(e.status == "added" and e.document != "xss-vendor/terms.txt" for e in report.entries)


# ------------------------------------------------------------------------------------ browser


@pytest.fixture(scope="module")
def xss_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`streamlit run app.py` over the hostile corpus (ingested first), fake models, on a free port."""
    from rel_harness import offline_env, run_module

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}")
    tmp = tmp_path_factory.mktemp("xss")
    corpus = tmp / "corpus"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / "corpus", corpus)
    env = offline_env(corpus, tmp / "store", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    assert run_module("ingest", "--no-progress", env=env, timeout=120).rc == 0
    with streamlit_app(env, tmp / "streamlit.log") as url:
        yield url, tmp


@pytest.mark.browser
@pytest.mark.reliability
def test_payloads_in_documents_do_not_run_in_the_page(xss_server: tuple[str, Path], figures) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    url, tmp = xss_server
    external: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.on(
                "request",
                lambda r: (
                    external.append(r.url)
                    if not r.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))
                    else None
                ),
            )
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(url)
            box = page.get_by_test_id("stChatInputTextArea")
            expect(box).to_be_visible(timeout=90_000)
            for q in (
                "What does XSS Vendor forbid customers to upload?",
                "What is the warranty period of XSS Vendor?",
                "Where do support requests go at XSS Vendor?",
                "How long are logs retained by XSS Vendor?",
            ):
                box.fill(q)
                box.press("Enter")
                expect(page.get_by_test_id("stChatMessageContent").last).not_to_be_empty(timeout=90_000)
                page.wait_for_timeout(1500)
                figures.add("browser_payload_questions")
            chips = page.get_by_test_id("stPopoverButton")
            for i in range(min(chips.count(), 6)):
                chips.nth(i).click()
                page.wait_for_timeout(400)
                opener = page.get_by_test_id("stPopoverBody").last.get_by_role(
                    "button", name="Open in document"
                )
                if i == 0 and opener.count():
                    opener.first.click()
                    page.wait_for_timeout(2500)
                    page.keyboard.press("Escape")
                page.keyboard.press("Escape")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(tmp / "xss.png"), full_page=True)
            flags = [
                f.evaluate("() => [window.__xss === undefined ? null : window.__xss, document.title]")
                for f in page.frames
                if not f.is_detached()
            ]
            body_text = page.inner_text("body")
        finally:
            browser.close()
    # a payload's own text shown as text (quoted, escaped) proves it reached the page and did not run
    assert "__xss" in body_text, (
        "the payload text should be visible as text (quoted), proving it reached the page"
    )
    for value, title in flags:
        assert value is None, f"a payload ran in the page (window.__xss = {value})"
        assert "PWNED" not in (title or "")
    assert not dialogs, f"a payload opened a dialog: {dialogs}"
    assert not external, f"the page requested external URLs: {external}"
