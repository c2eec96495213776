# The habits, named. `make run` and `make test` do all the set-up themselves (idempotent).
SHELL := /bin/bash
PY := .venv/bin/python
ENV := source scripts/env.sh &&
PORT ?= 8501

.PHONY: setup run test test-fast test-slow browser lint typecheck ingest ingest-check ask eval eval-quick eval-retrieval eval-policyqa gold-check bench bench-quick reliability clean-store

setup:
	bash scripts/setup.sh --dev

run:
	bash scripts/setup.sh
	$(ENV) $(PY) -m ingest
	$(ENV) .venv/bin/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

test:
	bash scripts/test.sh

test-fast:
	$(ENV) $(PY) -m pytest -q

test-slow:
	$(ENV) $(PY) -m pytest -q -m "slow or browser"

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports --no-cache

typecheck:
	.venv/bin/mypy

ingest:
	$(ENV) $(PY) -m ingest

ingest-check:
	$(ENV) $(PY) -m ingest --check

# make ask Q="How quickly must Humanlinker notify a data breach?"
ask:
	$(ENV) $(PY) -m assistant ask "$(Q)"

browser:
	$(ENV) $(PY) -m pytest -q -m browser tests/test_browser.py

gold-check:
	$(ENV) $(PY) evals/gold/fill_offsets.py --check && $(ENV) $(PY) -m pytest -q tests/test_gold.py

eval:
	$(ENV) $(PY) -m evals run --gold evals/gold/contracts.jsonl --split both --out evals/runs/full-latest

eval-quick:
	$(ENV) $(PY) -m evals run --gold evals/gold/contracts.jsonl --sample 20

eval-retrieval:
	$(ENV) $(PY) -m evals run --gold evals/gold/contracts.jsonl --retrieval-only --out evals/runs/retrieval-latest

eval-policyqa:
	$(ENV) $(PY) -m evals run --gold ../shared/benchmarks/policyqa-dev/gold.jsonl \
	  --corpus ../shared/benchmarks/policyqa-dev/corpus --retrieval-only --redact --out evals/runs/policyqa-latest

bench:
	$(ENV) $(PY) -m bench

bench-quick:
	$(ENV) $(PY) -m bench --quick

reliability:
	bash scripts/setup.sh --dev --browser
	$(ENV) bash scripts/reliability.sh

clean-store:
	rm -rf data/store
