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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from core.settings import load_settings

    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    if args.show:
        return _show(settings, args.show)

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
