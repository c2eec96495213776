"""`python -m ingest`: see ingest/cli.py."""

from core.runtime import apply_offline_defaults

# Offline and quiet before sentence-transformers or chromadb are imported.
apply_offline_defaults()

from ingest.cli import main  # noqa: E402

raise SystemExit(main())
