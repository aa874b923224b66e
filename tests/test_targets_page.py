"""The targets page and its form, driven like a person: set a target, see its progress, settle it, delete it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QMessageBox, QProgressBar
from test_metrics import add_affiliate, add_order, setup_program

from desktop.db import Database
from desktop.services.targets import TargetInput
from desktop.services.targets_progress import list_targets
from desktop.services.targets_settle import create_target
from desktop.views.targets_page import TargetDialog, TargetsPage

D = Decimal


@pytest.fixture
def people(db: Database) -> dict[str, int]:
    setup_program(db)
    ids = {"JANE": add_affiliate(db, "JANE", tags=("blog",)), "TOM": add_affiliate(db, "TOM")}
    add_order(db, ids["JANE"], date(2020, 3, 5), "120.00")
    return ids


def test_the_form_shows_problems_next_to_the_fields(qtbot, db: Database, people: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    dialog = TargetDialog(db, None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.goal.setText("lots")
    dialog.bonus.setText("-5")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert dialog.isVisible()  # not saved
    assert dialog.errors["goal"].isVisible() and "not a number" in dialog.errors["goal"].text()
    assert dialog.errors["bonus"].isVisible()
    assert list_targets(db) == []


def test_create_a_growth_target_for_a_tag(qtbot, db: Database, people: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    dialog = TargetDialog(db, None)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("tag"))
    assert dialog.tag.isVisibleTo(dialog) and not dialog.affiliate.isVisibleTo(dialog)
    dialog.tag.setCurrentText("blog")
    dialog.metric_choice.setCurrentIndex(dialog.metric_choice.findData("sales"))
    dialog.month.setDate(QDate(2099, 1, 1))
    dialog.grow.setChecked(True)
    dialog.growth.setText("25%")
    dialog.rate.setText("1.5%")
    dialog.reward.setText("A newsletter feature")
    assert dialog.save()
    [view] = list_targets(db)
    assert view.data == TargetInput("tag:blog", "sales", "2099-01", None, D("0.25"), None, D("0.015"),
                                    "A newsletter feature")  # fmt: skip
    again = TargetDialog(db, view.id)  # the edit form loads what was saved
    qtbot.addWidget(again)
    assert (again.growth.text(), again.rate.text(), again.tag.currentText()) == ("25%", "1.5%", "blog")
    assert again.grow.isChecked() and not again.goal.isEnabled()


def test_the_page_lists_progress_and_settles(qtbot, db: Database, people: dict[str, int], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    create_target(db, TargetInput("JANE", "revenue", "2020-03", goal=D("100.00"), bonus=D("25.00")),
                  today=date(2020, 3, 10))  # fmt: skip
    running = create_target(db, TargetInput("all", "sales", "2099-01", goal=D("3")))
    page = TargetsPage(db)
    qtbot.addWidget(page)
    page.show_choice.setCurrentIndex(page.show_choice.findData("all"))
    page.refresh()
    assert page.table.rowCount() == 2
    assert page.settle_all_button.isEnabled() and page.settle_all_button.text() == "Settle ended targets (1)"
    row = next(r for r, v in enumerate(page.views) if v.data.period == "2020-03")
    bar = page.table.cellWidget(row, 4)
    assert isinstance(bar, QProgressBar) and bar.format() == "120.00 of 100.00 (120.0 %)"
    assert page.table.item(row, 5).text() == "Ended: settle it"
    qtbot.mouseClick(page.settle_all_button, Qt.MouseButton.LeftButton)
    row = next(r for r, v in enumerate(page.views) if v.data.period == "2020-03")
    assert page.table.item(row, 5).text() == "Met"
    assert page.table.item(row, 6).text() == "bonus 25.00"
    assert not page.settle_all_button.isEnabled()

    page.table.selectRow(next(r for r, v in enumerate(page.views) if v.id == running))
    assert page.members.rowCount() == 2 and page.members.item(0, 4).text() == "not yet"
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    assert [v.data.period for v in page.views] == ["2020-03"]
