"""`python -m assistant diff OLD_FILE NEW_FILE [--json | --md]`: compare two versions of a document;
`python -m assistant diff --vendor SLUG --document NAME [--from V] [--to V]`: two stored versions."""

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
  python -m assistant diff --vendor basecamp --document terms-of-service.md          (the two latest)
  python -m assistant diff --vendor basecamp --document data-processing-addendum --from 2021 --json
versions: python -m ingest --versions SLUG lists them; --from/--to take a label, a prefix of one, or current
exit status: 0 when compared (with --exit-code: 1 when anything changed), 2 when a file cannot be read or
the vendor, document or version is not in the store
"""


def add_diff_parser(sub: Any) -> None:
    """The `diff` subcommand's arguments."""
    d = sub.add_parser(
        "diff",
        help="what changed between two versions of a document, clause by clause",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.add_argument("old_file", metavar="OLD_FILE", nargs="?", help="the older file (first form)")
    d.add_argument("new_file", metavar="NEW_FILE", nargs="?", help="the newer file (first form)")
    d.add_argument("--vendor", metavar="SLUG", help="second form: a vendor of the store")
    d.add_argument(
        "--document", metavar="NAME", help="second form: the vendor's document (path, file or stem)"
    )
    d.add_argument(
        "--from", dest="from_version", metavar="VERSION", help="older version (default: the one before --to)"
    )
    d.add_argument(
        "--to", dest="to_version", metavar="VERSION", help="newer version (default: the current one)"
    )
    d.add_argument("--settings", default=None, help="settings YAML for the store (second form)")
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
    from core.errors import first_line
    from ingest.loaders import LoadError

    stored = bool(args.vendor or args.document)
    if (
        stored == bool(args.old_file or args.new_file)
        or (stored and not (args.vendor and args.document))
        or (not stored and not (args.old_file and args.new_file))
    ):
        print(
            "error: give OLD_FILE NEW_FILE, or --vendor SLUG --document NAME (python -m assistant diff -h)",
            file=sys.stderr,
        )
        return 2
    topics = _topics(args.topics_file)
    if stored:
        return _stored_main(args, topics)
    versions = []
    for name in (args.old_file, args.new_file):
        try:
            versions.append(read_version(Path(name)))
        except LoadError as exc:
            print(f"error: {name}: {first_line(exc)}", file=sys.stderr)
            return 2
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
    return _print(result, args)


def _topics(path: str | None) -> dict[str, tuple[str, ...]]:
    """The topic keywords, or none (with a warning) when the topics file cannot be read."""
    from core.errors import first_line

    try:
        return load_topic_keywords(Path(path) if path else None)
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        print(f"warning: topics not matched ({type(exc).__name__}: {first_line(exc)})", file=sys.stderr)
        return {}


def _print(result: Any, args: argparse.Namespace) -> int:
    from assistant.diff.render import to_markdown

    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(to_markdown(result))
    return 1 if args.exit_code and result.changes else 0


def _stored_main(args: argparse.Namespace, topics: dict[str, tuple[str, ...]]) -> int:
    """The second form: two stored versions of a vendor's document, read from the store (embedded or a
    Chroma server); exit 2 with one line naming what exists when the vendor, document or version is not."""
    from assistant.diff.stored import VersionError, diff_versions, find_document, pick_pair
    from core.errors import first_line
    from core.settings import load_settings
    from vectorstore.store import ClauseStore, describe_store

    settings = load_settings(args.settings)
    try:
        store = ClauseStore(settings)
        document = find_document(store, args.vendor, args.document)
        pair = pick_pair(store, document, args.from_version, args.to_version)
    except VersionError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        print(f"error: cannot read the {describe_store(settings)}: {first_line(exc)}", file=sys.stderr)
        return 4
    return _print(diff_versions(store, pair, topics, settings.chunking), args)
