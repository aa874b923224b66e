"""The Import orders window's summary, from QA: the decimal separator named, counts in words, mapped columns in
the Recognised columns tab's words, the currency, and a file of only a header."""

from __future__ import annotations

from pathlib import Path

from test_conversion_support import program, write_csv
from test_conversions_page import previewed

from desktop.db import Database
from desktop.services.conversion_mappings import save_mapping
from desktop.views.app import make_application


def test_the_summary_names_the_separator_the_currency_and_counts_in_words(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_application()
    program(db, currency="EUR")
    path = write_csv(tmp_path / "one.csv", ["order_id", "occurred_at", "amount"], [["K-1", "2026-10-03", "1.234,50"]])
    text = previewed(qtbot, db, path).summary.text()
    assert "<b>1 order</b> in 1 row (2026-10-03 to 2026-10-03), 1,234.50 EUR in total." in text
    assert "Amounts read with a comma as decimal separator ('1.234,50' on line 2 shows it)." in text


def test_mapped_columns_are_named_as_in_the_recognised_columns_tab(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_application()
    program(db)
    save_mapping(db, "Till", {"order_id": "Ref", "occurred_at": "Datum", "amount": "Summe"})
    path = write_csv(tmp_path / "till.csv", ["Ref", "Datum", "Summe"], [["X-1", "2026-10-03", "80.00"],
                                                                         ["X-2", "2026-10-04", "20.00"]])  # fmt: skip
    dialog = previewed(qtbot, db, path)
    dialog.preview = None
    dialog.format.setCurrentIndex(dialog.format.findText("Saved mapping: Till"))
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    text = dialog.summary.text()
    assert ("Read as: mapped columns: 'Ref' as Order number; 'Datum' as Date or date-time of the order; 'Summe' as "
            "Line amount after discounts, without shipping and tax.") in text  # fmt: skip
    assert "<b>2 orders</b> in 2 rows" in text and "100.00 USD in total" in text
    assert "order_id" not in text and "&lt;-" not in text


def test_a_file_of_only_a_header_is_refused_in_words(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_application()
    program(db)
    path = tmp_path / "headeronly.csv"
    path.write_text("order_id,occurred_at,amount\n", encoding="utf-8")
    dialog = previewed(qtbot, db, path)
    assert "headeronly.csv: has no orders: only a header" in dialog.summary.text()
    assert "0 orders" not in dialog.summary.text() and not dialog.import_button.isEnabled()
