"""The dashboard page driven like a person: it renders demo data, the range selector changes it, charts save."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from test_metrics import demo_orders, hand_worked

from desktop.db import Database
from desktop.services.demo import load_demo
from desktop.services.demo_targets import load_demo_targets
from desktop.services.metrics import DateRange
from desktop.views.dashboard_page import DashboardPage

WAIT_MS = 20_000


@pytest.fixture
def page(qtbot, db: Database) -> DashboardPage:  # type: ignore[no-untyped-def]
    widget = DashboardPage(db)
    qtbot.addWidget(widget)
    widget.resize(1200, 900)
    return widget


def shown(qtbot, page: DashboardPage) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        page.show()
        page.refresh()


def tile_values(page: DashboardPage) -> dict[str, str]:
    return {tile.caption.text(): tile.value.text() for tile in page.tiles}


def test_nothing_is_computed_before_the_first_paint(qtbot, page: DashboardPage) -> None:  # type: ignore[no-untyped-def]
    page.refresh()  # as the main window does while it is being built
    assert page.dashboard is None and page._task is None
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        page.show()  # the first paint schedules the load
    assert page.dashboard is not None


def test_renders_the_demo(qtbot, db: Database, page: DashboardPage, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    today = date.today()
    load_demo(db, affiliates=40, today=today)
    demo_orders(db, today)
    load_demo_targets(db, today=today)
    page.set_range("last_3_months")
    shown(qtbot, page)
    board = page.dashboard
    assert board is not None and board.has_orders and not page.notice.isVisible()
    assert tile_values(page)["Revenue"] not in ("", "—", "0.00")
    assert page.leaders.rowCount() == len(board.leaders) > 0
    assert page.leaders.item(0, 1).text().endswith(f"({board.leaders[0].code})")
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

    for name, widget in page.charts.items():
        assert isinstance(widget.canvas, FigureCanvasQTAgg), name
        assert widget.save_button.isEnabled()
    assert page.charts["targets"].chart is not None and not page.charts["targets"].chart.empty
    assert page.charts["top_affiliates"].chart.labels[0] == board.leaders[0].code  # type: ignore[union-attr]
    assert page.star_title.text().startswith("North Star — Sales revenue")
    saved = page.charts["revenue_by_month"].save_to(tmp_path / "revenue.svg")
    assert b"<svg" in saved.read_bytes()[:400]
    page.grab().save(str(tmp_path / "dashboard.png"))


def test_the_range_changes_what_it_shows(qtbot, db: Database, page: DashboardPage) -> None:  # type: ignore[no-untyped-def]
    hand_worked(db)
    page.set_range("custom", DateRange.month("2026-10"))
    shown(qtbot, page)
    october = tile_values(page)
    assert (october["Revenue"], october["Sales"], october["Clicks"]) == ("400.00", "4", "70")
    assert "October 2026, compared with September 2026" in page.subtitle.text()  # type: ignore[union-attr]
    assert page.start_date.isVisible() and page.end_date.isVisible()
    assert page.charts["funnel"].chart.series["count"] == (70.0, 7.0, 4.0)  # type: ignore[union-attr]

    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        page.set_range("custom", DateRange.month("2026-09"))
    september = tile_values(page)
    assert (september["Revenue"], september["Sales"]) == ("999.00", "1")
    assert page.leaders.rowCount() == 1

    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        page.range_choice.setCurrentIndex(page.range_choice.findData("last_12_months"))
    assert not page.start_date.isVisible()
    assert page.dashboard is not None and len(page.dashboard.range.periods) == 12


def test_an_empty_database_explains_itself(qtbot, page: DashboardPage) -> None:  # type: ignore[no-untyped-def]
    shown(qtbot, page)
    assert page.notice.isVisible() and "imported" in page.notice.text()
    assert tile_values(page)["Revenue"] == "0.00"
    assert page.charts["revenue_by_month"].chart.empty  # type: ignore[union-attr]
    assert not page.charts["revenue_by_month"].save_button.isEnabled()  # nothing worth saving
    assert "no monthly goal yet" in page.star_text.text()


def test_the_affiliate_detail_has_a_performance_tab(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    from desktop.services.targets import TargetInput
    from desktop.services.targets_settle import create_target
    from desktop.views.affiliate_detail import AffiliateDetailDialog

    ids = hand_worked(db)
    create_target(db, TargetInput("JANE", "revenue", "2026-10", goal=__import__("decimal").Decimal("250.00")),
                  today=date(2026, 11, 2))  # fmt: skip
    dialog = AffiliateDetailDialog(db, ids["JANE"])
    qtbot.addWidget(dialog)
    tab = dialog.performance
    assert tab is not None and not tab.is_loaded  # nothing computed until someone looks
    tab.today = date(2026, 11, 2)
    dialog.tabs.setCurrentWidget(tab)
    assert tab.is_loaded and tab.performance is not None
    assert tab.rank.text().startswith("Rank ") and "of 3 active affiliates" in tab.rank.text()
    assert tab.chart.chart is not None and len(tab.chart.chart.labels) == 12
    assert tab.targets.rowCount() == 1 and tab.targets.item(0, 0).text() == "2026-10"
    assert tab.targets.item(0, 4).text() == "Met"
