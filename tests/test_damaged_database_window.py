"""The window on a database damaged after it was opened: a short plain message, never the SQL statement and its
parameters; no exception out of the affiliates table; the navigation shows the page it highlights."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from test_damaged_database import damage_table
from test_views_main_window import shown_window

from desktop.db import Database
from desktop.services.affiliates import AffiliateFilter, AffiliateInput, count_affiliates, create_affiliate
from desktop.services.affiliates import list_affiliates as list_rows
from desktop.views import affiliate_table_model
from desktop.views.affiliate_table_model import AffiliateTableModel
from desktop.views.main_window import MainWindow
from desktop.views.page_parts import error_text

PLAIN_DAMAGE = "This database file is damaged (database disk image is malformed). "
RESTORE = "Restore a backup: File ▸ Restore a backup…"


def assert_plain(text: str) -> None:
    assert PLAIN_DAMAGE + RESTORE in text
    for sql in ("SELECT", "[SQL", "parameters", "sqlalche.me"):
        assert sql not in text, text


@pytest.fixture
def tables() -> tuple[str, ...]:
    return ("affiliate", "conversion")  # read by Home (is it a new database?), the dashboard and the affiliates


@pytest.fixture
def damaged(db: Database, db_path: Path, tables: tuple[str, ...]) -> Database:
    """Three affiliates, then tables damaged under the open database (its pool closed, so that the next query reads
    the file): what the check at open cannot see."""
    for n in range(3):
        create_affiliate(db, AffiliateInput(code=f"A{n}", name=f"Affiliate {n}"))
    db.dispose()
    for table in tables:
        damage_table(db_path, table)
    return db


@pytest.fixture
def window(qtbot, damaged: Database, qsettings):  # type: ignore[no-untyped-def]
    yield from shown_window(qtbot, damaged, qsettings)


def test_the_window_says_the_file_is_damaged_and_shows_the_page_it_highlights(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    assert window.damage_notice.isVisible()  # Home asked first
    assert_plain(window.damage_notice.text())
    row = window.page_keys().index("affiliates")
    rect = window.navigation.visualItemRect(window.navigation.item(row))
    qtbot.mouseClick(window.navigation.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_page_key() == "affiliates"
    assert window.stack.currentWidget() is window.pages["affiliates"]
    assert_plain(window.damage_notice.text())


@pytest.mark.parametrize("tables", [("affiliate", "conversion"), ("program",)], ids=["orders", "program"])
def test_the_dashboard_says_the_file_is_damaged_without_sql(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """The QA's Home page: the whole statement and its parameters in red. The program's settings are read on the
    GUI thread, the orders in the background."""
    home = window.pages["home"]
    assert not home.showing_welcome  # type: ignore[attr-defined]  # a database that fails is not a new one
    notice = home.overview.notice  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "could not be computed" in notice.text(), timeout=20_000)
    assert notice.text().startswith("The dashboard could not be computed: This database file is damaged")
    assert_plain(notice.text())


def test_the_affiliates_table_stops_paging_at_a_damaged_page(  # type: ignore[no-untyped-def]
    qtbot, db: Database, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fetchMore and sort are called by the view from Qt's event loop: an exception there reached nobody."""
    monkeypatch.setattr(affiliate_table_model, "PAGE_SIZE", 2)
    for n in range(3):
        create_affiliate(db, AffiliateInput(code=f"A{n}", name=f"Affiliate {n}"))
    everyone = AffiliateFilter()
    model = AffiliateTableModel(
        lambda sort, descending, offset, limit: list_rows(
            db, everyone, sort=sort, descending=descending, offset=offset, limit=limit
        ),
        lambda: count_affiliates(db, everyone),
    )
    model.reload()
    assert model.rowCount() == 2 and model.canFetchMore()
    db.dispose()
    damage_table(db_path, "affiliate")
    with qtbot.waitSignal(model.load_failed) as failed:
        model.fetchMore()
    assert model.rowCount() == 2 and not model.canFetchMore()  # no retry at every scroll
    assert_plain(error_text(failed.args[0]))
    with qtbot.waitSignal(model.load_failed):
        model.sort(0, Qt.SortOrder.DescendingOrder)
    assert model.rowCount() == 0


def test_a_failure_while_scrolling_reaches_the_window(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.damage_notice.hide()
    window.show_page("affiliates")
    window.damage_notice.hide()
    model = window.pages["affiliates"].model  # type: ignore[attr-defined]
    model._total = model.rowCount() + 10  # rows left to page in, as a large table has
    model.fetchMore()
    assert window.damage_notice.isVisible()
    assert_plain(window.damage_notice.text())
