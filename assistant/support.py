"""Whether a wording says what the sentence it cites says: the embedder's cosine similarity between the two,
both embedded as documents, against a floor measured for that embedder.

The small model restates one sentence well when the sentence answers the question; when it does not, the
model bends it to the question ("The notice needed to cancel a LEO Bizdev subscription is 3 months." from a
sentence on deleting data within three months; "Humanlinker excludes situations where the damage is caused
by human error…" from a sentence on uncapped liability), and across languages it mistranslates ("without
undue delay" as « dans un délai raisonnable »). The figure check stops a wrong figure, not a wrong meaning.

Measured on the answers' wordings of a dev and a test run (Qwen2.5-Coder-1.5B Q4_K_M, EmbeddingGemma-300m in
bfloat16; AMD EPYC family 25 model 17, 2 cores; 2026-12-07), each labelled faithful, minor (a loose or
half-translated word) or unfaithful against its cited sentence: 14 of 94 dev wordings and 18 of 108 test
wordings were unfaithful, most of them (23 of 32) where the question's language is not the sentence's. The
similarity tells them apart (ROC AUC 0.84); the model itself, asked "is the statement true according to
this sentence?", does not (AUC 0.71, 1.1 s a question). On dev, a floor of 0.55 rejects 9 of the 14
unfaithful wordings for 4 of the 69 faithful ones (the best margin over 0.30-0.80, `python -m
evals.fit_support`); chosen leaving one vendor group out, it is 0.55 for six of seven groups, and on the test
split (reported only) it rejects 9 of the 18 unfaithful wordings and none of the 69 faithful ones. A rejected
wording leaves the sentence quoted alone.

The floor is the embedder's: another embedder's similarities have another scale (a monolingual one scores
every French wording of an English sentence low), so an embedder without a measured floor does not use
the check unless `answer.min_support` sets one."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from assistant.reasons import Rejection
from assistant.say import Said
from assistant.sentence_vectors import SentenceVectors

# the least similarity of a wording to its cited sentence, by embedder name (vectorstore.embeddings.embedder_name)
MIN_SUPPORT = {"embeddinggemma-300m": 0.55}

_MARKER = re.compile(r"\s*\[\d+\]")

log = logging.getLogger(__name__)


def min_support_for(embedder: str, setting: float | None = None) -> float:
    """The floor in use: the setting when given (0 turns the check off), else the one measured for this
    embedder, else 0."""
    if setting is not None:
        return float(setting)
    return MIN_SUPPORT.get(embedder, 0.0)


def support(vectors: SentenceVectors, wording: str, sentence: str) -> float:
    """Cosine similarity of `wording` (its citation markers removed) to `sentence`. The sentence's vector
    comes from the cache (the ranker embedded it already); the wording's is computed and not kept."""
    text = _MARKER.sub("", wording).strip()
    if not text or not sentence.strip():
        return 0.0
    return vectors.similarities(vectors.embeddings.embed_documents([text])[0], [sentence])[0]


def supported(said: Said, vectors: SentenceVectors, sentence: str, floor: float) -> Said:
    """`said` as it was when its wording is at least `floor` similar to `sentence` (the sentence as the model
    read it), else rejected (Rejection.UNSUPPORTED, the similarity in its note): the sentence is then quoted
    alone. A wording that was not written, a settled verdict (the sentence quoted after a yes or no) or no
    floor leaves `said` as it is. When the embedder fails, the wording is not shown: unchecked, it could
    say anything."""
    if not said.text or said.verdict or floor <= 0:
        return said
    try:
        sim = support(vectors, said.text, sentence)
    except Exception as exc:  # noqa: BLE001 - the embedder failed: no check, so no wording
        log.warning("wording support check unavailable: %s", exc)
        note = f"{Rejection.UNSUPPORTED.value} (the check could not run: {type(exc).__name__})"
        return replace(said, text="", citations=[], reason=Rejection.UNSUPPORTED, failure=note)
    if sim >= floor:
        return said
    note = f"{Rejection.UNSUPPORTED.value} (similarity {sim:.2f} < {floor:.2f})"
    return replace(said, text="", citations=[], reason=Rejection.UNSUPPORTED, failure=note)
