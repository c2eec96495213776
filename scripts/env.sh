# Sourced by the make targets: offline, no telemetry, tiktoken cache seeded by scripts/fetch_models.py.
export CQA_HOME="${CQA_HOME:-$HOME/.cache/contract-qa}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export ANONYMIZED_TELEMETRY=False
export STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
export TIKTOKEN_CACHE_DIR="${TIKTOKEN_CACHE_DIR:-$CQA_HOME/tiktoken}"
export TOKENIZERS_PARALLELISM=false
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"   # llama.cpp + torch share OpenMP: busy-waiting threads starve each other
