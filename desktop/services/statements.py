"""The affiliate statement: clicks, sales, every order with its commission, bonuses, adjustments and payouts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import (
    Adjustment,
    Affiliate,
    CommissionLine,
    CommissionPlan,
    Conversion,
    ConversionLine,
    PayoutLine,
    PayoutSheet,
    RateReward,
)
from desktop.money import ZERO, from_cents, spread
from desktop.services.commission_engine import OrderLine, PlanError
from desktop.services.errors import BadInput
from desktop.services.metrics import DateRange, Metrics, affiliate_metrics, plan_terms_loader
from desktop.services.payout_months import NOTHING_PAID, paid_before, price_month
from desktop.services.payout_refunds import cents
from desktop.services.payout_types import BONUS_KINDS, check_period
from desktop.services.program_settings import get_program, program_in
from desktop.services.report_review import plain_reason
from desktop.services.targets import program_today

KIND_LABELS = {
    "bonus": "Bonus",
    "target_bonus": "Target bonus",
    "adjustment": "Adjustment",
    "refund": "Refund after payment",
}


@dataclass(frozen=True)
class StatementOrder:
    order_id: str
    day: date
    type: str  # sale | lead | signup
    status: str  # approved | pending | rejected | refunded
    amount: Decimal
    refunded: Decimal
    net: Decimal
    commission: Decimal | None  # None: the order earns nothing (not approved)
    sheet: str | None = None  # the payout sheet (period) its commission is on; None: not on a sheet yet
    sheet_state: str | None = None  # draft | approved | paid

    @property
    def estimated(self) -> bool:
        return self.commission is not None and self.sheet is None

    @property
    def source(self) -> str:
        """Where the commission comes from: "sheet 2026-10 (paid)", "estimate", or why there is none."""
        if self.sheet is not None:
            return f"sheet {self.sheet} ({self.sheet_state})"
        return "estimate" if self.commission is not None else f"{self.status}: no commission"


NET_PARTS = {  # how the orders' net total splits, in the order the statement lists the parts
    "sale": "approved sales: the revenue in the summary",
    "other": "approved leads and signups: flat amounts, not revenue",
    "pending": "pending: no commission until approved",
    "rejected": "rejected: no commission",
    "refunded": "refunded: no commission",
}


@dataclass(frozen=True)
class NetPart:
    """One part of the orders' net total: the approved sales (the summary's revenue) and what does not count."""

    key: str  # sale | other | pending | rejected | refunded (or another status)
    label: str
    orders: int
    net: Decimal


def net_parts(orders: tuple[StatementOrder, ...]) -> tuple[NetPart, ...]:
    """The orders grouped so that the parts add up to the orders' net total and the first is the revenue."""
    groups: dict[str, list[StatementOrder]] = defaultdict(list)
    for order in orders:
        key = order.status if order.status != "approved" else "sale" if order.type == "sale" else "other"
        groups[key].append(order)
    keys = [k for k in NET_PARTS if k in groups] + sorted(k for k in groups if k not in NET_PARTS)
    return tuple(
        NetPart(k, NET_PARTS.get(k, f"{k}: no commission"), len(groups[k]), sum((o.net for o in groups[k]), ZERO))
        for k in keys
    )


@dataclass(frozen=True)
class StatementAdjustment:
    period: str
    kind: str
    kind_label: str
    amount: Decimal
    reason: str
    order_id: str | None


@dataclass(frozen=True)
class StatementPayout:
    """The affiliate's line on one payout sheet of the range."""

    period: str
    state: str  # draft | approved | paid
    commission: Decimal
    over_cap: Decimal
    bonuses: Decimal
    adjustments: Decimal
    carried_in: Decimal
    payable: Decimal
    carried_out: Decimal
    held: bool
    paid_on: date | None
    reference: str | None

    @property
    def status_text(self) -> str:
        if self.held:
            return "Held: carried to the next sheet"
        if self.payable <= 0:
            return "Nothing paid: balance carried" if self.carried_out else "Nothing due"
        if self.state == "paid":
            when = self.paid_on.isoformat() if self.paid_on else ""
            return f"Paid {when}" + (f" · {self.reference}" if self.reference else "")
        return "Approved: to be paid" if self.state == "approved" else "Draft: may still change"


@dataclass(frozen=True)
class StatementData:
    program_name: str
    currency: str
    affiliate_id: int
    code: str
    name: str
    email: str | None
    payee_email: str | None
    range: DateRange
    range_label: str
    generated_on: date
    metrics: Metrics
    orders: tuple[StatementOrder, ...]
    adjustments: tuple[StatementAdjustment, ...]
    payouts: tuple[StatementPayout, ...]

    @property
    def title(self) -> str:
        return f"Statement · {self.name} ({self.code}) · {self.range_label}"

    @property
    def net_total(self) -> Decimal:
        return sum((o.net for o in self.orders), ZERO)

    @property
    def net_parts(self) -> tuple[NetPart, ...]:
        return net_parts(self.orders)

    @property
    def commission_total(self) -> Decimal:
        return sum((o.commission for o in self.orders if o.commission is not None), ZERO)

    @property
    def estimated_total(self) -> Decimal:
        return sum((o.commission for o in self.orders if o.commission is not None and o.estimated), ZERO)

    @property
    def over_cap_total(self) -> Decimal:
        """What the plan's cap cut from the commission on the payout sheets of the range."""
        return sum((p.over_cap for p in self.payouts), ZERO)

    @property
    def bonuses_total(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.kind in BONUS_KINDS), ZERO)

    @property
    def adjustments_total(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.kind not in BONUS_KINDS), ZERO)

    @property
    def paid_total(self) -> Decimal:
        return sum((p.payable for p in self.payouts if p.state == "paid" and not p.held), ZERO)


def as_range(period: str | DateRange) -> DateRange:
    return period if isinstance(period, DateRange) else DateRange.month(check_period(period))


def _sheet_commissions(session: Session, affiliate_id: int, rng: DateRange) -> dict[int, tuple[Decimal, str, str]]:
    """Commission per order from the payout sheets' lines, with the sheet it is on."""
    c, cl, sheet = Conversion, CommissionLine, PayoutSheet
    query = (
        select(cl.conversion_id, func.sum(cents(cl.commission)), sheet.period, sheet.state)
        .join(c, c.id == cl.conversion_id)
        .join(sheet, sheet.id == cl.sheet_id)
        .where(cl.affiliate_id == affiliate_id, c.local_date.between(rng.start, rng.end))
        .group_by(cl.conversion_id, sheet.period, sheet.state)
    )
    return {cid: (from_cents(int(total)), period, state) for cid, total, period, state in session.execute(query)}


def _estimates(db: Database, session: Session, affiliate_id: int, rng: DateRange) -> dict[int, Decimal]:
    """What the plan gives the approved orders not yet on a sheet, month by month (tiers count the whole month)."""
    plan_id = session.scalar(select(Affiliate.plan_id).where(Affiliate.id == affiliate_id))
    plan_id = plan_id or session.scalar(select(CommissionPlan.id).order_by(CommissionPlan.position, CommissionPlan.id))
    terms = plan_terms_loader(db)(plan_id) if plan_id is not None else None
    if terms is None:
        return {}
    found: dict[int, Decimal] = {}
    c, line = Conversion, ConversionLine
    for period in rng.periods:
        month = DateRange.month(period)
        query = (
            select(
                c.id,
                c.order_id,
                c.occurred_at,
                c.type,
                cents(c.net_amount),
                line.line_no,
                line.sku,
                line.quantity,
                cents(line.amount),
            )  # fmt: skip
            .outerjoin(line, line.conversion_id == c.id)
            .where(c.affiliate_id == affiliate_id, c.status == "approved", c.local_date.between(month.start, month.end))
            .where(~select(CommissionLine.id).where(CommissionLine.conversion_id == c.id).exists())
            .order_by(c.id, line.line_no)
        )
        orders: dict[int, list[tuple[str, int, Any, str, int, int | None, str | None, int, int]]] = defaultdict(list)
        for cid, order_id, at, kind, net, number, sku, qty, amount in session.execute(query):
            orders[cid].append((order_id, number or 1, at, kind, int(net), number, sku, qty or 1, int(amount or 0)))
        lines: list[OrderLine] = []
        ids: dict[str, int] = {}
        for cid, parts in orders.items():
            order_id, _, at, kind, net, first_line, *_ = parts[0]
            ids[order_id] = cid
            amounts = [part[8] for part in parts] if first_line is not None else [net]
            for part, share in zip(parts, spread(net, amounts), strict=True):
                lines.append(OrderLine(order_id, part[1], at, kind, from_cents(share), part[7], part[6]))
        if not lines:
            continue
        boost = sum(session.scalars(select(RateReward.rate_boost).where(
            RateReward.affiliate_id == affiliate_id, RateReward.period == period)), Decimal(0))  # fmt: skip
        # priced in its own month, as the sheet that takes it will (payout_months): the month's paid orders count
        # for the tier, its cap gives what earlier sheets left; after the month's sheet, as a late month
        currency = program_in(session).currency
        before = paid_before(session, {period: {affiliate_id}}, currency).get((affiliate_id, period), NOTHING_PAID)
        late = session.scalar(select(PayoutSheet.id).where(PayoutSheet.period == period,
                                                           PayoutSheet.state != "draft")) is not None  # fmt: skip
        try:
            result = price_month(replace(terms, rate_boost=boost), period, lines, before, late=late)
        except PlanError:  # a boost past 100 %: the plan's own rates, as the dashboard does
            result = price_month(terms, period, lines, before, late=late)
        for commission in result.lines:
            cid = ids[commission.order_id]
            found[cid] = found.get(cid, ZERO) + commission.amount
    return found


def _orders(db: Database, session: Session, affiliate_id: int, rng: DateRange) -> tuple[StatementOrder, ...]:
    on_sheets = _sheet_commissions(session, affiliate_id, rng)
    estimates = _estimates(db, session, affiliate_id, rng)
    c = Conversion
    query = (
        select(c.id, c.order_id, c.local_date, c.type, c.status, c.amount, c.refunded_amount, c.net_amount)
        .where(c.affiliate_id == affiliate_id, c.local_date.between(rng.start, rng.end))
        .order_by(c.local_date, c.occurred_at, c.id)
    )
    orders = []
    for cid, order_id, day, kind, status, amount, refunded, net in session.execute(query):
        sheet: str | None = None
        state: str | None = None
        if cid in on_sheets:
            commission, sheet, state = on_sheets[cid]
        elif status == "approved":
            commission = estimates.get(cid, ZERO)
        else:
            commission = None
        orders.append(StatementOrder(order_id, day, kind, status, amount, refunded, net, commission, sheet, state))
    return tuple(orders)


def _adjustments(session: Session, affiliate_id: int, rng: DateRange) -> tuple[StatementAdjustment, ...]:
    query = (
        select(Adjustment.period, Adjustment.kind, Adjustment.amount, Adjustment.reason, Conversion.order_id)
        .outerjoin(Conversion, Conversion.id == Adjustment.conversion_id)
        .where(Adjustment.affiliate_id == affiliate_id, Adjustment.period.in_(rng.periods))
        .order_by(Adjustment.period, Adjustment.id)
    )
    return tuple(
        StatementAdjustment(period, kind, KIND_LABELS.get(kind, kind), amount, plain_reason(reason), order_id)
        for period, kind, amount, reason, order_id in session.execute(query)
    )


def _payouts(session: Session, affiliate_id: int, rng: DateRange) -> tuple[StatementPayout, ...]:
    line, sheet = PayoutLine, PayoutSheet
    query = (
        select(sheet.period, sheet.state, sheet.paid_at, sheet.paid_reference, line)
        .join(line, and_(line.sheet_id == sheet.id, line.affiliate_id == affiliate_id))
        .where(sheet.period.in_(rng.periods))
        .order_by(sheet.period)
    )
    return tuple(
        StatementPayout(period, state, row.commission, row.over_cap, row.bonuses, row.adjustments, row.carried_in,
                        row.payable, row.carried_out, row.held, paid_at.date() if paid_at else None, reference)
        for period, state, paid_at, reference, row in session.execute(query)
    )  # fmt: skip


def statement_data(
    db: Database, affiliate_id: int, period: str | DateRange, today: date | None = None
) -> StatementData:
    """An affiliate's statement for a month ("2026-10") or a range of days."""
    rng = as_range(period)
    settings = get_program(db)
    with db.read() as session:
        found = session.execute(
            select(Affiliate.code, Affiliate.name, Affiliate.email, Affiliate.payee_email).where(
                Affiliate.id == affiliate_id
            )
        ).first()
        if found is None:
            raise BadInput(f"There is no affiliate #{affiliate_id} (deleted meanwhile?)")
        today = today or program_today(session)
        orders = _orders(db, session, affiliate_id, rng)
        adjustments = _adjustments(session, affiliate_id, rng)
        payouts = _payouts(session, affiliate_id, rng)
    code, name, email, payee = found
    return StatementData(
        program_name=settings.name,
        currency=settings.currency,
        affiliate_id=affiliate_id,
        code=code,
        name=name,
        email=email,
        payee_email=payee or email,
        range=rng,
        range_label=rng.label,
        generated_on=today,
        metrics=affiliate_metrics(db, affiliate_id, rng),
        orders=orders,
        adjustments=adjustments,
        payouts=payouts,
    )
