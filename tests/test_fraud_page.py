"""The Fraud & quality page driven like a person would: filter, pick a flag, dismiss it, confirm one, release."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox
from test_fraud_helpers import add_affiliate, add_orders, series, setup_program

from desktop.db import Database
from desktop.services.fraud import scan
from desktop.services.fraud_queue import held_affiliate_ids, list_flags
from desktop.views.app import make_application
from desktop.views.fraud_page import ROW_ROLE, FlagDecisionDialog, FraudPage


@pytest.fixture
def page(qtbot, db: Database) -> FraudPage:  # type: ignore[no-untyped-def]
    setup_program(db)
    jane = add_affiliate(db, "JANE", "Jane Doe", email="jane.doe@gmail.com")
    zoe = add_affiliate(db, "ZOE", "Zoe Kim")
    add_orders(db, series("J", jane, 3, customer_email="jane.doe+1@gmail.com"))
    add_orders(db, series("Z", zoe, 2, customer_email="buyer@mailinator.com"))
    scan(db, "2026-10")
    make_application()
    widget = FraudPage(db)
    qtbot.addWidget(widget)
    widget.resize(1250, 820)
    widget.show()
    qtbot.waitExposed(widget)
    widget.refresh()
    return widget


def rules_listed(page: FraudPage) -> list[str]:
    model = page.flag_table.model()
    return [model.index(row, 0).data(ROW_ROLE).rule for row in range(model.rowCount())]


def click_flag(qtbot, page: FraudPage, rule: str) -> None:  # type: ignore[no-untyped-def]
    row = rules_listed(page).index(rule)
    rect = page.flag_table.visualRect(page.flag_table.model().index(row, 1))
    qtbot.mouseClick(page.flag_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def drive_dialog(monkeypatch: pytest.MonkeyPatch, steps: Callable[[FlagDecisionDialog], None]) -> None:
    """Replace the modal exec() with a person working the real dialog."""

    def exec_(dialog: FlagDecisionDialog) -> int:
        dialog.show()
        steps(dialog)
        result = dialog.result()
        dialog.close()
        return result

    monkeypatch.setattr(FlagDecisionDialog, "exec", exec_)


def test_the_queue_lists_open_flags_worst_first_and_filters(qtbot, page: FraudPage) -> None:  # type: ignore[no-untyped-def]
    assert rules_listed(page) == ["self_referral", "disposable_email"]
    assert page.state_filter.itemText(0) == "Open (2)"
    assert not page.confirm_button.isEnabled()
    page.severity_filter.setCurrentIndex(page.severity_filter.findData("low"))
    assert rules_listed(page) == ["disposable_email"]
    page.severity_filter.setCurrentIndex(0)
    page.rule_filter.setCurrentIndex(page.rule_filter.findData("click_flood"))
    assert rules_listed(page) == [] and page.empty.isVisible()


def test_selecting_a_flag_shows_its_evidence_and_orders(qtbot, page: FraudPage) -> None:  # type: ignore[no-untyped-def]
    click_flag(qtbot, page, "self_referral")
    assert page.evidence.text() == "3 orders from jane.doe+1@gmail.com, which is Jane Doe's own address with a +tag"
    assert "Self-referral" in page.heading.text() and "Jane Doe (JANE)" in page.heading.text()
    assert page.orders.rowCount() == 3 and page.orders.index(0, 1).data() == "jane.doe+1@gmail.com"
    assert page.confirm_button.isEnabled() and page.dismiss_button.isEnabled()


def test_dismiss_a_flag_with_a_reason(qtbot, page: FraudPage, db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    click_flag(qtbot, page, "disposable_email")

    def steps(dialog: FlagDecisionDialog) -> None:
        assert dialog.windowTitle() == "Dismiss: Disposable customer e-mail"
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # no reason yet
        assert dialog.error.isVisible() and "reason" in dialog.error.text()
        qtbot.keyClicks(dialog.reason, "Regular customer, checked by phone")
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
        assert dialog.result() == QDialog.DialogCode.Accepted

    drive_dialog(monkeypatch, steps)
    qtbot.mouseClick(page.dismiss_button, Qt.MouseButton.LeftButton)
    assert rules_listed(page) == ["self_referral"]
    assert "Flag dismissed" in page.message.text()
    [dismissed] = list_flags(db, state="dismissed")
    assert dismissed.resolution == "Regular customer, checked by phone"
    page.state_filter.setCurrentIndex(page.state_filter.findData("dismissed"))
    assert rules_listed(page) == ["disposable_email"]
    click_flag(qtbot, page, "disposable_email")
    assert "Dismissed by" in page.status.text() and not page.confirm_button.isEnabled()


def test_confirm_with_a_hold_then_release_it(qtbot, page: FraudPage, db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    click_flag(qtbot, page, "self_referral")

    def steps(dialog: FlagDecisionDialog) -> None:
        assert dialog.reject_orders.isChecked()  # rejecting the orders is offered first
        dialog.hold.click()
        qtbot.keyClicks(dialog.reason, "Waiting for her explanation")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    drive_dialog(monkeypatch, steps)
    qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    assert "Payout held" in page.message.text()
    assert page.holds.rowCount() == 1 and page.holds.index(0, 0).data() == "Jane Doe (JANE)"
    assert held_affiliate_ids(db) == {list_flags(db, state="confirmed")[0].affiliate_id}
    page.hold_table.selectRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(page.release_button, Qt.MouseButton.LeftButton)
    assert held_affiliate_ids(db) == frozenset() and page.holds.rowCount() == 0
    assert "was released" in page.message.text()


def test_confirm_rejects_the_orders(qtbot, page: FraudPage, db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    click_flag(qtbot, page, "self_referral")

    def steps(dialog: FlagDecisionDialog) -> None:
        assert dialog.reject_orders.text().startswith("Reject the orders (3 of 3)")
        qtbot.keyClicks(dialog.reason, "Her own purchases")
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)

    drive_dialog(monkeypatch, steps)
    qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    assert page.message.text() == "3 orders rejected; the reason is in their history."
    assert rules_listed(page) == ["disposable_email"]


def test_scan_all_data_runs_in_the_background(qtbot, page: FraudPage, db: Database) -> None:  # type: ignore[no-untyped-def]
    page.scan_all()
    assert not page.scan_button.isEnabled()
    qtbot.waitUntil(lambda: page.scan_button.isEnabled(), timeout=20_000)
    assert page.message.text().startswith("Scan finished: 2 open flags, 0 new")


def test_the_list_gives_rule_and_evidence_two_lines(page: FraudPage) -> None:
    """Long rule names and the evidence wrap onto a second line instead of ending after a word or two."""
    table = page.flag_table
    row_height = table.rowHeight(0)
    assert table.wordWrap()
    assert row_height >= 2 * table.fontMetrics().lineSpacing()
    assert table.columnWidth(4) >= 150  # the evidence: the column that matters
    wrapped = table.fontMetrics().boundingRect(0, 0, table.columnWidth(1), 1000, Qt.TextFlag.TextWordWrap,
                                               "Orders for an inactive affiliate")  # fmt: skip
    assert wrapped.height() <= row_height


def test_the_decision_dialog_grows_for_its_message(qtbot, page: FraudPage, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Confirm with no reason: the message appears and every wrapped line of the dialog stays whole."""
    from PySide6.QtWidgets import QLabel

    click_flag(qtbot, page, "self_referral")
    seen: list[list[str]] = []

    def steps(dialog: FlagDecisionDialog) -> None:
        qtbot.waitExposed(dialog)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # no reason yet
        assert dialog.error.isVisible()
        qtbot.wait(50)
        wrapped = [label for label in dialog.findChildren(QLabel) if label.wordWrap() and label.isVisible()]
        seen.append([label.text()[:40] for label in wrapped if label.height() < label.heightForWidth(label.width())])
        dialog.reject()

    drive_dialog(monkeypatch, steps)
    qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    assert seen == [[]]


def test_the_customer_address_is_never_cut_off(qtbot, page: FraudPage) -> None:  # type: ignore[no-untyped-def]
    """The page as a 1280×800 window shows it: the address is the proof of a self-referral, not "jan…"."""
    page.resize(1090, 760)
    click_flag(qtbot, page, "self_referral")
    qtbot.wait(50)
    table = page.order_table
    [customer] = [c for c in range(page.orders.columnCount()) if page.orders.headerData(c, Qt.Orientation.Horizontal)
                  == "Customer"]  # fmt: skip
    assert table.columnWidth(customer) >= table.fontMetrics().horizontalAdvance("jane.doe+1@gmail.com")
    visible = table.visualRect(table.model().index(0, customer))
    assert table.viewport().rect().contains(visible)  # in view without scrolling sideways
    assert table.model().index(0, customer).data(Qt.ItemDataRole.ToolTipRole) == "jane.doe+1@gmail.com"


def test_after_a_decision_the_next_flag_is_selected(qtbot, page: FraudPage, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    click_flag(qtbot, page, "self_referral")
    drive_dialog(monkeypatch, lambda dialog: (dialog.reason.setText("Her own purchases"), dialog.accept()))
    qtbot.mouseClick(page.confirm_button, Qt.MouseButton.LeftButton)
    assert rules_listed(page) == ["disposable_email"]
    assert page.flag_table.currentIndex().row() == 0  # the one after it, ready for review
    assert page.detail is not None and page.detail.flag.rule == "disposable_email" and page.confirm_button.isEnabled()
    page.scan_all()
    qtbot.waitUntil(lambda: page.scan_button.isEnabled(), timeout=20_000)
    assert page.detail is not None and page.detail.flag.rule == "disposable_email"  # a scan keeps it
    page.state_filter.setCurrentIndex(page.state_filter.findData("confirmed"))  # a filter change chooses nothing
    assert page.detail is None and not page.flag_table.currentIndex().isValid()
