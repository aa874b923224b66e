"""One payout sheet on screen: its state, what changed since the last build, its rows and its totals."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.services.payouts import SheetInfo, SheetRow, SheetTotals, totals_of
from desktop.views.payout_table_model import COL_NAME, ROW_ROLE, PayoutTableModel, SheetFilter, money

MAX_CHANGES_SHOWN = 8


def affiliates_text(count: int) -> str:
    return f"{count:,} affiliate" + ("" if count == 1 else "s")


def describe(info: SheetInfo) -> str:
    """Who built it with what: two lines of plain text for the page's header and the payment dialog."""
    built = f"Built {info.built_at:%Y-%m-%d %H:%M} by {info.built_by}"
    upto = f", orders up to {info.as_of.isoformat()}" if info.as_of else ""
    approved = f" · approved {info.approved_at:%Y-%m-%d} by {info.approved_by}" if info.approved_at else ""
    rules = f"threshold {money(info.payout_threshold)} {info.currency}, hold {info.hold_days} days"
    plans = "; ".join(info.plan_versions) or "no commission lines"
    return f"{built}{upto}{approved} · {who_is_paid(info)} · {rules}\nPlans: {plans}"


def who_is_paid(info: SheetInfo) -> str:
    """'3 of 5 affiliates paid 593.81 USD' once paid; before, '5 affiliates, 3 to be paid 593.81 USD'."""
    amount = f"{money(info.payable)} {info.currency}"
    if info.state == "paid":
        return f"{info.paying:,} of {affiliates_text(info.affiliates)} paid {amount}"
    if not info.paying:
        return f"{affiliates_text(info.affiliates)}, none to be paid"
    return f"{affiliates_text(info.affiliates)}, {info.paying:,} to be paid {amount}"


def describe_totals(totals: SheetTotals, state: str, currency: str) -> str:
    """The sentence under the table, as rich text: what the sheet pays whom and what carries to the next month."""
    t = totals
    figures = (f"{affiliates_text(t.affiliates)}: commission {money(t.commission)}, bonuses {money(t.bonuses)}, "
               f"adjustments {money(t.adjustments)} {escape(currency)}.")  # fmt: skip
    amount = f"<b>{money(t.payable)} {escape(currency)}</b>"
    if not t.paying:
        pays = "Nobody was paid." if state == "paid" else "Nobody is to be paid."
    elif state == "paid":
        pays = f"Paid {amount} to {affiliates_text(t.paying)}."
    else:
        pays = f"To pay: {amount} to {affiliates_text(t.paying)}."
    if not t.carrying:
        carries = "No balance carries to the next month."
    else:
        held = f", {t.held:,} of them held" if t.held else ""
        verb = "carries" if t.carrying == 1 else "carry"
        carries = (f"{affiliates_text(t.carrying)} {verb} a balance to the next month{held} "
                   f"({money(t.carried_out)} {escape(currency)} in all).")  # fmt: skip
    return f"{figures} {pays} {carries}"


def describe_changes(info: SheetInfo) -> str | None:
    """What the last rebuild changed, as rich text; None when there was no rebuild (or the sheet is frozen)."""
    if info.changes is None or info.state != "draft":
        return None
    since = f" ({info.previous_build:%Y-%m-%d %H:%M})" if info.previous_build else ""
    if not info.changes:
        return f"What changed since the last build{since}: nothing."
    shown = [f"<b>{escape(c.affiliate_code)}</b>: {escape(c.description)}" for c in info.changes[:MAX_CHANGES_SHOWN]]
    more = len(info.changes) - MAX_CHANGES_SHOWN
    text = f"What changed since the last build{since}:<br>" + "<br>".join(shown)
    return text + (f"<br>… and {more:,} more affiliates." if more > 0 else "")


class SheetView(QWidget):
    """The right-hand side of the payouts page; the page puts its buttons into `actions`."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 0, 0, 0)
        # Plain text where no markup is meant: a payment reference, a plan or a user name is not HTML.
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        box.addWidget(self.heading)
        box.addWidget(self.summary)
        self.actions = QHBoxLayout()
        box.addLayout(self.actions)
        self.changes = QLabel()
        self.changes.setTextFormat(Qt.TextFormat.RichText)
        self.changes.setWordWrap(True)
        self.changes.setFrameShape(QFrame.Shape.StyledPanel)
        self.changes.setStyleSheet("QLabel { background: #fff8e1; padding: 6px; }")
        self.warnings = QLabel()
        self.warnings.setTextFormat(Qt.TextFormat.PlainText)
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #8a5a00;")
        box.addWidget(self.changes)
        box.addWidget(self.warnings)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find an affiliate by code or name…")
        self.search.setClearButtonEnabled(True)
        box.addWidget(self.search)
        self.model = PayoutTableModel(self)
        self.proxy = SheetFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setResizeContentsPrecision(200)  # measure a sample, not ten thousand rows
        header.setStretchLastSection(True)
        box.addWidget(self.table, 1)
        self.totals = QLabel()
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.totals.setWordWrap(True)
        box.addWidget(self.totals)
        self.search.textChanged.connect(self.proxy.set_search)

    def show_sheet(self, info: SheetInfo | None, rows: list[SheetRow]) -> None:
        self.model.set_rows(rows)
        header = self.table.horizontalHeader()
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())  # the order the user chose
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().resizeSection(COL_NAME, min(self.table.columnWidth(COL_NAME), 220))
        if info is None:
            self.heading.setText("No sheet chosen")
            self.summary.setText("Pick a month on the left and press Build: the sheet is a draft until you approve it.")
            self.changes.hide()
            self.warnings.hide()
            self.totals.setText("")
            return
        self.heading.setText(f"Payout sheet {info.period} — {info.state_text}")
        self.summary.setText(describe(info))
        changes = describe_changes(info)
        self.changes.setText(changes or "")
        self.changes.setVisible(changes is not None)
        self.warnings.setText("\n".join(info.warnings))
        self.warnings.setVisible(bool(info.warnings))
        self.totals.setText(describe_totals(totals_of(rows), info.state, info.currency))

    def selected_row(self) -> SheetRow | None:
        rows = self.table.selectionModel().selectedRows()
        found = self.proxy.data(rows[0], ROW_ROLE) if rows else None
        return found if isinstance(found, SheetRow) else None

    def row_index(self, code: str) -> int | None:
        """The view row showing an affiliate, for tests and keyboard navigation."""
        for row in range(self.proxy.rowCount()):
            found = self.proxy.data(self.proxy.index(row, 0), ROW_ROLE)
            if isinstance(found, SheetRow) and found.affiliate_code == code:
                return row
        return None
