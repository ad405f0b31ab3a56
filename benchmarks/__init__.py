"""Benchmarks: ``python -m benchmarks.core`` (or ``make bench``). They print figures, never assert."""
