"""`python -m assistant diff OLD_FILE NEW_FILE [--json | --md]`: compare two versions of a document."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import yaml

from core.settings import PROJECT_ROOT

TOPICS_FILE = PROJECT_ROOT / "config" / "review_topics.yaml"
EPILOG = """examples:
  python -m assistant diff terms-2022-12-22.md terms-2023-01-10.md
  python -m assistant diff dpa-2021-09.pdf dpa-2022-12.pdf --json > changes.json
exit status: 0 when compared (with --exit-code: 1 when anything changed), 2 when a file cannot be read
"""


def add_diff_parser(sub: Any) -> None:
    """The `diff` subcommand's arguments."""
    d = sub.add_parser(
        "diff",
        help="what changed between two versions of a document, clause by clause",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.add_argument("old_file", metavar="OLD_FILE")
    d.add_argument("new_file", metavar="NEW_FILE")
    fmt = d.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the changes as JSON (spec: interfaces.md)")
    fmt.add_argument("--md", action="store_true", help="print a Markdown report with a redline (the default)")
    d.add_argument(
        "--topics-file", default=None, help="review topics YAML (default config/review_topics.yaml)"
    )
    d.add_argument("--exit-code", action="store_true", help="exit 1 when the versions differ (as diff(1))")


def load_topic_keywords(path: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Review-grid topic keys with their keywords in every language, from the topics YAML."""
    data = yaml.safe_load((path or TOPICS_FILE).read_text(encoding="utf-8")) or {}
    out: dict[str, tuple[str, ...]] = {}
    for key, entry in (data.get("topics") or {}).items():
        kw = entry.get("keywords") if isinstance(entry, dict) else None
        if isinstance(kw, dict):
            out[str(key)] = tuple(str(w) for words in kw.values() for w in (words or []))
    return out


def diff_main(args: argparse.Namespace) -> int:
    """Read both files as ingest does, compare them, print JSON or Markdown; one error line and exit 2
    when a file cannot be read."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # recoverable PDF quirks: not the reader's concern
    from assistant.diff import diff_texts
    from assistant.diff.load import read_version
    from assistant.diff.render import to_markdown
    from core.errors import first_line
    from ingest.loaders import LoadError

    versions = []
    for name in (args.old_file, args.new_file):
        try:
            versions.append(read_version(Path(name)))
        except LoadError as exc:
            print(f"error: {name}: {first_line(exc)}", file=sys.stderr)
            return 2
    try:
        topics = load_topic_keywords(Path(args.topics_file) if args.topics_file else None)
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        print(f"warning: topics not matched ({type(exc).__name__}: {first_line(exc)})", file=sys.stderr)
        topics = {}
    old, new = versions
    result = diff_texts(
        old.text,
        new.text,
        old_name=args.old_file,
        new_name=args.new_file,
        old_version=old.label,
        new_version=new.label,
        topics=topics,
    )
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(to_markdown(result))
    return 1 if args.exit_code and result.changes else 0
