"""The check's calibration tables: reliability bins, the threshold sweep and its choice."""

from __future__ import annotations

import pytest

from evals.calibration import choose, sweep
from evals.metrics import reliability, truth


def row(conf: float | None, answerable: bool = True, hit: bool = True) -> dict:
    return {"ask": {"confidence": conf}, "scores": {"answerable": answerable, "citations_hit": int(hit)}}


ROWS = [
    row(0.9),
    row(0.85),
    row(0.7, hit=False),
    row(0.65),
    row(0.45, answerable=False, hit=False),
    row(0.3, answerable=False, hit=False),
    row(0.35, hit=False),
    row(None),
]


def test_truth_needs_an_answerable_item_and_a_hit() -> None:
    assert truth(row(0.9)) and not truth(row(0.9, hit=False)) and not truth(row(0.9, answerable=False))


def test_reliability_bins() -> None:
    bins = reliability(ROWS, bins=5)
    assert sum(b["n"] for b in bins) == 7  # the item without a confidence is not binned
    top = bins[-1]
    assert top["n"] == 2 and top["observed"] == 1.0 and top["mean_confidence"] == pytest.approx(0.875)
    assert bins[1]["observed"] == 0.0  # 0.2-0.4: one unanswerable, one wrong sentence


def test_sweep_and_choice() -> None:
    table = {r["threshold"]: r for r in sweep(ROWS, [0.4, 0.5, 0.8])}
    assert table[0.5]["abstained"] == 3 and table[0.5]["abstention_recall"] == 1.0
    assert table[0.5]["abstention_precision"] == pytest.approx(2 / 3)
    assert table[0.4]["abstention_recall"] == 0.5
    assert table[0.8]["answerable_answered_true"] == pytest.approx(2 / 5)
    assert choose(list(table.values())) == 0.5


def test_stated_no_answer_from_the_signal_or_an_older_run_s_warning() -> None:
    from evals.calibration import stated_no_answer

    assert stated_no_answer({"ask": {"signals": {"wording_no_answer": 1.0}}})
    assert not stated_no_answer({"ask": {"signals": {"wording_no_answer": 0.0}, "warnings": ["x"]}})
    old = {
        "ask": {
            "signals": {"p_yes": 0.4},
            "warnings": ["wording rejected: the wording only repeats the question"],
        }
    }
    assert stated_no_answer(old)
    fig = "wording rejected: figure(s) 72 not found in the cited passage(s): 'x'"
    assert stated_no_answer({"ask": {"warnings": [fig]}})
    assert not stated_no_answer(
        {"ask": {"warnings": ["wording rejected: the wording carries markup or a link"]}}
    )
    # one ask of two worded: an answer was stated
    assert not stated_no_answer(
        {"ask": {"warnings": ["wording rejected for one ask: the wording only repeats"]}}
    )


def test_unworded_cut_withdraws_weak_unanswerable_items_only_when_it_pays() -> None:
    from evals.calibration import best_unworded_threshold

    # (inputs, truth, answerable): scores and "no answer stated" flags side by side
    data = [([1.0], False, False), ([1.0], False, False), ([1.0], True, True), ([1.0], True, True)]
    scores = [0.15, 0.20, 0.30, 0.60]
    cut, right = best_unworded_threshold(scores, data, [True, True, True, False], thr=0.10)
    assert 0.20 < cut < 0.30 and right == 4  # both unanswerable withdrawn, the true answer at 0.30 kept
    # a true answer stating nothing at 0.18 sits between them: cutting under it (0.165) or over both
    # unanswerable items (0.21) both get 3 right; the tie goes to the lower cut, which withdraws less
    cut2, right2 = best_unworded_threshold([0.15, 0.20, 0.18, 0.6], data, [True, True, True, False], thr=0.10)
    assert cut2 == pytest.approx(0.165) and right2 == 3
    # no item stated nothing: the cut withdraws nothing
    assert best_unworded_threshold(scores, data, [False] * 4, thr=0.10) == (0.10, 2)


def test_leave_one_out_keeps_a_cut_only_when_it_carries() -> None:
    from evals.calibration import loo_right

    # (inputs [bias, P(yes)], truth, answerable): true answers at high P(yes), unanswerable items low
    base = [([1.0, 0.9], True, True)] * 8 + [([1.0, 0.1], False, False)] * 6
    # a band where unanswerable items that stated no answer share their P(yes) with true answers that
    # stated one: no threshold separates them, the cut does, and it carries from item to item
    band = [([1.0, 0.5], False, False)] * 5 + [([1.0, 0.5], True, True)] * 5
    no_answer = [False] * len(base) + [True] * 5 + [False] * 5
    plain, with_cut = loo_right(base + band, no_answer, steps=3000)
    assert with_cut > plain
    # one lone unanswerable item in the band: the cut fitted without it withdraws nothing, so nothing carries
    lone = base + band[4:]
    plain2, with_cut2 = loo_right(lone, [False] * len(base) + [True] + [False] * 5, steps=3000)
    assert with_cut2 <= plain2


def _gate_rows(separates: bool) -> tuple[list, list, list]:
    """Three vendors' rows: (unanswerable-model inputs [bias, P(yes) log-odds, ranker score], the
    calibration's (inputs, truth, answerable), the vendor). Unanswerable questions' best sentences score
    low with the ranker in every vendor when `separates`; otherwise their scores are those of the
    answerable ones. P(yes) is the same for all, so the confidence threshold decides nothing."""
    u_data, data, groups = [], [], []
    for vendor in ("acme", "globex", "initech"):
        for k in range(8):
            u_data.append([1.0, 0.2, 5.0 + 0.1 * k])
            data.append(([1.0, 0.2], True, True))
            groups.append(vendor)
        for k in range(4):
            u_data.append([1.0, 0.2, (3.0 if separates else 5.0) + 0.1 * k])
            data.append(([1.0, 0.2], False, False))
            groups.append(vendor)
    return u_data, data, groups


def test_the_unanswerable_gate_is_kept_only_when_it_carries_to_unseen_vendors() -> None:
    from evals.calibration import fit_unanswerable

    u_data, data, groups = _gate_rows(separates=True)
    fit = fit_unanswerable(u_data, data, groups, [False] * len(data))
    assert fit.keep and fit.threshold < 1.0
    assert fit.right == len(data) and fit.right_without == 24  # every unanswerable item now abstained
    assert fit.weights[2] < 0  # a lower ranker score, more likely unanswerable
    # the same scores for both kinds of question: no threshold helps on a vendor the model did not see
    u_data, data, groups = _gate_rows(separates=False)
    flat = fit_unanswerable(u_data, data, groups, [False] * len(data))
    assert not flat.keep and flat.right <= flat.right_without


def test_the_gate_is_fitted_with_the_confidence_and_written_with_it() -> None:
    from evals.calibration import fit_confidence

    u_data, data, groups = _gate_rows(separates=True)
    fit = fit_confidence(
        data,
        [False] * len(data),
        steps=500,
        inputs=("bias", "p_yes"),
        u_data=u_data,
        groups=groups,
        unworded_cut=False,
    )
    values = fit.engine_values()
    assert values["abstain_unworded_below"] == 0.0
    assert values["unanswerable_inputs"] == ["bias", "p_yes_logit", "rank_score_mean"]
    assert len(values["unanswerable_weights"]) == 3 and values["abstain_unanswerable_at"] < 1.0
    no_gate = fit_confidence(data, [False] * len(data), steps=500, inputs=("bias", "p_yes"))
    assert no_gate.engine_values()["abstain_unanswerable_at"] == 1.0


def test_leave_one_vendor_out_holds_out_each_vendor_whole() -> None:
    from evals.calibration import loo_right

    base = [([1.0, 0.9], True, True)] * 8 + [([1.0, 0.1], False, False)] * 6
    band = [([1.0, 0.5], False, False)] * 5 + [([1.0, 0.5], True, True)] * 5
    no_answer = [False] * len(base) + [True] * 5 + [False] * 5
    # the band's unanswerable items all in one vendor: fitted without that vendor, the cut never saw one
    groups = ["a"] * 8 + ["b"] * 6 + ["c"] * 5 + ["a"] * 5
    plain, with_cut = loo_right(base + band, no_answer, steps=3000, groups=groups)
    assert with_cut <= plain
    # spread over two vendors, each fold still sees some: the cut carries
    spread = ["a"] * 8 + ["b"] * 6 + ["c", "d", "c", "d", "c"] + ["a"] * 5
    plain2, with_cut2 = loo_right(base + band, no_answer, steps=3000, groups=spread)
    assert with_cut2 > plain2
    # a row of no vendor is never held out
    assert sum(loo_right(base + band, no_answer, steps=300, groups=[""] * 24)) == 0


def test_the_gate_s_ranker_input_does_not_move_with_the_weights_size() -> None:
    """rank_score_mean is the ranker's score over its weights' magnitudes: a ranker refit with every weight
    halved (a leave-one-vendor-out fold's) gives the same value, where the raw score halves; rows recorded
    before the signal existed get it from their rank_score and the run's weights."""
    from types import SimpleNamespace

    from assistant.confidence import candidate_signals, weight_norm
    from assistant.rank import Candidate
    from evals.calibration import unanswerable_data

    weights = {"dense": 6.0, "lexical": 0.6, "sentence": 1.0}
    half = {k: v / 2 for k, v in weights.items()}
    feats = (0.7, 0.4, 0.6)

    def cand(w: dict) -> Candidate:
        score = sum(a * b for a, b in zip(w.values(), feats, strict=True))
        return Candidate(span=SimpleNamespace(key="s"), score=score, features=feats)  # type: ignore[arg-type]

    full_c, half_c = cand(weights), cand(half)
    a = candidate_signals(0.6, full_c, [full_c], [], 0.7, weight_norm(weights))
    b = candidate_signals(0.6, half_c, [half_c], [], 0.7, weight_norm(half))
    assert b["rank_score"] == pytest.approx(a["rank_score"] / 2)
    assert b["rank_score_mean"] == pytest.approx(a["rank_score_mean"])
    assert "rank_score_mean" not in candidate_signals(0.6, full_c, [full_c], [], 0.7)
    old_row = {"ask": {"signals": {"p_yes_logit": 0.4, "rank_score": 7.6}}}
    assert unanswerable_data([old_row], run_weight_norm=7.6) == [[1.0, 0.4, 1.0]]
    assert unanswerable_data([old_row]) is None  # no weights to read it with
