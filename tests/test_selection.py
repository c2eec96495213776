"""Which checked sentence answers (EngineConfig.select) and its replay from a run (evals.selection)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from assistant.confidence import EngineConfig
from assistant.single import checked_note
from evals.metrics import Span
from evals.selection import Case, checked_of, choose, leave_one_vendor_out, score


def engine(margin: float) -> EngineConfig:
    return EngineConfig(abstain_below=0.3, checker_margin=margin)


@pytest.mark.parametrize(
    "confs,margin,want",
    [
        ([0.43, 0.49, 0.38], 1.0, 0),  # the ranker's first accepted sentence, though not the most confident
        ([0.43, 0.49, 0.38], 0.0, 1),  # margin 0: the checker picks
        ([0.43, 0.49, 0.38], 0.05, 1),  # beaten by 0.06 >= 0.05
        ([0.43, 0.49, 0.38], 0.1, 0),
        ([0.10, 0.45, 0.90], 0.3, 2),  # the first accepted is the second; the third beats it by 0.45
        ([0.10, 0.45, 0.60], 0.3, 1),
        ([0.10, 0.20, 0.25], 1.0, 2),  # none accepted: the most confident (the abstention's closest)
        ([0.5, 0.5], 0.0, 0),  # ties to the better-ranked
    ],
)
def test_select(confs: list[float], margin: float, want: int) -> None:
    assert engine(margin).select(confs) == want


@pytest.mark.parametrize(
    "confs,refused,want",
    [
        ([0.10, 0.45, 0.90], None, 0),  # any accepted: the ranker's first, whatever the lead
        ([0.90, 0.45, 0.10], [True, False, False], 1),  # the first is refused: the next one
        ([0.10, 0.20, 0.25], None, 2),  # none accepted: the most confident, as for an open question
    ],
)
def test_select_for_a_closed_question(confs: list[float], refused: list[bool] | None, want: int) -> None:
    assert engine(0.0).select(confs, closed=True, refused=refused) == want


def test_select_needs_a_sentence() -> None:
    with pytest.raises(ValueError):
        engine(1.0).select([])


def _verdict(doc: str, start: int, end: int, p: float, conf: float) -> SimpleNamespace:
    span = SimpleNamespace(clause=SimpleNamespace(document=doc), start=start, end=end)
    return SimpleNamespace(cand=SimpleNamespace(span=span), p=p, conf=conf)


def test_checked_note_reads_back() -> None:
    vs = [_verdict("acme/dpa.md", 10, 90, 0.524, 0.434), _verdict("acme/dpa.md", 100, 180, 0.561, 0.493)]
    note = checked_note(vs, vs[1])  # type: ignore[arg-type]
    got = checked_of({"warnings": ["other note", note]})
    assert [(c.span.document, c.span.start, c.span.end) for c in got] == [
        ("acme/dpa.md", 10, 90),
        ("acme/dpa.md", 100, 180),
    ]
    assert [c.confidence for c in got] == [0.434, 0.493] and got[1].p_yes == 0.561
    assert checked_of({"warnings": ["check: P(yes) 0.56, confidence 0.49"]}) == []  # an older run's note


def _case(vendor: str, confs: list[float], right: int) -> Case:
    from evals.selection import Checked

    checked = tuple(Checked(Span("d", 100 * i, 100 * i + 50), 0.5, c) for i, c in enumerate(confs))
    return Case(f"{vendor}-{right}", vendor, checked, (Span("d", 100 * right + 10, 100 * right + 20),))


def test_score_and_choose() -> None:
    # two items where the ranker's first is right though less confident, one where the checker is right
    cases = [_case("a", [0.4, 0.52], 0), _case("b", [0.4, 0.52], 0), _case("c", [0.4, 0.9], 1)]
    assert score(cases, engine(1.0)) == (2, 3)
    assert score(cases, engine(0.0)) == (1, 3)
    assert score(cases, engine(0.3)) == (3, 3)  # only the large lead overrides the ranker
    # every margin over the 0.12 lead and up to the 0.5 one hits all three: the smallest of the grid's
    assert choose(cases, engine(1.0)) == 0.125
    assert choose(cases, engine(1.0), margins=(0.0, 0.6, 1.0)) == 0.6  # 2 hits each: ties to the smaller
    assert score([_case("d", [0.1, 0.2], 0)], engine(1.0)) == (0, 0)  # abstained: not counted
    folds = {f["vendor"]: f for f in leave_one_vendor_out(cases, engine(1.0))}
    assert folds["c"]["margin"] == 0.125 and folds["c"]["hit"] == 1
    assert folds["a"]["margin"] == 0.125 and folds["a"]["hit"] == 1
    # fitted on items where the checker's lead was always wrong, the margin misses the one where it is right
    wrong_leads = [_case("a", [0.4, 0.9], 0), _case("b", [0.4, 0.9], 0), _case("c", [0.4, 0.9], 1)]
    folds = {f["vendor"]: f for f in leave_one_vendor_out(wrong_leads, engine(1.0))}
    assert folds["c"]["margin"] == 0.6 and folds["c"]["hit"] == 0


def test_a_closed_question_s_choice_does_not_depend_on_the_margin() -> None:
    """Replayed as single.choose makes it: the ranker's first sentence not refused (recorded P(yes) 0)."""
    from dataclasses import replace

    from evals.selection import Checked

    lead = replace(_case("a", [0.4, 0.9], 1), closed=True)  # the checker's lead is right: not followed
    assert score([lead], engine(0.0)) == score([lead], engine(1.0)) == (0, 1)
    first = replace(_case("a", [0.4, 0.9], 0), closed=True)
    assert score([first], engine(0.0)) == (1, 1)
    refused = Checked(Span("d", 0, 50), 0.0, 0.0)  # a sentence refused whatever the check said
    passed = replace(first, checked=(refused, *first.checked[1:]), evidence=(Span("d", 110, 120),))
    assert score([passed], engine(1.0)) == (1, 1)


def test_fitted_values_merge_into_the_weights_file(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    import assistant.rank as rank

    path = tmp_path / "ranker.json"
    path.write_text(
        json.dumps({"weights": {"dense": 1.0}, "engine": {"abstain_below": 0.3}}), encoding="utf-8"
    )
    monkeypatch.setattr(rank, "WEIGHTS_FILE", path)
    assert rank.update_weights_file({"checker_margin": 0.125}, selection={"on": "run"}) == path
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc == {
        "weights": {"dense": 1.0},
        "engine": {"abstain_below": 0.3, "checker_margin": 0.125},
        "selection": {"on": "run"},
    }
    assert EngineConfig.load(path).checker_margin == 0.125


def _stops(vendor: str, ps: list[float], confs: list[float], right: int) -> Case:
    from evals.selection import Checked

    checked = tuple(
        Checked(Span("d", 100 * i, 100 * i + 50), p, c)
        for i, (p, c) in enumerate(zip(ps, confs, strict=True))
    )
    return Case(f"{vendor}-{right}", vendor, checked, (Span("d", 100 * right + 10, 100 * right + 20),))


def test_accept_at_replays_the_checks_a_run_would_have_stopped_at() -> None:
    from dataclasses import replace

    from evals.selection import checks, choose_accept, leave_one_vendor_out_accept, stopped, with_accept

    lead = _stops("a", [0.6, 0.95], [0.5, 0.9], 1)  # the second sentence is right, its lead large
    first = _stops("b", [0.6, 0.95], [0.5, 0.9], 0)  # the same checks, the first sentence right
    base = engine(0.3)  # accept_at 0.8 (the default): both sentences checked
    assert len(stopped(lead.checked, 0.8)) == 2 and len(stopped(lead.checked, 0.55)) == 1
    assert score([lead], base) == (1, 1) and score([lead], with_accept(base, 0.55)) == (0, 1)
    assert score([first], base) == (0, 1) and score([first], with_accept(base, 0.55)) == (1, 1)
    assert checks([lead, first], 0.55) == 2 and checks([lead, first], 0.8) == 4
    # a refused sentence is recorded with P(yes) 0: it never stops the checks
    refused = _stops("c", [0.0, 0.7], [0.0, 0.6], 1)
    assert len(stopped(refused.checked, 0.4)) == 2 and score([refused], with_accept(base, 0.4)) == (1, 1)
    # the lowest accept_at that loses on no vendor and hits as often as any: pooled, "a" and "b" tie at 0.5,
    # but "a" loses there, so the run's own 0.8 stays
    assert choose_accept([lead, first], base, accepts=(0.5, 0.55, 0.8)) == 0.8
    assert choose_accept([first], base, accepts=(0.5, 0.55, 0.8)) == 0.5  # "b" gains: the lowest
    both = [lead, replace(first, vendor="a"), first]  # "a" holds one item each way: it loses nothing
    assert choose_accept(both, base, accepts=(0.5, 0.55, 0.8)) == 0.5
    folds = {f["vendor"]: f for f in leave_one_vendor_out_accept([lead, first], base, accepts=(0.5, 0.8))}
    # fitted on "b" alone (the first right), the low accept_at misses "a"'s lead, and saves its check
    assert folds["a"] == {
        "vendor": "a",
        "accept_at": 0.5,
        "hit": 0,
        "n": 1,
        "checks": 1,
        "hit_base": 1,
        "checks_base": 2,
    }


def test_a_run_s_accept_at_is_read_from_its_recorded_engine() -> None:
    from evals.selection import RECORDED_ACCEPT_AT, run_accept_at

    assert run_accept_at({"config": {"engine": {"accept_at": 0.55}}}) == 0.55
    assert run_accept_at({"config": {}}) == RECORDED_ACCEPT_AT == 0.8  # runs made before it was recorded
