"""The bench's own parts: statistics, the numpy limit, the synthetic corpus, the report table."""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pytest
import yaml

from bench.measure import latency_stats_ms, percentile
from bench.query_bench import numpy_topk
from bench.report import summary_rows, to_markdown
from bench.synth import generate_corpus, load_templates, rename, vary_numbers

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "contracts"


def test_percentile_interpolates() -> None:
    assert percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert percentile([5, 1, 3], 0) == 1 and percentile([5, 1, 3], 100) == 5
    assert percentile([10.0], 95) == 10.0
    s = latency_stats_ms([0.001, 0.002, 0.003])
    assert s["p50_ms"] == pytest.approx(2.0) and s["n"] == 3


def test_numpy_topk_matches_full_sort() -> None:
    rng = np.random.default_rng(1)
    m = rng.standard_normal((500, 32)).astype(np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    v = m[17]
    top = numpy_topk(m, v, 10)
    assert top[0] == 17
    assert list(top) == list(np.argsort(-(m @ v))[:10])
    assert len(numpy_topk(m[:5], v, 10)) == 5


def test_synthetic_corpus_is_deterministic_and_renamed(tmp_path: Path) -> None:
    a = generate_corpus(SAMPLE, tmp_path / "a", n_documents=12, docs_per_vendor=4, seed=3)
    generate_corpus(SAMPLE, tmp_path / "b", n_documents=12, docs_per_vendor=4, seed=3)
    generate_corpus(SAMPLE, tmp_path / "c", n_documents=12, docs_per_vendor=4, seed=4)
    assert a["documents"] == 12 and a["vendors"] == 3
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files and all(filecmp.cmp(tmp_path / "a" / f, tmp_path / "b" / f, shallow=False) for f in files)
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) != sorted(
        p.name for p in (tmp_path / "a").iterdir()
    )
    originals = {n for t in load_templates(SAMPLE) for n in t.names if len(n) > 4}
    for vdir in (tmp_path / "a").iterdir():
        meta = yaml.safe_load((vdir / "vendor.yaml").read_text(encoding="utf-8"))
        assert meta["name"] and meta["language"] in ("fr", "en")
        for doc in vdir.glob("*.txt"):
            text = doc.read_text(encoding="utf-8")
            assert 1000 < len(text) < 200_000
            assert not any(n in text for n in originals if n not in ("Unnamed Provider",)), doc


def test_vary_numbers_and_rename() -> None:
    import random

    out = vary_numbers("48 heures, 30 jours, 2016/679", random.Random(0), share=1.0)
    assert [len(x) for x in out.replace(",", " ").replace("/", " ").split() if x.isdigit()] == [2, 2, 4, 3]
    assert out != "48 heures, 30 jours, 2016/679"
    assert rename("LEO Bizdev et LEO, LEONARD", ("LEO Bizdev", "LEO"), "Acme") == "Acme et Acme, LEONARD"


def test_synthetic_corpus_ingests(tmp_path: Path) -> None:
    from core.settings import load_settings
    from ingest.pipeline import run_ingest

    generate_corpus(SAMPLE, tmp_path / "corpus", n_documents=3, docs_per_vendor=3, seed=1)
    s = load_settings(
        env={},
        corpus_dir=str(tmp_path / "corpus"),
        store_dir=str(tmp_path / "store"),
        **{"embedding.kind": "hashing", "llm.provider": "fake"},
    )
    rep = run_ingest(s, progress=False)
    assert rep.counts()["added"] == 3 and all(e.clauses > 0 for e in rep.entries)


def test_report_rows_carry_ratio_and_status() -> None:
    sections = {
        "ingest": {
            "documents": 5,
            "chunks": 248,
            "embedder": "e",
            "embedding_dtype": "bfloat16",
            "embedding_batch_size": 16,
            "cold_s": 30.0,
            "encode_limit_s": 20.0,
            "ratio_cold": 1.5,
            "target_ratio": 1.2,
            "embed_time_inside_ingest_s": 25.0,
            "warm_s": 0.5,
            "warm_target_s": 2.0,
        },
        "memory": {
            "what": "x",
            "peak_rss_bytes": 3 * 2**30,
            "target_bytes": 4 * 2**30,
            "ratio": 0.75,
            "ok": True,
        },
        "scale": {"error": "RuntimeError: boom"},
    }
    rows = summary_rows(sections)
    cold = next(r for r in rows if r["measure"].startswith("cold ingest"))
    assert cold["ratio"] == 1.5 and cold["status"] == "over"
    assert next(r for r in rows if r["section"] == "memory")["status"] == "ok"
    assert any(r["section"] == "scale" and r["measure"] == "FAILED" for r in rows)
    md = to_markdown(
        {
            "meta": {
                "quick": True,
                "started_utc": "t",
                "duration_s": 1.0,
                "commit": "abc",
                "sections": list(sections),
                "notes": [],
                "machine": {"cpu": "c", "cores": 2, "ram_gib": 1, "loadavg_at_start": [1.0]},
            },
            "summary": rows,
            "sections": sections,
        }
    )
    assert "| ingest |" in md and "1.50" in md
    assert "| ingest | ? | ? |" in md  # no provenance recorded: the report says so instead of guessing


def test_every_section_names_its_cpu_build_dtype_and_time(fake_settings) -> None:
    """Provenance: the CPU model, kind and flags, the llama.cpp build, the embedder and its dtype, and when
    each section was measured, in every summary row and in a per-section table."""
    from bench.__main__ import same_kind
    from bench.measure import machine_info, provenance
    from core.hardware import current

    hw = current()
    prov = provenance(fake_settings)
    assert prov["cpu"] == hw.cpu.model and prov["cpu_kind"] == hw.kind and prov["measured_utc"].endswith("Z")
    assert prov["embedding"]["dtype"] == "hashing" and prov["llm"]["n_threads"] == fake_settings.llm.n_threads
    machine = machine_info()
    assert machine["flags"] == sorted(hw.cpu.flags) and machine["cpu_kind"] == hw.kind
    old = {
        "measured_utc": "2026-11-22T10:00:00Z",
        "peak_rss_bytes": 2**30,
        "target_bytes": 2**32,
        "ratio": 0.25,
        "ok": True,
        "what": "x",
    }
    sections = {
        "memory": {**old, "provenance": {**prov, "measured_utc": "2026-12-02T19:00:00Z"}},
        "scale": {"error": "RuntimeError: boom", "provenance": prov},
    }
    md = to_markdown(
        {
            "meta": {
                "quick": False,
                "started_utc": "t",
                "duration_s": 1.0,
                "commit": "abc",
                "sections": list(sections),
                "notes": [],
                "machine": machine,
            },
            "summary": summary_rows(sections),
            "sections": sections,
        }
    )
    memory_row = next(line for line in md.splitlines() if line.startswith("| memory | peak RSS"))
    assert memory_row.endswith(f"| 2026-12-02 19:00:00, {hw.kind} |")
    assert "measured ?" not in md and f"flags: {' '.join(sorted(hw.cpu.flags))}" in md
    assert f"| memory | 2026-12-02 19:00:00 | {hw.cpu.model} | {hw.kind}" in md
    # results of another CPU kind (or without provenance) are never merged into this kind's file
    mixed = {
        "sections": {
            "memory": sections["memory"],
            "ingest": {"cold_s": 1.0},
            "query": {"provenance": {"cpu_kind": "other-cpu-avx2"}},
        }
    }
    assert list(same_kind(mixed, hw.kind)["sections"]) == ["memory"]


def test_vectors_only_size_measures_hnsw_against_numpy(tmp_path: Path, fake_settings) -> None:
    """The 1,000x path on a tiny base: perturbed copies, one synthetic vendor per copy, recall by record and
    by original clause, and the vendor filter reaching only the real vendor's records."""
    import numpy as np

    from bench import query_bench as qb

    rng = np.random.default_rng(42)  # not the bench's noise seed (0): its noise would be these very vectors
    vecs = rng.standard_normal((20, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    base = {
        "ids": [f"c{i}" for i in range(20)],
        "vectors": vecs,
        "metadatas": [{"vendor": "acme" if i < 12 else "globex"} for i in range(20)],
    }

    class Ctx:
        workdir = tmp_path

        def sample_store(self):
            return fake_settings

    col, ids, matrix, add_s = qb.build_vectors_only(Ctx(), base, factor=5)
    assert matrix.shape == (100, 16) and col.count() == 100 and add_s > 0
    assert np.allclose(matrix[:20], vecs) and not np.allclose(matrix[20:40], vecs)
    vendors = qb.scaled_vendors(base, 5)
    assert vendors[:20] == [m["vendor"] for m in base["metadatas"]] and vendors[20] == "acme~1"
    m = qb._measure_vectors_only(col, ids, matrix, vendors, [vecs[0], vecs[15]], k=5, repeat=1, n_base=20)
    assert m["vendor_filter"] == {"vendor": "acme", "records": 12}
    assert 0 <= m["hnsw_recall_at_k"] <= m["hnsw_clause_recall_at_k"] <= 1
    assert m["hnsw_clause_recall_at_k_vendor"] == 1.0  # 12 records: exhaustive
    assert m["numpy_bruteforce"]["p50_ms"] > 0 and m["ratio_p50"] is not None
