"""One affiliate's performance: rank among the active ones, the last 30 days, the monthly trend and their targets."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.services.charts import trend_chart
from desktop.services.dashboard import AffiliatePerformance, affiliate_performance
from desktop.services.metrics import format_value
from desktop.views.chart_widget import ChartWidget
from desktop.views.targets_page import progress_bar, state_text

TARGET_HEADERS = ("Month", "Target", "Goal", "Progress", "State", "Rewards")


class AffiliatePerformanceTab(QWidget):
    """Filled by load(), which the detail dialog calls when the tab is first shown (matplotlib loads then)."""

    loaded = Signal()

    def __init__(self, db: Database, affiliate_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.db, self.affiliate_id = db, affiliate_id
        self.today: date | None = None  # None: the program's today
        self.performance: AffiliatePerformance | None = None
        layout = QVBoxLayout(self)
        self.rank = QLabel("…")
        self.rank.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setObjectName("pageSubtitle")
        self.chart = ChartWidget("affiliate-trend", height=240)
        self.targets = QTableWidget(0, len(TARGET_HEADERS))
        self.targets.setHorizontalHeaderLabels(TARGET_HEADERS)
        self.targets.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.targets.verticalHeader().setVisible(False)
        self.targets.verticalHeader().setDefaultSectionSize(28)
        header = self.targets.horizontalHeader()
        for column in (0, 2, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        for widget in (self.rank, self.summary, self.chart):
            layout.addWidget(widget)
        layout.addWidget(QLabel("Targets"))
        layout.addWidget(self.targets, 1)

    @property
    def is_loaded(self) -> bool:
        return self.performance is not None

    def load(self) -> None:
        data = affiliate_performance(self.db, self.affiliate_id, self.today)
        self.performance = data
        window = f"{data.window.start:%d %b} – {data.window.end:%d %b %Y}"
        if data.rank is None:
            self.rank.setText(f"Not active: not ranked among the {data.active:,} active affiliates")
        else:
            self.rank.setText(f"Rank {data.rank:,} of {data.active:,} active affiliates by revenue, last 30 days")
        m = data.last_30_days
        self.summary.setText(
            f"Last 30 days ({window}): revenue {format_value('revenue', m.revenue)} · {m.sales:,} sales · "
            f"{m.clicks:,} clicks · conversion {format_value('conversion_rate', m.conversion_rate)} · "
            f"EPC {format_value('epc', m.epc)} · commission {format_value('commission', m.commission)}"
        )
        points = [(period, month.revenue, month.commission) for period, month in data.trend]
        self.chart.set_chart(trend_chart(points, "Revenue and commission by month"))
        self.targets.clearContents()
        self.targets.setRowCount(len(data.targets))
        for row, view in enumerate(data.targets):
            group = view.data.scope == "all" or view.data.scope.startswith("tag:")
            what = f"{view.metric_label} · {view.scope_label}" if group else view.metric_label
            values = (view.data.period, what, view.goal_text, "",
                      state_text(view), view.reward_text)  # fmt: skip
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.targets.setItem(row, column, item)
            self.targets.setCellWidget(row, 3, progress_bar(view))
        self.targets.setColumnWidth(3, 220)
        self.targets.setVisible(True)
        if not data.targets:
            self.targets.setRowCount(1)
            none = QTableWidgetItem("No targets in the last six months")
            none.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.targets.setItem(0, 1, none)
        self.loaded.emit()
