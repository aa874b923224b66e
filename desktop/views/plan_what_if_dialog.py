"""The what-if dialog: a past month under the plan as edited in the form, against what it paid; nothing is saved."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.money import format_money
from desktop.services.errors import ServiceError
from desktop.services.plan_input import PlanInput
from desktop.services.plan_what_if import WhatIfResult, WhatIfRow, periods_available, what_if
from desktop.views.tasks import Task, run_with_progress

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the WhatIfRow itself
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # the raw value
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
COL_AFFILIATE, COL_SALES, COL_REVENUE, COL_PAID, COL_WOULD_PAY, COL_DIFFERENCE = range(6)
_HEADERS = ("Affiliate", "Sales", "Revenue", "Paid", "Would pay", "Difference")
_MORE = QColor("#1a7f37")  # the affiliate would earn more
_LESS = QColor("#b3261e")
SHEET_WORDS = {None: "no sheet yet", "draft": "draft sheet", "approved": "approved sheet", "paid": "paid sheet"}


def signed(amount: Decimal) -> str:
    return f"+{format_money(amount)}" if amount > 0 else format_money(amount)


def _raw(row: WhatIfRow, column: int) -> Any:
    if column == COL_AFFILIATE:
        return row.code.casefold()
    return (row.sales, row.revenue, row.did_pay, row.would_pay, row.difference)[column - 1]


class WhatIfTableModel(QAbstractTableModel):
    """One row per affiliate of the plan with orders in the month; amounts right-aligned, the difference coloured."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._rows: list[WhatIfRow] = []
        self._paid_header = _HEADERS[COL_PAID]

    def set_result(self, result: WhatIfResult | None) -> None:
        self.beginResetModel()
        self._rows = list(result.rows) if result else []
        no_sheet = result is not None and result.sheet_state is None
        self._paid_header = "Saved plan pays" if no_sheet else _HEADERS[COL_PAID]
        self.endResetModel()

    def row_at(self, row: int) -> WhatIfRow:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._paid_header if section == COL_PAID else _HEADERS[section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._rows.sort(key=lambda row: _raw(row, column), reverse=order == Qt.SortOrder.DescendingOrder)
        self.layoutChanged.emit()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == COL_AFFILIATE:
                return f"{row.code} · {row.name}" if row.name else row.code
            if column == COL_SALES:
                return f"{row.sales:,}"
            if column == COL_DIFFERENCE:
                return signed(row.difference)
            return format_money(_raw(row, column))
        if role == Qt.ItemDataRole.TextAlignmentRole and column != COL_AFFILIATE:
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_DIFFERENCE and row.difference:
            return QBrush(_MORE if row.difference > 0 else _LESS)
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_WOULD_PAY and row.would_over_cap:
            return f"The edited plan's cap cuts {format_money(row.would_over_cap)}"
        if role == SORT_ROLE:
            return _raw(row, column)
        if role == ROW_ROLE:
            return row
        return None


class WhatIfDialog(QDialog):
    """Pick a month; the replay runs in the background and fills the summary and the table."""

    def __init__(self, db: Database, plan_id: int, data: PlanInput, parent: QWidget | None = None):
        super().__init__(parent)
        self.db, self.plan_id, self.data = db, plan_id, data
        self.result: WhatIfResult | None = None
        self.task: Task | None = None
        self._asked = 0  # the latest replay asked for: an earlier one that ends later is ignored
        self.setWindowTitle(f"What if: {data.name.strip() or 'the plan'} as edited")
        self.resize(860, 520)

        layout = QVBoxLayout(self)
        self.note = QLabel(
            "Nothing is saved: this replays a past month under the terms in the form, against what it paid. "
            "The plan changes only when you press Save plan."
        )
        self.note.setWordWrap(True)
        self.note.setStyleSheet("background: #fff4d6; border: 1px solid #f0d48a; padding: 6px;")
        layout.addWidget(self.note)

        picker = QHBoxLayout()
        picker.addWidget(QLabel("Month"))
        self.month = QComboBox()
        picker.addWidget(self.month)
        picker.addStretch(1)
        layout.addLayout(picker)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-size: 14px; font-weight: 600;")
        self.basis = QLabel()
        self.basis.setObjectName("pageSubtitle")
        self.basis.setWordWrap(True)
        layout.addWidget(self.summary)
        layout.addWidget(self.basis)

        self.model = WhatIfTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_DIFFERENCE, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_AFFILIATE, QHeaderView.ResizeMode.Stretch)
        for column in range(COL_SALES, len(_HEADERS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        self.totals = QLabel()
        self.totals.setAlignment(Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.totals)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        periods = periods_available(db)
        for choice in periods.choices:
            self.month.addItem(f"{choice.label} · {SHEET_WORDS.get(choice.sheet_state, choice.sheet_state)}",
                               choice.period)  # fmt: skip
        if not periods.choices:
            self.summary.setText("There are no approved orders yet: there is no month to replay.")
            self.month.setEnabled(False)
            return
        self.month.setCurrentIndex(max(0, self.month.findData(periods.default)))
        self.month.currentIndexChanged.connect(lambda _: self.replay())
        self.replay()

    def replay(self) -> None:
        """Run the what-if of the chosen month in the background."""
        period = self.month.currentData()
        if period is None:
            return
        if self.task is not None:
            self.task.cancel()
        self._asked += 1
        asked = self._asked
        self.result = None
        self.model.set_result(None)
        label = self.month.currentText().split(" · ")[0]
        self.summary.setText(f"Replaying {label}…")
        self.summary.setStyleSheet("font-size: 14px; font-weight: 600;")
        self.basis.setText("")
        self.totals.setText("")
        db, plan_id, data = self.db, self.plan_id, self.data

        def work(progress: Any) -> WhatIfResult:
            return what_if(db, plan_id, data, period, progress=progress)

        def done(result: WhatIfResult) -> None:
            if asked == self._asked:
                self.task = None
                self.show_result(result)

        def failed(exc: Exception) -> None:
            if asked == self._asked:
                self.task = None
                text = str(exc) if isinstance(exc, ServiceError) else f"{type(exc).__name__}: {exc}"
                self.summary.setStyleSheet("font-size: 14px; font-weight: 600; color: #b3261e;")
                self.summary.setText(text)

        def cancelled() -> None:
            if asked == self._asked:
                self.task = None
                self.summary.setText("Cancelled: pick a month to replay it again.")

        self.task = run_with_progress(self, f"Replaying {label}", work, done, failed)
        self.task.cancelled.connect(cancelled)

    def show_result(self, result: WhatIfResult) -> None:
        self.result = result
        self.model.set_result(result)
        header = self.table.horizontalHeader()
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.summary.setText(result.summary)
        earlier = ""
        if result.earlier_orders:
            orders = "1 order" if result.earlier_orders == 1 else f"{result.earlier_orders:,} orders"
            earlier = f" · with {orders} of earlier months that no sheet took yet, as its sheet would"
        self.basis.setText(
            f"Paid: {result.basis} · would pay: the form's terms, cap included, on the same order lines · "
            f"amounts in {result.currency}{earlier}"
        )
        if result.rows:
            self.totals.setText(
                f"Total: {result.sales:,} sales · revenue {format_money(result.revenue)} · paid "
                f"{format_money(result.did_pay)} · would pay {format_money(result.would_pay)} · "
                f"difference {signed(result.difference)}"
            )

    def done(self, code: int) -> None:
        """Closing stops a replay still running."""
        if self.task is not None:
            self.task.cancel()
            self.task = None
        super().done(code)
