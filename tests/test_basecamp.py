"""Basecamp, the sixth sample vendor (37signals' published policies, CC BY 4.0): ingested with the hashing
embedder, its Markdown reads cleanly (sections from the headings, no markup in any clause), its DPA without
page furniture and with whole sentences, and its attribution file is never taken for a contract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from assistant_fakes import offline_settings

from core.settings import PROJECT_ROOT
from core.types import Hit
from ingest.discover import discover, load_corpus_vendors
from ingest.pipeline import run_ingest
from ingest.report import IngestReport
from vectorstore.embeddings import make_embeddings
from vectorstore.store import ClauseStore

CORPUS = PROJECT_ROOT / "data" / "contracts"
BASECAMP = CORPUS / "basecamp"
DPA = "basecamp/data-processing-addendum.pdf"
NOTIFY = "37signals shall notify Customer without undue delay, and in"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ClauseStore:
    settings = offline_settings(CORPUS, tmp_path_factory.mktemp("basecamp") / "store")
    emb = make_embeddings(settings.embedding)
    st = ClauseStore(settings, emb)
    rep = run_ingest(settings, paths=[BASECAMP], embeddings=emb, store=st, progress=False)
    assert rep.counts()["added"] == 8 and rep.counts()["skipped"] == rep.counts()["failed"] == 0
    return st


def test_notice_is_not_a_document():
    report = IngestReport()
    found, _ = discover(CORPUS, [BASECAMP], report)
    names = {doc for doc, _ in found}
    assert (BASECAMP / "NOTICE").is_file() and "basecamp/NOTICE" not in names
    assert len(names) == 8 and not report.entries  # ignored, not reported as skipped
    assert "CC BY 4.0" in (BASECAMP / "NOTICE").read_text(encoding="utf-8")


def test_vendor_yaml():
    info = load_corpus_vendors(CORPUS)["basecamp"]
    assert info.name == "Basecamp" and info.language == "en"
    assert {"37signals", "37signals LLC"} <= set(info.aliases)


def test_every_document_is_english_and_its_clauses_verbatim(store: ClauseStore):
    docs = [d for d in store.documents() if d.vendor == "basecamp"]
    assert len(docs) == 8 and {d.language for d in docs} == {"en"}
    for d in docs:
        text = store.document_text(d.document)
        assert all(text[c.start : c.end] == c.text for c in store.clauses(d.document)), d.document


def test_sections_are_the_markdown_headings(store: ClauseStore):
    clauses = store.clauses("basecamp/terms-of-service.md")
    account = [c for c in clauses if "responsible for maintaining the security of your account" in c.text]
    assert account and all(c.section.split(" > ")[-1] == "Account Terms" for c in account)
    sections = {c.section for c in clauses}
    assert len(sections) >= 8 and "Terms of Service > Liability" in sections
    privacy = {c.section for c in store.clauses("basecamp/privacy-policy.md")}
    assert "Privacy policy > What we collect and why > Billing information" in privacy


def test_no_clause_holds_markup(store: ClauseStore):
    for d in (d for d in store.documents() if d.vendor == "basecamp"):
        for c in store.clauses(d.document):
            for markup in ("{{", "](", "---\ntitle:", "**", "{%"):
                assert markup not in c.text, (d.document, markup, c.text[:80])


def test_dpa_has_no_page_furniture(store: ClauseStore):
    text = store.document_text(DPA)
    assert not re.search(r"(?m)^\s*(?:-\s*)?(?:page\s+)?\d{1,3}(?:\s+of\s+\d+)?(?:\s*-)?\s*$", text, re.I)
    for c in store.clauses(DPA):
        assert not any(re.fullmatch(r"\s*\d{1,3}\s*", ln) for ln in c.text.splitlines()), c.text[:80]


def test_dpa_notification_sentence_is_one_candidate_span(store: ClauseStore):
    from assistant.spans import spans_of_hits

    hits = [Hit(clause=c, score=1.0) for c in store.clauses(DPA) if NOTIFY in c.text]
    assert hits
    spans = [s for s in spans_of_hits(hits) if NOTIFY in s.text]
    assert spans and all(s.text.startswith(NOTIFY) for s in spans)
    assert spans[0].text.endswith("(a “Personal Data Incident”).")
    assert " ".join(spans[0].text.split()).count(" ") > 40  # the whole sentence, over its wrapped lines


def test_no_clause_ends_inside_a_sentence(store: ClauseStore):
    # the DPA's PDF lines wrap its sentences: a clause packed line by line used to stop mid-sentence (8 of its
    # 48 clauses), and its last sentence reached the checker and the page as a fragment
    from core.text import sentence_bounds

    for doc in sorted(d.document for d in store.documents() if d.vendor == "basecamp"):
        text = store.document_text(doc)
        bounds = sentence_bounds(text, ".!?;:")
        for c in store.clauses(doc):
            inside = [(s, e) for s, e in bounds if s < c.end < e]
            assert not inside, (doc, text[max(0, c.end - 60) : c.end])


def test_history_dpas_lose_their_page_numbers():
    """The published DPA versions (../shared, not shipped) keep no page-number line between two pages."""
    history = PROJECT_ROOT.parent / "shared" / "corpus-versions" / "basecamp" / "history"
    if not history.is_dir():
        pytest.skip(f"the versioned Basecamp documents ({history}) are not on this machine")
    from ingest.loaders import load_bytes

    for name in ("data-processing-addendum-2020-07.pdf", "data-processing-addendum-2020-10.pdf"):
        text = load_bytes((history / name).read_bytes(), ".pdf")
        assert not re.search(r"(?m)^\s*\d{1,3}\s*$", text), name
    text = load_bytes((history / "data-processing-addendum-2020-07.pdf").read_bytes(), ".pdf")
    assert "subject to the provisions of the Agreement\nand this Section 9 and Section 10." in text


def test_cli_show_prints_the_rendered_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    from ingest.cli import main

    monkeypatch.setenv("CORPUS_DIR", str(CORPUS))
    monkeypatch.setenv("STORE_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("EMBEDDING_KIND", "hashing")
    assert main(["--show", "basecamp/sla.md"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Basecamp Big SLA\n\nThousands of companies rely on Basecamp.")
    assert "We make our uptime public here." in out and "[uptime]" not in out
