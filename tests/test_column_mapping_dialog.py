"""The Map columns dialog and saved mappings in the import dialog, driven like a person would."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from test_conversion_support import affiliates as make_affiliates
from test_conversion_support import orders, program, write_csv

from desktop.db import Database
from desktop.services.conversion_mappings import get_saved_mapping, save_mapping
from desktop.views.app import make_application
from desktop.views.column_mapping_dialog import ColumnMappingDialog
from desktop.views.conversion_import_dialog import ConversionImportDialog

HEADER = ["Ref", "When", "Total", "Partner", "Promo", "Email"]


def till_file(tmp_path: Path) -> Path:
    rows = [["X-1", "03/10/2026 14:05", "1.234,50", "JANE", "", "a@example.com"],
            ["X-2", "04/10/2026 09:00", "80,00", "", "", "b@example.com"]]  # fmt: skip
    return write_csv(tmp_path / "till.csv", HEADER, rows)


def test_the_dialog_proposes_shows_values_and_saves_with_the_date_order(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_application()
    program(db, timezone="UTC")
    dialog = ColumnMappingDialog(db, till_file(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    # proposed from the names ("Ref" could be the order or a referral: left to the user), values beside them
    assert dialog.mapping() == {"occurred_at": "When", "amount": "Total", "affiliate_code": "Partner",
                                "coupon_code": "Promo", "customer_email": "Email"}  # fmt: skip
    assert dialog.combos["amount"].currentText() == "Total — 1.234,50 · 80,00"
    # 03/10/2026 and 04/10/2026 could be either day or month first: nothing is assumed
    assert dialog.date_order() is None and not ok.isEnabled()
    assert dialog.message.text() == "Still needed: Order number, how dates are written"
    order = dialog.combos["order_id"]
    order.setCurrentIndex(order.findData("Ref"))
    qtbot.keyClick(dialog.dates, Qt.Key.Key_Down)  # the first choice; Down again: day/month/year
    qtbot.keyClick(dialog.dates, Qt.Key.Key_Down)
    assert dialog.date_order() == "dmy" and ok.isEnabled() and dialog.message.text() == ""
    # the date column changing does not undo what the user chose
    when = dialog.combos["occurred_at"]
    when.setCurrentIndex(when.findData("Email"))
    when.setCurrentIndex(when.findData("When"))
    assert dialog.date_order() == "dmy"
    qtbot.keyClicks(dialog.save_name, "Till")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.saved_name == "Till"
    saved = get_saved_mapping(db, "Till")
    assert saved.date_order == "dmy" and saved.as_dict()["order_id"] == "Ref"


def test_saving_under_a_taken_name_asks_first(qtbot, db: Database, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    from desktop.services.conversion_mappings import list_mappings, save_mapping

    make_application()
    program(db, timezone="UTC")
    save_mapping(db, "Till", {"order_id": "Ref", "occurred_at": "When", "amount": "Total"}, date_order="mdy")
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda _p, _t, text, *_a: asked.append(text) or answers.pop(0))
    dialog = ColumnMappingDialog(db, till_file(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    order = dialog.combos["order_id"]
    order.setCurrentIndex(order.findData("Ref"))
    dialog.dates.setCurrentIndex(dialog.dates.findData("dmy"))
    qtbot.keyClicks(dialog.save_name, "Till")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)  # No: nothing replaced, the dialog stays
    assert asked == ["A mapping named 'Till' is saved already. Replace it with this one?"]
    assert dialog.isVisible() and get_saved_mapping(db, "Till").date_order == "mdy"
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)  # Yes
    assert dialog.result() == dialog.DialogCode.Accepted and get_saved_mapping(db, "Till").date_order == "dmy"
    assert len(list_mappings(db)) == 1


def test_the_date_order_is_proposed_when_the_values_show_it(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_application()
    path = write_csv(tmp_path / "us.csv", ["Order", "Date", "Amount"], [["1", "10/24/2026 2:05 PM", "5.00"]])
    dialog = ColumnMappingDialog(db, path)
    qtbot.addWidget(dialog)
    assert dialog.mapping() == {"order_id": "Order", "occurred_at": "Date", "amount": "Amount"}
    assert dialog.date_order() == "mdy"
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def test_a_saved_mapping_is_offered_and_read_by_itself(qtbot, db: Database, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    make_application()
    program(db, timezone="UTC")
    make_affiliates(db, {"JANE": []})
    mapping = {"order_id": "Ref", "occurred_at": "When", "amount": "Total", "affiliate_code": "Partner"}
    save_mapping(db, "Till", mapping, date_order="dmy")
    dialog = ConversionImportDialog(db, None)
    qtbot.addWidget(dialog)
    assert dialog.format.findText("Saved mapping: Till") > 0  # by its name
    dialog.show()
    dialog.set_path(till_file(tmp_path))  # "Detect the format": the saved mapping fits this file
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
    text = dialog.summary.text()
    assert "the saved mapping 'Till', whose columns are all in this file" in text
    assert "Dates: day/month/year." in text and "2 new" in text
    opened: list[tuple[dict[str, str], str | None]] = []

    def look(mapping_dialog: ColumnMappingDialog) -> int:  # Map columns… starts from the mapping that fitted
        opened.append((mapping_dialog.mapping(), mapping_dialog.date_order()))
        return 0

    monkeypatch.setattr(ColumnMappingDialog, "exec", look)
    dialog.map_button.click()
    assert opened == [(mapping, "dmy")]
    dialog.format.setCurrentIndex(dialog.format.findText("Saved mapping: Till"))  # or chosen by name
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled() and "mapped columns" in dialog.summary.text(),
                    timeout=10_000)  # fmt: skip
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.import_button.click()
    stored = orders(db)
    assert stored["X-1"]["occurred_at"].startswith("2026-10-03 14:05") and stored["X-1"]["amount"] == 123450
    assert stored["X-1"]["affiliate"] == "JANE"


def test_a_file_nothing_fits_points_at_map_columns(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_application()
    dialog = ConversionImportDialog(db, None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_path(till_file(tmp_path))
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    assert "Map columns…" in dialog.summary.text() and "0 orders" not in dialog.summary.text()
    assert dialog.map_button.isDefault() and not dialog.import_button.isEnabled()


def test_a_file_of_sign_ups_needs_no_amount_once_its_type_column_is_chosen(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from desktop.services.conversion_import import import_conversions

    make_application()
    program(db, timezone="UTC")
    make_affiliates(db, {"JANE": []})
    path = write_csv(tmp_path / "signups.csv", ["Ref", "Signed up", "Kind", "Partner"],
                     [["S-1", "2026-10-03", "signup", "JANE"], ["S-2", "2026-10-04", "lead", "JANE"]])  # fmt: skip
    dialog = ColumnMappingDialog(db, path)
    qtbot.addWidget(dialog)
    dialog.show()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    for field, column in (("order_id", "Ref"), ("occurred_at", "Signed up"), ("type", None)):
        dialog.combos[field].setCurrentIndex(dialog.combos[field].findData(column))
    assert dialog.message.text().startswith("Still needed: Line amount") and not ok.isEnabled()
    dialog.combos["type"].setCurrentIndex(dialog.combos["type"].findData("Kind"))
    assert dialog.message.text() == "" and ok.isEnabled()
    result = import_conversions(db, path, mapping=dialog.mapping(), date_order=dialog.date_order())
    assert result.summary.orders == 2 and result.summary.new == 2
