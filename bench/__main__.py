"""`python -m bench [--quick] [--only SECTION ...]`: measure ingest, scale, query, answer and memory on
this machine, each against a limit measured in the same run; write JSON and Markdown results.

Results go to one file per CPU kind, bench/results/<cpu-kind>.{json,md} (`python -m core.hardware kind`:
e.g. amd-epyc-avx512-bf16, or amd-epyc-avx2-capped under ATEN_CPU_CAPABILITY/ONEDNN_MAX_CPU_ISA caps),
and are copied to latest.{json,md}. A run with --only keeps that kind's other sections; every section
carries its own provenance (CPU model, kind and flags, llama.cpp build, embedder and dtype, when).

Examples:
    python -m bench                 # everything (about 12 minutes on 2 cores)
    python -m bench --quick         # small sizes, a few minutes (<cpu-kind>-quick)
    python -m bench --only query --only ingest
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.runtime import apply_offline_defaults

SECTIONS = ("ingest", "query", "scale", "answer", "memory")
RESULTS_DIR = Path(__file__).resolve().parent / "results"

log = logging.getLogger("bench")


def _git_commit() -> str:
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                cwd=Path(__file__).resolve().parent.parent,
                timeout=10,
            ).stdout.strip()
            or "?"
        )
    except (OSError, subprocess.SubprocessError):
        return "?"


def run_bench(
    sections: list[str],
    quick: bool,
    workdir: Path,
    settings_overrides: dict[str, Any] | None = None,
    on_section: Callable[[dict[str, Any]], None] | None = None,
    previous: dict[str, Any] | None = None,
    reuse_store: Path | None = None,
    scale_docs: int | None = None,
    query_factors: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    """Run the chosen sections in order and return the results document (meta, sections, summary).

    `on_section` gets the document so far after each section (so an interrupted run keeps its numbers);
    `previous` sections (from an earlier run, `--merge`) are kept unless run again."""
    from bench import answer_bench, ingest_bench, query_bench, scale_bench
    from bench.context import BenchContext
    from bench.measure import machine_info, provenance
    from bench.report import summary_rows
    from core.settings import load_settings

    settings = load_settings(**(settings_overrides or {}))
    ctx = BenchContext(
        settings=settings, workdir=workdir, quick=quick, reuse_store=reuse_store, query_factors=query_factors
    )
    started = time.time()
    meta: dict[str, Any] = {
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "quick": quick,
        "sections": sections,
        "commit": _git_commit(),
        "machine": machine_info(),
        "notes": ctx.notes,
    }
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "ingest": lambda: ingest_bench.run(ctx),
        "query": lambda: query_bench.run(ctx),
        "scale": lambda: scale_bench.run(ctx, n_docs=scale_docs),
        "answer": lambda: answer_bench.run(ctx),
        "memory": lambda: answer_bench.run(ctx, memory_only=True)["memory"],
    }
    out: dict[str, Any] = dict((previous or {}).get("sections") or {})
    for name in sections:
        out.pop(name, None)
    meta["settings_overrides"] = settings_overrides or {}

    def document() -> dict[str, Any]:
        meta["duration_s"] = round(time.time() - started, 1)
        ordered = {k: out[k] for k in SECTIONS if k in out}
        return {"meta": meta, "sections": ordered, "summary": summary_rows(ordered)}

    for name in sections:
        if name == "memory" and "memory" in out.get("answer", {}):
            # the answer section's 1.5B process is the page's footprint: measured when that section was
            out["memory"] = {
                **out["answer"]["memory"],
                **{
                    k: out["answer"][k]
                    for k in ("measured_utc", "loadavg_after", "provenance")
                    if k in out["answer"]
                },
                "from_section": "answer",
            }
            continue
        log.info("bench: %s ...", name)
        t = time.perf_counter()
        try:
            out[name] = runners[name]()
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: keep what the section measured so far
            log.error("bench section %s interrupted: keeping its partial results", name)
            out[name] = {**ctx.extra.get(f"partial_{name}", {}), "interrupted": True}
            out[name]["section_s"] = round(time.perf_counter() - t, 2)
            meta["notes"].append(
                f"section {name} was interrupted after {out[name]['section_s']:.0f} s: partial results"
            )
            if on_section:
                on_section(document())
            break
        except Exception as exc:  # noqa: BLE001 - one failing section must not lose the others' numbers
            log.error("bench section %s failed: %s", name, exc)
            out[name] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        out[name]["section_s"] = round(time.perf_counter() - t, 2)
        out[name]["provenance"] = provenance(settings)
        out[name]["measured_utc"] = out[name]["provenance"]["measured_utc"]
        out[name]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        log.info("bench: %s done in %.1f s", name, out[name]["section_s"])
        if on_section:
            on_section(document())
    if quick:
        meta["notes"].append(
            "quick run: 2-document corpus, 10x instead of 100x/1000x, 200 synthetic documents, "
            "1 question, pp128/tg32"
        )
    if previous:
        kept = ", ".join(
            f"{k} (measured {out[k].get('measured_utc', '?')})" for k in out if k not in sections
        )
        if kept:
            meta["notes"].append(f"kept from the earlier run of this CPU kind: {kept}")
    return document()


def write_results(results: dict[str, Any], out_dir: Path, name: str) -> tuple[Path, Path]:
    """Write NAME.json and NAME.md under out_dir."""
    from bench.report import to_markdown

    out_dir.mkdir(parents=True, exist_ok=True)
    js, md = out_dir / f"{name}.json", out_dir / f"{name}.md"
    js.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    md.write_text(to_markdown(results), encoding="utf-8")
    return js, md


def combine(names: list[str], out_dir: Path) -> dict[str, Any]:
    """One results document from the sections of several runs (later files win for a section).

    Each section carries its own limit, measured in the same run as its value, so ratios stay valid."""
    from bench.report import summary_rows

    docs = [json.loads((out_dir / f"{n}.json").read_text(encoding="utf-8")) for n in names]
    sections: dict[str, Any] = {}
    sources = []
    for n, d in zip(names, docs, strict=True):
        sections.update(d["sections"])
        over = d["meta"].get("settings_overrides") or {}
        extra = f", settings overrides {over}" if over else ""
        sources.append(
            f"{n}.json ({d['meta']['started_utc']}, {', '.join(d['sections'])}"
            f"{', quick' if d['meta']['quick'] else ''}{extra})"
        )
    ordered = {k: sections[k] for k in SECTIONS if k in sections}
    meta = dict(docs[0]["meta"])
    meta.update(
        {
            "sections": list(ordered),
            "quick": any(d["meta"]["quick"] for d in docs),
            "duration_s": sum(d["meta"]["duration_s"] for d in docs),
            "combined_from": sources,
            "notes": [n for d in docs for n in d["meta"].get("notes", [])]
            + [f"combined from separate runs: {'; '.join(sources)}"],
        }
    )
    return {"meta": meta, "sections": ordered, "summary": summary_rows(ordered)}


def same_kind(results: dict[str, Any], kind: str) -> dict[str, Any]:
    """The sections of earlier results measured on this CPU kind (never mix CPUs in one file; sections
    without provenance are dropped too)."""
    return {
        "sections": {
            k: v
            for k, v in (results.get("sections") or {}).items()
            if isinstance(v, dict) and (v.get("provenance") or {}).get("cpu_kind") == kind
        }
    }


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="small sizes: a few minutes instead of ~12")
    p.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        metavar="SECTION",
        help=f"run only this section (repeatable): {', '.join(SECTIONS)}",
    )
    p.add_argument("--out", type=Path, default=RESULTS_DIR, help="results folder (default bench/results)")
    p.add_argument(
        "--name",
        help="results file name without extension (default: this CPU's kind, <kind>-quick with --quick)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="settings override, e.g. --set embedding.kind=hashing (recorded in the results)",
    )
    p.add_argument(
        "--merge",
        action="store_true",
        help="keep the other sections of an existing NAME.json (each section has its own limit); "
        "the default for this CPU kind's own file",
    )
    p.add_argument(
        "--fresh", action="store_true", help="do not keep the sections of an existing results file"
    )
    p.add_argument(
        "--combine",
        nargs="+",
        metavar="RUN",
        help="measure nothing: merge the sections of earlier runs RUN.json into NAME.json",
    )
    p.add_argument(
        "--store",
        type=Path,
        metavar="DIR",
        help="start the answer/query sections from a copy of this store of the sample corpus "
        "(ingested with the same embedder) instead of embedding it again",
    )
    p.add_argument(
        "--scale-docs",
        type=int,
        metavar="N",
        help="synthetic documents for the scale section (default 2000; 200 with --quick)",
    )
    p.add_argument(
        "--query-factors",
        type=int,
        nargs="*",
        metavar="N",
        help="scaled corpus copies for the query section (default 100 1000; 10 with --quick; "
        "none: the sample corpus only, for the query embedding and 1x figures)",
    )
    p.add_argument("--keep-workdir", action="store_true", help="keep the temporary stores for inspection")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    apply_offline_defaults()
    signal.signal(signal.SIGTERM, _interrupt)
    sections = [s for s in SECTIONS if s in (args.only or SECTIONS)]
    from core.hardware import current

    kind = current().kind
    name = args.name or (f"{kind}-quick" if args.quick else kind)
    if args.combine:
        results = combine(args.combine, args.out)
        js, md = write_results(results, args.out, args.name or "latest")
        print(md.read_text(encoding="utf-8"))
        return 0
    overrides = dict(kv.split("=", 1) for kv in args.set)
    previous = None
    if (args.merge or name.startswith(kind)) and not args.fresh and (args.out / f"{name}.json").exists():
        previous = same_kind(json.loads((args.out / f"{name}.json").read_text(encoding="utf-8")), kind)
    workdir = Path(tempfile.mkdtemp(prefix="contract-qa-bench-"))
    try:
        results = run_bench(
            sections,
            args.quick,
            workdir,
            overrides,
            on_section=lambda doc: write_results(doc, args.out, name),
            previous=previous,
            reuse_store=args.store,
            scale_docs=args.scale_docs,
            query_factors=tuple(args.query_factors) if args.query_factors is not None else None,
        )
    finally:
        if args.keep_workdir:
            print(f"work folder kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    js, md = write_results(results, args.out, name)
    if not args.name:
        write_results(results, args.out, "latest")
    print(md.read_text(encoding="utf-8"))
    print(f"written: {js} and {md}" + ("" if args.name else " (copied to latest.json/.md)"), file=sys.stderr)
    return 1 if any("error" in s for s in results["sections"].values() if isinstance(s, dict)) else 0


if __name__ == "__main__":
    sys.exit(main())
