"""The evals' replay cache of model calls (`python -m evals run --llm-cache FILE`): a repeated check or
wording comes from the file, a new one from the model; a stream the caller stopped early replays as far as
it was read; a failed call is not kept; a whole run replayed gives the same answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from assistant_fakes import offline_settings
from langchain_core.messages import HumanMessage

from assistant.check import Verdict
from assistant.llm import ExtractiveFakeChatModel
from assistant.prompts import load_prompt
from core.settings import Settings
from evals.cli import main
from evals.llm_cache import CachedChatModel, CachedChecker, LLMCache
from evals.report import load_run

FIX = Path(__file__).parent / "fixtures" / "evals"


class CountingChecker:
    name = "counting"
    section = "check"

    def __init__(self) -> None:
        self.prompt = load_prompt("engine.v2")
        self.calls = 0

    def check(self, question: str, sentence: str, label: str) -> Verdict:
        self.calls += 1
        return Verdict(0.25 + len(sentence) / 1000, True, 12.0)


class CountingModel(ExtractiveFakeChatModel):
    calls: int = 0
    fail_after: int = -1  # raise after this many chunks (-1: never)

    def _stream(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Iterator[Any]:
        self.calls += 1
        for i, chunk in enumerate(super()._stream(messages, stop, run_manager, **kw)):
            if i == self.fail_after:
                raise ConnectionError("endpoint went away")
            yield chunk


def test_checker_verdicts_replay_from_the_file_across_runs(tmp_path: Path) -> None:
    inner = CountingChecker()
    cache = LLMCache(tmp_path / "c.sqlite")
    cached = CachedChecker(inner, cache, "model-a")
    first = cached.check("How fast?", "Within 72 hours.", "Acme")
    again = cached.check("How fast?", "Within 72 hours.", "Acme")
    other = cached.check("How fast?", "Within 48 hours of discovery.", "Acme")
    assert inner.calls == 2 and again == first and other.p_yes != first.p_yes
    assert cache.stats()["hits"] == 1 and cache.stats()["misses"] == 2
    cache.close()
    reopened = LLMCache(tmp_path / "c.sqlite")
    assert CachedChecker(inner, reopened, "model-a").check("How fast?", "Within 72 hours.", "Acme") == first
    assert inner.calls == 2
    # another model (or another prompt section) is another call
    CachedChecker(inner, reopened, "model-b").check("How fast?", "Within 72 hours.", "Acme")
    inner.section = "verdict"
    CachedChecker(inner, reopened, "model-a").check("How fast?", "Within 72 hours.", "Acme")
    assert inner.calls == 4


def _msgs(text: str) -> list[Any]:
    return [HumanMessage(content=f"Question?\n[1] Acme :: {text}")]


def test_streams_replay_whole_or_as_far_as_read(tmp_path: Path) -> None:
    inner = CountingModel()
    model = CachedChatModel(inner=inner, replay=LLMCache(tmp_path / "c.sqlite"), model="fake")
    whole = "".join(
        str(c.content) for c in model.stream(_msgs("Data is kept for three years."), max_tokens=50)
    )
    replay = "".join(
        str(c.content) for c in model.stream(_msgs("Data is kept for three years."), max_tokens=50)
    )
    assert whole == replay == "Data is kept for three years. [1]" and inner.calls == 1
    # other parameters are another call
    model.stream(_msgs("Data is kept for three years."), max_tokens=10).__next__()
    assert inner.calls == 2
    # a caller that stops after two pieces finds the same two pieces, and no more, on a replay
    read = []
    for chunk in model.stream(_msgs("Invoices are due within thirty days."), max_tokens=50):
        read.append(str(chunk.content))
        if len(read) == 2:
            break
    replayed = [
        str(c.content) for c in model.stream(_msgs("Invoices are due within thirty days."), max_tokens=50)
    ]
    assert [p for p in replayed if p] == read and inner.calls == 3  # LangChain ends a stream with ""
    # invoke goes through the same file
    assert model.invoke(_msgs("Data is kept for three years."), max_tokens=50).content == whole


def test_a_failed_stream_is_not_kept(tmp_path: Path) -> None:
    inner = CountingModel(fail_after=2)
    model = CachedChatModel(inner=inner, replay=LLMCache(tmp_path / "c.sqlite"), model="fake")
    with pytest.raises(ConnectionError):
        list(model.stream(_msgs("Support answers within one business day."), max_tokens=50))
    inner.fail_after = -1
    text = "".join(str(c.content) for c in model.stream(_msgs("Support answers within one business day.")))
    assert inner.calls == 2 and text.endswith("[1]")


def test_cache_path_must_be_a_file_of_its_own(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="wants a file"):
        LLMCache(tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, and kept as it is\n" * 200, encoding="utf-8")
    with pytest.raises(ValueError, match="is not a replay cache"):
        LLMCache(notes)
    assert notes.read_text(encoding="utf-8").startswith("not a database")
    # every command that takes the option says so before it starts, and exits 2
    gold, corpus = str(FIX / "gold.jsonl"), str(FIX / "corpus")
    for argv in (
        ["run", "--gold", gold, "--corpus", corpus],
        ["review"],
        ["lovo", "--gold", gold, "--retrieval-only"],
    ):
        assert main([*argv, "--llm-cache", str(notes)]) == 2


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return offline_settings(FIX / "corpus", tmp_path / "store")


def test_a_replayed_run_gives_the_same_answers_and_says_latency_is_not_measured(
    settings: Settings, tmp_path: Path
) -> None:
    def run(out: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        args = ["run", "--gold", str(FIX / "gold.jsonl"), "--corpus", str(FIX / "corpus"), "--no-progress"]
        assert (
            main(
                [*args, "--out", str(tmp_path / out), "--llm-cache", str(tmp_path / "c.sqlite")],
                settings=settings,
            )
            == 0
        )
        return load_run(tmp_path / out)

    first, rows1 = run("a")
    second, rows2 = run("b")
    c1, c2 = first["config"]["llm_cache"], second["config"]["llm_cache"]
    assert c1["misses"] > 0 and c2["misses"] == 0 and c2["hits"] == c1["misses"]
    assert [(r["id"], r["ask"]["answer"], r["ask"]["citations"]) for r in rows1] == [
        (r["id"], r["ask"]["answer"], r["ask"]["citations"]) for r in rows2
    ]
    # the answers name the model as an uncached run's do
    assert {r["ask"]["model"]["llm"] for r in rows1 + rows2} == {"extractive-fake"}
    assert first["config"]["models"]["llm"] == "extractive-fake"  # and so does the run's summary
    report = (tmp_path / "b" / "report.md").read_text(encoding="utf-8")
    assert "replayed from" in report and "not measurements" in report
    assert json.loads((tmp_path / "b" / "summary.json").read_text())["config"]["llm_cache"]["hits"] > 0
