"""Benchmarks: each figure printed beside an anchor measured in the same run (not part of the test suite)."""
