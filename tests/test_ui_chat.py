"""The chat's session logic without Streamlit: the pending-question queue, the expected wait, what a stream
of events shows, the reasons in words, and the server-wide AnswerQueue under threads."""

from __future__ import annotations

import threading
import time

import pytest

from assistant.events import Progress, Shown
from core.types import Answer, Citation
from ui import chat
from ui.services import AnswerQueue


def _cit(n: int = 1) -> Citation:
    return Citation(
        n=n,
        vendor="hl",
        vendor_name="Humanlinker",
        document="hl/cgu.txt",
        section="Art. 9",
        quote="48 heures ouvrées",
        start=10,
        end=27,
    )


# ----------------------------------------------------------------------------- pending questions


def test_enqueue_keeps_order_filter_and_skips_blank() -> None:
    pending: list[chat.Pending] = []
    a = chat.enqueue(pending, "  How fast?  ", ["humanlinker"])
    b = chat.enqueue(pending, "and for Aura?")
    assert chat.enqueue(pending, "   ") is None
    assert [p.question for p in pending] == ["How fast?", "and for Aura?"]
    assert a is not None and b is not None and a.id != b.id
    assert a.vendors == ["humanlinker"] and b.vendors is None
    assert chat.next_to_ask(pending) is a


def test_interrupted_question_is_asked_again_once_then_given_up() -> None:
    pending: list[chat.Pending] = []
    first = chat.enqueue(pending, "Q1")
    chat.enqueue(pending, "Q2")
    assert first is not None
    first.asks += 1  # a run started answering it, then newer input stopped that run
    assert chat.drop_exhausted(pending) == []  # asked once: asked again, still first in line
    assert chat.next_to_ask(pending) is first
    first.asks += 1  # the re-ask was stopped too
    gone = chat.drop_exhausted(pending)
    assert [p.question for p in gone] == ["Q1"]
    assert [p.question for p in pending] == ["Q2"]


def test_finish_removes_only_the_answered_question() -> None:
    pending: list[chat.Pending] = []
    a, b = chat.enqueue(pending, "Q1"), chat.enqueue(pending, "Q1")  # the same text twice: two questions
    assert a is not None and b is not None
    assert chat.finish(pending, a.id) and pending == [b]
    assert not chat.is_pending(pending, a.id) and chat.is_pending(pending, b.id)
    assert not chat.finish(pending, a.id)  # a second run that answered it too does not store it again
    assert pending == [b]
    assert chat.finish(pending, b.id) and chat.next_to_ask(pending) is None


# ----------------------------------------------------------------------------- the expected wait


def test_estimate_wait_from_recent_durations() -> None:
    recent = [10.0, 12.0, 50.0]  # median 12: one slow answer does not dominate
    assert chat.estimate_wait(0, recent) == 0.0
    assert chat.estimate_wait(2, recent) == 24.0
    assert chat.estimate_wait(1, recent, running_for=5.0) == 7.0  # the running one has 7 s left
    assert chat.estimate_wait(2, recent, running_for=30.0) == 12.0  # overdue: counts as finishing now
    assert chat.estimate_wait(1, []) is None


def test_wait_and_queue_lines_in_words() -> None:
    assert chat.format_wait(None).startswith("unknown")
    assert chat.format_wait(2.0) == "a few seconds"
    assert chat.format_wait(23.0) == "about 25 s"
    assert chat.format_wait(300.0) == "about 5 min"
    assert chat.queue_line(1, 12.0) == "Queued behind 1 question on this server; expected wait about 10 s."
    assert "behind 3 questions" in chat.queue_line(3, None)


# ----------------------------------------------------------------------------- what a stream shows


def test_shown_replaces_progress_sets_status_answer_clears_it() -> None:
    final = Answer(question="q", answer="Within 48 business hours [1].", abstained=False, citations=[_cit()])
    events: list[object] = [
        Progress("retrieve", "searching the documents"),
        Shown("“au plus tard 48 heures ouvrées” [1]", "draft", [_cit()]),
        Progress("check", "checking the clause"),
    ]
    view = chat.fold_events(events)
    assert view.text == "“au plus tard 48 heures ouvrées” [1]" and view.stage == "draft"
    assert view.status == "Checking the clause…" and not view.done
    view = chat.apply_event(view, Shown("Within 48", "generated"))
    assert view.text == "Within 48" and view.citations == ()  # replaced, not appended
    view = chat.apply_event(view, final)
    assert view.done and view.answer is final and view.status == "" and view.text == final.answer


def test_plain_string_chunks_are_appended() -> None:
    view = chat.fold_events(["Within ", "48 hours", " [1]."])
    assert view.text == "Within 48 hours [1]." and not view.done
    assert chat.apply_event(view, 42) == view  # unknown events change nothing
    assert chat.apply_event(view, Progress("check")).status == "Check…"
    assert chat.apply_event(view, Progress("say", "Writing the answer.")).status == "Writing the answer."


# ----------------------------------------------------------------------------- the answer, for a person


def test_explanation_prefers_the_assistants_then_the_mode() -> None:
    own = Answer(question="q", answer="x", abstained=False, explanation=" Article 9 sets the delay. ")
    assert chat.explanation_text(own) == "Article 9 sets the delay."
    down = Answer(
        question="q",
        answer="x",
        abstained=False,
        mode="extractive",
        warnings=["language model unavailable: ConnectError"],
        warning_codes=["llm_unavailable"],
    )
    assert "unavailable" in chat.explanation_text(down) and "ConnectError" not in chat.explanation_text(down)
    assert "quoted as written" in chat.explanation_text(
        Answer(question="q", answer="x", abstained=False, mode="extractive", warnings=["retry: figure 60"])
    )


def test_technical_lines_hold_the_notes_models_and_timings() -> None:
    a = Answer(
        question="q",
        answer="x",
        abstained=False,
        model={"llm": "qwen-1.5b", "prompt": "say.v1"},
        timings_ms={"retrieve": 40.0, "total": 2500.0},
        warnings=["extractive fallback: NOT_FOUND"],
    )
    lines = chat.technical_lines(a)
    assert "llm: qwen-1.5b" in lines and "note: extractive fallback: NOT_FOUND" in lines
    assert "timings: retrieve 0.04 s, total 2.50 s" in lines


# ----------------------------------------------------------------------------- the server-wide queue


def test_answer_queue_counts_waiting_and_times_completed_answers() -> None:
    q = AnswerQueue(keep=3)
    assert q.ahead() == 0 and q.expected_wait(1) is None
    with q.answering("a"):
        time.sleep(0.05)
        assert q.ahead() == 1 and q.ahead(exclude=["a"]) == 0
    waiting, running, since, recent = q.snapshot()
    assert (waiting, running, since) == (0, False, None) and len(recent) == 1 and recent[0] >= 0.05
    with pytest.raises(KeyboardInterrupt), q.answering("b"):  # a stopped answer is not a duration
        raise KeyboardInterrupt
    assert len(q.snapshot()[3]) == 1 and q.ahead() == 0


def test_answer_queue_counts_a_question_once() -> None:
    """A stopped run still finishing question "a" while its session waits to ask "a" again: one question."""
    q = AnswerQueue()
    with q.answering("t"):
        time.sleep(0.05)
    typical = q.snapshot()[3][0]
    with q.answering("a"), q.waiting("a"), q.waiting("b"):
        assert q.snapshot()[0] == 2 and q.ahead() == 2
        assert q.ahead(exclude=["b"]) == 1
        time.sleep(0.02)
        # "a" running counts as partly done for others; for its own session it is asked again in full
        partly, full = q.expected_wait(1), q.expected_wait(1, exclude=["a"])
        assert partly is not None and full == typical and partly < typical
    assert q.ahead() == 0


def test_answer_queue_under_threads() -> None:
    """Three threads wait for one lock held here: each is counted while it waits, and the estimate for
    the last of them grows with the number ahead."""
    q, lock = AnswerQueue(), threading.Lock()
    with q.answering("first"):  # one answer timed: 0.05 s
        time.sleep(0.05)
    done: list[int] = []

    def ask(i: int) -> None:
        with q.waiting(f"q{i}"):
            lock.acquire()
        try:
            with q.answering(f"q{i}"):
                done.append(i)
        finally:
            lock.release()

    lock.acquire()
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while q.snapshot()[0] < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert q.snapshot()[0] == 3 and q.ahead(exclude=["q0"]) == 2
    wait_3, wait_1 = q.expected_wait(3), q.expected_wait(1)
    assert wait_3 is not None and wait_1 is not None and wait_3 == pytest.approx(3 * wait_1)
    lock.release()
    for t in threads:
        t.join(timeout=5)
    assert sorted(done) == [0, 1, 2] and q.ahead() == 0 and len(q.snapshot()[3]) == 4
