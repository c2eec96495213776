#!/usr/bin/env bash
# The test command (README, `make test`, .ci/run): set-up, lint, the fast offline suite, the retrieval-only
# eval on the sample corpus with a threshold, then the model-heavy suites while the time budget allows.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
start=$(date +%s)
BUDGET_S="${TEST_BUDGET_S:-4200}"   # CI gives 90 minutes; leave a margin
bash scripts/setup.sh --dev --browser
# shellcheck source=scripts/env.sh
source scripts/env.sh
PY=.venv/bin/python

echo "== lint (ruff check, ruff format --check, and the layer and no-cycle contracts of pyproject.toml)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache

echo "== types (mypy: the packages, ui/ and app.py; pyproject.toml [tool.mypy])"
.venv/bin/mypy

echo "== fast offline tests"
$PY -m pytest -q

echo "== reliability suite (kill loop, fuzzing, hostile files, run-time faults, injection, privacy, UI safety)"
bash scripts/reliability.sh

echo "== ingest the sample corpus (EmbeddingGemma; incremental) and the retrieval-only eval (threshold)"
$PY -m ingest --no-progress
out="$(mktemp -d)"
$PY -m evals run --no-progress --gold evals/gold/contracts.jsonl --retrieval-only --out "$out" \
  --min "evidence_recall@5=${EVAL_MIN_RECALL:-0.90}"
rm -rf "$out"

elapsed=$(( $(date +%s) - start ))
if [ "${SKIP_SLOW:-0}" != 1 ] && [ "$elapsed" -lt $(( BUDGET_S - 1800 )) ]; then
  echo "== model-heavy and browser suites (elapsed ${elapsed}s)"
  $PY -m pytest -q -m "slow or browser" -p no:cacheprovider
else
  echo "== skipping the model-heavy suites (elapsed ${elapsed}s of ${BUDGET_S}s budget, or SKIP_SLOW=1)"
fi
