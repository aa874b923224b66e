"""Fraud & quality: the review queue with filters, a flag's evidence and orders, dismiss or confirm, payout holds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database, DatabaseError
from desktop.money import format_money
from desktop.services.errors import ServiceError, ValidationFailed
from desktop.services.fraud import FlagSummary, scan
from desktop.services.fraud_queue import (
    FlagDetail,
    HoldView,
    confirm,
    dismiss,
    flag_counts,
    flag_detail,
    list_flags,
    list_holds,
    release_hold,
)
from desktop.services.fraud_rules import RULE_LABELS, period_label
from desktop.views.page_parts import FieldError, page_title
from desktop.views.tasks import run_with_progress

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
SEVERITY_COLOURS = {"high": "#b3261e", "medium": "#9a6700", "low": "#5b6b67"}
STATE_CHOICES = (("open", "Open"), ("confirmed", "Confirmed"), ("dismissed", "Dismissed"), (None, "All"))
Index = QModelIndex | QPersistentModelIndex


def _label(text: str = "", *, name: str = "", style: str = "") -> QLabel:
    """A word-wrapping label; `name` picks a style from the style sheet (pageSubtitle)."""
    label = QLabel(text)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    if style:
        label.setStyleSheet(style)
    return label


class RowsModel(QAbstractTableModel):
    """A read-only table of frozen rows: `cells(row)` gives the texts, `keys(row)` the values to sort by."""

    def __init__(self, headers: Sequence[str], cells: Callable[[Any], Sequence[str]],
                 keys: Callable[[Any], Sequence[Any]] | None = None, parent: Any = None):  # fmt: skip
        super().__init__(parent)
        self._headers, self._cells, self._keys = tuple(headers), cells, keys or cells
        self._rows: tuple[Any, ...] = ()
        self.colour: Callable[[Any, int], str | None] = lambda _row, _col: None

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
        return self._headers[section] if horizontal else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, col = self._rows[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._cells(row)[col]
        if role == SORT_ROLE:
            return self._keys(row)[col]
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ForegroundRole and (colour := self.colour(row, col)):
            return QBrush(QColor(colour))
        return None


def _table(model: RowsModel, stretch: int | None, sort_column: int = -1) -> QTableView:
    """A table of `model`; the `stretch` column takes the room left, or with None every column keeps the width of
    its text and the table scrolls sideways when they do not fit."""
    proxy = QSortFilterProxyModel(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    table = QTableView()
    table.setModel(proxy)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    for col in range(model.columnCount()):
        mode = QHeaderView.ResizeMode.Stretch if col == stretch else QHeaderView.ResizeMode.ResizeToContents
        header.setSectionResizeMode(col, mode)
    if stretch is None:
        header.setStretchLastSection(True)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    if sort_column >= 0:
        table.setSortingEnabled(True)
        table.sortByColumn(sort_column, Qt.SortOrder.AscendingOrder)
    return table


def _combo(choices: Sequence[tuple[str | None, str]]) -> QComboBox:
    box = QComboBox()
    for key, label in choices:
        box.addItem(label, key)
    return box


def _flag_cells(f: FlagSummary) -> tuple[str, ...]:
    return (f.severity.capitalize(), f.rule_label, f.affiliate_name or "—", f.period or "—", f.evidence,
            f.state.capitalize())  # fmt: skip


def _flag_keys(f: FlagSummary) -> tuple[Any, ...]:
    rank = {"high": 0, "medium": 1, "low": 2}.get(f.severity, 3)
    return (rank, f.rule_label, f.affiliate_name.casefold(), f.period or "", f.evidence, f.state)


class FlagDecisionDialog(QDialog):
    """Dismiss (a reason) or confirm (an action and a reason) one flag; the service call happens on OK."""

    def __init__(self, parent: QWidget, db: Database, detail: FlagDetail, confirming: bool):
        super().__init__(parent)
        self.db, self.detail, self.confirming = db, detail, confirming
        self.result_message = ""
        flag = detail.flag
        self.setWindowTitle(f"{'Confirm' if confirming else 'Dismiss'}: {flag.rule_label}")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.addWidget(_label(f"<b>{escape(flag.affiliate_name or 'No affiliate')}</b>: {escape(flag.evidence)}"))
        self.reject_orders = QRadioButton(f"Reject the orders ({detail.rejectable} of {len(detail.orders)}); "
                                          "the reason goes into their history")  # fmt: skip
        self.hold = QRadioButton(f"Hold {flag.affiliate_name or 'the affiliate'}'s payout until you release it")
        if confirming:
            layout.addWidget(QLabel("What should happen?"))
            self.reject_orders.setEnabled(detail.rejectable > 0)
            self.hold.setEnabled(flag.affiliate_id is not None)
            (self.reject_orders if detail.rejectable else self.hold).setChecked(True)
            layout.addWidget(self.reject_orders)
            if detail.on_paid_sheets:
                layout.addWidget(_label(f"{detail.on_paid_sheets} of the orders are on an approved or paid payout "
                                        "sheet and stay as they are: correct them with a refund adjustment on the "
                                        "next sheet.", name="pageSubtitle"))  # fmt: skip
            layout.addWidget(self.hold)
        layout.addWidget(QLabel("Reason" if confirming else "Why is this a false alarm?"))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("One sentence is enough; it is kept with the flag")
        self.error = FieldError()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Confirm" if confirming else "Dismiss")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for widget in (self.reason, self.error, buttons):
            layout.addWidget(widget)

    def accept(self) -> None:
        reason, flag_id = self.reason.text(), self.detail.flag.id
        try:
            if self.confirming:
                action = "reject_orders" if self.reject_orders.isChecked() else "hold_payout"
                self.result_message = confirm(self.db, flag_id, action, reason).message
            else:
                dismiss(self.db, flag_id, reason)
                self.result_message = "Flag dismissed; a rescan will not raise it again."
        except ValidationFailed as exc:
            self._say(next(iter(exc.errors.values()), str(exc)))
            return
        except (ServiceError, DatabaseError) as exc:
            self._say(str(exc))
            return
        super().accept()

    def _say(self, message: str) -> None:
        """The message under the reason; the dialog grows to keep every wrapped line whole (it did not, and the
        evidence was cut off)."""
        self.error.show_message(message)
        layout = self.layout()
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else self.sizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)


class FraudPage(QWidget):
    title = "Fraud & quality"

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.detail: FlagDetail | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addWidget(page_title("Fraud & quality", "The rules check every import for self-referrals, duplicate "
                                   "orders, click floods, odd conversion and refund rates, leaked coupons, shared "
                                   "payee details and more. Dismiss a false alarm, or confirm a flag and reject "
                                   "its orders or hold the payout."))  # fmt: skip
        filters = QHBoxLayout()
        self.state_filter = _combo(STATE_CHOICES)
        self.rule_filter = _combo(((None, "All rules"), *RULE_LABELS.items()))
        self.severity_filter = _combo(((None, "Any severity"), ("high", "High"), ("medium", "Medium"), ("low", "Low")))
        self.scan_button = QPushButton("Scan all data")
        self.scan_button.setToolTip("Run every rule over all months now (imports run them for their months)")
        for label, widget in (("Show", self.state_filter), ("Rule", self.rule_filter),
                              ("Severity", self.severity_filter)):  # fmt: skip
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
            widget.currentIndexChanged.connect(lambda _i: self.refresh())
        filters.addStretch(1)
        filters.addWidget(self.scan_button)
        outer.addLayout(filters)
        self.message = _label()
        outer.addWidget(self.message)

        self.flags = RowsModel(("Severity", "Rule", "Affiliate", "Month", "Evidence", "State"), _flag_cells,
                               _flag_keys, self)  # fmt: skip
        self.flags.colour = lambda f, col: SEVERITY_COLOURS.get(f.severity) if col == 0 else None
        self.flag_table = _table(self.flags, 4, sort_column=0)
        for col, width in ((1, 130), (2, 120)):  # room for the evidence, the column that matters
            self.flag_table.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            self.flag_table.setColumnWidth(col, width)
        # Two lines a row: the rule's name and the evidence wrap instead of ending after a word or two.
        self.flag_table.setWordWrap(True)
        self.flag_table.setTextElideMode(Qt.TextElideMode.ElideRight)
        two_lines = self.flag_table.fontMetrics().lineSpacing() * 2 + 10
        self.flag_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.flag_table.verticalHeader().setDefaultSectionSize(two_lines)
        self.flag_table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show(cur))
        self.empty = _label(name="pageSubtitle")
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 8, 0)
        left_box.addWidget(self.flag_table, 1)
        left_box.addWidget(self.empty)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self._evidence_panel())
        splitter.setSizes([620, 580])
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(splitter)
        vertical.addWidget(self._holds_box())
        vertical.setSizes([560, 170])
        outer.addWidget(vertical, 1)
        self.scan_button.clicked.connect(self.scan_all)
        self.dismiss_button.clicked.connect(lambda: self.decide(False))
        self.confirm_button.clicked.connect(lambda: self.decide(True))
        self.release_button.clicked.connect(self.release)

    def _evidence_panel(self) -> QWidget:
        panel = QFrame()
        panel.setMinimumWidth(380)
        box = QVBoxLayout(panel)
        box.setContentsMargins(8, 0, 0, 0)
        self.heading = _label(style="font-size: 15px; font-weight: 600;")
        self.evidence = _label()
        self.evidence.setTextFormat(Qt.TextFormat.PlainText)
        self.evidence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.evidence.setStyleSheet("background: #f6f8f7; border: 1px solid #dfe6e3; border-radius: 6px; padding: 8px;")
        self.status = _label(name="pageSubtitle")
        # The customer's address is often the proof (a self-referral, a throwaway address): it comes right after the
        # order and is never squeezed; what does not fit scrolls sideways (it was cut to "die…").
        self.orders = RowsModel(("Order", "Customer", "Amount", "Status", "Date", "Paid sheet"),
                                lambda o: (o.order_id, o.customer_email or "—", format_money(o.amount, o.currency),
                                           o.status, f"{o.occurred_at:%Y-%m-%d}", "yes" if o.on_paid_sheet else ""),
                                parent=self)  # fmt: skip
        self.order_table = _table(self.orders, None)
        buttons = QHBoxLayout()
        self.dismiss_button, self.confirm_button = QPushButton("Dismiss…"), QPushButton("Confirm…")
        self.confirm_button.setObjectName("primary")
        self.dismiss_button.setToolTip("A false alarm: close the flag with a reason")
        self.confirm_button.setToolTip("It is fraud: reject the orders or hold the payout")
        buttons.addStretch(1)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.confirm_button)
        for widget in (self.heading, self.evidence, self.status):
            box.addWidget(widget)
        box.addWidget(self.order_table, 1)
        box.addLayout(buttons)
        return panel

    def _holds_box(self) -> QWidget:
        group = QGroupBox("Payout holds")
        box = QVBoxLayout(group)
        hint = _label("A held affiliate shows as held on payout sheets and stays out of PayPal files until released.",
                      name="pageSubtitle")
        self.holds = RowsModel(("Affiliate", "Since", "Reason", "Released"),
                               lambda h: (f"{h.affiliate_name} ({h.affiliate_code})", f"{h.since:%Y-%m-%d}", h.reason,
                                          f"{h.released_at:%Y-%m-%d} by {h.released_by}" if h.released_at else "—"),
                               parent=self)  # fmt: skip
        self.hold_table = _table(self.holds, 2)
        row = QHBoxLayout()
        self.show_released = QCheckBox("Show released holds")
        self.show_released.toggled.connect(lambda _on: self._load_holds())
        self.release_button = QPushButton("Release hold")
        row.addWidget(self.show_released)
        row.addStretch(1)
        row.addWidget(self.release_button)
        box.addWidget(hint)
        box.addWidget(self.hold_table, 1)
        box.addLayout(row)
        self.hold_table.selectionModel().currentRowChanged.connect(lambda _c, _p: self._hold_selected())
        return group

    # loading ------------------------------------------------------------------------------------------------

    def refresh(self, *, then_next: bool = False) -> None:
        """Reload; the flag shown stays selected and in view. `then_next`: after a decision or a scan, when it left
        the list (confirmed, dismissed, no longer found) the one after it is selected, ready for review."""
        keep = self.detail.flag.id if self.detail else None
        row = self.flag_table.currentIndex().row()
        try:
            counts = flag_counts(self.db)
            rows = list_flags(self.db, state=self.state_filter.currentData(), rule=self.rule_filter.currentData(),
                              severity=self.severity_filter.currentData())  # fmt: skip
        except (ServiceError, DatabaseError) as exc:
            self._say(str(exc), error=True)
            return
        for index, (key, label) in enumerate(STATE_CHOICES):
            self.state_filter.setItemText(index, f"{label} ({counts[key]})" if key else label)
        self.flag_table.setColumnHidden(5, self.state_filter.currentData() is not None)  # the filter says it
        self.flags.set_rows(rows)
        self.empty.setText("" if rows else "No flags here. The rules run after every import; "
                           "“Scan all data” runs them now.")  # fmt: skip
        self.empty.setVisible(not rows)
        if keep is None or not self.select_flag(keep):
            next_row = min(row, len(rows) - 1) if keep is not None and then_next else -1
            if next_row >= 0:
                self._select(self.flag_table.model().index(next_row, 0))
            else:
                self._show_detail(None)
        self._load_holds()

    def _load_holds(self) -> None:
        self.holds.set_rows(list_holds(self.db, include_released=self.show_released.isChecked()))
        self._hold_selected()

    def _hold_selected(self) -> None:
        hold = self.hold_table.currentIndex().data(ROW_ROLE)
        self.release_button.setEnabled(isinstance(hold, HoldView) and hold.open)  # only an open hold can end

    def select_flag(self, flag_id: int) -> bool:
        proxy = self.flag_table.model()
        for row in range(proxy.rowCount()):
            index = proxy.index(row, 0)
            if index.data(ROW_ROLE).id == flag_id:
                self._select(index)
                return True
        return False

    def _select(self, index: QModelIndex) -> None:
        self.flag_table.setCurrentIndex(index)
        self.flag_table.scrollTo(index)
        self._show(index)

    def _show(self, index: QModelIndex) -> None:
        flag = index.data(ROW_ROLE) if index.isValid() else None
        try:
            detail = flag_detail(self.db, flag.id) if flag else None
        except (ServiceError, DatabaseError) as exc:  # gone meanwhile: a rescan found its evidence gone
            detail = None
            self._say(str(exc), error=True)
        self._show_detail(detail)

    def _show_detail(self, detail: FlagDetail | None) -> None:
        self.detail = detail
        self.evidence.setVisible(detail is not None)
        self.order_table.setVisible(bool(detail and detail.orders))
        self.orders.set_rows(detail.orders if detail else ())
        for button in (self.dismiss_button, self.confirm_button):
            button.setEnabled(detail is not None and detail.flag.state == "open")
        if detail is None:
            self.heading.setText("Select a flag to see its evidence and the orders behind it.")
            self.status.setText("")
            return
        f = detail.flag
        who = f"{f.affiliate_name} ({f.affiliate_code})" if f.affiliate_code else "No single affiliate"
        when = f" · {period_label(f.period)}" if f.period else ""
        colour = SEVERITY_COLOURS.get(f.severity, "#5b6b67")
        self.heading.setText(f"{escape(f.rule_label)} <span style='color:{colour}'>· {f.severity}</span><br>"
                             f"<span style='font-weight:400'>{escape(who)}{when}</span>")  # fmt: skip
        self.evidence.setText(f.evidence)
        status = f"Raised {f.raised_at:%d %b %Y}. "
        if f.state != "open":
            action = {"reject_orders": " (orders rejected)", "hold_payout": " (payout held)"}.get(f.action or "", "")
            status += f"{f.state.capitalize()}{action} by {f.resolved_by} on {f.resolved_at:%d %b %Y}: {f.resolution}"
        elif detail.orders:
            status += f"{len(detail.orders)} orders behind it; {detail.rejectable} can still be rejected."
        else:
            status += "No single orders are behind it: confirming it holds the payout."
        self.status.setText(status)

    # actions ------------------------------------------------------------------------------------------------

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {'#b3261e' if error else '#1f6f5c'};")
        self.message.setText(text)

    def decide(self, confirming: bool) -> None:
        if self.detail is None:
            return
        dialog = FlagDecisionDialog(self, self.db, self.detail, confirming)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._say(dialog.result_message)
            self.refresh(then_next=True)

    def release(self) -> None:
        hold = self.hold_table.currentIndex().data(ROW_ROLE)
        if not isinstance(hold, HoldView) or not hold.open:
            return
        answer = QMessageBox.question(self, "Release hold", f"Release the payout hold of {hold.affiliate_name}? "
                                      "Their balance is paid with the next payout sheet built.")  # fmt: skip
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            release_hold(self.db, hold.id)
            self._say(f"The hold on {hold.affiliate_name}'s payout was released.")
        except (ServiceError, DatabaseError) as exc:
            self._say(str(exc), error=True)
        self.refresh()

    def scan_all(self) -> None:
        db = self.db

        def done(result: Any) -> None:
            self._say(f"Scan finished: {len(result.open_flags)} open flags, {result.new} new, "
                      f"{result.removed} no longer found.")  # fmt: skip
            self.refresh(then_next=True)

        self.scan_button.setEnabled(False)
        failed = lambda exc: self._say(f"The scan failed: {exc}", error=True)  # noqa: E731
        self.scan_task = run_with_progress(self, "Checking for fraud…", lambda progress: scan(db, progress=progress),
                                           done, failed)  # fmt: skip
        for signal in (self.scan_task.finished, self.scan_task.failed, self.scan_task.cancelled):
            signal.connect(lambda *_args: self.scan_button.setEnabled(True))
