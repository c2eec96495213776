"""CPU-dependent defaults, decided from /proc/cpuinfo and said out loud.

The embedding dtype, the torch and llama.cpp thread counts, llama.cpp's n_batch, the embedding batch size
and the llama.cpp build flavour (what scripts/setup.sh builds) all depend on the CPU: bfloat16 is 2.4x
faster than float32 where the CPU has native bf16 (avx512_bf16 / amx_bf16) and 4x slower where it does
not. Stdlib only: scripts/setup.sh runs `python -m core.hardware llama-flavour` before the stack is there.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.text import slug

CPUINFO = Path("/proc/cpuinfo")
FLAVOUR_STAMP = ".llama-cpp-flavour"  # written into the venv by scripts/setup.sh when it installs the wheel

# oneDNN ISA caps (ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA) under which torch has no native bf16 matmul
_ONEDNN_BELOW_BF16 = {"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI"}
_ONEDNN_BELOW_AVX512 = {"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2"}
_AVX512_FLAGS = {
    "avx512f",
    "avx512dq",
    "avx512cd",
    "avx512bw",
    "avx512vl",
    "avx512ifma",
    "avx512vbmi",
    "avx512_vbmi2",
    "avx512_vnni",
    "avx512_bitalg",
    "avx512_vpopcntdq",
    "avx512_fp16",
}
_BF16_FLAGS = {"avx512_bf16", "amx_bf16", "amx_tile", "amx_int8"}
MAX_TORCH_THREADS = 16
MAX_LLM_THREADS = 8  # token generation is memory-bound well before this many cores


@dataclass(frozen=True)
class CpuInfo:
    """What /proc/cpuinfo says: model name, architecture, feature flags, physical cores."""

    model: str
    arch: str  # x86_64 | aarch64 | ...
    flags: frozenset[str]
    physical_cores: int

    def has(self, *flags: str) -> bool:
        return all(f in self.flags for f in flags)


@dataclass(frozen=True)
class HardwareChoice:
    """The CPU-dependent defaults for one CPU (as capped by the environment) and why."""

    cpu: CpuInfo
    isa: str  # avx512-amx | avx512-bf16 | avx512 | avx2 | avx | sse | arm-sve | arm-neon | generic
    capped_by: str  # the environment variables that hide CPU features from torch/oneDNN, "" if none
    native_bf16: bool
    embedding_dtype: str
    dtype_reason: str
    torch_threads: int
    embedding_batch_size: int
    llm_threads: int
    llm_n_batch: int
    llama_flavour: str

    @property
    def kind(self) -> str:
        """A file-name-safe name for this kind of CPU: `amd-epyc-avx512-bf16`, `...-avx2-capped`."""
        return f"{cpu_slug(self.cpu.model)}-{self.isa}" + ("-capped" if self.capped_by else "")

    def to_json(self) -> dict[str, object]:
        return {
            "cpu_model": self.cpu.model,
            "arch": self.cpu.arch,
            "physical_cores": self.cpu.physical_cores,
            "flags": sorted(self.cpu.flags),
            "isa": self.isa,
            "kind": self.kind,
            "capped_by": self.capped_by,
            "native_bf16": self.native_bf16,
            "embedding_dtype": self.embedding_dtype,
            "dtype_reason": self.dtype_reason,
            "torch_threads": self.torch_threads,
            "embedding_batch_size": self.embedding_batch_size,
            "llm_threads": self.llm_threads,
            "llm_n_batch": self.llm_n_batch,
            "llama_flavour_for_this_cpu": self.llama_flavour,
        }


def parse_cpuinfo(text: str, arch: str | None = None) -> CpuInfo:
    """CpuInfo from the text of /proc/cpuinfo (x86 `flags`/`model name`, ARM `Features`/`CPU part`)."""
    fields: dict[str, str] = {}
    cores: set[tuple[str, str]] = set()
    processors = 0
    phys = ""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        fields.setdefault(key, value)
        if key == "processor":
            processors += 1
        elif key == "physical id":
            phys = value
        elif key == "core id":
            cores.add((phys, value))
    flags = frozenset((fields.get("flags") or fields.get("features") or "").split())
    if arch is None:
        arch = "x86_64" if "flags" in fields else ("aarch64" if "features" in fields else platform.machine())
    model = fields.get("model name") or fields.get("hardware") or _arm_model(fields) or platform.processor()
    return CpuInfo(
        model=" ".join(model.split()) or "unknown CPU",
        arch=arch,
        flags=flags,
        physical_cores=len(cores) or processors or 1,
    )


def _arm_model(fields: Mapping[str, str]) -> str:
    parts = {"0xd0c": "Neoverse N1", "0xd40": "Neoverse V1", "0xd49": "Neoverse N2", "0xd4f": "Neoverse V2"}
    part = fields.get("cpu part", "")
    return f"ARM {parts.get(part, part)}".strip() if part else ""


def cpu_slug(model: str) -> str:
    """`AMD EPYC 7B13 64-Core Processor` -> `amd-epyc-7b13`; `Intel(R) Xeon(R) Platinum 8480+` -> `intel-xeon-platinum-8480`."""
    s = re.sub(r"\((?:r|tm)\)", "", model.lower())
    s = re.sub(r"\b\d+-core\b|\bprocessor\b|\bcpu\b|@.*$", "", s)
    return slug(s, default="cpu")


def capped_flags(cpu: CpuInfo, env: Mapping[str, str]) -> tuple[frozenset[str], str]:
    """The flags torch can use under ATEN_CPU_CAPABILITY / ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA, and which
    of them capped anything (how an AVX2-only CPU is emulated on an AVX-512 one)."""
    flags = set(cpu.flags)
    why: list[str] = []
    aten = env.get("ATEN_CPU_CAPABILITY", "").strip().lower()
    if aten in ("default", "avx2") and cpu.flags & _AVX512_FLAGS:
        flags -= _AVX512_FLAGS | _BF16_FLAGS
        why.append(f"ATEN_CPU_CAPABILITY={aten}")
    for var in ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA"):
        isa = env.get(var, "").strip().upper()
        hidden = (_BF16_FLAGS if isa in _ONEDNN_BELOW_BF16 else set()) | (
            _AVX512_FLAGS if isa in _ONEDNN_BELOW_AVX512 else set()
        )
        if cpu.flags & hidden:
            flags -= hidden
            why.append(f"{var}={isa}")
    return frozenset(flags), " ".join(dict.fromkeys(why))


def isa_tier(arch: str, flags: frozenset[str]) -> str:
    if arch in ("x86_64", "amd64", "i686"):
        if "amx_bf16" in flags and "avx512f" in flags:
            return "avx512-amx"
        if "avx512_bf16" in flags and "avx512f" in flags:
            return "avx512-bf16"
        if "avx512f" in flags:
            return "avx512"
        if {"avx2", "fma"} <= flags:
            return "avx2"
        return "avx" if "avx" in flags else "sse"
    if arch in ("aarch64", "arm64"):
        return "arm-sve" if "sve" in flags else "arm-neon"
    return "generic"


def llama_flavour(cpu: CpuInfo) -> str:
    """The llama.cpp build scripts/setup.sh makes for this CPU: `avx512` (+`-avxvnni` where AVX-VNNI is
    listed, +`-bf16` where AVX512-BF16 is) or `generic` (AVX2/FMA/F16C flags, no AVX-512). From the CPU's
    own flags, never capped: the wheel runs on the real CPU."""
    if "avx512f" not in cpu.flags:
        return "generic"
    flavour = "avx512"
    if "avx_vnni" in cpu.flags:
        flavour += "-avxvnni"
    if "avx512_bf16" in cpu.flags:
        flavour += "-bf16"
    return flavour


def llama_cmake_args(flavour: str) -> str:
    """CMAKE_ARGS for a flavour (flags from ../shared/models.md; AVX-VNNI/BF16 only when listed: a build with
    -DGGML_AVX_VNNI=ON dies with SIGILL on Zen 4, which has AVX512-VNNI but not AVX-VNNI)."""
    if flavour.startswith("avx512"):
        extra = (" -DGGML_AVX_VNNI=ON" if "-avxvnni" in flavour else "") + (
            " -DGGML_AVX512_BF16=ON" if flavour.endswith("-bf16") else ""
        )
        return (
            "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON "
            f"-DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON{extra} -DLLAVA_BUILD=OFF"
        )
    return "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF"


def decide(
    cpu: CpuInfo, env: Mapping[str, str] | None = None, available_cpus: int | None = None
) -> HardwareChoice:
    """The defaults for this CPU. bfloat16 only where bf16 is native (avx512_bf16 or amx_bf16, and not
    capped by the environment); float32 everywhere else, aarch64 included."""
    env = os.environ if env is None else env
    flags, capped_by = capped_flags(cpu, env)
    isa = isa_tier(cpu.arch, flags)
    x86 = cpu.arch in ("x86_64", "amd64", "i686")
    native = x86 and bool(flags & {"avx512_bf16", "amx_bf16"})
    if native:
        reason = "native bf16 (" + ", ".join(sorted(flags & {"avx512_bf16", "amx_bf16"})) + ")"
    elif capped_by:
        reason = f"bf16 not native under {capped_by}"
    else:
        reason = "no native bf16 (no avx512_bf16/amx_bf16)" if x86 else f"bf16 matmul not used on {cpu.arch}"
    cores = max(1, min(cpu.physical_cores, available_cpus or cpu.physical_cores))
    return HardwareChoice(
        cpu=cpu,
        isa=isa,
        capped_by=capped_by,
        native_bf16=native,
        embedding_dtype="bfloat16" if native else "float32",
        dtype_reason=reason,
        torch_threads=min(cores, MAX_TORCH_THREADS),
        embedding_batch_size=embedding_batch_for("bfloat16" if native else "float32"),
        llm_threads=min(cores, MAX_LLM_THREADS),
        # without AVX2 llama.cpp's matmuls gain nothing from large prompt batches; keep the buffers small
        llm_n_batch=512 if isa not in ("avx", "sse", "generic") else 128,
        llama_flavour=llama_flavour(cpu) if x86 else "generic",
    )


def embedding_batch_for(dtype: str) -> int:
    """Texts per forward pass. Smaller batches were faster per passage on 2 cores (less padding, activations
    that stay in cache): float32 (AVX2 caps) 0.67 CPU-s/passage at 4 vs 0.76 at 16 on texts of equal
    length; bfloat16 0.36 at 4-8 vs 0.41 at 16 (AMD EPYC Zen 4, 2026-12-02; README, Benchmarks)."""
    return 8 if dtype == "bfloat16" else 4


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def from_file(path: Path, env: Mapping[str, str] | None = None) -> HardwareChoice:
    """The choice for the CPU a cpuinfo file describes (this machine's architecture when it is /proc's)."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    arch = (platform.machine() or None) if Path(path) == CPUINFO else None
    return decide(parse_cpuinfo(text, arch=arch), env, _available_cpus() if Path(path) == CPUINFO else None)


@lru_cache(maxsize=4)
def _current(caps: tuple[tuple[str, str], ...]) -> HardwareChoice:
    return from_file(CPUINFO, dict(caps))


def current() -> HardwareChoice:
    """The choice for the CPU this process runs on (read once per process and set of environment caps)."""
    caps = tuple(
        (k, os.environ[k])
        for k in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")
        if k in os.environ
    )
    return _current(caps)


def installed_llama_flavour(venv: Path | None = None) -> str | None:
    """The flavour of the llama-cpp-python wheel scripts/setup.sh installed (its stamp in the venv), if known."""
    venv = venv or Path(sys.prefix)
    try:
        return (venv / FLAVOUR_STAMP).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def startup_line(
    choice: HardwareChoice,
    dtype: str | None,
    torch_threads: int,
    batch_size: int,
    llm_threads: int,
    llm_n_batch: int,
    embedder: str = "",
) -> str:
    """One line for the start of `ingest`, `ask` and the page: the CPU and what was chosen for it (values
    that differ from the CPU's choice are marked as set by settings). `dtype` None: not a torch embedder."""

    def mark(value: object, auto: object) -> str:
        return f"{value}" if value == auto else f"{value} (set; this CPU's default {auto})"

    cpu = f"{choice.cpu.model} ({choice.cpu.arch}, {choice.cpu.physical_cores} cores, {choice.isa}"
    cpu += f", capped by {choice.capped_by})" if choice.capped_by else ")"
    installed = installed_llama_flavour()
    flavour = installed or choice.llama_flavour
    if installed and installed != choice.llama_flavour:
        flavour += f" (this CPU's build would be {choice.llama_flavour})"
    emb = f"{embedder} " if embedder else ""
    if dtype is None:
        precision = f"(set; this CPU's default is EmbeddingGemma {choice.embedding_dtype})"
    else:
        precision = mark(dtype, choice.embedding_dtype)
        precision += f" — {choice.dtype_reason}" if dtype == choice.embedding_dtype else ""
    batch = mark(batch_size, embedding_batch_for(dtype) if dtype else choice.embedding_batch_size)
    return (
        f"CPU {cpu}: embedding {emb}{precision}, "
        f"{mark(torch_threads, choice.torch_threads)} threads, batch {batch}; "
        f"llama.cpp {flavour} build, {mark(llm_threads, choice.llm_threads)} threads, "
        f"n_batch {mark(llm_n_batch, choice.llm_n_batch)}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m core.hardware",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "what",
        choices=("describe", "json", "kind", "llama-flavour", "llama-cmake-args"),
        nargs="?",
        default="describe",
    )
    p.add_argument("--cpuinfo", type=Path, default=CPUINFO, help="a /proc/cpuinfo file (default: this CPU)")
    args = p.parse_args(argv)
    choice = current() if args.cpuinfo == CPUINFO else from_file(args.cpuinfo)
    if args.what == "llama-flavour":
        print(choice.llama_flavour)
    elif args.what == "llama-cmake-args":
        print(llama_cmake_args(choice.llama_flavour))
    elif args.what == "kind":
        print(choice.kind)
    elif args.what == "json":
        import json

        print(json.dumps(choice.to_json(), indent=2))
    else:
        print(
            startup_line(
                choice,
                choice.embedding_dtype,
                choice.torch_threads,
                choice.embedding_batch_size,
                choice.llm_threads,
                choice.llm_n_batch,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
