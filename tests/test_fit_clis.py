"""The fit commands (`python -m evals.fit_fusion`, `evals.fit_ranker`, `evals.calibration --fit`) print the
same numbers as before their fits became callable functions (for `evals lovo`): the expected outputs below
were recorded with the code as it was before that refactor, on the sample corpus (hashing embedder) and on a
synthetic run, and compared equal after it. The fusion and ranker outputs were recorded again when the sample
corpus gained its sixth vendor (Basecamp), when the ranker began reading table rows by their cells, and when
the query stopped carrying the vendor names it mentions (assistant/retrieval.py search_text): changes of what
they fit on, not of the fit commands."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

LOVO = Path(__file__).parent / "fixtures" / "lovo"
# The confidence model's inputs when the expected calibration output was recorded (the run's signals name
# them; pinned so that a change of the model's inputs does not change what this fixture means).
RECORDED_INPUTS = ("bias", "p_yes", "rank_score", "type_match", "sentence_similarity", "best_dense")


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus ingested with the hashing embedder; returns the store folder."""
    from assistant_fakes import build_store

    store_dir = tmp_path_factory.mktemp("fit-clis") / "store"
    build_store(store_dir)
    return store_dir


@pytest.fixture
def offline_env(sample_store: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The environment the fit commands read their settings from (the sample store, offline models); returns
    a gold file: the LOVO fixture's two files in one."""
    from assistant_fakes import SAMPLE_CORPUS

    for key, value in {
        "CQA__CORPUS_DIR": str(SAMPLE_CORPUS),
        "CQA__STORE_DIR": str(sample_store),
        "CQA__EMBEDDING__KIND": "hashing",
        "CQA__LLM__PROVIDER": "fake",
    }.items():
        monkeypatch.setenv(key, value)
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(p.read_text(encoding="utf-8") for p in sorted(LOVO.glob("gold-*.jsonl"))))
    return gold


FIT_FUSION_OUT = """\
16 dev items with evidence; embeddings hashing-256
evidence_recall@5 0.812 -> 0.875; mrr@5 0.552 -> 0.527
best point alone: {"weights": {"dense": 1.0, "bm25": 0.5, "bm25_glossary": 0.7}, "rrf_k": 60, "fitted_for": null}, recall 0.875, mrr 0.527
kept: {"weights": {"dense": 1.0, "bm25": 0.5, "bm25_glossary": 0.7}, "rrf_k": 60, "fitted_for": null}
"""


def test_fit_fusion_prints_what_it_printed(offline_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from evals.fit_fusion import main

    assert main(["--gold", str(offline_env)]) == 0
    assert capsys.readouterr().out == FIT_FUSION_OUT


FIT_RANKER_OUT = """\
12 dev items with evidence among the candidates
top-1 0.667 -> 1.000; MRR 0.785 -> 1.000 (in-sample)
{"dense": 0.0, "lexical": 2.2, "section": 0.2, "qtype": 0.4, "rank": 0.0, "figure": 0.1, "short": 0.05, "sentence": 1.0}
"""


def test_fit_ranker_prints_what_it_printed(offline_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from evals.fit_ranker import main

    assert main(["--gold", str(offline_env)]) == 0
    assert capsys.readouterr().out == FIT_RANKER_OUT


def synthetic_run(folder: Path, n: int = 24, seed: int = 3) -> Path:
    """A full dev run's folder whose rows carry the confidence signals: true answers at a higher P(yes) and
    rank score than false ones, some restatements that stated no answer."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        answerable = i % 4 != 0
        hit = answerable and rng.random() < 0.7
        p = min(1.0, max(0.0, rng.gauss(0.7 if hit else 0.35, 0.2)))
        signals = {
            "p_yes": round(p, 4),
            "rank_score": round(rng.gauss(4.5 if hit else 3.5, 0.8), 4),
            "type_match": rng.choice([0.0, 0.5, 1.0]),
            "sentence_similarity": round(rng.random(), 4),
            "best_dense": round(rng.uniform(0.3, 0.8), 4),
            "wording_no_answer": 1.0 if rng.random() < (0.15 if hit else 0.45) else 0.0,
        }
        rows.append(
            {
                "id": f"q{i}",
                "ask": {
                    "question": f"question {i}",
                    "confidence": round(p, 4),
                    "citations": [{"document": "v/d.txt", "start": 0, "end": 10}],
                    "signals": signals,
                },
                "scores": {"answerable": answerable, "citations_hit": int(hit)},
            }
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps({"split": "dev", "config": {}}), encoding="utf-8")
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder


CALIBRATION_FIT_OUT = """\
24 checked dev items; weights {'bias': -6.668, 'p_yes': 3.381, 'rank_score': 1.377, 'type_match': -0.078, 'sentence_similarity': -0.809, 'best_dense': -0.264}
P(yes) alone: threshold 0.453, 15 items right
combined:     threshold 0.183, 15 items right
withdrawn when no answer was stated (5 such items): under 0.699, 16 items right; leave-one-out 11 without the cut, 12 with it: kept
unanswerable gate: not fitted (the run's rows do not record its signals)
"""


def test_calibration_fit_prints_what_it_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("assistant.confidence.CONFIDENCE_INPUTS", RECORDED_INPUTS)
    from evals.calibration import main

    assert main([str(synthetic_run(tmp_path / "run")), "--fit"]) == 0
    assert capsys.readouterr().out == CALIBRATION_FIT_OUT


def _item(lexical_right: float, sentence_right: float, lexical_wrong: float, sentence_wrong: float):  # type: ignore[no-untyped-def]
    """Two candidates (the wrong one first) over FEATURES, only `lexical` and `sentence` set."""
    from assistant.rank import FEATURES

    def vec(lex: float, sent: float) -> tuple[float, ...]:
        return tuple(lex if f == "lexical" else sent if f == "sentence" else 0.0 for f in FEATURES)

    return ([vec(lexical_wrong, sentence_wrong), vec(lexical_right, sentence_right)], [False, True])


def test_held_out_scores_each_vendor_with_weights_that_never_saw_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """`fit_ranker --folds`: each vendor's items are scored by weights fitted on the other vendors' only; a
    feature that finds the evidence for every vendor is learnt and carries, one that misleads on the left-out
    vendor shows as a loss against the hand-set weights."""
    import evals.fit_ranker as fr

    zero = {f: 0.0 for f in fr.FEATURES}
    same = {v: [_item(1.0, 0.0, 0.0, 0.5)] for v in "abc"}  # the evidence has the words, for every vendor
    got = fr.held_out(same, zero)
    assert set(got) == {"hand-set", "hand-set+sentence", "fitted", "shrunk 0.25", "shrunk 0.5"}
    assert got["fitted"][0] == 1.0 and got["hand-set+sentence"][0] == 0.0  # the words' weight carries
    # vendor c's evidence is found by its sentence similarity, and its wrong sentence has the words
    trap = {
        "a": [_item(1.0, 0.0, 0.0, 0.5)],
        "b": [_item(1.0, 0.0, 0.0, 0.5)],
        "c": [_item(0.0, 1.0, 2.0, 0.0)],
    }
    got = fr.held_out(trap, zero)
    assert got["hand-set+sentence"][0] == pytest.approx(1 / 3)  # c only
    assert got["fitted"][0] < 1.0  # c's fold learnt the words from a and b, and misses c
    trains: list[int] = []
    real_fit = fr.fit

    def recording_fit(data, start):  # type: ignore[no-untyped-def]
        trains.append(len(data))
        return real_fit(data, start)

    monkeypatch.setattr(fr, "fit", recording_fit)
    fr.held_out({"a": [same["a"][0]], "b": [same["b"][0]] * 2, "c": [same["c"][0]] * 3}, zero)
    assert trains == [5, 4, 3]  # never the held-out vendor's own items


def test_fit_shrunk_keeps_its_share_of_the_way_from_the_hand_set_weights() -> None:
    """The shipped weights are the fit from the hand-set weights taken `alpha` of the way from them (with the
    sentence similarity at 1.0): 0 keeps the hand-set weights, 1 the whole fit, and in between each weight
    lies on the line between the two."""
    import evals.fit_ranker as fr

    data = [_item(1.0, 0.0, 0.0, 0.9)] * 3  # the evidence has the words: the fit raises their weight
    anchored = {**fr.DEFAULT_WEIGHTS, "sentence": 1.0}
    whole, _ = fr.fit(data, fr.DEFAULT_WEIGHTS)
    assert whole["lexical"] != anchored["lexical"]
    assert fr.fit_shrunk(data, 0.0)[0] == pytest.approx(anchored)
    assert fr.fit_shrunk(data, 1.0)[0] == pytest.approx(whole)
    quarter, (top1, _) = fr.fit_shrunk(data, 0.25)
    for f in fr.FEATURES:
        assert quarter[f] == pytest.approx(anchored[f] + 0.25 * (whole[f] - anchored[f]))
    assert top1 == fr.score(data, fr.weight_vector(quarter))[0]
