"""`python -m evals run|compare` (see evals/cli.py)."""

from core.runtime import apply_offline_defaults

apply_offline_defaults()  # before sentence-transformers, chromadb or llama.cpp load

from evals.cli import main  # noqa: E402

raise SystemExit(main())
