"""A wording is shown only when it says what the sentence it cites says (assistant.support): its similarity to
the sentence under the embedder's floor quotes the sentence alone."""

from __future__ import annotations

import pytest
from assistant_fakes import FakeChecker, ScriptedChat, build_store

from assistant import Assistant
from assistant.reasons import Rejection
from assistant.say import Said
from assistant.sentence_vectors import SentenceVectors
from assistant.support import MIN_SUPPORT, min_support_for, support, supported
from core.settings import load_settings
from vectorstore.embeddings import HashingEmbeddings

SENTENCE = (
    "Le Sous-traitant s'engage à notifier au Client, au plus tard 48 heures ouvrées après en avoir pris "
    "connaissance, toute violation de données à caractère personnel."
)
FAITHFUL = (
    "Le Sous-traitant doit notifier au Client toute violation de données au plus tard 48 heures ouvrées [1]."
)
BENT = "The weather in Paris is sunny and warm today [1]."


@pytest.fixture()
def vectors() -> SentenceVectors:
    return SentenceVectors(HashingEmbeddings(), "hashing-test")


def test_a_faithful_wording_is_nearer_the_sentence_than_an_unrelated_one(vectors: SentenceVectors) -> None:
    assert support(vectors, FAITHFUL, SENTENCE) > 0.5 > support(vectors, BENT, SENTENCE)
    # the citation markers are not part of what is compared
    assert support(vectors, FAITHFUL, SENTENCE) == pytest.approx(
        support(vectors, FAITHFUL.replace(" [1]", ""), SENTENCE)
    )
    assert support(vectors, "[1]", SENTENCE) == 0.0


def test_under_the_floor_the_wording_is_rejected_with_its_similarity(vectors: SentenceVectors) -> None:
    kept = supported(Said(text=FAITHFUL), vectors, SENTENCE, 0.3)
    assert kept.text == FAITHFUL and kept.reason is None
    out = supported(Said(text=BENT), vectors, SENTENCE, 0.3)
    assert out.text == "" and out.citations == [] and out.reason is Rejection.UNSUPPORTED
    assert out.failure.startswith(Rejection.UNSUPPORTED.value) and "< 0.30" in out.failure
    assert Rejection.of(out.failure) is Rejection.UNSUPPORTED and Rejection.UNSUPPORTED.states_no_answer


def test_no_floor_a_settled_verdict_or_no_wording_is_left_alone(vectors: SentenceVectors) -> None:
    assert supported(Said(text=BENT), vectors, SENTENCE, 0.0).text == BENT
    verdict = Said(text="Yes. « " + SENTENCE + " » [1]", verdict="yes")
    assert supported(verdict, vectors, "something else entirely", 0.99) is verdict
    empty = Said(reason=Rejection.NOT_FOUND, failure=Rejection.NOT_FOUND.value)
    assert supported(empty, vectors, SENTENCE, 0.5) is empty


def test_the_floor_is_the_embedder_s_unless_set() -> None:
    assert min_support_for("embeddinggemma-300m") == MIN_SUPPORT["embeddinggemma-300m"] > 0
    assert min_support_for("all-MiniLM-L6-v2") == 0.0  # unmeasured: no check
    assert min_support_for("all-MiniLM-L6-v2", 0.4) == 0.4
    assert min_support_for("embeddinggemma-300m", 0.0) == 0.0  # the setting turns it off
    assert load_settings(env={}).answer.min_support is None
    assert load_settings(env={"ANSWER_MIN_SUPPORT": "0.5"}).answer.min_support == 0.5
    with pytest.raises(ValueError):
        load_settings(env={"ANSWER_MIN_SUPPORT": "1.5"})


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    return build_store(tmp_path_factory.mktemp("store"))


@pytest.mark.parametrize(
    "wording,shown",
    [
        (
            "Le Sous-traitant notifie au Client toute violation de données au plus tard 48 heures ouvrées [1].",
            True,
        ),
        ("Humanlinker refunds a weather subscription within 48 heures ouvrées of a trial [1].", False),
    ],
)
def test_the_answer_quotes_the_sentence_when_its_wording_bends_it(built, wording: str, shown: bool) -> None:
    settings, store, emb = built
    asst = Assistant(
        settings.replace(**{"answer.min_support": 0.3}),
        store=store,
        embeddings=emb,
        llm=ScriptedChat(replies=[wording]),
        checker=FakeChecker([("48 heures ouvrées", 1.0)]),
    )
    ans = asst.answer("How quickly must Humanlinker notify a data breach?")
    assert not ans.abstained and "48 heures ouvrées" in ans.citations[0].quote
    if shown:
        assert ans.mode == "generated" and ans.answer == wording
    else:
        assert ans.mode == "extractive" and "weather" not in ans.answer
        assert "48 heures ouvrées" in ans.answer  # the sentence, quoted
        assert any(Rejection.UNSUPPORTED.value in w for w in ans.warnings), ans.warnings


def test_a_failing_embedder_hides_the_wording_instead_of_failing_the_answer() -> None:
    class Broken(HashingEmbeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise RuntimeError("embedder down")

    out = supported(Said(text=FAITHFUL), SentenceVectors(Broken(), "broken"), SENTENCE, 0.3)
    assert out.text == "" and out.reason is Rejection.UNSUPPORTED and "RuntimeError" in out.failure
