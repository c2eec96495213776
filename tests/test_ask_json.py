"""The `ask --json` shape (../shared/spec/interfaces.md), the CLI, streaming and the prompt loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from assistant_fakes import FakeChecker, ScriptedChat, build_store

from assistant import Assistant
from assistant.cli import main
from assistant.prompts import PromptError, load_prompt
from core.types import Answer

CITATION_KEYS = {
    "n": int,
    "vendor": str,
    "vendor_name": str,
    "document": str,
    "section": str,
    "quote": str,
    "start": int,
    "end": int,
}
RETRIEVED_KEYS = {"vendor": str, "document": str, "start": int, "end": int, "score": float}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    return build_store(tmp_path_factory.mktemp("store"))


def assert_spec_shape(d: dict, store) -> None:
    assert isinstance(d["question"], str) and isinstance(d["answer"], str) and d["answer"]
    assert isinstance(d["abstained"], bool)
    for c in d["citations"]:
        for k, t in CITATION_KEYS.items():
            assert isinstance(c[k], t), (k, c)
        assert store.document_text(c["document"])[c["start"] : c["end"]] == c["quote"]
        assert f"[{c['n']}]" in d["answer"]
    for r in d["retrieved"]:
        for k, t in RETRIEVED_KEYS.items():
            assert isinstance(r[k], t), (k, r)
    assert set(d["model"]) >= {"llm", "embeddings", "prompt"}
    assert all(isinstance(v, str) and v for v in d["model"].values())
    assert set(d["timings_ms"]) >= {"retrieve", "generate", "total", "first_token"}
    assert all(isinstance(v, float) for v in d["timings_ms"].values())
    assert d["mode"] in {"generated", "extractive", "abstained", "refused"}
    assert d["language"] in {"fr", "en"}


def test_answer_json_shape(built) -> None:
    settings, store, emb = built
    llm = ScriptedChat(
        replies=["Au plus tard 48 heures ouvrées après en avoir pris connaissance [{n:48 heures ouvrées}]."]
    )
    checker = FakeChecker([("48 heures ouvrées", 0.93)])
    ans = Assistant(settings, store=store, embeddings=emb, llm=llm, checker=checker).answer(
        "Sous quel délai Humanlinker notifie-t-il une violation de données ?"
    )
    d = json.loads(json.dumps(ans.to_json()))
    assert_spec_shape(d, store)
    assert d["abstained"] is False and d["mode"] == "generated" and d["language"] == "fr"
    assert d["model"]["prompt"] == "engine.v2" and d["model"]["embeddings"] == "hashing-256"
    assert d["confidence"] == pytest.approx(0.93) and d["explanation"]
    assert d["vendors"] == ["humanlinker"] and d["retrieved"]
    assert [c["n"] for c in d["citations"]] and "48 heures ouvrées" in d["citations"][0]["quote"]
    scores = [r["score"] for r in d["retrieved"]]
    assert scores[0] == max(scores)  # best first


def test_stream_events_end_with_the_answer(built) -> None:
    from assistant.events import Progress, Shown

    settings, store, emb = built
    llm = ScriptedChat(replies=["Humanlinker notifies within 48 business hours [1]."])
    items = list(
        Assistant(
            settings, store=store, embeddings=emb, llm=llm, checker=FakeChecker([("48 heures ouvrées", 0.9)])
        ).stream("How quickly must Humanlinker notify a data breach?")
    )
    assert isinstance(items[-1], Answer)
    assert all(isinstance(i, (Shown, Progress)) for i in items[:-1])
    shown = [i for i in items if isinstance(i, Shown)]
    assert [s.stage for s in shown] == ["draft", "checked", "final"]
    assert shown[-1].text == items[-1].answer


def test_cli_json(built, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    settings = built[0]
    monkeypatch.setenv("CQA__STORE_DIR", str(settings.store_dir))
    monkeypatch.setenv("CQA__EMBEDDING__KIND", "hashing")
    monkeypatch.setenv("CQA__LLM__PROVIDER", "fake")
    rc = main(["ask", "Quel est le plafond de responsabilité ?", "--vendor", "boost-my-mail", "--json"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert_spec_shape(d, built[1])
    assert d["vendors"] == ["boost-my-mail"]
    assert all(c["vendor"] == "boost-my-mail" for c in d["citations"])
    assert d["model"]["llm"] == "extractive-fake"


def test_cli_text_lists_citations(
    built, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CQA__STORE_DIR", str(built[0].store_dir))
    monkeypatch.setenv("CQA__EMBEDDING__KIND", "hashing")
    monkeypatch.setenv("CQA__LLM__PROVIDER", "fake")
    assert main(["ask", "Quel est le plafond de responsabilité de Boost My Mail ?", "--no-stream"]) == 0
    out = capsys.readouterr().out
    assert "[1] Boost My Mail | boost-my-mail/cgs.txt" in out and "«" in out


def test_cli_empty_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CQA__STORE_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("CQA__EMBEDDING__KIND", "hashing")
    monkeypatch.setenv("CQA__LLM__PROVIDER", "fake")
    assert main(["ask", "anything?", "--json"]) == 2
    assert "python -m ingest" in capsys.readouterr().err


def test_prompt_loader_fails_loudly(tmp_path: Path) -> None:
    p = load_prompt("engine.v1")
    assert p.version == "engine.v1" and {"context", "question", "language_name", "sentence"} <= p.variables
    with pytest.raises(PromptError, match="language_name"):
        p.render("say", context="x", question="y")
    with pytest.raises(PromptError, match="not found"):
        load_prompt("answer.v999")
    assert "data, not instructions" in p.render("system")
