"""Server mode: the same ingest, retrieval and answers through a Chroma server (`chroma run` on loopback)
as through the embedded store. Hashing embedder and the fake LLM: offline and model-free."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.chroma_server import ChromaServer, heartbeat_ok
from core.settings import Settings, load_settings
from ingest.pipeline import run_ingest
from vectorstore.embeddings import HashingEmbeddings
from vectorstore.store import ClauseStore

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "contracts"
VENDORS = ("humanlinker", "unnamed-provider")
QUESTIONS = (
    "How quickly must Humanlinker notify a personal data breach?",
    "Where is the data hosted by the Unnamed Provider?",
    "Quelles sont les mesures de sécurité mises en œuvre ?",
)


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """One Chroma server for the module, on a free loopback port, stopped at teardown."""
    with ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data") as srv:
        yield srv
    assert not heartbeat_ok(srv.url), "the Chroma server still answers after teardown"


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    for v in VENDORS:
        shutil.copytree(SAMPLE / v, dst / v)
    return dst


def _settings(tmp_path: Path, corpus: Path, name: str, env: dict[str, str]) -> Settings:
    return load_settings(
        env=env,
        corpus_dir=str(corpus),
        store_dir=str(tmp_path / f"store-{name}"),
        cache_dir=str(tmp_path / f"cache-{name}"),
        **{"embedding.kind": "hashing", "llm.provider": "fake"},
    )


def _without_timings(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "timings_ms"}


def test_server_mode_matches_embedded(
    tmp_path: Path, small_corpus: Path, chroma_server: ChromaServer
) -> None:
    from assistant import Assistant

    embedded = _settings(tmp_path, small_corpus, "embedded", env={})
    served = _settings(tmp_path, small_corpus, "served", env={"VECTORSTORE_URL": chroma_server.url})
    assert embedded.vectorstore_url is None
    assert served.vectorstore_url == chroma_server.url  # VECTORSTORE_URL reaches settings

    emb = HashingEmbeddings()
    rep_e = run_ingest(embedded, embeddings=emb, progress=False)
    rep_s = run_ingest(served, embeddings=emb, progress=False)
    assert rep_e.counts()["added"] == rep_s.counts()["added"] == len(VENDORS)
    assert [(e.document, e.clauses) for e in rep_e.entries] == [
        (e.document, e.clauses) for e in rep_s.entries
    ]

    st_e, st_s = ClauseStore(embedded, emb), ClauseStore(served, emb)
    assert st_s.stats()["location"] == chroma_server.url
    assert not (served.store_dir / "chroma").exists()  # nothing of the served store is on local disk
    assert (chroma_server.path / "chroma.sqlite3").exists()  # ...it is in the server's folder
    assert [c.id for c in st_e.all_clauses()] == [c.id for c in st_s.all_clauses()]
    assert st_e.fingerprint() == st_s.fingerprint()

    # a second ingest through the server finds everything unchanged (the manifest lives on the server)
    assert run_ingest(served, embeddings=emb, progress=False).counts()["unchanged"] == len(VENDORS)

    a_e = Assistant(embedded, store=st_e, embeddings=emb)
    a_s = Assistant(served, store=st_s, embeddings=emb)
    for q in QUESTIONS:
        r_e, r_s = a_e.retrieve(q), a_s.retrieve(q)
        assert r_e.hits, q
        assert [h.clause.id for h in r_e.hits] == [h.clause.id for h in r_s.hits], q
        assert [round(h.score, 6) for h in r_e.hits] == [round(h.score, 6) for h in r_s.hits], q
        j_e, j_s = a_e.answer(q).to_json(), a_s.answer(q).to_json()
        assert _without_timings(j_e) == _without_timings(j_s), q
        for c in j_s["citations"]:  # quotes from the server are verbatim slices of the document
            assert st_s.document_text(c["document"])[c["start"] : c["end"]] == c["quote"]


def test_server_sees_writes_from_another_client(
    tmp_path: Path, small_corpus: Path, chroma_server: ChromaServer
) -> None:
    """Two page instances share one server: what one ingests, the other reads at once."""
    env = {"VECTORSTORE_URL": chroma_server.url, "CQA_COLLECTION": "shared_clauses"}
    writer = _settings(tmp_path, small_corpus, "writer", env=env)
    reader = _settings(tmp_path, small_corpus, "reader", env=env)
    assert reader.collection == "shared_clauses"
    emb = HashingEmbeddings()
    st_r = ClauseStore(reader, emb)
    before = st_r.stats()["clauses"]
    rep = run_ingest(writer, embeddings=emb, progress=False)
    added = sum(e.clauses for e in rep.entries)
    assert added > 0
    assert st_r.stats()["clauses"] == before + added
    assert {r.vendor for r in st_r.documents()} == set(VENDORS)


def test_versions_through_the_server(tmp_path: Path, chroma_server: ChromaServer) -> None:
    """Past versions live on the server too: kept at ingest, listed, read by `document@label`, compared."""
    from assistant.diff.stored import diff_versions, pick_pair

    corpus = tmp_path / "versions-corpus"
    (corpus / "acme" / "history").mkdir(parents=True)
    (corpus / "acme" / "cgv.txt").write_text(
        "CGV\n\nLe préavis est de quatorze (14) jours.\n", encoding="utf-8"
    )
    old = "CGV\n\nLe préavis est de trente (30) jours.\n"
    (corpus / "acme" / "history" / "cgv-2021-09-27.txt").write_text(old, encoding="utf-8")
    served = _settings(
        tmp_path,
        corpus,
        "versions",
        env={"VECTORSTORE_URL": chroma_server.url, "CQA_COLLECTION": "versioned"},
    )
    run_ingest(served, embeddings=HashingEmbeddings(), progress=False)
    st = ClauseStore(served, HashingEmbeddings())
    assert [v.label for v in st.versions("acme/cgv.txt")][0] == "2021-09-27"
    assert st.document_text("acme/cgv.txt@2021-09-27") == old
    assert not (served.store_dir / "chroma").exists()
    result = diff_versions(st, pick_pair(st, "acme/cgv.txt"))
    assert [f.to_json() for c in result.changes for f in c.figures] == [
        {"old": "trente (30) jours", "new": "quatorze (14) jours"}
    ]
