"""Money arithmetic for the whole application: Decimal in, Decimal out, one rounding rule."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
# Commas that group thousands, and only those: "2,400.00", "-1,234,567". "12,5" is not one (a decimal comma).
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


class MoneyError(ValueError):
    """A text or number that is not an amount of money or a rate."""


def round_money(value: Decimal) -> Decimal:
    """Round half-up to the cent. The only rounding of money in the application."""
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be Decimal, not {type(value).__name__}")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(value: Decimal) -> int:
    """Exact integer cents of an amount that is already on the cent (refuses to round silently)."""
    if not isinstance(value, Decimal):
        raise TypeError(f"money must be Decimal, not {type(value).__name__}")
    cents = value * HUNDRED
    if cents != cents.to_integral_value():
        raise MoneyError(f"{value} has more than two decimals; round it first")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(int(cents)) / HUNDRED).quantize(CENT)


MONEY_LIMIT = Decimal(10) ** 15  # a thousand million million: far below a BIGINT of cents, far above any payout


def parse_money(text: str | int | Decimal) -> Decimal:
    """Read an amount written with a dot as decimal separator: "1234.5" -> Decimal("1234.50"). Commas may group
    thousands ("2,400.00"); any other comma is refused, never dropped: "12,5" is not 125.00."""
    if isinstance(text, float):
        raise MoneyError("amounts must not be floats")
    if isinstance(text, (int, Decimal)):
        value = Decimal(text)
    else:
        cleaned = text.strip().replace(" ", "")
        if not cleaned:
            raise MoneyError("an amount is required")
        if "," in cleaned:
            if not _GROUPED.fullmatch(cleaned):
                raise MoneyError(f"{text!r} is not an amount: write the cents after a dot, like 12.50 (a comma "
                                 "may only group thousands, like 2,400.00)")  # fmt: skip
            cleaned = cleaned.replace(",", "")
        try:
            value = Decimal(cleaned)
        except InvalidOperation as exc:
            raise MoneyError(f"{text!r} is not an amount (write it like 1234.50)") from exc
    if not value.is_finite():
        raise MoneyError(f"{text!r} is not an amount")
    if abs(value) >= MONEY_LIMIT:  # "1e40": past what a cents column holds (and quantize would raise)
        raise MoneyError(f"{text!r} is too large an amount")
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        raise MoneyError(f"{text!r} has more than two decimals")
    return value.quantize(CENT)


def parse_rate(text: str | Decimal) -> Decimal:
    """Read a percentage "12.5%" (or "12.5") as the fraction Decimal("0.125")."""
    if isinstance(text, float):
        raise MoneyError("rates must not be floats")
    raw = str(text).strip()
    if raw.endswith("%"):
        raw = raw[:-1].strip()
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise MoneyError(f"{text!r} is not a percentage (write it like 12.5%)") from exc
    if not value.is_finite() or value < 0 or value > 100:
        raise MoneyError(f"{text!r} must be between 0% and 100%")
    return value / HUNDRED


def format_rate(fraction: Decimal) -> str:
    """Decimal("0.125") -> "12.5%"."""
    pct = (fraction * HUNDRED).normalize()
    text = format(pct, "f")
    return f"{text}%"


def format_money(value: Decimal, currency: str = "") -> str:
    """Decimal("2400") -> "2,400.00" (with the currency code after it when given)."""
    text = f"{value:,.2f}"
    return f"{text} {currency}".strip()


def spread(net: int, amounts: list[int]) -> list[int]:
    """An order's cents over its lines, in proportion to their amounts (largest remainder)."""
    total = sum(amounts)
    if net >= total:
        return amounts
    if net <= 0 or total <= 0:
        return [0] * len(amounts)
    shares = [net * amount // total for amount in amounts]
    left = net - sum(shares)
    if left:
        by_remainder = sorted(range(len(amounts)), key=lambda i: (-(net * amounts[i] % total), i))
        for index in by_remainder[:left]:
            shares[index] += 1
    return shares
