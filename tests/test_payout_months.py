"""Every screen prices a held order in its own month, as the sheet that pays it does (payout_months).

The QA's case: a plan of 10 %, 20 % on all of a month's sales once they reach 1,000.00, a cap of 140.00; a 14-day
hold. March's sheet, built on 1 April, pays 1001 and 1002 (900.00: 90.00); 1003 and 1004 wait. March reaches the
tier with them (1,200.00): they earn 40.00 and 20.00, of which the cap leaves 50.00 (the latest line gives 10.00).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from test_payout_helpers import add_affiliate, add_order, setup_program

from desktop.db import Database
from desktop.models import Conversion
from desktop.services.conversions_list import get_conversion
from desktop.services.metrics import DateRange, affiliate_metrics
from desktop.services.payouts import approve_sheet, build_payout_sheet, mark_paid, sheet_line_details
from desktop.services.plan_what_if import what_if
from desktop.services.plans import PlanInput, TierInput, create_plan, get_plan
from desktop.services.statements import statement_data

D = Decimal
APRIL_20 = date(2026, 4, 20)


@pytest.fixture
def jane(db: Database) -> tuple[int, int]:
    setup_program(db, threshold="0.00", hold_days=14)
    plan = create_plan(db, PlanInput(name="Std", sale_rate=D("0.10"), cap=D("140.00"),
                                     tiers=(TierInput(D("1000.00"), sale_rate=D("0.20")),)))  # fmt: skip
    jane = add_affiliate(db, "JANE", plan_id=plan)
    for order_id, day, amount in (("1001", date(2026, 3, 5), "600.00"), ("1002", date(2026, 3, 10), "300.00"),
                                  ("1003", date(2026, 3, 25), "200.00"), ("1004", date(2026, 3, 28), "100.00"),
                                  ("1005", date(2026, 4, 10), "400.00")):  # fmt: skip
        add_order(db, jane, order_id, day, [("A", amount)])
    build_payout_sheet(db, "2026-03", as_of=date(2026, 4, 1))
    approve_sheet(db, "2026-03")
    mark_paid(db, "2026-03", "PP-03", date(2026, 4, 2))
    return jane, plan


def estimate(db: Database, order_id: str) -> Decimal | None:
    with db.read() as session:
        cid = session.scalar(select(Conversion.id).where(Conversion.order_id == order_id))
    assert cid is not None
    return get_conversion(db, cid, today=APRIL_20).estimate_total


def test_held_orders_are_estimated_alike_on_every_screen(db: Database, jane: tuple[int, int]) -> None:
    affiliate, _ = jane
    assert (estimate(db, "1003"), estimate(db, "1004")) == (D("40.00"), D("10.00"))
    march = statement_data(db, affiliate, "2026-03", today=APRIL_20)
    assert {o.order_id: o.commission for o in march.orders} == {
        "1001": D("60.00"), "1002": D("30.00"), "1003": D("40.00"), "1004": D("10.00")
    }  # fmt: skip
    # the review's and dashboard's commission: before the caps, but at March's tier (the paid orders count)
    assert affiliate_metrics(db, affiliate, DateRange.month("2026-03")).commission == D("150.00")


def test_the_next_sheet_pays_what_every_screen_said_and_the_unchanged_plan_replays_to_no_difference(
    db: Database, jane: tuple[int, int]
) -> None:
    affiliate, plan = jane
    build_payout_sheet(db, "2026-04", as_of=date(2026, 5, 1))
    lines = {line.order_id: line.commission for line in sheet_line_details(db, "2026-04", affiliate).lines}
    assert lines == {"1003": D("40.00"), "1004": D("10.00"), "1005": D("40.00")}
    march = statement_data(db, affiliate, "2026-03", today=date(2026, 5, 1))
    assert sum((o.commission or D(0) for o in march.orders), D(0)) == D("140.00")  # March's cap, and no more
    april = statement_data(db, affiliate, "2026-04", today=date(2026, 5, 1))
    assert [o.commission for o in april.orders] == [D("40.00")]
    replay = what_if(db, plan, get_plan(db, plan).data, "2026-04")
    [row] = replay.rows
    assert (row.did_pay, row.would_pay) == (D("90.00"), D("90.00"))
