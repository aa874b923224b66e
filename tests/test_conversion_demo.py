"""Demo orders: a believable year of sales, attributed exactly as an import would attribute them."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from desktop.db import Database, open_database
from desktop.services.attribution import recompute_attribution
from desktop.services.demo import load_demo
from desktop.services.demo_conversions import load_demo_conversions
from desktop.services.errors import RefusedByState

TODAY = date(2026, 11, 1)


@pytest.fixture
def demo(db: Database) -> Database:
    load_demo(db, affiliates=60, seed=7, today=TODAY)
    return db


def test_a_year_of_demo_orders(demo: Database) -> None:
    made = load_demo_conversions(demo, months=12, seed=7, today=TODAY)
    with demo.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.local_date, c.status, c.attribution, c.amount, c.refunded_amount, a.status, c.affiliate_id "
                "FROM conversion c LEFT JOIN affiliate a ON a.id = c.affiliate_id"
            )
        ).all()
        skus = {row[0] for row in conn.execute(text("SELECT DISTINCT sku FROM conversion_line"))}
        lines_per_order = conn.execute(
            text("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM conversion_line GROUP BY conversion_id) AS counted")
        ).scalar()
        partners = conn.execute(text("SELECT COUNT(*) FROM affiliate WHERE status IN ('active', 'paused')")).scalar()
        clicks = conn.execute(text("SELECT COUNT(*) FROM click WHERE visitor_id IS NOT NULL")).scalar()
    assert made == len(rows)
    reasons = Counter(row[2] for row in rows)
    assert set(reasons) == {"coupon", "referral", "click", "organic"}
    assert 0.33 < reasons["organic"] / made < 0.47
    per_partner = (made - reasons["organic"]) / partners
    assert 30 <= per_partner <= 80
    assert {row[5] for row in rows if row[6] is not None} <= {"active", "paused"}
    by_affiliate = Counter(row[6] for row in rows if row[6] is not None)
    best, *_, worst = sorted(by_affiliate.values(), reverse=True)
    assert best > 4 * worst  # some partners far better than others
    months = Counter(str(row[0])[5:7] for row in rows)
    assert months["12"] > 1.3 * months["01"] and months["11"] > months["02"]  # the holiday season
    statuses = Counter(row[1] for row in rows)
    assert statuses["refunded"] and statuses["rejected"] and statuses["pending"]
    assert all((TODAY - date.fromisoformat(str(row[0])[:10])).days < 14 for row in rows if row[1] == "pending")
    assert any(0 < row[4] < row[3] and row[1] == "approved" for row in rows)  # partial refunds
    assert any(sku.startswith("GIFT-") for sku in skus) and any(sku.startswith("BUNDLE-") for sku in skus)
    assert lines_per_order >= 3 and clicks > made
    assert recompute_attribution(demo) == 0  # stored attribution is what the rules say


def test_demo_orders_go_only_into_a_database_without_orders(demo: Database) -> None:
    load_demo_conversions(demo, months=2, seed=1, today=TODAY)
    with pytest.raises(RefusedByState, match="already has orders"):
        load_demo_conversions(demo, months=2, seed=1, today=TODAY)


def test_the_demo_is_the_same_for_a_seed(tmp_path: Path, db: Database) -> None:
    load_demo(db, affiliates=20, seed=3, today=TODAY)
    reported: list[tuple[int, int]] = []
    made = load_demo_conversions(db, months=3, seed=3, today=TODAY, progress=lambda d, t, w: reported.append((d, t)))
    assert reported[-1] == (made, made)
    with db.engine.connect() as conn:
        first = conn.execute(text("SELECT SUM(amount), COUNT(*) FROM conversion")).one()
    other = open_database(tmp_path / "other.sqlite3")
    try:
        load_demo(other, affiliates=20, seed=3, today=TODAY)
        load_demo_conversions(other, months=3, seed=3, today=TODAY)
        with other.engine.connect() as conn:
            assert conn.execute(text("SELECT SUM(amount), COUNT(*) FROM conversion")).one() == first
    finally:
        other.dispose()
