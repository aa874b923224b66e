"""The Conversions page's queries, from QA: searching orders anywhere in their id or email, and the months offered."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_conversion_support import generic, program

from desktop.db import Database
from desktop.services.conversion_import import import_conversions
from desktop.services.conversions_list import ConversionFilter, conversion_periods, count_conversions, list_conversions

HEADER = ["order_id", "occurred_at", "amount", "customer_email"]


@pytest.fixture
def shop(any_db: Database, tmp_path: Path) -> Database:
    program(any_db)
    import_conversions(any_db, generic(tmp_path / "orders.csv",
                                       ["#1001", "2026-10-03 10:00", "10.00", "c1@x.com"],
                                       ["#10015", "2026-10-04 10:00", "10.00", "Big.Spender@Example.org"],
                                       ["1001", "2026-10-05 10:00", "10.00", ""],
                                       ["A_1", "2026-10-06 10:00", "10.00", ""],
                                       ["AB1", "2026-10-07 10:00", "10.00", "ab@x.com"],
                                       ["ord-50%", "2026-10-08 10:00", "10.00", ""],
                                       ["S-21001", "2026-10-09 10:00", "10.00", ""],
                                       header=HEADER), check_fraud=False)  # fmt: skip
    return any_db


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("1001", ["1001", "#10015", "#1001"]),  # the number with or without "#", or starting so
        ("#1001", ["1001", "#10015", "#1001"]),
        ("10015", ["#10015"]),
        ("X.COM", ["AB1", "#1001"]),  # anywhere in the email, any case
        ("spender@example", ["#10015"]),
        ("#b1", ["AB1"]),  # anywhere in the id; a "#" before text is left out too
        ("_", ["A_1"]),  # a character, not LIKE's wildcard
        ("50%", ["ord-50%"]),
        ("%", ["ord-50%"]),
        ("21001", []),  # an order number is found by its start: the id's index finds it among a million
        ("nobody", []),
    ],
)
def test_search_finds_orders_by_any_part_of_their_id_or_email(shop: Database, search: str, found: list[str]) -> None:
    flt = ConversionFilter(search=search)
    assert [row.order_id for row in list_conversions(shop, flt)] == found
    assert count_conversions(shop, flt) == len(found)


def test_a_search_reads_pages_newest_first(shop: Database) -> None:
    from desktop.services.conversions_list import page_key

    flt = ConversionFilter(search="X.COM")
    first = list_conversions(shop, flt, limit=1)
    assert [row.order_id for row in first] == ["AB1"]
    assert [row.order_id for row in list_conversions(shop, flt, after=page_key(first[0]))] == ["#1001"]


def test_the_months_offered_are_those_with_orders(any_db: Database, tmp_path: Path) -> None:
    """A mistyped year (2062) adds its month, not the 430 empty months between."""
    program(any_db)
    assert conversion_periods(any_db) == []
    import_conversions(any_db, generic(tmp_path / "orders.csv",
                                       ["A-1", "2026-08-31 23:00", "10.00"],
                                       ["A-2", "2026-08-01 10:00", "10.00"],
                                       ["A-3", "2026-10-01 00:00", "10.00"],
                                       ["A-4", "2062-10-03 10:00", "10.00"],
                                       header=HEADER), check_fraud=False)  # fmt: skip
    assert conversion_periods(any_db) == ["2062-10", "2026-10", "2026-08"]
