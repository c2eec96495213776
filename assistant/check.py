"""Check: the language model as a yes/no judge of one candidate sentence ("does this sentence answer the
question?"), read from its log-probabilities of the first answer token.

P(yes) = p("yes") / (p("yes") + p("no")) over the model's next-token distribution is the answer's
confidence: the pipeline abstains under a threshold calibrated on the gold dev split. The prompt puts the
fixed instructions first, then the question, then the sentence, so that llama.cpp reuses its KV cache for
everything but the sentence when several candidates of one question are checked (and for the instructions
across questions).

Three ways to read the verdict, one per kind of model:
- local GGUF (llama-cpp-python): the next-token logits, directly, with the prompt prefix kept in the cache;
- OpenAI-compatible endpoints: `logprobs` / `top_logprobs` of a one-token completion;
- any other chat model (Anthropic, fakes): the reply parsed as yes/no (P = 1.0 or 0.0), flagged as
  `calibrated = False` so that the answer says its confidence is not a probability."""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from assistant.prompts import Prompt
from assistant.rank import Candidate
from assistant.spans import Span

log = logging.getLogger(__name__)

ENGINE_PROMPT = "engine.v2"  # sections: system (shared with the say stage), check, say, verdict
_YES = ("yes", "Yes", "YES", "oui", "Oui")
_NO = ("no", "No", "NO", "non", "Non")
_PARSE = re.compile(r"^\W*(yes|oui|no|non)\b", re.I)


@dataclass(frozen=True)
class Verdict:
    """The checker's judgement of one sentence: P(yes) in 0..1, whether it is a real probability, and how
    long it took."""

    p_yes: float
    calibrated: bool
    ms: float = 0.0


class Checker(Protocol):
    """Judges whether a sentence answers a question."""

    name: str

    def check(self, question: str, sentence: str, label: str) -> Verdict: ...


def check_messages(
    prompt: Prompt, question: str, sentence: str, label: str, section: str = "check"
) -> list[BaseMessage]:
    """The check prompt (or another yes/no section of the same shape: "verdict") as chat messages: the
    system part is the one the say stage uses too, and the question comes before the sentence, so the KV
    cache holds everything but the sentence (and, for a verdict read right after the sentence's check, all
    but the last line)."""
    return [
        SystemMessage(content=prompt.render("system")),
        HumanMessage(content=prompt.render(section, question=question, sentence=sentence, label=label)),
    ]


def _normalise(p_yes: float, p_no: float) -> float:
    total = p_yes + p_no
    return p_yes / total if total > 0 else 0.5


class LlamaCppChecker:
    """Reads P(yes) from a llama-cpp-python model's next-token logits; reuses the evaluated prefix."""

    def __init__(self, llama: Any, prompt: Prompt, name: str = "llama.cpp", section: str = "check") -> None:
        import numpy as np

        self._np = np
        self.llama = llama
        self.prompt = prompt
        self.name = name
        self.section = section
        self._yes = self._first_tokens(_YES)
        self._no = self._first_tokens(_NO)
        self._formatter = self._make_formatter()

    def _first_tokens(self, words: Sequence[str]) -> list[int]:
        ids: set[int] = set()
        for w in words:
            for form in (w, " " + w):
                toks = self.llama.tokenize(form.encode("utf-8"), add_bos=False, special=False)
                if len(toks) == 1:
                    ids.add(toks[0])
        return sorted(ids)

    def _make_formatter(self) -> Any:
        """The GGUF's own chat template (Jinja), so the prompt is what chat completion would send."""
        try:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            meta = self.llama.metadata
            template = meta.get("tokenizer.chat_template")
            if not template:
                return None
            vocab_eos = self.llama.token_eos()
            vocab_bos = self.llama.token_bos()
            eos = self.llama.detokenize([vocab_eos]).decode("utf-8", "ignore") if vocab_eos >= 0 else ""
            bos = self.llama.detokenize([vocab_bos]).decode("utf-8", "ignore") if vocab_bos >= 0 else ""
            return Jinja2ChatFormatter(
                template=template, eos_token=eos, bos_token=bos, add_generation_prompt=True
            )
        except Exception:  # noqa: BLE001 - fall back to ChatML (Qwen's format)
            log.debug("no usable chat template in the GGUF; using ChatML", exc_info=True)
            return None

    def _prompt_text(self, messages: list[BaseMessage]) -> str:
        msgs = [
            {"role": "system" if isinstance(m, SystemMessage) else "user", "content": str(m.content)}
            for m in messages
        ]
        if self._formatter is not None:
            return str(self._formatter(messages=msgs).prompt)
        parts = [f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in msgs]
        return "".join(parts) + "<|im_start|>assistant\n"

    def next_token_logits(self, text: str) -> Any:
        """Logits of the token after `text`, evaluating only what differs from the cached prefix."""
        llama = self.llama
        tokens = llama.tokenize(text.encode("utf-8"), add_bos=True, special=True)
        prev = llama.input_ids[: llama.n_tokens].tolist()
        common = 0
        for a, b in zip(prev, tokens, strict=False):
            if a != b:
                break
            common += 1
        common = min(common, len(tokens) - 1)  # evaluate at least the last token to get its logits
        llama.n_tokens = common
        llama.eval(tokens[common:])
        # the last token's row (llama_get_logits is the batch's first row when a context computes every
        # token's logits: logits_all, or a draft model for speculative decoding)
        return self._np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(llama.n_vocab(),))

    def check(self, question: str, sentence: str, label: str) -> Verdict:
        t0 = time.perf_counter()
        text = self._prompt_text(check_messages(self.prompt, question, sentence, label, self.section))
        logits = self.next_token_logits(text).astype("float64")
        m = float(logits.max())
        probs = self._np.exp(logits - m)
        z = float(probs.sum())
        p_yes = float(probs[self._yes].sum()) / z
        p_no = float(probs[self._no].sum()) / z
        return Verdict(_normalise(p_yes, p_no), True, (time.perf_counter() - t0) * 1000)


class LogprobsChecker:
    """For chat models that return `logprobs` (OpenAI-compatible servers: vLLM, llama.cpp server, Ollama,
    OpenAI): a one-token completion with its top alternatives."""

    def __init__(
        self, llm: BaseChatModel, prompt: Prompt, name: str = "endpoint", section: str = "check"
    ) -> None:
        self.llm = llm
        self.prompt = prompt
        self.name = name
        self.section = section
        self.has_logprobs = True

    def check(self, question: str, sentence: str, label: str) -> Verdict:
        t0 = time.perf_counter()
        msgs = check_messages(self.prompt, question, sentence, label, self.section)
        if self.has_logprobs:
            try:
                bound = self.llm.bind(logprobs=True, top_logprobs=10, max_tokens=1)
                reply = bound.invoke(msgs)
            except Exception as exc:
                if not refuses_logprobs(exc):
                    raise  # down, slow, garbage: a failed call; the next question tries logprobs again
                log.warning("the endpoint refused logprobs (%s): parsing yes/no replies", type(exc).__name__)
                self.has_logprobs = False
        if not self.has_logprobs:
            reply = self.llm.bind(max_tokens=2).invoke(msgs)
            return _parsed_verdict(str(reply.content), t0)
        v = verdict_from_logprobs(reply.response_metadata.get("logprobs"))
        if v is None:  # the provider gave none: parse the reply instead (and say so)
            return _parsed_verdict(str(reply.content), t0)
        return Verdict(v, True, (time.perf_counter() - t0) * 1000)


def refuses_logprobs(exc: BaseException) -> bool:
    """Whether a failed call is the server's own refusal of `logprobs`: an error response (HTTP 4xx) whose
    message names them. A connection error, a timeout or a garbage reply is not: it is a failed call, and
    turning logprobs off for it would degrade every later check to parsed replies after a passing outage."""
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    if not isinstance(status, int) or not 400 <= status < 500:
        return False
    return "logprob" in f"{exc} {getattr(exc, 'body', '')}".lower()


def verdict_from_logprobs(logprobs: Any) -> float | None:
    """P(yes) from an OpenAI-style logprobs object ({"content": [{"token", "logprob", "top_logprobs"}]})."""
    if not isinstance(logprobs, dict):
        return None
    content = logprobs.get("content") or []
    if not content:
        return None
    first = content[0]
    alts = list(first.get("top_logprobs") or []) or [first]
    p_yes = p_no = 0.0
    for alt in alts:
        tok = str(alt.get("token", "")).strip()
        p = math.exp(float(alt.get("logprob", -100.0)))
        if tok in _YES:
            p_yes += p
        elif tok in _NO:
            p_no += p
    if p_yes == 0.0 and p_no == 0.0:
        return None
    return _normalise(p_yes, p_no)


def _parsed_verdict(reply: str, t0: float) -> Verdict:
    m = _PARSE.match(reply or "")
    p = 1.0 if m and m.group(1).lower() in ("yes", "oui") else 0.0
    return Verdict(p, False, (time.perf_counter() - t0) * 1000)


class ParsedChecker:
    """For chat models without log-probabilities: the reply's first word, yes -> 1.0, anything else -> 0.0."""

    def __init__(
        self, llm: BaseChatModel, prompt: Prompt, name: str = "chat", section: str = "check"
    ) -> None:
        self.llm = llm
        self.prompt = prompt
        self.name = name
        self.section = section

    def check(self, question: str, sentence: str, label: str) -> Verdict:
        t0 = time.perf_counter()
        reply = self.llm.invoke(check_messages(self.prompt, question, sentence, label, self.section))
        return _parsed_verdict(str(reply.content), t0)


def make_checker(llm: BaseChatModel, prompt: Prompt, section: str = "check") -> Checker:
    """The best checker this chat model allows (logits > logprobs > parsed reply), asking the prompt's
    `section` ("check": does the sentence answer?; "verdict": is the answer yes or no?)."""
    kind = type(llm).__name__
    client = getattr(llm, "client", None)
    if kind.startswith("ChatLlamaCpp") and client is not None and hasattr(client, "eval"):
        return LlamaCppChecker(client, prompt, section=section)
    if kind.startswith(("ChatOpenAI", "AzureChatOpenAI")):
        return LogprobsChecker(llm, prompt, section=section)
    return ParsedChecker(llm, prompt, getattr(llm, "_llm_type", kind), section=section)


@dataclass
class Checked:
    """A candidate with the check's verdict (None when the model could not be asked), the answer's
    confidence and the signals it was computed from (assistant.confidence), and the ask it was checked for."""

    cand: Candidate
    verdict: Verdict | None
    conf: float = 0.0
    ask: str = ""
    signals: dict[str, float] = field(default_factory=dict)  # what `conf` was computed from
    # the sentence is limited to another case than the question's (assistant.cases), or holds no figure of
    # the kind the question asks for (assistant.figures.asked): never accepted
    case_conflict: bool = False
    figure_missing: bool = False
    # the sentence that was checked, when the answer quotes it with a neighbour that points back at it or that
    # it points back at (assistant.single.widened): a closed question's verdict is read from it alone
    checked_sentence: Span | None = None

    @property
    def refused(self) -> bool:
        """Whether the sentence cannot answer the ask whatever the check said."""
        return self.case_conflict or self.figure_missing

    @property
    def p(self) -> float:
        return self.verdict.p_yes if self.verdict and not self.refused else 0.0


@dataclass
class CheckRun:
    """The verdicts of one ask's candidates, best-ranked first; `error` is "" when the model answered,
    else why it could not (then `verdicts` holds the best-ranked candidate alone, unchecked)."""

    verdicts: list[Checked]
    error: str = ""
    ms: list[float] = field(default_factory=list)  # each check's time


def check_candidates(
    checker: Callable[[], Checker],
    question: str,
    cands: Sequence[Candidate],
    limit: int,
    accept_at: float,
    readable: Callable[[Any], str] | None = None,
    refused: Callable[[Candidate], bool] | None = None,
) -> CheckRun:
    """Verdicts for the best `limit` candidates, stopping at the first one the model accepts with
    P(yes) >= accept_at that `refused` does not refuse (a sentence that cannot answer whatever the check
    says, assistant.confidence.refuses, does not end the search). `checker()` gives the checker, built on
    first use: a model that cannot be built (a missing GGUF, a bad prompt file) fails the check as a model
    that cannot answer does. Each sentence is shown in its readable form when `readable` is given (a table
    row as its "header: value" cells)."""
    run = CheckRun([])
    for c in cands[:limit]:
        sp = c.span
        try:
            shown = readable(sp) if readable is not None else sp.text
            v = checker().check(question, " ".join(shown.split()), sp.clause.vendor_name)
        except Exception as exc:  # noqa: BLE001 - no model: the ranker alone decides, said so
            log.warning("checker unavailable: %s", exc)
            return CheckRun([Checked(c, None) for c in cands[:1]], f"{type(exc).__name__}: {str(exc)[:160]}")
        run.verdicts.append(Checked(c, v))
        run.ms.append(v.ms)
        if v.p_yes >= accept_at and not (refused is not None and refused(c)):
            break
    return run
