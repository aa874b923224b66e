"""Every metric against a small dataset worked out by hand, on SQLite and PostgreSQL; date ranges; the table columns."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from sqlalchemy import insert, select

from desktop.db import Database
from desktop.models import (
    Affiliate,
    Click,
    CommissionLine,
    Conversion,
    ConversionLine,
    DailyClicks,
    PayoutSheet,
    RateReward,
)
from desktop.services.affiliates import AffiliateFilter, AffiliateInput, create_affiliate, list_affiliates
from desktop.services.metrics import (
    DateRange,
    Metrics,
    affiliate_metrics,
    format_value,
    metrics_by_affiliate,
    program_metrics,
    spread,
)
from desktop.services.plans import PlanInput, TierInput, create_plan
from desktop.services.program_settings import ProgramSettings, save_program

D = Decimal
OCT = DateRange.month("2026-10")
_numbers = count(1)


# --- helpers other test modules import: conversions go in as rows, the way an import leaves them ---------------------


def setup_program(db: Database, *, tiers: bool = False) -> int:
    """A program in UTC with one plan, "Standard": 10 % of sales, 2.00 a lead, 0.50 a signup."""
    save_program(db, ProgramSettings(name="Test", currency="USD", timezone="UTC"))
    tier = (TierInput(D("1000.00"), sale_rate=D("0.15")),) if tiers else ()
    return create_plan(
        db, PlanInput(name="Standard", sale_rate=D("0.10"), lead_amount=D("2.00"), signup_amount=D("0.50"), tiers=tier)
    )


def add_affiliate(db: Database, code: str, *, status: str = "active", tags: tuple[str, ...] = ()) -> int:
    return create_affiliate(db, AffiliateInput(code=code, name=f"{code.title()} Person", status=status, tags=tags))


def add_order(
    db: Database,
    affiliate_id: int | None,
    day: date,
    amount: str = "0.00",
    *,
    status: str = "approved",
    kind: str = "sale",
    refunded: str = "0.00",
    lines: tuple[tuple[str, int, str], ...] = (),
) -> int:
    """One order as a Core insert (with its lines when given: sku, quantity, amount); returns its id."""
    number = next(_numbers)
    at = datetime.combine(day, time(12, 0)) + timedelta(seconds=number)
    row: dict[str, Any] = {
        "order_id": f"#{number}",
        "type": kind,
        "occurred_at": at,
        "local_date": day,
        "currency": "USD",
        "status": status,
        "amount": D(amount),
        "refunded_amount": D(refunded),
        "net_amount": D(amount) - D(refunded),
        "affiliate_id": affiliate_id,
        "attribution": "referral" if affiliate_id else "organic",
        "row_hash": "",
        "created_at": at,
        "updated_at": at,
    }
    with db.write() as session:
        session.execute(insert(Conversion), [row])
        conversion_id = session.scalar(select(Conversion.id).where(Conversion.order_id == row["order_id"]))
        assert conversion_id is not None
        if lines:
            session.execute(
                insert(ConversionLine),
                [
                    {"conversion_id": conversion_id, "line_no": n, "sku": sku, "quantity": q, "amount": D(a)}
                    for n, (sku, q, a) in enumerate(lines, start=1)
                ],
            )
    return conversion_id


def add_clicks(db: Database, affiliate_id: int, day: date, clicks: int, *, daily: bool = False) -> None:
    """A day's clicks, as a click log (one row per click) or as a daily count."""
    with db.write() as session:
        if daily:
            session.execute(insert(DailyClicks), [{"affiliate_id": affiliate_id, "day": day, "clicks": clicks}])
            return
        start = datetime.combine(day, time(9, 0))
        session.execute(
            insert(Click),
            [
                {"clicked_at": start + timedelta(minutes=n), "local_date": day, "affiliate_id": affiliate_id,
                 "visitor_id": f"v{affiliate_id}-{day}-{n}"}  # fmt: skip
                for n in range(clicks)
            ],
        )


def hand_worked(db: Database) -> dict[str, int]:
    """The dataset of docs/metrics.md's worked example."""
    setup_program(db)
    ids = {"JANE": add_affiliate(db, "JANE"), "TOM": add_affiliate(db, "TOM"), "ADA": add_affiliate(db, "ADA")}
    jane, tom = ids["JANE"], ids["TOM"]
    ids["first"] = add_order(db, jane, date(2026, 10, 3), "100.00")
    add_order(db, jane, date(2026, 10, 4), "250.00", refunded="50.00")  # partly refunded: counts 200.00
    add_order(db, jane, date(2026, 10, 5), "80.00", status="refunded", refunded="80.00")
    add_order(db, jane, date(2026, 10, 6), "40.00", status="pending")
    add_order(db, jane, date(2026, 10, 7), "30.00", status="rejected")
    add_order(db, jane, date(2026, 10, 8), kind="lead")
    add_order(db, jane, date(2026, 10, 9), kind="signup")
    add_order(db, jane, date(2026, 10, 9), kind="lead", status="pending")
    add_order(db, tom, date(2026, 10, 12), "60.00")
    add_order(db, tom, date(2026, 10, 31), "40.00", lines=(("HAT-1", 1, "25.00"), ("SOCK-2", 3, "15.00")))
    add_order(db, None, date(2026, 10, 15), "500.00")  # organic
    add_order(db, None, date(2026, 10, 16), "100.00", status="refunded", refunded="100.00")
    add_order(db, jane, date(2026, 9, 30), "999.00")  # the days either side of October
    add_order(db, jane, date(2026, 11, 1), "777.00")
    add_clicks(db, jane, date(2026, 10, 5), 3)
    add_clicks(db, jane, date(2026, 10, 5), 50, daily=True)  # the log has that day: the count is not added
    add_clicks(db, jane, date(2026, 10, 6), 47, daily=True)
    add_clicks(db, jane, date(2026, 9, 30), 5)
    add_clicks(db, tom, date(2026, 10, 10), 20, daily=True)
    return ids


JANE = Metrics(clicks=50, orders=5, sales=2, revenue=D("300.00"), leads=1, signups=1, refunded=1, commission=D("32.50"))
TOM = Metrics(clicks=20, orders=2, sales=2, revenue=D("100.00"), commission=D("10.00"))


def test_each_affiliate_by_hand(any_db: Database) -> None:
    ids = hand_worked(any_db)
    found = metrics_by_affiliate(any_db, OCT)
    assert found == {ids["JANE"]: JANE, ids["TOM"]: TOM}  # ADA did nothing: absent unless asked for
    jane = found[ids["JANE"]]
    assert (jane.conversion_rate, jane.aov, jane.epc) == (D("4.00"), D("150.00"), D("0.65"))
    assert (jane.refund_rate, jane.cost_of_sale) == (D("33.33"), D("10.83"))
    tom = found[ids["TOM"]]
    assert (tom.conversion_rate, tom.aov, tom.epc, tom.refund_rate, tom.cost_of_sale) == (
        D("10.00"), D("50.00"), D("0.50"), D("0.00"), D("10.00")
    )  # fmt: skip
    assert affiliate_metrics(any_db, ids["ADA"], OCT) == Metrics()
    assert Metrics().conversion_rate is None and Metrics().aov is None and Metrics().epc is None


def test_the_program_by_hand(any_db: Database) -> None:
    hand_worked(any_db)
    program = program_metrics(any_db, OCT)
    assert program.affiliates == JANE + TOM
    assert (program.organic_sales, program.organic_revenue, program.shop_revenue) == (1, D("500.00"), D("900.00"))
    assert program.affiliate_share == D("44.44")
    values = {m: program.value(m) for m in ("conversion_rate", "aov", "epc", "refund_rate", "cost_of_sale")}
    assert values == {
        "conversion_rate": D("5.71"), "aov": D("100.00"), "epc": D("0.61"), "refund_rate": D("20.00"),
        "cost_of_sale": D("10.63"),
    }  # fmt: skip


def test_one_day_and_a_whole_year(db: Database) -> None:
    ids = hand_worked(db)
    last_day = metrics_by_affiliate(db, DateRange(date(2026, 10, 31), date(2026, 11, 1)))
    assert last_day[ids["TOM"]].revenue == D("40.00")
    assert last_day[ids["JANE"]] == Metrics(orders=1, sales=1, revenue=D("777.00"), commission=D("77.70"))
    year = program_metrics(db, DateRange(date(2026, 1, 1), date(2026, 12, 31)))
    assert year.affiliates.revenue == D("2176.00") and year.affiliates.clicks == 75


def test_commission_on_a_sheet_wins_over_the_estimate(db: Database) -> None:
    ids = hand_worked(db)
    with db.write() as session:
        sheet = PayoutSheet(period="2026-10", state="draft", currency="USD", built_at=datetime(2026, 11, 1),
                            built_by="t", settings_json="{}")  # fmt: skip
        session.add(sheet)
        session.flush()
        line = CommissionLine(sheet_id=sheet.id, affiliate_id=ids["JANE"], conversion_id=ids["first"], line_no=1,
                              amount=D("100.00"), commission=D("12.00"), rule="base", trace="t")  # fmt: skip
        session.add(line)
    # 12.00 from the sheet for the first order; the rest estimated: 20.00 + 2.00 + 0.50
    assert affiliate_metrics(db, ids["JANE"], OCT).commission == D("34.50")


def test_a_better_rate_and_tiers_reach_the_estimate(db: Database) -> None:
    ids = hand_worked(db)
    with db.write() as session:
        session.add(RateReward(affiliate_id=ids["TOM"], period="2026-10", rate_boost=D("0.02"), reason="test"))
    assert affiliate_metrics(db, ids["TOM"], OCT).commission == D("12.00")  # 12 % of 60 + 25 + 15


def test_tiers_count_the_whole_month_even_for_part_of_it(db: Database) -> None:
    setup_program(db, tiers=True)
    jane = add_affiliate(db, "JANE")
    add_order(db, jane, date(2026, 10, 1), "900.00")
    add_order(db, jane, date(2026, 10, 20), "200.00")
    assert affiliate_metrics(db, jane, OCT).commission == D("165.00")  # 1,100 reaches the 15 % tier
    assert affiliate_metrics(db, jane, DateRange(date(2026, 10, 15), date(2026, 10, 31))).commission == D("30.00")


def test_a_partial_refund_is_spread_over_the_lines() -> None:
    assert spread(2000, [3000, 1000]) == [1500, 500]
    assert spread(1000, [1, 1, 1]) == [1, 1, 1]  # nothing refunded
    assert spread(100, [100, 100, 100]) == [34, 33, 33]  # largest remainder: the cents add up
    assert spread(0, [500]) == [0]


def test_date_ranges() -> None:
    assert OCT.previous() == DateRange.month("2026-09")
    assert DateRange.months("2026-07", "2026-09").previous() == DateRange.months("2026-04", "2026-06")
    mtd = DateRange(date(2026, 3, 1), date(2026, 3, 30))  # month to date: the same days of February
    assert mtd.previous() == DateRange(date(2026, 2, 1), date(2026, 2, 28))
    custom = DateRange(date(2026, 3, 10), date(2026, 3, 19))
    assert custom.previous() == DateRange(date(2026, 2, 28), date(2026, 3, 9))
    assert DateRange.months("2025-11", "2026-02").periods == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert (OCT.label, DateRange.months("2026-01", "2026-03").label) == ("October 2026", "Jan – Mar 2026")
    with pytest.raises(ValueError):
        DateRange(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(ValueError):
        DateRange.month("2026-13")


def test_values_are_written_the_way_people_read_them() -> None:
    assert format_value("revenue", D("1234.5")) == "1,234.50"
    assert format_value("sales", D("1234")) == "1,234"
    assert format_value("conversion_rate", D("3.25")) == "3.25 %"
    assert format_value("epc", None) == "—"


def test_affiliates_table_columns_sort_in_sql(any_db: Database) -> None:
    ids = hand_worked(any_db)
    today = date(2026, 10, 31)  # the last 30 days: 2 to 31 October

    def page(sort: str, descending: bool = True) -> list[str]:
        rows = list_affiliates(any_db, AffiliateFilter(), sort=sort, descending=descending, today=today)
        return [row.code for row in rows]

    rows = {r.code: r for r in list_affiliates(any_db, AffiliateFilter(), today=today)}
    jane, tom = rows["JANE"], rows["TOM"]
    assert (jane.revenue_30d, jane.sales_30d, jane.clicks_30d) == (D("300.00"), 2, 50)
    assert jane.commission_30d == D("32.50")  # base terms: 10 % + a lead + a signup
    assert (jane.conversion_rate_30d, jane.epc_30d) == (D("4.00"), D("0.65"))
    assert (tom.conversion_rate_30d, tom.epc_30d, rows["ADA"].epc_30d) == (D("10.00"), D("0.50"), None)
    assert page("revenue_30d") == ["JANE", "TOM", "ADA"]
    assert page("conversion_rate_30d") == ["TOM", "JANE", "ADA"]  # no clicks: last, either way
    assert page("conversion_rate_30d", descending=False) == ["JANE", "TOM", "ADA"]
    assert page("epc_30d") == ["JANE", "TOM", "ADA"]
    one = list_affiliates(any_db, AffiliateFilter(search="tom"), sort="epc_30d", today=today)
    assert [(r.id, r.revenue_30d) for r in one] == [(ids["TOM"], D("100.00"))]


def test_a_page_sorted_by_revenue_is_still_one_query(db: Database) -> None:
    from sqlalchemy import event

    hand_worked(db)
    seen: list[str] = []

    def remember(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        list_affiliates(db, AffiliateFilter(search="a"), sort="revenue_30d", today=date(2026, 10, 31))
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert [s for s in seen if s.startswith("SELECT")] == seen[-1:]  # one SELECT (after the BEGIN)


def test_no_affiliate_means_nothing_to_count(db: Database) -> None:
    setup_program(db)
    assert metrics_by_affiliate(db, OCT) == {}
    assert program_metrics(db, OCT).affiliate_share is None
    with db.read() as session:
        assert session.scalar(select(Affiliate.id)) is None


def demo_orders(db: Database, today: date, orders: int = 900, seed: int = 11) -> None:
    """A year of orders and daily clicks for the demo's active affiliates (the demo has no orders of its own yet)."""
    import random

    rnd = random.Random(seed)
    with db.read() as session:
        active = list(session.scalars(select(Affiliate.id).where(Affiliate.status == "active").order_by(Affiliate.id)))
    first = date(today.year - 1, today.month, 28) + timedelta(days=4)
    first = first.replace(day=1)
    span = (today - first).days + 1
    rows, clicks = [], []
    for number in range(orders):
        day = first + timedelta(days=rnd.randrange(span))
        status = rnd.choices(("approved", "pending", "refunded"), (90, 6, 4))[0]
        cents = rnd.randrange(2_000, 25_000)
        at = datetime.combine(day, time(10, 0)) + timedelta(minutes=number)
        rows.append({"order_id": f"D{number}", "type": "sale", "occurred_at": at, "local_date": day, "currency": "USD",
                     "status": status, "amount": D(cents) / 100, "refunded_amount": D(cents if status == "refunded"
                     else 0) / 100, "net_amount": D(0 if status == "refunded" else cents) / 100,
                     "affiliate_id": rnd.choice(active[:12]) if rnd.random() < 0.6 else None, "attribution": "coupon",
                     "row_hash": "", "created_at": at, "updated_at": at})  # fmt: skip
    for affiliate_id in active:
        for offset in range(0, span, 7):
            clicks.append({"affiliate_id": affiliate_id, "day": first + timedelta(days=offset), "clicks": 40})
    with db.write() as session:
        session.execute(insert(Conversion), rows)
        session.execute(insert(DailyClicks), clicks)


def test_the_table_model_shows_and_sorts_the_performance_columns(qapp, db: Database) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from desktop.views.affiliate_table_model import COL_CONVERSION, COL_EPC, COL_REVENUE, AffiliateTableModel

    hand_worked(db)
    today = date(2026, 10, 31)

    def fetch(sort: str, descending: bool, offset: int, limit: int) -> list[Any]:
        return list_affiliates(db, AffiliateFilter(), sort=sort, descending=descending, offset=offset, limit=limit,
                               today=today)  # fmt: skip

    model = AffiliateTableModel(fetch, lambda: 3)
    model.sort(COL_REVENUE, Qt.SortOrder.DescendingOrder)
    assert [model.data(model.index(r, 0)) for r in range(3)] == ["JANE", "TOM", "ADA"]
    assert [model.data(model.index(0, c)) for c in (COL_REVENUE, COL_CONVERSION, COL_EPC)] == ["300.00", "4.00 %",
                                                                                              "0.65"]  # fmt: skip
    assert model.data(model.index(2, COL_EPC)) == "—"
    model.sort(COL_CONVERSION, Qt.SortOrder.DescendingOrder)
    assert model.sort_key == ("conversion_rate_30d", True)
    assert model.data(model.index(0, 0)) == "TOM"
    assert model.headerData(COL_EPC, Qt.Orientation.Horizontal) == "EPC 30 d"
