"""Benchmarks (`python -m bench`): each measurement is reported as a ratio to a limit measured in the same run."""
