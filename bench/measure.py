"""Small measuring helpers: timers, percentiles, disk size, peak RSS of a worker subprocess."""

from __future__ import annotations

import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from core.runtime import apply_offline_defaults

log = logging.getLogger(__name__)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latency_stats_ms(samples_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/mean in milliseconds of samples given in seconds."""
    ms = [s * 1000.0 for s in samples_s]
    return {
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "mean_ms": round(sum(ms) / len(ms), 3) if ms else float("nan"),
        "n": len(ms),
    }


def time_calls(
    fn: Callable[[Any], Any], inputs: Sequence[Any], repeat: int = 1, warmup: int = 1
) -> list[float]:
    """Seconds per call of fn over inputs (repeated), after `warmup` untimed calls on the first input."""
    for _ in range(warmup):
        if inputs:
            fn(inputs[0])
    out: list[float] = []
    for _ in range(repeat):
        for x in inputs:
            t = time.perf_counter()
            fn(x)
            out.append(time.perf_counter() - t)
    return out


def dir_size_bytes(path: Path) -> int:
    """Total size of the regular files under path (what the store occupies on disk)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                continue
    return total


def current_rss_bytes() -> int:
    """Resident set size of this process now."""
    import psutil

    return int(psutil.Process().memory_info().rss)


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on (the machine is shared: the load average matters)."""
    import psutil

    try:
        load = list(os.getloadavg())
    except OSError:
        load = []
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from core.hardware import current, installed_llama_flavour

    hw = current()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "loadavg_at_start": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_kind": hw.kind,
        "isa": hw.isa,
        "capped_by": hw.capped_by,
        "flags": sorted(hw.cpu.flags),
        "llama_flavour": installed_llama_flavour() or "unknown",
        "llama_flavour_for_this_cpu": hw.llama_flavour,
    }


def provenance(settings: Any) -> dict[str, Any]:
    """What one section's figures were measured on and with: the CPU (model, kind, ISA as capped by the
    environment), the llama.cpp build, the embedder and its dtype, threads and batch, and when."""
    from core.hardware import current, installed_llama_flavour
    from vectorstore.embeddings import embedder_name

    hw = current()
    e, llm = settings.embedding, settings.llm
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = []
    return {
        "measured_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpu": hw.cpu.model,
        "cpu_kind": hw.kind,
        "isa": hw.isa,
        "capped_by": hw.capped_by,
        "llama_flavour": installed_llama_flavour() or "unknown",
        "embedding": {
            "kind": e.kind,
            "model": embedder_name(e),
            "dtype": e.dtype if e.kind == "sentence-transformers" else e.kind,
            "threads": e.threads,
            "batch_size": e.batch_size,
        },
        "llm": {"n_threads": llm.n_threads, "n_batch": llm.n_batch},
        "loadavg_after": load,
    }


PEAK_KEY = "_worker_vm_hwm_bytes"  # the worker's own peak RSS, in its JSON result


def vm_hwm_bytes() -> int | None:
    """This process's peak resident set (VmHWM) since exec. Unlike ru_maxrss it does not start from the
    parent's high-water mark (Linux carries that over through fork and exec: a bench that had grown to
    4 GiB made every later worker report at least 4 GiB)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def run_worker(task: str, args: dict[str, Any], timeout_s: float = 900.0) -> tuple[dict[str, Any], int]:
    """Run `python -m bench.worker TASK` in a fresh process; return (its JSON result, its peak RSS in bytes).

    A separate process gives a clean peak RSS: the worker's own VmHWM (ru_maxrss from wait4 where
    /proc is missing, which on Linux includes the parent's high-water mark at fork).
    """
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
        args_path, out_path = Path(tmp) / "args.json", Path(tmp) / "out.json"
        args_path.write_text(json.dumps(args, default=str), encoding="utf-8")
        env = dict(apply_offline_defaults(dict(os.environ)))
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", task, str(args_path), str(out_path)],
            cwd=str(Path(__file__).resolve().parent.parent),
            env=env,
        )
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"bench worker {task} ran past {timeout_s:.0f} s")
                time.sleep(0.2)
        except BaseException:  # timeout, Ctrl-C, SIGTERM: never leave the worker running
            proc.kill()
            os.wait4(proc.pid, 0)
            raise
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak = int(usage.ru_maxrss) * 1024  # Linux reports KiB
        if proc.returncode != 0 or not out_path.exists():
            raise RuntimeError(f"bench worker {task} failed with exit code {proc.returncode}")
        result = json.loads(out_path.read_text(encoding="utf-8"))
        own = result.pop(PEAK_KEY, None)
        return result, int(own) if own else peak
