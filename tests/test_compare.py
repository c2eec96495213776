"""Comparison answers (one cited row per vendor), fan-out questions, and follow-ups that inherit the
previous turn's vendors or topic."""

from __future__ import annotations

import pytest
from assistant_fakes import ScriptedChat, build_store

from assistant import Assistant
from assistant.pipeline import parse_comparison
from assistant.vendors import VendorInfo


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    return build_store(tmp_path_factory.mktemp("store"))


def make(built, replies: list[str], **kw) -> tuple[Assistant, ScriptedChat]:
    settings, store, emb = built
    llm = ScriptedChat(replies=list(replies))
    return Assistant(settings, store=store, embeddings=emb, llm=llm, **kw), llm


def test_compare_gives_one_cited_row_per_vendor(built) -> None:
    asst, llm = make(built, [
        "Humanlinker: capped at the total paid over the last 12 months [{n:Humanlinker.*12 derniers mois}].\n"
        "Boost My Mail: capped at the fees of the twelve months before the damage "
        "[{n:Boost My Mail.*douze \\(12\\) mois}]."])
    ans = asst.compare("What is the liability cap?", ["humanlinker", "boost-my-mail"])
    assert ans.comparison is not None and [r.vendor for r in ans.comparison] == ["humanlinker", "boost-my-mail"]
    assert not ans.abstained and ans.mode == "generated" and ans.model["prompt"] == "compare.v1"
    by_n = {c.n: c for c in ans.citations}
    for row in ans.comparison:
        assert not row.abstained and row.citation_ns
        assert all(by_n[n].vendor == row.vendor for n in row.citation_ns)  # each row cites its own vendor
    assert ans.answer.splitlines()[0].startswith("Humanlinker: ")
    assert ans.answer.splitlines()[1].startswith("Boost My Mail: ")
    for c in ans.citations:
        assert built[1].document_text(c.document)[c.start:c.end] == c.quote
    assert "Vendors: Humanlinker, Boost My Mail" in str(llm.calls[0][-1].content)


def test_compare_row_citing_another_vendor_is_not_trusted(built) -> None:
    asst, _ = make(built, [
        "Humanlinker: 12 months of fees [{n:Boost My Mail.*douze \\(12\\) mois}].\n"
        "Boost My Mail: NOT_FOUND"])
    ans = asst.compare("What is the liability cap?", ["humanlinker", "boost-my-mail"])
    rows = {r.vendor: r for r in ans.comparison or []}
    hl = rows["humanlinker"]
    assert "«" in hl.answer  # replaced by the vendor's own verbatim extract
    assert all(c.vendor == "humanlinker" for c in ans.citations if c.n in hl.citation_ns)
    assert rows["boost-my-mail"].abstained and rows["boost-my-mail"].citation_ns == []


def test_which_vendors_question_fans_out_to_every_vendor(built) -> None:
    asst, llm = make(built, ["LEO Bizdev: within 48 hours [{n:LEO Bizdev.*quarante-huit}]."])
    ans = asst.answer("Which vendors notify a personal data breach within 48 hours?")
    assert ans.comparison is not None
    assert len(ans.comparison) == 5 and len(ans.vendors) == 5
    prompt = str(llm.calls[0][-1].content)
    for name in ("Aura Digital", "Boost My Mail", "Humanlinker", "LEO Bizdev", "Unnamed Provider"):
        assert f"] {name} " in prompt  # every vendor has its own evidence in the context
    rows = {r.vendor: r for r in ans.comparison}
    assert not rows["leo-bizdev"].abstained and "48" in rows["leo-bizdev"].answer


def test_two_vendors_in_a_question_fan_out(built) -> None:
    asst, _ = make(built, ["Humanlinker: NOT_FOUND\nAura Digital: NOT_FOUND"])
    ans = asst.answer("Compare Humanlinker and Aura Digital on the governing law")
    assert ans.vendors == ["humanlinker", "aura-digital"]
    assert ans.abstained and all(r.abstained for r in ans.comparison or [])


def test_parse_comparison_lines() -> None:
    cat = [VendorInfo("humanlinker", "Humanlinker"), VendorInfo("boost-my-mail", "Boost My Mail")]
    rows = parse_comparison("- **Humanlinker**: 48 h [1]\nnoise\nBoost My Mail : NOT_FOUND",
                            ["humanlinker", "boost-my-mail"], {}, cat)
    assert rows == {"humanlinker": "48 h [1]", "boost-my-mail": "NOT_FOUND"}


def test_follow_up_naming_only_a_vendor_reuses_the_topic(built) -> None:
    asst, llm = make(built, ["Within 48 business hours [{n:48 heures ouvrées}].",
                             "Within forty-eight hours [{n:quarante-huit \\(48\\)}]."])
    first = asst.answer("How quickly must Humanlinker notify a personal data breach?")
    assert first.vendors == ["humanlinker"] and not first.abstained
    second = asst.answer("And for LEO Bizdev?", history=[("How quickly must Humanlinker notify a personal "
                                                           "data breach?", first)])
    assert second.vendors == ["leo-bizdev"]
    assert not second.abstained and all(c.vendor == "leo-bizdev" for c in second.citations)
    prompt = str(llm.calls[1][-1].content)
    assert "Question: How quickly must LEO Bizdev notify a personal data breach?" in prompt


def test_follow_up_without_vendor_inherits_vendors(built) -> None:
    asst, llm = make(built, ["NOT_FOUND"], min_dense=0.0)
    prev = {"question": "What is Humanlinker's liability cap?", "vendors": ["humanlinker"], "answer": "x"}
    ans = asst.answer("And what about audits?", history=[prev])
    assert ans.vendors == ["humanlinker"]
    assert "] Humanlinker " in str(llm.calls[0][-1].content)
    assert "] Boost My Mail " not in str(llm.calls[0][-1].content)


def test_filter_narrowed_by_the_vendor_the_question_names(built) -> None:
    asst, _ = make(built, [])
    r = asst.retrieve("How quickly must Humanlinker notify a breach?", vendors=["humanlinker", "leo-bizdev"])
    assert r.vendors == ["humanlinker"] and not r.fan_out
    r2 = asst.retrieve("How quickly is a breach notified?", vendors=["humanlinker", "leo-bizdev"])
    assert r2.vendors == ["humanlinker", "leo-bizdev"] and r2.fan_out
    assert {h.clause.vendor for h in r2.hits} == {"humanlinker", "leo-bizdev"}


def test_row_that_only_cites_shows_the_cited_clause(built) -> None:
    """A row "Vendor: [n]" states nothing: the page shows the clause the model cited, quoted verbatim."""
    asst, _ = make(built, [
        "Humanlinker: [{n:Humanlinker.*12 derniers mois}]\n"
        "Boost My Mail: [{n:Boost My Mail.*douze \\(12\\) mois}]"])
    ans = asst.compare("What is the liability cap?", ["humanlinker", "boost-my-mail"])
    rows = {r.vendor: r for r in ans.comparison or []}
    by_n = {c.n: c for c in ans.citations}
    assert "12 derniers mois" in by_n[rows["humanlinker"].citation_ns[0]].quote
    assert "douze (12) mois" in by_n[rows["boost-my-mail"].citation_ns[0]].quote
    assert all("«" in r.answer for r in rows.values()) and ans.mode == "extractive"
