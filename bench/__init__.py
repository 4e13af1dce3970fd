"""Benchmarks, run by `make bench` (never from the test suite: tests do not depend on speed)."""
