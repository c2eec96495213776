"""Versions of a document: labels, grouping dated files into one document, the previous text kept when a
file changes (crash-safe), retrieval over current clauses only, `diff --vendor --document`, `ingest
--versions`, change questions in chat (both versions cited verbatim), older versions answered on demand,
and the review grid's changed-cell flags. Hashing embedder, fake models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from assistant_fakes import FakeChecker, ScriptedChat

from assistant import Assistant
from assistant.changes import asked_dates, is_change_question, named_documents
from assistant.cli import main as assistant_main
from assistant.diff.stored import VersionError, diff_versions, pick_pair, pick_version
from assistant.past import asked_version
from core.settings import PROJECT_ROOT, Settings
from core.types import Citation
from core.versions import is_label, label_end, label_key, name_label, split_name, stated_date, version_label
from ingest import cli as ingest_cli
from ingest.pipeline import run_ingest
from review.changes import citation_change, flag_changed_cells
from vectorstore.embeddings import HashingEmbeddings
from vectorstore.store import ClauseStore

SHARED_HISTORY = PROJECT_ROOT.parent / "shared" / "corpus-versions" / "basecamp"

CGV_2021 = """CONDITIONS GÉNÉRALES DE VENTE

Dernière mise à jour : 27 septembre 2021

ARTICLE 1. DURÉE

Le contrat est conclu pour une durée d'un an, renouvelable par tacite reconduction.

ARTICLE 2. RÉSILIATION

Le client peut résilier le contrat avec un préavis de trente (30) jours par lettre recommandée.

ARTICLE 3. SOUS-TRAITANTS

ACME informe le client de tout nouveau sous-traitant ultérieur quinze jours avant son intervention.
"""
CGV_2023 = (
    CGV_2021.replace("27 septembre 2021", "10 janvier 2023")
    .replace("trente (30) jours", "quatorze (14) jours")
    .replace("quinze jours avant", "trente jours avant")
)
NO_DATE = "TERMS\n\nThe service is provided as is.\n\nThe customer may cancel at any time.\n"


def put(corpus: Path, rel: str, text: str) -> Path:
    p = corpus / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def ingest(settings: Settings, **kw: Any):
    kw.setdefault("progress", False)
    kw.setdefault("embeddings", HashingEmbeddings())
    return run_ingest(settings, **kw)


@pytest.fixture
def versioned(fake_settings: Settings) -> tuple[Settings, ClauseStore]:
    """acme/cgv.txt (current, 2023) with its 2021 version in a dated file; initech with one document."""
    c = fake_settings.corpus_dir
    put(c, "acme/vendor.yaml", "name: ACME Corp\nlanguage: fr\n")
    put(c, "acme/cgv.txt", CGV_2023)
    put(c, "acme/history/cgv-2021-09-27.txt", CGV_2021)
    put(c, "initech/terms.txt", NO_DATE)
    ingest(fake_settings)
    return fake_settings, ClauseStore(fake_settings, HashingEmbeddings())


def assert_verbatim(citations: list[Citation], store: ClauseStore) -> None:
    assert citations
    for c in citations:
        assert store.document_text(c.document)[c.start : c.end] == c.quote


# ------------------------------------------------------------------------------------------- labels
def test_labels_from_names_and_stated_dates() -> None:
    assert split_name("terms-2021-09-27.md") == ("terms", "2021-09-27")
    assert split_name("dpa-2020-07.pdf") == ("dpa", "2020-07")
    assert split_name("cgv-v2.txt") == ("cgv", "v2")
    assert split_name("terms-of-service-2021.md") == ("terms-of-service", "2021")
    assert split_name("terms.md") == ("terms", "")
    assert split_name("iso-27001.pdf") == ("iso-27001", "")  # not a year
    assert split_name("report-2021-13.md") == ("report-2021-13", "")  # month 13: not a date
    assert name_label("Basecamp_DPA_2021-09_signed.pdf") == "2021-09"  # a date inside the name
    assert stated_date("*Last updated: January 6, 2023*") == "2023-01-06"
    assert stated_date("Effective date: March 2020") == "2020-03"
    assert stated_date("Dernière mise à jour : 27 septembre 2021") == "2021-09-27"
    assert stated_date("Last updated: [DATE]") is None
    assert version_label("terms.md", "Last updated: May 1, 2020", "2024-01-01") == "2020-05-01"
    assert version_label("terms.md", "no date", "2024-01-01") == "2024-01-01"
    ordered = sorted(["v10", "2021-09", "2020", "v2", "2021", "2021-09-27"], key=label_key)
    assert ordered == ["2020", "2021", "2021-09", "2021-09-27", "v2", "v10"]
    assert label_end("2021") == "2021-12-31" and label_end("2024-02") == "2024-02-29"
    assert is_label("2021-09") and is_label("v3") and not is_label("2021-13") and not is_label("draft")


# --------------------------------------------------------------------------------- grouping at ingest
def test_dated_sibling_is_a_version_not_a_new_document(versioned) -> None:
    settings, store = versioned
    assert [r.document for r in store.documents()] == ["acme/cgv.txt", "initech/terms.txt"]
    vs = store.versions("acme/cgv.txt")
    assert [(v.label, v.current) for v in vs] == [("2021-09-27", False), ("2023-01-10", True)]  # stated date
    assert vs[0].source == "acme/history/cgv-2021-09-27.txt" and vs[0].chars == len(CGV_2021)
    assert store.document_text("acme/cgv.txt@2021-09-27") == CGV_2021
    assert store.document_text("acme/cgv.txt@2023-01-10") == store.document_text("acme/cgv.txt") == CGV_2023
    with pytest.raises(KeyError, match="2021-09-27, 2023-01-10"):
        store.document_text("acme/cgv.txt@2019")
    # an unchanged corpus writes nothing
    rep = ingest(settings)
    assert rep.writes == 0 and {e.status for e in rep.entries} == {"unchanged"} and not rep.notes
    # a dated file newer than the undated one stays an earlier version, and the report says so
    put(settings.corpus_dir, "acme/cgv-2024-05-01.txt", CGV_2023.replace("quatorze", "sept"))
    rep = ingest(settings)
    assert [v.label for v in store.versions("acme/cgv.txt")] == ["2021-09-27", "2024-05-01", "2023-01-10"]
    assert any("acme/cgv-2024-05-01.txt (2024-05-01) is dated after acme/cgv.txt" in n for n in rep.notes)


def test_changed_file_keeps_its_previous_version(fake_settings: Settings) -> None:
    c = fake_settings.corpus_dir
    put(c, "acme/cgv.txt", CGV_2021)
    ingest(fake_settings)
    st = ClauseStore(fake_settings, HashingEmbeddings())
    assert [v.label for v in st.versions("acme/cgv.txt")] == ["2021-09-27"]
    put(c, "acme/cgv.txt", CGV_2023)
    rep = ingest(fake_settings)
    assert [(e.document, e.status) for e in rep.entries] == [("acme/cgv.txt", "updated")]
    vs = st.versions("acme/cgv.txt")
    assert [(v.label, v.source) for v in vs] == [
        ("2021-09-27", "acme/cgv.txt"),
        ("2023-01-10", "acme/cgv.txt"),
    ]
    assert st.version_text("acme/cgv.txt", "2021-09-27") == CGV_2021
    # old versions are never clauses: every clause record belongs to the current text
    raw = st.col.get(include=["documents", "metadatas"])
    assert {m["doc_sha256"] for m in raw["metadatas"]} == {vs[-1].sha256}
    assert not any("trente (30)" in t for t in raw["documents"])
    # --rebuild re-embeds the current texts and keeps the older ones (not all of them are in the corpus)
    ingest(fake_settings, rebuild=True)
    rebuilt = ClauseStore(fake_settings)  # the rebuild dropped and re-created the clause collections
    assert [v.label for v in rebuilt.versions("acme/cgv.txt")] == ["2021-09-27", "2023-01-10"]


def test_undated_changes_are_labelled_by_ingest_date_and_kept_apart(fake_settings: Settings) -> None:
    c = fake_settings.corpus_dir
    put(c, "initech/terms.txt", NO_DATE)
    ingest(fake_settings)
    put(c, "initech/terms.txt", NO_DATE.replace("as is", "with care"))
    ingest(fake_settings)
    st = ClauseStore(fake_settings)
    vs = st.versions("initech/terms.txt")
    today = vs[-1].ingested_at[:10]
    assert vs[-1].label == today and vs[0].label == f"{today}+{vs[0].sha256[:7]}"  # one label, one version
    assert st.document_text(vs[0].ref) == NO_DATE


def test_dated_files_alone_make_one_document_that_moves_to_the_newest(fake_settings: Settings) -> None:
    c = fake_settings.corpus_dir
    put(c, "globex/dpa-2020.md", "# DPA\n\nBreaches are notified within 72 hours.\n")
    put(c, "globex/dpa-2021-03.md", "# DPA\n\nBreaches are notified within 48 hours.\n")
    ingest(fake_settings)
    st = ClauseStore(fake_settings)
    assert [r.document for r in st.documents()] == ["globex/dpa-2021-03.md"]
    assert [v.label for v in st.versions("globex/dpa-2021-03.md")] == ["2020", "2021-03"]
    put(c, "globex/dpa-2022.md", "# DPA\n\nBreaches are notified within 24 hours.\n")
    rep = ingest(fake_settings)
    assert ("globex/dpa-2021-03.md", "removed") in [(e.document, e.status) for e in rep.entries]
    assert [r.document for r in st.documents()] == ["globex/dpa-2022.md"]
    assert [v.label for v in st.versions("globex/dpa-2022.md")] == ["2020", "2021-03", "2022"]
    assert st.version_records("globex/dpa-2021-03.md") == []  # re-filed, not duplicated
    assert st.orphan_ids() == [] and st.count() == sum(r.n_clauses for r in st.documents())


def test_vendor_yaml_lists_versions_with_labels(fake_settings: Settings) -> None:
    c = fake_settings.corpus_dir
    put(
        c,
        "acme/vendor.yaml",
        "name: ACME\nversions:\n  cgv.txt:\n    - {path: archive/old.txt, label: '2019'}\n"
        "    - archive/cgv-ancienne.txt\n",
    )
    put(c, "acme/cgv.txt", CGV_2023)
    put(c, "acme/archive/old.txt", "CGV\n\nAncienne version sans date.\n")
    put(c, "acme/archive/cgv-ancienne.txt", CGV_2021)
    rep = ingest(fake_settings)
    st = ClauseStore(fake_settings)
    assert [r.document for r in st.documents()] == ["acme/cgv.txt"]
    assert [v.label for v in st.versions("acme/cgv.txt")] == ["2019", "2021-09-27", "2023-01-10"]
    assert not rep.by_status("failed") and not rep.by_status("skipped")
    # `--check` counts version files as known, and a scoped run over a version file regroups it
    from ingest.check import check_store

    assert check_store(fake_settings, repair=False).ok
    rep = ingest(fake_settings, paths=[c / "acme" / "archive" / "old.txt"])
    assert {(e.document, e.status) for e in rep.entries} >= {("acme/archive/old.txt", "unchanged")}


# ------------------------------------------------------------------------------ crash safety
@pytest.mark.parametrize("crash", [RuntimeError, KeyboardInterrupt])
def test_crash_between_keeping_the_old_text_and_the_commit(
    fake_settings: Settings, monkeypatch, crash
) -> None:
    c = fake_settings.corpus_dir
    put(c, "acme/cgv.txt", CGV_2021)
    ingest(fake_settings)
    put(c, "acme/cgv.txt", CGV_2023)

    def crash_at_commit(self, items, *a, **k):
        raise crash("simulated crash between the kept version and the commit")

    real = ClauseStore.commit_documents
    monkeypatch.setattr(ClauseStore, "commit_documents", crash_at_commit)
    if crash is KeyboardInterrupt:
        with pytest.raises(KeyboardInterrupt):
            ingest(fake_settings)
    else:
        assert "previous version kept" in ingest(fake_settings).by_status("failed")[0].reason
    monkeypatch.setattr(ClauseStore, "commit_documents", real)
    st = ClauseStore(fake_settings)
    # the old text was kept, but it is still the current one: one version listed, the text unchanged
    assert st.history.count() == 1
    assert [(v.label, v.current) for v in st.versions("acme/cgv.txt")] == [("2021-09-27", True)]
    assert st.document_text("acme/cgv.txt") == CGV_2021
    ingest(fake_settings)
    assert [v.label for v in st.versions("acme/cgv.txt")] == ["2021-09-27", "2023-01-10"]
    assert st.document_text("acme/cgv.txt@2021-09-27") == CGV_2021 and st.history.count() == 1
    assert st.orphan_ids() == []


def test_crash_while_keeping_the_old_text_changes_nothing(fake_settings: Settings, monkeypatch) -> None:
    c = fake_settings.corpus_dir
    put(c, "acme/cgv.txt", CGV_2021)
    ingest(fake_settings)
    put(c, "acme/cgv.txt", CGV_2023)
    monkeypatch.setattr(
        ClauseStore, "put_versions", lambda self, items: (_ for _ in ()).throw(OSError("boom"))
    )
    rep = ingest(fake_settings)
    assert rep.by_status("failed") and "previous version kept" in rep.by_status("failed")[0].reason
    monkeypatch.undo()
    st = ClauseStore(fake_settings)
    assert st.document_text("acme/cgv.txt") == CGV_2021 and st.history.count() == 0
    assert [c_.text for c_ in st.clauses("acme/cgv.txt") if "(30)" in c_.text]
    ingest(fake_settings)
    assert [v.label for v in st.versions("acme/cgv.txt")] == ["2021-09-27", "2023-01-10"]


# ------------------------------------------------------------------------- retrieval: current only
class Recording:
    """A collection proxy that records every call (retrieval must make none on version collections)."""

    def __init__(self, inner: Any, calls: list[str]) -> None:
        self._inner, self._calls = inner, calls

    def __getattr__(self, name: str) -> Any:
        self._calls.append(name)
        return getattr(self._inner, name)


def test_retrieval_never_reads_old_versions(versioned) -> None:
    settings, store = versioned
    emb = HashingEmbeddings()
    # "trente (30)" and "quinze jours" are only in the 2021 version
    for q in ("préavis de trente (30) jours", "quinze jours avant son intervention"):
        hits = store.dense_search(emb.embed_query(q), 50) + store.bm25_search(q, 50)
        assert hits and all(h.clause.doc_sha256 == store.document(h.clause.document).sha256 for h in hits)
        assert not any("trente (30)" in h.clause.text or "quinze jours" in h.clause.text for h in hits)
    calls: list[str] = []
    store.history = Recording(store.history, calls)  # type: ignore[assignment]
    store.vclauses = Recording(store.vclauses, calls)  # type: ignore[assignment]
    asst = Assistant(
        settings, store=store, embeddings=emb, llm=ScriptedChat(replies=[]), checker=FakeChecker(default=0.05)
    )
    asst.retrieve("Quel est le préavis de résiliation d'ACME ?")
    ans = asst.answer("Quel est le préavis de résiliation d'ACME ?")
    assert ans.citations and all("@" not in c.document for c in ans.citations)
    assert calls == []


# ------------------------------------------------------------------------------------- CLIs
def _cli_env(monkeypatch, settings: Settings) -> None:
    monkeypatch.setenv("CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("STORE_DIR", str(settings.store_dir))
    monkeypatch.setenv("EMBEDDING_KIND", "hashing")
    monkeypatch.setenv("LLM_PROVIDER", "fake")
    monkeypatch.delenv("CQA_SETTINGS", raising=False)
    monkeypatch.delenv("VECTORSTORE_URL", raising=False)


def test_diff_cli_second_form(versioned, monkeypatch, capsys) -> None:
    settings, store = versioned
    _cli_env(monkeypatch, settings)
    assert assistant_main(["diff", "--vendor", "acme", "--document", "cgv", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["old"] == {"document": "acme/cgv.txt", "version": "2021-09-27", "chars": len(CGV_2021)}
    assert out["new"] == {"document": "acme/cgv.txt", "version": "2023-01-10", "chars": len(CGV_2023)}
    assert {c["kind"] for c in out["changes"]} == {"changed"}
    for ch in out["changes"]:
        o, n = ch["old"], ch["new"]
        assert CGV_2021[o["start"] : o["end"]] == o["quote"] and CGV_2023[n["start"] : n["end"]] == n["quote"]
    assert any(
        f == {"old": "trente (30) jours", "new": "quatorze (14) jours"}
        for ch in out["changes"]
        for f in ch["figures"]
    )
    assert any("sub_processors" in ch["topics"] for ch in out["changes"])
    args = [
        "diff",
        "--vendor",
        "acme",
        "--document",
        "acme/cgv.txt",
        "--from",
        "2021",
        "--to",
        "current",
        "--md",
    ]
    assert assistant_main(args) == 0
    assert "# What changed" in capsys.readouterr().out
    for argv, needle in (
        (["--vendor", "nobody", "--document", "cgv"], "vendors: acme, initech"),
        (["--vendor", "acme", "--document", "dpa"], "acme's documents: cgv.txt"),
        (["--vendor", "acme", "--document", "cgv", "--from", "2019"], "versions: 2021-09-27, 2023-01-10"),
        (["--vendor", "initech", "--document", "terms"], "only one version is kept"),
        (["--vendor", "acme"], "--vendor SLUG --document NAME"),
        (["old.md", "--vendor", "acme", "--document", "cgv"], "give OLD_FILE NEW_FILE"),
    ):
        assert assistant_main(["diff", *argv]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert needle in err and len(err.splitlines()) == 1, (argv, err)


def test_ingest_versions_listing(versioned, monkeypatch, capsys) -> None:
    settings, store = versioned
    _cli_env(monkeypatch, settings)
    assert ingest_cli.main(["--versions", "acme"]) == 0
    out = capsys.readouterr().out
    sha_old = store.versions("acme/cgv.txt")[0].sha256[:12]
    assert out.splitlines()[0] == "acme/cgv.txt"
    assert "2021-09-27" in out and sha_old in out and f"{len(CGV_2021)} chars" in out and "current" in out
    assert "initech" not in out
    assert ingest_cli.main(["--versions", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [d["document"] for d in listing] == ["acme/cgv.txt", "initech/terms.txt"]
    assert [v["version"] for v in listing[0]["versions"]] == ["2021-09-27", "2023-01-10"]
    assert listing[0]["versions"][0]["ref"] == "acme/cgv.txt@2021-09-27"
    assert ingest_cli.main(["--versions", "nobody"]) == 2
    capsys.readouterr()
    assert ingest_cli.main(["--show", "acme/cgv.txt@2021-09-27"]) == 0
    assert capsys.readouterr().out == CGV_2021


# ------------------------------------------------------------------------------- change questions
def test_change_question_detection_and_dates() -> None:
    for q in (
        "What changed in Basecamp's DPA since 2021?",
        "Did Basecamp change its sub-processor terms?",
        "Has ACME updated its terms?",
        "Qu'est-ce qui a changé dans les CGV d'ACME depuis 2021 ?",
        "Les CGV d'ACME ont-elles été modifiées ?",
        "Le DPA a-t-il changé depuis septembre 2021 ?",
        "What are the changes between the 2020 and 2022 versions?",
        "Quels changements depuis 2021 dans le DPA ?",
        "Qu'a-t-il modifié dans ses CGU ?",
    ):
        assert is_change_question(q), q
    for q in (
        "Can Basecamp change its prices?",
        "Avec quel préavis Humanlinker peut-il modifier ses CGU ?",
        "How much notice does Boost My Mail give before changing its prices?",
        "Does the customer have to update its payment details?",
        "Quelles modifications le prestataire peut-il apporter au contrat ?",
        "Is a change of control a termination event?",
        "Le client veut changer d'offre : peut-il résilier ?",
    ):
        assert not is_change_question(q), q
    assert asked_dates("What changed since September 2021?") == ("2021-09", None)
    assert asked_dates("Qu'est-ce qui a changé depuis le 3 mars 2022 ?") == ("2022-03-03", None)
    assert asked_dates("changes between 2020 and 2022") == ("2020", "2022")
    docs = ["b/data-processing-addendum.pdf", "b/terms-of-service.md", "b/subprocessors.md"]
    assert named_documents("What changed in the DPA?", docs)[0] == (1.0, docs[0])
    assert named_documents("Did they change the sub-processor list?", docs)[0] == (1.0, docs[2])


def test_gold_questions_are_not_change_questions() -> None:
    """The routing never takes a question of the gold sets (none asks what changed) away from the engine."""
    for name in ("contracts.jsonl", "review.jsonl"):
        for line in (PROJECT_ROOT / "evals" / "gold" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = json.loads(line)["question"]
                assert not is_change_question(q), q


def _assistant(
    settings: Settings, store: ClauseStore, replies: list[str] | None = None, rules=None
) -> Assistant:
    return Assistant(
        settings,
        store=store,
        embeddings=HashingEmbeddings(),
        llm=ScriptedChat(replies=list(replies or [])),
        checker=FakeChecker(rules or [], 0.05),
    )


def test_change_questions_cite_both_versions_verbatim(versioned) -> None:
    settings, store = versioned
    asst = _assistant(settings, store)
    en = asst.answer("What changed in ACME's CGV since 2021?")
    assert not en.abstained and en.mode == "extractive" and "versions" in en.warning_codes
    assert "between the version of 2021-09-27 and the current version (2023-01-10)" in en.answer
    assert "trente (30) jours → quatorze (14) jours" in en.answer
    docs = [c.document for c in en.citations]
    assert docs[0] == "acme/cgv.txt@2021-09-27" and docs[1] == "acme/cgv.txt"
    assert set(docs) == {"acme/cgv.txt@2021-09-27", "acme/cgv.txt"}
    assert_verbatim(en.citations, store)
    assert all(f"[{c.n}]" in en.answer for c in en.citations)
    fr = asst.answer("Qu'est-ce qui a changé dans les CGV d'ACME depuis 2021 ?")
    assert fr.language == "fr" and "changements entre la version du 2021-09-27" in fr.answer
    assert_verbatim(fr.citations, store)
    # a topic: only the changes touching it
    sub = asst.answer("Did ACME change its sub-processor terms?")
    assert "about sub-processors" in sub.answer and len(sub.citations) == 2
    assert "quinze jours" in sub.citations[0].quote and "trente jours avant" in sub.citations[1].quote
    assert_verbatim(sub.citations, store)


def test_no_change_and_no_older_version_are_said_plainly(versioned) -> None:
    settings, store = versioned
    c = settings.corpus_dir
    put(c, "globex/dpa.md", "# DPA\n\nBreaches are notified\nwithin 72 hours.\n")
    put(c, "globex/dpa-2020.md", "# DPA\n\nBreaches are notified within 72 hours.\n")  # rewrapped only
    ingest(settings)
    asst = _assistant(settings, store)
    same = asst.answer("What changed in Globex's DPA since 2020?")
    assert (
        not same.abstained and "no change between the version of 2020" in same.answer and not same.citations
    )
    none = asst.answer("Has Initech changed its terms?")
    assert none.abstained and "Only one version of terms.txt" in none.answer
    fr = asst.answer("Les conditions d'Initech ont-elles changé ?")  # no document named: the vendor's
    assert fr.abstained and "Aucune version antérieure des documents de initech" in fr.answer


# ------------------------------------------------------------------------------- older versions
class CountingEmbeddings(HashingEmbeddings):
    """The hashing embedder, counting the texts embedded as documents."""

    embedded: int = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        CountingEmbeddings.embedded += len(texts)
        return super().embed_documents(texts)


def test_older_version_is_answered_from_clauses_built_on_demand(versioned) -> None:
    settings, store = versioned
    emb = CountingEmbeddings()
    asst = Assistant(
        settings,
        store=store,
        embeddings=emb,
        llm=ScriptedChat(replies=["Le préavis était de trente (30) jours [{n:trente}]."] * 2),
        checker=FakeChecker([("préavis de trente", 0.95)], 0.05),
    )
    q = "Que disait la version de 2021 des CGV d'ACME sur le préavis de résiliation ?"
    assert asked_version(q, store, ["acme"])[1].label == "2021-09-27"  # type: ignore[index]
    assert store.vclauses.count() == 0
    ans = asst.answer(q)
    assert ans.citations and {c.document for c in ans.citations} == {"acme/cgv.txt@2021-09-27"}
    assert "trente (30)" in ans.citations[0].quote and "versions" in ans.warning_codes
    assert_verbatim(ans.citations, store)
    built = store.vclauses.count()
    assert built > 0 and CountingEmbeddings.embedded == built
    asst.answer(q)  # the version's clauses are kept: nothing embedded again
    assert CountingEmbeddings.embedded == built and store.vclauses.count() == built
    # the current version is answered by the engine as usual
    assert asked_version("Que disait la version de 2023 des CGV ?", store, ["acme"]) is None
    store.remove_document("acme/cgv.txt")  # a removed document takes its versions with it
    assert store.vclauses.count() == 0 and store.history.count() == 0


def test_ask_version_option(versioned, monkeypatch, capsys) -> None:
    settings, _ = versioned
    _cli_env(monkeypatch, settings)
    q = "Quel est le préavis de résiliation ?"
    assert assistant_main(["ask", q, "--vendor", "acme", "--version", "2021", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert all(c["document"] == "acme/cgv.txt@2021-09-27" for c in out["citations"])
    assert "versions" in out["warning_codes"]
    assert assistant_main(["ask", q, "--vendor", "acme", "--version", "2019"]) == 2
    assert "versions: cgv.txt: 2021-09-27, 2023-01-10" in capsys.readouterr().err
    assert assistant_main(["ask", q, "--version", "2021"]) == 2


# ------------------------------------------------------------------------------- review flags
def test_changed_cell_flags(versioned) -> None:
    settings, store = versioned
    text = store.document_text("acme/cgv.txt")
    s = text.index("Le client peut résilier")
    e = text.index("recommandée.") + len("recommandée.")
    cite = Citation(1, "acme", "ACME Corp", "acme/cgv.txt", "ARTICLE 2", text[s:e], s, e)
    ch = citation_change(store, cite)
    assert (
        ch is not None and ch.kind == "changed" and ch.version == "2021-09-27" and ch.current == "2023-01-10"
    )
    assert "trente (30) jours" in (ch.old or "") and "quatorze (14) jours" in ch.new
    assert store.document_text(ch.old_document)[ch.old_start : ch.old_end] == ch.old
    s2 = text.index("Le contrat est conclu")
    same = Citation(2, "acme", "ACME Corp", "acme/cgv.txt", "ARTICLE 1", text[s2 : s2 + 30], s2, s2 + 30)
    assert citation_change(store, same) is None
    one = store.document_text("initech/terms.txt")
    assert (
        citation_change(store, Citation(1, "initech", "initech", "initech/terms.txt", "", one[:5], 0, 5))
        is None
    )
    grid = {
        "topics": [{"key": "termination_notice", "label": "Termination notice"}],
        "rows": [
            {
                "vendor": "acme",
                "vendor_name": "ACME Corp",
                "cells": {
                    "termination_notice": {
                        "answer": "14 jours [1].",
                        "abstained": False,
                        "citations": [cite.to_json()],
                    },
                    "audit_rights": {"answer": "…", "abstained": False, "citations": [same.to_json()]},
                },
            }
        ],
    }
    cells = flag_changed_cells(grid, store)["rows"][0]["cells"]
    assert cells["termination_notice"]["changed_since"]["version"] == "2021-09-27"
    assert cells["termination_notice"]["changed_since"]["new"] == ch.new
    assert "changed_since" not in cells["audit_rights"]


# -------------------------------------------------------------------------------- stored diffs
def test_pick_versions() -> None:
    from vectorstore.versions import VersionRecord, ordered

    past = [VersionRecord("d", lab, f"{i:064x}") for i, lab in enumerate(["2021-09", "2020", "2020-10"])]
    vs = ordered(past, VersionRecord("d", "2023-01-10", "f" * 64, current=True))
    assert [v.label for v in vs] == ["2020", "2020-10", "2021-09", "2023-01-10"]
    assert pick_version(vs, "2021").label == "2021-09" and pick_version(vs, "current").current
    with pytest.raises(VersionError, match="matches several versions"):
        pick_version(vs, "202")


@pytest.mark.skipif(not SHARED_HISTORY.is_dir(), reason="../shared/corpus-versions is absent (real history)")
def test_real_basecamp_terms_history(fake_settings: Settings) -> None:
    """Two real versions of 37signals' terms of service ingested as one document with two versions."""
    c = fake_settings.corpus_dir / "basecamp"
    (c / "history").mkdir(parents=True)
    shutil.copy(SHARED_HISTORY / "history" / "terms-of-service-2022-12-22.md", c / "terms-of-service.md")
    shutil.copy(SHARED_HISTORY / "history" / "terms-of-service-2021-09-27.md", c / "history")
    ingest(fake_settings)
    store = ClauseStore(fake_settings, HashingEmbeddings())
    assert [r.document for r in store.documents()] == ["basecamp/terms-of-service.md"]
    vs = store.versions("basecamp/terms-of-service.md")
    assert [v.label for v in vs] == ["2021-09-27", "2022-07-18"]  # the file name; the "Last updated" line
    pair = pick_pair(store, "basecamp/terms-of-service.md")
    result = diff_versions(store, pair)
    assert result.changes
    old_text, new_text = (store.version_text(pair.document, v.label) for v in (pair.old, pair.new))
    for ch in result.changes:
        assert ch.old is None or old_text[ch.old.start : ch.old.end] == ch.old.quote
        assert ch.new is None or new_text[ch.new.start : ch.new.end] == ch.new.quote
    ans = _assistant(fake_settings, store).answer("What changed in Basecamp's terms of service since 2021?")
    assert not ans.abstained and "basecamp/terms-of-service.md@2021-09-27" in {
        c.document for c in ans.citations
    }
    assert_verbatim(ans.citations, store)
