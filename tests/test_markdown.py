"""Markdown read as the text a reader sees (ingest/markdown.py through ingest.loaders.load_bytes): markup,
front matter and Liquid tags gone, words and punctuation exactly as written, headings that the splitter
reads as sections, list markers kept, tables and HTML as the other loaders write them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT
from core.text import classify_heading
from ingest.loaders import LoadError, load_bytes

BASECAMP = PROJECT_ROOT / "data" / "contracts" / "basecamp"
MARKDOWN_FILES = sorted(BASECAMP.glob("*.md"))


def md(text: str, suffix: str = ".md") -> str:
    return load_bytes(text.encode("utf-8"), suffix)


def test_front_matter_and_liquid_tags_are_dropped():
    text = md(
        "---\ntitle: Terms of Service\ndescription: All the terms.\n---\n\n# Terms\n\n"
        "Write to [our support team]({{ site.email_support }}) or {% if x %}see below{% endif %}.\n"
    )
    assert text == "# Terms\n\nWrite to our support team or see below.\n"


def test_links_read_as_their_text_and_visible_urls_stay():
    text = md(
        "See our [Privacy Policy](../privacy/index.md), [the status page][status], <https://a.example/x> "
        "and https://b.example/y.\n\n[status]: https://www.37status.com\n"
    )
    assert text == "See our Privacy Policy, the status page, https://a.example/x and https://b.example/y.\n"


def test_emphasis_code_and_images_are_dropped_but_not_inside_words():
    text = md(
        "*Last updated: June 8, 2023*\n\n**These Terms do contain a limitation of our liability.** "
        "We __never__ sell _your_ data ![logo](logo.png) to anyone.\n\n"
        "Use `api_key` in snake_case names; 2*3*4 is 24 and a*b*c stays; \\*literal\\* too.\n"
    )
    assert text.splitlines() == [
        "Last updated: June 8, 2023",
        "",
        "These Terms do contain a limitation of our liability. We never sell your data to anyone.",
        "",
        "Use api_key in snake_case names; 2*3*4 is 24 and a*b*c stays; *literal* too.",
    ]


def test_headings_stay_on_their_own_line_as_the_splitter_reads_them():
    text = md(
        "# Terms of Service\nIntro.\n\n## Account Terms\n\nBody.\n\nSetext title\n------------\nMore.\n"
    )
    assert text == "# Terms of Service\n\nIntro.\n\n## Account Terms\n\nBody.\n\n## Setext title\n\nMore.\n"
    headings = [classify_heading(line) for line in text.splitlines()]
    assert [(h.level, h.label) for h in headings if h] == [
        (1, "Terms of Service"),
        (2, "Account Terms"),
        (2, "Setext title"),
    ]


def test_list_items_keep_their_markers_and_nesting():
    text = md(
        "Reasons:\n\n1. First **item**.\n2. Second item:\n   * nested [one](x)\n   * nested two\n"
        "3) Third.\n\n- loose A\n\n- loose B\n"
    )
    assert text == (
        "Reasons:\n\n1. First item.\n2. Second item:\n  - nested one\n  - nested two\n3) Third.\n\n"
        "- loose A\n\n- loose B\n"
    )


def test_tables_are_written_as_the_html_loader_writes_them():
    markdown = "| Sub-processor | Purpose |\n|---|---|\n| **AWS** | [Hosting](x) |\n| Stripe | Payments |\n"
    html = (
        "<table><tr><th>Sub-processor</th><th>Purpose</th></tr><tr><td>AWS</td><td>Hosting</td></tr>"
        "<tr><td>Stripe</td><td>Payments</td></tr></table>"
    )
    assert md(markdown) == load_bytes(html.encode(), ".html")
    assert md(markdown).splitlines() == [
        "Sub-processor: AWS; Purpose: Hosting",
        "Sub-processor: Stripe; Purpose: Payments",
    ]


def test_html_inside_markdown_is_rendered_as_the_html_loader_does():
    block = "<div>\n<p>Data is <b>encrypted</b> at rest.</p>\n<script>track()</script>\n</div>"
    text = md(f'Intro line.\n\n{block}\n\nWe use <a href="https://x">PCI</a> vendors.<br>Always.\n')
    assert (
        text == "Intro line.\n\n" + load_bytes(block.encode(), ".html") + "\nWe use PCI vendors.\nAlways.\n"
    )


def test_markdown_suffix_and_a_file_of_markup_only():
    assert md("**Bold** words.", ".markdown") == "Bold words.\n"
    with pytest.raises(LoadError, match="no text"):
        md("---\ntitle: x\n---\n{{ site.email }}\n\n![logo](logo.png)\n")


def test_plain_text_files_are_not_rendered():
    raw = "# Titre\n\n**Article 1** : [voir](x) {{ y }}\n"
    assert load_bytes(raw.encode(), ".txt") == raw


def _plain_lines(raw: str) -> list[str]:
    """Lines of a Markdown source holding no markup character at all: they must be rendered unchanged."""
    body = re.sub(r"\A---\n.*?\n---\n", "", raw, flags=re.S)
    return [ln.strip() for ln in body.splitlines() if ln.strip() and not re.search(r"[*_`\[\]<>{}#|\\&]", ln)]


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: p.name)
def test_basecamp_markdown_reads_cleanly(path: Path):
    raw = path.read_text(encoding="utf-8")
    text = load_bytes(path.read_bytes(), path.suffix)
    for markup in ("{{", "{%", "](", "**", "---\ntitle:", "<a ", "description:"):
        assert markup not in text, (path.name, markup)
    assert not re.search(r"(?<![\w*])\*(?=\w)|(?<!\w)_(?=\w)", text), path.name  # no emphasis marker left
    lines = set(text.splitlines())
    for ln in _plain_lines(raw):  # sentences without markup: every word and mark exactly as written
        assert ln in lines, (path.name, ln)
    assert text.startswith("# "), path.name  # the title heading, front matter gone


def test_basecamp_markdown_files_are_present():
    assert len(MARKDOWN_FILES) == 7


def test_hostile_markdown_loads_in_reasonable_time():
    import time

    for hostile in ("`" * 200_000 + " text", "a*b `c` " * 40_000, "{{" * 50_000 + " text"):
        t0 = time.perf_counter()
        try:
            load_bytes(hostile.encode(), ".md")
        except LoadError:
            pass
        assert time.perf_counter() - t0 < 20
