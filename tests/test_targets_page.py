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
    assert dialog.errors["goal"].isVisible() and "not an amount" in dialog.errors["goal"].text()
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


def test_editing_keeps_a_terminated_affiliate(qtbot, db: Database, people: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    from desktop.services.affiliates import change_status
    from desktop.services.targets_progress import get_target

    target = create_target(db, TargetInput("TOM", "revenue", "2099-01", goal=D("500.00"), bonus=D("50.00")))
    change_status(db, [people["TOM"]], "terminated", "left the program")
    dialog = TargetDialog(db, target)
    qtbot.addWidget(dialog)
    assert dialog.affiliate.currentData() == "TOM"
    assert dialog.affiliate.currentText() == "Tom Person (TOM) (terminated)"
    dialog.bonus.setText("60.00")
    assert dialog.save()
    assert get_target(db, target).scope_label == "Tom Person (TOM)"
    fresh = TargetDialog(db, None)  # a new target offers only those a target can be for
    qtbot.addWidget(fresh)
    assert fresh.affiliate.findData("TOM") == -1


def test_editing_a_target_whose_tag_is_gone_refuses_clearly(qtbot, db: Database, people: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import delete

    from desktop.models import Tag, affiliate_tag
    from desktop.services.targets_progress import get_target

    target = create_target(db, TargetInput("tag:blog", "sales", "2099-01", goal=D("3")))
    with db.write() as session:
        session.execute(delete(affiliate_tag))
        session.execute(delete(Tag))
    dialog = TargetDialog(db, target)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.tag.currentText() == "blog (no longer exists)"
    dialog.goal.setText("4")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "No affiliate has the tag 'blog'" in dialog.errors["scope"].text()
    assert get_target(db, target).data.goal == D("3")


@pytest.mark.parametrize(
    ("field", "metric", "text", "key", "message"),
    [
        ("growth", "revenue", "nan", "goal", "'nan' is not a percentage"),
        ("growth", "revenue", "Infinity", "goal", "'Infinity' is not a percentage"),
        ("goal", "epc", "0.005", "goal", "'0.005' has more than two decimals"),
        ("goal", "revenue", "5000%", "goal", "'5000%': a revenue goal is not a percentage"),
        ("rate", "revenue", "150%", "reward_rate", "'150%' must be between 0% and 100%"),
        ("bonus", "revenue", "1.005", "bonus", "'1.005' has more than two decimals"),
        ("bonus", "revenue", "12,5", "bonus", "write the cents after a dot"),
    ],
)
def test_the_form_says_what_is_wrong_with_a_number(  # type: ignore[no-untyped-def]
    qtbot, db: Database, people: dict[str, int], field: str, metric: str, text: str, key: str, message: str
) -> None:
    dialog = TargetDialog(db, None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.metric_choice.setCurrentIndex(dialog.metric_choice.findData(metric))
    dialog.month.setDate(QDate(2099, 1, 1))
    if field == "growth":
        dialog.grow.setChecked(True)
    elif field != "goal":
        dialog.goal.setText("100")
    qtbot.keyClicks(getattr(dialog, field), text)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter saves
    assert dialog.isVisible() and message in dialog.errors[key].text()
    assert list_targets(db) == []


def test_settling_says_which_draft_sheet_to_build_again(
    qtbot, db: Database, people: dict[str, int], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from desktop.services.payout_build import build_payout_sheet

    create_target(db, TargetInput("JANE", "revenue", "2020-03", goal=D("100.00"), bonus=D("25.00")),
                  today=date(2020, 3, 10))  # fmt: skip
    build_payout_sheet(db, "2020-03", as_of=date(2020, 3, 20))  # built while the month still ran: no bonus on it
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: told.append(text))
    page = TargetsPage(db)
    qtbot.addWidget(page)
    page.show_choice.setCurrentIndex(page.show_choice.findData("all"))
    qtbot.mouseClick(page.settle_all_button, Qt.MouseButton.LeftButton)
    assert told and "draft payout sheet of 2020-03" in told[0] and "“Build again”" in told[0]
    assert "Build again" in page.status.text() and "bonuses are on" not in page.status.text()


def test_settling_without_a_draft_sheet_says_nothing_about_one(
    qtbot, db: Database, people: dict[str, int], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    create_target(db, TargetInput("JANE", "revenue", "2020-03", goal=D("100.00"), bonus=D("25.00")),
                  today=date(2020, 3, 10))  # fmt: skip
    monkeypatch.setattr(QMessageBox, "information", lambda *a: pytest.fail("no sheet to build again"))
    page = TargetsPage(db)
    qtbot.addWidget(page)
    page.show_choice.setCurrentIndex(page.show_choice.findData("all"))
    qtbot.mouseClick(page.settle_all_button, Qt.MouseButton.LeftButton)
    assert "Settled 1 target of 2020-03: 1 of 1 met." in page.status.text()
    assert "Build again" not in page.status.text()


def test_a_group_where_some_met_is_not_green_and_cells_show_their_text(
    qtbot, db: Database, people: dict[str, int]
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QHeaderView

    from desktop.views.targets_page import BAR_COLOURS

    create_target(db, TargetInput("all", "revenue", "2020-03", goal=D("100.00"), bonus=D("25.00"),
                                  reward_text="A newsletter feature with a long, long description"),
                  today=date(2020, 4, 2))  # fmt: skip
    page = TargetsPage(db)
    qtbot.addWidget(page)
    page.resize(1040, 600)
    page.show()
    page.show_choice.setCurrentIndex(page.show_choice.findData("all"))
    bar = page.table.cellWidget(0, 4)
    assert isinstance(bar, QProgressBar) and bar.format() == "1 of 2 met"
    assert BAR_COLOURS["met"] not in bar.styleSheet() and BAR_COLOURS["partly"] in bar.styleSheet()
    rewards = page.table.item(0, 6)
    assert (
        rewards.data(Qt.ItemDataRole.ToolTipRole)
        == rewards.text()
        == ("bonus 25.00, A newsletter feature with a long, long description")
    )
    assert page.table.item(0, 1).toolTip() == "All active affiliates"
    assert page.table.item(0, 4).toolTip() == "1 of 2 met"
    header = page.table.horizontalHeader()
    assert all(header.sectionResizeMode(c) == QHeaderView.ResizeMode.Interactive for c in range(6))
    page.table.setColumnWidth(1, 300)  # the user widens "For": a refresh keeps it
    page.refresh()
    assert page.table.columnWidth(1) == 300


def test_a_target_saved_for_an_ended_month_names_the_draft_sheet(
    qtbot, db: Database, people: dict[str, int], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.services.payout_build import build_payout_sheet

    build_payout_sheet(db, "2020-03", as_of=date(2020, 4, 2))
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: told.append(text))
    page = TargetsPage(db)
    qtbot.addWidget(page)

    def fill_in() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, TargetDialog)
        dialog.affiliate.setCurrentIndex(dialog.affiliate.findData("JANE"))
        dialog.month.setDate(QDate(2020, 3, 1))
        qtbot.keyClicks(dialog.goal, "100")
        qtbot.keyClicks(dialog.bonus, "25.00")
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, fill_in)
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert told and told[0].startswith("Target saved and settled. The draft payout sheet of 2020-03 was built")
