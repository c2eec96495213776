"""Sentence-level changes inside each group of aligned clauses, then across the document (moved sentences).

Within a group, equal sentences anchor the alignment; where they differ, the words of the differing run
are aligned and every sentence holding a differing word is touched. Sentences that share words form one
piece; in a piece, sentences are paired by similarity (changed) and the rest are removed or added. A run
whose words are all equal (only sentence cuts differ: reflowed text, a page break) is no change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from assistant.diff.align import (
    MOVED_SIMILARITY,
    PAIR_CONTAINED,
    PAIR_SIMILARITY,
    Group,
    anchored_opcodes,
    heaviest_chain,
    moved_clauses,
    readable,
    similarity,
)
from assistant.diff.view import Prepared

UnitRange = tuple[int, int]  # first and last sentence (inclusive)


@dataclass(frozen=True)
class RawChange:
    """A change as sentence ranges of each version; `anchor` orders it by its place in the new version."""

    kind: str
    old: UnitRange | None
    new: UnitRange | None
    anchor: float
    group: int
    moved: bool = False


class _Pieces:
    """Union-find over the sentences of a differing run: ("o", unit) and ("n", unit) nodes."""

    def __init__(self) -> None:
        self.parent: dict[tuple[str, int], tuple[str, int]] = {}
        self.touched: set[tuple[str, int]] = set()

    def find(self, x: tuple[str, int]) -> tuple[str, int]:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, x: tuple[str, int], y: tuple[str, int]) -> None:
        self.parent[self.find(x)] = self.find(y)

    def groups(self) -> list[tuple[list[int], list[int], bool]]:
        out: dict[tuple[str, int], tuple[list[int], list[int], list[bool]]] = {}
        for node in list(self.parent):
            olds, news, touched = out.setdefault(self.find(node), ([], [], [False]))
            (olds if node[0] == "o" else news).append(node[1])
            touched[0] = touched[0] or node in self.touched
        return [(sorted(o), sorted(n), t[0]) for o, n, t in out.values()]


class Links:
    """Which old and new sentences stand for each other (equal, or paired as changed): one label a tie.
    Footnotes stand where the page put them: they are no one's neighbours."""

    def __init__(
        self, old_notes: frozenset[int] = frozenset(), new_notes: frozenset[int] = frozenset()
    ) -> None:
        self.old: dict[int, int] = {}
        self.new: dict[int, int] = {}
        self.notes = (old_notes, new_notes)

    def tie(self, olds: list[int], news: list[int]) -> None:
        label = len(self.old) + len(self.new) + 1
        for u in olds:
            self.old[u] = label
        for v in news:
            self.new[v] = label

    def _next(self, u: int, d: int, notes: frozenset[int]) -> int:
        u += d
        while u in notes:
            u += d
        return u

    def same_place(self, u: int, v: int) -> bool:
        """Old sentence u and new sentence v stand in the same place: the sentence before (or after) one is
        tied to the sentence before (or after) the other, footnotes between them left aside; a footnote
        is in its place wherever it stands."""
        if u in self.notes[0] or v in self.notes[1]:
            return True
        for d in (-1, 1):
            a, b = self._next(u, d, self.notes[0]), self._next(v, d, self.notes[1])
            if a in self.old and self.old[a] == self.new.get(b):
                return True
        return False


def _cuts(tokens: list[tuple[int, int]], doc: Prepared) -> list[int]:
    """Positions in a (sentence, token) list where a sentence opens by punctuation or the text jumps."""
    return [
        k for k in range(1, len(tokens)) if tokens[k][1] in doc.breaks or tokens[k][1] != tokens[k - 1][1] + 1
    ]


class _GroupDiff:
    """Changes of one group of aligned clauses."""

    def __init__(self, old: Prepared, new: Prepared, group: Group, index: int, links: Links) -> None:
        self.old, self.new, self.g, self.index = old, new, group, index
        self.ous = [u for c in group.old for u in range(old.clauses[c].first, old.clauses[c].last)]
        self.nus = [u for c in group.new for u in range(new.clauses[c].first, new.clauses[c].last)]
        self.anchor = float(new.span(self.nus[0], self.nus[0])[0]) if self.nus else 0.0
        self.out: list[RawChange] = []
        self.links = links

    def emit(self, kind: str, olds: list[int], news: list[int], anchor: float) -> None:
        old = (olds[0], olds[-1]) if olds else None
        new = (news[0], news[-1]) if news else None
        if new is not None:
            anchor = float(self.new.span(new[0], new[0])[0])
        self.out.append(RawChange(kind, old, new, anchor, self.index, self.g.moved and kind == "changed"))

    def run(self) -> list[RawChange]:
        """Align the words of the whole group, tie the sentences that share words into pieces, then pair
        the sentences of each piece that holds an edit."""
        to = [(u, t) for u in self.ous for t in range(*self.old.units[u])]
        tn = [(u, t) for u in self.nus for t in range(*self.new.units[u])]
        tokens_o = [self.old.tokens[t] for _, t in to]
        tokens_n = [self.new.tokens[t] for _, t in tn]
        ops = anchored_opcodes(
            [t.norm for t in tokens_o], [t.norm for t in tokens_n], _cuts(to, self.old), _cuts(tn, self.new)
        )
        if len(ops) > 1:
            ops = readable(ops, tokens_o, tokens_n)
        pieces = _Pieces()
        for u in self.ous:
            pieces.find(("o", u))
        for u in self.nus:
            pieces.find(("n", u))
        where: dict[int, float] = {}  # removed sentence -> where it stood in the new version
        for tag, i1, i2, j1, j2 in ops:
            at = float(tokens_n[j1].start) if j1 < len(tn) else float(tokens_n[-1].end) if tn else self.anchor
            for k in range(i1, i2):
                where.setdefault(to[k][0], at)
            if tag == "equal":
                for k in range(i2 - i1):
                    pieces.union(("o", to[i1 + k][0]), ("n", tn[j1 + k][0]))
                continue
            olds = {("o", to[k][0]) for k in range(i1, i2)}
            news = {("n", tn[k][0]) for k in range(j1, j2)}
            # an insertion inside a sentence touches the sentence it was made in (and a deletion likewise)
            if not olds and 0 < i1 < len(to) and to[i1 - 1][0] == to[i1][0]:
                olds.add(("o", to[i1][0]))
            if not news and 0 < j1 < len(tn) and tn[j1 - 1][0] == tn[j1][0]:
                news.add(("n", tn[j1][0]))
            nodes = list(olds | news)
            pieces.touched.update(nodes)
            for x in nodes[1:]:
                pieces.union(nodes[0], x)
        for olds_p, news_p, touched in pieces.groups():
            if touched:
                self._pair(olds_p, news_p, where)
                continue
            self.links.tie(olds_p, news_p)
            if self.g.moved and olds_p and news_p:
                self.emit("moved", olds_p, news_p, self.anchor)
        return self.out

    def _pair(self, olds: list[int], news: list[int], where: dict[int, float]) -> None:
        """Pair the sentences of a piece in order by similarity: changed pairs, the rest removed/added. A
        piece of one sentence on each side is one sentence rewritten in place (a renamed heading)."""
        one_each = len(olds) == 1 and len(news) == 1
        paired = {0: 0} if one_each else dict(pair_in_order(self.old, self.new, olds, news))
        j = 0
        for i, u in enumerate(olds):
            if i not in paired:
                self.emit("removed", [u], [], where.get(u, self.anchor))
                continue
            while j < paired[i]:
                self.emit("added", [], [news[j]], 0.0)
                j += 1
            v = news[j]
            self.links.tie([u], [v])
            if self.old.unit_key(u) != self.new.unit_key(v):
                self.emit("changed", [u], [v], 0.0)
            elif self.g.moved:
                self.emit("moved", [u], [v], 0.0)
            j += 1
        for v in news[j:]:
            self.emit("added", [], [v], 0.0)


def pair_in_order(old: Prepared, new: Prepared, olds: list[int], news: list[int]) -> list[tuple[int, int]]:
    """(i, j) pairs of olds[i] ~ news[j]: similar enough (case aside) to be one changed sentence, in order,
    most similar overall. Candidates come from a vectorised character ratio (rapidfuzz cdist), then words."""
    keys_o = [old.unit_key(u).lower() for u in olds]
    keys_n = [new.unit_key(u).lower() for u in news]
    cutoff = 100 * PAIR_SIMILARITY / 2
    scores = process.cdist(keys_o, keys_n, scorer=fuzz.ratio, score_cutoff=cutoff, workers=1)
    candidates = []
    for i, j in zip(*scores.nonzero(), strict=True):
        sim, contained = similarity(keys_o[i].split(" "), keys_n[j].split(" "))
        if _pairs_up(sim, contained):
            candidates.append((int(i), int(j), sim))
    return heaviest_chain(candidates)


def _pairs_up(sim: float, contained: float) -> bool:
    """Two differing sentences are one changed sentence (not one removed and one added)."""
    return sim >= PAIR_SIMILARITY or (contained >= PAIR_CONTAINED and sim >= PAIR_SIMILARITY / 2)


def _moves(old: Prepared, new: Prepared, changes: list[RawChange], links: Links) -> list[RawChange]:
    """Sentences removed in one place and added in another: moved when their words are the same, changed
    (and moved) when they are nearly the same. The same sentence removed and added where it stood (its
    clause was aligned elsewhere, the sentence stayed) is no change."""
    removed = [k for k, c in enumerate(changes) if c.kind == "removed" and c.old and c.old[0] == c.old[1]]
    added = [k for k, c in enumerate(changes) if c.kind == "added" and c.new and c.new[0] == c.new[1]]
    by_key: dict[str, list[int]] = defaultdict(list)
    for k in removed:
        by_key[old.unit_key(changes[k].old[0])].append(k)  # type: ignore[index]
    done: set[int] = set()
    out = list(changes)
    for k in added:
        c = changes[k]
        same = by_key.get(new.unit_key(c.new[0]))  # type: ignore[index]
        if same:
            r = same.pop(0)
            u, v = changes[r].old[0], c.new[0]  # type: ignore[index]
            if links.same_place(u, v) or _placed(old, new, u, v):
                done.update((r, k))
                continue
            out[k] = replace(c, kind="moved", old=changes[r].old, moved=True)
            done.add(r)
    left_r = [k for k in removed if k not in done]
    left_a = [k for k in added if out[k].kind == "added" and k not in done]
    if left_r and left_a:
        keys_r = [old.unit_key(changes[k].old[0]) for k in left_r]  # type: ignore[index]
        keys_a = [new.unit_key(changes[k].new[0]) for k in left_a]  # type: ignore[index]
        scores = process.cdist(
            keys_r, keys_a, scorer=fuzz.ratio, score_cutoff=100 * MOVED_SIMILARITY, workers=1
        )
        pairs = sorted(
            [
                *((scores[i][j], i, j) for i, j in zip(*scores.nonzero(), strict=True)),
                *((101.0, i, j) for i, j in _same_definitions(keys_r, keys_a)),
            ],
            reverse=True,
        )
        used_r, used_a = set(), set()
        for _, i, j in pairs:
            if i in used_r or j in used_a:
                continue
            used_r.add(i)
            used_a.add(j)
            r, a = changes[left_r[i]], out[left_a[j]]
            out[left_a[j]] = replace(a, kind="changed", old=r.old, moved=r.group != a.group)
            done.add(left_r[i])
    return [c for k, c in enumerate(out) if k not in done]


def _placed(old: Prepared, new: Prepared, u: int, v: int) -> bool:
    """An unchanged sentence found elsewhere that did not move as the text goes: one the text says several
    times on each side (an alignment of repeated clauses may pair other copies)."""
    key = old.unit_key(u)
    return old.key_counts[key] >= 2 and new.key_counts[key] >= 2


def _defined_term(key: str) -> str | None:
    """The term a definition opens with ('" UK Addendum " means ...' -> "uk addendum"), else None."""
    words = key.split(" ")
    if words[0] != '"' or '"' not in words[2:10]:
        return None
    end = words.index('"', 2)
    return " ".join(words[1:end]).lower() if end + 1 < len(words) else None


def _same_definitions(keys_r: list[str], keys_a: list[str]) -> list[tuple[int, int]]:
    """(removed, added) definitions of the same term, each term defined once on each side: one definition
    rewritten (and moved), however much its wording changed."""
    terms_r = [_defined_term(k) for k in keys_r]
    terms_a = [_defined_term(k) for k in keys_a]
    return [
        (i, terms_a.index(t))
        for i, t in enumerate(terms_r)
        if t is not None and terms_r.count(t) == 1 and terms_a.count(t) == 1
    ]


def sentence_changes(old: Prepared, new: Prepared) -> list[RawChange]:
    """Every change between two prepared versions, in the new version's order. Clauses that moved are
    compared with their counterparts; all the rest in order, as one sequence (clause boundaries that
    shift between versions then do not matter)."""
    moved = moved_clauses(old, new)
    taken_old = {c for g in moved for c in g.old}
    taken_new = {c for g in moved for c in g.new}
    in_order = Group(
        [c for c in range(len(old.clauses)) if c not in taken_old],
        [c for c in range(len(new.clauses)) if c not in taken_new],
    )
    out: list[RawChange] = []
    links = Links(old.footnotes, new.footnotes)
    for i, g in enumerate([in_order, *moved]):
        out.extend(_GroupDiff(old, new, g, i, links).run())
    out = _moves(old, new, out, links)
    return sorted(out, key=lambda c: (c.anchor, c.new or (-1, -1), c.old or (-1, -1)))
