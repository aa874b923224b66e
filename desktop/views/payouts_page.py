"""Payouts: the periods with their state on the left; the selected sheet, its changes and its actions on the right."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.services.errors import ServiceError
from desktop.services.payout_state import earliest_payment_day
from desktop.services.payouts import (
    SheetInfo,
    add_adjustment,
    approve_sheet,
    build_payout_sheet,
    delete_draft,
    export_csv,
    export_paypal,
    export_xlsx,
    get_sheet,
    list_sheets,
    mark_paid,
    period_of,
    sheet_info,
)
from desktop.views.page_parts import page_title
from desktop.views.payout_detail import LineDetailsDialog
from desktop.views.payout_dialogs import AdjustmentDialog, AdjustmentRequest, PaymentDialog, PaymentRequest
from desktop.views.payout_sheet_view import SheetView, describe
from desktop.views.payout_table_model import (
    ROW_ROLE,
    SheetListModel,
    money,
)
from desktop.views.tasks import ProgressFn, Task, run_with_progress

EXPORT_KINDS = {
    "xlsx": ("Excel workbook", "Excel workbook (*.xlsx)", "payouts-{period}.xlsx"),
    "csv": ("CSV for the accountant", "CSV file (*.csv)", "payouts-{period}.csv"),
    "paypal": ("PayPal Payouts files", "PayPal Payouts CSV (*.csv)", "paypal-{period}.csv"),
}


class PayoutsPage(QWidget):
    title = "Payouts"
    work_done = Signal(str)  # a build, approval or export finished: what it did
    work_failed = Signal(str)
    data_changed = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.period: str | None = None
        self.info: SheetInfo | None = None
        self.task: Task | None = None
        self._dialogs: list[QDialog] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 12)
        outer.addWidget(page_title("Payouts", "Build the month's sheet, review it down to the order, approve it, "
                                   "export it for the accountant and PayPal, and mark it paid."))  # fmt: skip
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._left())
        splitter.addWidget(self._right())
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 1000])
        outer.addWidget(splitter, 1)
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # it quotes payment references, paths and errors
        self.message.setWordWrap(True)
        outer.addWidget(self.message)
        self._show(None)

    # layout ---------------------------------------------------------------------------------------------

    def _left(self) -> QWidget:
        left = QWidget()
        box = QVBoxLayout(left)
        box.setContentsMargins(0, 0, 8, 0)
        self.periods_model = SheetListModel(self)
        self.periods = QTableView()
        self.periods.setModel(self.periods_model)
        self.periods.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.periods.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.periods.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.periods.verticalHeader().setVisible(False)
        self.periods.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.periods.horizontalHeader().setStretchLastSection(True)
        box.addWidget(self.periods, 1)
        build = QHBoxLayout()
        build.addWidget(QLabel("Build sheet for"))
        self.month = QDateEdit()
        self.month.setDisplayFormat("yyyy-MM")
        last = QDate.currentDate().addMonths(-1)
        self.month.setDate(QDate(last.year(), last.month(), 1))
        self.build_button = QPushButton("Build")
        self.build_button.setObjectName("primary")
        build.addWidget(self.month, 1)
        build.addWidget(self.build_button)
        box.addLayout(build)
        self.periods.selectionModel().selectionChanged.connect(self._period_chosen)
        self.build_button.clicked.connect(lambda: self.build(self.chosen_month()))
        return left

    def _right(self) -> QWidget:
        self.sheet = SheetView()
        self.table = self.sheet.table
        self.rebuild_button = QPushButton("Build again")
        self.approve_button = QPushButton("Approve…")
        self.pay_button = QPushButton("Mark paid…")
        self.adjust_button = QPushButton("Bonus or adjustment…")
        self.delete_button = QPushButton("Delete draft")
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for kind, (label, _, _) in EXPORT_KINDS.items():
            action = QAction(f"{label}…", menu)
            action.triggered.connect(lambda _checked=False, kind=kind: self.export(kind))
            menu.addAction(action)
        self.export_button.setMenu(menu)
        for button in (self.rebuild_button, self.approve_button, self.pay_button, self.adjust_button,
                       self.export_button, self.delete_button):  # fmt: skip
            self.sheet.actions.addWidget(button)
        self.sheet.actions.addStretch(1)
        self.table.doubleClicked.connect(self.open_details)
        self.rebuild_button.clicked.connect(lambda: self.build(self.period))
        self.approve_button.clicked.connect(self.approve)
        self.pay_button.clicked.connect(self.mark_paid)
        self.adjust_button.clicked.connect(self.add_adjustment)
        self.delete_button.clicked.connect(self.delete_draft)
        return self.sheet

    # loading --------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the periods; the chosen period stays chosen (else the latest)."""
        sheets = list_sheets(self.db)
        self.periods_model.set_rows(sheets)
        wanted = self.period if self.periods_model.row_of(self.period) is not None else None
        if wanted is None and sheets:
            wanted = sheets[0].period
        self._select_period(wanted)

    def chosen_month(self) -> str:
        picked = self.month.date()
        return period_of(date(picked.year(), picked.month(), 1))

    def _select_period(self, period: str | None) -> None:
        selection = self.periods.selectionModel()
        selection.blockSignals(True)
        selection.clearSelection()
        row = self.periods_model.row_of(period)
        if row is not None:
            self.periods.selectRow(row)
        selection.blockSignals(False)
        self._show(period if row is not None else None)

    def _period_chosen(self) -> None:
        rows = self.periods.selectionModel().selectedRows()
        self._show(self.periods_model.info_at(rows[0].row()).period if rows else None)

    def _show(self, period: str | None) -> None:
        try:
            self.info = sheet_info(self.db, period) if period else None
            rows = get_sheet(self.db, period) if period else []
        except ServiceError as exc:  # deleted meanwhile (the command line, another window)
            self._say(str(exc), error=True)
            self.info, rows, period = None, [], None
        self.period = period
        self.sheet.show_sheet(self.info, rows)
        self._update_buttons()

    def _update_buttons(self) -> None:
        info = self.info
        busy = self.task is not None
        draft = info is not None and info.state == "draft"
        self.build_button.setEnabled(not busy)
        self.rebuild_button.setEnabled(draft and not busy)
        self.approve_button.setEnabled(draft and not busy)
        self.adjust_button.setEnabled(draft and not busy)
        self.delete_button.setEnabled(draft and not busy)
        self.pay_button.setEnabled(info is not None and info.state == "approved" and not busy)
        self.export_button.setEnabled(info is not None and not busy)

    # asking (tests answer these without dialogs) ------------------------------------------------------

    def ask(self, title: str, question: str) -> bool:
        return QMessageBox.question(self, title, question) == QMessageBox.StandardButton.Yes

    def ask_payment(self, info: SheetInfo) -> PaymentRequest | None:
        earliest = earliest_payment_day(info.period, info.as_of)
        dialog = PaymentDialog(info.period, describe(info), self, earliest=earliest)
        return dialog.request() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def ask_adjustment(self, chosen: int | None) -> AdjustmentRequest | None:
        affiliates = [
            (r.affiliate_id, f"{r.affiliate_code} — {r.affiliate_name}") for r in get_sheet(self.db, self.period or "")
        ]
        dialog = AdjustmentDialog(self.period or "", affiliates, chosen, self)
        return dialog.request() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def ask_export_path(self, kind: str) -> Path | None:
        _, pattern, name = EXPORT_KINDS[kind]
        suggested = str(Path.home() / name.format(period=self.period))
        path, _ = QFileDialog.getSaveFileName(self, f"Export {self.period}", suggested, pattern)
        return Path(path) if path else None

    # actions --------------------------------------------------------------------------------------------

    def _run(self, title: str, work: Callable[[ProgressFn], Any], done: Callable[[Any], str], period: str) -> None:
        """Long work behind a progress dialog; the page reloads and reports when it ends."""

        def finished(result: Any) -> None:
            self.task = None
            self.period = period
            self.refresh()
            self._say(done(result))
            self.data_changed.emit()
            self.work_done.emit(self.message.text())

        def failed(exc: Exception) -> None:
            self.task = None
            self.refresh()
            self._say(str(exc) if isinstance(exc, ServiceError) else f"{type(exc).__name__}: {exc}", error=True)
            self.work_failed.emit(self.message.text())

        self._say("")
        self.task = run_with_progress(self, title, work, finished, failed)
        self.task.cancelled.connect(lambda: (setattr(self, "task", None), self._update_buttons()))
        self._update_buttons()

    def build(self, period: str | None) -> None:
        if period is None:
            return

        def done(summary: Any) -> str:
            what = "built again" if summary.rebuilt else "built"
            return (f"{summary.period} {what}: {summary.affiliates:,} affiliates, {summary.paying:,} to pay "
                    f"{money(summary.payable)} {summary.currency}.")  # fmt: skip

        self._run(f"Building {period}", lambda p: build_payout_sheet(self.db, period, progress=p), done, period)

    def approve(self) -> None:
        info = self.info
        if info is None:
            return
        question = (
            f"Approve the {info.period} sheet? {info.paying:,} affiliates are paid {money(info.payable)} "
            f"{info.currency}.\n\nIts numbers are then frozen: later corrections go on the next sheet."
        )
        if not self.ask("Approve the sheet?", question):
            return
        period = info.period
        self._run(f"Approving {period}", lambda p: approve_sheet(self.db, period, progress=p),
                  lambda i: f"{i.period} approved: its numbers are frozen.", period)  # fmt: skip

    def mark_paid(self) -> None:
        info = self.info
        if info is None:
            return
        request = self.ask_payment(info)
        if request is None:
            return
        try:
            paid = mark_paid(self.db, info.period, request.reference, request.paid_on)
        except ServiceError as exc:
            self._say(str(exc), error=True)
            return
        self.refresh()
        self._say(f"{paid.period} marked paid ({paid.paid_reference}).")
        self.data_changed.emit()

    def add_adjustment(self) -> None:
        selected = self.sheet.selected_row()
        request = self.ask_adjustment(selected.affiliate_id if selected else None)
        if request is None or self.period is None:
            return
        try:
            add_adjustment(self.db, self.period, request.affiliate_id, request.kind, request.amount, request.reason)
        except ServiceError as exc:
            self._say(str(exc), error=True)
            return
        self._say(f"The {request.kind} was added to {self.period}: build the sheet again to see it in the numbers.")

    def delete_draft(self) -> None:
        if self.period is None or not self.ask("Delete the draft?", f"Delete the draft sheet of {self.period}?"):
            return
        try:
            delete_draft(self.db, self.period)
        except ServiceError as exc:
            self._say(str(exc), error=True)
            return
        deleted, self.period = self.period, None
        self.refresh()
        self._say(f"The draft of {deleted} was deleted.")

    def export(self, kind: str) -> None:
        period = self.period
        if period is None:
            return
        path = self.ask_export_path(kind)
        if path is None:
            return

        def work(progress: ProgressFn) -> list[Path]:
            if kind == "xlsx":
                return [export_xlsx(self.db, period, path, progress=progress)]
            if kind == "csv":
                return [export_csv(self.db, period, path)]
            return export_paypal(self.db, period, path)

        def done(files: list[Path]) -> str:
            return "Written: " + ", ".join(str(p) for p in files) if files else "Nobody to pay: no file written."

        self._run(f"Exporting {period}", work, done, period)

    def open_details(self, index: QModelIndex) -> LineDetailsDialog | None:
        row = self.sheet.proxy.data(index, ROW_ROLE) if index.isValid() else None
        if row is None or self.period is None:
            return None
        dialog = LineDetailsDialog(self.db, self.period, row.affiliate_id, self)
        dialog.adjustments_changed.connect(
            lambda: self._say("Adjustments changed: build the sheet again to see them in the numbers.")
        )
        dialog.finished.connect(lambda _result: self._dialogs.remove(dialog) if dialog in self._dialogs else None)
        self._dialogs.append(dialog)
        dialog.show()
        return dialog

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b3261e;" if error else "")
        self.message.setText(text)
