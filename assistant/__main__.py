"""`python -m assistant ask "QUESTION" [--vendor SLUG ...] [--json] [--fast]`."""

from assistant.cli import main

raise SystemExit(main())
