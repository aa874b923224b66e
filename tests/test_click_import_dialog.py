"""Importing clicks from the Conversions page: the file is read first, then imported, driven like a person would."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import func, select
from test_conversion_support import affiliates as make_affiliates
from test_conversion_support import program, write_csv

from desktop.db import Database
from desktop.models import Click
from desktop.views.app import make_application
from desktop.views.click_import_dialog import ClickImportDialog
from desktop.views.conversions_page import ConversionsPage

HEADER = ["clicked_at", "affiliate_code", "visitor_id", "campaign"]


@pytest.fixture
def shop(db: Database) -> Database:
    program(db, timezone="UTC")
    make_affiliates(db, {"JANE": []})
    return db


def opened(qtbot, db: Database, path: Path) -> ClickImportDialog:  # type: ignore[no-untyped-def]
    """The window as the Conversions page opens it for a file: shown, reading the file."""
    make_application()
    dialog = ClickImportDialog(db, path)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def clicks(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Click)) or 0)


def test_the_file_is_read_first_and_saved_on_import(qtbot, shop: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [["2026-10-01 10:00", "JANE", "v-1", "autumn"], ["2026-10-03 11:00", "JANE", "v-2", "autumn"]]
    dialog = opened(qtbot, shop, write_csv(tmp_path / "clicks.csv", HEADER, rows))
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
    text = dialog.summary.text()
    assert "Read as a click log, one row per click." in text
    assert "clicks.csv: 2 clicks would import: 2 new, 0 already there (2026-10-01 to 2026-10-03)." in text
    assert "Columns not read: campaign." in text and "Dry run" not in text
    columns = dialog.tabs.widget(0)
    assert [(columns.item(r, 0).text(), columns.item(r, 1).text()) for r in range(columns.rowCount())] == [
        ("clicked_at", "time of the click"), ("affiliate_code", "affiliate code"),
        ("visitor_id", "visitor (matched to orders)")]  # fmt: skip
    assert clicks(shop) == 0  # read, not saved
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.import_button.click()
    assert clicks(shop) == 2 and dialog.result is not None and dialog.result.new == 2


def test_every_bad_row_is_listed_and_import_stays_off(qtbot, shop: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [["2026-10-01 10:00", "JANE", "v-1", ""], ["soon", "JANE", "", ""], ["2026-10-02", "NOBODY", "", ""]]
    dialog = opened(qtbot, shop, write_csv(tmp_path / "clicks.csv", HEADER, rows))
    qtbot.waitUntil(lambda: bool(dialog.problems), timeout=10_000)
    table = dialog.problems_table
    listed = [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())]
    assert listed == [("3", "clicked_at"), ("4", "affiliate_code")]
    assert "2 problem(s)" in dialog.summary.text() and not dialog.import_button.isEnabled()
    assert clicks(shop) == 0


def test_the_user_says_how_dates_are_written_when_the_file_does_not(qtbot, shop: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [["03/10/2026 10:00", "JANE", "v-1", ""], ["04/10/2026 11:00", "JANE", "v-2", ""]]
    dialog = opened(qtbot, shop, write_csv(tmp_path / "clicks.csv", HEADER, rows))
    qtbot.waitUntil(lambda: bool(dialog.problems), timeout=10_000)
    assert "3 October 2026 or 10 March 2026" in dialog.problems_table.item(0, 2).text()
    assert not dialog.import_button.isEnabled()
    dialog.dates.setCurrentIndex(dialog.dates.findData("dmy"))
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
    assert "(2026-10-03 to 2026-10-04)" in dialog.summary.text() and "read as day/month/year" in dialog.summary.text()
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.import_button.click()
    assert clicks(shop) == 2


def test_the_page_imports_clicks_and_says_what_changed(qtbot, shop: Database, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    make_application()
    page = ConversionsPage(shop)
    qtbot.addWidget(page)
    page.show()
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: told.append(text))

    def person(dialog: ClickImportDialog) -> int:  # waits for the preview, then clicks Import
        dialog.show()
        qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
        with qtbot.waitSignal(dialog.finished, timeout=10_000):
            dialog.import_button.click()
        return int(dialog.result is not None)

    monkeypatch.setattr(ClickImportDialog, "exec", person)
    daily = write_csv(tmp_path / "daily.csv", ["date", "affiliate_code", "clicks"], [["2026-10-01", "JANE", "40"]])
    page.import_clicks_file(daily)
    assert told and told[0].startswith("daily.csv: daily click counts, 1 row imported: 1 affiliate-days new")
    assert "Fraud check of October 2026" in told[0]
