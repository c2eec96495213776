"""Command line: ask a question, print the answer and its numbered citations (or the ask JSON)."""

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
"""


def _offline_env() -> None:
    """Before heavy imports: no hub downloads, no telemetry, passive OpenMP waits."""
    from core.runtime import apply_offline_defaults

    apply_offline_defaults()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m assistant", description=__doc__, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("ask", help="answer one question with verified citations", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("question")
    a.add_argument("--vendor", action="append", default=None, metavar="SLUG",
                   help="restrict to this vendor (repeatable)")
    a.add_argument("--json", action="store_true", help="print the Answer JSON (spec: interfaces.md)")
    a.add_argument("--fast", action="store_true", help="use the fast (0.5B) local model")
    a.add_argument("--compare", action="store_true", help="one answer per vendor (with --vendor ...)")
    a.add_argument("--settings", default=None, help="settings YAML (default: CQA_SETTINGS or config/)")
    a.add_argument("--no-stream", action="store_true", help="print the answer only when complete")
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
    from core.settings import load_settings
    from core.types import Answer

    overrides: dict[str, Any] = {"llm.choice": "fast"} if args.fast else {}
    settings = load_settings(args.settings, **overrides)
    logging.basicConfig(level=settings.log_level, stream=sys.stderr)
    from assistant.pipeline import Assistant

    asst = Assistant(settings)
    try:
        empty = asst.store.count() == 0
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        from core.errors import first_line
        from vectorstore.store import describe_store

        print(f"error: cannot open the {describe_store(settings)}: {type(exc).__name__}: {first_line(exc)}",
              file=sys.stderr)
        return 4
    if empty:
        print("The document store is empty: run `python -m ingest` first.", file=sys.stderr)
        return 2
    ans: Answer | None = None
    if args.compare:
        if not args.vendor or len(args.vendor) < 2:
            print("--compare needs at least two --vendor SLUG", file=sys.stderr)
            return 2
        ans = asst.compare(args.question, args.vendor)
    elif args.json or args.no_stream or not sys.stdout.isatty():
        ans = asst.answer(args.question, vendors=args.vendor)
    else:
        for item in asst.stream(args.question, vendors=args.vendor):
            if isinstance(item, Answer):
                ans = item
            else:
                sys.stdout.write(item)
                sys.stdout.flush()
        sys.stdout.write("\n")
        assert ans is not None
        print(_footer(ans))
        return 0
    assert ans is not None
    if args.json:
        print(json.dumps(ans.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(ans.answer)
    print(_footer(ans))
    return 0


def _footer(ans: object) -> str:
    cites = format_citations(ans)
    mode = getattr(ans, "mode", "")
    t = getattr(ans, "timings_ms", {})
    tail = f"\n({mode}; {t.get('total', 0) / 1000:.1f} s)"
    return ("\n" + cites if cites else "") + tail
