"""`python -m ingest`: see ingest/cli.py."""

import os

# Offline and quiet before sentence-transformers or chromadb are imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from ingest.cli import main  # noqa: E402

raise SystemExit(main())
