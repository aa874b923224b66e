"""Timing for the benchmarks: the median of several runs of one piece of work."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(work: Callable[[], object], runs: int = 5, *, warm: bool = False) -> float:
    """Median wall time of `runs` calls; `warm` first runs it once untimed (steady state, page cache filled)."""
    if warm:
        work()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)
