"""The main window driven like a person would: welcome page, demo data, navigation, settings form."""

from __future__ import annotations

import locale
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.db import Database, open_database
from desktop.services.program_settings import get_program
from desktop.views.app import make_application
from desktop.views.main_window import MainWindow
from desktop.views.program_page import ProgramPage


def shown_window(qtbot, db: Database, qsettings) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """The window on `db`, shown; for a fixture to yield from."""
    make_application()
    win = MainWindow(db, settings=qsettings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    # closed at teardown: a test that left changes unsaved would otherwise wait for an answer forever
    setattr(win, "keep_unsaved_edits", lambda _leaving: True)  # noqa: B010


@pytest.fixture
def window(qtbot, db: Database, qsettings):  # type: ignore[no-untyped-def]
    yield from shown_window(qtbot, db, qsettings)


def test_empty_database_opens_on_the_welcome_page(window: MainWindow) -> None:
    home = window.pages["home"]
    assert window.current_page_key() == "home"
    assert home.showing_welcome  # type: ignore[attr-defined]
    assert window.menuBar().actions()[0].text() == "&File"
    assert str(window.db.path) in window.db_label.text()


def test_load_demo_from_the_welcome_page(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    home = window.pages["home"]
    qtbot.mouseClick(home.welcome.demo_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not home.showing_welcome, timeout=60_000)  # type: ignore[attr-defined]
    dashboard = home.overview  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: getattr(dashboard, "dashboard", None) is not None, timeout=60_000)
    assert dashboard.dashboard.program_name == "Acme Outdoor Partners"
    assert dashboard.dashboard.has_orders
    assert dashboard.leaders.rowCount() > 0


def test_navigation_moves_through_every_area(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    keys = window.page_keys()
    assert keys == [
        "home",
        "affiliates",
        "recruiting",
        "conversions",
        "payouts",
        "targets",
        "reports",
        "fraud",
        "messages",
        "plans",
        "guidelines",
        "assets",
        "program",
    ]
    for row, key in enumerate(keys):
        rect = window.navigation.visualItemRect(window.navigation.item(row))
        qtbot.mouseClick(window.navigation.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.current_page_key() == key
        assert window.stack.currentWidget() is window.pages[key]


def test_setup_button_opens_the_program_settings(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(window.pages["home"].welcome.setup_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert window.current_page_key() == "program"


def test_program_form_validates_next_to_the_field_and_saves(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.show_page("program")
    page = window.pages["program"]
    assert isinstance(page, ProgramPage)
    page.name.clear()
    qtbot.keyClicks(page.name, "Trail Friends")
    page.payout_threshold.clear()
    qtbot.keyClicks(page.payout_threshold, "12.345")
    assert page.errors["payout_threshold"].isVisible()
    assert "two decimals" in page.errors["payout_threshold"].text()
    assert not page.save_button.isEnabled()
    page.payout_threshold.clear()
    qtbot.keyClicks(page.payout_threshold, "75")
    assert not page.errors["payout_threshold"].isVisible()
    page.timezone.setCurrentText("Europe/Nowhere")
    assert page.errors["timezone"].isVisible()
    page.timezone.setCurrentText("Europe/Berlin")
    assert not page.errors["timezone"].isVisible()
    qtbot.keyClick(page.name, Qt.Key.Key_Return)  # Enter saves
    saved = get_program(window.db)
    assert (saved.name, str(saved.payout_threshold), saved.timezone, saved.configured) == (
        "Trail Friends",
        "75.00",
        "Europe/Berlin",
        True,
    )


def test_new_attribution_rules_are_saved_with_the_orders_they_move(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    from desktop.services.affiliates import AffiliateInput, create_affiliate
    from desktop.services.conversion_import import import_conversions
    from desktop.services.conversions_list import ConversionFilter, list_conversions

    db = window.db
    create_affiliate(db, AffiliateInput(code="JANE", name="Jane Brooks"))
    create_affiliate(db, AffiliateInput(code="ANNA", name="Anna Berg", coupon_codes=("ANNA5",)))
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,occurred_at,amount,affiliate_code,coupon_code\nB-1,2026-10-10,50.00,JANE,ANNA5\n")
    import_conversions(db, orders)
    window.show_page("program")
    page = window.pages["program"]
    assert isinstance(page, ProgramPage) and page.coupon_priority.isChecked()
    qtbot.mouseClick(page.coupon_priority, Qt.MouseButton.LeftButton)  # a referral link now beats a coupon
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status.text().startswith("Saved."), timeout=10_000)
    assert page.status.text() == (
        "Saved. By the new attribution rules, 1 order not yet on an approved sheet goes to another affiliate "
        "(or to nobody)."
    )
    assert not get_program(db).coupon_priority
    assert [(row.affiliate_code, row.attribution) for row in list_conversions(db, ConversionFilter())] == [
        ("JANE", "referral")
    ]


def test_a_new_time_zone_says_what_becomes_of_imported_orders(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from desktop.services.conversion_import import import_conversions
    from desktop.services.program_settings import save_program

    db = window.db
    save_program(db, replace(get_program(db), timezone="UTC"))
    window.show_page("program")
    page = window.pages["program"]
    assert isinstance(page, ProgramPage)
    page.timezone.setCurrentText("Europe/Berlin")
    page.save()
    assert page.status.text() == "Saved."  # no orders yet: nothing to say
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,occurred_at,amount\nZ-1,2026-10-31T23:30:00Z,10.00\n", encoding="utf-8")
    import_conversions(db, orders)
    page.timezone.setCurrentText("America/New_York")
    page.save()
    assert page.status.text() == (
        "Saved. Orders already imported keep the times and days they were given in Europe/Berlin: import their "
        "files again to date them in America/New_York (orders on approved sheets stay)."
    )


def test_every_hint_on_the_program_page_is_shown_whole(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """A hint under a short field (a combo box, a spin box) wraps at the form's width, not the field's, and is
    not cut off."""
    from PySide6.QtWidgets import QLabel

    window.resize(1280, 800)
    window.show_page("program")
    page = window.pages["program"]
    qtbot.waitUntil(lambda: page.isVisible())
    hints = [label for label in page.findChildren(QLabel) if label.objectName() == "pageSubtitle" and label.wordWrap()]
    assert len(hints) >= 7
    for label in hints:
        assert label.height() >= label.heightForWidth(label.width()), label.text()
        assert label.width() >= label.fontMetrics().horizontalAdvance(label.text()) or label.width() > 400, label.text()


def test_escape_reverts_unsaved_edits(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.show_page("program")
    page = window.pages["program"]
    assert isinstance(page, ProgramPage)
    original = page.name.text()
    qtbot.keyClicks(page.name, " changed")
    qtbot.keyClick(page.name, Qt.Key.Key_Escape)
    assert page.name.text() == original


def test_geometry_and_recent_files_are_remembered(qtbot, db: Database, qsettings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make_application()
    first = MainWindow(db, settings=qsettings)
    qtbot.addWidget(first)
    first.show()
    first.resize(760, 610)
    first.close()
    other = open_database(tmp_path / "second.sqlite3")
    second = MainWindow(other, settings=qsettings)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (760, 610)
    assert second.recent_databases()[:2] == [str(tmp_path / "second.sqlite3"), str(db.path)]
    second.close()


def test_switching_to_a_damaged_file_keeps_the_current_database(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append(args[2]))
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"not a database" * 50)
    before = window.db
    assert window.switch_database(str(damaged)) is False
    assert window.db is before
    assert shown and "untouched" in shown[0]
    assert damaged.read_bytes() == b"not a database" * 50


def test_new_database_from_the_menu(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "created.sqlite3"
    assert window.switch_database(str(target))
    assert window.db.path == target
    assert str(target) in window.db_label.text()
    assert window.pages["home"].showing_welcome  # type: ignore[attr-defined]


def test_qt_calls_keep_none_alive(qapp) -> None:  # type: ignore[no-untyped-def]
    """PySide6 6.12.0 on Python 3.11 dropped a reference to None per call returning None, and the process
    aborted after a few thousand calls. pyproject.toml excludes it; this catches a release that does it again."""
    import sys

    from PySide6.QtCore import QObject

    holder = QObject()
    before = sys.getrefcount(None)
    for _ in range(5000):
        holder.setObjectName("x")
    assert sys.getrefcount(None) >= before - 10


def test_the_window_writes_dates_in_english_whatever_the_desktop_locale() -> None:
    """Qt adopts the desktop's C locale; month names from strftime would then follow it (German: "Oktober")."""
    from datetime import date

    make_application()
    before = locale.setlocale(locale.LC_ALL)
    locale.setlocale(locale.LC_ALL, "C.UTF-8")  # what Qt's setlocale(LC_ALL, "") does on this machine
    try:
        make_application()
        assert locale.setlocale(locale.LC_TIME) == "C" and locale.setlocale(locale.LC_NUMERIC) == "C"
        assert f"{date(2026, 10, 3):%d %B %Y}" == "03 October 2026"
    finally:
        locale.setlocale(locale.LC_ALL, before)


@pytest.mark.parametrize("answer", ["Yes", "No"])
def test_a_new_currency_with_orders_in_the_old_one_asks_first(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch, answer: str
) -> None:
    """The orders already imported stay in the old currency: no sheet takes them, and totals would relabel them."""
    from PySide6.QtWidgets import QMessageBox

    from desktop.services.conversion_import import import_conversions

    db = window.db
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,occurred_at,amount\nZ-1,2026-10-30T10:00:00,10.00\n", encoding="utf-8")
    import_conversions(db, orders)
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda _parent, _title, text, *_args: asked.append(text)
                        or getattr(QMessageBox.StandardButton, answer))  # fmt: skip
    window.show_page("program")
    page = window.pages["program"]
    assert isinstance(page, ProgramPage)
    before = get_program(db).currency
    page.currency.setCurrentText("EUR")
    page.save()
    [question] = asked
    assert question.startswith("1 order already imported are not in EUR") and "earn no more commission" in question
    assert get_program(db).currency == ("EUR" if answer == "Yes" else before)
    if answer == "No":
        assert page.status.text() == f"Not saved: the currency stays {before}."


def test_leaving_the_program_page_keeps_unsaved_changes(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.show_page("program")
    page = window.pages["program"]
    assert isinstance(page, ProgramPage)
    stored = get_program(window.db).name
    page.name.setText("Acme Outdoor Partners (new name)")
    window.show_page("affiliates")
    window.show_page("program")
    assert page.name.text() == "Acme Outdoor Partners (new name)"
    assert page.status.text().startswith("Your changes are not saved yet")
    assert get_program(window.db).name == stored
    page.save()
    window.show_page("affiliates")
    window.show_page("program")
    assert page.name.text() == get_program(window.db).name == "Acme Outdoor Partners (new name)"


def test_closing_keeps_drafts_and_asks_about_unsaved_settings(qtbot, window: MainWindow, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMessageBox

    from desktop.services.guidelines import get_draft

    guidelines = edit_a_guideline(qtbot, window, " Be kind to the trail.")
    window.show_page("program")
    program = window.pages["program"]
    assert isinstance(program, ProgramPage)
    program.name.setText("A name not saved")
    asked: list[str] = []
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard]
    monkeypatch.setattr(QMessageBox, "question", lambda _p, _t, text, *_a: asked.append(text) or answers.pop(0))
    window.show_page("affiliates")
    assert not window.close()  # Cancel: the window stays, on the page with the changes
    assert window.isVisible() and window.current_page_key() == "program"
    assert asked == ["These changes are not saved:\n• the program settings\n\nClose without them?"]
    assert get_draft(window.db, guidelines.kind).markdown.endswith("Be kind to the trail.")  # a draft is kept
    assert window.close() and len(asked) == 2  # Discard
    assert get_program(open_database(window.db.path)).name != "A name not saved"


def test_a_message_of_two_lines_gets_its_room_and_squashes_no_field(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """In a QFormLayout the row kept the height of one line: the field above shrank and the message was cut."""
    window.resize(1280, 800)
    window.show_page("program")
    page = window.pages["program"]
    assert isinstance(page, ProgramPage)
    qtbot.keyClicks(page.payout_threshold, "12,5")  # a long message: two lines at this width
    error = page.errors["payout_threshold"]
    qtbot.waitUntil(lambda: error.isVisible())
    fields = (page.payout_threshold, page.name, page.referral_link)

    def laid_out() -> bool:
        return error.height() >= error.heightForWidth(error.width()) and all(
            field.height() >= field.sizeHint().height() for field in fields
        )

    qtbot.waitUntil(laid_out, timeout=5_000)
    assert error.heightForWidth(error.width()) > error.fontMetrics().height() * 1.5  # two lines, both shown
    page.load()  # nothing left unsaved


def test_a_draft_is_saved_as_its_page_is_left(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Saved only on coming back, an edit was lost if the program ended while another page was open."""
    from desktop.services.guidelines import get_draft

    page = edit_a_guideline(qtbot, window, " Left for Home.")
    window.show_page("home")
    assert get_draft(window.db, page.kind).markdown.endswith("Left for Home.")


def test_every_database_the_window_opens_gets_its_daily_backup(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window.start_automatic_backup()
    assert window.db.path is not None
    qtbot.waitUntil(lambda: bool(list((window.db.path.parent / "backups").glob("*.sqlite3"))), timeout=20_000)
    other = tmp_path / "second" / "shop.sqlite3"
    other.parent.mkdir()
    assert window.switch_database(str(other))
    qtbot.waitUntil(lambda: bool(list((other.parent / "backups").glob("shop-*.sqlite3"))), timeout=20_000)


def edit_a_guideline(qtbot, window: MainWindow, text: str):  # type: ignore[no-untyped-def]
    """Open the Guidelines page and type `text` at the end of the selected document's draft; the page."""
    from desktop.views.guidelines_page import GuidelinesPage

    window.show_page("guidelines")
    page = window.pages["guidelines"]
    assert isinstance(page, GuidelinesPage) and page.kind is not None
    page.editor.moveCursor(page.editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(page.editor, text)
    return page
