"""Comparison rows: for a question over several vendors ("which vendors…", a comparison), one row per vendor
with its own best sentence, checked on its own and quoted with its key phrase; a vendor whose documents are
silent says so in its row. A selection whose condition is a bound on a measure or a place ("Which vendors
notify a breach within 48 hours?", "…host customer data outside the EU?": assistant.selection) gets each row's
yes or no where its sentence's figures or places settle it, the vendors meeting the condition named first,
then the rows that say no, nothing settled, and nothing found."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from typing import NamedTuple

from assistant.cells import read_cell
from assistant.check import check_candidates
from assistant.citations import span_citation
from assistant.confidence import refuses, score_checked, weight_norm
from assistant.corpus import CorpusView
from assistant.events import Progress, Shown, StreamEvent
from assistant.lists import read_with
from assistant.outcomes import marked_quote
from assistant.parts import Parts
from assistant.rank import Candidate, question_types
from assistant.retrieval import Retrieval, timed_ms
from assistant.selection import is_bounded_selection, settle_row
from assistant.spans import Span, whole_sentence, with_neighbours
from assistant.table_row import asked_row
from assistant.texts import t
from assistant.turn import Turn
from core.types import Citation, VendorAnswer, WarningCode


class Row(NamedTuple):
    """One vendor's row: its text, the cited sentence, the confidence, whether it abstained, and a bounded
    selection's verdict for this vendor ("unsettled" when its sentence does not settle it; None
    outside such a selection and for a vendor whose documents were silent)."""

    text: str
    span: Span | None
    confidence: float | None
    abstained: bool
    verdict: str | None = None  # "yes", "no" or "unsettled" in a bounded selection's checked rows


def answer_rows(
    turn: Turn,
    parts: Parts,
    corpus: CorpusView,
    question: str,
    per_vendor: Mapping[str, list[Candidate]],
    ret: Retrieval,
) -> Iterator[StreamEvent]:
    """Events up to the final Answer: every vendor's best-ranked sentence first (the draft), then each row
    as it is checked."""
    a, lang, engine = turn.answer, turn.lang, parts.engine
    norm = weight_norm(parts.weights)
    types = question_types(question)
    missing = Row(t(lang, "row_missing"), None, None, True)
    selecting = is_bounded_selection(question)
    rows: dict[str, Row] = {}
    for v, cands in per_vendor.items():  # the draft: every vendor's best-ranked sentence
        if cands:  # no dense gate per row: the check decides (a row's topic may be worded far off)
            rows[v] = Row(marked_quote(cands[0].span.text, types), cands[0].span, None, False)
    text, cites, _ = render(ret.vendors, rows, turn.names, missing, lang)
    turn.timings["first_token"] = timed_ms(turn.t0)
    yield Shown(text, "draft", cites)
    tc = time.perf_counter()
    error = ""
    for i, v in enumerate(ret.vendors, 1):
        cands = per_vendor.get(v) or []
        if v not in rows or not cands:
            rows[v] = missing
            continue
        if error:
            continue
        yield Progress("check", f"checking {turn.names.get(v, v)} ({i}/{len(ret.vendors)})")
        run = check_candidates(
            lambda: parts.checker,
            question,
            cands,
            engine.row_checks,
            engine.accept_at,
            corpus.readable,
            partial(refuses, question),
        )
        if run.error:
            error = run.error
            a.warn(WarningCode.LLM_UNAVAILABLE, f"language model unavailable: {error}")
            continue
        score_checked(engine, run.verdicts, question, cands, types, ret.best_dense.get(v, 0.0), norm)
        best = run.verdicts[engine.select([c.conf for c in run.verdicts])]
        # a table row: the row of that table the question asks for (table_row.asked_row)
        best = asked_row(
            turn, parts, corpus, question, cands, run.verdicts, best, types, ret.best_dense.get(v, 0.0)
        )
        # a row's confidence is the larger of the fitted confidence and the check's own P(yes) (see
        # EngineConfig.secondary_p: the fitted model under-rates rows)
        row_conf = max(best.conf, best.p)
        if engine.accepts_secondary(best.conf, best.p):
            sp = best.cand.span  # an item of an enumeration after the words it completes (lists.read_with)
            lead = corpus.governing_words(sp)
            # a piece of a long sentence: the whole sentence, with the one before or after that points back
            sp = with_neighbours(whole_sentence(sp, lead), lead)
            # a table row reads as its cells, each named by its column (the citation quotes it as written)
            quote = corpus.row_text(sp) or marked_quote(read_with(lead, sp.text), types)
            verdict = None
            if selecting:  # does this vendor meet the condition, by this sentence's figures or places?
                if len(cells := corpus.row_cells(sp)) >= 2:  # a table row: by the cell asked for alone
                    cell = read_cell(
                        question, cells, sp.clause.vendor_name, parts.checker, parts.similarities()
                    )
                    a.warn(WarningCode.TABLE_CELL, f"{v}: {cell.note()}")
                    verdict = settle_row(question, cell.text) if len(cell.cells) == 1 else "unsettled"
                else:
                    verdict = settle_row(question, read_with(lead, corpus.readable(sp)))
                quote = f"{t(lang, verdict)} {quote}"
            rows[v] = Row(quote, sp, row_conf, False, verdict)
        else:
            rows[v] = Row(t(lang, "row_missing"), None, row_conf, True)
            note = f"{v}: P(yes) {best.p:.2f}, confidence {best.conf:.2f}: row abstained"
            a.warn(WarningCode.ROW_ABSTAINED, note)
        text, cites, _ = render(ret.vendors, rows, turn.names, missing, lang)
        yield Shown(text, "checked", cites)
    turn.timings["check"] = timed_ms(tc)
    settled_all = selecting and not error
    text, cites, out = render(ret.vendors, rows, turn.names, missing, lang, settled_all)
    a.answer, a.citations, a.comparison = text, cites, out
    a.abstained = all(r.abstained for r in out)
    a.mode = "abstained" if a.abstained else "extractive"
    confs = [r.confidence for r in out if r.confidence is not None and not r.abstained]
    a.confidence = min(confs) if confs else None
    a.explanation = t(lang, "why_selection" if settled_all else "why_rows") + (
        " " + t(lang, "why_quoted_nomodel", reason=error) if error else ""
    )
    yield from turn.finish()


# A selection's rows in this order: the vendors that meet the condition, those that do not, the rows that
# settle nothing (their clause quoted), then the vendors whose documents were silent.
_SELECTION_ORDER = {"yes": 0, "no": 1, "unsettled": 2, None: 3}


def joined(names: Sequence[str], lang: str) -> str:
    """ "A", "A and B", "A, B and C" (French "et")."""
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} {t(lang, 'and')} {names[-1]}"


def render(
    vendors: Sequence[str],
    rows: Mapping[str, Row],
    names: Mapping[str, str],
    missing: Row,
    lang: str = "en",
    selection: bool = False,
) -> tuple[str, list[Citation], list[VendorAnswer]]:
    """The rows as the answer's text ("Vendor: row [n]" lines), their citations numbered in order, and the
    comparison records. A settled selection opens with the vendors that meet its condition (or says that
    none was found to) and orders its rows by verdict."""
    lines: list[str] = []
    cites: list[Citation] = []
    out: list[VendorAnswer] = []
    if selection:
        vendors = sorted(
            vendors,
            key=lambda v: (rows.get(v, missing).abstained, _SELECTION_ORDER[rows.get(v, missing).verdict]),
        )
        chosen = [names.get(v, v) for v in vendors if rows.get(v, missing).verdict == "yes"]
        lines.append(
            t(lang, "selection_yes", names=joined(chosen, lang)) if chosen else t(lang, "selection_none")
        )
    for v in vendors:
        body, span, p, abstained, verdict = rows.get(v, missing)
        ns: list[int] = []
        if span is not None:
            n = len(cites) + 1
            cites.append(span_citation(n, span))
            ns = [n]
            body = f"{body} [{n}]"
        lines.append(f"{names.get(v, v)}: {body}")
        out.append(VendorAnswer(v, names.get(v, v), body, abstained, ns, p, verdict))
    return "\n".join(lines), cites, out
