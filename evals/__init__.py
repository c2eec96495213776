"""Evaluation harness: gold sets, metrics, `python -m evals run|compare`, reports (see docs/ARCHITECTURE.md)."""
