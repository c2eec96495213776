"""Crash safety of ingest: SIGKILL `python -m ingest` at random points (seeded), over and over, while the
corpus keeps changing; after every kill the store must read as whole document versions (store API and
raw Chroma sqlite agree), and the next ingest must complete and match the corpus exactly. Plus the lock:
two ingests never interleave."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import time
from pathlib import Path

import pytest
from filelock import FileLock
from rel_checks import check_store_consistent
from rel_harness import fresh_chroma, offline_env, raw_records, run_module

from core.settings import PROJECT_ROOT, Settings, load_settings
from ingest.discover import IGNORED_NAMES

pytestmark = pytest.mark.reliability

KILLS = int(os.environ.get("RELIABILITY_KILLS", "20"))
SEED = int(os.environ.get("RELIABILITY_SEED", "20261122"))
SAMPLE = PROJECT_ROOT / "data" / "contracts"


def _settings(corpus: Path, store: Path) -> Settings:
    return load_settings(
        env={},
        corpus_dir=str(corpus),
        store_dir=str(store),
        **{"embedding.kind": "hashing", "llm.provider": "fake"},
    )


def _make_corpus(dst: Path, rng: random.Random) -> None:
    """The sample corpus (less its largest French document and Basecamp's eight English ones with a PDF, to
    keep the loop short and every document a text file the mutations can edit) plus generated vendors."""
    shutil.copytree(SAMPLE, dst, ignore=shutil.ignore_patterns("aura-digital", "basecamp"))
    for p in dst.rglob("*"):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    for v in range(4):
        folder = dst / f"gen-vendor-{v}"
        folder.mkdir()
        (folder / "vendor.yaml").write_text(f"name: Generated Vendor {v}\nlanguage: fr\n", encoding="utf-8")
        for d in range(2):
            (folder / f"terms-{d}.txt").write_text(_generated_doc(rng, v, d, 0), encoding="utf-8")


def _generated_doc(rng: random.Random, v: int, d: int, version: int) -> str:
    arts = []
    for a in range(1, rng.randint(8, 20)):
        body = " ".join(
            rng.choice(
                [
                    "Le Prestataire",
                    "le Client",
                    "conserve",
                    "notifie",
                    "les données",
                    "dans un délai de",
                    f"{rng.randint(1, 90)} jours",
                    "sauf accord écrit",
                    "conformément au RGPD",
                    "à compter de la résiliation",
                ]
            )
            for _ in range(rng.randint(20, 70))
        )
        arts.append(f"ARTICLE {a} - CLAUSE {v}.{d}.{a}\n\n{body}.\n")
    return f"CONDITIONS GÉNÉRALES {v}-{d} (version {version})\n\n" + "\n".join(arts)


def _mutate(corpus: Path, rng: random.Random, it: int) -> list[str]:
    """Change most documents (append, edit, revert to an old text, delete, re-create): returns what changed."""
    changed = []
    docs = sorted(p for p in corpus.rglob("*") if p.is_file() and p.name not in IGNORED_NAMES)
    for p in docs:
        r = rng.random()
        rel = p.relative_to(corpus).as_posix()
        if r < 0.45:
            with open(p, "a", encoding="utf-8") as fh:
                fh.write(
                    f"\nARTICLE {90 + it} - AVENANT {it}\n\nLe présent avenant n°{it} modifie "
                    f"le délai de préavis à {rng.randint(10, 99)} jours.\n"
                )
            changed.append(f"append {rel}")
        elif r < 0.65:
            text = p.read_text(encoding="utf-8")
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            lines[i] = lines[i] + f" (modifié {it})"
            p.write_text("\n".join(lines), encoding="utf-8")
            changed.append(f"edit {rel}")
        elif r < 0.70 and "gen-vendor" in rel:
            p.unlink()
            changed.append(f"delete {rel}")
    for v in range(4):
        for d in range(2):
            p = corpus / f"gen-vendor-{v}" / f"terms-{d}.txt"
            if not p.exists() and rng.random() < 0.6:
                p.write_text(_generated_doc(rng, v, d, it), encoding="utf-8")
                changed.append(f"recreate {p.relative_to(corpus).as_posix()}")
    return changed


def _snapshot_versions(corpus: Path, versions: dict[str, set[str]]) -> None:
    for p in corpus.rglob("*"):
        if p.is_file() and p.name not in IGNORED_NAMES:
            versions.setdefault(p.relative_to(corpus).as_posix(), set()).add(
                hashlib.sha256(p.read_bytes()).hexdigest()
            )


def _traced_ingest(env: dict[str, str], kill_when=None):  # type: ignore[no-untyped-def]
    from rel_harness import PYTHON, run_child

    return run_child(
        [PYTHON, str(Path(__file__).with_name("ingest_traced.py")), "--prune", "--no-progress"],
        env,
        timeout=180,
        kill_when=kill_when,
    )


def _writes(lines: list[str]) -> int:
    return sum(1 for ln in lines if ln.startswith("@@write "))


def test_kill_loop(tmp_path: Path, figures) -> None:  # type: ignore[no-untyped-def]
    """KILLS runs killed at seeded random points: most after the k-th store write (+ a few ms, so inside
    or between Chroma operations), one in five at a random time (start-up, reading, locking)."""
    rng = random.Random(SEED)
    corpus, store = tmp_path / "corpus", tmp_path / "store"
    _make_corpus(corpus, rng)
    env = offline_env(corpus, store)
    settings = _settings(corpus, store)
    versions: dict[str, set[str]] = {}
    _snapshot_versions(corpus, versions)
    full = _traced_ingest(env)
    assert full.rc == 0, full.output
    check_store_consistent(settings, versions, corpus_exact=True)
    kills = in_writes = 0
    log: list[str] = []
    it = 0
    t_start = time.monotonic()
    while kills < KILLS and it < KILLS * 3:
        it += 1
        changed = _mutate(corpus, rng, it)
        _snapshot_versions(corpus, versions)
        if it % 5 == 0:
            at = rng.uniform(0.2, max(0.5, full.wall_s))
            how = f"at {at:.2f}s"

            def kill_when(elapsed: float, lines: list[str], at: float = at) -> bool:
                return elapsed >= at
        else:
            k = rng.randint(1, max(1, 3 * len(changed)))
            delay = rng.uniform(0.0, 0.08)
            how = f"after write {k} + {delay * 1000:.0f}ms"
            seen: dict[str, float] = {}

            def kill_when(elapsed: float, lines: list[str], k=k, delay=delay, seen=seen) -> bool:
                if "t" not in seen and _writes(lines) >= k:
                    seen["t"] = elapsed
                return "t" in seen and elapsed >= seen["t"] + delay

        t0 = time.monotonic()
        run = _traced_ingest(env, kill_when)
        t1 = time.monotonic()
        n_writes = _writes(run.stderr.splitlines())
        if run.killed:
            kills += 1
            in_writes += int(n_writes > 0)
        else:
            assert run.rc == 0, run.output
        state = check_store_consistent(settings, versions)
        t2 = time.monotonic()
        nxt = run_module("ingest", "--prune", "--no-progress", env=env, timeout=180)
        assert nxt.rc == 0, f"the ingest after a kill failed:\n{nxt.output}"
        t3 = time.monotonic()
        check_store_consistent(settings, versions, corpus_exact=True)
        log.append(
            f"it {it}: {len(changed)} changes, kill {how}: killed={run.killed} after {n_writes} "
            f"writes, orphans={state['orphans']}; times kill {t1 - t0:.1f}s check {t2 - t1:.1f}s "
            f"next {t3 - t2:.1f}s check {time.monotonic() - t3:.1f}s"
        )
    figures.add("kills_survived", kills)
    figures.add("kills_inside_write_phase", in_writes)
    figures.add("kill_loop_iterations", it)
    figures.add("kill_loop_seconds", round(time.monotonic() - t_start, 1))
    print("\n".join(log))
    assert kills >= KILLS, f"only {kills} runs were killed before finishing: {log}"
    assert in_writes >= KILLS // 2, f"too few kills landed in the write phase ({in_writes}): {log}"


def _count_stale(settings: Settings, corpus: Path) -> int:
    """Documents whose stored version differs from the corpus file (left behind by a kill)."""
    from vectorstore.store import ClauseStore

    fresh_chroma()
    st = ClauseStore(settings)
    n = 0
    for r in st.documents():
        p = corpus / r.document
        if not p.exists() or hashlib.sha256(p.read_bytes()).hexdigest() != r.source_sha256:
            n += 1
    del st
    fresh_chroma()
    return n


def test_ingest_refuses_while_locked_and_writes_nothing(tmp_path: Path) -> None:
    """With the lock held elsewhere, an ingest waits, then gives up with a clear message and exit 3,
    having written nothing; once the lock is free it completes."""
    rng = random.Random(SEED)
    corpus, store = tmp_path / "corpus", tmp_path / "store"
    _make_corpus(corpus, rng)
    env = offline_env(corpus, store)
    store.mkdir()
    lock = FileLock(str(store / "ingest.lock"))
    with lock:
        t0 = time.monotonic()
        run = run_module("ingest", "--no-progress", "--lock-timeout", "1.5", env=env, timeout=120)
        waited = time.monotonic() - t0
        assert run.rc == 3, run.output
        assert "another ingest is running" in run.stderr and "Traceback" not in run.stderr
        assert waited >= 1.5
        assert raw_records(store, "contract_clauses") == []
        assert raw_records(store, "contract_clauses_docs") == []
    ok = run_module("ingest", "--no-progress", env=env, timeout=180)
    assert ok.rc == 0, ok.output
    check_store_consistent(_settings(corpus, store), corpus_exact=True)


def test_two_ingests_at_once(tmp_path: Path) -> None:
    """Two ingests started together: one waits for the other (both succeed) and the result is one
    consistent store; with a short lock timeout the second refuses cleanly instead."""
    import subprocess

    from rel_harness import PYTHON

    rng = random.Random(SEED + 1)
    corpus, store = tmp_path / "corpus", tmp_path / "store"
    _make_corpus(corpus, rng)
    env = offline_env(corpus, store)
    procs = [
        subprocess.Popen(
            [PYTHON, "-m", "ingest", "--no-progress", "--json"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1].decode()[-2000:] for o in outs]
    import json

    reports = [json.loads(o[0]) for o in outs]
    added = sorted(r["counts"]["added"] for r in reports)
    unchanged = sorted(r["counts"]["unchanged"] for r in reports)
    n_docs = sum(1 for p in corpus.rglob("*") if p.is_file() and p.name not in IGNORED_NAMES)
    # serialised: the first adds everything, the second finds everything unchanged
    assert added == [0, n_docs] and unchanged == [0, n_docs], reports
    check_store_consistent(_settings(corpus, store), corpus_exact=True)
    # now a long ingest (rebuild) and an impatient one started while it runs. Either the rebuild still holds
    # the lock and the impatient one refuses with one clear line (exit 3), or the rebuild has ended and the
    # impatient one ingests normally; an impatient ingest that succeeds while the rebuild still runs would
    # mean both held the lock. Checked whichever way the race goes.
    first = subprocess.Popen(
        [PYTHON, "-m", "ingest", "--no-progress", "--rebuild"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and first.poll() is None:  # wait until the first holds the lock
        try:
            with FileLock(str(store / "ingest.lock"), timeout=0):
                pass
        except Exception:  # noqa: BLE001 - Timeout: the first ingest holds it now
            break
        time.sleep(0.02)
    second = run_module("ingest", "--no-progress", "--lock-timeout", "0.2", env=env, timeout=120)
    if second.rc == 3:
        assert "another ingest is running" in second.stderr and "Traceback" not in second.stderr, (
            second.output
        )
    else:
        assert second.rc == 0, second.output
        assert first.poll() is not None, "the impatient ingest ran while the rebuild held the lock"
    first.communicate(timeout=240)
    assert first.returncode == 0
    check_store_consistent(_settings(corpus, store), corpus_exact=True)


def test_check_repair_respects_the_ingest_lock(tmp_path: Path) -> None:
    """`ingest --check` repairs (removes and re-ingests records) only while holding the ingest lock: with
    another process holding it, the store must not change until that process lets go."""
    import subprocess
    import threading

    from rel_harness import PYTHON

    rng = random.Random(SEED + 2)
    corpus, store = tmp_path / "corpus", tmp_path / "store"
    _make_corpus(corpus, rng)
    settings = _settings(corpus, store)
    assert run_module("ingest", "--no-progress", env=offline_env(corpus, store), timeout=180).rc == 0
    target = sorted(corpus.rglob("terms-0.txt"))[0]
    doc = target.relative_to(corpus).as_posix()
    with open(target, "a", encoding="utf-8") as fh:
        fh.write("\nARTICLE 77 - AJOUT\n\nClause ajoutée hors ingest.\n")
    holder = subprocess.Popen(
        [
            PYTHON,
            "-c",
            (
                "import sys, time\nfrom filelock import FileLock\n"
                f"lock = FileLock({str(store / 'ingest.lock')!r})\nlock.acquire()\nprint('held', flush=True)\n"
                "sys.stdin.readline()\n"
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        from ingest.check import check_store

        fresh_chroma()
        errors: list[BaseException] = []

        def repair() -> None:
            try:
                check_store(settings, repair=True)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        t = threading.Thread(target=repair, daemon=True)
        t.start()
        time.sleep(3)
        fresh_names = {r.id for r in raw_records(store, "contract_clauses_docs")}
        assert doc in fresh_names, (
            "--check removed a document record while another process held the ingest lock"
        )
    finally:
        if holder.stdin:
            holder.stdin.write("\n")
            holder.stdin.flush()
        holder.wait(timeout=30)
    t.join(timeout=120)
    assert not errors, errors
    check_store_consistent(settings, corpus_exact=True)
