"""ClauseStore: write protocol, read API, current-version filtering, dense and BM25 search, BM25 cache."""

from __future__ import annotations

import hashlib

import pytest

from core.settings import Settings
from core.text import fold
from core.types import Clause, Document
from vectorstore import bm25 as bm25_mod
from vectorstore import store as store_mod
from vectorstore.bm25 import tokenize
from vectorstore.embeddings import HashingEmbeddings
from vectorstore.store import ClauseStore, DocRecord, clause_id, contextual_text


def make_doc(
    document: str, paragraphs: list[str], vendor_name: str = "", language: str = "fr"
) -> tuple[Document, list[Clause]]:
    """A Document whose clauses are its paragraphs (offsets exact)."""
    text = "\n\n".join(paragraphs) + "\n"
    sha = hashlib.sha256(text.encode()).hexdigest()
    vendor = document.split("/")[0]
    doc = Document(
        vendor=vendor,
        vendor_name=vendor_name or vendor.title(),
        document=document,
        text=text,
        sha256=sha,
        language=language,
        source_sha256=sha,
    )
    clauses, pos = [], 0
    for i, p in enumerate(paragraphs):
        start = text.index(p, pos)
        pos = start + len(p)
        clauses.append(
            Clause(
                id=clause_id(document, sha, i),
                vendor=vendor,
                vendor_name=doc.vendor_name,
                document=document,
                section=f"S{i}",
                start=start,
                end=pos,
                text=p,
                language=language,
                ordinal=i,
                doc_sha256=sha,
                tokens=len(p.split()),
            )
        )
    return doc, clauses


def write(store: ClauseStore, emb: HashingEmbeddings, doc: Document, clauses: list[Clause]) -> None:
    store.write_document(
        doc,
        clauses,
        emb.embed_documents([contextual_text(c) for c in clauses]),
        fingerprint="fp",
        embedder=emb.name,
        aliases=["Alias One"],
    )


@pytest.fixture
def emb() -> HashingEmbeddings:
    return HashingEmbeddings()


@pytest.fixture
def store(fake_settings: Settings, emb: HashingEmbeddings) -> ClauseStore:
    st = ClauseStore(fake_settings, emb)
    d1 = make_doc(
        "acme/cgv.txt",
        [
            "La résiliation du contrat intervient avec un préavis de trois mois.",
            "Les données personnelles sont hébergées en France.",
            "Le prix est payable à trente jours.",
            "Le droit français est applicable.",
        ],
        "ACME Corp",
    )
    d2 = make_doc(
        "globex/dpa.txt",
        [
            "The processor shall notify the controller of a personal data breach within 48 hours.",
            "Terminations of the agreement require notice.",
            "Subprocessors are listed in Annex 2.",
        ],
        "Globex",
        "en",
    )
    write(st, emb, *d1)
    write(st, emb, *d2)
    return st


def test_client_is_embedded_with_telemetry_off_and_no_default_embedder(store: ClauseStore, fake_settings):
    assert store.client.get_settings().anonymized_telemetry is False
    assert store.col._embedding_function is None and store.docs._embedding_function is None
    assert (fake_settings.store_dir / "chroma").is_dir()


def test_http_client_when_url_is_set(fake_settings: Settings, monkeypatch):
    import chromadb

    seen = {}

    def fake_http(**kw):
        seen.update(kw)
        return "http-client"

    monkeypatch.setattr(chromadb, "HttpClient", fake_http)
    client = store_mod.make_client(fake_settings.replace(vectorstore_url="https://chroma.example:8443"))
    assert client == "http-client"
    assert (seen["host"], seen["port"], seen["ssl"]) == ("chroma.example", 8443, True)
    assert seen["settings"].anonymized_telemetry is False


def test_read_api(store: ClauseStore):
    assert store.vendors() == {"acme": "ACME Corp", "globex": "Globex"}
    assert store.vendor_aliases()["acme"] == ["Alias One"]
    docs = store.documents()
    assert [d.document for d in docs] == ["acme/cgv.txt", "globex/dpa.txt"]
    assert isinstance(docs[0], DocRecord) and docs[0].n_clauses == 4 and docs[1].language == "en"
    text = store.document_text("acme/cgv.txt")
    cl = store.clauses("acme/cgv.txt")
    assert [c.ordinal for c in cl] == [0, 1, 2, 3]
    assert all(text[c.start : c.end] == c.text for c in cl)
    assert store.clause(cl[2].id) == cl[2]
    assert store.clause("nope") is None
    assert [c.ordinal for c in store.neighbours(cl[2], before=1, after=1)] == [1, 2, 3]
    assert [c.ordinal for c in store.neighbours(cl[0], before=2, after=0)] == [0]
    with pytest.raises(KeyError):
        store.document_text("missing/doc.txt")
    stats = store.stats()
    assert stats["documents"] == 2 and stats["clauses"] == 7 and stats["records"] == 7
    assert stats["vendors"] == {"acme": 4, "globex": 3}


def test_dense_search_scores_and_vendor_filter(store: ClauseStore, emb: HashingEmbeddings):
    q = emb.embed_query("personal data breach notify controller 48 hours")
    hits = store.dense_search(q, 3)
    assert hits[0].clause.document == "globex/dpa.txt" and "48 hours" in hits[0].clause.text
    assert hits[0].sources == {"dense": 0} and hits[1].sources == {"dense": 1}
    assert all(-1.0 <= h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    only = store.dense_search(q, 5, vendors=["acme"])
    assert only and {h.clause.vendor for h in only} == {"acme"}
    assert store.dense_search(q, 5, vendors=["nobody"]) == []


def test_bm25_accents_stems_and_vendor_filter(store: ClauseStore):
    hits = store.bm25_search("resiliation preavis", 3)  # no accents in the query
    assert hits and "résiliation" in hits[0].clause.text and hits[0].sources == {"bm25": 0}
    hits = store.bm25_search("termination", 3)  # English stem of "Terminations"
    assert hits[0].clause.document == "globex/dpa.txt"
    assert store.bm25_search("données hébergées", 5, vendors=["globex"]) == []
    assert store.bm25_search("données hébergées", 5, vendors=["acme"])[0].clause.vendor == "acme"
    assert all(h.clause.vendor == "acme" for h in store.bm25_search("contrat", 5, vendors=["acme"]))
    assert store.bm25_search("", 5) == []


def test_tokenize_is_accent_insensitive_and_bilingual():
    assert tokenize("Résiliation") == tokenize("resiliation")
    assert "notif" in " ".join(tokenize("notifications"))
    assert tokenize("le la les the of") == []
    assert fold("éèçœ", lower=False) == "eecœ"


def test_half_written_version_is_invisible(store: ClauseStore, emb: HashingEmbeddings):
    old = store.clauses("acme/cgv.txt")
    doc, clauses = make_doc(
        "acme/cgv.txt", ["Nouvelle version : résiliation sans préavis xylophone."], "ACME Corp"
    )
    store.upsert_clauses(clauses, emb.embed_documents([c.text for c in clauses]))  # step 1 only: crash
    assert store.clauses("acme/cgv.txt") == old
    assert store.clause(clauses[0].id) is None
    assert all("xylophone" not in h.clause.text for h in store.dense_search(emb.embed_query("xylophone"), 10))
    assert store.bm25_search("xylophone", 5) == []
    assert store.orphan_ids() == [clauses[0].id]
    store.commit_document(doc, 1)  # step 2: the commit point
    assert [c.text for c in store.clauses("acme/cgv.txt")] == [clauses[0].text]
    assert store.bm25_search("xylophone", 5)[0].clause.id == clauses[0].id
    assert store.delete_stale("acme/cgv.txt") == 4  # step 3
    assert store.orphan_ids() == [] and store.count() == 4


def test_remove_document(store: ClauseStore):
    assert store.remove_document("acme/cgv.txt") == 4
    assert list(store.vendors()) == ["globex"] and store.count() == 3
    assert store.clauses("acme/cgv.txt") == []


def test_bm25_cache_on_disk_keyed_by_fingerprint(store: ClauseStore, fake_settings, emb, monkeypatch):
    store.bm25_search("contrat", 3)
    fp = store.fingerprint()
    files = list((fake_settings.store_dir / "bm25").glob("*.json"))
    assert [f.name for f in files] == [
        f"{fake_settings.collection}-{fp}-v{store_mod.BM25_CACHE_VERSION}.json"
    ]
    # a new store instance loads the cached tokens instead of re-tokenising every clause
    calls = []
    real = bm25_mod.tokenize
    monkeypatch.setattr(store_mod, "tokenize", lambda t: calls.append(t) or real(t))
    fresh = ClauseStore(fake_settings, emb)
    assert fresh.bm25_search("contrat", 3)
    assert calls == []
    # a new document version changes the fingerprint: index rebuilt, old cache file replaced
    write(fresh, emb, *make_doc("initech/tos.txt", ["Le contrat zeppelin est conclu."]))
    assert fresh.fingerprint() != fp
    assert fresh.bm25_search("zeppelin", 3)[0].clause.document == "initech/tos.txt"
    assert calls
    assert len(list((fake_settings.store_dir / "bm25").glob("*.json"))) == 1


def test_reset_drops_everything(store: ClauseStore):
    store.reset()
    assert store.documents() == [] and store.count() == 0 and store.bm25_search("contrat", 3) == []


def test_whole_collection_reads_are_paged(store: ClauseStore, emb: HashingEmbeddings, monkeypatch):
    """Reading every record goes PAGE records at a time (one unpaged read of ~40,000 records fails inside
    Chroma with "too many SQL variables"); paging loses and repeats nothing."""
    for i in range(4):
        doc, clauses = make_doc(
            f"paged/doc{i}.txt", [f"Clause {i}.{j} sur la durée de {j + 2} mois." for j in range(5)]
        )
        write(store, emb, doc, clauses)
    monkeypatch.setattr(store_mod, "PAGE", 3)
    calls = []
    real_get = store.col.get

    def counting_get(*a, **k):
        calls.append(k.get("limit"))
        return real_get(*a, **k)

    monkeypatch.setattr(store.col, "get", counting_get)
    store.invalidate()
    clauses = store.all_clauses(["paged"])
    assert [(c.document, c.ordinal) for c in clauses] == [
        (f"paged/doc{i}.txt", j) for i in range(4) for j in range(5)
    ]
    assert len(calls) == 7 and set(calls) == {3}  # 20 records, 3 per page
    assert store.orphan_ids() == []
    assert len(store.get_all(None, ["metadatas"])["metadatas"]) == store.count()
    assert len(store.get_all(None, ["embeddings"])["embeddings"]) == store.count()  # numpy pages too


def test_bm25_postings_scores_equal_rank_bm25_and_rank_the_same():
    """The inverted-index scorer gives rank_bm25's BM25Okapi scores exactly, and the same top-k (ties by id)."""
    import random

    import numpy as np
    from rank_bm25 import BM25Okapi

    rng = random.Random(3)
    vocab = [
        "résiliation",
        "préavis",
        "données",
        "hébergement",
        "breach",
        "notify",
        "hours",
        "jours",
        "audit",
        "plafond",
        "liability",
        "cap",
        "mois",
        "france",
        "sous-traitant",
        "subprocessor",
    ]
    texts = [" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 30))) for _ in range(400)]
    ids = [f"c{i:03d}" for i in range(len(texts))]
    vendors = [rng.choice(["a", "b", "c"]) for _ in texts]
    index = bm25_mod.BM25Index(ids, vendors, [tokenize(t) for t in texts])
    reference = BM25Okapi([tokenize(t) for t in texts])
    for query in ("préavis de résiliation", "notify breach hours hours", "plafond liability cap mois", "zzz"):
        q = tokenize(query)
        assert np.array_equal(index.scores(q), reference.get_scores(q)) or not q
        for vendor_filter in (None, ["b"], ["a", "c"]):
            scores = reference.get_scores(q)
            expected = [
                (ids[i], float(scores[i]))
                for i in sorted(range(len(ids)), key=lambda i: (-scores[i], ids[i]))
                if scores[i] > 0 and (vendor_filter is None or vendors[i] in vendor_filter)
            ][:7]
            assert index.search(query, 7, vendor_filter) == expected


def test_exact_and_hnsw_dense_search_agree_and_skip_stale_versions(
    store: ClauseStore, emb: HashingEmbeddings, monkeypatch
):
    """Up to EXACT_SEARCH_MAX candidates dense_search is exact over cached vectors; above, Chroma's HNSW.
    Both give the same hits here (a few vectors: HNSW is exhaustive), never a stale version, and the cache
    follows writes."""
    q = emb.embed_query("personal data breach notify controller 48 hours")
    exact = store.dense_search(q, 4)
    exact_acme = store.dense_search(q, 4, vendors=["acme"])
    monkeypatch.setattr(store_mod, "EXACT_SEARCH_MAX", 0)
    hnsw = store.dense_search(q, 4)
    assert [h.clause.id for h in hnsw] == [h.clause.id for h in exact]
    assert [round(h.score, 5) for h in hnsw] == [round(h.score, 5) for h in exact]
    assert [h.clause.id for h in store.dense_search(q, 4, vendors=["acme"])] == [
        h.clause.id for h in exact_acme
    ]
    monkeypatch.undo()
    # a new version of the document: its old clauses vanish from the exact results at once
    old_ids = {c.id for c in store.clauses("globex/dpa.txt")}
    doc, clauses = make_doc("globex/dpa.txt", ["The Processor shall notify the Controller within 24 hours."])
    write(store, emb, doc, clauses)
    again = store.dense_search(q, 10)
    assert not old_ids & {h.clause.id for h in again}
    assert clauses[0].id in {h.clause.id for h in again}
    # a write through another instance (another process) is seen too: the cache follows the generation
    other = ClauseStore(store.settings, emb, client=store.client)
    doc2, clauses2 = make_doc(
        "globex/dpa.txt", ["The Processor shall notify the Controller within 12 hours."]
    )
    write(other, emb, doc2, clauses2)
    assert clauses2[0].id in {h.clause.id for h in store.dense_search(q, 10)}
    assert clauses[0].id not in {h.clause.id for h in store.dense_search(q, 10)}


def test_embedder_names_are_the_fitted_keys_and_agree_with_the_built_embedders(tmp_path):
    """The name from settings (store records, embedding cache, the fitted weights' key) is the name the
    built embedder reports; the default EmbeddingGemma's is the key config/ranker.json and fusion.json hold."""
    import json

    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    from core.settings import PROJECT_ROOT, EmbeddingSettings, load_settings
    from vectorstore.embeddings import embedder_name, embeddings_name, make_embeddings

    default = load_settings(env={}).embedding
    fitted = {
        json.loads((PROJECT_ROOT / "config" / f).read_text(encoding="utf-8"))["fitted"]["embeddings"]
        for f in ("ranker.json", "fusion.json")
    }
    assert embedder_name(default) == embedder_name(EmbeddingSettings()) == "embeddinggemma-300m"
    assert fitted == {"embeddinggemma-300m"}
    hashing = default.model_copy(update={"kind": "hashing"})
    assert embedder_name(hashing) == embeddings_name(make_embeddings(hashing)) == "hashing-256"
    # a tiny sentence-transformers folder (two words, 4 dimensions), named with a trailing slash
    tok = Tokenizer(WordLevel({"[UNK]": 0, "clause": 1}, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    SentenceTransformer(modules=[StaticEmbedding(tok, embedding_dim=4)]).save(str(tmp_path / "tiny-st"))
    st = default.model_copy(update={"model": f"{tmp_path}/tiny-st/", "threads": 1})
    assert embedder_name(st) == embeddings_name(make_embeddings(st)) == "tiny-st"
