"""The version comparison on extracted PDF text: sentence units decided from the page's own width and
structure (run-in headings on full lines, short lines, citations, page joins), renumbered clauses, moved
blocks; and the helper's hand-read dev set of two real DPA PDFs (tests/fixtures/diff/dpa-pages.jsonl)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from assistant.diff import DiffResult, diff_texts
from assistant.diff.load import read_version
from evals.diffscore import aggregate, score_pair

FIXTURES = Path(__file__).parent / "fixtures" / "diff"
WIDTH = 92

BODY = (
    "The Processor shall maintain appropriate technical and organizational measures for the protection "
    "of the security, confidentiality and integrity of Customer Data, as set forth in the documentation. "
    "The Processor regularly monitors compliance with these measures and reports on them once a year. "
    "The Processor will not materially decrease the overall security of the Services during a term."
)


def page(*paragraphs: str) -> str:
    """Paragraphs wrapped at the page width, one line each for a title or a short line."""
    return "\n".join(textwrap.fill(p, WIDTH, break_long_words=False) for p in paragraphs)


def pdf_diff(old: str, new: str) -> DiffResult:
    result = diff_texts(old, new, old_name="old.pdf", new_name="new.pdf")
    for c in result.changes:
        assert c.old is None or old[c.old.start : c.old.end] == c.old.quote
        assert c.new is None or new[c.new.start : c.new.end] == c.new.quote
    return result


def quotes(result: DiffResult) -> list[tuple[str, str | None, str | None]]:
    return [
        (
            c.kind,
            " ".join(c.old.quote.split()) if c.old else None,
            " ".join(c.new.quote.split()) if c.new else None,
        )
        for c in result.changes
    ]


# ------------------------------------------------------------------------------------- sentence units
def test_run_in_heading_on_a_full_line_does_not_cut_the_sentence_at_the_line_end() -> None:
    """ "5.1 Confidentiality. The Processor shall ensure ... of" fills the line: a heading by its number, but
    the sentence after the run-in title goes on over the next line."""
    lines = [
        "5.1 Confidentiality. The Processor shall ensure that all of its personnel engaged in the Processing of",
        "Personal Data are informed of the confidential nature of the Personal Data and have executed",
        "written confidentiality agreements.",
    ]
    sentence = " ".join(lines).split(". ", 1)[1]
    old = page("5. PERSONNEL") + "\n" + "\n".join(lines) + "\n" + page(BODY)
    new = old.replace("written", "binding written")
    assert quotes(pdf_diff(old, new)) == [
        ("changed", sentence, sentence.replace("written", "binding written"))
    ]


def test_short_lines_end_their_units_in_a_pdf() -> None:
    """A date line, a title and the lines of a list stop short of the page width: each is a unit of its own
    (the preamble's first sentence is not the date's)."""
    schedules = [
        "List of Schedules",
        "Schedule 1: Transfer Mechanisms",
        "Schedule 2: Details of the Processing",
    ]
    old = page("ACME DATA PROCESSING ADDENDUM", "(Last updated May 2, 2022)", BODY, *schedules)
    new = page(
        "ACME DATA PROCESSING ADDENDUM",
        "(Last updated June 1, 2023)",
        BODY,
        *schedules[:2],
        "Schedule 2: Details of Processing",
    )
    assert quotes(pdf_diff(old, new)) == [
        ("changed", "(Last updated May 2, 2022)", "(Last updated June 1, 2023)"),
        ("changed", "Schedule 2: Details of the Processing", "Schedule 2: Details of Processing"),
    ]


def test_a_citation_with_abbreviations_is_one_sentence() -> None:
    """ "Cal. Civ. Code" closes no sentence: the definition is one unit, changed as a whole."""
    old = page(
        BODY, "“CCPA” means the California Consumer Privacy Act, Cal. Civ. Code § 1798.100 et seq.", BODY
    )
    new = page(
        BODY,
        "“CCPA” means the California Consumer Privacy Act, Cal. Civ. Code § 1798.100 et seq. as amended.",
        BODY,
    )
    ((kind, o, n),) = quotes(pdf_diff(old, new))
    assert kind == "changed" and o is not None and n is not None
    assert o.startswith("“CCPA” means") and n.endswith("as amended.")


def test_a_sentence_over_a_page_join_is_one_unit_and_a_connector_line_joins_its_neighbours() -> None:
    """A page ends inside a sentence on a full line ("... and at"), the next page opens with its page number
    and the sentence's end in capitals: one unit. A lone "and" between two items is no unit of its own."""
    full = (
        "The Processor shall provide reasonable assistance to the Customer for an impact assessment, and at"
    )
    assert len(full) >= WIDTH - 2
    items = page(
        "i. Not retain Personal Data longer than needed;", "and", "ii. Notify the Customer of a breach."
    )
    old = page(BODY) + "\n" + full + "\n\n4\n" + page("Customer's reasonable expense.", BODY) + "\n" + items
    new = old.replace("Customer's reasonable", "Customer's own reasonable").replace("a breach", "any breach")
    assert quotes(pdf_diff(old, new)) == [
        (
            "changed",
            f"{full} 4 Customer's reasonable expense.",
            f"{full} 4 Customer's own reasonable expense.",
        ),
        ("changed", "Notify the Customer of a breach.", "Notify the Customer of any breach."),
    ]


# ---------------------------------------------------------------------------- the hand-read dev set
def test_dpa_pages_dev_set_scores_above_target() -> None:
    """Pages 1-6 of the 2022-12 DPA against pages 1-8 of the 2023-04 one, 62 changes read by hand."""
    (item,) = [
        json.loads(ln) for ln in (FIXTURES / "dpa-pages.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    old, new = read_version(FIXTURES / item["old"]), read_version(FIXTURES / item["new"])
    result = diff_texts(old.text, new.text, old_name=item["old"], new_name=item["new"])
    metrics = aggregate([score_pair(item, old.text, new.text, [c.to_json() for c in result.changes])])
    assert metrics["changed_sentence_recall"] >= 0.95
    assert metrics["changed_sentence_precision"] >= 0.95


@pytest.mark.parametrize("name", ["dpa-2022-12-p1-6.pdf", "dpa-2023-04-p1-8.pdf"])
def test_a_pdf_against_itself_gives_no_change(name: str) -> None:
    text = read_version(FIXTURES / name).text
    assert diff_texts(text, text, old_name=name, new_name=name).changes == ()
