"""CPU-dependent defaults (core/hardware.py) from sample /proc/cpuinfo texts, and settings' `auto`."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import hardware
from core.hardware import decide, parse_cpuinfo
from core.settings import load_settings

_BASE_X86 = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 "
    "ht syscall nx lm constant_tsc rep_good nopl pni pclmulqdq ssse3 cx16 sse4_1 sse4_2 x2apic movbe "
    "popcnt aes xsave"
)
# Flag lines as the kernel prints them (trimmed of the flags that change nothing here).
ZEN4 = (
    _BASE_X86 + " avx f16c rdrand hypervisor lahf_lm fma bmi1 avx2 bmi2 avx512f avx512dq avx512ifma "
    "avx512cd sha_ni avx512bw avx512vl avx512_bf16 avx512vbmi avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni "
    "avx512_bitalg avx512_vpopcntdq"
)
EPYC_AVX2 = _BASE_X86 + " avx f16c rdrand hypervisor lahf_lm fma bmi1 avx2 bmi2 sha_ni clzero"
SAPPHIRE_RAPIDS = (
    _BASE_X86 + " avx f16c rdrand fma bmi1 avx2 bmi2 avx512f avx512dq avx512ifma avx512cd "
    "avx512bw avx512vl avx_vnni avx512_bf16 avx512vbmi avx512_vbmi2 avx512_vnni avx512_bitalg "
    "avx512_vpopcntdq avx512_fp16 amx_bf16 amx_tile amx_int8"
)
SANDY_BRIDGE = _BASE_X86 + " avx"
GRAVITON3 = (
    "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm sve asimdfhm bf16 i8mm"
)


def x86_cpuinfo(model: str, flags: str, cores: int = 2) -> str:
    """A /proc/cpuinfo text for `cores` processors, one core each (no SMT)."""
    return "\n".join(
        f"processor\t: {i}\nvendor_id\t: X\nmodel name\t: {model}\nphysical id\t: 0\n"
        f"siblings\t: {cores}\ncore id\t\t: {i}\ncpu cores\t: {cores}\nflags\t\t: {flags}\n"
        for i in range(cores)
    )


def arm_cpuinfo(features: str, cores: int = 4) -> str:
    return "\n".join(
        f"processor\t: {i}\nBogoMIPS\t: 2100.00\nFeatures\t: {features}\nCPU implementer\t: 0x41\n"
        "CPU architecture: 8\nCPU part\t: 0xd40\n"
        for i in range(cores)
    )


@pytest.mark.parametrize(
    ("text", "isa", "dtype", "flavour"),
    [
        (x86_cpuinfo("AMD EPYC 9R14 96-Core Processor", ZEN4), "avx512-bf16", "bfloat16", "avx512-bf16"),
        (x86_cpuinfo("AMD EPYC 7B12", EPYC_AVX2), "avx2", "float32", "generic"),
        (
            x86_cpuinfo("Intel(R) Xeon(R) Platinum 8488C", SAPPHIRE_RAPIDS),
            "avx512-amx",
            "bfloat16",
            "avx512-avxvnni-bf16",
        ),
        (x86_cpuinfo("Intel(R) Core(TM) i7-2600 CPU @ 3.40GHz", SANDY_BRIDGE), "avx", "float32", "generic"),
        (arm_cpuinfo(GRAVITON3), "arm-sve", "float32", "generic"),
    ],
)
def test_decision_from_cpuinfo(text: str, isa: str, dtype: str, flavour: str) -> None:
    choice = decide(parse_cpuinfo(text), env={})
    assert (choice.isa, choice.embedding_dtype, choice.llama_flavour) == (isa, dtype, flavour)
    assert choice.native_bf16 is (dtype == "bfloat16")
    assert choice.embedding_batch_size == (8 if dtype == "bfloat16" else 4)
    assert choice.torch_threads == choice.llm_threads == choice.cpu.physical_cores
    assert choice.llm_n_batch == (128 if isa == "avx" else 512)


def test_arm_bf16_feature_does_not_turn_on_bfloat16() -> None:
    cpu = parse_cpuinfo(arm_cpuinfo(GRAVITON3))
    assert cpu.arch == "aarch64" and "bf16" in cpu.flags and cpu.model == "ARM Neoverse V1"
    assert decide(cpu, env={}).dtype_reason == "bf16 matmul not used on aarch64"


def test_avx2_emulation_caps_hide_bf16_and_avx512() -> None:
    zen4 = parse_cpuinfo(x86_cpuinfo("AMD EPYC", ZEN4))
    env = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "DNNL_MAX_CPU_ISA": "AVX2"}
    capped = decide(zen4, env=env)
    assert (capped.isa, capped.embedding_dtype, capped.native_bf16) == ("avx2", "float32", False)
    assert capped.capped_by == "ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 DNNL_MAX_CPU_ISA=AVX2"
    assert capped.kind == "amd-epyc-avx2-capped"
    assert capped.llama_flavour == "avx512-bf16"  # the wheel runs on the real CPU: its build is not capped
    # a oneDNN cap at AVX512_CORE keeps AVX-512 but not bf16
    only_dnnl = decide(zen4, env={"ONEDNN_MAX_CPU_ISA": "AVX512_CORE"})
    assert (only_dnnl.isa, only_dnnl.embedding_dtype) == ("avx512", "float32")
    # caps that hide nothing the CPU has are not reported
    assert decide(parse_cpuinfo(x86_cpuinfo("AMD EPYC 7B12", EPYC_AVX2)), env=env).capped_by == ""


def test_threads_follow_physical_cores_and_affinity() -> None:
    smt = x86_cpuinfo("AMD EPYC", ZEN4, cores=8).replace(
        "core id\t\t: 7", "core id\t\t: 6"
    )  # 2 threads share core 6
    cpu = parse_cpuinfo(smt)
    assert cpu.physical_cores == 7
    assert decide(cpu, env={}, available_cpus=3).torch_threads == 3  # a container limited to 3 CPUs
    big = parse_cpuinfo(x86_cpuinfo("AMD EPYC", ZEN4, cores=64))
    choice = decide(big, env={})
    assert (choice.torch_threads, choice.llm_threads) == (
        hardware.MAX_TORCH_THREADS,
        hardware.MAX_LLM_THREADS,
    )


@pytest.mark.parametrize(
    ("model", "slug"),
    [
        ("AMD EPYC 7B13 64-Core Processor", "amd-epyc-7b13"),
        ("Intel(R) Xeon(R) Platinum 8488C", "intel-xeon-platinum-8488c"),
        ("Intel(R) Core(TM) i7-2600 CPU @ 3.40GHz", "intel-core-i7-2600"),
        ("", "cpu"),
    ],
)
def test_cpu_slug(model: str, slug: str) -> None:
    assert hardware.cpu_slug(model) == slug


def test_cmake_args_match_the_flavour() -> None:
    assert "-DGGML_AVX512=ON" not in hardware.llama_cmake_args("generic")
    args = hardware.llama_cmake_args("avx512-bf16")
    assert "-DGGML_AVX512_BF16=ON" in args and "-DGGML_AVX_VNNI=ON" not in args  # SIGILL on Zen 4
    assert "-DGGML_AVX_VNNI=ON" in hardware.llama_cmake_args("avx512-avxvnni-bf16")


def test_settings_auto_follows_this_cpu_and_explicit_values_win(tmp_path: Path) -> None:
    choice = hardware.current()
    auto = load_settings(env={})
    assert auto.embedding.dtype == choice.embedding_dtype
    assert auto.embedding.threads == choice.torch_threads
    assert (auto.llm.n_threads, auto.llm.n_batch) == (choice.llm_threads, choice.llm_n_batch)
    other = "float32" if choice.embedding_dtype == "bfloat16" else "bfloat16"
    explicit = load_settings(env={"EMBEDDING_DTYPE": other, "LLM_THREADS": "1", "EMBEDDING_BATCH_SIZE": "4"})
    assert (explicit.embedding.dtype, explicit.llm.n_threads, explicit.embedding.batch_size) == (other, 1, 4)
    # an automatic batch size follows the dtype, also one set explicitly
    assert load_settings(env={"EMBEDDING_DTYPE": "float32"}).embedding.batch_size == 4
    assert load_settings(env={"EMBEDDING_DTYPE": "bfloat16"}).embedding.batch_size == 8
    line = hardware.startup_line(
        choice,
        explicit.embedding.dtype,
        explicit.embedding.threads,
        explicit.embedding.batch_size,
        explicit.llm.n_threads,
        explicit.llm.n_batch,
    )
    assert f"{other} (set; this CPU's default {choice.embedding_dtype})" in line
    assert choice.cpu.model in line


def test_cli_prints_the_flavour_setup_builds(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "cpuinfo"
    f.write_text(x86_cpuinfo("AMD EPYC 7B12", EPYC_AVX2), encoding="utf-8")
    assert hardware.main(["llama-flavour", "--cpuinfo", str(f)]) == 0
    assert capsys.readouterr().out.strip() == "generic"
    f.write_text(x86_cpuinfo("AMD EPYC 9R14", ZEN4), encoding="utf-8")
    hardware.main(["llama-cmake-args", "--cpuinfo", str(f)])
    assert "-DGGML_AVX512_BF16=ON" in capsys.readouterr().out
