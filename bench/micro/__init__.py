"""Micro-benchmarks: runnable modules that print their figures (python -m bench.micro.<name>)."""
