"""The version comparison (assistant/diff/): what is not a change, what is, the JSON shape, the CLI."""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.diff import KINDS, DiffResult, diff_texts
from assistant.diff.load import read_version, stated_date, version_label_of
from assistant.diff.render import redline_text, to_markdown
from core.settings import PROJECT_ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "diff"
OLD_MD = FIXTURES / "terms-2023-01-15.md"
NEW_MD = FIXTURES / "terms-2023-06-01.md"
SHARED_HISTORY = PROJECT_ROOT.parent / "shared" / "corpus-versions" / "basecamp" / "history"


def diff(old: str, new: str, name: str = "terms.md", **kw: object) -> DiffResult:
    return diff_texts(old, new, old_name=name, new_name=name, **kw)  # type: ignore[arg-type]


def assert_verbatim(result: DiffResult, old: str, new: str) -> None:
    for c in result.changes:
        if c.old:
            assert old[c.old.start : c.old.end] == c.old.quote
        if c.new:
            assert new[c.new.start : c.new.end] == c.new.quote


def reflow(text: str, width: int) -> str:
    """Each paragraph of plain lines wrapped at another width (headings and list items kept as lines)."""
    out = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if any(re.match(r"\s*(?:#|---|[-*] |\d+\. )", ln) for ln in lines):
            out.append(block)
        else:
            out.append(textwrap.fill(" ".join(lines), width, break_long_words=False, break_on_hyphens=False))
    return "\n\n".join(out)


# ------------------------------------------------------------------------------------ not a change
def test_reflowed_copy_gives_no_change() -> None:
    text = OLD_MD.read_text(encoding="utf-8")
    for width in (40, 72, 200):
        assert reflow(text, width) != text
        assert diff(text, reflow(text, width)).changes == ()


def test_markup_alone_gives_no_change() -> None:
    old = (
        "---\ntitle: Terms\n---\n\n# Terms\n\n*Last updated: May 2, 2023*\n\n## Payment\n\n"
        "Fees are **due in advance** and [non-refundable](../refund/index.md). "
        "Write to [support]({{ site.email_support }}).\n\n1. First item of the list.\n2. Second item.\n"
    )
    new = (
        "---\ntitle: Terms of Service\nlayout: page\n---\n\nTerms\n=====\n\n_Last updated: May 2, 2023_\n\n"
        "### Payment\n\nFees are __due in advance__ and <a href='/refund'>non-refundable</a>. "
        "Write to [support](mailto:help@example.com).\n\n- First item of the list.\n- Second item.\n"
    )
    assert diff(old, new).changes == ()


def test_ordered_list_numbers_are_markup_in_markdown_only() -> None:
    old = "Intro line.\n\n1. Scope of the service.\n2. Fees are due monthly.\n"
    new = "Intro line.\n\n1. Scope of the service.\n3. Fees are due monthly.\n"
    assert diff(old, new, name="terms.md").changes == ()
    (change,) = diff(old, new, name="terms.txt").changes
    assert change.redline[:2] == (("-", "2"), ("+", "3"))


def _pdf(words: list[str], cuts: list[int], width: int) -> str:
    """Extracted-PDF-like text: pages joined by blank lines, each opening with a running header and its
    page number, the words wrapped at `width`."""
    bounds = [0, *cuts, len(words)]
    pages = [textwrap.fill(" ".join(words[a:b]), width) for a, b in zip(bounds, bounds[1:], strict=False)]
    return "\n\n".join(f"ACME Data Processing Addendum\n{i}\n{p}" for i, p in enumerate(pages, 1))


def test_pdf_page_furniture_and_line_end_hyphens_give_no_change() -> None:
    words = (
        "Either party may terminate this Agreement for convenience upon thirty (30) days written notice. "
        "The Processor shall return all Personal Data to the Customer and delete existing copies unless "
        "applicable law requires storage of the Personal Data. Upon request the Processor shall certify "
        "the deletion in writing. The Processor notifies the Customer of a personal data breach without "
        "undue delay and at the latest within seventy-two (72) hours of becoming aware of it."
    ).split()
    old = _pdf(words, [20, 40, 55], 60)
    new = _pdf(words, [12, 33, 50], 44).replace("certify", "cer-\ntify", 1)
    assert "cer-\ntify" in new
    assert diff_texts(old, new, old_name="a.pdf", new_name="b.pdf").changes == ()
    # the same header and numbers are words like any other in a text file
    assert diff_texts(old, new, old_name="a.txt", new_name="b.txt").changes


# ------------------------------------------------------------------------------------------ changes
def test_figure_change_is_reported_with_a_redline() -> None:
    old, new = OLD_MD.read_text(encoding="utf-8"), NEW_MD.read_text(encoding="utf-8")
    result = diff(old, new)
    assert_verbatim(result, old, new)
    (change,) = [c for c in result.changes if c.old and "thirty" in c.old.quote]
    assert change.kind == "changed"
    assert [f.to_json() for f in change.figures] == [{"old": "thirty (30) days", "new": "fourteen (14) days"}]
    assert list(change.redline) == [
        ("=", "Invoices are due within "),
        ("-", "thirty (30)"),
        ("+", "fourteen (14)"),
        ("=", " days of the invoice date."),
    ]
    assert change.new is not None and change.new.section.endswith("Fees and payment")
    assert (
        redline_text(change.redline)
        == "Invoices are due within [-thirty (30)-]{+fourteen (14)+} days of the invoice date."
    )


def test_redline_rebuilds_both_quotes() -> None:
    old, new = OLD_MD.read_text(encoding="utf-8"), NEW_MD.read_text(encoding="utf-8")
    for c in diff(old, new).changes:
        if c.kind == "changed":
            assert c.old and c.new
            assert "".join(t for k, t in c.redline if k != "-") == c.new.quote
            assert all(t in c.old.quote for k, t in c.redline if k == "-")


def _sections(n: int) -> list[str]:
    return [
        f"## Section {i}\n\nThe provider {w} the service number {i} with care and diligence. "
        f"Each party keeps its own records for the {w} work during {i + 2} months."
        for i, w in zip(
            range(1, n + 1), ["runs", "hosts", "backs up", "monitors", "supports", "bills"], strict=False
        )
    ]


def test_moved_paragraph_is_moved_not_removed_and_added() -> None:
    moved = "Complaints go to the ombudsman first. The ombudsman answers within ten (10) days."
    secs = _sections(6)
    old = "# Terms\n\n" + "\n\n".join([secs[0] + "\n\n" + moved, *secs[1:]])
    new = "# Terms\n\n" + "\n\n".join([*secs[:5], secs[5] + "\n\n" + moved])
    result = diff(old, new)
    assert_verbatim(result, old, new)
    assert [c.kind for c in result.changes] == ["moved", "moved"]
    assert [c.new.quote for c in result.changes if c.new] == [
        "Complaints go to the ombudsman first.",
        "The ombudsman answers within ten (10) days.",
    ]
    assert result.changes[0].old and result.changes[0].old.section.endswith("Section 1")
    assert result.changes[0].new and result.changes[0].new.section.endswith("Section 6")


def test_moved_section_is_aligned_by_content() -> None:
    secs = _sections(6)
    old = "# Terms\n\n" + "\n\n".join(secs)
    new = "# Terms\n\n" + "\n\n".join([secs[4], *secs[:4], secs[5]]).replace("backs up", "copies")
    result = diff(old, new)
    kinds = {c.kind for c in result.changes}
    assert kinds == {"moved", "changed"}
    moved = [c for c in result.changes if c.kind == "moved"]
    assert {c.new.section for c in moved if c.new} == {"Terms > Section 5"}
    (changed, *_) = [c for c in result.changes if c.kind == "changed"]
    assert changed.redline and ("-", "backs up") in changed.redline


def test_renamed_and_split_sections_still_align() -> None:
    secs = _sections(4)
    old = "# Terms\n\n" + "\n\n".join(secs)
    renamed = secs[1].replace("## Section 2", "## Hosting and storage")
    first, second = secs[2].split(". ", 1)
    split = f"{first}.\n\n## Records\n\n{second}"
    new = "# Terms\n\n" + "\n\n".join([secs[0], renamed, split, secs[3]])
    result = diff(old, new)
    assert_verbatim(result, old, new)
    assert [
        (c.kind, c.old.quote if c.old else None, c.new.quote if c.new else None) for c in result.changes
    ] == [
        ("changed", "Section 2", "Hosting and storage"),
        ("added", None, "Records"),
    ]
    assert result.changes[1].new and result.changes[1].new.section == "Terms > Records"


def test_added_and_removed_sentences() -> None:
    old = "We keep logs for 30 days. We never sell data. Support answers by email."
    new = "We keep logs for 30 days. Support answers by email. Support also answers by phone on weekdays."
    result = diff(old, new)
    assert [(c.kind, c.old is None, c.new is None) for c in result.changes] == [
        ("removed", False, True),
        ("added", True, False),
    ]


def test_topics_match_accent_folded_keywords() -> None:
    old = "Le client peut résilier le contrat avec un préavis de trente (30) jours."
    new = "Le client peut résilier le contrat avec un préavis de soixante (60) jours."
    topics = {"termination_notice": ["resiliation", "resilier"], "liability_cap": ["responsabilite"]}
    (change,) = diff(old, new, topics=topics).changes
    assert change.topics == ("termination_notice",)
    assert [f.to_json() for f in change.figures] == [
        {"old": "trente (30) jours", "new": "soixante (60) jours"}
    ]


def test_json_shape_follows_the_spec() -> None:
    old, new = OLD_MD.read_text(encoding="utf-8"), NEW_MD.read_text(encoding="utf-8")
    out = diff_texts(
        old, new, old_name="a.md", new_name="b.md", old_version="2023-01-15", new_version="2023-06-01"
    ).to_json()
    assert out["old"] == {"document": "a.md", "version": "2023-01-15", "chars": len(old)}
    assert out["new"] == {"document": "b.md", "version": "2023-06-01", "chars": len(new)}
    assert {c["kind"] for c in out["changes"]} <= set(KINDS)
    for c in out["changes"]:
        assert {"kind", "old", "new", "figures", "topics"} <= set(c)
        assert (c["old"] is None) == (c["kind"] == "added")
        assert (c["new"] is None) == (c["kind"] == "removed")
        for side, text in (("old", old), ("new", new)):
            if c[side] is not None:
                assert set(c[side]) == {"quote", "start", "end", "section"}
                assert text[c[side]["start"] : c[side]["end"]] == c[side]["quote"]
        assert all(set(f) == {"old", "new"} for f in c["figures"])
    json.dumps(out)


def test_markdown_report() -> None:
    old, new = OLD_MD.read_text(encoding="utf-8"), NEW_MD.read_text(encoding="utf-8")
    md = to_markdown(diff(old, new))
    assert "[-thirty (30)-]{+fourteen (14)+}" in md
    assert "Figures: thirty (30) days → fourteen (14) days." in md
    assert "No changes" in to_markdown(diff(old, old))


# ----------------------------------------------------------------------------------------- versions
def test_version_labels(tmp_path: Path) -> None:
    assert version_label_of(Path("dpa-2021-09.pdf"), "") == "2021-09"
    assert version_label_of(Path("terms-2023-01-10.md"), "Last updated: May 1, 2020") == "2023-01-10"
    assert stated_date("# Terms\n\n*Last updated: July 10, 2020*\n") == "2020-07-10"
    assert stated_date("Dernière mise à jour : 3 mars 2023") == "2023-03-03"
    assert stated_date("Nothing dated here.") is None
    f = tmp_path / "terms.md"
    f.write_text("No date.\n", encoding="utf-8")
    os.utime(f, (1_600_000_000, 1_600_000_000))
    assert read_version(f).label == "2020-09-13"


# ---------------------------------------------------------------------------------------------- CLI
def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(OLD_MD), str(NEW_MD), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["old"]["version"] == "2023-01-15" and out["changes"]
    assert main(["diff", str(OLD_MD), str(NEW_MD), "--exit-code"]) == 1
    assert "# What changed" in capsys.readouterr().out
    assert main(["diff", str(OLD_MD), str(OLD_MD), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changes"] == []
    missing = tmp_path / "missing.md"
    assert main(["diff", str(missing), str(NEW_MD)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {missing}") and err.count("\n") == 1
    odd = tmp_path / "terms.xyz"
    odd.write_text("text", encoding="utf-8")
    assert main(["diff", str(OLD_MD), str(odd), "--json"]) == 2
    assert "unsupported file type" in capsys.readouterr().err


# ------------------------------------------------------------------------------ real PDFs (../shared)
needs_shared = pytest.mark.skipif(
    not (SHARED_HISTORY / "data-processing-addendum-2022-12.pdf").is_file(),
    reason="../shared/corpus-versions (real DPA PDFs) is not present",
)


@pytest.fixture(scope="module")
def dpas() -> dict[str, str]:
    return {
        v: read_version(SHARED_HISTORY / f"data-processing-addendum-{v}.pdf").text
        for v in ("2021-09", "2022-12")
    }


@needs_shared
def test_real_dpa_against_itself_and_reflowed(dpas: dict[str, str]) -> None:
    text = dpas["2022-12"]
    assert diff_texts(text, text, old_name="a.pdf", new_name="b.pdf").changes == ()
    pages = [p.split("\n") for p in text.split("\n\n")]
    rewrapped = "\n\n".join(
        "\n".join(
            lines[:1]
            + [textwrap.fill(" ".join(lines[1:]), 70, break_long_words=False, break_on_hyphens=False)]
        )
        for lines in pages
    )
    assert rewrapped != text
    assert diff_texts(text, rewrapped, old_name="a.pdf", new_name="b.pdf").changes == ()


@needs_shared
def test_real_dpa_versions_give_verbatim_changes(dpas: dict[str, str]) -> None:
    old, new = dpas["2021-09"], dpas["2022-12"]
    result = diff_texts(old, new, old_name="dpa-2021-09.pdf", new_name="dpa-2022-12.pdf")
    assert len(result.changes) > 50
    assert_verbatim(result, old, new)
    assert {"changed", "added", "removed"} <= {c.kind for c in result.changes}
    renamed = [c for c in result.changes if c.kind == "changed" and c.old and "Basecamp" in c.old.quote]
    assert any(("+", "37signals") in c.redline for c in renamed)
