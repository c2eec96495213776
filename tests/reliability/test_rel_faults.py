"""Faults at run time: the LLM endpoint down, slow or talking garbage (answers fall back to verbatim,
extractive citations); the Chroma server unreachable; the disk full during ingest (simulated ENOSPC and
a real, tiny tmpfs); a corrupt chroma.sqlite3 (`python -m ingest --check` repairs it). Clear messages,
no partial writes."""

from __future__ import annotations

import errno
import hashlib
import http.server
import random
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rel_checks import check_store_consistent
from rel_harness import free_port, fresh_chroma, offline_env, run_module

from core.settings import PROJECT_ROOT, Settings, load_settings

pytestmark = pytest.mark.reliability

QUESTION = "What is the liability cap of Injecto Cloud?"


def _ingested(settings: Settings) -> Settings:
    from ingest.pipeline import run_ingest

    report = run_ingest(settings, progress=False)
    assert report.counts()["added"] >= 3, report.to_json()
    fresh_chroma()
    return settings


def _assert_extractive(answer, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    from vectorstore.store import ClauseStore

    assert answer.mode == "extractive", (answer.mode, answer.answer, answer.warnings)
    assert answer.citations, "an extractive answer must still cite the retrieved clauses"
    st = ClauseStore(settings)
    for c in answer.citations:
        assert st.document_text(c.document)[c.start : c.end] == c.quote
    # the fault is named by its code (not by the wording of the note), and told to the reader in words
    assert "llm_unavailable" in answer.warning_codes, (answer.warning_codes, answer.warnings)
    assert "language model" in answer.explanation.lower() and "Traceback" not in answer.explanation


@pytest.fixture
def llm_server() -> Iterator[dict]:
    """A tiny HTTP server on 127.0.0.1 playing a broken OpenAI endpoint: mode 'slow' or 'garbage'."""
    state = {"mode": "slow", "hits": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server API
            state["hits"] += 1
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if state["mode"] == "slow":
                time.sleep(6)
            body = (
                b"data: {this is not json\n\n\x00\xff garbage \n\n"
                if state["mode"] == "garbage"
                else b'{"choices": []}'
            )
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    state["url"] = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    yield state
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("fault", ["down", "slow", "garbage"])
def test_llm_failure_falls_back_to_extractive(
    fault: str, hostile_settings: Settings, llm_server: dict, figures
) -> None:  # type: ignore[no-untyped-def]
    from assistant import Assistant

    settings = _ingested(hostile_settings)
    url = f"http://127.0.0.1:{free_port()}/v1" if fault == "down" else llm_server["url"]
    llm_server["mode"] = fault
    broken = settings.replace(**{"llm.provider": "openai", "llm.base_url": url, "llm.timeout_s": 1.5})
    t0 = time.monotonic()
    answer = Assistant(broken).answer(QUESTION)
    elapsed = time.monotonic() - t0
    figures.add("faults_injected")
    assert elapsed < 60, f"{fault}: the answer took {elapsed:.0f}s"
    _assert_extractive(answer, settings)


def test_ask_cli_with_llm_down_is_clear(hostile_settings: Settings) -> None:
    """`python -m assistant ask` with the endpoint down: an extractive answer or one clear line, no traceback."""
    settings = _ingested(hostile_settings)
    env = offline_env(
        settings.corpus_dir,
        settings.store_dir,
        CQA__LLM__PROVIDER="openai",
        LLM_BASE_URL=f"http://127.0.0.1:{free_port()}/v1",
        LLM_TIMEOUT_S="1.5",
    )
    run = run_module("assistant", "ask", QUESTION, "--json", env=env, timeout=120)
    assert "Traceback" not in run.stderr, run.stderr[-2500:]
    assert run.rc == 0, run.output[-2000:]


@pytest.mark.parametrize("module,args", [("ingest", ["--no-progress"]), ("assistant", ["ask", QUESTION])])
def test_chroma_server_unreachable_is_a_clear_error(
    module: str, args: list[str], hostile_corpus: Path, tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{free_port()}"
    env = offline_env(hostile_corpus, tmp_path / "store", VECTORSTORE_URL=url)
    run = run_module(module, *args, env=env, timeout=90)
    figures.add("faults_injected")
    assert not run.timed_out
    assert run.rc != 0, "an unreachable store must not look like success"
    assert "chroma" in run.stderr.lower() and "Traceback" not in run.stderr, run.stderr[-2500:]


@pytest.mark.parametrize(("write_batch", "fail_from"), [(1, 2), (512, 1)])
def test_enospc_during_ingest_keeps_previous_versions(
    hostile_settings: Settings, figures, write_batch: int, fail_from: int
) -> None:  # type: ignore[no-untyped-def]
    """OSError(ENOSPC) from the store's write path mid-ingest (documents written one at a time, the disk
    filling after the first; or all together, the disk full from the start): failed documents keep their
    previous version (readers never see half a version); the next ingest, with space back, completes."""
    from ingest.pipeline import run_ingest
    from vectorstore.embeddings import HashingEmbeddings
    from vectorstore.store import ClauseStore

    settings = _ingested(hostile_settings).replace(**{"ingest.write_batch": write_batch})
    corpus = settings.corpus_dir
    versions = {
        p.relative_to(corpus).as_posix(): {hashlib.sha256(p.read_bytes()).hexdigest()}
        for p in corpus.rglob("*.txt")
    }
    for p in corpus.rglob("*.txt"):
        with open(p, "a", encoding="utf-8") as fh:
            fh.write("\n\nARTICLE 99 - AVENANT\n\nLe délai de préavis est porté à soixante (60) jours.\n")
        versions[p.relative_to(corpus).as_posix()].add(hashlib.sha256(p.read_bytes()).hexdigest())
    emb = HashingEmbeddings()
    st = ClauseStore(settings, emb)
    calls = {"n": 0}
    real_upsert = st.col.upsert

    def full_disk(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] >= fail_from:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_upsert(*args, **kwargs)

    st.col.upsert = full_disk  # type: ignore[method-assign]
    report = run_ingest(settings, embeddings=emb, store=st, progress=False)
    failed = report.by_status("failed")
    assert failed, report.to_json()
    for e in failed:
        assert "No space left on device" in e.reason and "previous version kept" in e.reason, e
    assert calls["n"] == fail_from  # no write after the disk filled up
    del st
    figures.add("faults_injected")
    check_store_consistent(settings, versions)
    again = run_ingest(settings, progress=False)
    assert not again.by_status("failed"), again.to_json()
    fresh_chroma()
    check_store_consistent(settings, versions, corpus_exact=True)


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    return (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
        ).returncode
        == 0
    )


def test_real_disk_full_during_ingest(tmp_path: Path, figures) -> None:  # type: ignore[no-untyped-def]
    """The store on a 1 MB tmpfs (as root): the ingest fails cleanly, the store stays readable, and after
    the disk grows `python -m ingest --check` brings it in line with the corpus."""
    mnt = tmp_path / "small-disk"
    if not _mount_tmpfs(mnt, "1m"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        corpus = tmp_path / "corpus"
        shutil.copytree(PROJECT_ROOT / "data" / "contracts", corpus)
        for p in corpus.rglob("*"):
            p.chmod(0o755 if p.is_dir() else 0o644)
        store = mnt / "store"
        env = offline_env(corpus, store)
        run = run_module("ingest", "--no-progress", "--json", env=env, timeout=180)
        figures.add("faults_injected")
        assert not run.timed_out
        out = run.output.lower()
        assert run.rc != 0 or '"failed"' in out, run.output[-2000:]
        assert "space" in out or "full" in out, run.output[-2500:]
        subprocess.run(["mount", "-o", "remount,size=256m", str(mnt)], check=True)
        fix = run_module("ingest", "--check", "--no-progress", env=env, timeout=180)
        assert fix.rc == 0, fix.output[-2500:]
        check_store_consistent(
            load_settings(
                env={}, corpus_dir=str(corpus), store_dir=str(store), **{"embedding.kind": "hashing"}
            ),
            corpus_exact=True,
        )
    finally:
        fresh_chroma()
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_corrupt_store_file_is_repaired_by_check(hostile_corpus: Path, tmp_path: Path, figures) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "store"
    env = offline_env(hostile_corpus, store)
    assert run_module("ingest", "--no-progress", env=env, timeout=120).rc == 0
    db = store / "chroma" / "chroma.sqlite3"
    size = db.stat().st_size
    rng = random.Random(7)
    with open(db, "r+b") as fh:
        for off in range(size // 3, min(size, size // 3 + 16384), 4096):
            fh.seek(off)
            fh.write(rng.randbytes(4096))
    figures.add("faults_injected")
    chk = run_module("ingest", "--check", "--no-progress", env=env, timeout=180)
    assert "Traceback" not in chk.stderr, chk.stderr[-2500:]
    assert chk.rc == 0, chk.output[-2000:]
    settings = load_settings(
        env={}, corpus_dir=str(hostile_corpus), store_dir=str(store), **{"embedding.kind": "hashing"}
    )
    check_store_consistent(settings, corpus_exact=True)
