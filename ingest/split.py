"""Split a contract along its own structure into clause spans (pure functions, no I/O).

Recognised headings: `ARTICLE 9.` lines, decimal numbering (`9.2.1.`, `16. Violation de données`),
`•` bullet titles, upper-case titles, markdown `#` titles. A document with fewer than three headings is
split into paragraph-level units instead. Each span keeps its section path and exact offsets
(`text[start:end]` is the clause: whitespace is trimmed by moving offsets). Long sections are cut by
token budget on line then sentence boundaries with a small overlap; tiny fragments join a neighbour;
a heading never stands alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.settings import ChunkSettings
from core.text import (
    ARTICLE_HEADING,
    BULLET_LINE,
    MAX_LABEL,
    NUMBERED_HEADING,
    Heading,
    classify_heading,
    is_upper_title,
    sentence_bounds,
)
from core.tokens import count_tokens

# v4: no clause ends inside a sentence wrapped over lines (v3: an over-long line is cut on sentences)
SPLITTER_VERSION = "split-v4"
MIN_HEADINGS = 3

_SENTENCE_ENDS = ".!?;"  # an over-long line is cut into sentences and ";"-separated parts


@dataclass(frozen=True)
class Span:
    """A clause-to-be: `text[start:end]`, its section path and token count."""

    start: int
    end: int
    section: str
    tokens: int
    heading_only: bool = False


@dataclass
class _Line:
    start: int
    end: int
    heading: Heading | None


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        end = pos + len(raw)
        if raw.strip():
            out.append(_Line(pos, end, None))
        pos = end + 1
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@dataclass
class _Block:
    section: str
    segments: list[tuple[int, int]]  # line spans; a heading line is merged into the next segment
    heading_only: bool = False


def _blocks(text: str, lines: list[_Line]) -> list[_Block]:
    """Group lines under their headings; heading-only blocks are folded into the following block."""
    blocks: list[_Block] = []
    stack: list[Heading] = []
    current = _Block("", [])
    for ln in lines:
        if ln.heading is not None:
            if current.segments:
                blocks.append(current)
            while stack and stack[-1].level >= ln.heading.level:
                stack.pop()
            stack.append(ln.heading)
            current = _Block(" > ".join(h.label for h in stack), [(ln.start, ln.end)], heading_only=True)
        else:
            if current.heading_only and len(current.segments) == 1:
                # the heading joins the first body line: a heading never stands alone
                hs, _ = current.segments[0]
                current.segments[0] = (hs, ln.end)
                current.heading_only = False
            else:
                current.segments.append((ln.start, ln.end))
    if current.segments:
        blocks.append(current)
    # fold heading-only blocks forward (or backward at the end of the document)
    out: list[_Block] = []
    pending: list[tuple[int, int]] = []
    for b in blocks:
        if b.heading_only:
            pending.extend(b.segments)
            continue
        if pending:
            first = b.segments[0]
            b.segments[0] = (pending[0][0], first[1])
            pending = []
        out.append(b)
    if pending:
        if out:
            last = out[-1].segments[-1]
            out[-1].segments[-1] = (last[0], pending[-1][1])
        else:
            out.append(_Block("", [(pending[0][0], pending[-1][1])]))
    return out


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside [start, end) (core.text's sentences, cut at ; too)."""
    return [(start + a, start + b) for a, b in sentence_bounds(text[start:end], _SENTENCE_ENDS)]


def _whole_sentences(text: str, segs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The line segments joined wherever a sentence runs on from one line to the next (a PDF's or a
    hard-wrapped text's lines: "…37signals may process Personal Data on behalf" / "of Customer, and…"), so
    that no clause ends inside a sentence."""
    if len(segs) < 2:
        return list(segs)
    bounds = _sentences(text, segs[0][0], segs[-1][1])
    ends, starts = {e for _, e in bounds}, {s for s, _ in bounds}
    out: list[tuple[int, int]] = [segs[0]]
    for seg in segs[1:]:
        # the previous segment ends no sentence and this one opens none: one sentence runs across them
        if _trim(text, *out[-1])[1] not in ends and _trim(text, *seg)[0] not in starts:
            out[-1] = (out[-1][0], seg[1])
        else:
            out.append(seg)
    return out


def _windows(
    text: str, segs: list[tuple[int, int]], cfg: ChunkSettings, count: Callable[[str], int]
) -> list[tuple[int, int]]:
    """Pack consecutive segments into spans of at most max_tokens, consecutive spans overlapping by
    up to overlap_tokens of whole segments. A segment above the budget stands alone."""
    spans: list[tuple[int, int]] = []
    i = 0
    n = len(segs)
    while i < n:
        j = i + 1
        while j < n and count(text[segs[i][0] : segs[j][1]]) <= cfg.max_tokens:
            j += 1
        spans.append((segs[i][0], segs[j - 1][1]))
        if j >= n:
            break
        # overlap: restart at trailing segments of this window that fit in overlap_tokens
        k = j
        while k - 1 > i and count(text[segs[k - 1][0] : segs[j - 1][1]]) <= cfg.overlap_tokens:
            k -= 1
        i = k if k > i else j
    return spans


def _group_table_rows(
    text: str, segs: list[tuple[int, int]], cfg: ChunkSettings, count: Callable[[str], int]
) -> list[tuple[int, int]]:
    """Consecutive rows of a flattened table (tab-separated lines) become one segment when they fit."""
    out: list[tuple[int, int]] = []
    for a, b in segs:
        if (
            out
            and "\t" in text[a:b]
            and "\t" in text[out[-1][0] : out[-1][1]]
            and not text[out[-1][1] : a].strip()
            and count(text[out[-1][0] : b]) <= cfg.max_tokens
        ):
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _split_block(text: str, block: _Block, cfg: ChunkSettings, count: Callable[[str], int]) -> list[Span]:
    start, end = block.segments[0][0], block.segments[-1][1]
    tokens = count(text[start:end])
    if tokens <= cfg.max_tokens:
        return [Span(start, end, block.section, tokens)]
    segs: list[tuple[int, int]] = []
    for a, b in _group_table_rows(text, _whole_sentences(text, block.segments), cfg, count):
        if count(text[a:b]) <= cfg.max_tokens:
            segs.append((a, b))
            continue
        sents = _sentences(text, a, b)
        segs.extend(sents or [(a, b)])
    return [Span(a, b, block.section, count(text[a:b])) for a, b in _windows(text, segs, cfg, count)]


def _top(section: str) -> str:
    return section.split(" > ", 1)[0]


def merge_sections(first: str, second: str) -> str:
    """Section path of two joined spans: shared ancestors, then both differing labels ("A / B")."""
    if first == second or not second:
        return first
    if not first:
        return second
    a, b = first.split(" > "), second.split(" > ")
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    if k == len(b):  # second is an ancestor of first
        return first
    if k == len(a):
        return second
    joined = " > ".join(a[:k] + [" > ".join(a[k:]) + " / " + " > ".join(b[k:])])
    return joined if len(joined) <= 2 * MAX_LABEL else " > ".join(a[:k] + [b[k]])


def _merge_tiny(text: str, spans: list[Span], cfg: ChunkSettings, count: Callable[[str], int]) -> list[Span]:
    """Join spans under min_tokens to a neighbour (same top-level section first) when the result fits."""
    spans = list(spans)
    i = 0
    while i < len(spans):
        s = spans[i]
        if s.tokens >= cfg.min_tokens or len(spans) == 1:
            i += 1
            continue
        candidates = []
        for j in (i + 1, i - 1):
            if 0 <= j < len(spans):
                o = spans[j]
                a, b = min(s.start, o.start), max(s.end, o.end)
                t = count(text[a:b])
                same = _top(o.section) == _top(s.section)
                if t <= cfg.max_tokens and (same or not s.section or s.tokens < cfg.min_tokens // 2):
                    candidates.append((not same, t, j, a, b))
        if not candidates:
            i += 1
            continue
        _, t, j, a, b = min(candidates)
        o = spans[j]
        first, second = (s, o) if s.start <= o.start else (o, s)
        merged = Span(a, b, merge_sections(first.section, second.section), t)
        lo = min(i, j)
        spans[lo : lo + 2] = [merged]
        i = max(0, lo - 1) if merged.tokens < cfg.min_tokens else lo
    return spans


def split_text(text: str, cfg: ChunkSettings, count: Callable[[str], int] | None = None) -> list[Span]:
    """Clause spans of a decoded document, in order (see the module docstring)."""
    count = count or (lambda s: count_tokens(s, cfg.encoding))
    lines = _lines(text)
    stripped = [text[ln.start : ln.end].strip() for ln in lines]
    has_articles = any(ARTICLE_HEADING.match(x) for x in stripped)
    bullets = [x for x in stripped if BULLET_LINE.match(x)]
    plain_upper = any(
        is_upper_title(x)
        for x in stripped
        if not BULLET_LINE.match(x) and not ARTICLE_HEADING.match(x) and not NUMBERED_HEADING.match(x)
    )
    nested = plain_upper and any(is_upper_title(BULLET_LINE.match(x).group(1)) for x in bullets)  # type: ignore[union-attr]
    for i, ln in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        isolated = (
            nxt is not None
            and text[ln.end : nxt.start].count("\n") >= 2
            and not BULLET_LINE.match(stripped[i + 1])
        )
        ln.heading = classify_heading(stripped[i], has_articles, isolated, nested)
    if sum(1 for ln in lines if ln.heading) < MIN_HEADINGS:
        # no usable structure: every paragraph is a unit (tiny ones join their neighbours below)
        # (a sentence wrapped over several lines is one paragraph)
        blocks = [_Block("", [seg]) for seg in _whole_sentences(text, [(ln.start, ln.end) for ln in lines])]
    else:
        blocks = _blocks(text, lines)
    spans: list[Span] = []
    for block in blocks:
        spans.extend(_split_block(text, block, cfg, count))
    spans = _merge_tiny(text, spans, cfg, count)
    out: list[Span] = []
    for s in spans:
        a, b = _trim(text, s.start, s.end)
        if b > a:
            tokens = s.tokens if (a, b) == (s.start, s.end) else count(text[a:b])
            out.append(Span(a, b, s.section, tokens))
    return out
