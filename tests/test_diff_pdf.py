"""The version comparison on extracted PDF text: sentence units decided from the page's own width and
structure (run-in headings on full lines, short lines, citations, page joins), renumbered clauses, moved
blocks; and the helper's hand-read dev set of two real DPA PDFs (tests/fixtures/diff/dpa-pages.jsonl)."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from assistant.diff import DiffResult, diff_texts
from assistant.diff.align import anchored_opcodes
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
        ("changed", "ii. Notify the Customer of a breach.", "ii. Notify the Customer of any breach."),
    ]


# ------------------------------------------------------------------------------------ page furniture
def test_numbered_running_headers_and_contents_page_numbers_are_no_change() -> None:
    """A running header that carries its page number ("ACME DPA v2 - page 3") and the page numbers of a
    table of contents move with the pagination: no change."""
    sentences = [
        f"Clause {n}. The Processor keeps the records of topic {n} for the whole term." for n in range(12)
    ]

    def document(per_page: int, pages_of: list[int]) -> str:
        contents = [f"{n}. TOPIC {n} {'.' * 20} {p}" for n, p in enumerate(pages_of, 1)]
        chunks = [sentences[k : k + per_page] for k in range(0, len(sentences), per_page)]
        body = [f"ACME DPA v2 - page {i}\n" + page(*chunk) for i, chunk in enumerate(chunks, 2)]
        return "\n\n".join(["CONTENTS\n" + "\n".join(contents), *body])

    old, new = document(4, [2, 3, 4]), document(3, [2, 4, 5])
    assert old != new
    assert pdf_diff(old, new).changes == ()


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


def test_numbered_headings_and_items_are_units_and_annex_letters_end_sentences() -> None:
    """ "I. Obligations" after a page join and "ii." items open units; "Annex B. The parties" is two
    sentences ("The" is a word the document also writes in lower case), "U.S. Privacy" one."""
    old = (
        page(BODY, "The details of the transfer are specified in Annex B, which forms part of the clauses.")
        + "\n\n24\n"
        + page(
            "I. Obligations of the data exporter",
            "The details are in Annex B. The parties agree that the U.S. Privacy Laws apply.",
            "h) It will process the personal data, at its option, in accordance with:",
            "i. the data protection laws of the country in which the data exporter is established, or",
            "ii. the data processing principles set forth in Annex A.",
        )
    )
    new = (
        old.replace("I. Obligations of the data exporter", "I. Obligations of the exporter")
        .replace("parties agree", "parties accept")
        .replace("is established, or", "has its seat, or")
    )
    assert quotes(pdf_diff(old, new)) == [
        ("changed", "I. Obligations of the data exporter", "I. Obligations of the exporter"),
        (
            "changed",
            "The parties agree that the U.S. Privacy Laws apply.",
            "The parties accept that the U.S. Privacy Laws apply.",
        ),
        (
            "changed",
            "i. the data protection laws of the country in which the data exporter is established, or",
            "i. the data protection laws of the country in which the data exporter has its seat, or",
        ),
    ]


def test_a_wrapped_line_is_no_clause_heading() -> None:
    """ "Article 25(6) of Directive ..." opens a wrapped line of a sentence: the splitter may take it for an
    article heading, the sentence is still one unit."""
    lines = [
        "c) Either party may terminate these clauses if (i) any Commission positive adequacy decision under",
        "Article 25(6) of Directive 95/46/EC (or any superseding text) is issued in relation to the country",
        "(or a sector thereof) to which the data is transferred and processed by the data importer.",
    ]
    old = "\n".join(["1. SCOPE", page(BODY), "2. TERMINATION", *lines, "3. LAW", page(BODY), "4. NOTICES"])
    new = old.replace("is transferred", "is sent")
    ((kind, o, n),) = quotes(pdf_diff(old, new))
    assert kind == "changed" and o == " ".join(lines) and n == o.replace("is transferred", "is sent")


def test_an_enumeration_wrapped_inside_a_sentence_is_one_unit_a_list_is_items() -> None:
    """ "... agrees that (a) ...; and\n(b) ..." is one sentence the page wrapped before "(b)"; a list whose
    "(i)" opens a line has one unit per item."""
    sentence = [
        "Customer acknowledges and expressly agrees that (a) the Processor's Affiliates and their own",
        "Affiliates in every country where they operate may be retained as Sub-processors; and",
        "(b) the Processor and its Affiliates may engage third-party Sub-processors for the Services.",
    ]
    items = [
        "The Processor will notify the Customer about:",
        "(i) any request for disclosure;",
        "(ii) any breach.",
    ]
    old = page(BODY) + "\n" + "\n".join(sentence) + "\n" + "\n".join(items) + "\n" + page(BODY)
    new = old.replace("third-party", "third party").replace("any breach", "any data breach")
    assert quotes(pdf_diff(old, new)) == [
        ("changed", " ".join(sentence), " ".join(sentence).replace("third-party", "third party")),
        ("changed", "(ii) any breach.", "(ii) any data breach."),
    ]


def test_a_definition_moved_and_reworded_is_one_changed_sentence() -> None:
    """The same defined term, defined again elsewhere in other words: changed, not removed and added."""
    old_def = (
        "“UK Addendum” means the addendum issued by the Commissioner, Version B1.0, attached as Schedule 3."
    )
    new_def = '"UK Addendum" means the International Data Transfer Addendum (available at the Commissioner\'s site).'
    defs = [
        "“Processor” means the entity that processes data.",
        "“Subprocessor” means a Processor engaged by us.",
    ]
    old = page("1. DEFINITIONS", old_def, *defs, "2. SCOPE", BODY)
    new = page("1. DEFINITIONS", *defs, new_def, "2. SCOPE", BODY)
    assert quotes(pdf_diff(old, new)) == [("changed", old_def, new_def)]


def test_words_in_brackets_opening_a_wrapped_line_go_on_with_the_sentence() -> None:
    """ "... the provisions of Regulation\n(EU) 2016/679." : "(EU)" is no list label after a full line."""
    lines = [
        "(b) These Clauses shall be read and interpreted in the light of the provisions of the Regulation",
        "(EU) 2016/679 of the European Parliament.",
    ]
    old = page(BODY) + "\n" + "\n".join(lines) + "\n" + page(BODY)
    new = old.replace("read and interpreted", "interpreted")
    ((kind, o, n),) = quotes(pdf_diff(old, new))
    assert (
        kind == "changed" and o == " ".join(lines) and n == o.replace("read and interpreted", "interpreted")
    )


# ----------------------------------------------------------------------------------- renumbering
def test_clauses_renumbered_by_an_insertion_are_no_change() -> None:
    """A section inserted above renumbers the rest ("2.1 Confidentiality." becomes "3.1"): only the new
    section is a change. A number that breaks the sequence is still one."""

    def doc(sections: list[tuple[str, str, str]]) -> str:
        out = []
        for n, (title, first, second) in enumerate(sections, 1):
            out += [f"{n}. {title.upper()}", f"{n}.1 {title}. {first}", f"{n}.2 Records. {second}"]
        return page(*out)

    sections = [
        ("Scope", "This addendum applies to all processing under the agreement.", "It ends with it."),
        ("Confidentiality", "Staff are bound by written confidentiality terms.", "They are trained yearly."),
        ("Security", "The processor keeps technical and organizational measures.", "They are reviewed."),
    ]
    inserted = ("Audits", "The customer may audit the processor once a year.", "Audits take a day.")
    old, new = doc(sections), doc([sections[0], inserted, *sections[1:]])
    assert quotes(pdf_diff(old, new)) == [
        ("added", None, "2. AUDITS"),
        ("added", None, "2.1 Audits."),
        ("added", None, "The customer may audit the processor once a year."),
        ("added", None, "2.2 Records."),
        ("added", None, "Audits take a day."),
    ]
    broken = new.replace("4.1 Security.", "7.1 Security.")
    assert quotes(pdf_diff(new, broken)) == [("changed", "4.1 Security.", "7.1 Security.")]


def test_clauses_regrouped_under_new_numbers_are_no_change() -> None:
    """A heading removed and its sub-clauses "1.1", "1.2" promoted to "1.", "2.": the clauses' words are
    the same, only the heading is a change."""
    first = "Customers covered. The clauses apply to the Customer and to its Affiliates in the EEA."
    second = "Appointment of processors. The Customer agrees that the Processor may engage processors."
    old = page("SCHEDULE 1", "1. SCOPE", f"1.1 {first}", f"1.2 {second}", BODY)
    new = page("SCHEDULE 1", f"1. {first}", f"2. {second}", BODY)
    assert quotes(pdf_diff(old, new)) == [("removed", "1. SCOPE", None)]


def test_a_clause_number_with_a_final_full_stop_stays_with_its_heading() -> None:
    """ "2.5. Copies of Agreements." is one unit: "2.5." alone opens no sentence of its own."""
    old = page(BODY, "2.5. Copies of Agreements. The parties agree that copies may be redacted.", BODY)
    new = old.replace("2.5. Copies of Agreements.", "2.5. Copies of Subprocessor Agreements.")
    assert quotes(pdf_diff(old, new)) == [
        ("changed", "2.5. Copies of Agreements.", "2.5. Copies of Subprocessor Agreements.")
    ]


def test_a_heading_in_capitals_wrapped_over_two_lines_is_one_unit() -> None:
    """Capitals are wider than lower-case letters: a heading in capitals fills its line with fewer
    characters, and its second line goes on with it."""
    heading = "ADDITIONAL TERMS APPLICABLE TO TRANSFER MECHANISMS FOR EUROPEAN DATA\nTRANSFERS"
    old = page("SCHEDULE 1", "TRANSFER MECHANISMS FOR DATA TRANSFERS", BODY)
    new = "SCHEDULE 1\n" + heading + "\n" + page(BODY)
    assert quotes(pdf_diff(old, new)) == [
        ("changed", "TRANSFER MECHANISMS FOR DATA TRANSFERS", " ".join(heading.split()))
    ]


# ------------------------------------------------------------------------------------- alignment
def test_one_unchanged_sentence_that_moved_does_not_pin_the_word_alignment() -> None:
    """Every sentence but one was reworded (a party renamed throughout) and that one moved: the sentences
    are aligned in their order by their likeness, not across the move by the one that is equal."""
    topics = ["hosting", "backups", "support", "billing", "audits", "security", "deletion", "transfers"]

    def sentence(name: str, topic: str) -> list[str]:
        return f"{name} shall provide the {topic} described in the order form for the {topic} term .".split()

    moved = "Any additional instructions must be agreed upon separately .".split()
    old = [w for t in topics for w in sentence("Acme", t)] + moved
    new_sentences = [sentence("Zenith", t) for t in topics]
    new = [w for k, ws in enumerate(new_sentences) for w in (ws + moved if k == 2 else ws)]

    def cuts(words: list[str]) -> list[int]:
        return [k + 1 for k, w in enumerate(words[:-1]) if w == "."]

    aligned = {
        (old[i], new[j])
        for tag, i1, i2, j1, j2 in anchored_opcodes(old, new, cuts(old), cuts(new))
        if tag == "equal"
        for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
    }
    assert {(t, t) for t in topics} <= aligned


def test_a_moved_block_with_an_unchanged_sentence_does_not_pin_the_alignment() -> None:
    """The company is renamed in every sentence, and a schedule's paragraph moves up into section 2 with
    one sentence unchanged: the renamed sentences are changed in place (not removed above and added
    below), the unchanged one moved."""
    topics = ["hosting", "backups", "support", "billing", "audits", "security", "deletion", "transfers"]
    body = [
        f"{n}. ACME {t.upper()}\nAcme shall provide the {t} described in the order form for the term.\n"
        f"Acme reports on the {t} once every quarter to the Customer in writing.\n"
        f"The {t} of Acme follow the {t} policy published with the order form.\n"
        f"Questions on the {t} go to the {t} team of Acme by email.\n"
        f"Acme may update the {t} policy with thirty days notice of any {t} change."
        for n, t in enumerate(topics, 1)
    ]
    block = (
        "This addendum and the agreement are the complete instructions of the Customer to Acme.\n"
        "Any additional or alternate instructions must be agreed upon separately."
    )
    old = "\n".join(["ACME ADDENDUM", *body, "SCHEDULE 1", "Instructions.", block]) + "\n"
    new = "\n".join(["ACME ADDENDUM", body[0], body[1] + "\n" + block, *body[2:]])
    for a, b in [
        ("Acme", "Zenith LLC"),
        ("ACME", "ZENITH"),
        ("shall", "will"),
        ("described", "set out"),
        ("the", "its"),
    ]:
        new = new.replace(a, b)
    result = pdf_diff(old, new + "\n")
    kinds = [c.kind for c in result.changes]
    assert kinds.count("moved") == 1 and "added" not in kinds
    assert [c.old.quote for c in result.changes if c.kind == "removed" and c.old] == [
        "SCHEDULE 1",
        "Instructions.",
    ]
    moved = next(c for c in result.changes if c.kind == "moved")
    assert moved.new and moved.new.quote.startswith("Any additional")


# ------------------------------------------------------------------------------------------- forms
def test_a_signature_form_is_one_unit() -> None:
    """A block that collects a signature (its field lines' labels all different) is one unit: removed as
    one, not one change a line."""
    form = [
        "On behalf of the data exporter:",
        "Name (written out in full):",
        "Position:",
        "Address:",
        "Signature..........................................",
    ]
    old = page(BODY, "APPENDIX 1", *form, "APPENDIX 2", BODY)
    new = page(BODY, "APPENDIX 1", "APPENDIX 2", BODY)
    assert quotes(pdf_diff(old, new)) == [("removed", " ".join(form), None)]


def test_a_party_block_is_one_unit_and_the_next_party_another() -> None:
    """ "Data exporter(s):" and its Name/Address lines are one unit; "Data importer(s):" (a label that comes
    again) opens the next; a changed address changes only its party's block."""
    exporter = [
        "Data exporter(s):",
        "Name: The entity identified as Customer",
        "Address: As in the Agreement",
    ]
    importer = [
        "Data importer(s):",
        "Name: Acme LLC",
        "Address: 1 Main Street, Springfield",
        "Role: Processor",
    ]
    old = page(BODY, "A. LIST OF PARTIES", *exporter, *importer, "B. DESCRIPTION OF TRANSFER")
    new = old.replace("1 Main Street", "2 High Street")
    assert quotes(pdf_diff(old, new)) == [
        ("changed", " ".join(importer), " ".join(importer).replace("1 Main Street", "2 High Street"))
    ]


def test_table_rows_with_the_same_labels_are_one_unit_each() -> None:
    """Rows of a table written as "header: value" lines repeat their labels: each row is a unit, even when
    a row fills the line."""
    rows = [
        f"Signatory: {name}; Title: {title}; Date: the date on which the Agreement is signed by the parties"
        for name, title in (("Jane Roe", "Chief Operating Officer"), ("John Doe", "Chief Executive Officer"))
    ]
    old = page(BODY) + "\n" + "\n".join(rows) + "\n" + page(BODY)
    new = old.replace("John Doe", "Joan Doe")
    assert quotes(pdf_diff(old, new)) == [("changed", rows[1], rows[1].replace("John Doe", "Joan Doe"))]


# ------------------------------------------------------------------------------------------- moves
def test_a_footnote_the_page_put_elsewhere_is_no_move() -> None:
    """Pages break elsewhere in the new version, so the footnote stands after another paragraph: no
    change, and the paragraphs around it did not move either."""
    note = "7 The Agreement on the European Economic Area extends the internal market to three EEA States."
    paragraphs = [
        "Clause 8. The data importer shall not disclose the data to a third party located outside the Union7.",
        "Clause 9. The data importer shall keep a record of the processing carried out on behalf of the exporter.",
        "Clause 10. The data importer shall notify the exporter of any request received from a data subject.",
    ]
    old = page(BODY, paragraphs[0]) + "\n\n12\n" + page(note, *paragraphs[1:], BODY)
    new = page(BODY, *paragraphs[:2]) + "\n\n12\n" + page(note, paragraphs[2], BODY)
    assert pdf_diff(old, new).changes == ()


def test_a_sentence_said_in_several_places_is_no_move() -> None:
    """The same clauses come twice (two modules) and a sentence of one copy changes place: which copy moved
    cannot be told from the words (an alignment of repeated clauses pairs copies freely), and the text
    still says the same things as many times, so no move is reported."""
    repeated = "These Clauses are without prejudice to the obligations of the data exporter."
    module = [
        "Clause 2",
        "The Clauses set out appropriate safeguards for the transfer.",
        repeated,
        "Clause 3",
    ]
    old = page("MODULE TWO", *module, BODY, "MODULE THREE", *module, BODY)
    new = page("MODULE TWO", *module[:2], "Clause 3", repeated, BODY, "MODULE THREE", *module, BODY)
    assert "moved" not in {c.kind for c in pdf_diff(old, new).changes}


def test_sections_name_the_run_in_title_not_the_whole_line() -> None:
    """The splitter takes "5.2 List of Current Subprocessors ... . 37signals shall make" for a heading: a
    change's section names "5.2 List of Current Subprocessors and Notification of New Subprocessors"."""
    old, new = (read_version(FIXTURES / n).text for n in ("dpa-2022-12-p1-6.pdf", "dpa-2023-04-p1-8.pdf"))
    sections = {
        c.new.section
        for c in diff_texts(old, new, old_name="a.pdf", new_name="b.pdf").changes
        if c.new is not None
    }
    assert (
        "5. SUBPROCESSORS > 5.2 List of Current Subprocessors and Notification of New Subprocessors"
        in sections
    )
    assert not any(re.search(r"[a-z]\. [A-Z0-9]", part) for s in sections for part in s.split(" > "))
