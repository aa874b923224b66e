"""The conversions page and the import dialog, driven like a person would."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from desktop.db import Database
from desktop.services.affiliates import AffiliateInput, create_affiliate
from desktop.services.conversion_import import import_conversions
from desktop.services.conversions_list import ConversionFilter, count_conversions, list_conversions, page_key
from desktop.services.plans import PlanInput, create_plan
from desktop.views.app import make_application
from desktop.views.conversion_import_dialog import ConversionImportDialog
from desktop.views.conversions_page import ConversionsPage

GOOD = (
    "order_id,occurred_at,amount,sku,affiliate_code,coupon_code,customer_email,status\n"
    "A-1,2026-10-02T10:00:00,120.00,TENT-1,,JANE10,a@example.com,approved\n"
    "A-2,2026-10-03T11:00:00,80.00,BOOT-2,OMAR7,,b@example.com,approved\n"
    "A-3,2026-10-04T12:00:00,50.00,SOCK-3,,,c@example.com,pending\n"
)


@pytest.fixture
def shop(db: Database, tmp_path: Path) -> Path:
    create_affiliate(db, AffiliateInput(code="JANE10", name="Jane Brooks", coupon_codes=("JANE10",)))
    create_affiliate(db, AffiliateInput(code="OMAR7", name="Omar Said"))
    path = tmp_path / "orders.csv"
    path.write_text(GOOD, encoding="utf-8")
    return path


def test_keyset_pages_walk_every_order_once(db: Database, shop: Path, tmp_path: Path) -> None:
    rows = ["order_id,occurred_at,amount"] + [
        f"B-{i:04d},2026-09-{1 + i % 28:02d}T{i % 24:02d}:00:00,{10 + i}.00" for i in range(650)
    ]
    big = tmp_path / "big.csv"
    big.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_conversions(db, big)
    seen: list[str] = []
    after = None
    while True:
        page = list_conversions(db, ConversionFilter(period="2026-09"), after=after, limit=100)
        if not page:
            break
        seen.extend(r.order_id for r in page)
        after = page_key(page[-1])
    assert len(seen) == len(set(seen)) == 650 == count_conversions(db, ConversionFilter(period="2026-09"))
    dates = [r.local_date for r in list_conversions(db, ConversionFilter(), limit=1000)]
    assert dates == sorted(dates, reverse=True)


def test_the_affiliate_filter_takes_a_code_or_part_of_a_name(any_db: Database, tmp_path: Path) -> None:
    create_affiliate(any_db, AffiliateInput(code="JANE10", name="Jane Brooks", coupon_codes=("JANE10",)))
    create_affiliate(any_db, AffiliateInput(code="OMAR7", name="Omar Said"))
    create_affiliate(any_db, AffiliateInput(code="JANE", name="Jane Doe"))
    path = tmp_path / "orders.csv"
    path.write_text(GOOD + "A-4,2026-10-05T12:00:00,20.00,SOCK-3,JANE,,d@example.com,approved\n", encoding="utf-8")
    import_conversions(any_db, path)

    def orders_of(text: str) -> list[str]:
        return sorted(row.order_id for row in list_conversions(any_db, ConversionFilter(affiliate_code=text)))

    assert orders_of("jane") == ["A-4"]  # a code: that affiliate only, not JANE10
    assert orders_of("jane1") == ["A-1"]  # the start of a code
    assert orders_of("BROOK") == ["A-1"] and orders_of("jane ") == ["A-4"]  # part of a name; spaces around
    assert orders_of("ne") == ["A-1", "A-4"] and orders_of("r") == []  # one letter: a code, or nothing
    assert orders_of("50%_") == [] and count_conversions(any_db, ConversionFilter(affiliate_code="nobody")) == 0


def test_page_filters_and_explains_attribution(qtbot, db: Database, shop: Path) -> None:  # type: ignore[no-untyped-def]
    make_application()
    import_conversions(db, shop)
    page = ConversionsPage(db)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    assert page.model.total == 3
    page.attributed.setCurrentIndex(page.attributed.findData(False))
    assert [page.model.row_at(r).order_id for r in range(page.model.rowCount())] == ["A-3"]
    page.attributed.setCurrentIndex(0)
    qtbot.keyClicks(page.affiliate, "jane10")
    qtbot.waitUntil(lambda: page.model.total == 1, timeout=2000)
    page.table.selectRow(0)
    text = page.detail.toPlainText()
    assert "A-1" in text and "coupon" in text.lower() and "JANE10" in text
    assert "Not on a payout sheet yet" in text and "no commission plan yet" in text
    create_plan(db, PlanInput("Standard", sale_rate=Decimal("0.10")))
    page.refresh()  # as coming back to the page after making the plan
    text = page.detail.toPlainText()
    assert "Estimated: 12.00 USD" in text and "line 1: 12.00" in text and "10 % of 120.00" in text


@pytest.mark.parametrize("width", [1240, 1085], ids=["1440 px window", "1280 px window"])
def test_every_column_shows_its_values_in_a_window_of_ordinary_size(  # type: ignore[no-untyped-def]
    qtbot, db: Database, shop: Path, width: int
) -> None:
    """In a 1440 or 1280 px wide window (the page beside the menu, the table beside the order), no column is cut:
    the order number least of all, and the attribution is not behind a scroll bar."""
    make_application()
    import_conversions(db, shop)
    shopify_like = shop.with_name("numbers.csv")
    shopify_like.write_text("order_id,occurred_at,amount\n#1000234,2026-12-31T23:59:00,99999.99\n", encoding="utf-8")
    import_conversions(db, shopify_like)
    page = ConversionsPage(db)
    qtbot.addWidget(page)
    page.resize(width, 800)
    page.show()
    qtbot.waitExposed(page)
    page.refresh()
    table, model = page.table, page.model
    metrics = table.fontMetrics()
    for column in range(model.columnCount()):
        texts = [str(model.headerData(column, Qt.Orientation.Horizontal))]
        texts += [str(model.index(row, column).data() or "") for row in range(model.rowCount())]
        widest = max(metrics.horizontalAdvance(text) for text in texts)
        assert table.columnWidth(column) >= widest + 8, (texts[0], table.columnWidth(column), widest)
    assert not table.horizontalScrollBar().isVisible()


def previewed(qtbot, db: Database, path: Path) -> ConversionImportDialog:  # type: ignore[no-untyped-def]
    """The import dialog shown with this file chosen, its preview read."""
    dialog = ConversionImportDialog(db, None, None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_path(path)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    return dialog


def test_import_dialog_lists_problems_and_refuses(qtbot, db: Database, shop: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_application()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "order_id,occurred_at,amount,affiliate_code\nX-1,2026-10-02,abc,\nX-2,2026-10-02,5.00,NOBODY\n",
        encoding="utf-8",
    )
    dialog = previewed(qtbot, db, bad)
    assert dialog.preview is not None and not dialog.preview.ok
    assert not dialog.import_button.isEnabled()
    problems = dialog.problems_table
    lines = {problems.item(r, 0).text() for r in range(problems.rowCount())}
    assert {"2", "3"} <= lines
    assert count_conversions(db, ConversionFilter()) == 0


def test_import_dialog_says_an_empty_file_is_empty(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Not "these columns are not an orders file, map them": there are no columns to map."""
    make_application()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    dialog = previewed(qtbot, db, empty)
    assert "empty.csv: is empty: there is no header row" in dialog.summary.text()
    assert "Map columns" not in dialog.summary.text() and not dialog.map_button.isDefault()
    assert not dialog.import_button.isEnabled()


def test_import_dialog_shows_the_files_text_as_it_is(qtbot, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Text from the file or the reader ("order_id <- 'Bestellnummer'", a coupon "<b>") is not read as markup."""
    make_application()
    path = tmp_path / "odd.csv"
    path.write_text("order_id,occurred_at,amount,coupon_code\nO-1,2026-10-02,5.00,<i>X\n", encoding="utf-8")
    dialog = previewed(qtbot, db, path)
    assert "&lt;I&gt;X (1)" in dialog.summary.text()  # coupon codes are upper case


def test_import_dialog_asks_how_dates_are_written_when_the_file_does_not_show_it(  # type: ignore[no-untyped-def]
    qtbot, db: Database, shop: Path, tmp_path: Path
) -> None:
    make_application()
    eu = tmp_path / "eu.csv"
    eu.write_text("order_id,occurred_at,amount\nE-1,03/10/2026 14:05,9.50\nE-2,04/10/2026,4.00\n", encoding="utf-8")
    dialog = previewed(qtbot, db, eu)
    assert not dialog.import_button.isEnabled()
    problems = dialog.problems_table
    row = [problems.item(0, column).text() for column in range(3)]
    assert row[:2] == ["2", "occurred_at"] and "could be day first or month first" in row[2]
    assert "'Dates are written'" in row[2]
    assert "'03/10/2026 14:05' could be 3 October 2026 or 10 March 2026" in dialog.summary.text()
    dialog.preview = None
    dialog.dates.setCurrentIndex(dialog.dates.findData("dmy"))  # the user says: day first
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
    assert "Dates: day/month/year." in dialog.summary.text() and "2 new" in dialog.summary.text()
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.import_button.click()
    dates = {row.order_id: row.occurred_at for row in list_conversions(db, ConversionFilter(search="E-"))}
    assert f"{dates['E-1']:%Y-%m-%d %H:%M}" == "2026-10-03 14:05" and f"{dates['E-2']:%Y-%m-%d}" == "2026-10-04"


def test_import_dialog_imports_a_good_file(qtbot, db: Database, shop: Path) -> None:  # type: ignore[no-untyped-def]
    make_application()
    dialog = ConversionImportDialog(db, shop, None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
    assert "3 new" in dialog.summary.text()
    columns = dialog.tabs.widget(dialog.tabs.count() - 2)  # "Recognised columns", in words
    shown = {columns.item(r, 0).text(): columns.item(r, 1).text() for r in range(columns.rowCount())}
    assert shown["order_id"] == "Order number" and shown["affiliate_code"] == "Affiliate (referral) code"
    assert shown["amount"] == "Line amount after discounts, without shipping and tax"
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.import_button.click()
    assert count_conversions(db, ConversionFilter()) == 3
    assert dialog.buttons.standardButtons() & QDialogButtonBox.StandardButton.Cancel


def test_the_page_says_what_an_import_did_and_what_the_fraud_check_found(  # type: ignore[no-untyped-def]
    qtbot, db: Database, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    create_affiliate(db, AffiliateInput(code="GONE", name="Gone Partner", status="paused"))
    shop.write_text(GOOD + "A-4,2026-10-05T12:00:00,40.00,SOCK-3,GONE,,d@example.com,approved\n", encoding="utf-8")
    make_application()
    page = ConversionsPage(db)
    qtbot.addWidget(page)
    told: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, title, text: told.append((title, text)))

    def exec_like_a_person(dialog: ConversionImportDialog) -> int:  # the dialog, shown and used, not modal
        dialog.show()
        qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
        with qtbot.waitSignal(dialog.accepted, timeout=10_000):
            dialog.import_button.click()
        return 1

    monkeypatch.setattr(ConversionImportDialog, "exec", exec_like_a_person)
    assert page.import_orders(shop)
    message = ("Imported 4 orders from orders.csv: 4 new, 0 updated, 0 unchanged.\n\n"
               "Fraud check of October 2026: 1 new flag, 1 open to review. Review them on the Fraud page.")  # fmt: skip
    assert told == [("Orders imported", message)]
    assert page.count_label.text() == "4 conversions"


def test_cancel_during_the_fraud_check_keeps_the_orders_and_says_so(  # type: ignore[no-untyped-def]
    qtbot, db: Database, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from PySide6.QtWidgets import QMessageBox, QPushButton

    from desktop.services import fraud

    def a_long_scan(_db: Database, _batch: int, *, progress: Any = None) -> Any:
        for _ in range(500):  # until the window's Cancel makes the progress callback raise (10 s at most)
            progress(0, 10, "Checking: Self-referral")
            time.sleep(0.02)
        raise RuntimeError("the check was never cancelled")

    monkeypatch.setattr(fraud, "run_after_import", a_long_scan)
    make_application()
    page = ConversionsPage(db)
    qtbot.addWidget(page)
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: told.append(text))

    def exec_and_cancel_the_check(dialog: ConversionImportDialog) -> int:
        dialog.show()
        qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=10_000)
        dialog.import_button.click()
        progress = dialog.task.dialog  # type: ignore[attr-defined]
        qtbot.waitUntil(lambda: "Looking for fraud" in progress.labelText(), timeout=10_000)
        assert progress.labelText() == "3 orders saved. Looking for fraud: Self-referral"
        with qtbot.waitSignal(dialog.accepted, timeout=10_000):
            progress.findChild(QPushButton).click()  # its Cancel button
        return 1

    monkeypatch.setattr(ConversionImportDialog, "exec", exec_and_cancel_the_check)
    assert page.import_orders(shop)
    assert told == ["Imported 3 orders from orders.csv: 3 new, 0 updated, 0 unchanged.\n\nThe fraud check was "
                    "stopped: the orders are saved, but not yet checked for fraud. Run a scan on the Fraud page to "
                    "check them."]  # fmt: skip
    assert count_conversions(db, ConversionFilter()) == 3


def test_import_dialog_imports_a_big_file_through_the_writer_process(  # type: ignore[no-untyped-def]
    qtbot, db: Database, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.services import conversion_import

    monkeypatch.setattr(conversion_import, "WRITER_FROM_ROWS", 0)  # as for a file of 100,000 lines and more
    lines = [GOOD.splitlines()[0]]
    lines += [f"B-{n},2026-10-{n % 28 + 1:02d}T10:00:00,19.90,HAT-1,OMAR7,,,approved" for n in range(3000)]
    shop.write_text("\n".join(lines) + "\n", encoding="utf-8")
    make_application()
    dialog = ConversionImportDialog(db, shop, None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=20_000)
    assert "3,000 new" in dialog.summary.text()
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        dialog.import_button.click()
    assert count_conversions(db, ConversionFilter()) == 3000
