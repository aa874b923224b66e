"""The affiliates item model on its own, without a view: paging, sorting, roles."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QModelIndex, Qt

from desktop.services.affiliates import AffiliateRow
from desktop.views.affiliate_table_model import (
    COL_FOLLOWERS,
    COL_JOINED,
    COL_STATUS,
    PAGE_SIZE,
    ROW_ROLE,
    AffiliateTableModel,
)

ROWS = [
    AffiliateRow(
        id=i,
        code=f"C{i:04d}",
        name=f"Name {i}",
        status="active",
        tags="a, b",
        joined_on=date(2026, 1, 1) if i % 2 else None,
        total_followers=i * 1000,
        email=None,
    )
    for i in range(450)
]


class Source:
    """Plays the service: slices a sorted list, counting the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool, int, int]] = []

    def fetch(self, sort: str, descending: bool, offset: int, limit: int) -> list[AffiliateRow]:
        self.calls.append((sort, descending, offset, limit))
        key = {"code": lambda r: r.code, "total_followers": lambda r: r.total_followers}.get(sort, lambda r: r.id)
        rows = sorted(ROWS, key=key, reverse=descending)
        return rows[offset : offset + limit]

    def count(self) -> int:
        return len(ROWS)


def test_pages_in_rows_on_demand(qapp) -> None:  # type: ignore[no-untyped-def]
    source = Source()
    model = AffiliateTableModel(source.fetch, source.count)
    model.reload()
    assert model.rowCount() == PAGE_SIZE
    assert model.total == 450
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * PAGE_SIZE
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 450
    assert not model.canFetchMore(QModelIndex())
    assert [c[2] for c in source.calls] == [0, PAGE_SIZE, 2 * PAGE_SIZE]


def test_display_and_roles(qapp) -> None:  # type: ignore[no-untyped-def]
    source = Source()
    model = AffiliateTableModel(source.fetch, source.count)
    model.reload()
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Code"
    assert model.data(model.index(3, COL_FOLLOWERS)) == "3,000"
    assert model.data(model.index(3, COL_STATUS)) == "Active"
    assert model.data(model.index(3, COL_JOINED)) == "2026-01-01"
    assert model.data(model.index(2, COL_JOINED)) == ""
    assert model.data(model.index(3, 0), ROW_ROLE) is ROWS[3]


def test_sorting_asks_the_database_again(qapp) -> None:  # type: ignore[no-untyped-def]
    source = Source()
    model = AffiliateTableModel(source.fetch, source.count)
    model.reload()
    model.sort(COL_FOLLOWERS, Qt.SortOrder.DescendingOrder)
    assert source.calls[-1] == ("total_followers", True, 0, PAGE_SIZE)
    assert model.row_at(0).code == "C0449"
    assert model.rowCount() == PAGE_SIZE
