"""Dashboard: the North Star, KPI tiles against the period before, the leaderboard and the charts, for a date range."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database, QueryError
from desktop.services.dashboard import RANGE_CHOICES, Dashboard, Tile, dashboard_charts, date_range_for, get_dashboard
from desktop.services.metrics import DateRange, format_value
from desktop.services.targets import program_today_of
from desktop.views.chart_widget import ChartWidget
from desktop.views.page_parts import error_text, page_title
from desktop.views.tasks import Task

FIRST_LOAD_DELAY_MS = 250  # after the window's first paint: start-up never waits for the numbers or matplotlib
GOOD, BAD, MUTED = "#1f6f5c", "#b3261e", "#5b6b67"
LEADER_HEADERS = ("#", "Affiliate", "Revenue", "Sales", "Clicks", "Conversion", "EPC", "Commission")
CHARTS = (("revenue_by_month", 0, 0), ("top_affiliates", 0, 1), ("funnel", 1, 0), ("targets", 1, 1))


class TileWidget(QFrame):
    """One KPI: its value, its name, and the change against the period before (green when it is good news)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setSpacing(2)
        self.value = QLabel("—")
        self.value.setObjectName("cardValue")
        self.caption = QLabel()
        self.caption.setObjectName("cardLabel")
        self.change = QLabel()
        for label in (self.value, self.caption, self.change):
            layout.addWidget(label)

    def show_tile(self, tile: Tile, previous_label: str) -> None:
        self.value.setText(tile.value)
        self.caption.setText(tile.label)
        colour = MUTED if tile.good is None else GOOD if tile.good else BAD
        self.change.setText(f"{tile.change or '—'}  vs {tile.previous}")
        self.change.setStyleSheet(f"color: {colour};")
        self.setToolTip(f"{tile.definition}\n{previous_label}: {tile.previous}")


class DashboardPage(QWidget):
    title = "Dashboard"
    loaded = Signal()  # numbers and charts are on screen

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.dashboard: Dashboard | None = None
        self.charts: dict[str, ChartWidget] = {}
        self._painted = False
        self._wanted = False  # a refresh asked for before the first paint
        self._generation = 0
        self._task: Task | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(24, 24, 24, 24)

        head = QHBoxLayout()
        self.heading = page_title("Dashboard", "Your program at a glance.")
        self.subtitle = self.heading.findChild(QLabel, "pageSubtitle")
        head.addWidget(self.heading, 1)
        self.range_choice = QComboBox()
        for key, label in RANGE_CHOICES.items():
            self.range_choice.addItem(label, key)
        self.start_date, self.end_date = QDateEdit(), QDateEdit()
        for edit in (self.start_date, self.end_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.hide()
        head.addWidget(QLabel("Show"), 0, Qt.AlignmentFlag.AlignTop)
        for widget in (self.range_choice, self.start_date, self.end_date):
            head.addWidget(widget, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(head)

        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.hide()
        layout.addWidget(self.notice)
        star = QFrame()
        star.setObjectName("card")
        star_layout = QVBoxLayout(star)
        self.star_title = QLabel("North Star")
        self.star_title.setStyleSheet("font-weight: 600;")
        self.star_bar = QProgressBar()
        self.star_bar.setRange(0, 100)
        self.star_bar.setTextVisible(True)
        self.star_bar.setStyleSheet(
            "QProgressBar { border: 1px solid #dfe6e3; border-radius: 4px; background: white; text-align: center; }"
            "QProgressBar::chunk { background: #8cc5b3; border-radius: 3px; }"
        )
        self.star_text = QLabel()
        for part in (self.star_title, self.star_bar, self.star_text):
            star_layout.addWidget(part)
        layout.addWidget(star)

        grid = QGridLayout()
        self.tiles = [TileWidget() for _ in range(10)]
        for index, tile in enumerate(self.tiles):
            grid.addWidget(tile, index // 5, index % 5)
        layout.addLayout(grid)

        charts = QGridLayout()
        for name, row, column in CHARTS:
            self.charts[name] = ChartWidget(name.replace("_", "-"))
            charts.addWidget(self.charts[name], row, column)
        layout.addLayout(charts)

        layout.addWidget(QLabel("Leaderboard: top affiliates by revenue"))
        self.leaders = QTableWidget(0, len(LEADER_HEADERS))
        self.leaders.setHorizontalHeaderLabels(LEADER_HEADERS)
        self.leaders.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.leaders.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.leaders.verticalHeader().setVisible(False)
        self.leaders.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.leaders.verticalHeader().setDefaultSectionSize(26)
        self.leaders.doubleClicked.connect(self._open_affiliate)
        self.leaders.setToolTip("Double-click an affiliate for the details")
        layout.addWidget(self.leaders)
        layout.addStretch(1)

        self.range_choice.currentIndexChanged.connect(self._range_changed)
        self.start_date.dateChanged.connect(self._dates_changed)
        self.end_date.dateChanged.connect(self._dates_changed)

    # the range --------------------------------------------------------------------------------------------------

    def current_range(self) -> DateRange:
        choice = self.range_choice.currentData()
        today = program_today_of(self.db)
        if choice == "custom":
            start, end = (date(d.year(), d.month(), d.day()) for d in (self.start_date.date(), self.end_date.date()))
            return date_range_for("custom", today, DateRange(min(start, end), max(start, end)))
        return date_range_for(choice, today)

    def set_range(self, choice: str, custom: DateRange | None = None) -> None:
        """Pick a range as the selector would (tests and other pages use it)."""
        if custom is not None:
            for edit, day in ((self.start_date, custom.start), (self.end_date, custom.end)):
                edit.blockSignals(True)
                edit.setDate(QDate(day.year, day.month, day.day))
                edit.blockSignals(False)
        self.range_choice.setCurrentIndex(self.range_choice.findData(choice))
        if choice == "custom":
            self.refresh()

    def _range_changed(self) -> None:
        custom = self.range_choice.currentData() == "custom"
        if custom and self.dashboard is not None and not self.start_date.isVisible():
            shown = self.dashboard.range
            for edit, day in ((self.start_date, shown.start), (self.end_date, shown.end)):
                edit.blockSignals(True)
                edit.setDate(QDate(day.year, day.month, day.day))
                edit.blockSignals(False)
        self.start_date.setVisible(custom)
        self.end_date.setVisible(custom)
        self.refresh()

    def _dates_changed(self) -> None:
        if self.range_choice.currentData() == "custom":
            self.refresh()

    # loading ----------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Compute the dashboard again in the background; before the window's first paint, only remember to."""
        if not self._painted:
            self._wanted = True
            return
        self._generation += 1
        generation = self._generation
        try:
            db, rng = self.db, self.current_range()  # the program's time zone, read here on the GUI thread
        except QueryError as exc:
            self._failed(exc)
            return

        def work(_progress: Any) -> tuple[int, Dashboard, dict[str, Any]]:
            data = get_dashboard(db, rng)
            return generation, data, dashboard_charts(data)  # the figures are built off the GUI thread too

        # Bound methods, not lambdas: Qt drops the connection if the page is deleted while the task still runs.
        self._task = Task(work)
        self._task.finished.connect(self._finished)
        self._task.failed.connect(self._failed)
        self._task.start()
        self.setCursor(Qt.CursorShape.BusyCursor)

    def _finished(self, result: tuple[int, Dashboard, dict[str, Any]]) -> None:
        self._show(*result)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self._wanted = True
            QTimer.singleShot(FIRST_LOAD_DELAY_MS, self._first_load)

    def _first_load(self) -> None:
        if self._wanted:
            self._wanted = False
            self.refresh()

    def load_now(self) -> None:
        """Compute and show at once, on this thread (tests, and a screenshot without the window)."""
        self._painted = True
        self._wanted = False
        self._generation += 1
        data = get_dashboard(self.db, self.current_range())
        self._show(self._generation, data, dashboard_charts(data))

    def _failed(self, exc: Exception) -> None:
        """Whichever range it was for, a failure is worth telling."""
        self.unsetCursor()
        self.notice.setText(f"The dashboard could not be computed: {error_text(exc)}")
        self.notice.setStyleSheet(f"color: {BAD};")
        self.notice.show()

    def _show(self, generation: int, data: Dashboard, charts: dict[str, Any]) -> None:
        if generation != self._generation:
            return  # a later range was asked for meanwhile
        self.unsetCursor()
        self.dashboard = data
        if self.subtitle is not None:
            self.subtitle.setText(f"{data.program_name} · {data.range.label}, compared with {data.previous.label}")
        self.notice.setVisible(not data.has_orders)
        self.notice.setStyleSheet(f"color: {MUTED};")
        self.notice.setText("No orders yet: once your shop's orders and clicks are imported, every number below fills.")
        star = data.north_star
        self.star_title.setText(f"North Star — {star.label}, {star.period}")
        percent = star.percent
        self.star_bar.setValue(int(min(percent or 0, 100)))
        self.star_bar.setFormat("no monthly goal set" if percent is None else f"{percent} % of the goal")
        self.star_text.setText(star.text + (f" · {star.pace}" if star.pace else ""))
        for widget, tile in zip(self.tiles, data.tiles, strict=True):
            widget.show_tile(tile, data.previous.label)
        self._fill_leaders(data)
        for name, chart in charts.items():
            self.charts[name].set_chart(chart)
        self.loaded.emit()

    def _fill_leaders(self, data: Dashboard) -> None:
        self.leaders.setRowCount(len(data.leaders))
        header = self.leaders.horizontalHeader().sizeHint().height()
        self.leaders.setFixedHeight(header + 26 * max(len(data.leaders), 3) + 2 * self.leaders.frameWidth())
        for row, leader in enumerate(data.leaders):
            m = leader.metrics
            values = (str(leader.rank), f"{leader.name} ({leader.code})", format_value("revenue", m.revenue),
                      f"{m.sales:,}", f"{m.clicks:,}", format_value("conversion_rate", m.conversion_rate),
                      format_value("epc", m.epc), format_value("commission", m.commission))  # fmt: skip
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, leader.affiliate_id)
                if column != 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.leaders.setItem(row, column, item)

    def _open_affiliate(self, index: Any) -> None:
        from desktop.views.affiliate_detail import AffiliateDetailDialog

        item = self.leaders.item(index.row(), 0)
        if item is not None:
            AffiliateDetailDialog(self.db, item.data(Qt.ItemDataRole.UserRole), self).exec()
