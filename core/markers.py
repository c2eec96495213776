"""Citation markers ("[1]", "[2, 3]", "[2; 4]"): the one pattern the whole project reads them with."""

from __future__ import annotations

import re
from collections.abc import Callable

# a marker group: "[1]", "[2, 3]"; group 1 holds the numbers
MARKER_RE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# the same, as it reads once Markdown-escaped ("\[1\]"), for the page's renderer
ESCAPED_MARKER_RE = re.compile(r"\\\[(\d+(?:\s*[,;]\s*\d+)*)\\\]")
_SEP = re.compile(r"\s*[,;]\s*")


def marker_numbers(group: str) -> list[int]:
    """The numbers of one marker group's inside ("2, 3" -> [2, 3])."""
    return [int(p) for p in _SEP.split(group) if p]


def markers(text: str) -> list[int]:
    """Citation numbers in order of first appearance ("[1]", "[2, 3]")."""
    out: list[int] = []
    for m in MARKER_RE.finditer(text):
        for n in marker_numbers(m.group(1)):
            if n not in out:
                out.append(n)
    return out


def strip_markers(text: str, repl: str | Callable[[re.Match[str]], str] = " ") -> str:
    """The text without its markers (each replaced by `repl`)."""
    return MARKER_RE.sub(repl, text)


def sub_markers(text: str, fn: Callable[[list[int]], str]) -> str:
    """Each marker group replaced by fn(its numbers)."""
    return MARKER_RE.sub(lambda m: fn(marker_numbers(m.group(1))), text)
