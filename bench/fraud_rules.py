"""Each fraud rule on a month where one affiliate brought 50,000 orders and 5,000 customers ordered twice, against
a bare GROUP BY of the same orders.

The shape that made the duplicate-orders rule take six minutes: it searched all of the big affiliate's orders once
per repeated (customer, amount) group.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.timing import median_seconds

ORDERS = 150_000
BIG = 50_000  # orders of the one big affiliate
REPEATED = 5_000  # of them, customers who ordered twice for the same amount
MONTH = "2026-10"


def populate(db: object) -> None:
    from sqlalchemy import insert, select

    from desktop.models import Affiliate, Conversion
    from desktop.services.demo import load_demo

    load_demo(db, affiliates=40, today=date(2026, 11, 1))  # type: ignore[arg-type]
    with db.read() as session:  # type: ignore[attr-defined]
        ids = list(session.scalars(select(Affiliate.id).where(Affiliate.status == "active")))
    start = datetime(2026, 10, 1)
    rows = []
    for n in range(ORDERS):
        when = start + timedelta(minutes=(n * 17) % (31 * 24 * 60))
        big = n < BIG
        customer = f"c{n % REPEATED}@example.com" if big and n < 2 * REPEATED else f"c{n}@example.com"
        cents = 1_099 + (n % REPEATED if big and n < 2 * REPEATED else n % 5_000)
        rows.append({
            "order_id": f"B-{n}", "type": "sale", "occurred_at": when, "local_date": when.date(), "currency": "USD",
            "status": "approved", "amount": cents, "refunded_amount": 0, "net_amount": cents,
            "affiliate_id": ids[0] if big else (ids[1 + n % (len(ids) - 1)] if n % 3 else None),
            "attribution": "referral" if big or n % 3 else "organic", "customer_email": customer, "row_hash": "",
            "created_at": when, "updated_at": when,
        })  # fmt: skip
    with db.write() as session:  # type: ignore[attr-defined]
        for first in range(0, len(rows), 10_000):
            session.execute(insert(Conversion.__table__), rows[first : first + 10_000])


def run() -> list[tuple[str, float, str, float]]:
    from desktop.db import open_database
    from desktop.services.fraud import RULES
    from desktop.services.fraud_rules import DEFAULT_SETTINGS, Scope

    with tempfile.TemporaryDirectory(prefix="bench-fraud-") as tmp:
        db = open_database(Path(tmp) / "bench.sqlite3")
        try:
            populate(db)

            def group_by() -> None:
                with db.engine.connect() as conn:
                    conn.exec_driver_sql(
                        "SELECT affiliate_id, customer_email, amount, COUNT(*) FROM conversion "
                        "WHERE local_date >= '2026-10-01' AND local_date < '2026-11-01' GROUP BY 1, 2, 3"
                    ).all()

            anchor = median_seconds(group_by, 3, warm=True)
            scope = Scope((MONTH,), db.is_sqlite)
            found = []
            for name, rule, _ in RULES:

                def check(rule: object = rule) -> None:
                    with db.read() as session:
                        rule(session, scope, DEFAULT_SETTINGS)  # type: ignore[operator]

                seconds = median_seconds(check, 3, warm=True)
                found.append((f"fraud rule {name}, {ORDERS:,} orders in a month", seconds,
                              "GROUP BY affiliate, customer, amount", anchor))  # fmt: skip
            return found
        finally:
            db.dispose()


if __name__ == "__main__":
    for name, seconds, anchor_name, anchor_seconds in run():
        print(f"{name}: {seconds:.3f} s  |  {anchor_name}: {anchor_seconds:.3f} s")
