"""A sheet's life through direct service calls: approve, pay, manual lines, and every refusal of a frozen sheet."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from test_payout_helpers import add_affiliate, add_order, change_order, setup_program, standard_plan, target_bonus

from desktop.db import Database
from desktop.models import Adjustment
from desktop.services.errors import BadInput, RefusedByState
from desktop.services.payouts import (
    add_adjustment,
    approve_sheet,
    build_payout_sheet,
    delete_draft,
    export_paypal,
    get_sheet,
    mark_paid,
    remove_adjustment,
    sheet_info,
    sheet_line_details,
)

D = Decimal
FEB = date(2026, 2, 10)


@pytest.fixture
def approved(db: Database) -> tuple[Database, int]:
    setup_program(db)
    anna = add_affiliate(db, "ANNA", plan_id=standard_plan(db))
    add_order(db, anna, "#1", date(2026, 1, 10), [("A", "900.00")])
    bonus = add_adjustment(db, "2026-01", anna, "bonus", "20.00", "Launch week")
    build_payout_sheet(db, "2026-01", as_of=FEB)
    approve_sheet(db, "2026-01")
    return db, bonus


def snapshot(db: Database) -> tuple[object, ...]:
    rows = tuple(get_sheet(db, "2026-01"))
    details = sheet_line_details(db, "2026-01", rows[0].affiliate_id)
    return rows, details.lines, tuple((a.kind, a.amount, a.reason) for a in details.adjustments)


def test_every_change_to_an_approved_sheet_is_refused(approved: tuple[Database, int]) -> None:
    db, bonus = approved
    before = snapshot(db)
    anna = before[0][0].affiliate_id  # type: ignore[index]
    add_order(db, anna, "#2", date(2026, 1, 12), [("A", "100.00")])  # new data would change the numbers
    change_order(db, "#1", refunded="100.00")
    attempts = [
        lambda: build_payout_sheet(db, "2026-01", as_of=FEB),
        lambda: approve_sheet(db, "2026-01"),
        lambda: delete_draft(db, "2026-01"),
        lambda: add_adjustment(db, "2026-01", anna, "bonus", "5.00", "Late bonus"),
        lambda: add_adjustment(db, "2025-12", anna, "adjustment", "-5.00", "Before the approved sheet"),
        lambda: remove_adjustment(db, bonus),
    ]
    for attempt in attempts:
        with pytest.raises(RefusedByState):
            attempt()
    assert snapshot(db) == before
    mark_paid(db, "2026-01", "PAYPAL-BATCH-7", date(2026, 2, 12))
    for attempt in [*attempts, lambda: mark_paid(db, "2026-01", "again")]:
        with pytest.raises(RefusedByState):
            attempt()
    assert snapshot(db) == before
    info = sheet_info(db, "2026-01")
    assert (info.state, info.paid_reference, info.paid_on) == ("paid", "PAYPAL-BATCH-7", date(2026, 2, 12))
    assert info.state_text == "paid 2026-02-12 · PAYPAL-BATCH-7"


def test_corrections_after_approval_go_on_the_next_period(approved: tuple[Database, int]) -> None:
    db, _ = approved
    anna = get_sheet(db, "2026-01")[0].affiliate_id
    add_adjustment(db, "2026-02", anna, "adjustment", "-20.00", "Bonus paid twice")
    build_payout_sheet(db, "2026-02", as_of=date(2026, 3, 1))
    row = get_sheet(db, "2026-02")[0]
    assert (row.adjustments, row.carried_out) == (D("-20.00"), D("-20.00"))


def test_paying_needs_an_approved_sheet_a_reference_and_a_past_date(db: Database) -> None:
    setup_program(db)
    anna = add_affiliate(db, "ANNA", plan_id=standard_plan(db))
    add_order(db, anna, "#1", date(2026, 1, 10), [("A", "900.00")])
    with pytest.raises(RefusedByState, match="build it first"):
        mark_paid(db, "2026-01", "R1")
    build_payout_sheet(db, "2026-01", as_of=FEB)
    with pytest.raises(RefusedByState, match="approve it"):
        mark_paid(db, "2026-01", "R1")
    approve_sheet(db, "2026-01")
    with pytest.raises(BadInput, match="reference"):
        mark_paid(db, "2026-01", "   ")
    with pytest.raises(BadInput, match="future"):
        mark_paid(db, "2026-01", "R1", date.today() + timedelta(days=1))
    assert mark_paid(db, "2026-01", "  R1 ").paid_reference == "R1"


def test_manual_lines_are_checked_and_only_they_can_be_removed(db: Database) -> None:
    setup_program(db)
    anna = add_affiliate(db, "ANNA")
    with pytest.raises(BadInput) as bad:
        add_adjustment(db, "2026-1", anna, "bonus", "5.00", "x")
    assert "YYYY-MM" in str(bad.value)
    with pytest.raises(BadInput) as bad:
        add_adjustment(db, "2026-01", anna, "refund", "1.005", "  ")
    assert len(bad.value.problems) == 3  # kind, amount, reason
    with pytest.raises(BadInput, match="positive"):
        add_adjustment(db, "2026-01", anna, "bonus", "-5.00", "Negative bonus")
    with pytest.raises(BadInput, match="no affiliate"):
        add_adjustment(db, "2026-01", 999, "bonus", "5.00", "Who?")
    target_bonus(db, anna, "2026-01", "50.00")
    manual = add_adjustment(db, "2026-01", anna, "adjustment", "-2.50", "Returned sample")
    with db.read() as session:
        target = session.scalars(select(Adjustment.id).where(Adjustment.kind == "target_bonus")).one()
    with pytest.raises(RefusedByState, match="target"):
        remove_adjustment(db, target)
    remove_adjustment(db, manual)
    remove_adjustment(db, manual)  # already gone: nothing to do
    with db.read() as session:
        assert session.scalars(select(Adjustment.kind)).all() == ["target_bonus"]


def test_paypal_files_need_an_approved_sheet(db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup_program(db)
    anna = add_affiliate(db, "ANNA", plan_id=standard_plan(db))
    add_order(db, anna, "#1", date(2026, 1, 10), [("A", "900.00")])
    build_payout_sheet(db, "2026-01", as_of=FEB)
    with pytest.raises(RefusedByState, match="draft"):
        export_paypal(db, "2026-01", tmp_path / "p.csv")
    assert not (tmp_path / "p.csv").exists()
    delete_draft(db, "2026-01")
    with pytest.raises(RefusedByState, match="build it first"):
        sheet_info(db, "2026-01")
