"""The conversions table: keyset pages from the service, so a million orders open at once and scroll."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from desktop.services.conversions_list import ConversionRow, PageKey, page_key

PAGE_SIZE = 300
COL_DATE, COL_ORDER, COL_TYPE, COL_STATUS, COL_AMOUNT, COL_REFUNDED, COL_AFFILIATE, COL_ATTRIBUTION = range(8)
_HEADERS = ("Date", "Order", "Type", "Status", "Amount", "Refunded", "Affiliate", "Attribution")
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

Index = QModelIndex | QPersistentModelIndex
FetchPage = Callable[[PageKey | None, int], list[ConversionRow]]


class ConversionTableModel(QAbstractTableModel):
    def __init__(self, fetch_page: FetchPage, count: Callable[[], int], parent: Any = None):
        super().__init__(parent)
        self._fetch_page = fetch_page
        self._count = count
        self._rows: list[ConversionRow] = []
        self._total = 0
        self._exhausted = False

    def reload(self) -> None:
        self.beginResetModel()
        self._total = self._count()
        self._rows = self._fetch_page(None, PAGE_SIZE)
        self._exhausted = len(self._rows) < PAGE_SIZE
        self.endResetModel()

    @property
    def total(self) -> int:
        return self._total

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted or not self._rows:
            self._exhausted = True
            return
        page = self._fetch_page(page_key(self._rows[-1]), PAGE_SIZE)
        self._exhausted = len(page) < PAGE_SIZE
        if page:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (COL_AMOUNT, COL_REFUNDED):
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and column in (COL_ORDER, COL_AFFILIATE):
            return row.order_id if column == COL_ORDER else (row.affiliate_code or "organic: no affiliate")
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == COL_DATE:
            return row.occurred_at.strftime("%Y-%m-%d %H:%M")
        if column == COL_ORDER:
            return row.order_id
        if column == COL_TYPE:
            return row.type
        if column == COL_STATUS:
            return row.status
        if column == COL_AMOUNT:
            return f"{row.amount:,.2f}"
        if column == COL_REFUNDED:
            return f"{row.refunded_amount:,.2f}" if row.refunded_amount else ""
        if column == COL_AFFILIATE:
            return row.affiliate_code or "—"
        if column == COL_ATTRIBUTION:
            return row.attribution
        return None

    def row_at(self, row: int) -> ConversionRow:
        return self._rows[row]
