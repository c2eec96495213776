"""Command line: ask a question, print the answer and its numbered citations (or the ask JSON).

The composition root of the command line, and the one module of assistant/ that imports the review grid
(which sits above the engine): it runs `review` and gives the engine `grid_answer` as its shortcut."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

EPILOG = """examples:
  python -m assistant ask "How quickly must Humanlinker notify a data breach?"
  python -m assistant ask "Quel est le plafond de responsabilité ?" --vendor boost-my-mail
  python -m assistant ask "Which vendors host data outside the EU?" --json --fast
  python -m assistant review --vendor humanlinker --topic breach_notification --json
  python -m assistant review --lang fr --md > grille.md
  python -m assistant diff terms-2022-12-22.md terms-2023-01-10.md --json
  python -m assistant diff --vendor basecamp --document terms-of-service.md --from 2021
  python -m assistant ask "What did the DPA say about breaches?" --vendor basecamp --version 2020-10
"""


def _offline_env() -> None:
    """Before heavy imports: no hub downloads, no telemetry, passive OpenMP waits."""
    from core.runtime import apply_offline_defaults

    apply_offline_defaults()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m assistant",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser(
        "ask",
        help="answer one question with verified citations",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    a.add_argument("question")
    a.add_argument(
        "--vendor", action="append", default=None, metavar="SLUG", help="restrict to this vendor (repeatable)"
    )
    a.add_argument("--json", action="store_true", help="print the Answer JSON (spec: interfaces.md)")
    a.add_argument("--fast", action="store_true", help="use the fast (0.5B) local model")
    a.add_argument("--compare", action="store_true", help="one answer per vendor (with --vendor ...)")
    a.add_argument("--settings", default=None, help="settings YAML (default: CQA_SETTINGS or config/)")
    a.add_argument("--no-stream", action="store_true", help="print the answer only when complete")
    a.add_argument(
        "--version",
        metavar="LABEL",
        help="answer from this older version of a document (with one --vendor; python -m ingest --versions)",
    )
    a.add_argument("--document", metavar="NAME", help="with --version: the document (path, file or stem)")
    r = sub.add_parser(
        "review",
        help="the vendor review grid: every vendor x every topic, cited (cached)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument(
        "--vendor", action="append", default=None, metavar="SLUG", help="only this vendor (repeatable)"
    )
    r.add_argument(
        "--topic", action="append", default=None, metavar="KEY", help="only this topic (repeatable)"
    )
    r.add_argument("--lang", choices=("en", "fr"), default="en", help="language of questions and answers")
    fmt = r.add_mutually_exclusive_group()
    fmt.add_argument(
        "--json", action="store_true", help="print the grid JSON (spec: interfaces.md, Review grid)"
    )
    fmt.add_argument("--csv", action="store_true", help="print one CSV line per cell, quotes included")
    fmt.add_argument("--md", action="store_true", help="print a Markdown report with the quotes")
    r.add_argument("--topics-file", default=None, help="topics YAML (default config/review_topics.yaml)")
    r.add_argument(
        "--requirements",
        default=None,
        help="requirements YAML (default: CQA_REQUIREMENTS, config/requirements.yaml, or the example)",
    )
    r.add_argument("--cached-only", action="store_true", help="compute nothing: print what the cache holds")
    r.add_argument("--fast", action="store_true", help="use the fast (0.5B) local model")
    r.add_argument("--settings", default=None, help="settings YAML (default: CQA_SETTINGS or config/)")
    from assistant.diff.cli import add_diff_parser

    add_diff_parser(sub)
    return p


def format_citations(answer: object) -> str:
    """Numbered citations: vendor, document, section and the verbatim quote."""
    lines = []
    for c in getattr(answer, "citations", []):
        where = " | ".join(x for x in (c.vendor_name, c.document, c.section) if x)
        quote = " ".join(c.quote.split())
        lines.append(f"[{c.n}] {where} ({c.start}-{c.end})\n    « {quote} »")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    _offline_env()
    args = build_parser().parse_args(argv)
    if args.command == "diff":
        from assistant.diff.cli import diff_main

        return diff_main(args)
    from core.settings import load_settings
    from core.types import Answer

    overrides: dict[str, Any] = {"llm.choice": "fast"} if args.fast else {}
    settings = load_settings(args.settings, **overrides)
    logging.basicConfig(level=settings.log_level, stream=sys.stderr)
    if args.command == "review":
        return review_main(args, settings)
    from assistant.pipeline import Assistant
    from core.settings import settings_line
    from review import grid_answer
    from vectorstore.embeddings import embedder_name

    print(
        settings_line(settings, embedder_name(settings.embedding)), file=sys.stderr
    )  # the CPU and what was chosen for it (stdout stays clean)

    asst = Assistant(settings, shortcut=grid_answer)
    try:
        empty = asst.store.count() == 0
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        from core.errors import first_line
        from vectorstore.store import describe_store

        print(
            f"error: cannot open the {describe_store(settings)}: {type(exc).__name__}: {first_line(exc)}",
            file=sys.stderr,
        )
        return 4
    if empty:
        print("The document store is empty: run `python -m ingest` first.", file=sys.stderr)
        return 2
    ans: Answer | None = None
    if args.version:
        ans = _from_version(asst, args)
        if ans is None:
            return 2
    elif args.compare:
        if not args.vendor or len(args.vendor) < 2:
            print("--compare needs at least two --vendor SLUG", file=sys.stderr)
            return 2
        ans = asst.compare(args.question, args.vendor)
    elif args.json or args.no_stream or not sys.stdout.isatty():
        ans = asst.answer(args.question, vendors=args.vendor)
    else:
        from assistant.events import Progress, Shown

        for item in asst.stream(args.question, vendors=args.vendor):
            if isinstance(item, Answer):
                ans = item
            elif isinstance(item, Progress):
                print(f"… {item.message or item.stage}", file=sys.stderr, flush=True)
            elif isinstance(item, Shown) and item.stage == "draft":
                print(f"(best clause found, being checked)\n{item.text}\n", flush=True)
        assert ans is not None
        print(ans.answer)
        print(_footer(ans))
        return 0
    assert ans is not None
    if args.json:
        print(json.dumps(ans.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(ans.answer)
    print(_footer(ans))
    return 0


def _from_version(asst: Any, args: argparse.Namespace) -> Any:
    """`ask --version LABEL`: the answer over that older version's clauses (built on demand); None after
    printing one error line when the vendor, document or version is not in the store."""
    from assistant.diff.stored import VersionError
    from assistant.past import resolve_version

    if not args.vendor or len(args.vendor) != 1:
        print("error: --version needs exactly one --vendor SLUG", file=sys.stderr)
        return None
    try:
        document, version = resolve_version(asst.store, args.vendor[0], args.version, args.document)
    except VersionError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return None
    return asst.answer_version(args.question, document, version)


def _footer(ans: object) -> str:
    cites = format_citations(ans)
    mode = getattr(ans, "mode", "")
    t = getattr(ans, "timings_ms", {})
    conf = getattr(ans, "confidence", None)
    why = getattr(ans, "explanation", "")
    tail = (
        f"\n({mode}{f'; confidence {conf:.2f}' if conf is not None else ''}; "
        f"{t.get('total', 0) / 1000:.1f} s)" + (f"\nWhy: {why}" if why else "")
    )
    return ("\n" + cites if cites else "") + tail


def review_main(args: argparse.Namespace, settings: Any) -> int:
    """`review`: fill the grid (cache first, then the model for what it lacks; progress on stderr), colour
    it by the requirements, print it as a table, JSON, CSV or Markdown."""
    import review
    from assistant.pipeline import Assistant
    from assistant.requirements import RequirementError, apply_requirements, load_requirements

    try:
        topics = review.load_topics(args.topics_file)
        reqs = load_requirements(args.requirements)
    except (review.TopicError, RequirementError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:  # the figure parser is missing: show the grid uncoloured
        print(f"warning: requirements not checked ({exc})", file=sys.stderr)
        reqs = {}
    asst = Assistant(settings)
    if asst.store.count() == 0:
        print("The document store is empty: run `python -m ingest` first.", file=sys.stderr)
        return 2
    builder = review.GridBuilder(asst, topics=topics)

    def progress(p: review.Progress, status: str) -> None:
        if status != "start":
            print(f"[{p.done}/{p.total}] {p.current}: {status}", file=sys.stderr, flush=True)

    try:
        if args.cached_only:
            grid = builder.cached(args.vendor, args.topic, args.lang)
        else:
            grid = builder.build(args.vendor, args.topic, args.lang, on_progress=progress)
            print(f"review grid: {builder.progress.line()}", file=sys.stderr)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    out = review.flag_changed_cells(apply_requirements(grid.to_json(), reqs), asst.store)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    elif args.csv:
        sys.stdout.write(review.grid_csv(out))
    elif args.md:
        sys.stdout.write(review.grid_markdown(out))
    else:
        for rec in review.grid_records(out):
            mark = f" [{rec['requirement']}]" if rec["requirement"] else ""
            print(f"{rec['vendor_name']} | {rec['label']}{mark}: {' '.join(str(rec['answer']).split())}")
    return 1 if builder.progress.failed else 0
