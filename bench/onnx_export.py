"""Export EmbeddingGemma to one ONNX graph and quantize it to int8 (dynamic), for `EMBEDDING_KIND=onnx`.

An experiment, not the default: on AMD EPYC (Zen 4, AVX-512 VNNI) the int8 graph on onnxruntime kept
evidence_recall@5 within 0.01 of EmbeddingGemma (gold set) but was no faster than bfloat16 torch; its
speed on an AVX2-only CPU could not be measured here (onnxruntime ignores the ATEN/oneDNN ISA caps used
to emulate one). Needs the `onnx` package for the quantizer (`pip install onnx==1.23.2`, not pinned).

    python -m bench.onnx_export                 # writes ~/.cache/contract-qa/models/embeddinggemma-300m-int8.onnx
    EMBEDDING_KIND=onnx python -m bench --only ingest --only query --query-factors

The graph holds the transformer, mean pooling, both dense layers and the normalisation; the masks are
passed precomputed (transformers' vmap-built masks do not trace), which is exact for inputs up to the
sliding window (512 tokens: the embedder truncates there).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAX_TOKENS = 512  # EmbeddingGemma's sliding window: full and sliding masks are equal up to here


def export_fp32(model_dir: Path, out: Path) -> None:
    """The sentence-transformers model as one float32 ONNX graph: (input_ids, attention_mask) -> embedding."""
    import torch
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu", model_kwargs={"torch_dtype": torch.float32})

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = st

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            keep = attention_mask.bool()[:, None, None, :].expand(-1, 1, input_ids.shape[1], -1)
            add = torch.zeros(keep.shape, dtype=torch.float32).masked_fill(
                ~keep, torch.finfo(torch.float32).min
            )
            masks = {"full_attention": add, "sliding_attention": add}
            hidden = self.st[0].auto_model(input_ids=input_ids, attention_mask=masks).last_hidden_state
            features = {"token_embeddings": hidden, "attention_mask": attention_mask}
            for module in list(self.st)[1:]:
                features = module(features)
            return features["sentence_embedding"]

    enc = st.tokenizer(["title: none | text: a clause", "short"], padding=True, return_tensors="pt")
    with torch.no_grad():
        torch.onnx.export(
            Graph().eval(),
            (enc["input_ids"], enc["attention_mask"]),
            str(out),
            dynamo=False,
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=17,
        )


def quantize_int8(src: Path, out: Path) -> None:
    """Dynamic int8 quantization of the MatMul weights, per channel (Gather, i.e. the token embedding
    table, stays float32: quantizing it too lowered the cosine to float32 vectors from 0.968 to 0.956)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src), str(out), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"], per_channel=True
    )


def main(argv: list[str] | None = None) -> int:
    from core.settings import load_settings

    settings = load_settings()
    p = argparse.ArgumentParser(
        prog="python -m bench.onnx_export",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", type=Path, default=Path(settings.embedding.model).expanduser())
    p.add_argument("--out", type=Path, default=Path(settings.embedding.onnx_file).expanduser())
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    with tempfile.TemporaryDirectory(prefix="onnx-export-") as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        t = time.perf_counter()
        export_fp32(args.model, fp32)
        log.info("exported %s in %.0f s", fp32.name, time.perf_counter() - t)
        t = time.perf_counter()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        quantize_int8(fp32, args.out)
        log.info(
            "quantized to %s (%.0f MB) in %.0f s",
            args.out,
            args.out.stat().st_size / 2**20,
            time.perf_counter() - t,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
