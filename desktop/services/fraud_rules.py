"""Fraud rules: their settings, what a rule finds, the months a scan covers, and helpers the rules share."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session

from desktop.models import Affiliate
from desktop.services.errors import BadInput

LIVE = ("approved", "pending")  # orders that earn (or will earn) commission: what a rule can still prevent
IN_CHUNK = 900  # keys per IN (...): below the bound-parameter limit of old SQLite builds
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip
PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class FraudSettings:
    """What each rule looks for. The defaults are the program's; tests and power users pass their own."""

    self_referral_max_distance: int = 1  # characters between a customer's and the affiliate's address (0: off)
    self_referral_min_local: int = 5  # shorter names than this ("bob") only match exactly: too many real Bobs
    duplicate_window_minutes: int = 30  # same customer, same amount, this close together: a repeat
    flood_clicks: int = 10  # more than this many clicks from one IP or visitor...
    flood_seconds: int = 60  # ...within this many seconds is a click flood
    rate_min_sales: int = 10  # the conversion rate is judged from this many link sales in a month on
    rate_low: Decimal = Decimal("0.0002")  # 0.02 %: below looks like bought or bot traffic
    rate_high: Decimal = Decimal("0.20")  # 20 %: above looks like faked clicks or orders
    refund_min_orders: int = 5  # the refund rate is judged from this many sales in a month on
    refund_rate: Decimal = Decimal("0.25")  # 25 % of the month's sales revenue refunded or more
    coupon_min_orders: int = 10  # coupon orders without a click on the affiliate's links in a month...
    coupon_spike: Decimal = Decimal("3")  # ...at least this many times the usual monthly coupon orders...
    coupon_baseline_months: int = 3  # ...averaged over this many months before
    coupon_min_baseline: Decimal = Decimal("3")  # a new partner's "usual" is at least this many orders
    disposable_min_orders: int = 1  # orders from throwaway addresses in a month


DEFAULT_SETTINGS = FraudSettings()

RULE_LABELS = {
    "self_referral": "Self-referral",
    "duplicate_orders": "Duplicate orders",
    "click_flood": "Click flood",
    "conversion_rate": "Conversion rate out of range",
    "refund_rate": "High refund rate",
    "coupon_leakage": "Coupon leakage",
    "shared_payee": "Shared payee details",
    "inactive_affiliate": "Orders for an inactive affiliate",
    "disposable_email": "Disposable customer e-mail",
}
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}


@dataclass(frozen=True)
class Finding:
    """What a rule found: one future flag. `key` tells findings of one rule, affiliate and period apart."""

    rule: str
    affiliate_id: int | None
    period: str | None
    severity: str
    evidence: str  # one line, in plain language, naming the numbers
    conversion_ids: tuple[int, ...] = ()
    key: str = ""

    @property
    def fingerprint(self) -> str:
        return f"{self.rule}:{self.affiliate_id or '-'}:{self.period or '-'}:{self.key}"[:200]


# --- periods -----------------------------------------------------------------------------------------------


def parse_period(text: str) -> str:
    """ "2026-10" -> "2026-10"; BadInput for anything else."""
    match = PERIOD_RE.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise BadInput(f"{text!r} is not a period; write it as YYYY-MM, like 2026-10")
    return text.strip()


def period_bounds(period: str) -> tuple[date, date]:
    """The first day of the month and the first day of the next."""
    year, month = (int(part) for part in parse_period(period).split("-"))
    return date(year, month, 1), date(year + month // 12, month % 12 + 1, 1)


def shift_period(period: str, months: int) -> str:
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_label(period: str) -> str:
    """ "2026-10" -> "October 2026"."""
    year, month = period.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def period_of(day: date | datetime) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class Scope:
    """The months a scan looks at (all of them when `periods` is empty) and the SQL dialect it speaks."""

    periods: tuple[str, ...] = ()
    sqlite: bool = True

    def dates(self, column: Any, months_before: int = 0) -> list[ColumnElement[bool]]:
        """Conditions keeping `column` (a date) inside the scope's months (and `months_before` ahead of them)."""
        if not self.periods:
            return []
        bounds = [period_bounds(shift_period(p, -months_before))[0] for p in self.periods]
        ends = [period_bounds(p)[1] for p in self.periods]
        if len(self.periods) == 1 or months_before:
            return [column >= min(bounds), column < max(ends)]
        return [or_(*(and_(column >= start, column < end) for start, end in zip(bounds, ends, strict=True)))]

    def month(self, column: Any) -> ColumnElement[str]:
        """The YYYY-MM of a date column, in SQL."""
        # The format is a literal, not a parameter: PostgreSQL must see the GROUP BY and SELECT expressions as one.
        if self.sqlite:  # dates and times are stored as text there ("2026-10-03 14:05:00"): no parsing needed
            return func.substr(column, 1, 7)
        return func.to_char(column, literal_column("'YYYY-MM'"))

    def domain(self, column: Any) -> ColumnElement[str]:
        """The lower-cased part after the "@" of an e-mail column, in SQL."""
        lowered = func.lower(column)
        if self.sqlite:
            return func.substr(lowered, func.instr(lowered, "@") + 1)
        return func.split_part(lowered, "@", 2)

    def parent_domain(self, domain: ColumnElement[str]) -> ColumnElement[str]:
        """ "eu.mailinator.com" -> "mailinator.com", in SQL."""
        position = func.instr(domain, ".") if self.sqlite else func.strpos(domain, ".")
        return func.substr(domain, position + 1)

    def within(self, period: str) -> bool:
        return not self.periods or period in self.periods


# --- small helpers the rules share ------------------------------------------------------------------------


@dataclass(frozen=True)
class Partner:
    id: int
    code: str
    name: str
    email: str | None
    payee_email: str | None
    status: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


def partners(session: Session, ids: Iterable[int] | None = None) -> dict[int, Partner]:
    """Affiliates by id: the ones asked for, or all of them."""
    table = Affiliate.__table__.c
    columns = (table.id, table.code, table.name, table.email, table.payee_email, table.status)
    if ids is None:
        return {row[0]: Partner(*row) for row in session.execute(select(*columns))}
    found: dict[int, Partner] = {}
    wanted = sorted(set(ids))
    for first in range(0, len(wanted), IN_CHUNK):
        query = select(*columns).where(table.id.in_(wanted[first : first + IN_CHUNK]))
        found.update((row[0], Partner(*row)) for row in session.execute(query))
    return found


def chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for first in range(0, len(values), IN_CHUNK):
        yield values[first : first + IN_CHUNK]


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def percent(rate: Decimal) -> str:
    """Decimal("0.123") -> "12.3 %"; tiny rates keep two significant digits: "0.0048 %"."""
    value = rate * 100
    if value == 0:
        return "0 %"
    exponent = value.adjusted() - 1 if value < Decimal("0.1") else -1
    text = f"{value.quantize(Decimal(1).scaleb(exponent)).normalize():f}"
    return f"{text} %"


def short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def listed(items: Sequence[str], limit: int = 3) -> str:
    """ "a, b and c", or "a, b, c and 4 more"."""
    shown = list(items[:limit])
    rest = len(items) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
