"""Reciprocal rank fusion, neighbour expansion and per-vendor interleaving."""

from __future__ import annotations

import pytest

from assistant.fusion import rrf_fuse
from assistant.retrieval import continues, interleave
from core.types import Clause, Hit


def clause(cid: str, vendor: str = "v", text: str = "text", ordinal: int = 0) -> Clause:
    return Clause(
        id=cid,
        vendor=vendor,
        vendor_name=vendor.title(),
        document=f"{vendor}/d.txt",
        section="",
        start=0,
        end=len(text),
        text=text,
        language="fr",
        ordinal=ordinal,
        doc_sha256="x",
    )


def hits(*ids: str) -> list[Hit]:
    return [Hit(clause=clause(i), score=1.0 - n / 10) for n, i in enumerate(ids)]


def test_rrf_scores_and_order() -> None:
    fused = rrf_fuse({"dense": hits("a", "b", "c"), "bm25": hits("b", "d")}, k=60)
    assert [h.clause.id for h in fused] == ["b", "a", "d", "c"]
    b = fused[0]
    assert abs(b.score - (1 / 62 + 1 / 61)) < 1e-12
    assert b.sources == {"dense": 1, "bm25": 0}


def test_rrf_deduplicates_and_limits() -> None:
    fused = rrf_fuse({"dense": hits("a", "a", "b"), "bm25": hits("a")}, k=60, limit=1)
    assert len(fused) == 1 and fused[0].clause.id == "a"
    assert abs(fused[0].score - 2 / 61) < 1e-12  # the repeated "a" counts once per list


def test_rrf_weights_change_the_winner() -> None:
    plain = rrf_fuse({"dense": hits("a"), "bm25_glossary": hits("b")}, k=60)
    weighted = rrf_fuse(
        {"dense": hits("a"), "bm25_glossary": hits("b")}, k=60, weights={"dense": 0.5, "bm25_glossary": 1.0}
    )
    assert plain[0].clause.id == "a"  # tie broken by id
    assert weighted[0].clause.id == "b"


def test_empty_lists() -> None:
    assert rrf_fuse({"dense": [], "bm25": []}) == []


def test_interleave_round_robin() -> None:
    merged = interleave([hits("a1", "a2", "a3"), hits("b1"), hits("c1", "c2")])
    assert [h.clause.id for h in merged] == ["a1", "b1", "c1", "a2", "c2", "a3"]


def test_continuation_rules() -> None:
    head = clause("h", text="Le Sous-traitant s'engage à :")
    item = clause("i", text="- notifier toute violation", ordinal=1)
    plain = clause("p", text="Article 9. Responsabilité", ordinal=1)
    assert continues(head, plain)  # ends with ":"
    assert continues(clause("x", text="Les mesures suivantes."), item)  # next is a list item
    assert not continues(clause("x", text="Les mesures suivantes."), plain)
    assert not continues(head, None)


# ----------------------------------------------------------------------------- fitted fusion weights
def _fusion_file(tmp_path, embeddings: str = "embeddinggemma-300m", **weights: float):  # type: ignore[no-untyped-def]
    import json

    p = tmp_path / "fusion.json"
    p.write_text(
        json.dumps(
            {
                "weights": weights or {"dense": 1.0, "bm25": 0.0, "bm25_glossary": 0.15},
                "rrf_k": 20,
                "fitted": {"embeddings": embeddings},
            }
        ),
        encoding="utf-8",
    )
    return p


def test_fitted_fusion_applies_only_to_its_embedder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from assistant.fusion import DEFAULT_WEIGHTS, load_fusion

    p = _fusion_file(tmp_path)
    got = load_fusion("embeddinggemma-300m", 60, path=p)
    assert got.weights == {"dense": 1.0, "bm25": 0.0, "bm25_glossary": 0.15}
    assert got.rrf_k == 20 and got.fitted_for == "embeddinggemma-300m"
    other = load_fusion("hashing-256", 60, path=p)  # another embedder's ranks mean something else
    assert other.weights == DEFAULT_WEIGHTS and other.rrf_k == 60 and other.fitted_for is None
    assert load_fusion("embeddinggemma-300m", 45, path=tmp_path / "absent.json").rrf_k == 45


def test_unreadable_or_all_zero_fusion_file_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from assistant.fusion import load_fusion

    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="unreadable fusion weights"):
        load_fusion("e", path=bad)
    with pytest.raises(ValueError, match="every fusion weight is 0"):
        load_fusion("e", path=_fusion_file(tmp_path, "e", dense=0.0, bm25=0.0))


class _Store:
    """Records which searches ran."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def dense_search(self, query_vector, k, vendors=None):  # type: ignore[no-untyped-def]
        self.calls.append("dense")
        return [Hit(clause=clause("a"), score=0.7), Hit(clause=clause("b"), score=0.6)]

    def bm25_search(self, query, k, vendors=None):  # type: ignore[no-untyped-def]
        self.calls.append(f"bm25:{query}")
        return [Hit(clause=clause("c"), score=9.0), Hit(clause=clause("b"), score=8.0)]

    def neighbours(self, clause, before=1, after=1):  # type: ignore[no-untyped-def]
        return []


def test_zero_weight_lists_are_not_searched_and_dense_still_scores() -> None:
    from assistant.fusion import Fusion
    from assistant.retrieval import search_group

    store = _Store()
    dense_only = Fusion({"dense": 1.0, "bm25": 0.0, "bm25_glossary": 0.0}, 20)
    hits, best = search_group(store, "liability cap", [1.0], None, 30, 30, dense_only, 5)
    assert store.calls == ["dense"]
    assert [h.clause.id for h in hits] == ["a", "b"] and best == 0.7
    assert hits[0].sources["dense_score_x1000"] == 700

    store = _Store()
    hybrid = Fusion({"dense": 1.0, "bm25": 1.0, "bm25_glossary": 0.0}, 60)
    hits, _ = search_group(store, "liability cap", [1.0], None, 30, 30, hybrid, 5)
    assert store.calls == ["dense", "bm25:liability cap"]
    assert hits[0].clause.id == "b"  # in both lists: fusion puts it first


def test_fit_keeps_the_best_dev_point_and_the_most_bm25_within_a_tolerance() -> None:
    from assistant.fusion import Fusion
    from evals.fit_fusion import fit

    def f(bm25: float, glossary: float = 0.15) -> Fusion:
        return Fusion({"dense": 1.0, "bm25": bm25, "bm25_glossary": glossary}, 20)

    dense_only, light, heavy, hand = f(0.0), f(0.35), f(1.0), f(1.0, 0.7)
    scores = {
        id(dense_only): (0.989, 0.875),  # the bare best
        id(light): (0.978, 0.855),  # one item of 89 and 0.02 MRR behind
        id(heavy): (0.955, 0.820),  # too far behind
        id(hand): (0.933, 0.789),
    }
    pts = [dense_only, light, heavy, hand]
    best, got, scored = fit(pts, lambda p: scores[id(p)], 60, n_items=89)
    assert best is dense_only and got == (0.989, 0.875) and len(scored) == 4
    # a tolerance of one item and 0.025 MRR keeps the point with more BM25
    assert fit(pts, lambda p: scores[id(p)], 60, n_items=89, recall_items=1, mrr_tolerance=0.025)[0] is light
    # the MRR tolerance counts from the best MRR among the points near the best recall
    assert (
        fit(pts, lambda p: scores[id(p)], 60, n_items=89, recall_items=1, mrr_tolerance=0.01)[0] is dense_only
    )
    # the best recall wins over a better MRR
    better_mrr = f(0.1)
    scores[id(better_mrr)] = (0.978, 0.95)
    assert fit([*pts, better_mrr], lambda p: scores[id(p)], 60, n_items=89)[0] is dense_only
    # equal scores: more BM25 weight, then nearness to the hand-set weights
    a, b = f(0.35, 0.15), f(0.35, 0.7)
    scores.update({id(a): (0.978, 0.86), id(b): (0.978, 0.86)})
    assert fit([light, a, b], lambda p: scores[id(p)], 60, n_items=89)[0] is b


def test_fusion_setting_names_hand_set_fitted_or_a_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from assistant.fusion import DEFAULT_WEIGHTS, fusion_for

    assert fusion_for("hand-set", "embeddinggemma-300m", 60).weights == DEFAULT_WEIGHTS
    p = _fusion_file(tmp_path)
    got = fusion_for(str(p), "embeddinggemma-300m", 60)
    assert got.weights["bm25"] == 0.0 and got.rrf_k == 20
    assert fusion_for(str(p), "hashing-256", 60).weights == DEFAULT_WEIGHTS  # fitted for another embedder
    with pytest.raises(ValueError, match="not found.*fit_fusion --write"):
        fusion_for(str(tmp_path / "absent.json"), "e", 60)


def test_assistant_uses_the_fusion_its_settings_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from assistant import Assistant
    from core.settings import load_settings
    from vectorstore.embeddings import HashingEmbeddings

    s = load_settings(env={})
    assert s.retrieval.fusion == "fitted"  # the default: config/fusion.json, for the embedder it names
    a0 = Assistant(s, store=object(), embeddings=HashingEmbeddings())
    assert a0.fusion.is_hand_set  # fitted for EmbeddingGemma: another embedder gets the hand-set weights
    p = _fusion_file(tmp_path, "hashing-256")
    s2 = s.replace(retrieval=s.retrieval.model_copy(update={"fusion": str(p)}))

    emb = HashingEmbeddings()
    a = Assistant(s2, store=object(), embeddings=emb)
    assert a.model_info()["embeddings"] == "hashing-256"
    assert a.fusion.rrf_k == 20 and a.fusion.weight("bm25") == 0.0


class _Embedder:
    """Records the texts it embeds."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return [1.0]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[1.0] for _ in texts]


def _scope(question: str):  # type: ignore[no-untyped-def]
    from assistant.scope import decide
    from assistant.vendors import VendorInfo

    catalog = [VendorInfo(slug="acme-cloud", name="Acme Cloud")]
    sc = decide(question, None, None, catalog, lambda w: False)
    assert sc.vendors == ["acme-cloud"]
    return sc


@pytest.mark.parametrize("keep_names", [False, True])
def test_the_query_searches_without_the_vendor_names_it_mentions(keep_names: bool) -> None:
    """Retrieval filtered to a vendor searches without the vendor's name: lexically always, and densely unless
    settings keep it (a name only draws the sentences that repeat it). Each ask of a two-ask question loses
    the name where it stands in that ask, not at the question's offsets ("which courts have n?")."""
    from assistant.fusion import Fusion
    from assistant.retrieval import retrieve
    from core.settings import RetrievalSettings

    question = "What is Acme Cloud's liability cap, and which courts have jurisdiction?"
    sc = _scope(question)
    settings = RetrievalSettings(neighbour_expansion=False, vendor_names_in_query=keep_names)
    hybrid = Fusion({"dense": 1.0, "bm25": 1.0, "bm25_glossary": 0.0}, 60)
    for ask, searched in zip(
        sc.asks, ["What is 's liability cap ?", "which courts have jurisdiction?"], strict=True
    ):
        store, emb = _Store(), _Embedder()
        res = retrieve(ask, sc, store, emb, hybrid, settings)
        assert store.calls == ["dense", f"bm25:{searched}"]
        assert emb.queries == [ask if keep_names else searched]
        assert all(ask[m.start : m.end] == "Acme Cloud" for m in res.mentions)
    # a question that is only the name is searched as it is
    store, emb = _Store(), _Embedder()
    retrieve(
        "Acme Cloud?", _scope("Acme Cloud?"), store, emb, hybrid, RetrievalSettings(neighbour_expansion=False)
    )
    assert emb.queries == ["Acme Cloud?"]


def test_mentions_are_found_again_in_an_ask() -> None:
    from assistant.vendors import VendorMention, mentions_in

    source = "Does Acme renew, and can Acme's customer cancel?"
    found = [VendorMention("acme", 5, 9), VendorMention("acme", 25, 29)]
    assert mentions_in(source, source, found) == found
    ask = "can Acme's customer cancel?"
    assert [(m.start, m.end) for m in mentions_in(ask, source, found)] == [(4, 8)]
    assert mentions_in("can the customer cancel?", source, found) == []
    assert mentions_in("Acmeology?", source, found) == []  # a word that only starts with the name
