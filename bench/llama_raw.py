"""llama.cpp's own speed for a GGUF model: prompt processing (like llama-bench pp512) and token
generation (like tg128), through llama_cpp.Llama with the project's thread and batch settings."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Contract-like filler for the prompt-processing run (tokenised, repeated, cut to the wanted length).
_FILLER = (
    "Le Prestataire notifie au Client toute violation de données à caractère personnel dans les "
    "meilleurs délais et au plus tard quarante-huit heures après en avoir pris connaissance. "
    "The Service Provider shall notify the Customer of any personal data breach without undue delay. "
)


def raw_rates(
    model_path: Path,
    n_threads: int = 2,
    n_ctx: int = 4096,
    n_batch: int = 512,
    pp_tokens: int = 512,
    tg_tokens: int = 128,
) -> dict[str, Any]:
    """Load the model once; time pp (one batched eval of pp_tokens) and tg (tg_tokens greedy tokens
    after a short prompt). Returns tokens/s for each plus the load time."""
    from llama_cpp import Llama

    t = time.perf_counter()
    llm = Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=n_threads, n_batch=n_batch, verbose=False)
    load_s = time.perf_counter() - t
    filler = llm.tokenize(_FILLER.encode("utf-8"), add_bos=False)
    prompt = (filler * (pp_tokens // max(1, len(filler)) + 1))[:pp_tokens]

    llm.reset()  # warm-up: a short eval so that pp does not pay first-call costs
    llm.eval(prompt[:16])
    llm.reset()
    t = time.perf_counter()
    llm.eval(prompt)
    pp_s = time.perf_counter() - t

    llm.reset()
    short = llm.tokenize(b"Summarise the termination clause:", add_bos=True)
    n = 0
    t_first = t_last = 0.0
    t = time.perf_counter()
    for _tok in llm.generate(short, temp=0.0, reset=True):
        n += 1
        if n == 1:
            t_first = time.perf_counter()
        if n >= tg_tokens + 1:
            t_last = time.perf_counter()
            break
    tg_s = t_last - t_first  # tg_tokens decode steps after the first token (which includes the prompt)
    del llm
    return {
        "model": model_path.name,
        "n_threads": n_threads,
        "n_batch": n_batch,
        "load_s": round(load_s, 3),
        "pp_tokens": len(prompt),
        "pp_s": round(pp_s, 3),
        "pp_tok_s": round(len(prompt) / pp_s, 2),
        "tg_tokens": tg_tokens,
        "tg_s": round(tg_s, 3),
        "tg_tok_s": round(tg_tokens / tg_s, 2),
        "first_token_s": round(t_first - t, 3),
    }


def count_tokens_with(model_path: Path, texts: list[str]) -> list[int]:
    """Token counts of texts with the model's own tokenizer (vocabulary only: no weights loaded)."""
    from llama_cpp import Llama

    llm = Llama(model_path=str(model_path), vocab_only=True, verbose=False)
    return [len(llm.tokenize(t.encode("utf-8"), add_bos=False)) for t in texts]
