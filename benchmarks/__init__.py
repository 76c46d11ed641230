"""The benchmarks lab (benchmarks/README.md), e.g. ``python -m benchmarks.index``."""
