"""Answer: time to first token and total through assistant.Assistant.answer with the 0.5B and 1.5B
models, tokens/s against llama.cpp's raw generation rate (the limit), and the page's memory footprint."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from bench.context import ANSWER_QUESTIONS, BenchContext
from bench.measure import percentile, run_worker

log = logging.getLogger(__name__)

MEMORY_TARGET_BYTES = 4 * 2**30
MODELS = {"fast": "0.5B", "default": "1.5B"}


class TokenTimer:
    """LangChain callback handler: timestamps of a chat model's start and of each streamed token."""

    def __init__(self) -> None:
        from langchain_core.callbacks import BaseCallbackHandler

        timer = self

        class _Handler(BaseCallbackHandler):
            def on_chat_model_start(self, serialized: Any, messages: Any, **kw: Any) -> None:
                timer.calls.append({"start": time.perf_counter(), "tokens": [], "seen": set()})

            def on_llm_new_token(self, token: str, *, chunk: Any = None, **kw: Any) -> None:
                # ChatLlamaCpp reports each chunk and LangChain's stream() reports it again: count once;
                # the closing empty chunk is not a token
                if not timer.calls or not token:
                    return
                call = timer.calls[-1]
                if chunk is not None:
                    if id(chunk) in call["seen"]:
                        return
                    call["seen"].add(id(chunk))
                call["tokens"].append(time.perf_counter())

        self.handler = _Handler()
        self.calls: list[dict[str, Any]] = []

    def summary(self) -> dict[str, Any]:
        """Per LLM call: prompt phase (start to first token), decode tokens/s after the first token."""
        out = []
        for c in self.calls:
            toks = c["tokens"]
            item: dict[str, Any] = {"tokens": len(toks)}
            if toks:
                item["first_token_s"] = round(toks[0] - c["start"], 3)
                if len(toks) > 1 and toks[-1] > toks[0]:
                    item["decode_tok_s"] = round((len(toks) - 1) / (toks[-1] - toks[0]), 2)
            out.append(item)
        return {"llm_calls": out}


def answer_worker(args: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: build the page's objects (embedder, store, LLM), answer the questions."""
    from assistant import Assistant
    from assistant.llm import make_chat_model
    from bench.measure import current_rss_bytes
    from core.settings import load_settings
    from vectorstore.embeddings import make_embeddings

    settings = load_settings(**args["overrides"])
    t = time.perf_counter()
    emb = make_embeddings(settings.embedding)
    llm = make_chat_model(settings.llm)
    timer = TokenTimer()
    llm.callbacks = [timer.handler]
    assistant = Assistant(settings, embeddings=emb, llm=llm)
    _ = assistant.store
    load_s = time.perf_counter() - t
    rss_loaded = current_rss_bytes()
    # warm-up (retrieval only: embedder, BM25 index, vendor catalogue), as a page does on its first question
    t = time.perf_counter()
    assistant.retrieve(args.get("warmup_question") or "Quelle est la durée du contrat ?")
    cold_retrieve_s = time.perf_counter() - t
    items = []
    for q in args["questions"]:
        timer.calls.clear()
        t = time.perf_counter()
        ans = assistant.answer(q)
        wall = time.perf_counter() - t
        client = getattr(llm, "client", None)
        items.append(
            {
                "question": q,
                "wall_s": round(wall, 3),
                "timings_ms": ans.to_json()["timings_ms"],
                "mode": ans.mode,
                "abstained": ans.abstained,
                "citations": len(ans.citations),
                "warnings": list(ans.warnings),
                "answer": ans.answer,
                "context_tokens_after": int(getattr(client, "n_tokens", 0) or 0),
                **timer.summary(),
            }
        )
    model = settings.llm.model_path.name if settings.llm.provider == "llamacpp" else settings.llm.provider
    return {
        "model": model,
        "choice": settings.llm.choice,
        "load_s": round(load_s, 3),
        "cold_retrieve_s": round(cold_retrieve_s, 3),
        "rss_after_load_bytes": rss_loaded,
        "rss_end_bytes": current_rss_bytes(),
        "items": items,
    }


def raw_worker(args: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process: llama.cpp's own pp/tg rates for one model."""
    from bench.llama_raw import raw_rates

    return raw_rates(
        Path(args["model_path"]),
        n_threads=args["n_threads"],
        n_ctx=args["n_ctx"],
        n_batch=args["n_batch"],
        pp_tokens=args["pp"],
        tg_tokens=args["tg"],
    )


def _summarise(res: dict[str, Any], raw: dict[str, Any] | None) -> dict[str, Any]:
    items = res["items"]
    ttft = [i["timings_ms"].get("first_token", float("nan")) for i in items]
    total = [i["timings_ms"].get("total", float("nan")) for i in items]
    decode = [c["decode_tok_s"] for i in items for c in i["llm_calls"] if "decode_tok_s" in c]
    prompt_phase = [c["first_token_s"] for i in items for c in i["llm_calls"] if "first_token_s" in c]

    def p50_of(key: str) -> float | None:
        vals = [i["timings_ms"][key] for i in items if key in i["timings_ms"]]
        return round(percentile(vals, 50), 1) if vals else None

    out: dict[str, Any] = {
        "first_token_ms_p50": round(percentile(ttft, 50), 1),
        "first_token_ms_max": round(max(ttft), 1),
        # the first token the model itself writes (the wording), and the checks: the first one of a
        # question reads the question, the next ones reuse it from llama.cpp's KV cache
        "llm_first_token_ms_p50": p50_of("llm_first_token"),
        "check_first_ms_p50": p50_of("check_first_ms"),
        "check_next_ms_p50": p50_of("check_next_ms"),
        "total_ms_p50": round(percentile(total, 50), 1),
        "total_ms_max": round(max(total), 1),
        "decode_tok_s_median": round(percentile(decode, 50), 2) if decode else None,
        "llm_prompt_phase_s_median": round(percentile(prompt_phase, 50), 3) if prompt_phase else None,
        "modes": [i["mode"] for i in items],
    }
    if raw:
        out["raw_tg_tok_s"] = raw["tg_tok_s"]
        out["raw_pp_tok_s"] = raw["pp_tok_s"]
        if out["decode_tok_s_median"]:
            out["ratio_decode_to_raw_tg"] = round(out["decode_tok_s_median"] / raw["tg_tok_s"], 3)
    return out


def run(ctx: BenchContext, memory_only: bool = False) -> dict[str, Any]:
    """Both models (or only the default one, for the memory figure), each in its own process."""
    from vectorstore.embeddings import embedder_name

    sample = ctx.sample_store()
    overrides = {
        "corpus_dir": str(sample.corpus_dir),
        "store_dir": str(sample.store_dir),
        "vectorstore_url": "",
    }
    pp, tg = (128, 32) if ctx.quick else (512, 128)
    questions = list(ANSWER_QUESTIONS[:1] if (ctx.quick or memory_only) else ANSWER_QUESTIONS)
    out: dict[str, Any] = {"questions": questions, "models": {}}
    choices = ["default"] if memory_only else ["fast", "default"]
    for choice in choices:
        s = sample.replace(**{"llm.choice": choice})
        log.info("answer: %s model %s", choice, s.llm.model_path.name)
        res, peak = run_worker(
            "answer", {"overrides": {**overrides, "llm.choice": choice}, "questions": questions}
        )
        raw = None
        if not memory_only:
            raw, _ = run_worker(
                "llama_raw",
                {
                    "model_path": str(s.llm.model_path),
                    "n_threads": s.llm.n_threads,
                    "n_ctx": s.llm.n_ctx,
                    "n_batch": s.llm.n_batch,
                    "pp": pp,
                    "tg": tg,
                },
            )
        entry = {
            "size": MODELS[choice],
            "worker": res,
            "raw": raw,
            "peak_rss_bytes": peak,
            **_summarise(res, raw),
        }
        out["models"][choice] = entry
    default = out["models"]["default"]
    out["memory"] = {
        "peak_rss_bytes": default["peak_rss_bytes"],
        "peak_rss_gib": round(default["peak_rss_bytes"] / 2**30, 3),
        "target_bytes": MEMORY_TARGET_BYTES,
        "ratio": round(default["peak_rss_bytes"] / MEMORY_TARGET_BYTES, 3),
        "what": f"one process: {embedder_name(sample.embedding)} ({sample.embedding.dtype}) + "
        f"{default['worker']['model']}, store opened, {len(questions)} question(s) answered",
        "ok": default["peak_rss_bytes"] <= MEMORY_TARGET_BYTES,
    }
    return out
