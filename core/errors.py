"""One-line error messages for people: never a traceback, never more than the exception's first line."""

from __future__ import annotations


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first non-empty line of an exception's message, cut to `limit` characters ("" when empty)."""
    return (str(exc).strip().splitlines() or [""])[0][:limit]
