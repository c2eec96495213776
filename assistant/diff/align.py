"""Clause alignment by content (shared word pairs): the in-order chain of similar clauses, the clauses that
moved out of it (with the neighbours they were split from or merged with); and the sequence alignment used
for sentences and words (rapidfuzz's LCS, Indel opcodes)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import Indel

from assistant.diff.view import Prepared, Token

# Two clauses align when they share this share of their informative word pairs (Dice), or when most of the
# smaller one is found in the larger (a section that grew or was cut in two). Moves need more.
ALIGN_DICE, ALIGN_CONTAINED = 0.3, 0.6
MOVE_DICE, MOVE_CONTAINED = 0.5, 0.8
MIN_CONTAINED_PAIRS = 8  # containment alone decides only for a clause of at least this many word pairs
ATTACH_CONTAINED = 0.5  # an unaligned clause joins its neighbour's group when this much of it is there
COMMON_PAIR_SHARE = 0.2  # word pairs found in more clauses than this share are boilerplate, not evidence
COMMON_SENTENCE_PAIR_SHARE = 0.02  # and in more sentences than this share
# Two sentences are one changed sentence when their words overlap this much (Indel similarity), or when
# nearly all of the shorter one is in the longer (a sentence that grew).
PAIR_SIMILARITY, PAIR_CONTAINED = 0.5, 0.75
MOVED_SIMILARITY = 0.75  # a removed and an added sentence elsewhere: moved (and edited) above this
MAX_REPEATS = 20  # a sentence found this often on average on each side is paired in order only

Opcode = tuple[str, int, int, int, int]


def opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """Edit script from a to b (equal / replace / delete / insert), adjacent deletions and insertions
    joined into replacements."""
    out: list[Opcode] = []
    for op in Indel.opcodes(a, b):
        tag, i1, i2, j1, j2 = op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end
        if out and tag != "equal" and out[-1][0] != "equal":
            _, pi1, _, pj1, _ = out[-1]
            out[-1] = ("replace", pi1, i2, pj1, j2)
        else:
            out.append((tag, i1, i2, j1, j2))
    return out


def _joined(ops: list[Opcode]) -> list[Opcode]:
    """Adjacent equal stretches as one, adjacent edits as one."""
    out: list[Opcode] = []
    for op in ops:
        if op[1] == op[2] and op[3] == op[4]:
            continue
        if out and (op[0] == "equal") == (out[-1][0] == "equal"):
            _, i1, _, j1, _ = out[-1]
            tag = "equal" if op[0] == "equal" else "replace" if i1 < op[2] and j1 < op[4] else op[0]
            out[-1] = (tag, i1, op[2], j1, op[4])
        else:
            out.append(op)
    return out


def _segments(n: int, cuts: Sequence[int]) -> list[tuple[int, int]]:
    bounds = [0, *(c for c in cuts if 0 < c < n), n]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def anchored_opcodes(
    a: Sequence[str], b: Sequence[str], cuts_a: Sequence[int], cuts_b: Sequence[int]
) -> list[Opcode]:
    """Word edits from a to b, sentence by sentence first (sentences start at the cuts): equal sentences
    anchor the alignment and words are aligned only between them. Faster than aligning every word, and
    closer to what a reader sees ("one sentence removed here, one added there", not the shared words of
    the two paired up)."""
    seg_a, seg_b = _segments(len(a), cuts_a), _segments(len(b), cuts_b)
    keys_a = ["\x1f".join(a[x:y]) for x, y in seg_a]
    keys_b = ["\x1f".join(b[x:y]) for x, y in seg_b]
    out: list[Opcode] = []
    i = j = 0  # next segment of each side not yet aligned
    for ai, bj in [*_anchors(a, b, seg_a, seg_b, keys_a, keys_b), (len(seg_a), len(seg_b))]:
        oa = seg_a[i][0] if i < len(seg_a) else len(a)
        ob = seg_a[ai][0] if ai < len(seg_a) else len(a)
        na = seg_b[j][0] if j < len(seg_b) else len(b)
        nb = seg_b[bj][0] if bj < len(seg_b) else len(b)
        out.extend(
            (t, x1 + oa, x2 + oa, y1 + na, y2 + na) for t, x1, x2, y1, y2 in opcodes(a[oa:ob], b[na:nb])
        )
        if ai < len(seg_a):
            out.append(("equal", ob, seg_a[ai][1], nb, seg_b[bj][1]))
        i, j = ai + 1, bj + 1
    return _joined(out)


def _anchors(
    a: Sequence[str],
    b: Sequence[str],
    seg_a: list[tuple[int, int]],
    seg_b: list[tuple[int, int]],
    keys_a: list[str],
    keys_b: list[str],
) -> list[tuple[int, int]]:
    """Equal sentences (i, j) that anchor the alignment: those on the heaviest in-order chain of sentence
    pairs that are equal or similar (shared word pairs). Equal sentences alone would let one unchanged
    sentence of a block that moved pin the whole alignment across the move, when every sentence around it
    was reworded (a company renamed throughout); similar sentences keep the alignment in its order."""

    def bigrams(words: Sequence[str], x: int, y: int) -> Counter[str]:
        w = [t.lower() for t in words[x:y] if t[:1].isalnum()]
        return Counter(f"{p} {q}" for p, q in zip(w, w[1:], strict=False))

    shared, sizes_a, sizes_b = _overlaps(
        [bigrams(a, *s) for s in seg_a], [bigrams(b, *s) for s in seg_b], COMMON_SENTENCE_PAIR_SHARE
    )
    weights = {
        pair: float(ov)
        for pair, ov in shared.items()
        if _eligible(ov, sizes_a[pair[0]], sizes_b[pair[1]], ALIGN_DICE, ALIGN_CONTAINED)
    }
    where_b: dict[str, list[int]] = defaultdict(list)
    for jb, key in enumerate(keys_b):
        where_b[key].append(jb)
    where_a: dict[str, list[int]] = defaultdict(list)
    for ia, key in enumerate(keys_a):
        where_a[key].append(ia)
    for key, olds in where_a.items():
        news = where_b.get(key, [])
        if len(olds) * len(news) > MAX_REPEATS * (len(olds) + len(news)):
            pairs = list(zip(olds, news, strict=False))  # a line repeated throughout: in order
        else:
            pairs = [(ia, jb) for ia in olds for jb in news]
        for ia, jb in pairs:
            weights[(ia, jb)] = sizes_a[ia] + 1.0  # equal beats similar
    chain = heaviest_chain([(ia, jb, w) for (ia, jb), w in weights.items()])
    return [(ia, jb) for ia, jb in chain if keys_a[ia] == keys_b[jb]]


def readable(ops: list[Opcode], old: Sequence[Token], new: Sequence[Token]) -> list[Opcode]:
    """Edits a reader can follow (the semantic clean-up of diff-match-patch): an equal stretch between two
    edits that is no longer than either of them, or only punctuation, joins them. "within thirty (30)
    days" -> "within fourteen (14) days" is one edit, not four around the brackets; a "the" shared by
    two unrelated sentences does not tie them together."""

    def chars(seq: Sequence[Token], a: int, b: int) -> int:
        return seq[b - 1].end - seq[a].start if b > a else 0

    def size(op: Opcode) -> int:
        return max(chars(old, op[1], op[2]), chars(new, op[3], op[4]))

    out: list[Opcode] = []
    for op in ops:
        out.append(op)
        while len(out) >= 3 and out[-1][0] != "equal" and out[-2][0] == "equal" and out[-3][0] != "equal":
            before, same, after = out[-3:]
            words = any(t.norm[:1].isalnum() for t in new[same[3] : same[4]])
            if words and chars(new, same[3], same[4]) > min(size(before), size(after)):
                break
            out[-3:] = [("replace", before[1], after[2], before[3], after[4])]
    return _balanced(out, new)


_PAIRS = {"(": ")", "[": "]"}


def _balanced(ops: list[Opcode], new: Sequence[Token]) -> list[Opcode]:
    """An edit that opens a bracket takes the closing bracket that follows it: "thirty (30)" ->
    "fourteen (14)", not "thirty (30" -> "fourteen (14" before an unchanged ")"."""
    out = list(ops)
    for k in range(len(out) - 1):
        tag, i1, i2, j1, j2 = out[k]
        nxt = out[k + 1]
        if tag == "equal" or nxt[0] != "equal":
            continue
        norms = [t.norm for t in new[j1:j2]]
        for opener, closer in _PAIRS.items():
            while (
                norms.count(opener) > norms.count(closer) and nxt[3] < nxt[4] and new[nxt[3]].norm == closer
            ):
                norms.append(closer)
                i2, j2 = i2 + 1, j2 + 1
                nxt = ("equal", nxt[1] + 1, nxt[2], nxt[3] + 1, nxt[4])
        out[k], out[k + 1] = (tag, i1, i2, j1, j2), nxt
    return [op for op in out if op[1] < op[2] or op[3] < op[4]]


def similarity(a: Sequence[str], b: Sequence[str]) -> tuple[float, float]:
    """(Indel similarity, share of the shorter sequence found in order in the longer)."""
    if not a or not b:
        return 0.0, 0.0
    dist = Indel.distance(a, b)
    lcs = (len(a) + len(b) - dist) / 2
    return 2 * lcs / (len(a) + len(b)), lcs / min(len(a), len(b))


# ------------------------------------------------------------------------------------------ clauses
@dataclass
class Group:
    """Clauses of the old version aligned with clauses of the new (one side may be empty)."""

    old: list[int] = field(default_factory=list)
    new: list[int] = field(default_factory=list)
    moved: bool = False


def _pairs(doc: Prepared) -> list[Counter[str]]:
    """Word pairs (lower-cased, punctuation left out) of each clause."""
    out: list[Counter[str]] = []
    for c in doc.clauses:
        if c.first == c.last:
            out.append(Counter())
            continue
        a, b = doc.units[c.first][0], doc.units[c.last - 1][1]
        words = [t.norm.lower() for t in doc.tokens[a:b] if t.norm[:1].isalnum()]
        out.append(Counter(f"{x} {y}" for x, y in zip(words, words[1:], strict=False)))
    return out


def _overlaps(
    old: list[Counter[str]], new: list[Counter[str]], common_share: float = COMMON_PAIR_SHARE
) -> tuple[dict[tuple[int, int], int], list[int], list[int]]:
    """Shared informative word pairs of every (old, new) clause pair that shares any, and clause sizes
    (a word pair found in more than `common_share` of the clauses is not informative)."""
    df: Counter[str] = Counter()
    for c in (*old, *new):
        df.update(c.keys())
    limit = max(10, common_share * (len(old) + len(new)))
    common = {s for s, n in df.items() if n > limit}
    index: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for b, c in enumerate(new):
        for s, n in c.items():
            if s not in common:
                index[s].append((b, n))
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for a, c in enumerate(old):
        for s, n in c.items():
            for b, m in index.get(s, ()):
                shared[(a, b)] += min(n, m)
    sizes_old = [sum(n for s, n in c.items() if s not in common) for c in old]
    sizes_new = [sum(n for s, n in c.items() if s not in common) for c in new]
    return shared, sizes_old, sizes_new


def _eligible(ov: int, sa: int, sb: int, dice_min: float, contained_min: float) -> bool:
    if not sa or not sb:
        return False
    dice = 2 * ov / (sa + sb)
    contained = ov / min(sa, sb)
    return dice >= dice_min or (contained >= contained_min and min(sa, sb) >= MIN_CONTAINED_PAIRS)


def heaviest_chain(pairs: Sequence[tuple[int, int, float]]) -> list[tuple[int, int]]:
    """The in-order subset of (a, b, weight) pairs (a and b both increasing) of greatest total weight."""
    if not pairs:
        return []
    pairs = sorted(pairs, key=lambda p: (p[0], -p[1]))
    size = max(b for _, b, _ in pairs) + 2
    tree = [(0.0, -1)] * (size + 1)  # Fenwick tree of (best total, pair index) over b

    def query(b: int) -> tuple[float, int]:  # best chain ending at a b' < b
        best, i = (0.0, -1), b
        while i > 0:
            best = max(best, tree[i])
            i -= i & -i
        return best

    def update(b: int, val: tuple[float, int]) -> None:
        i = b + 1
        while i <= size:
            tree[i] = max(tree[i], val)
            i += i & -i

    parent, total = [-1] * len(pairs), [0.0] * len(pairs)
    for k, (_, b, w) in enumerate(pairs):
        best, prev = query(b)
        total[k], parent[k] = best + w, prev
        update(b, (total[k], k))
    k = max(range(len(pairs)), key=lambda i: total[i])
    chain = []
    while k >= 0:
        chain.append((pairs[k][0], pairs[k][1]))
        k = parent[k]
    return chain[::-1]


def moved_clauses(old: Prepared, new: Prepared) -> list[Group]:
    """Clauses that moved: aligned by content outside the in-order alignment of the two versions (the
    heaviest in-order chain of similar clause pairs), with the neighbours they were split from or merged
    with. Everything else is compared in order, whatever its clause boundaries."""
    shared, sizes_old, sizes_new = _overlaps(_pairs(old), _pairs(new))
    candidates = [
        (a, b, ov)
        for (a, b), ov in shared.items()
        if _eligible(ov, sizes_old[a], sizes_new[b], ALIGN_DICE, ALIGN_CONTAINED)
    ]
    groups = [Group([a], [b]) for a, b in heaviest_chain(candidates)]
    group_of_old = {g.old[0]: g for g in groups}
    group_of_new = {g.new[0]: g for g in groups}
    # moved: clauses outside the in-order chain that still share most of their content
    moves = sorted(
        (
            (ov, a, b)
            for (a, b), ov in shared.items()
            if a not in group_of_old
            and b not in group_of_new
            and _eligible(ov, sizes_old[a], sizes_new[b], MOVE_DICE, MOVE_CONTAINED)
        ),
        reverse=True,
    )
    for _, a, b in moves:
        if a not in group_of_old and b not in group_of_new:
            g = Group([a], [b], moved=True)
            groups.append(g)
            group_of_old[a], group_of_new[b] = g, g
    _attach(shared, sizes_old, sizes_new, group_of_old, group_of_new)
    return [g for g in groups if g.moved]


def _attach(
    shared: dict[tuple[int, int], int],
    sizes_old: list[int],
    sizes_new: list[int],
    group_of_old: dict[int, Group],
    group_of_new: dict[int, Group],
) -> None:
    """Split and merged clauses: an unaligned clause next to a group's clause, whose content is mostly in
    the group's other side, joins that group."""
    best_new: dict[int, tuple[int, int]] = {}  # old clause -> (overlap, new clause)
    best_old: dict[int, tuple[int, int]] = {}
    for (a, b), ov in shared.items():
        best_new[a] = max(best_new.get(a, (0, -1)), (ov, b))
        best_old[b] = max(best_old.get(b, (0, -1)), (ov, a))
    changed = True
    while changed:
        changed = False
        for side, sizes, best, mine, theirs in (
            ("old", sizes_old, best_new, group_of_old, group_of_new),
            ("new", sizes_new, best_old, group_of_new, group_of_old),
        ):
            for x, (ov, y) in best.items():
                g = theirs.get(y)
                if x in mine or g is None or not sizes[x] or ov / sizes[x] < ATTACH_CONTAINED:
                    continue
                own = g.old if side == "old" else g.new
                if x - 1 in own or x + 1 in own:
                    own.append(x)
                    own.sort()
                    mine[x] = g
                    changed = True
