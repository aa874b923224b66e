"""Each performance metric's query on 1,000,000 orders and 10,000 affiliates, against a bare SUM over the orders."""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.timing import median_seconds

ORDERS = 1_000_000
AFFILIATES = 10_000
TODAY = date(2026, 11, 20)
CHUNK = 50_000
RUNS = 5


def _median(func: Callable[[], object], runs: int = RUNS) -> float:
    return median_seconds(func, runs, warm=True)  # the steady state a user sees on a second look


def populate(
    db: Any, *, orders: int = ORDERS, affiliates: int = AFFILIATES, seed: int = 2026, today: date = TODAY
) -> None:
    """Demo affiliates, then a year of orders, daily click counts and a click log, written with Core bulk INSERTs."""
    from sqlalchemy import insert, select

    from desktop.models import Affiliate, Click, Conversion, DailyClicks
    from desktop.services.demo import load_demo

    load_demo(db, affiliates=affiliates, today=today)
    first = date(today.year - 1, today.month, 1) + timedelta(days=31)
    first = first.replace(day=1)  # the first day of the month a year before the current one
    with db.read() as session:
        active = list(session.scalars(select(Affiliate.id).where(Affiliate.status == "active")))
    rnd = random.Random(seed)
    days = (today - first).days + 1
    # A few partners bring most of the sales: weights fall off like a real program's long tail.
    weights = [1.0 / (rank + 3) for rank in range(len(active))]
    now = datetime.combine(today, datetime.min.time())
    made = 0
    while made < orders:
        count = min(CHUNK, orders - made)
        chosen = rnd.choices(active, weights, k=count)
        rows = []
        for n in range(count):
            number = made + n
            day = first + timedelta(days=rnd.randrange(days))
            kind = rnd.choices(("sale", "lead", "signup"), (90, 7, 3))[0]
            status = rnd.choices(("approved", "pending", "refunded", "rejected"), (88, 6, 4, 2))[0]
            cents = rnd.randrange(1_500, 30_000) if kind == "sale" else 0
            refunded = cents if status == "refunded" else (cents // 4 if rnd.random() < 0.03 else 0)
            attributed = rnd.random() < 0.62
            rows.append(
                {
                    "order_id": f"#{number + 100_000}",
                    "type": kind,
                    "occurred_at": datetime.combine(day, datetime.min.time()) + timedelta(minutes=rnd.randrange(1440)),
                    "local_date": day,
                    "currency": "USD",
                    "status": status,
                    "amount": Decimal(cents) / 100,
                    "refunded_amount": Decimal(refunded) / 100,
                    "net_amount": Decimal(cents - refunded) / 100,
                    "affiliate_id": chosen[n] if attributed else None,
                    "attribution": "coupon" if attributed else "organic",
                    "row_hash": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        with db.write() as session:
            session.execute(insert(Conversion), rows)
        made += count
    daily = []
    for affiliate_id in active:
        for offset in range(0, days, 3):
            daily.append({"affiliate_id": affiliate_id, "day": first + timedelta(days=offset),
                          "clicks": rnd.randrange(1, 60)})  # fmt: skip
    clicks = []
    seen: set[tuple[int, datetime]] = set()
    for number in range(orders // 5):
        affiliate_id = rnd.choice(active)
        at = datetime.combine(first, datetime.min.time()) + timedelta(seconds=rnd.randrange(days * 86_400))
        if (affiliate_id, at) not in seen:
            seen.add((affiliate_id, at))
            clicks.append({"affiliate_id": affiliate_id, "clicked_at": at, "local_date": at.date(),
                           "visitor_id": f"v-{number}"})  # fmt: skip
    with db.write() as session:
        for start in range(0, len(daily), CHUNK):
            session.execute(insert(DailyClicks), daily[start : start + CHUNK])
        for start in range(0, len(clicks), CHUNK):
            session.execute(insert(Click), clicks[start : start + CHUNK])


# The indexes that would make every range query a covering-index read (a migration, proposed in docs/metrics.md).
PROPOSED_INDEXES = (
    "DROP INDEX ix_conversion_date",
    "CREATE INDEX ix_conversion_date ON conversion (local_date, status, type, affiliate_id, net_amount)",
    "CREATE INDEX ix_daily_clicks_day ON daily_clicks (day, affiliate_id, clicks)",
    "CREATE INDEX ix_click_date ON click (local_date, affiliate_id)",
)


def _figures(db: Any) -> list[tuple[str, Callable[[], object]]]:
    from desktop.services.affiliates import AffiliateFilter, list_affiliates
    from desktop.services.dashboard import get_dashboard, monthly_revenue
    from desktop.services.metrics import (
        DateRange,
        _clicks,
        _conversions,
        affiliate_metrics,
        commissions,
        metrics_by_affiliate,
        plan_terms_loader,
    )

    month = DateRange.month("2026-10")
    year = DateRange.months("2025-12", "2026-11")
    with db.read() as session:
        busiest = session.execute(
            __import__("sqlalchemy").text(
                "SELECT affiliate_id FROM conversion WHERE affiliate_id IS NOT NULL "
                "GROUP BY affiliate_id ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()

    def read(func: Callable[[Any], object]) -> Callable[[], object]:
        def timed() -> object:
            with db.read() as session:
                return func(session)

        return timed

    return [
        ("orders, sales, revenue, leads, signups, refunds: program, 1 month",
         read(lambda s: _conversions(s, month, None))),
        ("clicks (log + daily counts): every affiliate, 1 month", read(lambda s: _clicks(s, month, None))),
        ("commission estimate by the engine, 1 month, no sheet",
         read(lambda s: commissions(s, month, None, plan_terms_loader(db)))),
        ("all metrics but commission, per affiliate, 1 month",
         lambda: metrics_by_affiliate(db, month, commission=False)),
        ("all metrics of the busiest affiliate, 12 months", lambda: affiliate_metrics(db, busiest, year)),
        ("revenue by month, affiliate vs organic, 12 months", lambda: monthly_revenue(db, "2026-11", 12)),
        ("affiliates page, 30-day columns, sorted by code",
         lambda: list_affiliates(db, AffiliateFilter(), today=TODAY)),
        ("affiliates page sorted by 30-day revenue",
         lambda: list_affiliates(db, AffiliateFilter(), sort="revenue_30d", descending=True, today=TODAY)),
        ("affiliates page sorted by 30-day EPC",
         lambda: list_affiliates(db, AffiliateFilter(), sort="epc_30d", descending=True, today=TODAY)),
        ("whole dashboard, this month (data, no charts)",
         lambda: get_dashboard(db, DateRange(date(2026, 11, 1), TODAY), TODAY)),
    ]  # fmt: skip


PLANS = {
    "one affiliate, 1 month": "SELECT count(*), sum(net_amount) FROM conversion WHERE affiliate_id = 7 "
    "AND local_date BETWEEN '2026-10-01' AND '2026-10-31' AND status = 'approved' AND type = 'sale'",
    "program, 1 month": "SELECT affiliate_id, sum(CASE WHEN status = 'approved' AND type = 'sale' THEN net_amount END) "
    "FROM conversion WHERE local_date BETWEEN '2026-10-01' AND '2026-10-31' GROUP BY affiliate_id",
}


def _plans(path: Path) -> list[str]:
    raw = sqlite3.connect(path)
    try:
        return [f"{name}: " + "; ".join(row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql))
                for name, sql in PLANS.items()]  # fmt: skip
    finally:
        raw.close()


def run() -> list[tuple[str, float, str, float]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.db import open_database

    rows: list[tuple[str, float, str, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as folder:
        path = Path(folder) / "bench.sqlite3"
        db = open_database(path)
        started = time.perf_counter()
        populate(db)
        print(f"generated {ORDERS:,} orders for {AFFILIATES:,} affiliates in {time.perf_counter() - started:.0f} s")
        raw = sqlite3.connect(path)
        anchor_name = "sqlite3: SELECT SUM(net_amount) FROM conversion"
        anchor = _median(lambda: raw.execute("SELECT SUM(net_amount) FROM conversion").fetchone())
        for schema in ("as shipped", "with the proposed indexes"):
            if schema != "as shipped":
                db.dispose()
                for statement in PROPOSED_INDEXES:
                    raw.execute(statement)
                raw.commit()
                db = open_database(path)
            for line in _plans(path):
                print(f"  plan ({schema}) {line}")
            for name, func in _figures(db):
                rows.append((f"{name} [{schema}]", _median(func), anchor_name, anchor))
        raw.close()
        db.dispose()
    return rows


if __name__ == "__main__":
    from bench.__main__ import print_rows

    print_rows(run())
