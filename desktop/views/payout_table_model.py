"""Item models of the payouts page: the periods with their state, and one sheet's rows (no queries inside)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.services.payouts import SheetInfo, SheetRow

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the SheetRow / SheetInfo itself
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # the raw value
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

# Every column of the payout CSV (the currency is in the page's header). What is paid and carried comes right
# after the name, so it shows without scrolling; then how it adds up, the counts, and the payee email.
SHEET_COLUMNS = (
    ("affiliate_code", "Code"),
    ("affiliate_name", "Name"),
    ("status", "Status"),
    ("payable", "Payable"),
    ("carried_out", "Carried out"),
    ("carried_in", "Carried in"),
    ("commission", "Commission"),
    ("over_cap", "Over cap"),
    ("bonuses", "Bonuses"),
    ("adjustments", "Adjustments"),
    ("sales", "Sales"),
    ("sales_revenue", "Revenue"),
    ("leads", "Leads"),
    ("signups", "Signups"),
    ("payee_email", "Payee email"),
)
COL = {key: number for number, (key, _) in enumerate(SHEET_COLUMNS)}
COL_CODE, COL_NAME, COL_PAYABLE, COL_STATUS = (
    COL["affiliate_code"],
    COL["affiliate_name"],
    COL["payable"],
    COL["status"],
)
STATUS_COLORS = {
    "held": "#b3261e",
    "negative balance": "#b3261e",
    "below threshold": "#8a5a00",
    "nothing due": "#6b6b6b",
}


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


class PayoutTableModel(QAbstractTableModel):
    """One row per affiliate on the sheet; amounts right-aligned, held and carried rows marked."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._rows: list[SheetRow] = []

    def set_rows(self, rows: list[SheetRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> SheetRow:
        return self._rows[row]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorted here, by the raw values, in one list.sort (a proxy would call data() a million times)."""
        key = SHEET_COLUMNS[column][0]

        def value(row: SheetRow) -> Any:
            raw = row.status if key == "status" else getattr(row, key)
            return raw.casefold() if isinstance(raw, str) else raw

        self.layoutAboutToBeChanged.emit()
        before = list(self._rows)
        self._rows.sort(key=value, reverse=order == Qt.SortOrder.DescendingOrder)
        moved = {id(row): number for number, row in enumerate(self._rows)}
        for index in self.persistentIndexList():
            new_row = moved[id(before[index.row()])]
            self.changePersistentIndex(index, self.index(new_row, index.column()))
        self.layoutChanged.emit()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(SHEET_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return SHEET_COLUMNS[section][1]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        key = SHEET_COLUMNS[index.column()][0]
        value = row.status if key == "status" else getattr(row, key)
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return int(value * 100) if isinstance(value, Decimal) else value  # cents: exact, and Qt compares ints
        if role == Qt.ItemDataRole.DisplayRole:
            if isinstance(value, Decimal):
                return money(value)
            if isinstance(value, int) and not isinstance(value, bool):
                return f"{value:,}"
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, (Decimal, int)):
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and key in ("status", "payable", "carried_out"):
            color = STATUS_COLORS.get(row.status)
            return QBrush(QColor(color)) if color else None
        if role == Qt.ItemDataRole.FontRole and key == "payable" and row.payable > 0:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row)
        return None


def _tooltip(row: SheetRow) -> str:
    why = {
        "held": "A payout hold is open: nothing is paid, the whole balance carries to the next sheet.",
        "below threshold": "Below the payout threshold: nothing is paid, the balance carries to the next sheet.",
        "negative balance": "The balance is negative: nothing is paid, the debt carries to the next sheet.",
        "pays": "Paid on this sheet.",
        "nothing due": "Nothing due.",
    }[row.status]
    plan = f"\nPlan: {row.plan}" if row.plan else ""
    return f"{row.affiliate_code} — {row.affiliate_name}\n{why}{plan}\nDouble-click for the orders and adjustments."


class SheetFilter(QSortFilterProxyModel):
    """Keeps the rows whose code or name contains the search text; sorting is left to the sheet's model."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._needle = ""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None and column >= 0:
            source.sort(column, order)

    def set_search(self, text: str) -> None:
        self._needle = text.strip().casefold()
        self.invalidate()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._needle:
            return True
        model = self.sourceModel()
        assert isinstance(model, PayoutTableModel)
        row = model.row_at(source_row)
        return self._needle in row.affiliate_code.casefold() or self._needle in row.affiliate_name.casefold()


PERIOD_HEADERS = ("Period", "State", "Payable")


class SheetListModel(QAbstractTableModel):
    """The periods with a sheet, the latest first."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._rows: list[SheetInfo] = []

    def set_rows(self, rows: list[SheetInfo]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_of(self, period: str | None) -> int | None:
        return next((number for number, info in enumerate(self._rows) if info.period == period), None)

    def info_at(self, row: int) -> SheetInfo:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(PERIOD_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return PERIOD_HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        info = self._rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return info
        if role == Qt.ItemDataRole.DisplayRole:
            return (info.period, info.state.capitalize(), f"{money(info.payable)} {info.currency}")[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 2:
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and column == 1 and info.state == "draft":
            return QBrush(QColor("#8a5a00"))
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{info.period}: {info.state_text}; {info.paying} of {info.affiliates} affiliates paid"
        return None
