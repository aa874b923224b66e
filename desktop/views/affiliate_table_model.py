"""The affiliates table: a thin item model that pages rows in from the service, never all at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from desktop.db import QueryError
from desktop.services.affiliates import AffiliateRow

PAGE_SIZE = 200

(COL_CODE, COL_NAME, COL_STATUS, COL_TAGS, COL_JOINED, COL_FOLLOWERS, COL_REVENUE, COL_CONVERSION, COL_EPC,
 COL_QUALITY) = range(10)  # fmt: skip
_HEADERS = ("Code", "Name", "Status", "Tags", "Joined", "Followers", "Revenue 30 d", "Conv. 30 d", "EPC 30 d",
            "Traffic quality")  # fmt: skip
_SORT_KEYS = (
    "code",
    "name",
    "status",
    "tags",
    "joined_on",
    "total_followers",
    "revenue_30d",
    "conversion_rate_30d",
    "epc_30d",
    None,
)  # fmt: skip  (quality is scored after the page arrives: not sortable by the database)
GRADE_COLOURS = {"good": "#1f6f5c", "fair": "#9a6700", "poor": "#b3261e"}
_NUMBERS = (COL_FOLLOWERS, COL_REVENUE, COL_CONVERSION, COL_EPC)
_TOOLTIPS = {
    COL_REVENUE: "Approved sales over the last 30 days, after discounts and partial refunds",
    COL_CONVERSION: "Sales ÷ clicks over the last 30 days",
    COL_EPC: "Earnings per click over the last 30 days, the commission at the plan's base rate (no tiers or caps)",
    COL_QUALITY: "Traffic quality over the last 90 days, from refunds, conversion-rate anomalies and fraud flags",
}

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the AffiliateRow itself
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # the raw value

FetchPage = Callable[[str, bool, int, int], list[AffiliateRow]]  # (sort, descending, offset, limit)

Index = QModelIndex | QPersistentModelIndex


class AffiliateTableModel(QAbstractTableModel):
    """Rows arrive a page at a time through `fetch_page`; sorting is done by the database.

    A query that fails (a damaged file) is not raised: the views call `fetchMore` and `sort` from Qt's event loop,
    where nobody could catch it. The rows stop there and `load_failed` carries the error to whoever tells it.
    """

    load_failed = Signal(object)  # the exception

    def __init__(self, fetch_page: FetchPage, count: Callable[[], int], parent: Any = None):
        super().__init__(parent)
        self._fetch_page = fetch_page
        self._count = count
        self._rows: list[AffiliateRow] = []
        self._total = 0
        self._sort = "code"
        self._descending = False
        self._scores: dict[int, Any] = {}  # affiliate id -> QualityScore, filled in after the rows arrive

    # loading ------------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Start over from the first page (after a filter, sort or data change)."""
        failure: QueryError | None = None
        try:
            total = self._count()
            rows = self._fetch_page(self._sort, self._descending, 0, PAGE_SIZE)
        except QueryError as exc:
            failure, total, rows = exc, 0, []
        self.beginResetModel()
        self._scores = {}
        self._total, self._rows = total, rows
        self.endResetModel()
        if failure is not None:
            self.load_failed.emit(failure)

    @property
    def total(self) -> int:
        return self._total

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        try:
            page = self._fetch_page(self._sort, self._descending, len(self._rows), PAGE_SIZE)
        except QueryError as exc:
            self._total = len(self._rows)  # no more asking: the view would ask again at every scroll
            self.load_failed.emit(exc)
            return
        if not page:
            self._total = len(self._rows)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def fetch_all(self) -> None:
        while self.canFetchMore():
            self.fetchMore()

    # model API ----------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return _TOOLTIPS.get(section)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return row
        if column == COL_QUALITY:
            return self._quality(row.id, role)
        if role == SORT_ROLE:
            return (row.code, row.name, row.status, row.tags, row.joined_on, row.total_followers, row.revenue_30d,
                    row.conversion_rate_30d, row.epc_30d)[column]  # fmt: skip
        if role == Qt.ItemDataRole.DisplayRole:
            if column == COL_CODE:
                return row.code
            if column == COL_NAME:
                return row.name
            if column == COL_STATUS:
                return row.status.capitalize()
            if column == COL_TAGS:
                return row.tags
            if column == COL_JOINED:
                return row.joined_on.isoformat() if row.joined_on else ""
            if column == COL_FOLLOWERS:
                return f"{row.total_followers:,}"
            if column == COL_REVENUE:
                return f"{row.revenue_30d:,.2f}"
            if column == COL_CONVERSION:
                rate = row.conversion_rate_30d
                return "—" if rate is None else f"{rate:.2f} %"
            if column == COL_EPC:
                return "—" if row.epc_30d is None else f"{row.epc_30d:,.2f}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMBERS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == COL_NAME and row.email:
            return row.email
        return None

    def _quality(self, affiliate_id: int, role: int) -> Any:
        score = self._scores.get(affiliate_id)
        if role == Qt.ItemDataRole.DisplayRole:
            return "…" if score is None else score.text
        if score is None:
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(score.explanation)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(GRADE_COLOURS.get(score.grade, "#000000")))
        if role == SORT_ROLE:
            return score.score
        return None

    def set_scores(self, scores: dict[int, Any]) -> None:
        """Traffic-quality scores computed in the background for rows already shown."""
        self._scores.update(scores)
        if self._rows:
            self.dataChanged.emit(self.index(0, COL_QUALITY), self.index(len(self._rows) - 1, COL_QUALITY))

    def unscored_ids(self) -> list[int]:
        return [row.id for row in self._rows if row.id not in self._scores]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = _SORT_KEYS[column]
        if key is None:
            return
        self._sort = key
        self._descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    def row_at(self, row: int) -> AffiliateRow:
        return self._rows[row]

    @property
    def sort_key(self) -> tuple[str, bool]:
        return self._sort, self._descending
