# The habits, named. `make run` and `make test` do all the set-up themselves (idempotent).
SHELL := /bin/bash
PY := .venv/bin/python
ENV := source scripts/env.sh &&
PORT ?= 8501

.PHONY: setup run test test-fast test-slow lint typecheck ingest eval eval-retrieval eval-policyqa baselines bench bench-quick reliability clean-store

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
	.venv/bin/ruff format --check . || true

typecheck:
	.venv/bin/mypy

ingest:
	$(ENV) $(PY) -m ingest

eval:
	$(ENV) $(PY) -m evals run --gold evals/gold/contracts.jsonl --out evals/runs/full-latest

eval-retrieval:
	$(ENV) $(PY) -m evals run --gold evals/gold/contracts.jsonl --retrieval-only --out evals/runs/retrieval-latest

eval-policyqa:
	$(ENV) $(PY) -m evals run --gold ../shared/benchmarks/policyqa-dev/gold.jsonl \
	  --corpus ../shared/benchmarks/policyqa-dev/corpus --retrieval-only --out evals/runs/policyqa-latest

bench:
	$(ENV) $(PY) -m bench

bench-quick:
	$(ENV) $(PY) -m bench --quick

reliability:
	bash scripts/setup.sh --dev --browser
	$(ENV) bash scripts/reliability.sh

clean-store:
	rm -rf data/store
