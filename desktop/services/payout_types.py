"""What the payout services hand out: periods, sheet rows, line details and build summaries as frozen values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from desktop.money import ZERO
from desktop.services.errors import BadInput

# The payout CSV's columns, in order (DESIGN.md §7); the workbook's summary sheet starts with the same.
CSV_COLUMNS = (
    "affiliate_code",
    "affiliate_name",
    "payee_email",
    "currency",
    "sales",
    "sales_revenue",
    "leads",
    "signups",
    "commission",
    "over_cap",
    "bonuses",
    "adjustments",
    "carried_in",
    "payable",
    "carried_out",
)
COUNT_COLUMNS = ("sales", "leads", "signups")
MONEY_COLUMNS = (
    "sales_revenue",
    "commission",
    "over_cap",
    "bonuses",
    "adjustments",
    "carried_in",
    "payable",
    "carried_out",
)
MANUAL_KINDS = ("bonus", "adjustment")  # what a person adds on the page; refunds and target bonuses are made for them
BONUS_KINDS = ("bonus", "target_bonus")  # the bonuses column; the others go to the adjustments column
_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


def check_period(text: str) -> str:
    """A period written YYYY-MM, returned as given; BadInput otherwise."""
    cleaned = (text or "").strip()
    match = _PERIOD_RE.match(cleaned)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise BadInput(f"{text!r} is not a period: write the month as YYYY-MM, like 2026-10")
    return cleaned


def period_start(period: str) -> date:
    year, month = period.split("-")
    return date(int(year), int(month), 1)


def period_end(period: str) -> date:
    return next_period_start(period) - timedelta(days=1)


def next_period_start(period: str) -> date:
    start = period_start(period)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_period(period: str) -> str:
    return period_of(period_start(period) - timedelta(days=1))


def next_period(period: str) -> str:
    return period_of(next_period_start(period))


@dataclass(frozen=True)
class SheetRow:
    """One affiliate's line on a sheet: the payout CSV's columns, and whether a hold stopped the payment."""

    affiliate_id: int
    affiliate_code: str
    affiliate_name: str
    payee_email: str
    currency: str
    sales: int
    sales_revenue: Decimal
    leads: int
    signups: int
    commission: Decimal
    over_cap: Decimal
    bonuses: Decimal
    adjustments: Decimal
    carried_in: Decimal
    payable: Decimal
    carried_out: Decimal
    held: bool = False
    plan: str = ""  # "Standard v2", or "" when no commission was computed

    @property
    def status(self) -> str:
        """held | negative balance | below threshold | pays | nothing due."""
        if self.held:
            return "held"
        if self.carried_out < 0:
            return "negative balance"
        if self.carried_out > 0:
            return "below threshold"
        return "pays" if self.payable > 0 else "nothing due"

    def value(self, column: str) -> object:
        return getattr(self, column)


@dataclass(frozen=True)
class SheetTotals:
    affiliates: int = 0
    paying: int = 0  # affiliates with something payable
    held: int = 0
    carrying: int = 0  # affiliates whose balance carries (below threshold, negative or held)
    sales: int = 0
    sales_revenue: Decimal = ZERO
    leads: int = 0
    signups: int = 0
    commission: Decimal = ZERO
    over_cap: Decimal = ZERO
    bonuses: Decimal = ZERO
    adjustments: Decimal = ZERO
    carried_in: Decimal = ZERO
    payable: Decimal = ZERO
    carried_out: Decimal = ZERO


def totals_of(rows: list[SheetRow]) -> SheetTotals:
    def money(name: str) -> Decimal:
        return sum((getattr(row, name) for row in rows), ZERO)

    return SheetTotals(
        affiliates=len(rows),
        paying=sum(1 for row in rows if row.payable > 0),
        held=sum(1 for row in rows if row.held),
        carrying=sum(1 for row in rows if row.carried_out != 0),
        sales=sum(row.sales for row in rows),
        sales_revenue=money("sales_revenue"),
        leads=sum(row.leads for row in rows),
        signups=sum(row.signups for row in rows),
        commission=money("commission"),
        over_cap=money("over_cap"),
        bonuses=money("bonuses"),
        adjustments=money("adjustments"),
        carried_in=money("carried_in"),
        payable=money("payable"),
        carried_out=money("carried_out"),
    )


@dataclass(frozen=True)
class PayableChange:
    """How one affiliate's line moved between two builds of a draft (None: not on that build)."""

    affiliate_code: str
    affiliate_name: str
    payable_before: Decimal | None
    payable_after: Decimal | None
    carried_before: Decimal | None
    carried_after: Decimal | None

    @property
    def description(self) -> str:
        def money(value: Decimal | None) -> str:
            return "—" if value is None else f"{value:,.2f}"

        if self.payable_before is None:
            return f"new on the sheet: pays {money(self.payable_after)}, carries {money(self.carried_after)}"
        if self.payable_after is None:
            return f"no longer on the sheet (paid {money(self.payable_before)}, carried {money(self.carried_before)})"
        parts = []
        if self.payable_before != self.payable_after:
            parts.append(f"payable {money(self.payable_before)} → {money(self.payable_after)}")
        if self.carried_before != self.carried_after:
            parts.append(f"carried out {money(self.carried_before)} → {money(self.carried_after)}")
        return ", ".join(parts)


@dataclass(frozen=True)
class SheetInfo:
    """A sheet's state and what it was built with (the periods list and the page's header)."""

    id: int
    period: str
    state: str  # draft | approved | paid
    currency: str
    built_at: datetime
    built_by: str
    approved_at: datetime | None
    approved_by: str | None
    paid_on: date | None
    paid_reference: str | None
    as_of: date | None
    hold_days: int
    payout_threshold: Decimal
    plan_versions: tuple[str, ...]  # "Standard v2 · 10 % of sales · cap 1,000.00"
    warnings: tuple[str, ...]
    changes: tuple[PayableChange, ...] | None  # None: the first build
    previous_build: datetime | None
    affiliates: int
    payable: Decimal
    paying: int

    @property
    def frozen(self) -> bool:
        return self.state != "draft"

    @property
    def state_text(self) -> str:
        if self.state == "paid":
            return f"paid {self.paid_on.isoformat() if self.paid_on else ''} · {self.paid_reference or ''}".strip()
        return self.state


@dataclass(frozen=True)
class SheetSummary:
    """What building a sheet did."""

    period: str
    state: str
    currency: str
    affiliates: int
    paying: int
    held: int
    carrying: int
    payable: Decimal
    commission: Decimal
    conversions: int  # orders on the sheet
    commission_lines: int
    waiting: int  # orders of the period younger than the hold days (or after as_of): they wait for the next sheet
    refunds: int  # refund adjustments made for orders refunded after payment
    rebuilt: bool
    changes: tuple[PayableChange, ...]
    warnings: tuple[str, ...]
    as_of: date


@dataclass(frozen=True)
class CommissionLineRow:
    """One order line behind an affiliate's commission, with the rule and its trace."""

    conversion_id: int
    order_id: str
    local_date: date
    type: str
    line_no: int
    sku: str | None
    product: str | None
    quantity: int
    amount: Decimal
    commission: Decimal
    rule: str
    trace: str


@dataclass(frozen=True)
class AdjustmentRow:
    id: int
    affiliate_id: int
    affiliate_code: str
    affiliate_name: str
    period: str
    kind: str  # bonus | adjustment | refund | target_bonus
    amount: Decimal
    reason: str
    order_id: str | None
    created_at: datetime
    created_by: str
    removable: bool  # a manual line on a period that is still open


@dataclass(frozen=True)
class LineDetails:
    """The drill-down of one sheet row: the order lines with their traces, and the adjustments."""

    period: str
    state: str
    row: SheetRow
    lines: tuple[CommissionLineRow, ...]
    adjustments: tuple[AdjustmentRow, ...]
