"""The drill-down of one payout row: the order lines with their rule and trace, and the adjustments with reasons."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.services.errors import ServiceError
from desktop.services.payouts import (
    AdjustmentRow,
    CommissionLineRow,
    LineDetails,
    add_adjustment,
    remove_adjustment,
    sheet_line_details,
)
from desktop.views.payout_dialogs import AdjustmentDialog, AdjustmentRequest
from desktop.views.payout_table_model import RIGHT, ROW_ROLE, money

Index = QModelIndex | QPersistentModelIndex
LINE_HEADERS = ("Order", "Date", "Type", "Line", "SKU", "Qty", "Amount", "Commission", "Rule", "Trace")
ADJUSTMENT_HEADERS = ("Period", "Kind", "Amount", "Reason", "Order", "Added")


class _RowsModel(QAbstractTableModel):
    headers: tuple[str, ...] = ()
    right: tuple[int, ...] = ()

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def cells(self, row: Any) -> tuple[str, ...]:
        raise NotImplementedError

    def tooltip(self, row: Any) -> str:
        return ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(row)[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.right:
            return RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row)
        return None


class CommissionLineModel(_RowsModel):
    headers = LINE_HEADERS
    right = (3, 5, 6, 7)

    def cells(self, row: CommissionLineRow) -> tuple[str, ...]:
        return (row.order_id, row.local_date.isoformat(), row.type, str(row.line_no), row.sku or "",
                str(row.quantity), money(row.amount), money(row.commission), row.rule, row.trace)  # fmt: skip

    def tooltip(self, row: CommissionLineRow) -> str:
        return row.trace


class AdjustmentModel(_RowsModel):
    headers = ADJUSTMENT_HEADERS
    right = (2,)

    def cells(self, row: AdjustmentRow) -> tuple[str, ...]:
        added = f"{row.created_at:%Y-%m-%d} by {row.created_by}"
        return (row.period, row.kind.replace("_", " "), money(row.amount), row.reason, row.order_id or "", added)

    def tooltip(self, row: AdjustmentRow) -> str:
        return row.reason


def _table(model: QAbstractTableModel, stretch: int) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setResizeContentsPrecision(200)  # an affiliate may have thousands of lines
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


class LineDetailsDialog(QDialog):
    """Why an affiliate gets what the sheet says: every order line with its trace, and every adjustment."""

    adjustments_changed = Signal()

    def __init__(self, db: Database, period: str, affiliate_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.period = period
        self.affiliate_id = affiliate_id
        self.resize(1000, 640)
        layout = QVBoxLayout(self)
        # An affiliate's name, a plan's name or an order id is plain text, never markup (nor an image to load).
        self.heading = QLabel()
        self.heading.setObjectName("pageTitle")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.figures = QLabel()
        self.figures.setTextFormat(Qt.TextFormat.RichText)
        self.figures.setWordWrap(True)
        layout.addWidget(self.heading)
        layout.addWidget(self.figures)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.lines_model = CommissionLineModel(self)
        self.lines = _table(self.lines_model, LINE_HEADERS.index("Trace"))
        self.trace = QPlainTextEdit()
        self.trace.setReadOnly(True)
        self.trace.setPlaceholderText("Select an order line to see how its commission was computed.")
        self.trace.setMaximumHeight(70)
        top = QWidget()
        top_box = QVBoxLayout(top)
        top_box.setContentsMargins(0, 0, 0, 0)
        self.lines_label = QLabel()
        self.lines_label.setTextFormat(Qt.TextFormat.PlainText)
        top_box.addWidget(self.lines_label)
        top_box.addWidget(self.lines, 1)
        top_box.addWidget(self.trace)
        bottom = QWidget()
        bottom_box = QVBoxLayout(bottom)
        bottom_box.setContentsMargins(0, 0, 0, 0)
        bottom_box.addWidget(QLabel("Bonuses and adjustments"))
        self.adjustments_model = AdjustmentModel(self)
        self.adjustments = _table(self.adjustments_model, ADJUSTMENT_HEADERS.index("Reason"))
        bottom_box.addWidget(self.adjustments, 1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add bonus or adjustment…")
        self.remove_button = QPushButton("Remove")
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.message, 1)
        bottom_box.addLayout(buttons)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setSizes([420, 200])
        layout.addWidget(splitter, 1)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)

        self.lines.selectionModel().currentRowChanged.connect(self._show_trace)
        self.adjustments.selectionModel().selectionChanged.connect(self._update_buttons)
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove_selected)
        self.details: LineDetails | None = None
        self.load()

    def load(self) -> None:
        details = sheet_line_details(self.db, self.period, self.affiliate_id)
        self.details = details
        row = details.row
        self.setWindowTitle(f"{row.affiliate_code} — {self.period}")
        self.heading.setText(f"{row.affiliate_code} — {row.affiliate_name} · {self.period} ({details.state})")
        over = f" ({money(row.over_cap)} over the cap)" if row.over_cap else ""
        self.figures.setText(
            f"Commission {money(row.commission)}{over} · bonuses {money(row.bonuses)} · adjustments "
            f"{money(row.adjustments)} · carried in {money(row.carried_in)} → payable <b>{money(row.payable)}</b>, "
            f"carried out {money(row.carried_out)} {escape(row.currency)} · {escape(row.status)}"
            + (f" · plan {escape(row.plan)}" if row.plan else "")
        )
        self.lines_model.set_rows(list(details.lines))
        orders = len({line.conversion_id for line in details.lines})
        self.lines_label.setText(
            f"{len(details.lines):,} order lines of {orders:,} orders (hover a line for its trace)"
        )
        self.adjustments_model.set_rows(list(details.adjustments))
        self.add_button.setEnabled(details.state == "draft")
        self._update_buttons()

    def _show_trace(self, current: QModelIndex, _previous: QModelIndex) -> None:
        line = self.lines_model.data(current, ROW_ROLE) if current.isValid() else None
        self.trace.setPlainText(line.trace if isinstance(line, CommissionLineRow) else "")

    def selected_adjustment(self) -> AdjustmentRow | None:
        rows = self.adjustments.selectionModel().selectedRows()
        found = self.adjustments_model.data(rows[0], ROW_ROLE) if rows else None
        return found if isinstance(found, AdjustmentRow) else None

    def _update_buttons(self) -> None:
        chosen = self.selected_adjustment()
        self.remove_button.setEnabled(chosen is not None and chosen.removable)

    def ask_adjustment(self) -> AdjustmentRequest | None:
        """The bonus or adjustment to add (tests answer it without a dialog)."""
        assert self.details is not None
        row = self.details.row
        dialog = AdjustmentDialog(self.period, [(row.affiliate_id, row.affiliate_code)], row.affiliate_id, self)
        return dialog.request() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def ask(self, title: str, question: str) -> bool:
        return QMessageBox.question(self, title, question) == QMessageBox.StandardButton.Yes

    def add(self) -> None:
        request = self.ask_adjustment()
        if request is None:
            return
        try:
            add_adjustment(self.db, self.period, request.affiliate_id, request.kind, request.amount, request.reason)
        except ServiceError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("Added: build the sheet again to see it in the numbers.")
        self.load()
        self.adjustments_changed.emit()

    def remove_selected(self) -> None:
        chosen = self.selected_adjustment()
        if chosen is None or not self.ask("Remove?", f"Remove the {chosen.kind} of {money(chosen.amount)}?"):
            return
        try:
            remove_adjustment(self.db, chosen.id)
        except ServiceError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("Removed: build the sheet again to see it in the numbers.")
        self.load()
        self.adjustments_changed.emit()
