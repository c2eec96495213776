"""Entry point of the bench's worker processes: `python -m bench.worker TASK ARGS.json OUT.json`."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from bench.measure import PEAK_KEY, vm_hwm_bytes
from core.runtime import apply_offline_defaults


def _tasks() -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    from bench.answer_bench import answer_worker, raw_worker
    from bench.scale_bench import scale_worker

    return {"answer": answer_worker, "llama_raw": raw_worker, "scale": scale_worker}


def main(argv: list[str]) -> int:
    """Run one task with its JSON arguments and write its JSON result."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    apply_offline_defaults()
    task, args_path, out_path = argv
    with open(args_path, encoding="utf-8") as fh:
        args = json.load(fh)
    result = _tasks()[task](args)
    result[PEAK_KEY] = vm_hwm_bytes()
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(result, fh, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
