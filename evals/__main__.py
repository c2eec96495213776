"""`python -m evals run|compare` (see evals/cli.py)."""

from evals.cli import main

raise SystemExit(main())
