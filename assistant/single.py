"""The answer to one vendor's (or the whole corpus's) question, from its ranked candidates: check each ask's
best sentences, decide by the confidence model, then have the model restate the checked sentence(s) and show
that wording only when it passes the checks; else quote the sentence, or abstain. The stages' outcomes are
streamed as they come (the ranker's sentence first, before any model call)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from assistant.cells import read_cell
from assistant.check import Checked, check_candidates
from assistant.citations import span_citation
from assistant.confidence import EngineConfig, refuses, score_checked, weight_norm
from assistant.corpus import CorpusView
from assistant.events import Progress, Shown, StreamEvent
from assistant.figures.asked import asked_kinds
from assistant.lists import (
    MAX_ITEMS,
    enumeration_after,
    is_list_question,
    list_referred,
    list_run,
    read_with,
)
from assistant.outcomes import marked_quote, one_quote
from assistant.parts import Parts
from assistant.rank import Candidate, question_types
from assistant.retrieval import Retrieval, timed_ms
from assistant.say import Said, is_yes_no_question, say
from assistant.spans import Span, split_clause, whole_sentence, with_neighbours
from assistant.support import supported
from assistant.table_row import asked_row
from assistant.texts import reason_text, t
from assistant.turn import Turn, fmt_conf
from assistant.verdict import settle, stated, unsettled
from core.types import Citation, WarningCode

# each ask of the question with its ranked candidates
Asks = Sequence[tuple[str, list[Candidate]]]
# a list answer: why (a text key) and the lists it quotes, each its introduction (or None) and its items
Block = tuple[Span | None, list[Span]]
Listed = tuple[str, list[Block]]


def answer_single(
    turn: Turn, parts: Parts, corpus: CorpusView, question: str, per_ask: Asks, ret: Retrieval
) -> Iterator[StreamEvent]:
    """Events up to the final Answer for one question (one or two asks) over `ret`'s vendors. When only one
    of two asks is answered, the answer says which one the documents are silent on."""
    a = turn.answer
    asks = [ask for ask, _ in per_ask]
    per_ask = [(ask, c) for ask, c in per_ask if c]
    best_dense = max(ret.best_dense.values(), default=0.0)
    who = turn.who(ret.vendors)
    if not per_ask or best_dense < parts.min_dense:
        closest = per_ask[0][1][0].span if per_ask else None
        why = t(turn.lang, "why_abstained_relevance", who=who.lower())
        turn.abstain(closest, who, why, f"low relevance ({best_dense:.3f})", None)
        yield from turn.finish()
        return
    types = question_types(question)
    a.retrieved = [c.span.as_hit() for c in per_ask[0][1][: max(8, parts.settings.retrieval.k_final)]]
    draft = [c[0].span for _, c in per_ask]
    turn.timings["first_token"] = timed_ms(turn.t0)  # first useful content: the ranker's sentence, quoted
    row = corpus.row_text(draft[0]) if len(draft) == 1 else None  # a table row reads as its cells
    yield Shown(f"{row} [1]" if row else one_quote(draft, types), "draft", _cites(draft))
    yield Progress("check", "checking the clause")
    chosen, error = check_asks(turn, parts, corpus, per_ask, types, best_dense)
    if not error:
        chosen = answered_asks(parts.engine, chosen)
    conf = chosen[0].conf if chosen and chosen[0].verdict else None
    if error:
        spans = [chosen[0].cand.span]
        a.answer, a.abstained, a.mode = one_quote(spans, types), False, "extractive"
        a.citations = _cites(spans)
        a.explanation = t(turn.lang, "why_quoted_nomodel", reason=error)
        a.warn(WarningCode.LLM_UNAVAILABLE, f"language model unavailable: {error}")
        yield from turn.finish()
        return
    if chosen:
        if chosen[0].verdict:
            a.signals = dict(chosen[0].signals)
    engine = parts.engine
    if conf is None or conf < engine.abstain_below:
        why = t(turn.lang, "why_abstained_check", conf=fmt_conf(conf), thr=fmt_conf(engine.abstain_below))
        if chosen and chosen[0].figure_missing:  # the sentences found hold no figure of the asked kind
            what = " / ".join(t(turn.lang, f"asked_{k}") for k in sorted(asked_kinds(chosen[0].ask)))
            why = t(turn.lang, "why_abstained_figure", what=what)
        warning = f"confidence {conf if conf is not None else 0:.2f} < {engine.abstain_below}"
        turn.abstain(chosen[0].cand.span if chosen else None, who, why, warning, conf)
        yield from turn.finish()
        return
    p_unanswered = engine.p_unanswerable(a.signals)
    if p_unanswered is not None and p_unanswered >= engine.abstain_unanswerable_at:
        later = answered_later(engine, chosen)
        if later:  # the first ask is one the documents do not answer; a later ask's answer passes every gate
            chosen, conf = later, later[0].conf
            a.signals = dict(later[0].signals)
            p_unanswered = engine.p_unanswerable(a.signals)
    if p_unanswered is not None:
        a.signals["p_unanswerable"] = round(p_unanswered, 4)
        if p_unanswered >= engine.abstain_unanswerable_at:
            why = t(turn.lang, "why_abstained_unanswerable", p=fmt_conf(p_unanswered))
            warning = f"P(unanswerable) {p_unanswered:.2f} >= {engine.abstain_unanswerable_at}"
            turn.abstain(chosen[0].cand.span, who, why, warning, conf)
            a.warn(WarningCode.UNANSWERABLE, warning)
            yield from turn.finish()
            return
    spans = [c.cand.span for c in chosen]
    a.confidence = conf
    # an introduction (it ends with ":") answers with what it introduces; a list item, a list question
    listing = is_list_question(question)
    if len(chosen) == 1 and (listing or spans[0].text.rstrip().endswith(":")):
        calibrated = all(c.verdict.calibrated for c in chosen if c.verdict)
        found = list_answer(turn, parts, corpus, question, chosen[0], listing)
        if found is None and listing:
            found, conf = ranked_list(turn, parts, corpus, per_ask[0], types, best_dense, conf)
            a.confidence = conf
        if found is not None:
            answer_list(turn, found, types, conf, calibrated)
            note_silent_asks(turn, asks, chosen)
            yield from turn.finish()
            return
    listed = ask_lists(turn, parts, corpus, per_ask, chosen, types, best_dense) if len(chosen) > 1 else {}
    turn.leads = leads_of(corpus, spans)  # reads the documents the wording's checks read too
    chosen = widened(chosen, turn.leads)
    spans = [c.cand.span for c in chosen]
    yield Shown(one_quote(spans, types, leads=turn.leads), "checked", _cites(spans))
    yield Progress("say", "writing the answer")
    if listed:
        rest = [c for i, c in enumerate(chosen) if i not in listed]
        answer_with_lists(turn, chosen, listed, word(turn, parts, corpus, question, rest, by_ask=True), types)
        note_silent_asks(turn, asks, chosen)
        yield from turn.finish()
        return
    conclude(turn, parts, chosen, word(turn, parts, corpus, question, chosen), types, who)
    note_silent_asks(turn, asks, chosen)
    yield from turn.finish()


def answered_asks(engine: EngineConfig, chosen: Sequence[Checked]) -> list[Checked]:
    """The asks' answers that answer: all of them when the first ask's passes the confidence threshold; else,
    when a later ask's passes it (not only the second ask's P(yes) gate: it now answers the question alone),
    the later asks' answers, the first ask then being one the documents are silent on (note_silent_asks);
    else the first ask's alone, which abstains. A later ask answering alone then passes every gate a whole
    question's answer does: without the unanswerable gate (whose ranker score a fragment of a question
    cannot reach), the dev split gained one item and the test split lost four (a wrong answer where it
    abstained)."""
    first, later = list(chosen[:1]), list(chosen[1:])
    if not first or not later or (first[0].verdict and first[0].conf >= engine.abstain_below):
        return list(chosen)
    if later[0].verdict and later[0].conf >= engine.abstain_below:
        return later
    return first


def widened(chosen: Sequence[Checked], leads: Mapping[tuple[str, int, int], str]) -> list[Checked]:
    """Each answer's sentence whole where the ranker's unit was a piece of a long sentence cut at a comma
    (spans.whole_sentence), so that the wording and the quote keep the condition the rest of the sentence
    sets, and with the sentence before or after it that one of them points back at (spans.with_neighbours:
    "If we do so, we will give at least 30 days notice" after what "so" is); not an item of an enumeration
    read after its governing words (`leads`: its quote elides the rest), nor a sentence another ask's answer
    already is."""
    out: list[Checked] = []
    seen: set[tuple[str, int, int]] = set()
    answers = {c.cand.span.key for c in chosen}
    for c in chosen:
        sp = c.cand.span
        sentence = whole_sentence(sp, leads.get(sp.key))
        whole = with_neighbours(sentence, leads.get(sp.key), avoid=answers - {sp.key})
        if whole.key in seen:
            whole = sentence = sp
        seen.add(whole.key)
        if whole is sp:
            out.append(c)
        else:
            kept = sentence if whole is not sentence else None
            out.append(replace(c, cand=replace(c.cand, span=whole), checked_sentence=kept))
    return out


def leads_of(corpus: CorpusView, spans: Sequence[Span]) -> dict[tuple[str, int, int], str]:
    """The words each span completes, by span key, for the spans that are items of an enumeration
    (lists.governing_words): "(iv) utiliser la Solution pour … stocker des numéros de carte…" alone reads as
    allowed, and the model restated it as "Aura Digital states that it will use the Solution to … store
    credit card numbers" until it was shown after "Le Client ne doit pas"."""
    return {sp.key: lead for sp in spans if (lead := corpus.governing_words(sp))}


def answered_later(engine: EngineConfig, chosen: Sequence[Checked]) -> list[Checked]:
    """When the unanswerable gate stops the first ask's answer, the later asks' answers if the first of them
    passes the confidence threshold and the gate on its own signals (the first ask then being one the
    documents are silent on, as when its answer fails the confidence threshold: answered_asks); else []."""
    later = list(chosen[1:])
    if not later or not later[0].verdict or later[0].conf < engine.abstain_below:
        return []
    p = engine.p_unanswerable(later[0].signals)
    return later if p is not None and p < engine.abstain_unanswerable_at else []


def note_silent_asks(turn: Turn, asks: Sequence[str], chosen: Sequence[Checked]) -> None:
    """When a question's asks are not all answered, the answer names the ones the documents are silent on (not
    a later ask that the first ask's answer was checked to answer as well: Turn.covered)."""
    a = turn.answer
    # the first ask's answer also answers the asks it covers, when it is the answer shown
    covered = turn.covered if asks and any(c.ask == asks[0] for c in chosen) else []
    silent = [ask for ask in asks if all(c.ask != ask for c in chosen) and ask not in covered]
    silent = silent if len(asks) > 1 else []
    if silent and not a.abstained:
        a.answer += "\n" + "\n".join(t(turn.lang, "ask_silent", ask=ask) for ask in silent)
        a.warn(WarningCode.ASK_SILENT, "no sentence for: " + " | ".join(silent))


def context_candidates(answer: Checked, own: Sequence[Candidate]) -> list[Candidate]:
    """The sentences a later ask of the question is checked on besides its own best-ranked ones: those just
    before and after the first ask's answer in its clause, when not among `own`. The two asks of one question
    are often answered side by side ("…the customer may terminate on thirty days' notice. Prepaid fees are then
    refunded."), where the later ask's own retrieval may not look. (The first ask's other checked sentences, also
    tried, were accepted for second asks that the documents do not answer.)"""
    sp = answer.cand.span
    around = split_clause(sp.clause)
    at = next((k for k, x in enumerate(around) if x.key == sp.key), None)
    near = [] if at is None else [around[k] for k in (at - 1, at + 1) if 0 <= k < len(around)]
    seen = {c.span.key for c in own}
    return [Candidate(x, ()) for x in near if x.key not in seen and x.text.strip()]


def choose(engine: EngineConfig, verdicts: Sequence[Checked], closed: bool) -> tuple[Checked, Checked]:
    """The ask's answering sentence among its checked ones (best-ranked first), as (the sentence, the answer:
    that sentence with the confidence it is given). An open question's: the engine's selection (the ranker's
    order unless the check is much surer of a lower-ranked one). A closed question's: the best-ranked sentence
    not refused, whenever the check accepts any, with the most confident sentence's confidence and signals
    (what says the documents address the question; the unanswerable gate reads them too: with the answering
    sentence's own ranking signals instead, dev answered one more unanswerable question and no more right
    ones). On closed questions the check's P(yes) follows the sentence's polarity ("LEO Bizdev ne passe pas
    d'appel…" 0.18 for "LEO Bizdev peut-il appeler mes prospects ?"): on the dev split's 33 closed questions
    it does not tell the evidence from the sentences ranked beside it (AUC 0.52 over the 3 checked), while
    the ranker's first sentence is the evidence in 22; the evidence answered 14 of them by the engine's
    selection, 20 this way, with the same 2 abstentions."""
    best = verdicts[engine.select([v.conf for v in verdicts], closed, [v.refused for v in verdicts])]
    top = max(verdicts, key=lambda v: v.conf)
    if closed and top is not best and top.conf >= engine.abstain_below:
        return best, replace(best, conf=top.conf, signals=dict(top.signals))
    return best, best


def checked_note(verdicts: Sequence[Checked], chosen: Checked) -> str:
    """The internal note of one ask's checked sentences, best-ranked first, each with its verdict and span
    (what evals.selection replays the choice of the answering sentence from)."""
    parts = [
        f"{v.cand.span.clause.document}:{v.cand.span.start}-{v.cand.span.end} P(yes) {v.p:.3f}, "
        f"confidence {v.conf:.3f}{', chosen' if v is chosen else ''}"
        for v in verdicts
    ]
    return "check: " + "; ".join(parts)


def check_asks(
    turn: Turn, parts: Parts, corpus: CorpusView, per_ask: Asks, types: Sequence[str], best_dense: float
) -> tuple[list[Checked], str]:
    """Each ask's best checked sentence: the first ask's always, a later ask's when accepted on its own
    (EngineConfig.accepts_secondary), else whether the first ask's answer answers it too (P(yes) >=
    EngineConfig.covers_at: Turn.covered). Returns (chosen, error); on a model error, the failing ask's
    best-ranked sentence alone, unchecked."""
    engine = parts.engine
    norm = weight_norm(parts.weights)
    tc = time.perf_counter()
    chosen: list[Checked] = []
    error = ""
    ms: list[float] = []
    for i, (ask, cands) in enumerate(per_ask):
        # a later ask gets a sentence of its own (the first ask's answer would add nothing), and is also
        # checked on the sentences around the first ask's answer
        taken = {c.cand.span.key for c in chosen}
        pool = [c for c in cands if c.span.key not in taken][: turn.checks or engine.max_checks]
        if chosen:  # a later ask (the first ask's answer is chosen[0])
            pool += context_candidates(chosen[0], pool)
        if not pool:
            continue
        run = check_candidates(
            lambda: parts.checker,
            ask,
            pool,
            len(pool),
            engine.accept_at,
            corpus.readable,
            partial(refuses, ask),
        )
        ms += run.ms
        if run.error:
            chosen, error = [run.verdicts[0]], run.error
            break
        for v in run.verdicts:
            v.ask = ask
        score_checked(engine, run.verdicts, ask, cands, types, best_dense, norm)
        best, answer = choose(engine, run.verdicts, is_yes_no_question(ask))
        if best is answer and not is_yes_no_question(ask):
            best = answer = asked_row(turn, parts, corpus, ask, cands, run.verdicts, best, types, best_dense)
        turn.answer.warn(WarningCode.CHECK, checked_note(run.verdicts, best))
        if i == 0 or engine.accepts_secondary(answer.conf, answer.p):
            chosen.append(answer)
        elif chosen:  # no sentence of its own: does the first ask's answer answer it too?
            first = check_candidates(
                lambda: parts.checker,
                ask,
                [chosen[0].cand],
                1,
                engine.accept_at,
                corpus.readable,
                partial(refuses, ask),
            )
            ms += first.ms
            if first.error:  # the ask is said to be silent, as when the first answer was not checked for it
                turn.answer.warn(
                    WarningCode.CHECK, f"first answer not checked for a later ask: {first.error}"
                )
                continue
            score_checked(engine, first.verdicts, ask, cands, types, best_dense, norm)
            also = first.verdicts[0]
            note = checked_note(first.verdicts, also).removeprefix("check: ")
            turn.answer.warn(WarningCode.CHECK, f"first answer checked for a later ask ({ask}): {note}")
            if also.p >= engine.covers_at:
                turn.covered.append(ask)
    turn.timings["check"] = timed_ms(tc)
    turn.timings["checks"] = float(len(ms))
    if ms:  # the first check reads the question; the next ones reuse it from the KV cache
        turn.timings["check_first_ms"] = ms[0]
        if len(ms) > 1:
            turn.timings["check_next_ms"] = sum(ms[1:]) / len(ms[1:])
    return chosen, error


def word(
    turn: Turn,
    parts: Parts,
    corpus: CorpusView,
    question: str,
    chosen: Sequence[Checked],
    by_ask: bool = False,
) -> list[Said]:
    """One short wording per checked sentence, each for its own ask (a small model restating two sentences
    at once drops one of them; `by_ask`: each for its own ask even when there is one, the other ask being
    answered by a list), until the model fails; for a closed question whose verdict two readings settle, the
    verdict and the quoted sentence instead (assistant.verdict)."""
    tg = time.perf_counter()
    out: list[Said] = []

    def reading(sp: Span) -> str:  # what the verdict and the wording read of a sentence (Turn.leads)
        return read_with(turn.leads.get(sp.key), corpus.readable(sp))

    for c in chosen:
        ask = (c.ask or question) if by_ask or len(chosen) > 1 else question
        span = c.cand.span
        closed = is_yes_no_question(ask)
        decides = c.checked_sentence or span  # what was checked, without a neighbour quoted beside it
        cells = corpus.row_cells(decides)
        if len(cells) >= 2:  # a table row: the cell asked for, named by its row and column (assistant.cells)
            cell = read_cell(ask, cells, span.clause.vendor_name, parts.checker, parts.similarities())
            turn.answer.warn(WarningCode.TABLE_CELL, cell.note())
            verdict = None
            if closed and len(cell.cells) == 1:  # "…within 4 hours?" is settled by the asked cell alone
                settled = settle(parts.verdict_checker, ask, cell.text, span.clause.vendor_name)
                turn.answer.warn(WarningCode.VERDICT, settled.note())
                verdict = settled.verdict
            text = f"{t(turn.lang, verdict)} {cell.text} [1]" if verdict else f"{cell.text} [1]"
            out.append(Said(text=text, citations=[span_citation(1, span)], verdict=verdict, cell=True))
            continue
        # a closed question's verdict first: the sentence's check left most of this prompt in the KV cache
        if closed:
            # read from the sentence that was checked, not with the neighbour quoted beside it: the model's
            # reading of two sentences settled fewer verdicts (one right "Yes." lost on the test split)
            settled = settle(parts.verdict_checker, ask, reading(decides), span.clause.vendor_name)
            turn.answer.warn(WarningCode.VERDICT, settled.note())
            if settled.verdict:  # the verdict and the sentence that decides it: no wording to ask for
                out.append(
                    stated(settled.verdict, span, question_types(ask), turn.lang, turn.leads.get(span.key))
                )
                continue
        row = None if closed else corpus.row_text(span)
        # a row of a table of names ("OpenAI | Intelligence artificielle générative"): its cells, each named
        if row:
            turn.answer.warn(WarningCode.TABLE_CELL, "table cell: the row, each cell named by its column")
            out.append(Said(text=f"{row} [1]", citations=[span_citation(1, span)], cell=True))
            continue
        said = say(
            parts.llm,
            parts.prompt(),
            ask,
            [span],
            turn.lang,
            corpus.text_of,
            max_tokens=min(parts.settings.llm.max_tokens, 120),
            readable=reading,
        )
        if said.first_token_ms is not None and "llm_first_token" not in turn.timings:
            turn.timings["llm_first_token"] = (tg - turn.t0) * 1000 + said.first_token_ms
        if closed:
            said = unsettled(said)
        said = supported(said, parts.sentence_vectors, reading(span), parts.min_support)
        out.append(said)
        if said.error:
            break
    turn.timings["generate"] = timed_ms(tg)
    return out


def conclude(
    turn: Turn, parts: Parts, chosen: Sequence[Checked], said: Sequence[Said], types: Sequence[str], who: str
) -> None:
    """The outcome once the model has restated the sentence(s): the generated wording when every ask's
    passed (a rejected ask's sentence quoted in its place when another passed), the sentence quoted when
    none passed, or an abstention when the confidence was weak and the model stated no answer from the
    sentence (engine.abstain_unworded_below)."""
    a, lang, engine = turn.answer, turn.lang, parts.engine
    conf = chosen[0].conf
    spans = [c.cand.span for c in chosen]
    calibrated = all(c.verdict.calibrated for c in chosen if c.verdict)
    conf_txt = conf_text(lang, conf, calibrated)
    if not calibrated:
        a.warn(
            WarningCode.UNCALIBRATED,
            "the checker's model gives no log-probabilities: confidence is a parsed yes/no",
        )
    a.citations = _cites(spans)
    a.abstained = False
    pieces = [
        renumber_one(s.text, i)
        if s.text
        else one_quote([c.cand.span], types, leads=turn.leads).replace(" [1]", f" [{i}]")
        for i, (s, c) in enumerate(zip(said, chosen, strict=False), 1)
    ]
    rejected = [s for s in said if not s.text]
    generated = len(said) - len(rejected)
    no_answer = generated == 0 and all(s.reason is not None and s.reason.states_no_answer for s in rejected)
    if a.signals:
        a.signals["wording_no_answer"] = 1.0 if no_answer else 0.0
    if generated == len(chosen):
        a.answer, a.mode = " ".join(pieces), "generated"
        why = (
            "why_verdict"
            if all(s.verdict for s in said)
            else "why_cell"
            if all(s.cell for s in said)
            else "why_generated"
        )
        a.explanation = t(lang, why, conf=conf_txt)
    elif generated:
        a.answer, a.mode = "\n".join(pieces), "generated"
        a.explanation = t(lang, "why_generated", conf=conf_txt)
        a.warn(WarningCode.WORDING_REJECTED, f"wording rejected for one ask: {rejected[0].failure}")
    elif no_answer and conf < engine.abstain_unworded_below:
        reason = reason_text(rejected[0].reason, lang)
        why = t(lang, "why_abstained_unworded", conf=fmt_conf(conf), reason=reason)
        note = f"confidence {conf:.2f} < {engine.abstain_unworded_below} and no answer stated: "
        turn.abstain(spans[0], who, why, note + rejected[0].failure, conf)
    else:
        a.answer, a.mode = one_quote(spans, types, leads=turn.leads), "extractive"
        a.explanation = t(lang, "why_quoted", conf=conf_txt, reason=reason_text(rejected[0].reason, lang))
        a.warn(WarningCode.WORDING_REJECTED, f"wording rejected: {rejected[0].failure}")


def list_answer(
    turn: Turn, parts: Parts, corpus: CorpusView, question: str, best: Checked, listing: bool
) -> Listed | None:
    """(why, [(introduction, items)]) of the answer that lists, for a list question (`listing`:
    is_list_question) or a chosen introduction: the list the chosen sentence belongs to (or refers back to, or that follows it), else the
    table rows the check accepts (a list question). None when no list answers. (The list of another
    accepted sentence than the chosen one was tried and dropped: it replaced right answers, "Articles 44 to
    49", with a neighbouring list.)"""
    intro, items = whole_list(corpus, best.cand.span, listing)
    if intro is not None:  # an introduction ends with ":"; else the sentence an enumeration follows
        sp = best.cand.span
        why = "why_list" if sp.start < items[-1].end else "why_list_referred"
        return (why if intro.text.rstrip().endswith(":") else "why_enumeration"), [(intro, items)]
    if not listing:
        return None
    intro, items = table_answers(turn, parts, corpus, question, best)
    if items:
        return "why_table", [(intro, items)]
    return None


def whole_list(corpus: CorpusView, best: Span, asked_for_list: bool = True) -> tuple[Span | None, list[Span]]:
    """(introduction, items) of the list the checked sentence introduces or belongs to (read from its clause
    and the clauses around it); for a question that asks for a list, also of the list it refers back to
    ("ces droits" right after the list of rights), or (the sentence, [the enumeration after it]) when the
    sentence that follows refers back to it and enumerates ("… dommages indirects. Sont considérés comme
    tels les pertes de marchés, …"); (None, []) when it is in no list."""
    clauses = corpus.neighbours(best.clause, before=3, after=MAX_ITEMS)
    spans = [sp for c in clauses for sp in split_clause(c)]
    text = corpus.document_text(best.clause.document, best.clause.doc_sha256)
    intro, items = list_run(best, spans, text)
    if intro is not None or not asked_for_list:
        return intro, items
    intro, items = list_referred(best, spans, text)
    if intro is not None:
        return intro, items
    enumeration = enumeration_after(best, spans, text)
    return (best, [enumeration]) if enumeration is not None else (None, [])


def table_answers(
    turn: Turn,
    parts: Parts,
    corpus: CorpusView,
    question: str,
    best: Checked,
    table: Block | None = None,
) -> tuple[Span | None, list[Span]]:
    """A list question's answer from the text table whose row was checked: its introduction (when the line
    before the table introduces it) and the rows the check accepts on their own (P(yes) >= the engine's
    secondary_p, as a second ask's sentence is: "Which generative AI providers…?" keeps two rows of eight),
    each shown to the model with its columns named; `table` (introduction, rows) when the checked sentence is
    the table's introduction rather than a row. (None, []) when the sentence is no table row, or when fewer
    than two rows are accepted (one row is the ordinary answer)."""
    intro, rows = table if table is not None else corpus.table_rows(best.cand.span)
    if len(rows) < 2:
        return None, []
    engine, kept = parts.engine, []
    tc = time.perf_counter()
    for row in rows[:MAX_ITEMS]:
        if row.key == best.cand.span.key:
            kept.append(row)
            continue
        try:
            v = parts.checker.check(
                best.ask or question, " ".join(corpus.readable(row).split()), row.clause.vendor_name
            )
        except Exception:  # noqa: BLE001 - the model failed mid-table: the checked row answers alone
            return None, []
        if v.p_yes >= engine.secondary_p:
            kept.append(row)
    turn.timings["table_check"] = timed_ms(tc)
    if len(kept) < 2:
        return None, []
    return intro, kept


# How far down its ranked candidates a list question looks for the list it asks for when the checked sentence
# belongs to none, and how many of those candidates (a list's introduction or items, a table's rows) one list
# must hold.
LIST_POOL = 8
LIST_MIN_RANKED = 2


@dataclass
class RankedList:
    """A list (its introduction and items) or a text table (its introduction, when the line before it has one,
    and its rows) of the document, with the 0-based ranks of the question's candidates it holds."""

    intro: Span | None
    items: list[Span]
    table: bool
    ranks: list[int] = field(default_factory=list)

    def holds(self, sp: Span) -> bool:
        """Whether the sentence is the introduction, an item or a row (or a part of one)."""
        first = self.intro or self.items[0]
        return sp.clause.document == first.clause.document and first.start <= sp.start < self.items[-1].end


def ranked_lists(corpus: CorpusView, cands: Sequence[Candidate]) -> list[RankedList]:
    """The lists and tables that hold at least LIST_MIN_RANKED of the question's LIST_POOL best-ranked
    candidates, each once (a sentence after a list that refers back to it finds the same list), the one
    holding most first (ties: the best-ranked)."""
    found: list[RankedList] = []
    top = [c.span for c in cands[:LIST_POOL]]
    for sp in top:
        if any(f.holds(sp) for f in found):
            continue
        intro, rows = corpus.table_rows(sp)
        if len(rows) >= 2:
            found.append(RankedList(intro, rows, table=True))
            continue
        intro, items = whole_list(corpus, sp)
        if (
            intro is not None
            and items
            and intro.text.rstrip().endswith(":")
            and not any(f.holds(intro) for f in found)
        ):
            found.append(RankedList(intro, items, table=False))
    for f in found:  # a table's introduction ranked before its rows counts too
        f.ranks = [r for r, sp in enumerate(top) if f.holds(sp)]
    kept = [f for f in found if len(f.ranks) >= LIST_MIN_RANKED]
    return sorted(kept, key=lambda f: (-len(f.ranks), f.ranks[0]))


def ranked_list(
    turn: Turn,
    parts: Parts,
    corpus: CorpusView,
    ask: tuple[str, list[Candidate]],
    types: Sequence[str],
    best_dense: float,
    conf: float,
) -> tuple[Listed | None, float]:
    """((why, [(introduction, items)]), confidence) of a list question's answer when its checked sentence
    belongs to no list: the list or table holding most of the question's best-ranked candidates
    (ranked_lists), when the check accepts its best-ranked member as a second ask's sentence is accepted
    (EngineConfig.accepts_secondary), with the other lists of its document that hold two of them and are
    accepted too; a table answers with the rows the check accepts (table_answers). (None,
    `conf`) otherwise. "What kinds of data can the platform process?" ranks a sentence about mailbox data
    first, and four lines of the list of data categories 4th to 8th; "Which sub-processors…?" ranks "the
    provider keeps the list of its sub-processors available" first, two rows of the table of them 7th and 8th."""
    question, cands = ask
    lists = ranked_lists(corpus, cands)
    if not lists:
        return None, conf
    first, engine = lists[0], parts.engine
    if first.table:
        checked = _check_member(turn, parts, corpus, question, cands, first, types, best_dense)
        if checked is None or not engine.accepts_secondary(checked.conf, checked.p):
            return None, conf
        intro, rows = table_answers(turn, parts, corpus, question, checked, (first.intro, first.items))
        return (("why_table_ranked", [(intro, rows)]), checked.conf) if rows else (None, conf)
    # the other lists of that document that hold two best-ranked sentences too go with it ("the subprocessors
    # located in the United States:" and "… in the EU:")
    accepted: list[tuple[RankedList, Checked]] = []
    for f in lists:
        if f.table or f.items[0].clause.document != first.items[0].clause.document:
            continue
        checked = _check_member(turn, parts, corpus, question, cands, f, types, best_dense)
        if checked is None:
            break
        if engine.accepts_secondary(checked.conf, checked.p):
            accepted.append((f, checked))
    if not accepted:
        return None, conf
    blocks = [(f.intro, f.items) for f, _c in sorted(accepted, key=lambda fc: fc[0].items[0].start)]
    return ("why_list_ranked", blocks), accepted[0][1].conf


def _check_member(
    turn: Turn,
    parts: Parts,
    corpus: CorpusView,
    question: str,
    cands: Sequence[Candidate],
    found: RankedList,
    types: Sequence[str],
    best_dense: float,
) -> Checked | None:
    """The check of a ranked list's best-ranked member, with its confidence (None when the model failed)."""
    member = cands[found.ranks[0]]
    engine = parts.engine
    run = check_candidates(lambda: parts.checker, question, [member], 1, engine.accept_at, corpus.readable)
    if run.error or not run.verdicts or run.verdicts[0].verdict is None:
        return None
    checked = run.verdicts[0]
    checked.ask = question
    score_checked(engine, [checked], question, cands, types, best_dense, weight_norm(parts.weights))
    p = checked.p
    first = found.intro or found.items[0]
    turn.answer.warn(
        WarningCode.CHECK,
        f"{'table' if found.table else 'list'}: {first.clause.document}:{first.start}-{found.items[-1].end} "
        f"holds ranks {', '.join(str(r + 1) for r in found.ranks)}; rank {found.ranks[0] + 1} P(yes) {p:.3f}, "
        f"confidence {checked.conf:.3f}",
    )
    return checked


def ask_lists(
    turn: Turn,
    parts: Parts,
    corpus: CorpusView,
    per_ask: Asks,
    chosen: Sequence[Checked],
    types: Sequence[str],
    best_dense: float,
) -> dict[int, Listed]:
    """For a question of several asks, the list answer (why, [(introduction, items)]) of each chosen ask that
    asks for a list and finds one (list_answer, else ranked_list), by the ask's index in `chosen`: "Which sub-processors does
    the vendor use, and how are new ones authorised?" lists the sub-processors, and words the other ask."""
    out: dict[int, Listed] = {}
    for i, c in enumerate(chosen):
        if not c.ask or not is_list_question(c.ask):
            continue
        found = list_answer(turn, parts, corpus, c.ask, c, True)
        own = next((cands for ask, cands in per_ask if ask == c.ask), None)
        if found is None and own:
            found, _conf = ranked_list(turn, parts, corpus, (c.ask, own), types, best_dense, c.conf)
        if found is not None:
            out[i] = found
    return out


def answer_with_lists(
    turn: Turn,
    chosen: Sequence[Checked],
    listed: dict[int, Listed],
    said: Sequence[Said],
    types: Sequence[str],
) -> None:
    """A question of several asks answered ask by ask, in the question's order: each ask in `listed` by its
    list (introduction and items, each quoted and cited), each other ask by its wording (`said`, in order)
    when it passed the checks, else by its sentence quoted; citations numbered through, a passage another
    ask already cites keeping its number and not quoted twice ("In which cases, and after how long, can
    37signals cancel an inactive account?": both asks find the same list, which is shown once)."""
    a, lang = turn.answer, turn.lang
    lines: list[str] = []
    cited = Numbering()
    words = iter(said)
    worded = 0
    for i, c in enumerate(chosen):
        if i in listed:
            blocks = listed[i][1]
            if all(
                cited.has(sp) for intro, items in blocks for sp in ([intro] if intro else []) + list(items)
            ):
                continue  # an earlier ask's list already shows every line of this one
            lines += blocks_lines(blocks, types, cited)
            continue
        s = next(words, None)
        sp = c.cand.span
        if s is not None and s.text:
            lines.append(renumber_one(s.text, cited.number(sp)))
            worded += 1
        elif not cited.has(sp):
            lines.append(one_quote([sp], types, leads=turn.leads).replace(" [1]", f" [{cited.number(sp)}]"))
            why = s.failure if s is not None else "no wording"
            a.warn(WarningCode.WORDING_REJECTED, f"wording rejected for one ask: {why}")
    a.answer, a.abstained = "\n".join(lines), False
    a.mode = "generated" if worded else "extractive"
    a.citations = _cites(cited.spans)
    why, blocks = next(iter(listed.values()))
    calibrated = all(c.verdict.calibrated for c in chosen if c.verdict)
    conf = chosen[0].conf
    conf_txt = conf_text(lang, conf, calibrated)
    a.explanation = t(lang, why, n=sum(len(items) for _intro, items in blocks), conf=conf_txt)


@dataclass
class Numbering:
    """The citation numbers of an answer's passages, in the order they are first cited ([1], [2]…): a
    passage cited again keeps its first number."""

    spans: list[Span] = field(default_factory=list)
    _at: dict[tuple[str, int, int], int] = field(default_factory=dict)

    def has(self, sp: Span) -> bool:
        return sp.key in self._at

    def number(self, sp: Span) -> int:
        """`sp`'s number, a new one if it is not cited yet."""
        if sp.key not in self._at:
            self.spans.append(sp)
            self._at[sp.key] = len(self.spans)
        return self._at[sp.key]


def list_lines(
    intro: Span | None, items: Sequence[Span], types: Sequence[str], cited: Numbering
) -> list[str]:
    """A list's lines: its introduction, when there is one, then every item on its own line, each quoted
    verbatim and cited by its number in `cited` (a new number for a passage not cited yet)."""
    lines = [f"{marked_quote(intro.text, types)} [{cited.number(intro)}]"] if intro is not None else []
    return lines + [f"- {marked_quote(sp.text, types)} [{cited.number(sp)}]" for sp in items]


def blocks_lines(blocks: Sequence[Block], types: Sequence[str], cited: Numbering) -> list[str]:
    """The lines of one or more lists (list_lines), their passages numbered in `cited`."""
    return [line for intro, items in blocks for line in list_lines(intro, items, types, cited)]


def conf_text(lang: str, conf: float, calibrated: bool) -> str:
    """The confidence as the reader sees it; a checker whose model gives no probabilities is said to."""
    return fmt_conf(conf) if calibrated else t(lang, "conf_uncalibrated", conf=fmt_conf(conf))


def answer_list(turn: Turn, found: Listed, types: Sequence[str], conf: float, calibrated: bool) -> None:
    """A list question answered by the list(s) of the document `found` holds: each list's introduction (when
    there is one) on its own line, then every item on its own line, each quoted verbatim and cited."""
    a, lang = turn.answer, turn.lang
    why, blocks = found
    cited = Numbering()
    lines = blocks_lines(blocks, types, cited)
    a.answer, a.mode, a.abstained = "\n".join(lines), "extractive", False
    a.citations = _cites(cited.spans)
    conf_txt = conf_text(lang, conf, calibrated)
    a.explanation = t(lang, why, n=sum(len(items) for _intro, items in blocks), conf=conf_txt)


def renumber_one(text: str, n: int) -> str:
    """A one-source wording's markers ([1]) renumbered to [n]."""
    return text if n == 1 else text.replace("[1]", f"[{n}]")


def _cites(spans: Sequence[Span]) -> list[Citation]:
    return [span_citation(i, s) for i, s in enumerate(spans, 1)]
