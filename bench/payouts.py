"""Benchmark of payout sheets: a month's build on 1,000,000 orders, and a 100,000-line workbook, with anchors."""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from desktop.db import Database, open_database
from desktop.services.payouts import build_payout_sheet, export_xlsx
from desktop.services.plans import load_demo_plans
from desktop.services.program_settings import ProgramSettings, save_program

AFFILIATES = 10_000
ORDERS = 1_000_000
MONTH = "2026-10"
MONTH_LINES = 100_000  # approved, attributed order lines of the month: the sheet's commission lines
FIRST_DAY = date(2025, 11, 1)
MONTH_START, MONTH_END = date(2026, 10, 1), date(2026, 10, 31)
AS_OF = date(2026, 11, 20)
SKUS = ("HAT-1", "HAT-2", "TENT-4", "GIFT-25", "BUNDLE-3", "BOOT-42", None, None)
BATCH = 20_000


def _orders(rnd: random.Random) -> Any:
    """(day, status, affiliate or None, [line cents], paid) for a million orders; the month's lines come first."""
    made_lines = 0
    count = 0
    while made_lines < MONTH_LINES:  # the month's approved, attributed orders: exactly MONTH_LINES lines
        lines = min(rnd.choice((1, 1, 2, 3)), MONTH_LINES - made_lines)
        made_lines += lines
        count += 1
        yield MONTH_START + timedelta(days=rnd.randrange(31)), "approved", rnd.randrange(AFFILIATES), lines, False
    for _ in range(8_000):  # and the month's others: pending, rejected, refunded, organic
        status = rnd.choice(("pending", "rejected", "refunded", "approved"))
        affiliate = None if status == "approved" else rnd.randrange(AFFILIATES)
        yield MONTH_START + timedelta(days=rnd.randrange(31)), status, affiliate, rnd.choice((1, 2)), False
        count += 1
    span = (MONTH_START - FIRST_DAY).days
    while count < ORDERS:  # eleven earlier months, already on an approved sheet (or never payable)
        status = rnd.choices(("approved", "pending", "rejected", "refunded"), weights=(90, 3, 3, 4))[0]
        affiliate = None if rnd.random() < 0.08 else rnd.randrange(AFFILIATES)
        paid = status == "approved" and affiliate is not None
        yield FIRST_DAY + timedelta(days=rnd.randrange(span)), status, affiliate, rnd.choice((1, 1, 2)), paid
        count += 1


def generate(db: Database, seed: int = 2026) -> None:
    """Program, plans, 10,000 affiliates and 1,000,000 orders, written with Core bulk statements."""
    save_program(db, ProgramSettings(name="Bench", currency="USD", timezone="UTC", payout_threshold=_d("50.00")))
    plans = load_demo_plans(db)
    rnd = random.Random(seed)
    stamp = "2026-11-01 00:00:00.000000"
    with db.write_connection() as conn:
        conn.exec_driver_sql(
            "INSERT INTO affiliate (id, code, name, email, status, plan_id, total_followers, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 'active', ?, 0, ?, ?)",
            [(i + 1, f"AFF{i:05d}", f"Partner {i}", f"p{i}@example.com", plans[i % 2], stamp, stamp)
             for i in range(AFFILIATES)],
        )  # fmt: skip
        conn.exec_driver_sql(
            "INSERT INTO payout_sheet (id, period, state, currency, built_at, built_by, approved_at, approved_by, "
            "settings_json) VALUES (1, '2026-09', 'approved', 'USD', ?, 'bench', ?, 'bench', '{}')",
            (stamp, stamp),
        )
        orders: list[tuple[Any, ...]] = []
        lines: list[tuple[Any, ...]] = []
        for number, (day, status, affiliate, count, paid) in enumerate(_orders(rnd), 1):
            cents = [rnd.randrange(500, 40_000) for _ in range(count)]
            total = sum(cents)
            refunded = total if status == "refunded" else (rnd.randrange(total // 2) if rnd.random() < 0.02 else 0)
            when = f"{day.isoformat()} {rnd.randrange(24):02d}:{rnd.randrange(60):02d}:00.000000"
            orders.append((number, f"#{number}", "sale", when, day.isoformat(), "USD", status, total, refunded,
                           total - refunded, None if affiliate is None else affiliate + 1,
                           "organic" if affiliate is None else "coupon", str(number), 1 if paid else None, stamp,
                           stamp))  # fmt: skip
            lines.extend((number, n, rnd.choice(SKUS), None, rnd.choice((1, 1, 2)), c) for n, c in enumerate(cents, 1))
            if len(orders) >= BATCH:
                _flush(conn, orders, lines)
        _flush(conn, orders, lines)
    db.engine.dispose()


def _flush(conn: Any, orders: list[tuple[Any, ...]], lines: list[tuple[Any, ...]]) -> None:
    if orders:
        conn.exec_driver_sql(
            "INSERT INTO conversion (id, order_id, type, occurred_at, local_date, currency, status, amount, "
            "refunded_amount, net_amount, affiliate_id, attribution, row_hash, paid_sheet_id, created_at, updated_at) "
            f"VALUES ({', '.join(['?'] * 16)})",
            orders,
        )
        conn.exec_driver_sql(
            "INSERT INTO conversion_line (conversion_id, line_no, sku, product, quantity, amount) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            lines,
        )
    orders.clear()
    lines.clear()


def _d(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)


def seconds(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def sql_month_sum(path: Path) -> float:
    """The anchor: one plain SQL aggregation of the same month, per affiliate."""
    connection = sqlite3.connect(path)
    try:
        elapsed, _ = seconds(
            lambda: connection.execute(
                "SELECT affiliate_id, COUNT(*), SUM(net_amount) FROM conversion WHERE local_date BETWEEN ? AND ? "
                "AND status = 'approved' AND affiliate_id IS NOT NULL GROUP BY affiliate_id",
                (MONTH_START.isoformat(), MONTH_END.isoformat()),
            ).fetchall()
        )
    finally:
        connection.close()
    return elapsed


def bare_workbook(path: Path, target: Path) -> float:
    """The anchor: openpyxl write_only writing the same rows, plain values, no formats or checks."""
    connection = sqlite3.connect(path)
    rows = connection.execute(
        "SELECT a.code, c.order_id, c.local_date, c.type, l.line_no, cl2.sku, cl2.product, cl2.quantity, "
        "l.amount / 100.0, l.commission / 100.0, l.rule, l.trace FROM commission_line l "
        "JOIN conversion c ON c.id = l.conversion_id JOIN affiliate a ON a.id = l.affiliate_id "
        "LEFT JOIN conversion_line cl2 ON cl2.conversion_id = l.conversion_id AND cl2.line_no = l.line_no "
        "JOIN payout_sheet s ON s.id = l.sheet_id WHERE s.period = ?",
        (MONTH,),
    ).fetchall()
    connection.close()

    def write() -> None:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Order lines")
        for row in rows:
            ws.append(row)
        wb.save(target)

    elapsed, _ = seconds(write)
    return elapsed


def run() -> list[tuple[str, float, str, float]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        db = open_database(path)
        generate(db)
        anchor = sql_month_sum(path)
        build, summary = seconds(lambda: build_payout_sheet(db, MONTH, as_of=AS_OF))
        lines = getattr(summary, "commission_lines", 0)
        rebuild, _ = seconds(lambda: build_payout_sheet(db, MONTH, as_of=AS_OF))
        export, _ = seconds(lambda: export_xlsx(db, MONTH, Path(folder) / "payouts.xlsx"))
        bare = bare_workbook(path, Path(folder) / "bare.xlsx")
        db.dispose()
    sql_name = "SQL SUM(net) GROUP BY affiliate, same month"
    return [
        (f"payouts: build a month, 1M orders, {lines:,} lines", build, sql_name, anchor),
        ("payouts: build it again (replaces the draft)", rebuild, sql_name, anchor),
        (f"payouts: export_xlsx, {lines:,} order lines", export, "openpyxl write_only, same rows bare", bare),
    ]


if __name__ == "__main__":
    for name, took, anchor_name, anchor_took in run():
        print(
            f"{name}: {took * 1000:.0f} ms  |  {anchor_name}: {anchor_took * 1000:.0f} ms  (×{took / anchor_took:.1f})"
        )
