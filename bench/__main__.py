"""`python -m bench [NAME ...]`: run the benchmarks and print each figure beside its anchor."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = [
    "startup",
    "engine",
    "affiliates_page",
    "import_conversions",
    "payouts",
    "metrics",
    "reviews",
    "conversions_page",
    "fraud_rules",
]


def print_rows(rows: list[tuple[str, float, str, float]]) -> None:
    for name, seconds, anchor, anchor_seconds in rows:
        if anchor:
            ratio = seconds / anchor_seconds if anchor_seconds else float("inf")
            print(f"{name:<58} {seconds * 1000:9.1f} ms   {anchor:<46} {anchor_seconds * 1000:9.1f} ms   ×{ratio:.2f}")
        else:
            print(f"{name:<58} {seconds * 1000:9.1f} ms")


def main(argv: list[str]) -> int:
    names = argv or BENCHMARKS
    print(f"{'figure (median of 5)':<58} {'time':>12}   {'anchor, same run':<46} {'time':>12}   ratio")
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print_rows(module.run())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
