"""Privacy: with the default configuration nothing leaves the machine (telemetry off everywhere, models
offline), checked by running the whole flow (ingest + ask) with the network blocked (in-process socket
guard, a guard in child processes through sitecustomize, and a fresh network namespace), and logs at
INFO carry no document text."""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path

import pytest
from rel_harness import PYTHON, can_unshare_net, fresh_chroma, offline_env, run_child

from core.settings import PROJECT_ROOT, Settings, load_settings

pytestmark = pytest.mark.reliability

NETGUARD = Path(__file__).with_name("netguard")
QUESTIONS = [
    "What is the liability cap of Injecto Cloud?",
    "Sous quel délai le Fournisseur Piège doit-il notifier une violation de données ?",
    "How long are logs retained by XSS Vendor?",
]


def _child_env(corpus: Path, store: Path, log: Path, **extra: str) -> dict[str, str]:
    """The default configuration (settings.yaml) except the hashing embedder and fake LLM, with the
    variables that would switch HF/Chroma/Streamlit offline REMOVED: the code must do it itself."""
    env = offline_env(corpus, store, CQA_NETGUARD_LOG=str(log), **extra)
    for k in (
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "ANONYMIZED_TELEMETRY",
        "HF_HUB_DISABLE_TELEMETRY",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS",
    ):
        env.pop(k, None)
    env["PYTHONPATH"] = os.pathsep.join([str(NETGUARD), str(PROJECT_ROOT)])
    return env


def test_full_flow_in_process_makes_no_network_call(hostile_settings: Settings, no_network) -> None:  # type: ignore[no-untyped-def]
    from assistant import Assistant
    from ingest.pipeline import run_ingest
    from vectorstore.store import ClauseStore

    report = run_ingest(hostile_settings, progress=False)
    assert report.counts()["added"] == 3
    fresh_chroma()
    store = ClauseStore(hostile_settings)
    assert store.client.get_settings().anonymized_telemetry is False
    asst = Assistant(hostile_settings)
    for q in QUESTIONS:
        assert asst.answer(q).answer.strip()
    # the no_network fixture fails the test if any non-loopback connection or lookup was attempted


def test_full_flow_in_child_processes_makes_no_network_call(
    hostile_corpus: Path, tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "netguard.log"
    env = _child_env(hostile_corpus, tmp_path / "store", log)
    runs = [run_child([PYTHON, "-m", "ingest", "--no-progress"], env, timeout=180)]
    for q in QUESTIONS:
        runs.append(run_child([PYTHON, "-m", "assistant", "ask", q, "--json"], env, timeout=180))
    for r in runs:
        assert r.rc == 0, r.output[-2000:]
    attempts = log.read_text().splitlines() if log.exists() else []
    figures.add("privacy_flows_checked", len(runs))
    assert not attempts, f"network access attempted: {attempts}"


@pytest.mark.skipif(not can_unshare_net(), reason="unshare -n needs root")
def test_full_flow_in_an_empty_network_namespace(hostile_corpus: Path, tmp_path: Path) -> None:
    """No network interface at all (unshare -n): ingest and ask still work, and no connection was tried."""
    log = tmp_path / "netguard.log"
    env = _child_env(hostile_corpus, tmp_path / "store", log)
    ing = run_child(["unshare", "-n", PYTHON, "-m", "ingest", "--no-progress"], env, timeout=180)
    assert ing.rc == 0, ing.output[-2000:]
    ask = run_child(
        ["unshare", "-n", PYTHON, "-m", "assistant", "ask", QUESTIONS[0], "--json"], env, timeout=180
    )
    assert ask.rc == 0 and '"citations"' in ask.stdout, ask.output[-2000:]
    assert not (log.read_text().splitlines() if log.exists() else [])


@pytest.mark.slow
def test_real_embedder_loads_offline(hostile_corpus: Path, tmp_path: Path) -> None:
    """The default embedder (EmbeddingGemma from its local folder) in a guarded child: no hub calls."""
    settings = load_settings(env={})
    if not Path(settings.embedding.model).expanduser().exists():
        pytest.skip("embedding model not installed")
    log = tmp_path / "netguard.log"
    env = _child_env(hostile_corpus, tmp_path / "store", log)
    env.pop("CQA__EMBEDDING__KIND")
    r = run_child([PYTHON, "-m", "ingest", "--no-progress", "xss-vendor"], env, timeout=600)
    assert r.rc == 0, r.output[-2000:]
    assert not (log.read_text().splitlines() if log.exists() else [])


def test_streamlit_and_chroma_telemetry_off_in_config() -> None:
    cfg = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["server"].get("address") in ("127.0.0.1", "localhost"), "the page must bind to loopback"
    src = (PROJECT_ROOT / "vectorstore" / "store.py").read_text(encoding="utf-8")
    assert "anonymized_telemetry=False" in src


def _sentences(texts: list[str]) -> list[str]:
    out = []
    for t in texts:
        for s in t.replace("\n", " ").split(". "):
            s = " ".join(s.split())
            if len(s) > 40:
                out.append(s[:60])
    return out


def test_info_logs_carry_no_document_text(
    hostile_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from assistant import Assistant
    from ingest.pipeline import run_ingest
    from vectorstore.store import ClauseStore

    with caplog.at_level(logging.INFO):
        run_ingest(hostile_settings, progress=False)
        fresh_chroma()
        asst = Assistant(hostile_settings)
        answers = [asst.answer(q) for q in QUESTIONS]
    store = ClauseStore(hostile_settings)
    texts = [c.text for d in store.documents() for c in store.clauses(d.document)]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    leaks = [s for s in _sentences(texts) if s in logged]
    assert not leaks, f"document text in INFO logs: {leaks[:3]}"
    assert all(a.answer for a in answers)


def test_cli_stderr_at_info_carries_no_document_text(hostile_corpus: Path, tmp_path: Path) -> None:
    env = offline_env(hostile_corpus, tmp_path / "store", LOG_LEVEL="INFO")
    ing = run_child([PYTHON, "-m", "ingest", "--no-progress"], env, timeout=180)
    ask = run_child([PYTHON, "-m", "assistant", "ask", QUESTIONS[0]], env, timeout=180)
    assert ing.rc == 0 and ask.rc == 0, (ing.output[-1500:], ask.output[-1500:])
    texts = [p.read_text(encoding="utf-8") for p in hostile_corpus.rglob("*.txt")]
    leaks = [s for s in _sentences(texts) if s in ing.stderr or s in ask.stderr]
    assert not leaks, f"document text on stderr at INFO: {leaks[:3]}"


def test_the_child_guard_catches_a_deliberate_connection(tmp_path: Path) -> None:
    """Self-check of the sitecustomize guard: a child that tries to reach the internet is recorded."""
    log = tmp_path / "netguard.log"
    env = _child_env(tmp_path, tmp_path / "store", log)
    code = (
        "import socket\ntry:\n    socket.create_connection(('203.0.113.9', 80), timeout=1)\n"
        "except OSError:\n    pass\n"
    )
    r = run_child([PYTHON, "-c", code], env, timeout=30)
    assert r.rc == 0
    assert "203.0.113.9" in log.read_text()


def test_the_in_process_guard_catches_a_deliberate_lookup() -> None:
    import socket

    from rel_harness import block_network

    with block_network() as guard:
        with pytest.raises(OSError):
            socket.getaddrinfo("huggingface.co", 443)
    assert guard.attempts == ["getaddrinfo 'huggingface.co'"]
