"""Building payout sheets: which orders a sheet takes, how lines become rows, and what a rebuild reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from test_payout_helpers import (
    add_affiliate,
    add_order,
    change_order,
    hold,
    rate_reward,
    release,
    setup_program,
    standard_plan,
    target_bonus,
)

from desktop.db import Database
from desktop.models import CommissionLine, PayoutLine, PayoutSheet, PlanVersion
from desktop.services.errors import BadInput, RefusedByState
from desktop.services.payout_orders import spread
from desktop.services.payouts import (
    add_adjustment,
    approve_sheet,
    build_payout_sheet,
    delete_draft,
    export_csv,
    export_xlsx,
    get_sheet,
    list_sheets,
    sheet_info,
    sheet_line_details,
)
from desktop.services.plans import PlanInput, get_plan, update_plan

D = Decimal
FEB = date(2026, 2, 10)


@pytest.fixture
def anna(db: Database) -> int:
    setup_program(db, threshold="50.00")
    plan = standard_plan(db)
    return add_affiliate(db, "ANNA", plan_id=plan)


def row_of(db: Database, period: str, code: str = "ANNA"):  # type: ignore[no-untyped-def]
    return next(r for r in get_sheet(db, period) if r.affiliate_code == code)


@pytest.mark.parametrize(
    ("net", "amounts", "expected"),
    [
        (1000, [300, 700], [300, 700]),  # nothing refunded
        (100, [100, 100, 100], [34, 33, 33]),  # the remainder goes to the largest fraction, then the first line
        (2, [1, 1, 1], [1, 1, 0]),
        (999, [500, 500], [500, 499]),
        (0, [300, 700], [0, 0]),
        (-5, [300], [0]),
        (50, [0, 0], [0, 0]),
    ],
)
def test_a_partial_refund_is_spread_over_the_lines_to_the_cent(
    net: int, amounts: list[int], expected: list[int]
) -> None:
    assert spread(net, amounts) == expected


def test_a_partial_refund_lowers_each_line_in_proportion(db: Database, anna: int) -> None:
    add_order(db, anna, "#1", date(2026, 1, 5), [("A", "100.00"), ("B", "100.00"), ("C", "100.00")], refunded="100.00")
    build_payout_sheet(db, "2026-01", as_of=FEB)
    details = sheet_line_details(db, "2026-01", anna)
    assert [line.amount for line in details.lines] == [D("66.67"), D("66.67"), D("66.66")]
    assert [line.commission for line in details.lines] == [D("6.67"), D("6.67"), D("6.67")]
    assert details.row.sales_revenue == D("200.00")
    assert details.row.commission == D("20.01")  # sums of rounded lines, as DESIGN.md §4 says
    assert "10 % of 66.67 = 6.67" in details.lines[0].trace


def test_only_approved_attributed_unpaid_orders_up_to_the_period_end_count(db: Database, anna: int) -> None:
    add_order(db, anna, "ok", date(2026, 1, 31), [("A", "600.00")])
    add_order(db, anna, "late-approved", date(2025, 12, 20), [("A", "100.00")])  # no sheet took it before
    add_order(db, anna, "pending", date(2026, 1, 10), [("A", "100.00")], status="pending")
    add_order(db, anna, "rejected", date(2026, 1, 10), [("A", "100.00")], status="rejected")
    add_order(db, anna, "refunded", date(2026, 1, 10), [("A", "100.00")], status="refunded", refunded="100.00")
    add_order(db, anna, "february", date(2026, 2, 1), [("A", "100.00")])
    add_order(db, None, "organic", date(2026, 1, 10), [("A", "100.00")])
    summary = build_payout_sheet(db, "2026-01", as_of=FEB)
    assert (summary.conversions, summary.commission_lines) == (2, 2)
    assert row_of(db, "2026-01").commission == D("70.00")


def test_hold_days_keep_young_orders_for_the_next_sheet(db: Database, anna: int) -> None:
    setup_program(db, hold_days=14)
    add_order(db, anna, "old", date(2026, 1, 10), [("A", "600.00")])
    add_order(db, anna, "young", date(2026, 1, 25), [("A", "400.00")])
    summary = build_payout_sheet(db, "2026-01", as_of=date(2026, 2, 5))  # 2026-01-22 is the last day old enough
    assert summary.waiting == 1 and summary.conversions == 1
    assert any("younger than the 14 hold days" in warning for warning in summary.warnings)
    approve_sheet(db, "2026-01")
    build_payout_sheet(db, "2026-02", as_of=date(2026, 3, 5))
    details = sheet_line_details(db, "2026-02", anna)
    assert [line.order_id for line in details.lines] == ["young"]


def test_a_hold_pays_nothing_and_carries_everything(db: Database, anna: int) -> None:
    add_order(db, anna, "#1", date(2026, 1, 10), [("A", "900.00")])
    hold_id = hold(db, anna)
    build_payout_sheet(db, "2026-01", as_of=FEB)
    row = row_of(db, "2026-01")
    assert (row.held, row.payable, row.carried_out, row.status) == (True, D("0.00"), D("90.00"), "held")
    approve_sheet(db, "2026-01")
    release(db, hold_id)
    build_payout_sheet(db, "2026-02", as_of=date(2026, 3, 1))
    row = row_of(db, "2026-02")
    assert (row.held, row.carried_in, row.payable, row.status) == (False, D("90.00"), D("90.00"), "pays")


def test_rate_rewards_and_target_bonuses(db: Database, anna: int) -> None:
    add_order(db, anna, "#1", date(2026, 1, 10), [("A", "200.00")])
    rate_reward(db, anna, "2026-01", "0.02")
    rate_reward(db, anna, "2026-02", "0.05")  # another month's reward does not count
    target_bonus(db, anna, "2026-01", "25.00")
    add_adjustment(db, "2026-01", anna, "adjustment", "-5.00", "Shipping fee charged back")
    build_payout_sheet(db, "2026-01", as_of=FEB)
    details = sheet_line_details(db, "2026-01", anna)
    assert details.lines[0].commission == D("24.00")  # 10 % + 2 % boost
    assert "12 % (10 % + 2 % boost)" in details.lines[0].trace
    row = details.row  # 24.00 + 25.00 - 5.00 = 44.00: below the 50.00 threshold
    assert (row.bonuses, row.adjustments, row.payable, row.carried_out) == (D("25.00"), D("-5.00"), D("0"), D("44.00"))
    assert sorted(adj.kind for adj in details.adjustments) == ["adjustment", "target_bonus"]
    assert [adj.removable for adj in details.adjustments if adj.kind == "target_bonus"] == [False]


def test_threshold_zero_pays_every_positive_balance_and_nothing_negative(db: Database, anna: int) -> None:
    setup_program(db, threshold="0.00")
    add_order(db, anna, "#1", date(2026, 1, 10), [("A", "1.00")])
    ben = add_affiliate(db, "BEN")  # no plan of his own: the default plan
    add_adjustment(db, "2026-01", ben, "adjustment", "-3.00", "Overpaid last year")
    build_payout_sheet(db, "2026-01", as_of=FEB)
    assert row_of(db, "2026-01").payable == D("0.10")
    ben_row = row_of(db, "2026-01", "BEN")
    assert (ben_row.payable, ben_row.carried_out, ben_row.status) == (D("0.00"), D("-3.00"), "negative balance")


def test_a_rebuild_replaces_the_draft_and_says_what_changed(db: Database, anna: int) -> None:
    add_order(db, anna, "#1", date(2026, 1, 10), [("A", "600.00")])
    first = build_payout_sheet(db, "2026-01", as_of=FEB)
    assert not first.rebuilt and sheet_info(db, "2026-01").changes is None
    ben = add_affiliate(db, "BEN")
    add_order(db, ben, "#2", date(2026, 1, 11), [("A", "700.00")])
    add_order(db, anna, "#3", date(2026, 1, 12), [("A", "100.00")])
    again = build_payout_sheet(db, "2026-01", as_of=FEB)
    assert again.rebuilt
    assert [(c.affiliate_code, c.payable_before, c.payable_after) for c in again.changes] == [
        ("ANNA", D("60.00"), D("70.00")),
        ("BEN", None, D("70.00")),
    ]
    info = sheet_info(db, "2026-01")
    assert info.changes == again.changes and info.previous_build is not None
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(CommissionLine)) == 3
        assert session.scalar(select(func.count()).select_from(PayoutSheet)) == 1
    nothing = build_payout_sheet(db, "2026-01", as_of=FEB)
    assert nothing.changes == ()


def test_approval_freezes_the_numbers_and_the_plan_versions(db: Database, anna: int) -> None:
    add_order(db, anna, "#1", date(2026, 1, 10), [("A", "600.00")])
    build_payout_sheet(db, "2026-01", as_of=FEB)
    info = approve_sheet(db, "2026-01")
    assert (info.state, info.approved_by is not None, info.payable) == ("approved", True, D("60.00"))
    with db.read() as session:
        version_id = session.scalar(select(PayoutLine.plan_version_id))
        version = session.get(PlanVersion, version_id)
        assert version is not None and version.frozen and version.version == 1
        plan_id = version.plan_id
    detail = get_plan(db, plan_id)
    result = update_plan(db, plan_id, PlanInput(**{**detail.data.__dict__, "sale_rate": D("0.20")}))
    assert result.new_version  # the approved sheet keeps version 1
    assert row_of(db, "2026-01").commission == D("60.00") and row_of(db, "2026-01").plan == "Standard v1"


def test_approval_is_refused_when_the_data_changed_since_the_build(db: Database, anna: int) -> None:
    add_order(db, anna, "#1", date(2026, 1, 10), [("A", "600.00")])
    build_payout_sheet(db, "2026-01", as_of=FEB)
    add_order(db, anna, "#2", date(2026, 1, 11), [("A", "100.00")])
    with pytest.raises(RefusedByState, match="build it again"):
        approve_sheet(db, "2026-01")
    assert sheet_info(db, "2026-01").state == "draft"
    assert row_of(db, "2026-01").commission == D("60.00")  # the refused approval left the draft as it was
    build_payout_sheet(db, "2026-01", as_of=FEB)
    assert approve_sheet(db, "2026-01").payable == D("70.00")


def test_sheets_go_in_order_with_one_draft_at_most(db: Database, anna: int) -> None:
    add_order(db, anna, "#1", date(2026, 1, 10), [("A", "600.00")])
    build_payout_sheet(db, "2026-02", as_of=date(2026, 3, 1))  # takes January's order too: no sheet had it
    with pytest.raises(RefusedByState, match="delete that draft first"):
        build_payout_sheet(db, "2026-01", as_of=FEB)
    delete_draft(db, "2026-02")
    build_payout_sheet(db, "2026-01", as_of=FEB)
    with pytest.raises(RefusedByState, match="approve it first"):
        build_payout_sheet(db, "2026-02", as_of=date(2026, 3, 1))
    approve_sheet(db, "2026-01")
    build_payout_sheet(db, "2026-03", as_of=date(2026, 4, 1))  # February skipped: March covers it
    assert [(s.period, s.state) for s in list_sheets(db)] == [("2026-03", "draft"), ("2026-01", "approved")]
    with pytest.raises(BadInput):
        build_payout_sheet(db, "2026-12", as_of=FEB)  # not started


def test_orders_in_another_currency_are_left_out_with_a_warning(db: Database, anna: int) -> None:
    add_order(db, anna, "#1", date(2026, 1, 10), [("A", "600.00")])
    add_order(db, anna, "#2", date(2026, 1, 10), [("A", "600.00")], currency="EUR")
    summary = build_payout_sheet(db, "2026-01", as_of=FEB)
    assert summary.conversions == 1
    assert any("not in USD" in warning for warning in summary.warnings)
    assert sheet_info(db, "2026-01").warnings == summary.warnings


def test_the_same_months_on_sqlite_and_postgresql(any_db: Database, tmp_path: Path) -> None:
    db = any_db
    setup_program(db)
    plan = standard_plan(db, cap="100.00", tiers=(("1000.00", "12"),))
    anna = add_affiliate(db, "ANNA", plan_id=plan)
    ben = add_affiliate(db, "BEN", plan_id=plan)
    add_order(db, anna, "#1", date(2026, 1, 5), [("A", "700.00"), ("B", "400.00")])
    add_order(db, ben, "#2", date(2026, 1, 6), [("A", "300.00")])
    build_payout_sheet(db, "2026-01", as_of=FEB)
    approve_sheet(db, "2026-01")
    anna_row = row_of(db, "2026-01")
    assert (anna_row.commission, anna_row.over_cap, anna_row.payable) == (D("100.00"), D("32.00"), D("100.00"))
    assert row_of(db, "2026-01", "BEN").carried_out == D("30.00")
    change_order(db, "#1", refunded="550.00")  # half refunded: 132.00 -> 66.00 earned, under the cap now
    add_order(db, ben, "#3", date(2026, 2, 6), [("A", "300.00")])
    build_payout_sheet(db, "2026-02", as_of=date(2026, 3, 1))
    assert row_of(db, "2026-02").adjustments == D("-34.00")
    ben_row = row_of(db, "2026-02", "BEN")
    assert (ben_row.carried_in, ben_row.commission, ben_row.payable) == (D("30.00"), D("30.00"), D("60.00"))
    approve_sheet(db, "2026-02")
    assert [s.state for s in list_sheets(db)] == ["approved", "approved"]
    workbook = load_workbook(export_xlsx(db, "2026-02", tmp_path / "feb.xlsx"))
    assert workbook["Order lines"].max_row == 2 and workbook["Adjustments"].max_row == 2
    assert export_csv(db, "2026-02", tmp_path / "feb.csv").read_text(encoding="utf-8-sig").count("\n") == 3


def test_a_held_order_earns_what_it_would_have_earned_on_time(db: Database) -> None:
    """DESIGN §4: tiers and caps are per period, the order's own month. January's held order is paid on
    February's sheet at January's tier (January's paid orders count for it), not at February's, and the cap gives
    it only what January's sheet left of January's cap."""
    setup_program(db, threshold="0.00", hold_days=14)
    tiered = standard_plan(db, tiers=(("1000.00", "12"),))
    capped = create_plan_with_cap(db, "150.00")
    anna = add_affiliate(db, "ANNA", plan_id=tiered)
    bob = add_affiliate(db, "BOB", plan_id=capped)
    add_order(db, anna, "A-paid", date(2026, 1, 10), [("A", "900.00")])
    add_order(db, anna, "A-held", date(2026, 1, 28), [("A", "200.00")])  # January: 1,100.00 reaches 12 %
    add_order(db, anna, "A-feb", date(2026, 2, 3), [("A", "100.00")])  # February: 100.00, the base 10 %
    add_order(db, bob, "B-paid", date(2026, 1, 5), [("A", "1400.00")])  # 140.00 of January's 150.00 cap
    add_order(db, bob, "B-held", date(2026, 1, 29), [("A", "500.00")])  # 50.00, of which 10.00 fits the cap
    add_order(db, bob, "B-feb", date(2026, 2, 4), [("A", "600.00")])  # February's own 60.00
    build_payout_sheet(db, "2026-01", as_of=date(2026, 2, 5))  # orders up to 22 January
    assert row_of(db, "2026-01", "ANNA").commission == D("90.00")  # 900.00 alone: 10 %
    assert row_of(db, "2026-01", "BOB").commission == D("140.00")
    approve_sheet(db, "2026-01")

    build_payout_sheet(db, "2026-02", as_of=date(2026, 3, 20))
    lines = {line.order_id: line for line in sheet_line_details(db, "2026-02", anna).lines}
    assert lines["A-held"].commission == D("24.00")  # 12 % of 200.00: January's tier
    assert lines["A-held"].trace.startswith("Jan 2026 order, priced in its own month · ")
    assert lines["A-feb"].commission == D("10.00")  # February's own 100.00 stays at 10 %
    assert row_of(db, "2026-02", "ANNA").commission == D("34.00")
    bob_row = row_of(db, "2026-02", "BOB")
    assert (bob_row.commission, bob_row.over_cap) == (D("70.00"), D("0.00"))  # 10.00 of January's + 60.00
    assert (bob_row.sales, bob_row.sales_revenue) == (2, D("1100.00"))  # this sheet's orders only
    held = next(line for line in sheet_line_details(db, "2026-02", bob).lines if line.order_id == "B-held")
    assert held.commission == D("10.00")  # January's cap is taken off January's order itself, not off February
    assert held.trace.endswith("= 50.00; Jan 2026's cap of 150.00, 140.00 of it paid on earlier sheets, leaves 10.00")
    assert any("2 orders of earlier months" in warning and "took 40.00 off them" in warning
               for warning in sheet_info(db, "2026-02").warnings)  # fmt: skip


def test_a_month_no_sheet_was_built_for_keeps_its_own_tier_and_cap(db: Database) -> None:
    """A skipped month is covered by the next sheet, each month priced on its own: two months of 100.00 under a
    cap of 150.00 are two capped months, not one (both pay in full)."""
    setup_program(db, threshold="0.00")
    bob = add_affiliate(db, "BOB", plan_id=create_plan_with_cap(db, "150.00"))
    add_order(db, bob, "B-jan", date(2026, 1, 10), [("A", "1000.00")])
    add_order(db, bob, "B-feb", date(2026, 2, 10), [("A", "1000.00")])
    build_payout_sheet(db, "2026-02", as_of=date(2026, 3, 5))
    row = row_of(db, "2026-02", "BOB")
    assert (row.commission, row.over_cap, row.sales) == (D("200.00"), D("0.00"), 2)


def create_plan_with_cap(db: Database, cap: str) -> int:
    from desktop.services.plans import create_plan

    return create_plan(db, PlanInput(name=f"Capped {cap}", sale_rate=D("0.10"), cap=D(cap)))
