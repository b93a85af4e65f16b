"""Benchmarks (not tests): scripts/bench <name>."""
