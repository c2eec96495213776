"""Process defaults every entry point applies before heavy imports: offline, no telemetry, sane threads."""

from __future__ import annotations

import os
from collections.abc import MutableMapping

OFFLINE_DEFAULTS = {
    "HF_HUB_OFFLINE": "1",  # no model hub downloads
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",  # chromadb
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    "TOKENIZERS_PARALLELISM": "false",
    # llama.cpp's OpenMP threads share torch's libgomp; on a busy 2-core machine spinning barriers
    # starve each other (measured: minutes per answer), sleeping ones do not
    "OMP_WAIT_POLICY": "PASSIVE",
}


def apply_offline_defaults(env: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    """Set the defaults (never overriding what the user set) in `env` (default: os.environ)."""
    target = os.environ if env is None else env
    for key, value in OFFLINE_DEFAULTS.items():
        target.setdefault(key, value)
    return target
