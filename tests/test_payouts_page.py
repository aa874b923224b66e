"""The payouts page driven like a person: build a month, drill down, add a bonus, rebuild, approve, pay, export."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot
from test_payout_helpers import add_affiliate, add_order, hold, setup_program, standard_plan

from desktop.db import Database
from desktop.services.payouts import get_sheet, sheet_info
from desktop.views.payout_dialogs import AdjustmentRequest, PaymentRequest
from desktop.views.payout_table_model import COL, PayoutTableModel
from desktop.views.payouts_page import PayoutsPage

D = Decimal
WAIT = 30_000


@pytest.fixture
def page(db: Database, qtbot: QtBot) -> PayoutsPage:
    setup_program(db, threshold="50.00")
    plan = standard_plan(db, cap="300.00", tiers=(("2000.00", "12"),))
    anna = add_affiliate(db, "ANNA", "Anna Brooks", plan_id=plan)
    ben = add_affiliate(db, "BEN", "Ben Keller", plan_id=plan)
    cara = add_affiliate(db, "CARA", "Cara Rossi", plan_id=plan)
    add_order(db, anna, "#1", date(2026, 9, 3), [("TENT", "1500.00"), ("HAT", "600.00")])  # 12 %: 252.00
    add_order(db, ben, "#2", date(2026, 9, 4), [("HAT", "300.00")])  # 30.00: below the threshold
    add_order(db, cara, "#3", date(2026, 9, 5), [("HAT", "900.00")])  # 90.00 but held
    hold(db, cara)
    widget = PayoutsPage(db)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    widget.refresh()
    return widget


def visible_row(page: PayoutsPage, code: str) -> int:
    row = page.sheet.row_index(code)
    assert row is not None, code
    return row


def cell(page: PayoutsPage, code: str, key: str) -> str:
    return str(page.sheet.proxy.index(visible_row(page, code), COL[key]).data())


def build_september(page: PayoutsPage, qtbot: QtBot) -> None:
    page.month.setDate(QDate(2026, 9, 1))
    with qtbot.waitSignal(page.work_done, timeout=WAIT):
        qtbot.mouseClick(page.build_button, Qt.MouseButton.LeftButton)


def test_build_drill_down_rebuild_and_approve(page: PayoutsPage, qtbot: QtBot, db: Database) -> None:
    assert page.sheet.heading.text() == "No sheet chosen"
    build_september(page, qtbot)
    assert "2026-09 built" in page.message.text()
    assert page.periods_model.rowCount() == 1
    assert page.sheet.heading.text() == "Payout sheet 2026-09 — draft"
    assert [cell(page, code, "payable") for code in ("ANNA", "BEN", "CARA")] == ["252.00", "0.00", "0.00"]
    assert [cell(page, code, "status") for code in ("ANNA", "BEN", "CARA")] == ["pays", "below threshold", "held"]
    payable = page.sheet.proxy.index(visible_row(page, "ANNA"), COL["payable"])
    assert payable.data(Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    assert not page.sheet.changes.isVisible()  # a first build has nothing to compare with

    # Drill down with a double click: the order lines with their traces.
    index = page.sheet.proxy.index(visible_row(page, "ANNA"), COL["affiliate_name"])
    page.table.scrollTo(index)
    where = page.table.visualRect(index).center()
    qtbot.mouseClick(
        page.table.viewport(), Qt.MouseButton.LeftButton, pos=where
    )  # the view double-clicks what was pressed
    with qtbot.waitSignal(page.table.doubleClicked, timeout=WAIT):
        qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=where)
    [dialog] = page._dialogs
    assert dialog.lines_model.rowCount() == 2
    assert "12 % of 1,500.00 = 180.00" in dialog.lines_model.row_at(0).trace
    dialog.lines.selectRow(1)
    assert "12 % of 600.00 = 72.00" in dialog.trace.toPlainText()

    # A bonus with its reason, added from the drill-down; the rebuild shows what changed.
    dialog.ask_adjustment = lambda: AdjustmentRequest(dialog.affiliate_id, "bonus", "15.00", "Great reel")  # type: ignore[method-assign]
    with qtbot.waitSignal(dialog.adjustments_changed, timeout=WAIT):
        qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert dialog.adjustments_model.rowCount() == 1 and dialog.adjustments_model.row_at(0).reason == "Great reel"
    dialog.close()
    with qtbot.waitSignal(page.work_done, timeout=WAIT):
        qtbot.mouseClick(page.rebuild_button, Qt.MouseButton.LeftButton)
    assert page.sheet.changes.isVisible()
    assert "ANNA</b>: payable 252.00 → 267.00" in page.sheet.changes.text()
    assert cell(page, "ANNA", "bonuses") == "15.00"

    # Approve after a confirmation; then the page refuses every change.
    questions: list[str] = []
    page.ask = lambda title, question: questions.append(question) or True  # type: ignore[method-assign]
    with qtbot.waitSignal(page.work_done, timeout=WAIT):
        qtbot.mouseClick(page.approve_button, Qt.MouseButton.LeftButton)
    assert "1 affiliates are paid 267.00 USD" in questions[0] and "frozen" in questions[0]
    assert sheet_info(db, "2026-09").state == "approved"
    assert page.sheet.heading.text() == "Payout sheet 2026-09 — approved"
    for button in (page.rebuild_button, page.approve_button, page.adjust_button, page.delete_button):
        assert not button.isEnabled()
    assert page.pay_button.isEnabled()


def test_the_page_refuses_to_change_an_approved_sheet(page: PayoutsPage, qtbot: QtBot, db: Database) -> None:
    build_september(page, qtbot)
    page.ask = lambda title, question: True  # type: ignore[method-assign]
    with qtbot.waitSignal(page.work_done, timeout=WAIT):
        page.approve()
    before = get_sheet(db, "2026-09")
    with qtbot.waitSignal(page.work_failed, timeout=WAIT):
        page.build("2026-09")  # what the disabled button would do
    assert "approved" in page.message.text()
    with qtbot.waitSignal(page.work_failed, timeout=WAIT):
        page.approve()
    page.ask_adjustment = lambda chosen: AdjustmentRequest(before[0].affiliate_id, "bonus", "5.00", "x")  # type: ignore[method-assign]
    page.add_adjustment()
    assert "frozen" in page.message.text()
    page.delete_draft()
    assert "approved" in page.message.text()
    assert get_sheet(db, "2026-09") == before


def test_mark_paid_and_export(page: PayoutsPage, qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    build_september(page, qtbot)
    page.ask = lambda title, question: True  # type: ignore[method-assign]
    with qtbot.waitSignal(page.work_done, timeout=WAIT):
        page.approve()
    targets = {"xlsx": tmp_path / "sep.xlsx", "csv": tmp_path / "sep.csv", "paypal": tmp_path / "paypal.csv"}
    page.ask_export_path = lambda kind: targets[kind]  # type: ignore[method-assign]
    for kind in ("xlsx", "csv", "paypal"):
        with qtbot.waitSignal(page.work_done, timeout=WAIT):
            page.export(kind)
        assert str(targets[kind]) in page.message.text()
    assert targets["paypal"].read_text().startswith("anna@example.com,252.00,USD,ANNA,")
    today = date.today()  # the page builds with the orders up to today: it cannot have been paid earlier
    page.ask_payment = lambda info: PaymentRequest("PP-42", today)  # type: ignore[method-assign]
    qtbot.mouseClick(page.pay_button, Qt.MouseButton.LeftButton)
    assert sheet_info(db, "2026-09").paid_reference == "PP-42"
    assert page.sheet.heading.text() == f"Payout sheet 2026-09 — paid {today.isoformat()} · PP-42"
    assert page.periods_model.index(0, 1).data() == "Paid"
    assert not page.pay_button.isEnabled()


def test_the_search_box_filters_rows_and_sorting_uses_amounts(page: PayoutsPage, qtbot: QtBot) -> None:
    build_september(page, qtbot)
    qtbot.keyClicks(page.sheet.search, "ben")
    assert page.sheet.proxy.rowCount() == 1
    page.sheet.search.clear()
    page.table.sortByColumn(COL["carried_out"], Qt.SortOrder.DescendingOrder)
    order = [page.sheet.proxy.index(r, 0).data() for r in range(page.sheet.proxy.rowCount())]
    assert order == ["CARA", "BEN", "ANNA"]  # 90.00, 30.00, 0.00


def test_the_table_model_without_a_view() -> None:
    from desktop.services.payouts import SheetRow

    model = PayoutTableModel()
    zero = D("0.00")
    row = SheetRow(1, "ANNA", "Anna", "a@x.com", "USD", 2, D("1234.50"), 0, 0, D("-3.00"), zero, zero, zero, zero,
                   zero, D("-3.00"))  # fmt: skip
    model.set_rows([row])
    assert model.index(0, COL["sales_revenue"]).data() == "1,234.50"
    assert model.index(0, COL["status"]).data() == "negative balance"
    assert model.index(0, COL["carried_out"]).data(Qt.ItemDataRole.UserRole + 2) == -300
