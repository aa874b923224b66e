"""The commission plans page, driven like a person: typing, clicking, Enter and Esc."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit
from pytestqt.qtbot import QtBot

from desktop.db import Database
from desktop.services.plans import (
    PlanInput,
    TierInput,
    create_plan,
    current_version_id,
    freeze_version,
    get_plan,
    list_plans,
    load_demo_plans,
)
from desktop.views.plan_editor import PlanEditor
from desktop.views.plans_page import COL_NAME, COL_VERSION, PlansPage

D = Decimal


@pytest.fixture
def page(db: Database, qtbot: QtBot) -> PlansPage:
    widget = PlansPage(db)
    qtbot.addWidget(widget)
    widget.resize(1200, 900)
    widget.show()
    widget.refresh()
    return widget


def retype(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)


def type_in_cell(qtbot: QtBot, editor: PlanEditor, row: int, column: int, text: str) -> None:
    """Type into the cell's editor (opened as a double click would, unless already open) and press Enter."""
    table = editor.tiers.table
    editing = table.state() == QAbstractItemView.State.EditingState
    if not editing or table.currentIndex() != table.model().index(row, column):
        table.setCurrentCell(row, column)
        table.editItem(table.item(row, column))
    [cell] = [widget for widget in table.viewport().findChildren(QLineEdit) if widget.isVisible()]
    qtbot.keyClicks(cell, text)
    qtbot.keyClick(cell, Qt.Key.Key_Return)  # the view commits the edit from its event queue
    qtbot.waitUntil(lambda: table.state() != QAbstractItemView.State.EditingState, timeout=2000)


def list_names(page: PlansPage) -> list[str]:
    return [page.model.index(row, COL_NAME).data() for row in range(page.model.rowCount())]


def test_create_a_plan_through_the_form(page: PlansPage, qtbot: QtBot, db: Database) -> None:
    editor = page.editor
    assert editor.heading.text() == "New plan"
    assert editor.errors["name"].isVisible()
    assert editor.errors["name"].text() == "The plan needs a name."
    assert not editor.save_button.isEnabled()

    qtbot.keyClicks(editor.name, "Creators")
    assert not editor.errors["name"].isVisible()
    retype(qtbot, editor.sale_value, "150")
    assert editor.errors["sale"].isVisible()
    assert "between 0% and 100%" in editor.errors["sale"].text()
    assert not editor.save_button.isEnabled()
    assert "fix the plan's terms" in editor.example.result.text()

    retype(qtbot, editor.sale_value, "10")
    assert not editor.errors["sale"].isVisible()
    assert editor.example.result.text() == "earns 15.00 — base, 10 %"
    retype(qtbot, editor.sale_value, "12")
    assert editor.example.result.text() == "earns 18.00 — base, 12 %"

    qtbot.mouseClick(editor.tiers.add_button, Qt.MouseButton.LeftButton)
    assert editor.errors["tiers"].isVisible()  # a tier without its threshold yet
    type_in_cell(qtbot, editor, 0, 0, "2000")
    type_in_cell(qtbot, editor, 0, 2, "15")
    assert not editor.errors["tiers"].isVisible()
    assert editor.example.result.text() == "earns 22.50 — tier ≥ 2,000.00, all actions, 15 %"
    retype(qtbot, editor.example.revenue, "100")
    assert editor.example.result.text() == "earns 18.00 — base, all actions, 12 %"

    qtbot.keyClicks(editor.cap, "1,000")
    qtbot.keyClick(editor.cap, Qt.Key.Key_Return)  # Enter saves

    [summary] = list_plans(db)
    assert summary.name == "Creators"
    assert get_plan(db, summary.id).data == PlanInput(
        "Creators", sale_rate=D("0.12"), cap=D("1000.00"), tiers=(TierInput(D("2000.00"), sale_rate=D("0.15")),)
    )
    assert list_names(page) == ["Creators (default)"]
    assert page.selected_plan() is not None and page.selected_plan().id == summary.id  # type: ignore[union-attr]
    assert editor.status.text() == "Plan created."
    assert editor.heading.text() == "Creators"
    assert not editor.is_dirty()


def test_a_taken_name_is_said_next_to_the_field(page: PlansPage, qtbot: QtBot, db: Database) -> None:
    create_plan(db, PlanInput("Standard", sale_rate=D("0.1")))
    page.refresh()
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(page.editor.name, "standard")
    assert page.editor.errors["name"].text() == "There is already a plan named Standard."
    qtbot.keyClick(page.editor.name, Qt.Key.Key_Return)
    assert len(list_plans(db)) == 1


def test_the_example_follows_the_tier_basis(page: PlansPage, qtbot: QtBot, db: Database) -> None:
    load_demo_plans(db)
    page.refresh()
    page.list.selectRow(1)  # Creators: tiers by number of sales, marginal
    editor = page.editor
    assert editor.heading.text() == "Creators"
    assert editor.example.basis.currentWidget() is editor.example.sales
    editor.example.sales.setValue(19)
    assert editor.example.result.text() == "earns 22.50 — tier ≥ 20 sales, marginal, 15 %"
    editor.tier_basis.setCurrentIndex(editor.tier_basis.findData("revenue"))
    assert editor.example.basis.currentWidget() is editor.example.revenue
    assert editor.errors["tiers"].isVisible() is False  # 20.00 of revenue is a fine threshold too
    assert editor.is_dirty()


def test_escape_reverts_unsaved_edits(page: PlansPage, qtbot: QtBot, db: Database) -> None:
    create_plan(db, PlanInput("Standard", sale_rate=D("0.1")))
    page.refresh()
    editor = page.editor
    retype(qtbot, editor.name, "Renamed")
    assert editor.is_dirty() and editor.revert_button.isEnabled()
    qtbot.keyClick(editor.name, Qt.Key.Key_Escape)
    assert editor.name.text() == "Standard"
    assert not editor.is_dirty()


def test_saving_a_frozen_plan_makes_a_new_version(page: PlansPage, qtbot: QtBot, db: Database) -> None:
    plan_id = create_plan(db, PlanInput("Standard", sale_rate=D("0.1")))
    freeze_version(db, current_version_id(db, plan_id))
    page.refresh()
    editor = page.editor
    assert editor.version_note.isVisible()
    assert "Saving your changes creates version 2" in editor.version_note.text()
    retype(qtbot, editor.sale_value, "11")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.status.text() == "Saved as version 2."
    assert page.model.index(0, COL_VERSION).data() == "v2"
    assert not editor.version_note.isVisible()
    assert [v.version for v in get_plan(db, plan_id).versions] == [1, 2]


def test_switching_plans_asks_before_dropping_edits(page: PlansPage, qtbot: QtBot, db: Database) -> None:
    load_demo_plans(db)
    page.refresh()
    editor = page.editor
    retype(qtbot, editor.lead_amount, "3.00")
    answers: list[bool] = [False, True]
    page.ask = lambda title, question: answers.pop(0)  # type: ignore[method-assign]
    page.list.selectRow(2)
    assert editor.heading.text() == "Standard" and editor.lead_amount.text() == "3.00"
    assert page.selected_plan().name == "Standard"  # type: ignore[union-attr]
    page.list.selectRow(2)
    assert editor.heading.text() == "Coupon partners"
    assert get_plan(db, list_plans(db)[0].id).data.lead_amount == D("2.00")


def test_delete_asks_and_is_refused_for_a_used_plan(page: PlansPage, qtbot: QtBot, db: Database) -> None:
    ids = load_demo_plans(db)
    freeze_version(db, current_version_id(db, ids[0]))
    page.refresh()
    page.ask = lambda title, question: True  # type: ignore[method-assign]
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    assert page.page_status.text().startswith("Not deleted: An approved payout sheet")
    assert len(list_plans(db)) == 3
    page.list.selectRow(2)
    qtbot.mouseClick(page.delete_button, Qt.MouseButton.LeftButton)
    assert page.page_status.text() == "Deleted the plan Coupon partners."
    assert list_names(page) == ["Standard (default)", "Creators"]


def test_escape_in_a_table_cell_only_leaves_the_cell(page: PlansPage, qtbot: QtBot, db: Database) -> None:
    load_demo_plans(db)
    page.refresh()
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=2000)
    editor = page.editor
    retype(qtbot, editor.lead_amount, "3.00")
    table = editor.tiers.table
    table.setCurrentCell(0, 0)
    table.editItem(table.item(0, 0))
    [cell] = [widget for widget in table.viewport().findChildren(QLineEdit) if widget.isVisible()]
    cell.setFocus()
    qtbot.keyClicks(cell, "9")
    qtbot.keyClick(cell, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: table.state() != QAbstractItemView.State.EditingState, timeout=2000)
    assert editor.tiers.rows()[0][0] == "2,000.00"
    assert editor.lead_amount.text() == "3.00"  # the form kept its edit
    editor.lead_amount.setFocus()
    qtbot.keyClick(editor.lead_amount, Qt.Key.Key_Escape)
    assert editor.lead_amount.text() == "2.00"


def test_tiers_typed_out_of_order_are_saved_in_order(page: PlansPage, qtbot: QtBot, db: Database) -> None:
    ids = load_demo_plans(db)
    page.refresh()
    editor = page.editor
    with qtbot.waitSignal(editor.tiers.changed):
        qtbot.mouseClick(editor.tiers.add_button, Qt.MouseButton.LeftButton)
    type_in_cell(qtbot, editor, 2, 0, "1,000")
    type_in_cell(qtbot, editor, 2, 2, "11")
    assert not editor.errors["tiers"].isVisible()
    retype(qtbot, editor.example.revenue, "1,000")
    assert editor.example.result.text() == "earns 16.50 — tier ≥ 1,000.00, all actions, 11 %"
    type_in_cell(qtbot, editor, 2, 0, "5000")  # the same threshold as row 2: said on the row typed last
    assert editor.errors["tiers"].text() == (
        "Row 3: Tier ≥ 5,000.00: tiers must go up, each threshold above the one before."
    )
    type_in_cell(qtbot, editor, 2, 0, "1000")
    with qtbot.waitSignal(page.plans_changed):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert [t.min_value for t in get_plan(db, ids[0]).data.tiers] == [D("1000.00"), D("2000.00"), D("5000.00")]
    assert [row[0] for row in editor.tiers.rows()] == ["1,000.00", "2,000.00", "5,000.00"]
    assert "tiers from 1,000.00" in page.model.index(0, 3).data()


def test_a_decimal_comma_is_refused_not_read_as_thousands(page: PlansPage, qtbot: QtBot, db: Database) -> None:
    """"12,5" typed by habit was saved as 125.00 a sale; the field now says how to write it."""
    editor = page.editor
    qtbot.keyClicks(editor.name, "Coupon partners")
    qtbot.mouseClick(editor.sale_is_amount, Qt.MouseButton.LeftButton)
    retype(qtbot, editor.sale_value, "12,5")
    assert editor.errors["sale"].isVisible()
    assert "write the cents after a dot, like 12.50" in editor.errors["sale"].text()
    assert not editor.save_button.isEnabled()
    qtbot.keyClicks(editor.lead_amount, "4,50")
    assert "write the cents after a dot" in editor.errors["lead_amount"].text()
    qtbot.keyClick(editor.name, Qt.Key.Key_Return)
    assert list_plans(db) == []

    retype(qtbot, editor.sale_value, "1,250.00")  # a comma that groups thousands is fine
    retype(qtbot, editor.lead_amount, "4.50")
    qtbot.keyClick(editor.name, Qt.Key.Key_Return)
    [summary] = list_plans(db)
    plan = get_plan(db, summary.id).data
    assert (plan.sale_amount, plan.lead_amount) == (D("1250.00"), D("4.50"))


def test_no_wrapped_text_of_the_form_is_cut_off(db: Database, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a 1280x800 window the form is taller than its view: every hint, message and the cap advice still gets the
    height its lines need (a plain scroll area squeezed the advice to half), and the product rule's "flat per unit"
    fits its column."""
    from PySide6.QtWidgets import QComboBox, QLabel

    from desktop.services.demo import load_full_demo
    from desktop.services.quality_score import CapSuggestion
    from desktop.views import plan_editor
    from desktop.views.page_parts import FormScrollArea

    load_full_demo(db)  # plans used by paid sheets (a banner over the form)
    # the advice as long as the demo's poor partners make it (which partners are poor depends on the day it is run)
    reason = ("2 partners on this plan have poor traffic quality (Diego Haddad (33), Tom Novak (41)). A cap of "
              "450.00 limits what bad traffic can cost; your best good-quality partner earned at most 372.10 in a "
              "month (estimated at the plan's base rate over the last 3 complete months).")  # fmt: skip
    advice = CapSuggestion(0, None, D("450.00"), "set", reason, ("Diego Haddad (33)", "Tom Novak (41)"))
    monkeypatch.setattr(plan_editor, "suggested_cap", lambda db, plan_id: replace(advice, plan_id=plan_id))
    widget = PlansPage(db)
    qtbot.addWidget(widget)
    widget.resize(1090, 760)
    widget.show()
    qtbot.waitExposed(widget)
    widget.refresh()
    qtbot.wait(200)  # laid out as shown, before the texts change
    widget.list.selectRow(0)  # Standard: tiers by revenue
    editor = widget.editor
    assert editor.cap_advice.isVisible() and editor.use_cap_button.isVisible()  # the advice, beside its button
    editor.sale_is_amount.setChecked(True)
    editor.sale_value.setText("12,5")
    editor.lead_amount.setText("abc")
    editor.tier_mode.setCurrentIndex(editor.tier_mode.findData("marginal"))
    scroll = editor.findChild(FormScrollArea)
    assert scroll is not None
    qtbot.wait(500)  # the layout settles
    assert scroll.verticalScrollBar().maximum() > 0  # taller than its view
    wrapped = [label for label in scroll.widget().findChildren(QLabel) if label.wordWrap() and label.isVisible()]
    assert len(wrapped) >= 5
    assert [label.text()[:40] for label in wrapped if label.height() < label.heightForWidth(label.width())] == []

    qtbot.mouseClick(editor.revert_button, Qt.MouseButton.LeftButton)
    widget.list.selectRow(1)  # Creators: product rules, one of them flat per unit
    kinds = editor.products.table
    boxes = [kinds.cellWidget(row, 1) for row in range(kinds.rowCount())]
    assert any(isinstance(box, QComboBox) and box.currentText() == "flat per unit" for box in boxes)
    assert all(kinds.columnWidth(1) >= box.sizeHint().width() for box in boxes)
