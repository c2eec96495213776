"""Ingestion: load -> decode/repair -> split into clauses -> embed -> upsert (`python -m ingest`)."""
