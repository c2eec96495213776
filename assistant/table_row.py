"""The row of a table that a question asks for. When the sentence chosen to answer is a row of a table whose
first column names its rows ("Délai de traitement | 2 h | 8 h | 18 h", "Temps de récupération | 3 j. | 6 j. |
N/A"), the row the question asks for is the one closest in meaning to it, each row read as the check reads it:
the document's definition of its name, then its cells named by their columns (CorpusView.readable). The ranker
tells rows of one table apart by little more than their words, their section, clause and meaning being the
table's; the definition is often the only place that says what a row is about.

Measured on the gold's dev split (AMD EPYC family 25 model 17, 2026-12-07): the row closest in meaning was the
evidence row on all nine dev questions answered by one row of a labelled table (an SLA's two rows, a
sub-processor table's eight), where the row name alone missed two ("Which service … synchronise … mailboxes?"
is closest to the Intercom row by the names, to the Unipile row, « Synchronisation des services de
messagerie… », by the cells). End to end it fixed one dev answer and changed no other; letting the checker
choose among the checked rows instead fixed one and lost one (its P(yes) on two rows differed by 0.02-0.06)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial

from assistant.cells import unique_argmax
from assistant.check import Checked, check_candidates
from assistant.confidence import refuses, score_checked, weight_norm
from assistant.corpus import CorpusView
from assistant.parts import Parts
from assistant.rank import Candidate
from assistant.spans import Span
from assistant.turn import Turn
from core.types import WarningCode

log = logging.getLogger(__name__)


def row_by_meaning(
    corpus: CorpusView, similarities: Callable[[str, Sequence[str]], Sequence[float]], ask: str, best: Checked
) -> Span | None:
    """When an open question's answering sentence is a row of a table whose first column names its rows, the
    row of that table closest in meaning to the question, read as the check reads it (its name's definition
    in the document, then its cells named by their columns: CorpusView.readable), if it is another row than
    the answer's; else None (a tie too). The ranker tells rows of one table apart by little more than their
    words (their section, clause and meaning are the table's): "En combien de jours … corrigé une anomalie
    bloquante ?" ranked the row « Délai de traitement » first, where « Temps de récupération : délai selon
    lequel le Prestataire s'engage à corriger l'Anomalie… » is the row asked for."""
    sp = best.cand.span
    if corpus.row_key(sp) is None:
        return None
    _intro, rows = corpus.table_rows(sp)
    if len(rows) < 2:
        return None
    at = unique_argmax(list(similarities(ask, [corpus.readable(r) for r in rows])))
    if at is None:
        return None
    row = rows[at]
    same = row.clause.document == sp.clause.document and row.start <= sp.start < row.end
    return None if same else row


def asked_row(
    turn: Turn,
    parts: Parts,
    corpus: CorpusView,
    ask: str,
    cands: Sequence[Candidate],
    verdicts: Sequence[Checked],
    best: Checked,
    types: Sequence[str],
    best_dense: float,
) -> Checked:
    """`best`, or the row of its table that the question asks for (row_by_meaning) when that row is one of
    the ask's candidates and the check accepts it (checked now if it was not among the checked sentences)."""
    try:
        row = row_by_meaning(corpus, parts.similarities(), ask, best)
    except Exception as exc:  # noqa: BLE001 - no meaning reading: the ranker's row stands
        log.warning("row reading unavailable: %s", exc)
        return best
    if row is None:
        return best
    found = next((v for v in verdicts if v.cand.span.key == row.key), None)
    if found is None:
        cand = next((c for c in cands if c.span.key == row.key), None)
        if cand is None:
            return best
        engine = parts.engine
        run = check_candidates(
            lambda: parts.checker, ask, [cand], 1, engine.accept_at, corpus.readable, partial(refuses, ask)
        )
        if run.error or not run.verdicts or run.verdicts[0].verdict is None:
            return best
        found = run.verdicts[0]
        found.ask = ask
        score_checked(engine, [found], ask, cands, types, best_dense, weight_norm(parts.weights))
    accepted = found.verdict is not None and not found.refused and found.conf >= parts.engine.abstain_below
    turn.answer.warn(
        WarningCode.CHECK,
        f"table row by meaning: {row.clause.document}:{row.start}-{row.end} confidence {found.conf:.3f} -> "
        f"{'taken' if accepted else 'not accepted'}",
    )
    return found if accepted else best
