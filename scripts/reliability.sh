#!/usr/bin/env bash
# `make reliability`: the kill loop, fuzzing, hostile files, run-time faults, prompt injection, privacy
# and UI-safety suites (tests/reliability), then the figures they measured (docs/RELIABILITY.md).
#   RELIABILITY_SLOW=1      also run the real-model tests (1.5B LLM on injection cases, EmbeddingGemma offline)
#   RELIABILITY_KILLS=N     SIGKILLed ingests in the kill loop (default 20)
#   RELIABILITY_EXAMPLES=N  hypothesis examples per property (default 1000)
#   RELIABILITY_OUT=DIR     where figures.json and junit.xml go (default /tmp/cqa-reliability)
# Extra arguments go to pytest (e.g. -k kill_loop, -x).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PY:-.venv/bin/python}"
OUT="${RELIABILITY_OUT:-/tmp/cqa-reliability}"
mkdir -p "$OUT"
export RELIABILITY_FIGURES="$OUT/figures.json"
rm -f "$RELIABILITY_FIGURES"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False STREAMLIT_BROWSER_GATHER_USAGE_STATS=false
MARK="not slow"
[ "${RELIABILITY_SLOW:-0}" = 1 ] && MARK="slow or not slow"
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "[reliability] no chromium: browser tests skipped (scripts/setup.sh --browser installs it)" >&2
  MARK="($MARK) and not browser"
fi
t0=$(date +%s)
"$PY" -m pytest tests/reliability -m "$MARK" -p no:cacheprovider -q -rfEs --tb=short \
  --junitxml="$OUT/junit.xml" -o junit_family=xunit2 "$@"
rc=$?
"$PY" - "$OUT" "$(( $(date +%s) - t0 ))" <<'PYEOF'
import json, sys, xml.etree.ElementTree as ET
from pathlib import Path
out, secs = Path(sys.argv[1]), sys.argv[2]
figs = json.loads((out / "figures.json").read_text()) if (out / "figures.json").exists() else {}
suite = ET.parse(out / "junit.xml").getroot() if (out / "junit.xml").exists() else None
s = suite.find("testsuite") if suite is not None and suite.tag == "testsuites" else suite
print(f"\n== reliability figures ({secs}s) ==")
if s is not None:
    print(f"tests: {s.get('tests')}  failures: {s.get('failures')}  errors: {s.get('errors')}  skipped: {s.get('skipped')}")
hyp = sum(v for k, v in figs.items() if k.startswith("hypothesis_examples"))
print(f"kills survived: {figs.get('kills_survived', 0):.0f} (inside the write phase: {figs.get('kills_inside_write_phase', 0):.0f})")
print(f"files fuzzed: {hyp:.0f} hypothesis examples + {figs.get('hostile_files_ingested', 0):.0f} hostile files through ingest")
print(f"injection cases tried: {figs.get('injection_cases_tried', 0):.0f} (real model: {figs.get('injection_cases_real_model', 0):.0f}); off-corpus questions: {figs.get('offcorpus_questions_tried', 0):.0f}")
print(f"faults injected: {figs.get('faults_injected', 0):.0f}; privacy flows checked offline: {figs.get('privacy_flows_checked', 0):.0f}")
for k in sorted(figs):
    print(f"  {k}: {figs[k]}")
PYEOF
exit $rc
