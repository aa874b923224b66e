"""Money: one rounding rule (half-up, to the cent) and integer cents in the database."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.db import Database
from desktop.models import Program
from desktop.money import MoneyError, from_cents, parse_money, parse_rate, round_money, to_cents


@pytest.mark.parametrize(
    ("rate", "amount", "expected"),
    [
        ("20%", "0.07", "0.01"),
        ("20%", "0.03", "0.01"),
        ("10%", "0.15", "0.02"),  # half-up, not banker's half-even (which gives 0.02 too, but 0.025 -> 0.03)
        ("2.9%", "5.00", "0.15"),
        ("50%", "0.01", "0.01"),
        ("20%", "0.02", "0.00"),
        ("50%", "0.05", "0.03"),  # 0.025: half-even would give 0.02
    ],
)
def test_peer_rounding_cases(rate: str, amount: str, expected: str) -> None:
    assert round_money(parse_rate(rate) * Decimal(amount)) == Decimal(expected)


def test_round_money_refuses_float() -> None:
    with pytest.raises(TypeError):
        round_money(0.1)  # type: ignore[arg-type]


def test_to_cents_refuses_to_round_silently() -> None:
    with pytest.raises(MoneyError):
        to_cents(Decimal("1.005"))


def test_parse_money() -> None:
    assert parse_money("1234.5") == Decimal("1234.50")
    assert parse_money("-3") == Decimal("-3.00")
    for bad in ("", "abc", "1.234", "NaN", "Infinity", "1e40", "-1e15", Decimal("1e30")):
        with pytest.raises(MoneyError):
            parse_money(bad)


@pytest.mark.parametrize(("text", "expected"), [("2,400.00", "2400.00"), ("1,234,567.5", "1234567.50"),
                                              ("-1,000", "-1000.00"), ("2400", "2400.00")])  # fmt: skip
def test_commas_may_group_thousands(text: str, expected: str) -> None:
    assert parse_money(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["12,5", "4,50", "1,00,000", "1,2345", ",5", "1,000,00"])
def test_any_other_comma_is_refused_never_dropped(text: str) -> None:
    """A decimal comma typed by habit ("12,5") must not become 125.00."""
    with pytest.raises(MoneyError, match="write the cents after a dot"):
        parse_money(text)


@given(st.integers(min_value=-(10**18), max_value=10**18))
def test_cents_round_trip(cents: int) -> None:
    assert to_cents(from_cents(cents)) == cents


def test_huge_amount_round_trips_exactly(db: Database, db_path: Path) -> None:
    amount = Decimal("12345678901234567.89")
    with db.write() as session:
        session.add(Program(id=1, payout_threshold=amount, north_star_target=Decimal("0.07")))
    with db.read() as session:
        row = session.get(Program, 1)
        assert row is not None
        assert row.payout_threshold == amount
        assert row.north_star_target == Decimal("0.07")


def test_money_columns_hold_integers_in_the_file(db: Database, db_path: Path) -> None:
    with db.write() as session:
        session.add(Program(id=1, payout_threshold=Decimal("50.10"), north_star_target=Decimal("19.99")))
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute(
            "SELECT typeof(payout_threshold), payout_threshold, typeof(north_star_target), north_star_target "
            "FROM program"
        ).fetchone()
    finally:
        conn.close()
    assert row == ("integer", 5010, "integer", 1999)


def test_money_column_refuses_float(db: Database) -> None:
    from sqlalchemy.exc import StatementError

    with pytest.raises((TypeError, StatementError)), db.write() as session:
        session.add(Program(id=1, payout_threshold=50.1))  # type: ignore[arg-type]
