"""The ingest pipeline end to end (hashing embedder): idempotence, replacement, pruning, interruption,
settings changes, bad input, the lock and the CLI."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from filelock import FileLock

from core.settings import Settings
from ingest import cli
from ingest.check import check_store
from ingest.discover import load_corpus_vendors
from ingest.pipeline import IngestLockedError, run_ingest
from vectorstore.embeddings import HashingEmbeddings
from vectorstore.store import ClauseStore

ACME_V1 = """CONDITIONS GÉNÉRALES

ARTICLE 1. OBJET

Les présentes conditions définissent les modalités de fourniture du service de messagerie par ACME au Client.

ARTICLE 2. DURÉE

Le contrat est conclu pour une durée d'un an, renouvelable par tacite reconduction pour des périodes identiques.

ARTICLE 3. DONNÉES

3.1. Hébergement

Les données du Client sont hébergées en France dans des centres de données certifiés ISO 27001.

3.2. Violation de données

ACME notifie toute violation de données personnelles au Client dans un délai de 48 heures.
"""

GLOBEX = """DATA PROCESSING AGREEMENT

SECURITY

The Processor implements appropriate technical and organisational measures to protect personal data.

DATA BREACH

The Processor shall notify the Controller of any personal data breach without undue delay and within 72 hours.

SUBPROCESSORS

The Processor may engage subprocessors listed in Annex 2 after informing the Controller in writing.
"""


def put(corpus: Path, rel: str, content: str | bytes) -> Path:
    p = corpus / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        p.write_text(content, encoding="utf-8")
    else:
        p.write_bytes(content)
    return p


@pytest.fixture
def corpus(fake_settings: Settings) -> Path:
    c = fake_settings.corpus_dir
    put(c, "acme/vendor.yaml", "name: ACME Corp\nlanguage: fr\naliases: [Acme, ACME SAS]\n")
    put(c, "acme/cgv.txt", ACME_V1)
    put(c, "globex/dpa.md", GLOBEX)
    return c


def ingest(settings: Settings, **kw):
    kw.setdefault("progress", False)
    kw.setdefault("embeddings", HashingEmbeddings())
    return run_ingest(settings, **kw)


def snapshot(settings: Settings) -> tuple[list[str], int, list]:
    st = ClauseStore(settings)
    ids = sorted(st.col.get(include=[])["ids"])
    return ids, st.col.count(), [(r.document, r.sha256, r.ingested_at) for r in st.documents()]


def test_sample_corpus_ingest_then_unchanged_run_writes_nothing(sample_settings: Settings, monkeypatch):
    rep = ingest(sample_settings)
    assert rep.counts()["added"] == 13 and rep.exit_code == 0  # five .txt, Basecamp's 8
    before = snapshot(sample_settings)
    assert rep.clauses_embedded == before[1] and rep.timings_s["embed"] > 0 and "total" in rep.timings_s
    st = ClauseStore(sample_settings)
    assert before[1] == sum(r.n_clauses for r in st.documents())
    for rec in st.documents():  # offsets are exact for every stored clause
        text = st.document_text(rec.document)
        assert all(text[c.start : c.end] == c.text for c in st.clauses(rec.document))

    def forbidden(*a, **k):
        raise AssertionError("an unchanged corpus must write nothing")

    for name in (
        "upsert_clauses",
        "commit_document",
        "commit_documents",
        "write_documents",
        "delete_stale",
        "remove_document",
        "delete_ids",
        "reset",
    ):
        monkeypatch.setattr(ClauseStore, name, forbidden)
    rep2 = ingest(sample_settings)
    assert rep2.counts() == {
        "added": 0,
        "updated": 0,
        "unchanged": 13,
        "removed": 0,
        "skipped": 0,
        "failed": 0,
    }
    assert rep2.writes == 0 and rep2.clauses_embedded == 0
    monkeypatch.undo()
    assert snapshot(sample_settings) == before


def test_vendor_yaml_is_read(corpus: Path, fake_settings: Settings):
    vendors = load_corpus_vendors(corpus)
    assert vendors["acme"].name == "ACME Corp" and vendors["acme"].aliases == ("Acme", "ACME SAS")
    assert vendors["globex"].name == "globex" and vendors["globex"].language is None
    ingest(fake_settings)
    st = ClauseStore(fake_settings)
    assert st.vendors() == {"acme": "ACME Corp", "globex": "globex"}
    assert {r.document: r.language for r in st.documents()} == {"acme/cgv.txt": "fr", "globex/dpa.md": "en"}
    c = [c for c in st.clauses("acme/cgv.txt") if "48 heures" in c.text][0]
    assert c.section.startswith("ARTICLE 3. DONNÉES > ") and c.section.endswith("3.2. Violation de données")
    assert c.vendor_name == "ACME Corp"


def test_changed_document_replaces_its_clauses(corpus: Path, fake_settings: Settings):
    ingest(fake_settings)
    st = ClauseStore(fake_settings)
    old_ids = {c.id for c in st.clauses("acme/cgv.txt")}
    put(corpus, "acme/cgv.txt", ACME_V1.replace("48 heures", "24 heures").replace("un an", "deux ans"))
    rep = ingest(fake_settings)
    assert [(e.document, e.status) for e in rep.entries if e.status != "unchanged"] == [
        ("acme/cgv.txt", "updated")
    ]
    new = st.clauses("acme/cgv.txt")
    assert not old_ids & {c.id for c in new}
    all_records = st.col.get(where={"document": "acme/cgv.txt"}, include=["documents"])
    assert len(all_records["ids"]) == len(new) == st.document("acme/cgv.txt").n_clauses  # no stale, no dupes
    assert not any("48 heures" in t for t in all_records["documents"])
    assert any("24 heures" in c.text for c in new)
    assert len({(c.start, c.end) for c in new}) == len(new)


def test_prune_removes_deleted_documents(corpus: Path, fake_settings: Settings):
    ingest(fake_settings)
    (corpus / "globex" / "dpa.md").unlink()
    rep = ingest(fake_settings)
    assert "globex/dpa.md" in {r.document for r in ClauseStore(fake_settings).documents()}
    assert not rep.by_status("removed")
    rep = ingest(fake_settings, prune=True)
    assert [(e.document, e.status) for e in rep.by_status("removed")] == [("globex/dpa.md", "removed")]
    st = ClauseStore(fake_settings)
    assert list(st.vendors()) == ["acme"]
    assert st.col.get(where={"vendor": "globex"})["ids"] == []


def test_prune_is_scoped_to_the_given_paths(corpus: Path, fake_settings: Settings):
    ingest(fake_settings)
    (corpus / "globex" / "dpa.md").unlink()
    rep = ingest(fake_settings, paths=[corpus / "acme"], prune=True)
    assert not rep.by_status("removed")
    rep = ingest(fake_settings, paths=["globex"], prune=True)
    assert [e.document for e in rep.by_status("removed")] == ["globex/dpa.md"]


@pytest.mark.parametrize("crash", [RuntimeError, KeyboardInterrupt])
def test_interrupted_write_is_invisible_and_next_run_finishes(
    corpus: Path, fake_settings: Settings, monkeypatch, crash
):
    ingest(fake_settings)
    st = ClauseStore(fake_settings)
    old = st.clauses("acme/cgv.txt")
    put(corpus, "acme/cgv.txt", ACME_V1.replace("48 heures", "douze heures zeppelin"))
    real_commit = ClauseStore.commit_documents

    def crash_at_commit(self, items, *a, **k):
        raise crash("simulated crash between step 1 and step 2")

    monkeypatch.setattr(ClauseStore, "commit_documents", crash_at_commit)
    if crash is KeyboardInterrupt:
        with pytest.raises(KeyboardInterrupt):
            ingest(fake_settings)
    else:
        rep = ingest(fake_settings)
        assert rep.by_status("failed")[0].document == "acme/cgv.txt"
        assert "previous version kept" in rep.by_status("failed")[0].reason
    monkeypatch.setattr(ClauseStore, "commit_documents", real_commit)
    st = ClauseStore(fake_settings)
    # new clauses were written (step 1) but readers see only the whole old version
    raw = st.col.get(include=["documents"])["documents"]
    if crash is KeyboardInterrupt:  # the run stopped there: its new clauses wait for the next run
        assert any("zeppelin" in t for t in raw)
    else:  # the run went on and deleted the failed version's clauses as orphans
        assert rep.orphans_removed > 0 and not any("zeppelin" in t for t in raw)
    assert st.clauses("acme/cgv.txt") == old
    assert not any("zeppelin" in h.clause.text for h in st.bm25_search("zeppelin", 10))
    emb = HashingEmbeddings()
    assert not any("zeppelin" in h.clause.text for h in st.dense_search(emb.embed_query("zeppelin"), 50))
    # the next run completes the job and leaves no orphans
    rep = ingest(fake_settings)
    assert [e.document for e in rep.by_status("updated")] == ["acme/cgv.txt"]
    assert any("zeppelin" in c.text for c in st.clauses("acme/cgv.txt"))
    assert st.orphan_ids() == []
    assert st.count() == sum(r.n_clauses for r in st.documents())
    assert not FileLock(str(fake_settings.store_dir / "ingest.lock")).is_locked


def test_chunking_or_embedder_change_re_embeds(corpus: Path, fake_settings: Settings):
    ingest(fake_settings)
    rep = ingest(fake_settings.replace(**{"chunking.max_tokens": 64}))
    assert rep.counts()["updated"] == 2
    rep = ingest(fake_settings.replace(**{"chunking.max_tokens": 64}), embeddings=HashingEmbeddings(128))
    assert rep.rebuilt and rep.counts()["added"] == 2 and "embedder changed" in rep.notes[0]
    st = ClauseStore(fake_settings)
    assert {r.embedder for r in st.documents()} == {"hashing-128"}
    rep = ingest(fake_settings.replace(**{"chunking.max_tokens": 64}), embeddings=HashingEmbeddings(128))
    assert rep.writes == 0


def test_rebuild(corpus: Path, fake_settings: Settings):
    ingest(fake_settings)
    rep = ingest(fake_settings, rebuild=True)
    assert rep.rebuilt and rep.counts()["added"] == 2


def test_bad_inputs_each_get_a_reason(corpus: Path, fake_settings: Settings, tmp_path: Path):
    from pypdf import PdfWriter

    put(corpus, "bad/empty.txt", b"")
    put(corpus, "bad/binary.txt", bytes(range(256)) * 40)
    w = PdfWriter()
    w.add_blank_page(width=100, height=100)
    w.encrypt("pw")
    buf = io.BytesIO()
    w.write(buf)
    put(corpus, "bad/locked.pdf", buf.getvalue())
    put(corpus, "bad/broken.pdf", b"%PDF-1.7 this is not really a pdf")
    put(corpus, "bad/broken.docx", b"PK\x03\x04garbage")
    put(corpus, "bad/protected.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    put(corpus, "bad/sheet.xlsx", b"whatever")
    put(corpus, "bad/huge.txt", "Texte volumineux. " * 20000)
    put(corpus, "bad/copy-of-acme.txt", ACME_V1)
    put(corpus, "stray.txt", "Un fichier hors de tout dossier fournisseur.")
    outside = put(tmp_path, "outside/secret.txt", "Hors du corpus.")
    os.symlink(outside, corpus / "bad" / "escape.txt")
    put(corpus, "acme/.hidden.txt", "ignored")
    settings = fake_settings.replace(**{"ingest.max_file_mb": 0.2})
    rep = ingest(settings)
    reasons = {e.document: (e.status, e.reason) for e in rep.entries}
    assert reasons["acme/cgv.txt"][0] == "added" and reasons["globex/dpa.md"][0] == "added"
    expected = {
        "bad/empty.txt": "empty file",
        "bad/binary.txt": "binary",
        "bad/locked.pdf": "encrypted",
        "bad/broken.pdf": "corrupt PDF",
        "bad/broken.docx": "corrupt DOCX",
        "bad/protected.docx": "password-protected",
        "bad/sheet.xlsx": "unsupported file type .xlsx",
        "bad/huge.txt": "exceeds ingest.max_file_mb",
        "bad/copy-of-acme.txt": "duplicate of acme/cgv.txt",
        "stray.txt": "not inside a vendor folder",
        "bad/escape.txt": "escapes the corpus",
    }
    for doc, reason in expected.items():
        status, why = reasons[doc]
        assert status == "skipped" and reason in why and "\n" not in why, (doc, status, why)
    assert "acme/.hidden.txt" not in reasons
    assert rep.exit_code == 0
    assert {r.document for r in ClauseStore(settings).documents()} == {"acme/cgv.txt", "globex/dpa.md"}


def test_exit_code_non_zero_only_when_nothing_could_be_ingested(fake_settings: Settings):
    assert ingest(fake_settings).exit_code == 0  # empty corpus: nothing attempted
    put(fake_settings.corpus_dir, "v/empty.txt", b"")
    rep = ingest(fake_settings)
    assert rep.exit_code == 1 and rep.by_status("skipped")[0].reason == "empty file"
    assert (
        ingest(fake_settings, paths=["/etc"]).by_status("skipped")[0].reason == "outside the corpus directory"
    )


def test_second_ingest_waits_then_refuses(corpus: Path, fake_settings: Settings):
    fake_settings.store_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(fake_settings.store_dir / "ingest.lock")):
        with pytest.raises(IngestLockedError, match="another ingest is running"):
            ingest(fake_settings, lock_timeout=0.3)
    assert ingest(fake_settings, lock_timeout=0.3).counts()["added"] == 2


def test_check_detects_and_repairs(corpus: Path, fake_settings: Settings):
    emb = HashingEmbeddings()
    ingest(fake_settings)
    st = ClauseStore(fake_settings, emb)
    assert check_store(fake_settings, store=st, repair=False).ok
    c = st.clauses("acme/cgv.txt")[1]
    st.col.update(ids=[c.id], documents=["tampered text"], embeddings=[emb.embed_query("tampered text")])
    put(corpus, "globex/dpa.md", GLOBEX + "\nANNEX 2\n\nAWS, Ireland.\n")
    chk = check_store(fake_settings, store=st, embeddings=emb)
    assert "differs from its slice" in " ".join(chk.problems["acme/cgv.txt"])
    assert chk.problems["globex/dpa.md"] == ["file changed since ingest"]
    assert chk.repaired is not None
    assert check_store(fake_settings, store=st, repair=False).ok
    assert st.clauses("acme/cgv.txt")[1].text != "tampered text"


def _cli_env(monkeypatch, settings: Settings) -> None:
    monkeypatch.setenv("CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("STORE_DIR", str(settings.store_dir))
    monkeypatch.setenv("EMBEDDING_KIND", "hashing")
    monkeypatch.delenv("CQA_SETTINGS", raising=False)


def test_cli_ingest_show_and_check(corpus: Path, fake_settings: Settings, monkeypatch, capsys):
    _cli_env(monkeypatch, fake_settings)
    put(
        corpus,
        "acme/latin1.txt",
        "Résiliation à tout moment, préavis d’un mois, données hébergées en "
        "Europe et sauvegardées chaque jour.\n".encode("cp1252"),
    )
    assert cli.main(["--show", "acme/latin1.txt"]) == 0  # not ingested yet: decoded from the file
    shown = capsys.readouterr().out
    assert shown.startswith("Résiliation à tout moment, préavis d’un mois")
    assert cli.main(["--no-progress", "--json"]) == 0
    out = capsys.readouterr()
    assert '"added": 3' in out.out and "Ingest summary" in out.err
    assert cli.main(["--show", "acme/latin1.txt"]) == 0
    assert capsys.readouterr().out == shown
    st = ClauseStore(fake_settings)
    assert cli.main(["--show", "acme/cgv.txt"]) == 0
    assert capsys.readouterr().out == st.document_text("acme/cgv.txt")
    assert cli.main(["--show", "nobody/none.txt"]) == 2
    assert cli.main(["--check"]) == 0
    assert "consistent" in capsys.readouterr().err
    with FileLock(str(fake_settings.store_dir / "ingest.lock")):
        assert cli.main(["--no-progress", "--lock-timeout", "0.2"]) == 3
    assert "another ingest" in capsys.readouterr().err


def test_cli_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "--show boost-my-mail/cgs.txt" in out and "--prune" in out


@pytest.mark.slow
@pytest.mark.timeout(2400)  # a few minutes on an idle 2-core CPU; 20 min measured on a heavily shared one
def test_sample_corpus_with_real_embeddinggemma(tmp_path: Path):
    from core.settings import PROJECT_ROOT, load_settings
    from vectorstore.embeddings import make_embeddings

    settings = load_settings(
        env={}, corpus_dir=str(PROJECT_ROOT / "data" / "contracts"), store_dir=str(tmp_path / "store")
    )
    emb = make_embeddings(settings.embedding)
    rep = run_ingest(settings, embeddings=emb, progress=False)
    assert rep.counts()["added"] == 13
    st = ClauseStore(settings, emb)
    got = st.col.get(limit=1, include=["embeddings"])
    assert len(got["embeddings"][0]) == 768
    hits = st.dense_search(
        emb.embed_query("How quickly must Humanlinker notify a personal data breach?"),
        5,
        vendors=["humanlinker"],
    )
    assert any("48 heures" in h.clause.text for h in hits)
    assert run_ingest(settings, embeddings=emb, progress=False).writes == 0


def test_rechunking_same_text_leaves_no_leftover_clauses(corpus: Path, fake_settings: Settings):
    small = fake_settings.replace(**{"chunking.max_tokens": 40, "chunking.min_tokens": 5})
    ingest(small)
    st = ClauseStore(small)
    many = st.document("acme/cgv.txt").n_clauses
    st.bm25_search("hébergées", 3)
    fp = st.fingerprint()
    rep = ingest(fake_settings)  # bigger chunks: fewer clauses, same text and same clause-id prefix
    assert rep.counts()["updated"] == 2
    few = st.clauses("acme/cgv.txt")
    assert len(few) == st.document("acme/cgv.txt").n_clauses < many
    assert len(st.col.get(where={"document": "acme/cgv.txt"})["ids"]) == len(few)
    assert st.fingerprint() != fp  # the BM25 cache key follows re-chunking too
    hit = st.bm25_search("hébergées", 1)[0]
    assert hit.clause in few


def test_changed_document_re_embeds_only_changed_clauses(corpus: Path, fake_settings: Settings):
    first = ingest(fake_settings)
    n = ClauseStore(fake_settings).document("acme/cgv.txt").n_clauses
    assert first.clauses_embedded == n + ClauseStore(fake_settings).document("globex/dpa.md").n_clauses
    put(corpus, "acme/cgv.txt", ACME_V1.replace("48 heures", "24 heures"))
    rep = ingest(fake_settings)
    assert rep.counts()["updated"] == 1
    assert 1 <= rep.clauses_embedded < n  # clauses whose text did not change reuse their cached vectors
    st = ClauseStore(fake_settings)
    emb = HashingEmbeddings()
    got = st.col.get(
        ids=[c.id for c in st.clauses("acme/cgv.txt")], include=["embeddings", "documents", "metadatas"]
    )
    for vec, text, meta in zip(got["embeddings"], got["documents"], got["metadatas"], strict=True):
        expected = emb.embed_documents([f"ACME Corp | {meta['section']}\n{text}"])[0]
        assert max(abs(a - b) for a, b in zip(vec, expected, strict=True)) < 1e-6
    assert ingest(fake_settings, rebuild=True).clauses_embedded == first.clauses_embedded


def test_configured_embedder_is_loaded_only_when_needed(corpus: Path, fake_settings: Settings, monkeypatch):
    from ingest import pipeline

    built = []
    real = pipeline.make_embeddings
    monkeypatch.setattr(pipeline, "make_embeddings", lambda cfg: built.append(cfg) or real(cfg))
    assert run_ingest(fake_settings, progress=False).counts()["added"] == 2 and len(built) == 1
    assert run_ingest(fake_settings, progress=False).writes == 0 and len(built) == 1  # never loaded


def test_pdf_docx_and_html_documents_are_ingested(fake_settings: Settings):
    from tests.test_loaders import make_docx, make_pdf

    c = fake_settings.corpus_dir
    put(c, "initech/terms.pdf", make_pdf(["ARTICLE 1 Objet du contrat de service", "ARTICLE 2 Duree un an"]))
    put(
        c,
        "initech/dpa.docx",
        make_docx(
            [
                "DATA PROTECTION",
                "The processor keeps data in the EU.",
                "SECURITY",
                "Data is encrypted at rest and in transit.",
            ]
        ),
    )
    put(
        c,
        "initech/privacy.html",
        "<html><body><h1>Privacy</h1><p>We never sell personal data.</p>"
        "<script>alert(1)</script></body></html>",
    )
    rep = ingest(fake_settings)
    assert rep.counts()["added"] == 3, rep.to_json()
    st = ClauseStore(fake_settings)
    for rec in st.documents():
        text = st.document_text(rec.document)
        clauses = st.clauses(rec.document)
        assert clauses and all(text[x.start : x.end] == x.text for x in clauses)
    assert "alert" not in st.document_text("initech/privacy.html")
    assert "Duree un an" in st.document_text("initech/terms.pdf")
    assert {r.language for r in st.documents() if r.document.endswith((".docx", ".html"))} == {"en"}


def test_check_repairs_only_under_the_ingest_lock(corpus: Path, fake_settings: Settings):
    ingest(fake_settings)
    (corpus / "globex" / "dpa.md").unlink()
    with FileLock(str(fake_settings.store_dir / "ingest.lock")):
        assert check_store(fake_settings, repair=False).problems == {
            "globex/dpa.md": ["file missing from the corpus"]
        }
        with pytest.raises(IngestLockedError):
            check_store(fake_settings, repair=True, lock_timeout=0.3)
        assert "globex/dpa.md" in {r.document for r in ClauseStore(fake_settings).documents()}
    chk = check_store(fake_settings, embeddings=HashingEmbeddings(), repair=True)
    assert chk.repaired is not None and chk.repaired.by_status("removed")[0].document == "globex/dpa.md"
    assert check_store(fake_settings, repair=False).ok


def test_cli_unreachable_chroma_server_is_one_clear_line(
    corpus: Path, fake_settings: Settings, monkeypatch, capsys
):
    _cli_env(monkeypatch, fake_settings)
    monkeypatch.setenv("VECTORSTORE_URL", "http://127.0.0.1:9")
    assert cli.main(["--no-progress"]) == 4
    cpu_line, err = capsys.readouterr().err.strip().split("\n", 1)  # the start-up line names the CPU first
    assert cpu_line.startswith("CPU ") and "embedding" in cpu_line
    assert "Chroma server at http://127.0.0.1:9" in err and "Traceback" not in err and "\n" not in err


@pytest.mark.parametrize("write_batch", [1, 10_000])
def test_batched_writes_match_one_by_one_and_isolate_a_failing_document(
    corpus: Path, fake_settings: Settings, monkeypatch, write_batch
):
    """Documents are embedded and written together (`ingest.write_batch` clauses at a time); the result is
    the same store as writing them one by one, and a document whose write fails fails alone."""
    for i in range(6):
        put(
            corpus,
            f"acme/annexe-{i}.txt",
            ACME_V1.replace("48 heures", f"{10 + i} heures") + f"\nAnnexe {i}.\n",
        )
    put(corpus, "globex/poison.md", GLOBEX.replace("72 hours", "72 hours poisonpill"))
    settings = fake_settings.replace(**{"ingest.write_batch": write_batch})
    calls: list[int] = []
    real_upsert = ClauseStore.upsert_clauses

    def upsert(self, clauses, vectors):
        calls.append(len(clauses))
        if any("poisonpill" in c.text for c in clauses):
            raise OSError("simulated write failure")
        return real_upsert(self, clauses, vectors)

    monkeypatch.setattr(ClauseStore, "upsert_clauses", upsert)
    rep = ingest(settings)
    assert [e.document for e in rep.by_status("failed")] == ["globex/poison.md"]
    assert "previous version kept" in rep.by_status("failed")[0].reason
    assert rep.counts()["added"] == 8
    if write_batch > 1000:  # everything in one write, then each document alone after the failure
        assert len(calls) == 1 + 9
    else:
        assert len(calls) == 9
    st = ClauseStore(settings)
    assert "globex/poison.md" not in {r.document for r in st.documents()}
    assert st.orphan_ids() == [] and st.count() == sum(r.n_clauses for r in st.documents())
    for i in range(6):
        assert any(f"{10 + i} heures" in c.text for c in st.clauses(f"acme/annexe-{i}.txt"))


def test_full_disk_stops_writing_and_reports_every_document(
    corpus: Path, fake_settings: Settings, monkeypatch
):
    """Out of space: the batch's documents fail with the reason, later documents are not written (Chroma
    was seen to hang on writes after a full disk), no orphan cleanup runs, previous versions stay."""
    import errno

    ingest(fake_settings)
    st = ClauseStore(fake_settings)
    before = {d: st.clauses(d) for d in ("acme/cgv.txt", "globex/dpa.md")}
    put(corpus, "acme/cgv.txt", ACME_V1.replace("48 heures", "72 heures"))
    put(corpus, "globex/dpa.md", GLOBEX.replace("72 hours", "24 hours"))
    settings = fake_settings.replace(**{"ingest.write_batch": 1})
    calls = []

    def full(self, clauses, vectors):
        calls.append(len(clauses))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ClauseStore, "upsert_clauses", full)
    monkeypatch.setattr(ClauseStore, "orphan_ids", lambda self: pytest.fail("no cleanup on a full disk"))
    rep = ingest(settings)
    monkeypatch.undo()
    assert len(calls) == 1
    failed = {e.document: e.reason for e in rep.by_status("failed")}
    assert set(failed) == {"acme/cgv.txt", "globex/dpa.md"} and rep.exit_code != 0
    assert all("previous version kept" in r and "space" in r for r in failed.values())
    assert any("ran out of space" in n for n in rep.notes)
    st = ClauseStore(fake_settings)
    assert {d: st.clauses(d) for d in before} == before


def test_check_finds_corpus_files_missing_from_the_store_and_ingests_them(
    corpus: Path, fake_settings: Settings
):
    """After an ingest that wrote nothing (a full disk), `--check` must not call the store consistent."""
    emb = HashingEmbeddings()
    ingest(fake_settings, paths=[corpus / "acme"])
    chk = check_store(fake_settings, embeddings=emb, repair=False)
    assert chk.problems == {"globex/dpa.md": ["in the corpus, not in the store"]}
    fixed = check_store(fake_settings, embeddings=emb)
    assert [e.document for e in fixed.repaired.by_status("added")] == ["globex/dpa.md"]
    assert check_store(fake_settings, embeddings=emb, repair=False).ok


class _SlowHashing(HashingEmbeddings):
    """The hashing embedder, taking a measurable time per text (so that the rate is finite)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import time

        time.sleep(0.002 * len(texts))
        return super().embed_documents(texts)


def test_progress_counts_every_clause_with_a_rate_and_time_left(
    corpus: Path, fake_settings: Settings, monkeypatch
):
    """The callback sees documents read, clauses embedded out of the total, a rate once a batch is done,
    and a time left that ends at zero; a second, unchanged run reports nothing to embed."""
    from ingest import write
    from ingest.progress import IngestProgress

    for i in range(6):  # enough clauses for several embedding batches
        put(corpus, f"initech/terms-{i}.txt", ACME_V1.replace("ACME", f"Initech {i}"))
    monkeypatch.setattr(write, "EMBED_BATCH", 4)
    seen: list[IngestProgress] = []

    def snap(p: IngestProgress) -> None:
        seen.append(IngestProgress(**{k: getattr(p, k) for k in p.__dataclass_fields__}))

    report = ingest(fake_settings, embeddings=_SlowHashing(), progress=snap)
    stored = sum(r.n_clauses for r in ClauseStore(fake_settings).documents())
    last = seen[-1]
    assert last.finished and last.files_read == last.files_total == 8
    assert last.clauses_done == last.clauses_total == stored
    assert last.clauses_done - last.cached == report.clauses_embedded  # same texts are embedded once
    done = [p.clauses_done for p in seen]
    assert done == sorted(done) and len({d for d in done if d}) >= stored // 4  # one update per batch
    mid = [p for p in seen if p.cached < p.clauses_done < stored]  # after a batch was embedded
    assert mid and all(p.rate and p.rate > 0 and p.eta_s is not None and p.eta_s > 0 for p in mid)
    assert last.eta_s == 0.0 and last.fraction == 1.0 and "done in" in last.line()
    assert f"embedded {stored}/{stored} clauses" in last.line()

    again: list[IngestProgress] = []
    ingest(fake_settings, embeddings=_SlowHashing(), progress=again.append)
    assert again[-1].finished and again[-1].clauses_total == 0 and again[-1].rate is None


def test_progress_estimates_the_total_from_the_documents_read():
    from ingest.progress import IngestProgress, format_duration

    p = IngestProgress(files_total=10, files_read=2, clauses_total=60, clauses_done=30, embed_s=10.0)
    assert p.estimated_total == 300 and p.rate == 3.0 and p.eta_s == 90.0
    assert p.line() == (
        "embedded 30/~300 clauses · 3.0 clauses/s · about 1 min 30 s left · read 2/10 documents"
    )
    assert IngestProgress(files_total=1, files_read=1, clauses_total=40).line() == (
        "embedded 0/40 clauses · estimating time left…"
    )
    assert [format_duration(s) for s in (4.6, 200, 3900)] == ["5 s", "3 min 20 s", "1 h 05 min"]


def test_terminal_progress_prints_lines_when_not_a_terminal(corpus: Path, fake_settings: Settings):
    from ingest.progress import TerminalProgress

    out = io.StringIO()
    ingest(fake_settings, progress=TerminalProgress(stream=out, every_s=3600))
    lines = out.getvalue().splitlines()
    assert lines and all(line.startswith("ingest: embedded ") for line in lines) and "done in" in lines[-1]
    n = sum(r.n_clauses for r in ClauseStore(fake_settings).documents())
    assert f"embedded {n}/{n} clauses" in lines[-1]
