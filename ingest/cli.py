"""Command line for the ingest pipeline (thin: argument parsing and output only)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.settings import Settings

EPILOG = """examples:
  python -m ingest                               ingest the whole corpus (only what changed)
  python -m ingest data/contracts/boost-my-mail  ingest one vendor's folder
  python -m ingest --prune                       also remove documents deleted from the corpus
  python -m ingest --rebuild                     drop the store and re-embed everything
  python -m ingest --show boost-my-mail/cgs.txt  print the decoded text that offsets index
  python -m ingest --check                       verify the store against the corpus and repair it
  python -m ingest --versions basecamp           list each document's kept versions (label, sha256, size)

versions: files named with a date or version suffix (terms-2021-09-27.md, dpa-2020-07.pdf, cgv-v2.txt)
beside a file of the same name, or listed under `versions:` in vendor.yaml, are earlier versions of that
document; a document whose file changed keeps its previous text too. Compare two with
`python -m assistant diff --vendor SLUG --document NAME`.

settings: config/settings.yaml (CQA_SETTINGS=file), CORPUS_DIR, STORE_DIR, VECTORSTORE_URL,
EMBEDDING_KIND, CHUNK_MAX_TOKENS ... (see the file)."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ingest",
        description=(
            "Load contracts (txt, md, html, pdf, docx), repair their text, split them into clauses along "
            "their own structure, embed and store them. Incremental: unchanged documents are skipped."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files or folders inside the corpus (default: the whole corpus)",
    )
    p.add_argument("--prune", action="store_true", help="remove documents no longer in the corpus")
    p.add_argument("--rebuild", action="store_true", help="drop the store and ingest everything again")
    p.add_argument(
        "--show",
        metavar="DOCUMENT",
        help="print a document's decoded text exactly (from the store if ingested)",
    )
    p.add_argument(
        "--check", action="store_true", help="verify the store against the corpus and repair what is wrong"
    )
    p.add_argument(
        "--versions",
        nargs="?",
        const="",
        metavar="SLUG",
        help="list each document's versions: label, sha256, characters, ingest time (one vendor's with SLUG)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument(
        "--lock-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for another ingest to finish (default 60)",
    )
    return p


def _show(settings: Settings, document: str) -> int:
    """Print the decoded text that offsets index: from the store if ingested, else decoded from the file."""
    from ingest.document import decode_document
    from ingest.loaders import LoadError
    from vectorstore.store import ClauseStore

    document = document.replace("\\", "/").strip("/")
    try:
        text = ClauseStore(settings).document_text(document)
    except KeyError:
        path = (settings.corpus_dir / document).resolve()
        if not path.is_relative_to(settings.corpus_dir.resolve()) or not path.is_file():
            print(f"error: {document} is neither in the store nor in the corpus", file=sys.stderr)
            return 2
        try:
            text = decode_document(settings, document, path).text
        except LoadError as exc:
            print(f"error: {document}: {exc}", file=sys.stderr)
            return 2
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


def _versions(settings: Settings, vendor: str, as_json: bool) -> int:
    """Print every document's versions, oldest first, the current one last (exit 2 for an unknown vendor)."""
    from vectorstore.store import ClauseStore

    store = ClauseStore(settings)
    if vendor and vendor not in store.vendors():
        known = ", ".join(sorted(store.vendors())) or "none: run python -m ingest"
        print(f"error: vendor {vendor!r} is not in the store (vendors: {known})", file=sys.stderr)
        return 2
    listing = store.all_versions([vendor] if vendor else None)
    if as_json:
        out = [{"document": d, "versions": [v.to_json() for v in vs]} for d, vs in listing.items()]
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    for document, vs in listing.items():
        print(document)
        for v in vs:
            mark = "  current" if v.current else ""
            source = f"  from {v.source}" if v.source and v.source != document else ""
            print(f"  {v.label:<14} {v.sha256[:12]}  {v.chars:>8} chars  {v.ingested_at}{mark}{source}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from core.settings import load_settings

    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    if args.show:
        return _show(settings, args.show)
    if args.versions is not None:
        return _versions(settings, args.versions, args.json)

    from core.settings import settings_line
    from ingest.check import check_store
    from ingest.pipeline import IngestLockedError, run_ingest
    from vectorstore.embeddings import embedder_name

    print(settings_line(settings, embedder_name(settings.embedding)), file=sys.stderr)
    progress = not args.no_progress
    try:
        if args.check:
            chk = check_store(settings, repair=True, progress=progress)
            for doc, reasons in sorted(chk.problems.items()):
                print(f"{doc}: {'; '.join(reasons)}", file=sys.stderr)
            if chk.orphans:
                print(f"{chk.orphans} stale clause records", file=sys.stderr)
            if chk.ok:
                print("store is consistent with the corpus", file=sys.stderr)
            elif chk.repaired is not None:
                chk.repaired.render()
            if args.json:
                print(
                    json.dumps(
                        {
                            "ok": chk.ok,
                            "problems": chk.problems,
                            "orphans": chk.orphans,
                            "repaired": chk.repaired.to_json() if chk.repaired else None,
                        },
                        indent=2,
                    )
                )
            return 0 if chk.ok or chk.repaired is not None and chk.repaired.exit_code == 0 else 1
        report = run_ingest(
            settings,
            paths=args.paths or None,
            prune=args.prune,
            rebuild=args.rebuild,
            progress=progress,
            lock_timeout=args.lock_timeout,
        )
    except IngestLockedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        from core.errors import first_line
        from vectorstore.store import describe_store

        logging.getLogger(__name__).debug("ingest failed", exc_info=True)
        print(
            f"error: {type(exc).__name__} with the {describe_store(settings)}: {first_line(exc)}"
            + ("" if settings.vectorstore_url else " (try: python -m ingest --check)"),
            file=sys.stderr,
        )
        return 4
    report.render()
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    return report.exit_code
