"""An order no payout sheet holds yet: its commission estimated by the plan, the way its month's sheet computes it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.db import Database
from desktop.models import Conversion
from desktop.services.affiliates import AffiliateInput, create_affiliate
from desktop.services.conversion_import import import_conversions
from desktop.services.conversions_list import get_conversion
from desktop.services.payouts import build_payout_sheet
from desktop.services.plans import PlanInput, TierInput, create_plan
from desktop.services.program_settings import get_program, save_program

D = Decimal
HEADER = "order_id,occurred_at,amount,sku,affiliate_code,status\n"
# 10 % of sales; once the month's approved sales reach 150.00, 12 % of all of them.
TIERED = PlanInput("Tiered", sale_rate=D("0.10"), tiers=(TierInput(D("150.00"), sale_rate=D("0.12")),))


def load(db: Database, tmp_path: Path, rows: str, name: str = "orders.csv") -> None:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    import_conversions(db, path, check_fraud=False)


def order(db: Database, order_id: str, today: date = date(2026, 11, 20)):  # type: ignore[no-untyped-def]
    with db.read() as session:
        cid = session.scalar(select(Conversion.id).where(Conversion.order_id == order_id))
    assert cid is not None
    return get_conversion(db, cid, today=today)


@pytest.fixture
def program(db: Database) -> Database:
    create_plan(db, TIERED)
    create_affiliate(db, AffiliateInput(code="JANE", name="Jane Brooks"))
    create_affiliate(db, AffiliateInput(code="OMAR", name="Omar Said"))
    return db


def test_the_estimate_uses_the_months_other_orders_for_the_tier(program: Database, tmp_path: Path) -> None:
    load(program, tmp_path, "A-1,2026-10-02T10:00:00,120.00,TENT,JANE,approved\n"
                            "B-1,2026-10-03T10:00:00,90.00,TENT,OMAR,approved\n")  # fmt: skip
    alone = order(program, "A-1")
    assert alone.commissions == () and alone.estimate_total == D("12.00")
    assert [(line.line_no, line.commission) for line in alone.estimate] == [(1, D("12.00"))]
    assert "10 %" in alone.estimate[0].trace and "120.00" in alone.estimate[0].trace
    assert "Estimate" in alone.commission_note and "1 approved order" in alone.commission_note
    assert "2026-10 sheet decides" in alone.commission_note and "hold" not in alone.commission_note

    # Jane's second October order takes her past 150.00: both orders now earn the tier's 12 %. Omar's order and
    # Jane's November order do not count for her October tier.
    load(program, tmp_path, "A-2,2026-10-20T10:00:00,50.00,BAG,JANE,approved\n"
                            "A-3,2026-11-02T10:00:00,500.00,BAG,JANE,approved\n", "more.csv")  # fmt: skip
    tiered = order(program, "A-1")
    assert tiered.estimate_total == D("14.40") and "2 approved orders" in tiered.commission_note
    assert "tier" in tiered.estimate[0].trace


def test_the_estimate_is_what_the_sheet_then_pays(program: Database, tmp_path: Path) -> None:
    load(program, tmp_path, "A-1,2026-10-02T10:00:00,120.00,TENT,JANE,approved\n"
                            "A-2,2026-10-20T10:00:00,50.05,BAG,JANE,approved\n")  # fmt: skip
    before = order(program, "A-2")
    build_payout_sheet(program, "2026-10", as_of=date(2026, 11, 5))
    after = order(program, "A-2")
    assert before.estimate_total == D("6.01")  # 12 % of 50.05 = 6.006, half-up once on the line
    assert [(c.line_no, c.commission, c.trace) for c in after.commissions] == [
        (e.line_no, e.commission, e.trace) for e in before.estimate
    ]
    assert after.commissions[0].sheet_state == "draft" and after.estimate == () and after.estimate_total is None


def test_a_hold_says_from_when_the_order_can_go_on_a_sheet(program: Database, tmp_path: Path) -> None:
    save_program(program, replace(get_program(program), hold_days=30))
    load(program, tmp_path, "A-1,2026-10-20T10:00:00,120.00,TENT,JANE,approved\n")
    assert "from 2026-11-19, after the 30-day hold" in order(program, "A-1", today=date(2026, 11, 1)).commission_note
    assert "hold" not in order(program, "A-1", today=date(2026, 11, 19)).commission_note


def test_orders_that_earn_nothing_say_why(db: Database, tmp_path: Path) -> None:
    create_affiliate(db, AffiliateInput(code="JANE", name="Jane Brooks"))
    load(db, tmp_path, "A-1,2026-10-02T10:00:00,120.00,TENT,JANE,approved\n"
                       "A-2,2026-10-02T11:00:00,60.00,TENT,JANE,pending\n"
                       "A-3,2026-10-02T12:00:00,60.00,TENT,JANE,refunded\n"
                       "O-1,2026-10-02T13:00:00,60.00,TENT,,approved\n")  # fmt: skip
    no_plan = order(db, "A-1")
    assert no_plan.estimate == () and no_plan.estimate_total is None
    assert "no commission plan yet" in no_plan.commission_note
    assert "once the shop approves it" in order(db, "A-2").commission_note
    assert order(db, "A-3").commission_note == "Refunded orders earn no commission."
    assert order(db, "O-1").commission_note.startswith("Organic")
    assert all(order(db, oid).estimate_total is None for oid in ("A-2", "A-3", "O-1"))


def test_an_order_in_another_currency_than_the_programs_earns_nothing(program: Database, tmp_path: Path) -> None:
    load(program, tmp_path, "A-1,2026-10-02T10:00:00,120.00,TENT,JANE,approved\n")
    save_program(program, replace(get_program(program), currency="EUR"))  # the shop changed its currency since
    detail = order(program, "A-1")
    assert detail.estimate == () and detail.estimate_total is None
    assert detail.commission_note == (
        "In USD, not the program's EUR: no payout sheet takes it, so it earns no commission."
    )


def test_orders_an_approved_sheet_left_behind_go_on_the_next_sheet_priced_in_their_own_month(
    program: Database, tmp_path: Path
) -> None:
    """With a 30-day hold the October sheet, approved on 5 November, cannot take a late October order: the November
    sheet takes it, priced in October (October's orders make its tier, not November's). The estimate says so."""
    from desktop.services.payout_state import approve_sheet

    save_program(program, replace(get_program(program), hold_days=30))
    load(program, tmp_path, "A-0,2026-09-20T10:00:00,10.00,TENT,OMAR,approved\n"
                            "J-0,2026-10-02T10:00:00,100.00,TENT,JANE,approved\n"
                            "A-1,2026-10-25T10:00:00,120.00,TENT,JANE,approved\n"
                            "A-2,2026-11-10T10:00:00,50.00,BAG,JANE,approved\n")  # fmt: skip
    build_payout_sheet(program, "2026-10", as_of=date(2026, 11, 5))  # takes orders up to 6 October only
    approve_sheet(program, "2026-10")

    late = order(program, "A-1", today=date(2026, 11, 20))
    assert late.estimate_total == D("14.40")  # 100.00 paid + 120.00 of October reach the 150.00 tier: 12 %
    assert "the 2026-10 sheet was approved without it, so it goes on the 2026-11 sheet" in late.commission_note
    assert "the 1 approved order this affiliate has in 2026-10 on no approved sheet" in late.commission_note
    assert "and the 1 already paid" in late.commission_note
    assert late.estimate[0].trace.startswith("Oct 2026 order, priced in its own month · ")
    november = order(program, "A-2", today=date(2026, 11, 20))
    assert november.estimate_total == D("5.00")  # November's 50.00 alone: October's orders do not lift it
    assert "2026-11 sheet decides" in november.commission_note and "already paid" not in november.commission_note

    build_payout_sheet(program, "2026-11", as_of=date(2026, 12, 15))  # after both holds: it takes both
    for estimate in (late, november):
        built = order(program, estimate.row.order_id, today=date(2026, 12, 15))
        assert [(c.line_no, c.commission, c.trace) for c in built.commissions] == [
            (e.line_no, e.commission, e.trace) for e in estimate.estimate
        ]


def test_a_draft_sheet_of_the_orders_month_still_takes_it(program: Database, tmp_path: Path) -> None:
    """The October sheet is only a draft: built again after the hold, it takes the late order, by October alone."""
    save_program(program, replace(get_program(program), hold_days=30))
    load(program, tmp_path, "A-1,2026-10-25T10:00:00,120.00,TENT,JANE,approved\n"
                            "A-2,2026-11-10T10:00:00,50.00,BAG,JANE,approved\n")  # fmt: skip
    build_payout_sheet(program, "2026-10", as_of=date(2026, 11, 5))
    detail = order(program, "A-1", today=date(2026, 11, 20))
    assert detail.estimate_total == D("12.00") and "the 2026-10 sheet decides" in detail.commission_note
    assert "earlier" not in detail.commission_note
