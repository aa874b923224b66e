"""The affiliate import dialog driven like a person: choose a file, read the preview, click Import (pytest-qt)."""

from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from desktop.db import Database
from desktop.models import Affiliate
from desktop.views.affiliate_import_dialog import AffiliateImportDialog


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def count_affiliates(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Affiliate)) or 0


def cells(model: object) -> list[list[str]]:
    rows = model.rowCount()  # type: ignore[attr-defined]
    columns = model.columnCount()  # type: ignore[attr-defined]
    return [[model.index(r, c).data() for c in range(columns)] for r in range(rows)]  # type: ignore[attr-defined]


def opened(qtbot: QtBot, db: Database, path: Path) -> AffiliateImportDialog:
    dialog = AffiliateImportDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.previewed, timeout=10_000):
        dialog.set_path(path)
    return dialog


def test_a_bad_file_lists_its_problems_and_cannot_be_imported(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "bad.csv",
        [["code", "name", "status"], ["A1", "Ann", "active"], ["B 2", "Bob", "retired"], ["a1", "Again", ""]],
    )
    dialog = opened(qtbot, db, path)
    assert dialog.problems_view.isVisible()
    problems = cells(dialog.problems_model)
    assert [row[:2] for row in problems] == [["3", "code"], ["3", "status"], ["4", "code"]]
    assert "unknown status 'retired'" in problems[1][2]
    assert not dialog.import_button.isEnabled()
    assert "3 problems" in dialog.summary_label.text()
    assert cells(dialog.columns_model)[0][0] == "code"
    assert len(cells(dialog.sample_model)) == 3
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)  # disabled: nothing happens
    assert dialog.result is None and count_affiliates(db) == 0


def test_a_good_file_is_previewed_then_imported(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "good.csv",
        [["Code", "Name", "Email", "Instagram Followers"], ["A1", "Ann", "ann@example.com", "1,200"],
         ["B2", "Bob", "", ""]],
    )
    dialog = opened(qtbot, db, path)
    assert not dialog.problems_view.isVisible()
    summary = dialog.summary_label.text()
    assert "good.csv" in summary and "utf-8" in summary and "comma" in summary
    assert "2 new / 0 updated / 0 unchanged" in summary
    assert [row[0] for row in cells(dialog.columns_model)] == ["Code", "Name", "Email", "Instagram Followers"]
    assert cells(dialog.sample_model)[0] == ["A1", "Ann", "ann@example.com", "1,200"]
    assert dialog.import_button.isEnabled()
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.result is not None
    assert (dialog.result.new, dialog.result.updated, dialog.result.unchanged) == (2, 0, 0)
    assert count_affiliates(db) == 2


def test_the_path_can_be_given_when_opening(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "one.csv", [["code", "name"], ["A1", "Ann"]])
    dialog = AffiliateImportDialog(db, path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    assert dialog.import_button.isEnabled()


def test_cancelling_an_import_changes_nothing(qtbot: QtBot, db: Database, tmp_path: Path) -> None:
    rows = [["code", "name"]] + [[f"A{index}", f"Partner {index}"] for index in range(6_000)]
    dialog = opened(qtbot, db, write_csv(tmp_path / "big.csv", rows))
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.task is not None
    with qtbot.waitSignal(dialog.task.cancelled, timeout=10_000):
        dialog.task.cancel()  # what the progress dialog's Cancel button does
    assert "nothing was changed" in dialog.summary_label.text()
    assert dialog.result is None and count_affiliates(db) == 0
    assert dialog.import_button.isEnabled() and dialog.choose_button.isEnabled()
