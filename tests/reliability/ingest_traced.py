"""`python -m ingest` with every store write announced on stderr ("@@write <op>") just before it runs, so
the kill loop can SIGKILL the process at a chosen point inside the write phase. Observation only: the
writes themselves are the project's own code, unchanged."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

WRITE_OPS = (
    "upsert_clauses",
    "commit_document",
    "commit_documents",
    "write_documents",
    "delete_stale",
    "remove_document",
    "delete_ids",
    "reset",
)


def _announce(cls: type, name: str) -> None:
    orig = getattr(cls, name)

    def traced(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        os.write(2, f"@@write {name}\n".encode())
        return orig(self, *args, **kwargs)

    setattr(cls, name, traced)


def main() -> int:
    from ingest.cli import main as ingest_main
    from vectorstore.store import ClauseStore

    for op in WRITE_OPS:
        _announce(ClauseStore, op)
    return int(ingest_main(sys.argv[1:]))


if __name__ == "__main__":
    raise SystemExit(main())
