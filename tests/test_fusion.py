"""Reciprocal rank fusion, neighbour expansion and per-vendor interleaving."""

from __future__ import annotations

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
