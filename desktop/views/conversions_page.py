"""Conversions: every imported order, filterable, with its lines, history, attribution and commission."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.services.conversions_list import (
    ConversionDetail,
    ConversionFilter,
    conversion_periods,
    count_conversions,
    get_conversion,
    list_conversions,
)
from desktop.views.conversion_table_model import (
    COL_AFFILIATE,
    COL_AMOUNT,
    COL_ATTRIBUTION,
    COL_DATE,
    COL_ORDER,
    COL_REFUNDED,
    COL_STATUS,
    COL_TYPE,
    ConversionTableModel,
)
from desktop.views.page_parts import page_title

if TYPE_CHECKING:
    from desktop.services.click_import import ClickImportResult
    from desktop.services.conversion_import import ConversionImportResult
    from desktop.services.fraud import FraudCheck

STATUSES = ("approved", "pending", "rejected", "refunded")
TYPES = ("sale", "lead", "signup")


class ConversionsPage(QWidget):
    title = "Conversions"
    data_changed = Signal()

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.filter = ConversionFilter()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 12)
        layout.addWidget(
            page_title(
                "Conversions",
                "Orders, leads and signups from your shop's exports, and why each one went "
                "to the affiliate it went to.",
            )
        )
        bar = QHBoxLayout()
        self.period = QComboBox()
        self.period.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # filled later: "All months"
        self.affiliate = QLineEdit()
        self.affiliate.setPlaceholderText("Affiliate code or name")
        self.affiliate.setMinimumWidth(self.affiliate.fontMetrics().horizontalAdvance("Affiliate code or name") + 24)
        self.status = QComboBox()
        self.status.addItem("Any status", None)
        for status in STATUSES:
            self.status.addItem(status.capitalize(), status)
        self.type = QComboBox()
        self.type.addItem("Any type", None)
        for kind in TYPES:
            self.type.addItem(kind.capitalize(), kind)
        self.attributed = QComboBox()
        self.attributed.addItem("Attributed and organic", None)
        self.attributed.addItem("Attributed to an affiliate", True)
        self.attributed.addItem("Organic only", False)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Order number or customer email…")
        self.search.setClearButtonEnabled(True)
        self.import_button = QPushButton("Import orders…")
        self.import_button.setObjectName("primary")
        self.clicks_button = QPushButton("Import clicks…")
        for widget in (self.period, self.affiliate, self.status, self.type, self.attributed):
            bar.addWidget(widget)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.clicks_button)
        bar.addWidget(self.import_button)
        layout.addLayout(bar)

        self.model = ConversionTableModel(self._fetch_page, self._count, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self._size_columns()
        self.detail = QTextBrowser()
        self.detail.setOpenExternalLinks(False)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        # Room for every column at first (at 1280 px the attribution was behind a scroll bar); the order's
        # details take the rest.
        columns = sum(self.table.columnWidth(column) for column in range(self.model.columnCount()))
        frame = self.table.verticalScrollBar().sizeHint().width() + 2 * self.table.frameWidth() + 8
        splitter.setSizes([columns + frame, 380])
        layout.addWidget(splitter, 1)
        self.count_label = QLabel()
        layout.addWidget(self.count_label)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._timer.start)
        self.affiliate.textChanged.connect(self._timer.start)
        for combo in (self.period, self.status, self.type, self.attributed):
            combo.currentIndexChanged.connect(self.apply_filter)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _previous: self._show(current.row()))
        self.import_button.clicked.connect(lambda: self.import_orders())
        self.clicks_button.clicked.connect(lambda: self.import_clicks_file())

    def _size_columns(self) -> None:
        """Widths from the font, for the longest usual value: a shop's order number ("#1000234"), a date and
        time, a six-figure amount. Longer ones (a Stripe charge id) are elided, whole in the tooltip; the
        attribution takes what is left. The user can still drag every column."""
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        metrics = self.table.fontMetrics()
        samples = {COL_DATE: "2026-12-31 23:59", COL_ORDER: "#1000234", COL_TYPE: "signup", COL_STATUS: "refunded",
                   COL_AMOUNT: "99,999.99", COL_REFUNDED: "99,999.99", COL_AFFILIATE: "CARMENMOR",
                   COL_ATTRIBUTION: "referral"}  # fmt: skip
        header.setMinimumSectionSize(metrics.horizontalAdvance("signup"))
        for column, sample in samples.items():
            heading = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            widest = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(heading) + 12)
            self.table.setColumnWidth(column, widest + 12)

    # data ---------------------------------------------------------------------------------------------

    def _fetch_page(self, after, limit):  # type: ignore[no-untyped-def]
        return list_conversions(self.db, self.filter, after=after, limit=limit)

    def _count(self) -> int:
        return count_conversions(self.db, self.filter)

    def refresh(self) -> None:
        current = self.period.currentData()
        self.period.blockSignals(True)
        self.period.clear()
        self.period.addItem("All months", None)
        for period in conversion_periods(self.db):
            self.period.addItem(period, period)
        self.period.setCurrentIndex(max(0, self.period.findData(current)))
        self.period.blockSignals(False)
        self.apply_filter()

    def apply_filter(self) -> None:
        self._timer.stop()
        self.filter = ConversionFilter(
            period=self.period.currentData(),
            affiliate_code=self.affiliate.text().strip() or None,
            status=self.status.currentData(),
            type=self.type.currentData(),
            attributed=self.attributed.currentData(),
            search=self.search.text().strip(),
        )
        self.model.reload()
        total = self.model.total
        self.count_label.setText(f"{total:,} conversion{'s' if total != 1 else ''}")
        if total:
            self.table.selectRow(0)
        else:
            self.detail.setHtml("<p>No conversions match. Import your shop's orders with <b>Import orders…</b></p>")

    def _show(self, row: int) -> None:
        if row < 0 or row >= self.model.rowCount():
            return
        self.detail.setHtml(detail_html(get_conversion(self.db, self.model.row_at(row).id)))

    # imports ------------------------------------------------------------------------------------------

    def import_orders(self, path: Path | None = None) -> bool:
        from desktop.views.conversion_import_dialog import ConversionImportDialog

        dialog = ConversionImportDialog(self.db, path, self)
        if dialog.exec():
            self.refresh()
            self.data_changed.emit()
            QMessageBox.information(self, "Orders imported", imported_message(dialog.result))
            return True
        return False

    def import_clicks_file(self, path: Path | None = None) -> None:
        if path is None:
            settings = QSettings()
            folder = str(settings.value("files/import_folder", str(Path.home())))
            chosen, _ = QFileDialog.getOpenFileName(self, "Import clicks", folder, "Click exports (*.csv *.xlsx)")
            if not chosen:
                return
            path = Path(chosen)
            settings.setValue("files/import_folder", str(path.parent))
        from desktop.views.click_import_dialog import ClickImportDialog

        dialog = ClickImportDialog(self.db, path, self)
        if dialog.exec() and dialog.result is not None:
            self.refresh()
            self.data_changed.emit()
            QMessageBox.information(self, "Clicks imported", describe_click_result(dialog.result))


def imported_message(result: ConversionImportResult) -> str:
    """What an import of orders did, and what the fraud check after it found."""
    s = result.summary
    text = (f"Imported {s.orders:,} order{'s' if s.orders != 1 else ''} from {s.file}: {s.new:,} new, "
            f"{s.updated:,} updated, {s.unchanged:,} unchanged.")  # fmt: skip
    return text + fraud_paragraph(result.fraud, "orders")


def fraud_paragraph(check: FraudCheck | None, what: str) -> str:
    """The fraud check after an import, for the message that ends it ("" when none was made)."""
    from desktop.services.fraud import describe_fraud_check

    if check is None:
        return ""
    text = "\n\n" + describe_fraud_check(check, what)
    if check.stopped:
        return text + " Run a scan on the Fraud page to check them."
    return text + (" Review them on the Fraud page." if check.open_flags else "")


def describe_click_result(result: ClickImportResult) -> str:
    """The message after a clicks import: what came in, what it changed, and what the fraud check found."""
    return "\n".join(result.lines()) + fraud_paragraph(result.fraud, "clicks")


def detail_html(detail: ConversionDetail) -> str:
    row = detail.row

    def money(value: object) -> str:
        return f"{value:,.2f}"

    who = (
        f"{escape(row.affiliate_code or '')} — {escape(detail.affiliate_name or '')}"
        if row.affiliate_code
        else "nobody (organic)"
    )
    parts = [
        f"<h3>Order {escape(row.order_id)}</h3>",
        f"<p>{row.occurred_at:%Y-%m-%d %H:%M} · {escape(row.type)} · <b>{escape(row.status)}</b> · "
        f"{money(row.amount)} {escape(row.currency)}"
        + (f" · refunded {money(row.refunded_amount)}" if row.refunded_amount else "")
        + f" · commissionable {money(row.net_amount)}</p>",
        f"<h4>Attribution: {who}</h4><p>{escape(detail.attribution_detail)}</p>",
        "<p style='color:#5b6b67'>"
        + " · ".join(
            f"{label} {escape(value)}"
            for label, value in (
                ("coupon", detail.coupon_code),
                ("referral code", detail.referral_code),
                ("visitor", detail.visitor_id),
                ("customer", detail.customer_email),
            )
            if value
        )
        + "</p>",
        "<h4>Lines</h4><table cellspacing=0 cellpadding=3><tr><th align=left>#</th><th align=left>SKU</th>"
        "<th align=left>Product</th><th align=right>Qty</th><th align=right>Amount</th></tr>",
    ]
    for line in detail.lines:
        parts.append(
            f"<tr><td>{line.line_no}</td><td>{escape(line.sku or '')}</td><td>{escape(line.product or '')}</td>"
            f"<td align=right>{line.quantity}</td><td align=right>{money(line.amount)}</td></tr>"
        )
    parts.append("</table><h4>Commission</h4>")
    if detail.commissions:
        for c in detail.commissions:
            parts.append(
                f"<p>{escape(c.period)} ({escape(c.sheet_state)} sheet), line {c.line_no}: "
                f"<b>{money(c.commission)}</b><br><span style='color:#5b6b67'>{escape(c.trace)}</span></p>"
            )
    elif detail.estimate_total is not None:
        parts.append(f"<p>Estimated: <b>{money(detail.estimate_total)} {escape(row.currency)}</b></p>")
        for c in detail.estimate:
            parts.append(
                f"<p>line {c.line_no}: {money(c.commission)}<br>"
                f"<span style='color:#5b6b67'>{escape(c.trace)}</span></p>"
            )
        parts.append(f"<p style='color:#5b6b67'>{escape(detail.commission_note)}</p>")
    else:
        parts.append(f"<p>{escape(detail.commission_note)}</p>")
    parts.append("<h4>Status history</h4>")
    if detail.history:
        for h in detail.history:
            refund = f", refunded {money(h.from_refunded or 0)} → {money(h.to_refunded)}" if h.to_refunded else ""
            parts.append(
                f"<p>{h.changed_at:%Y-%m-%d %H:%M}: {escape(h.from_status or 'new')} → {escape(h.to_status)}"
                f"{refund}{(' — ' + escape(h.note)) if h.note else ''}</p>"
            )
    else:
        parts.append("<p>Unchanged since it was imported.</p>")
    return "".join(parts)
