"""Turn the bench results into summary rows (value, limit, ratio, target) and a Markdown report."""

from __future__ import annotations

from typing import Any

MIN_DECODE_TOKENS = 8  # fewer generated tokens than this give no meaningful decode rate


def _ms(x: float | None) -> str:
    if x is None:
        return "—"
    if x >= 10_000:
        return f"{x / 1000:.1f} s"
    return f"{x:.3f} ms" if x < 1 else (f"{x:.2f} ms" if x < 10 else f"{x:.1f} ms")


def _s(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f} s"


def _mib(b: float | None) -> str:
    return "—" if b is None else (f"{b / 2**30:.2f} GiB" if b >= 2**30 else f"{b / 2**20:.0f} MiB")


def _row(
    section: str,
    measure: str,
    value: str,
    limit: str = "—",
    ratio: float | None = None,
    target: str = "—",
    ok: bool | None = None,
) -> dict[str, Any]:
    return {
        "section": section,
        "measure": measure,
        "value": value,
        "limit": limit,
        "ratio": None if ratio is None else round(ratio, 3),
        "target": target,
        "status": "—" if ok is None else ("ok" if ok else "over"),
    }


def _recall_note(m: dict[str, Any], suffix: str = "") -> str:
    """HNSW recall against numpy's exact top-k: by record, and by the original clause the copies come from."""
    strict, clauses = m.get(f"hnsw_recall_at_k{suffix}"), m.get(f"hnsw_clause_recall_at_k{suffix}")
    return f"HNSW recall@k {strict}" + (f" (clauses {clauses})" if clauses is not None else "")


def summary_rows(sections: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per headline number, each with the limit measured in the same run where there is one."""
    rows: list[dict[str, Any]] = []
    ing = sections.get("ingest")
    if ing and "error" not in ing:
        r = ing["ratio_cold"]
        rows.append(
            _row(
                "ingest",
                f"cold ingest, {ing['documents']} docs / {ing['chunks']} chunks "
                f"({ing['embedder']}, {ing['embedding_dtype']}, batch {ing['embedding_batch_size']})",
                _s(ing["cold_s"]),
                f"encode alone {_s(ing['encode_limit_s'])}",
                r,
                f"≤ {ing['target_ratio']}×",
                r is not None and r <= ing["target_ratio"],
            )
        )
        if ing.get("ratio_cold_cpu") is not None:
            rows.append(
                _row(
                    "ingest",
                    "cold ingest, CPU time of the process (less sensitive to other load)",
                    _s(ing["cold_cpu_s"]),
                    f"encode alone {_s(ing['encode_cpu_s'])} CPU",
                    ing["ratio_cold_cpu"],
                    f"≤ {ing['target_ratio']}×",
                    ing["ratio_cold_cpu"] <= ing["target_ratio"],
                )
            )
        rows.append(
            _row(
                "ingest",
                "of which embedding calls inside ingest",
                _s(ing["embed_time_inside_ingest_s"]),
                f"encode alone {_s(ing['encode_limit_s'])}",
                ing["embed_time_inside_ingest_s"] / ing["encode_limit_s"] if ing["encode_limit_s"] else None,
            )
        )
        rows.append(
            _row(
                "ingest",
                "warm re-ingest (nothing changed)",
                _s(ing["warm_s"]),
                "—",
                None,
                f"≤ {ing['warm_target_s']:.0f} s",
                ing["warm_s"] <= ing["warm_target_s"],
            )
        )
    sc = sections.get("scale")
    if sc and "error" not in sc:
        rows.append(
            _row(
                "scale",
                f"{sc['documents']} synthetic docs / {sc['chunks']} chunks, {sc['embedder']} "
                "embedder: cold ingest",
                _s(sc["cold_s"]),
                f"{sc['chunks_per_s']} chunks/s, {sc['docs_per_s']} docs/s",
            )
        )
        if sc.get("cold_parts_s"):
            parts = ", ".join(
                f"{k} {v:.1f} s" for k, v in sorted(sc["cold_parts_s"].items(), key=lambda kv: -kv[1])
            )
            rows.append(_row("scale", "where the cold ingest time went", parts))
        rows.append(_row("scale", "peak RSS of the ingest process", _mib(sc["peak_rss_bytes"])))
        rows.append(_row("scale", "store size on disk", _mib(sc["store_bytes"])))
        rows.append(_row("scale", "warm re-ingest (nothing changed)", _s(sc["warm_s"])))
        r = sc.get("retrieval") or {}
        if r.get("error"):
            rows.append(_row("scale", "retrieval measures FAILED", r["error"]))
        elif r:
            n = r["numpy_bruteforce"]
            for key, label in (
                ("dense_search", "dense_search"),
                ("chroma_query_unfiltered", "Chroma query without the `where` filter"),
            ):
                rows.append(
                    _row(
                        "scale",
                        f"{r['records']} chunks: {label} p50 / p95",
                        f"{_ms(r[key]['p50_ms'])} / {_ms(r[key]['p95_ms'])}",
                        f"numpy {_ms(n['p50_ms'])} / {_ms(n['p95_ms'])}",
                        r[key]["p50_ms"] / n["p50_ms"] if n["p50_ms"] else None,
                    )
                )
            if r.get("dense_search_vendor"):
                dv = r["dense_search_vendor"]
                rows.append(
                    _row(
                        "scale",
                        f"dense_search filtered to one vendor ({r['vendor_clauses']} clauses, exact) "
                        "p50 / p95",
                        f"{_ms(dv['p50_ms'])} / {_ms(dv['p95_ms'])}",
                    )
                )
            rows.append(
                _row("scale", "manifest read per query (documents()) p50", _ms(r["manifest_read"]["p50_ms"]))
            )
            rows.append(
                _row(
                    "scale",
                    f"bm25_search p50 / p95 (index build {_s(r['bm25_index_build_s'])})",
                    f"{_ms(r['bm25_search']['p50_ms'])} / {_ms(r['bm25_search']['p95_ms'])}",
                )
            )
            if r.get("retrieve_full"):
                rows.append(
                    _row(
                        "scale",
                        "Assistant.retrieve p50 / p95 (hashing query embedding)",
                        f"{_ms(r['retrieve_full']['p50_ms'])} / {_ms(r['retrieve_full']['p95_ms'])}",
                    )
                )
    q = sections.get("query")
    if q and "error" not in q:
        qe = q["query_embedding"]
        rows.append(
            _row("query", "query embedding (p50 / p95)", f"{_ms(qe['p50_ms'])} / {_ms(qe['p95_ms'])}")
        )
        for size, m in q["sizes"].items():
            n = m["numpy_bruteforce"]
            if m.get("vectors_only"):
                u, vq, vn = m["chroma_query_unfiltered"], m["chroma_query_vendor"], m["numpy_vendor"]
                rows.append(
                    _row(
                        "query",
                        f"{size} ({m['records']} synthetic vectors, no clause text): Chroma "
                        "HNSW query p50 / p95",
                        f"{_ms(u['p50_ms'])} / {_ms(u['p95_ms'])}",
                        f"numpy {_ms(n['p50_ms'])} / {_ms(n['p95_ms'])}",
                        m["ratio_p50"],
                        _recall_note(m),
                    )
                )
                vf = m["vendor_filter"]
                rows.append(
                    _row(
                        "query",
                        f"{size}: filtered to one vendor ({vf['records']} vectors) p50 / p95",
                        f"{_ms(vq['p50_ms'])} / {_ms(vq['p95_ms'])}",
                        f"numpy {_ms(vn['p50_ms'])}",
                        vq["p50_ms"] / vn["p50_ms"] if vn["p50_ms"] else None,
                        _recall_note(m, "_vendor"),
                    )
                )
                rows.append(
                    _row(
                        "query",
                        f"{size}: building the index (Chroma add)",
                        _s(m["build_add_s"]),
                        f"{m['build_records_per_s']} vectors/s",
                    )
                )
                continue
            d = m["dense_search"]
            rows.append(
                _row(
                    "query",
                    f"{size} ({m['records']} vectors): dense_search p50 / p95",
                    f"{_ms(d['p50_ms'])} / {_ms(d['p95_ms'])}",
                    f"numpy {_ms(n['p50_ms'])} / {_ms(n['p95_ms'])}",
                    m["ratio_p50"],
                )
            )
            u = m.get("chroma_query_ids_only") or m["chroma_query_unfiltered"]
            rows.append(
                _row(
                    "query",
                    f"{size}: Chroma HNSW query alone (ids and distances) p50",
                    _ms(u["p50_ms"]),
                    f"numpy {_ms(n['p50_ms'])}",
                    u["p50_ms"] / n["p50_ms"] if n["p50_ms"] else None,
                    _recall_note(m),
                )
            )
            if m.get("bm25_search"):
                b = m["bm25_search"]
                rows.append(
                    _row(
                        "query",
                        f"{size}: bm25_search p50 / p95 (index build {_s(m['bm25_index_build_s'])})",
                        f"{_ms(b['p50_ms'])} / {_ms(b['p95_ms'])}",
                    )
                )
            if m.get("retrieve_full"):
                rf = m["retrieve_full"]
                rows.append(
                    _row(
                        "query",
                        f"{size}: Assistant.retrieve p50 / p95 (embed + dense + BM25 + fusion)",
                        f"{_ms(rf['p50_ms'])} / {_ms(rf['p95_ms'])}",
                        f"query embedding + numpy {_ms(qe['p50_ms'] + n['p50_ms'])}",
                        rf["p50_ms"] / (qe["p50_ms"] + n["p50_ms"]),
                    )
                )
        srv = q.get("server_1x") or {}
        if "dense_search" in srv:
            d, b = srv["dense_search"], srv["bm25_search"]
            x1 = q["sizes"].get("1x", {}).get("dense_search", {})
            rows.append(
                _row(
                    "query",
                    "1x through a Chroma server (HTTP, loopback): dense_search p50 / p95",
                    f"{_ms(d['p50_ms'])} / {_ms(d['p95_ms'])}",
                    f"embedded {_ms(x1.get('p50_ms'))}",
                    d["p50_ms"] / x1["p50_ms"] if x1.get("p50_ms") else None,
                    f"bm25_search p50 {_ms(b['p50_ms'])}",
                )
            )
    a = sections.get("answer")
    if a and "error" not in a:
        for _choice, m in a["models"].items():
            name = f"{m['size']} ({m['worker']['model']})"
            rows.append(
                _row(
                    "answer",
                    f"{name}: first useful content (ranked sentence shown) p50 / total p50 "
                    f"({len(a['questions'])} questions)",
                    f"{_ms(m['first_token_ms_p50'])} / {_ms(m['total_ms_p50'])}",
                )
            )
            if m.get("llm_first_token_ms_p50") is not None:
                rows.append(
                    _row(
                        "answer",
                        f"{name}: first token the model writes (after the checks) p50",
                        _ms(m["llm_first_token_ms_p50"]),
                        "—",
                        None,
                        f"check: first of a question {_ms(m.get('check_first_ms_p50'))}, next "
                        f"(question from the KV cache) {_ms(m.get('check_next_ms_p50'))}",
                    )
                )
            modes = ", ".join(f"{i['mode']}" for i in m["worker"]["items"])
            rows.append(
                _row(
                    "answer",
                    f"{name}: answer modes; model load; first retrieval (cold)",
                    modes,
                    f"load {_s(m['worker']['load_s'])}",
                    None,
                    f"cold retrieve {_s(m['worker'].get('cold_retrieve_s'))}",
                )
            )
            if m.get("raw"):
                tokens = max((c["tokens"] for i in m["worker"]["items"] for c in i["llm_calls"]), default=0)
                enough = tokens >= MIN_DECODE_TOKENS and m["decode_tok_s_median"]
                rows.append(
                    _row(
                        "answer",
                        f"{name}: decode tokens/s in answer()",
                        f"{m['decode_tok_s_median']} tok/s"
                        if enough
                        else f"— (longest generation {tokens} tokens: too short to time)",
                        f"llama.cpp tg{m['raw']['tg_tokens']} {m['raw_tg_tok_s']} tok/s",
                        m.get("ratio_decode_to_raw_tg") if enough else None,
                    )
                )
                rows.append(
                    _row(
                        "answer",
                        f"{name}: llama.cpp prompt processing pp{m['raw']['pp_tokens']}",
                        f"{m['raw_pp_tok_s']} tok/s",
                        "—",
                        None,
                        f"LLM prompt phase in answer() {_s(m['llm_prompt_phase_s_median'])}",
                    )
                )
    mem = sections.get("memory") or (a or {}).get("memory")
    if mem and "error" not in mem:
        rows.append(
            _row(
                "memory",
                f"peak RSS: {mem['what']}",
                _mib(mem["peak_rss_bytes"]),
                _mib(mem["target_bytes"]),
                mem["ratio"],
                "≤ 1.0",
                mem["ok"],
            )
        )
    for name, sec in sections.items():
        if isinstance(sec, dict) and "error" in sec:
            rows.append(_row(name, "FAILED", sec["error"][:200]))
    return rows


def section_provenance(sec: dict[str, Any]) -> dict[str, Any]:
    """A section's provenance (older results carry only `measured_utc`: the rest reads `?`)."""
    prov = dict(sec.get("provenance") or {})
    prov.setdefault("measured_utc", sec.get("measured_utc") or "?")
    return prov


def _when(prov: dict[str, Any]) -> str:
    return str(prov.get("measured_utc", "?")).replace("T", " ").rstrip("Z")


def provenance_lines(sections: dict[str, Any]) -> list[str]:
    """One row per section: when, on which CPU kind, with which llama.cpp build, embedder and dtype."""
    lines = [
        "| section | measured (UTC) | CPU | CPU kind (ISA caps) | llama.cpp build | embedder, dtype, "
        "threads, batch | LLM threads, n_batch | load after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, sec in sections.items():
        if not isinstance(sec, dict):
            continue
        p = section_provenance(sec)
        e, llm = p.get("embedding") or {}, p.get("llm") or {}
        kind = p.get("cpu_kind", "?") + (f" ({p['capped_by']})" if p.get("capped_by") else "")
        emb = f"{e.get('model', '?')}, {e.get('dtype', '?')}, {e.get('threads', '?')}, {e.get('batch_size', '?')}"
        lines.append(
            f"| {name} | {_when(p)} | {p.get('cpu', '?')} | {kind} | {p.get('llama_flavour', '?')} | "
            f"{emb} | {llm.get('n_threads', '?')}, {llm.get('n_batch', '?')} | "
            f"{p.get('loadavg_after', sec.get('loadavg_after', '?'))} |"
        )
    return lines


def to_markdown(results: dict[str, Any]) -> str:
    """The human report: what was measured, on what, and the summary table."""
    meta = results["meta"]
    m = meta["machine"]
    cpu_line = (
        f"- CPU kind {m['cpu_kind']} ({m.get('isa', '?')}"
        + (f", capped by {m['capped_by']}" if m.get("capped_by") else "")
        + f"), llama.cpp build {m.get('llama_flavour', '?')}; flags: {' '.join(m.get('flags', []))}"
        if m.get("cpu_kind")
        else "- CPU kind and flags: not recorded (results from before provenance)"
    )
    lines = [
        f"# Bench results ({'quick' if meta['quick'] else 'full'} run)",
        "",
        f"- date (UTC): {meta['started_utc']}, duration {meta['duration_s']:.0f} s, commit {meta['commit']}",
        f"- machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, "
        f"{meta['machine']['ram_gib']} GiB RAM, load average at start "
        f"{meta['machine']['loadavg_at_start']} (shared machine: timings are noisy)",
        cpu_line,
        f"- sections: {', '.join(meta['sections'])}",
        *(
            [f"- settings overrides: {meta['settings_overrides']}"]
            if meta.get("settings_overrides") and not meta.get("combined_from")
            else []
        ),
        *[f"- from {src}" for src in meta.get("combined_from") or []],
        "",
        "Each ratio is the value over its limit measured in the same run (lower is better; 1.0 = at the limit).",
        "",
        "| section | measure | value | limit (same run) | ratio | target | status | measured (UTC), CPU kind |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["summary"]:
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        p = section_provenance(results["sections"].get(r["section"]) or {})
        lines.append(
            f"| {r['section']} | {r['measure']} | {r['value']} | {r['limit']} | {ratio} | "
            f"{r['target']} | {r['status']} | {_when(p)}, {p.get('cpu_kind', '?')} |"
        )
    lines += ["", "## Provenance of each section", "", *provenance_lines(results["sections"])]
    notes = list(dict.fromkeys(meta.get("notes") or []))
    sc = results["sections"].get("scale")
    if sc and "embedder_note" in sc:
        notes.append(f"scale: {sc['embedder_note']}.")
    q = results["sections"].get("query")
    if q and "vectors" in q:
        notes.append(f"query: {q['vectors']}; k = {q['k']}, {q['questions']} questions × {q['repeat']}.")
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"
