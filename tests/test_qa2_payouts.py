"""QA round 2 on payouts: the payment date's range, user text shown as text (never HTML), readable summaries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from test_cli_payouts import cli
from test_payout_helpers import add_affiliate, add_order, setup_program, standard_plan

from desktop.db import Database
from desktop.services.errors import BadInput
from desktop.services.payout_state import earliest_payment_day
from desktop.services.payouts import approve_sheet, build_payout_sheet, mark_paid, sheet_info
from desktop.services.plans import PlanInput, create_plan
from desktop.views.payout_detail import LineDetailsDialog
from desktop.views.payout_dialogs import PaymentDialog
from desktop.views.payouts_page import PayoutsPage

D = Decimal
COUNTED = date(2026, 4, 10)  # the day the March sheet counted its orders up to


@pytest.fixture
def march(db: Database) -> Database:
    """A draft March sheet: ANNA is to be paid 90.00, BEN's 20.00 carries (below the threshold)."""
    setup_program(db, threshold="50.00")
    plan = standard_plan(db)
    anna = add_affiliate(db, "ANNA", "Anna Alpha", plan_id=plan)
    ben = add_affiliate(db, "BEN", "Ben Beta", plan_id=plan)
    add_order(db, anna, "#1", date(2026, 3, 3), [("TENT", "900.00")])
    add_order(db, ben, "#2", date(2026, 3, 4), [("HAT", "200.00")])
    build_payout_sheet(db, "2026-03", as_of=COUNTED)
    return db


def rendered(rich_text: str) -> str:
    """What a rich-text label shows, as plain text."""
    document = QTextDocument()
    document.setHtml(rich_text)
    return document.toPlainText()


# 1. The payment date: from the day the sheet counted its orders up to, until today --------------------------------


def test_a_payment_before_the_sheet_counted_its_orders_is_refused(march: Database) -> None:
    db = march
    approve_sheet(db, "2026-03")
    for impossible in (date(2020, 1, 1), COUNTED - timedelta(days=1)):
        with pytest.raises(BadInput, match="before 2026-04-10, the day the 2026-03 sheet counted its orders up to"):
            mark_paid(db, "2026-03", "PP-1", impossible)
    with pytest.raises(BadInput, match="in the future"):
        mark_paid(db, "2026-03", "PP-1", date.today() + timedelta(days=1))
    assert sheet_info(db, "2026-03").state == "approved"  # nothing was written: it can still be paid right
    paid = mark_paid(db, "2026-03", "PP-1", COUNTED)  # the very day is fine (a PayPal batch sent that evening)
    assert (paid.state, paid.paid_on) == ("paid", COUNTED)


def test_the_command_line_refuses_the_impossible_date_with_exit_2(march: Database, db_path: Path) -> None:
    approve_sheet(march, "2026-03")
    code, _, error = cli(db_path, "payouts", "pay", "--period", "2026-03", "--reference", "PP-1",
                         "--date", "2020-01-01")  # fmt: skip
    assert code == 2 and "2020-01-01 is before 2026-04-10" in error
    assert sheet_info(march, "2026-03").state == "approved"


def test_the_earliest_day_is_never_after_today() -> None:
    today = date(2026, 5, 1)
    assert earliest_payment_day("2026-03", date(2026, 4, 10), today) == date(2026, 4, 10)
    assert earliest_payment_day("2026-03", date(2026, 6, 1), today) == today  # built --as-of a later day
    assert earliest_payment_day("2026-03", None, today) == date(2026, 3, 1)


def test_the_payment_dialog_starts_at_the_earliest_day(march: Database, qtbot: QtBot) -> None:
    approve_sheet(march, "2026-03")
    page = PayoutsPage(march)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    seen: list[tuple[QDate, QDate]] = []

    def look_and_cancel() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, PaymentDialog)
        dialog.paid_on.setDate(QDate(2020, 1, 1))  # typed or picked: the edit stays in range
        seen.append((dialog.paid_on.minimumDate(), dialog.paid_on.date()))
        dialog.reject()

    QTimer.singleShot(0, look_and_cancel)
    qtbot.mouseClick(page.pay_button, Qt.MouseButton.LeftButton)
    assert seen == [(QDate(2026, 4, 10), QDate(2026, 4, 10))]
    assert sheet_info(march, "2026-03").state == "approved"


# 2. Names, plans and references are text, not HTML ----------------------------------------------------------------


def test_user_text_in_the_order_lines_window_is_not_html(db: Database, qtbot: QtBot) -> None:
    setup_program(db, threshold="50.00")
    plan = create_plan(db, PlanInput(name="<i>Gold</i> <img src=file:///etc/passwd>", sale_rate=D("0.10")))
    name = "<b>Bold</b> <i>x</i>"
    f1 = add_affiliate(db, "F1", name, plan_id=plan)
    add_order(db, f1, "#1", date(2026, 3, 3), [("TENT", "900.00")])
    build_payout_sheet(db, "2026-03", as_of=COUNTED)
    dialog = LineDetailsDialog(db, "2026-03", f1)
    qtbot.addWidget(dialog)
    assert dialog.heading.textFormat() == Qt.TextFormat.PlainText
    assert dialog.heading.text().startswith(f"F1 — {name} · 2026-03")
    shown = rendered(dialog.figures.text())
    assert "plan <i>Gold</i> <img src=file:///etc/passwd>" in shown  # the tags shown as typed, no image loaded
    assert "payable 90.00" in shown  # the figures' own markup still works


def test_a_payment_reference_on_the_page_is_text_not_html(march: Database, qtbot: QtBot) -> None:
    approve_sheet(march, "2026-03")
    mark_paid(march, "2026-03", "<img src=file:///etc/passwd>", COUNTED)
    page = PayoutsPage(march)
    qtbot.addWidget(page)
    page.refresh()
    for label in (page.sheet.heading, page.sheet.summary, page.sheet.warnings, page.message):
        assert label.textFormat() == Qt.TextFormat.PlainText
    assert page.sheet.heading.text() == "Payout sheet 2026-03 — paid 2026-04-10 · <img src=file:///etc/passwd>"


# 3. Readable dialog and summaries ---------------------------------------------------------------------------------


def test_the_payment_dialog_shows_its_whole_hint(qtbot: QtBot) -> None:
    dialog = PaymentDialog("2026-03", "2 affiliates, 1 to be paid 90.00 USD.")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    hint = dialog.reference.placeholderText()
    assert dialog.reference.width() > dialog.reference.fontMetrics().horizontalAdvance(hint)
    assert dialog.width() >= 460


def test_summaries_say_who_is_to_be_paid_then_who_was(march: Database, qtbot: QtBot) -> None:
    page = PayoutsPage(march)
    qtbot.addWidget(page)
    page.refresh()
    assert "· 2 affiliates, 1 to be paid 90.00 USD ·" in page.sheet.summary.text()
    assert rendered(page.sheet.totals.text()) == (
        "2 affiliates: commission 110.00, bonuses 0.00, adjustments 0.00 USD. To pay: 90.00 USD to 1 affiliate. "
        "1 affiliate carries a balance to the next month (20.00 USD in all)."
    )
    approve_sheet(march, "2026-03")
    mark_paid(march, "2026-03", "PP-1", COUNTED)
    page.refresh()
    assert "· 1 of 2 affiliates paid 90.00 USD ·" in page.sheet.summary.text()
    assert "Paid 90.00 USD to 1 affiliate." in rendered(page.sheet.totals.text())
