"""The feedback panel of an affiliate: add an entry through the dialog, filter, edit, delete."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QMessageBox
from test_fraud_helpers import add_affiliate, setup_program

from desktop.db import Database
from desktop.services.feedback import FeedbackInput, add_feedback, list_feedback
from desktop.views.app import make_application
from desktop.views.feedback_panel import FeedbackDialog, FeedbackPanel


@pytest.fixture
def jane(db: Database) -> int:
    setup_program(db)
    return add_affiliate(db, "JANE", "Jane Doe")


@pytest.fixture
def panel(qtbot, db: Database, jane: int) -> FeedbackPanel:  # type: ignore[no-untyped-def]
    make_application()
    widget = FeedbackPanel(db, jane)
    qtbot.addWidget(widget)
    widget.resize(700, 420)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def drive(monkeypatch: pytest.MonkeyPatch, steps: Callable[[FeedbackDialog], None]) -> None:
    def exec_(dialog: FeedbackDialog) -> int:
        dialog.show()
        steps(dialog)
        return dialog.result()

    monkeypatch.setattr(FeedbackDialog, "exec", exec_)


def test_add_feedback_through_the_dialog(qtbot, panel: FeedbackPanel, db: Database, jane: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert panel.empty.isVisible() and not panel.edit_button.isEnabled()
    # the review is handed to the affiliate: nothing may call what is printed in it private
    assert "private" not in panel.empty.text().lower() and "review you hand them" in panel.empty.text()

    def steps(dialog: FeedbackDialog) -> None:
        dialog.kind.setCurrentIndex(dialog.kind.findData("coaching"))
        dialog.written_on.setDate(QDate(2026, 10, 12))
        qtbot.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # empty: refused
        assert dialog.errors["text"].isVisible()
        qtbot.keyClicks(dialog.text, "Put the code in the first line")
        qtbot.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    drive(monkeypatch, steps)
    with qtbot.waitSignal(panel.changed):
        qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    [entry] = list_feedback(db, jane)
    assert (entry.kind, entry.written_on) == ("coaching", date(2026, 10, 12))
    assert entry.text == "Put the code in the first line"
    assert panel.table.rowCount() == 1 and panel.table.item(0, 1).text() == "Coaching"
    assert not panel.empty.isVisible()


def test_filter_edit_and_delete(qtbot, panel: FeedbackPanel, db: Database, jane: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    add_feedback(db, jane, FeedbackInput("praise", "Great video", date.today()))
    add_feedback(db, jane, FeedbackInput("warning", "Deal site", date(2020, 1, 5)))
    panel.refresh()
    assert panel.table.rowCount() == 2
    panel.kind_filter.setCurrentIndex(panel.kind_filter.findData("warning"))
    assert [panel.table.item(r, 2).text() for r in range(panel.table.rowCount())] == ["Deal site"]
    panel.kind_filter.setCurrentIndex(0)
    panel.month_filter.setCurrentIndex(1)  # this month
    assert panel.table.rowCount() == 1 and panel.table.item(0, 2).text() == "Great video"
    panel.table.selectRow(0)

    def steps(dialog: FeedbackDialog) -> None:
        assert dialog.windowTitle() == "Edit feedback" and dialog.text.toPlainText() == "Great video"
        dialog.kind.setCurrentIndex(dialog.kind.findData("reward"))
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    drive(monkeypatch, steps)
    qtbot.mouseClick(panel.edit_button, Qt.MouseButton.LeftButton)
    assert [e.kind for e in list_feedback(db, jane)] == ["reward", "warning"]
    panel.table.selectRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert [e.kind for e in list_feedback(db, jane)] == ["warning"]
