"""The affiliates page driven like a person: create through the dialog, filter the table, change a status."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog

from desktop.db import Database
from desktop.services.affiliates import AffiliateInput, create_affiliate, get_affiliate
from desktop.views.affiliate_dialog import AffiliateDialog
from desktop.views.affiliates_page import AffiliatesPage
from desktop.views.app import make_application


@pytest.fixture
def page(qtbot, db: Database):  # type: ignore[no-untyped-def]
    make_application()
    for i, (code, name, status, tags) in enumerate(
        [
            ("JANE10", "Jane Brooks", "active", ("video",)),
            ("OMAR7", "Omar Said", "paused", ("blog",)),
            ("LENA", "Lena Keller", "active", ("blog", "eu")),
            ("MARCO", "Marco Rossi", "prospect", ()),
        ]
    ):
        create_affiliate(db, AffiliateInput(code=code, name=name, status=status, tags=tags, email=f"p{i}@example.com"))
    widget = AffiliatesPage(db)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    widget.refresh()
    return widget


def codes(page: AffiliatesPage) -> list[str]:
    return [page.model.row_at(r).code for r in range(page.model.rowCount())]


def test_search_as_you_type(qtbot, page: AffiliatesPage) -> None:  # type: ignore[no-untyped-def]
    assert codes(page) == ["JANE10", "LENA", "MARCO", "OMAR7"]
    qtbot.keyClicks(page.search, "kell")
    qtbot.waitUntil(lambda: codes(page) == ["LENA"], timeout=2000)
    assert page.count_label.text().startswith("1 affiliate")
    qtbot.keyClicks(page.search, "zzz")
    qtbot.waitUntil(lambda: codes(page) == [], timeout=2000)
    assert page.count_label.text() == "No affiliate matches the search and filters: clear them to see everyone."
    page.search.clear()
    qtbot.waitUntil(lambda: len(codes(page)) == 4, timeout=2000)


def test_filters_by_status_and_tag(page: AffiliatesPage) -> None:
    page.status_filter.setCurrentIndex(page.status_filter.findText("Active"))
    assert codes(page) == ["JANE10", "LENA"]
    page.tag_filter.setCurrentIndex(page.tag_filter.findData("blog"))
    assert codes(page) == ["LENA"]
    page.status_filter.setCurrentIndex(0)
    assert codes(page) == ["LENA", "OMAR7"]


def test_sorting_by_clicking_the_header(qtbot, page: AffiliatesPage) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QPoint

    header = page.table.horizontalHeader()
    x = header.sectionViewportPosition(1) + 5
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    first = [page.model.row_at(r).name for r in range(page.model.rowCount())]
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    second = [page.model.row_at(r).name for r in range(page.model.rowCount())]
    assert {tuple(first), tuple(second)} == {tuple(sorted(first)), tuple(sorted(first, reverse=True))}


def test_change_status_of_a_multi_selection(
    qtbot,
    page: AffiliatesPage,
    db: Database,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page.table.selectRow(0)
    page.table.selectionModel().select(
        page.model.index(1, 0),
        page.table.selectionModel().SelectionFlag.Select | page.table.selectionModel().SelectionFlag.Rows,
    )
    ids = page.selected_ids()
    assert len(ids) == 2
    prompts: list[str] = []
    monkeypatch.setattr(QInputDialog, "getText", lambda _parent, _title, text, *a, **k: prompts.append(text)
                        or ("Season over", True))  # fmt: skip
    menu = page.build_context_menu()
    status_menu = next(a.menu() for a in menu.actions() if a.text().startswith("Change status"))
    paused = next(a for a in status_menu.actions() if a.text() == "Paused")
    paused.trigger()
    for affiliate_id in ids:
        detail = get_affiliate(db, affiliate_id)
        assert detail.data.status == "paused"
        assert detail.history[0].reason == "Season over"
    assert prompts == ["Why are these 2 affiliates now paused? (optional)"]


def test_create_an_affiliate_through_the_dialog(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    make_application()
    dialog = AffiliateDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.code, "bad code!")
    assert dialog.errors["code"].isVisible()
    assert not dialog.save_button.isEnabled()
    dialog.code.clear()
    qtbot.keyClicks(dialog.code, "JANE10")  # taken by nobody yet in this database
    qtbot.keyClicks(dialog.name, "Jane Brooks")
    qtbot.keyClicks(dialog.email, "jane@example")
    assert dialog.errors["email"].isVisible()
    qtbot.keyClicks(dialog.email, ".com")
    assert not dialog.errors["email"].isVisible()
    qtbot.keyClicks(dialog.coupons, "JANE10; JANESUMMER")
    qtbot.keyClicks(dialog.tags, "video")
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    assert dialog.saved_id is not None
    detail = get_affiliate(db, dialog.saved_id)
    assert (detail.data.code, detail.data.name, detail.data.email) == ("JANE10", "Jane Brooks", "jane@example.com")
    assert set(detail.data.coupon_codes) == {"JANE10", "JANESUMMER"}
    assert detail.data.tags == ("video",)


def test_duplicate_code_is_shown_next_to_the_field(qtbot, page: AffiliatesPage, db: Database) -> None:  # type: ignore[no-untyped-def]
    dialog = AffiliateDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.code, "jane10")
    qtbot.keyClicks(dialog.name, "Someone Else")
    assert dialog.errors["code"].isVisible()
    assert not dialog.save_button.isEnabled()


def test_a_problem_on_another_tab_is_marked_there(qtbot, page: AffiliatesPage, db: Database) -> None:  # type: ignore[no-untyped-def]
    """A taken coupon typed on the coupons tab greys out Save; back on Profile, the tab and a line say why."""
    create_affiliate(db, AffiliateInput(code="ZOE", name="Zoe Kim", coupon_codes=("ZOE5",)))
    dialog = AffiliateDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.code, "NEWBIE")
    qtbot.keyClicks(dialog.name, "New Partner")
    coupons_tab = next(i for i in range(dialog.tabs.count()) if dialog.tabs.tabText(i).startswith("Coupons"))
    dialog.tabs.setCurrentIndex(coupons_tab)
    qtbot.keyClicks(dialog.coupons, "ZOE5")  # Zoe's coupon
    assert not dialog.save_button.isEnabled()
    assert dialog.summary.text() == ""  # the message is right there, under the field
    dialog.tabs.setCurrentIndex(0)
    assert dialog.tabs.tabText(coupons_tab) == "Coupons, tags and plan ⚠"
    assert dialog.summary.text() == "To fix on 'Coupons, tags and plan'."
    dialog.tabs.setCurrentIndex(coupons_tab)
    dialog.coupons.clear()
    qtbot.keyClicks(dialog.coupons, "NEWBIE5")
    assert dialog.save_button.isEnabled() and dialog.tabs.tabText(coupons_tab) == "Coupons, tags and plan"


def test_a_day_that_does_not_exist_is_called_that(qtbot, page: AffiliatesPage, db: Database) -> None:  # type: ignore[no-untyped-def]
    dialog = AffiliateDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.joined_on.clear()  # today, for a new affiliate
    qtbot.keyClicks(dialog.joined_on, "2026-02-30")
    assert dialog.errors["joined_on"].text() == "There is no such day."
    dialog.joined_on.clear()
    qtbot.keyClicks(dialog.joined_on, "30.02.2026")
    assert dialog.errors["joined_on"].text() == "Write the date as YYYY-MM-DD"


def test_traffic_quality_arrives_in_the_background(qtbot, page: AffiliatesPage) -> None:  # type: ignore[no-untyped-def]
    from desktop.views.affiliate_table_model import COL_QUALITY

    qtbot.waitUntil(lambda: not page.model.unscored_ids(), timeout=10_000)
    text = page.model.data(page.model.index(0, COL_QUALITY))
    assert text.endswith(("good", "fair", "poor"))
    tooltip = page.model.data(page.model.index(0, COL_QUALITY), Qt.ItemDataRole.ToolTipRole)
    assert tooltip
