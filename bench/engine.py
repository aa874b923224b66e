"""Benchmark of the commission engine: a month of 100,000 order lines for 10,000 affiliates, against SQL."""

from __future__ import annotations

import dataclasses
import random
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench import timing
from desktop.money import from_cents, parse_rate
from desktop.services.commission_engine import OrderLine, PlanTerms, ProductRule, Tier, compute_period

AFFILIATES = 10_000
LINES = 100_000
RUNS = 5
MONTH_START = datetime(2026, 10, 1, tzinfo=UTC)

TIERED = PlanTerms(
    name="Standard",
    version=2,
    sale_rate=parse_rate("10%"),
    lead_amount=Decimal("2.00"),
    signup_amount=Decimal("0.50"),
    tiers=(
        Tier(Decimal("1000.00"), sale_rate=parse_rate("12%")),
        Tier(Decimal("2000.00"), sale_rate=parse_rate("15%")),
    ),
    products=(
        ProductRule("GIFT-*", sale_rate=Decimal("0")),
        ProductRule("BOOT-*", sale_amount=Decimal("3.00")),
    ),
    cap=Decimal("400.00"),
)
SKUS = ("HAT-1", "HAT-2", "TENT-4", "GIFT-25", "BOOT-42", None, None, None)


def generate(seed: int = 2026) -> list[tuple[int, list[OrderLine], list[int]]]:
    """Per affiliate: its id, its order lines, and each line's amount in cents (for the SQL table)."""
    rnd = random.Random(seed)
    per_affiliate: list[tuple[int, list[OrderLine], list[int]]] = [(a, [], []) for a in range(AFFILIATES)]
    made = 0
    order_no = 0
    while made < LINES:
        affiliate, lines, amounts = per_affiliate[rnd.randrange(AFFILIATES)]
        order_no += 1
        occurred_at = MONTH_START + timedelta(minutes=rnd.randrange(31 * 24 * 60))
        kind = rnd.choices(("sale", "lead", "signup"), weights=(90, 7, 3))[0]
        count = min(rnd.choice((1, 1, 1, 2, 3)) if kind == "sale" else 1, LINES - made)
        for line_no in range(1, count + 1):
            cents = rnd.randrange(500, 40_000) if kind == "sale" else 0
            quantity = rnd.choice((1, 1, 2, 3))
            sku = rnd.choice(SKUS) if kind == "sale" else None
            lines.append(OrderLine(f"#{order_no}", line_no, occurred_at, kind, from_cents(cents), quantity, sku))
            amounts.append(cents)
        made += count
    return per_affiliate


def median_seconds(work: Callable[[], object]) -> float:
    return timing.median_seconds(work, RUNS)


def run() -> list[tuple[str, float, str, float]]:
    data = generate()
    assert sum(len(lines) for _, lines, _ in data) == LINES

    database = sqlite3.connect(":memory:")
    database.execute("CREATE TABLE lines (affiliate INTEGER NOT NULL, amount_cents INTEGER NOT NULL)")
    database.executemany(
        "INSERT INTO lines VALUES (?, ?)",
        ((affiliate, cents) for affiliate, _, amounts in data for cents in amounts),
    )
    database.commit()

    def sql_sum() -> object:
        return database.execute("SELECT affiliate, SUM(amount_cents) FROM lines GROUP BY affiliate").fetchall()

    anchor_name = "sqlite3 SUM(amount_cents) GROUP BY affiliate, 100,000 rows in memory"
    anchor = median_seconds(sql_sum)

    rows: list[tuple[str, float, str, float]] = []
    for mode in ("all", "marginal"):
        plan = dataclasses.replace(TIERED, tier_mode=mode)

        def month(plan: PlanTerms = plan) -> object:
            return [compute_period(plan, lines) for _, lines, _ in data]

        name = f"compute_period, 100,000 lines / 10,000 affiliates, tiered ({mode})"
        rows.append((name, median_seconds(month), anchor_name, anchor))
    database.close()
    return rows


if __name__ == "__main__":
    for name, seconds, anchor_name, anchor_seconds in run():
        print(f"{name}: {seconds * 1000:.1f} ms  |  {anchor_name}: {anchor_seconds * 1000:.1f} ms")
