"""Reading imported conversions back: the paged orders table and one order's full story."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select

from desktop.db import Database
from desktop.models import (
    Affiliate,
    CommissionLine,
    CommissionPlan,
    Conversion,
    ConversionLine,
    ConversionStatusChange,
    PayoutSheet,
)
from desktop.money import ZERO, format_money


@dataclass(frozen=True)
class ConversionFilter:
    period: str | None = None  # YYYY-MM
    affiliate_code: str | None = None  # an affiliate's code; else part of their code or name
    status: str | None = None
    type: str | None = None
    attributed: bool | None = None  # True: to an affiliate; False: organic
    search: str = ""  # order id or customer email: see _search


@dataclass(frozen=True)
class ConversionRow:
    id: int
    order_id: str
    occurred_at: datetime
    local_date: date
    type: str
    status: str
    amount: Decimal
    refunded_amount: Decimal
    net_amount: Decimal
    currency: str
    affiliate_code: str | None
    attribution: str


@dataclass(frozen=True)
class PageKey:
    """Where the next page starts: newest first, so the key is the last row's (date, time, id)."""

    local_date: date
    occurred_at: datetime
    id: int


@dataclass(frozen=True)
class LineView:
    line_no: int
    sku: str | None
    product: str | None
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class StatusView:
    changed_at: datetime
    from_status: str | None
    to_status: str
    from_refunded: Decimal | None
    to_refunded: Decimal
    note: str | None


@dataclass(frozen=True)
class CommissionView:
    period: str
    sheet_state: str
    line_no: int
    commission: Decimal
    trace: str


@dataclass(frozen=True)
class ConversionDetail:
    row: ConversionRow
    affiliate_name: str | None
    attribution_detail: str
    coupon_code: str | None
    referral_code: str | None
    visitor_id: str | None
    customer_email: str | None
    lines: tuple[LineView, ...]
    history: tuple[StatusView, ...]
    commissions: tuple[CommissionView, ...]
    commission_note: str
    # No sheet holds the order yet: what the plan gives it as things stand (sheet_state "estimate"), and the sum.
    estimate: tuple[CommissionView, ...] = ()
    estimate_total: Decimal | None = None


def _period_bounds(period: str) -> tuple[date, date]:
    year, month = (int(part) for part in period.split("-"))
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, end


LOOSE_FROM = 2  # characters: one letter is in most names, and counting all their orders takes a moment


def _affiliates_meant(text: str) -> Select:
    """The affiliate whose code this is; else (two characters or more) those whose code starts with it or whose
    name contains it."""
    exact = func.upper(Affiliate.code) == text.upper()
    if len(text) < LOOSE_FROM:
        return select(Affiliate.id).where(exact)
    pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # ilike: lower() on both sides on SQLite (ASCII letters), ILIKE on PostgreSQL
    loose = or_(Affiliate.code.ilike(f"{pattern}%", escape="\\"), Affiliate.name.ilike(f"%{pattern}%", escape="\\"))
    has_exact = select(Affiliate.id).where(exact).exists()
    return select(Affiliate.id).where(or_(exact, and_(~has_exact, loose)))


ORDER_NUMBER = re.compile(r"#*[0-9]+")  # what a shop numbers its orders with: "1001", "#1001"


def _search(text: str, sqlite: bool) -> ColumnElement[bool]:
    """The orders a search text finds; a leading "#" does not count ("1001" finds Shopify's "#1001").

    An order number (digits) finds the orders whose id is it or starts with it, with or without the "#": the
    order_id index finds them among 1,000,000 at once. Other text is looked for anywhere in the order id and the
    customer email, ignoring case: that reads every order (about a third of a second for 1,000,000 on SQLite).
    """
    bare = text.lstrip("#") or text
    ids = Conversion.order_id
    if ORDER_NUMBER.fullmatch(text):
        if sqlite:  # GLOB, unlike LIKE, tells case apart as the index does: so the index finds the prefix
            return or_(ids.op("GLOB")(f"{bare}*"), ids.op("GLOB")(f"#{bare}*"))
        return or_(ids.startswith(bare, autoescape=True), ids.startswith(f"#{bare}", autoescape=True))
    pattern = "%" + bare.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if sqlite:  # LIKE ignores case there (ASCII letters), at half the cost of ilike's lower() on both sides
        return or_(ids.like(pattern, escape="\\"), Conversion.customer_email.like(pattern, escape="\\"))
    return or_(ids.ilike(pattern, escape="\\"), Conversion.customer_email.ilike(pattern, escape="\\"))


def _reads_every_order(flt: ConversionFilter) -> bool:
    text = flt.search.strip()
    return bool(text) and not ORDER_NUMBER.fullmatch(text)


def _filtered(flt: ConversionFilter, query: Select, sqlite: bool) -> Select:
    conditions = []
    if flt.period:
        start, end = _period_bounds(flt.period)
        conditions += [Conversion.local_date >= start, Conversion.local_date < end]
    if flt.affiliate_code and flt.affiliate_code.strip():
        conditions.append(Conversion.affiliate_id.in_(_affiliates_meant(flt.affiliate_code.strip())))
    if flt.status:
        conditions.append(Conversion.status == flt.status)
    if flt.type:
        conditions.append(Conversion.type == flt.type)
    if flt.attributed is True:
        conditions.append(Conversion.affiliate_id.is_not(None))
    elif flt.attributed is False:
        conditions.append(Conversion.affiliate_id.is_(None))
    text = flt.search.strip()
    if text:
        conditions.append(_search(text, sqlite))
    return query.where(and_(*conditions)) if conditions else query


def count_conversions(db: Database, flt: ConversionFilter) -> int:
    with db.read() as session:
        return int(session.scalar(_filtered(flt, select(func.count()).select_from(Conversion), db.is_sqlite)) or 0)


def _row_query() -> Select:
    return select(
        Conversion.id,
        Conversion.order_id,
        Conversion.occurred_at,
        Conversion.local_date,
        Conversion.type,
        Conversion.status,
        Conversion.amount,
        Conversion.refunded_amount,
        Conversion.net_amount,
        Conversion.currency,
        Affiliate.code,
        Conversion.attribution,
    ).outerjoin(Affiliate, Affiliate.id == Conversion.affiliate_id)


def list_conversions(
    db: Database, flt: ConversionFilter, *, after: PageKey | None = None, limit: int = 200
) -> list[ConversionRow]:
    """One page, newest first. Keyset paging (`after` = the last row's key) stays fast a million rows deep."""
    query = _filtered(flt, _row_query(), db.is_sqlite)
    if after is not None:
        query = query.where(
            or_(
                Conversion.local_date < after.local_date,
                and_(
                    Conversion.local_date == after.local_date,
                    or_(
                        Conversion.occurred_at < after.occurred_at,
                        and_(Conversion.occurred_at == after.occurred_at, Conversion.id < after.id),
                    ),
                ),
            )
        )
    newest: Any = Conversion.local_date
    if db.is_sqlite and _reads_every_order(flt):
        # "+local_date" keeps SQLite from walking the date index newest first, looking each order up to test the
        # text: seconds on 1,000,000 orders when the text is rare. Reading the table and sorting what matches
        # takes the third of a second the count takes.
        newest = literal_column(f"+{Conversion.__tablename__}.local_date")
    query = query.order_by(newest.desc(), Conversion.occurred_at.desc(), Conversion.id.desc())
    with db.read() as session:
        rows = session.execute(query.limit(limit)).all()
    return [ConversionRow(*row) for row in rows]


def page_key(row: ConversionRow) -> PageKey:
    return PageKey(row.local_date, row.occurred_at, row.id)


def conversion_periods(db: Database) -> list[str]:
    """The months that have conversions, newest first (a mistyped year adds its month, not the years between).

    One look in the date index per month: the latest day before the month found last. Reading the distinct
    months of every order would read all of them.
    """
    periods = []
    with db.read() as session:
        last = session.scalar(select(func.max(Conversion.local_date)))
        while last is not None:
            periods.append(f"{last:%Y-%m}")
            before = last.replace(day=1)
            last = session.scalar(select(func.max(Conversion.local_date)).where(Conversion.local_date < before))
    return periods


def orders_not_in(db: Database, currency: str) -> int:
    """How many imported orders are in a currency other than this one."""
    with db.read() as session:
        return int(session.scalar(select(func.count()).where(Conversion.currency != currency)) or 0)


def has_conversions(db: Database) -> bool:
    """Whether any order has been imported at all."""
    with db.read() as session:
        return session.scalar(select(Conversion.id).limit(1)) is not None


def get_conversion(db: Database, conversion_id: int, *, today: date | None = None) -> ConversionDetail:
    """One order's full story; `today` (the program's, by default) decides whether its hold has passed."""
    with db.read() as session:
        row = session.execute(_row_query().where(Conversion.id == conversion_id)).first()
        if row is None:
            raise LookupError(f"no conversion {conversion_id}")
        conv = session.execute(
            select(
                Conversion.affiliate_id,
                Conversion.order_id,
                Conversion.status,
                Conversion.currency,
                Conversion.local_date,
                Conversion.attribution_detail,
                Conversion.coupon_code,
                Conversion.referral_code,
                Conversion.visitor_id,
                Conversion.customer_email,
            ).where(Conversion.id == conversion_id)
        ).one()
        name = None
        if conv.affiliate_id is not None:
            name = session.scalar(select(Affiliate.name).where(Affiliate.id == conv.affiliate_id))
        lines = session.execute(
            select(
                ConversionLine.line_no,
                ConversionLine.sku,
                ConversionLine.product,
                ConversionLine.quantity,
                ConversionLine.amount,
            )
            .where(ConversionLine.conversion_id == conversion_id)
            .order_by(ConversionLine.line_no)
        ).all()
        history = session.execute(
            select(
                ConversionStatusChange.changed_at,
                ConversionStatusChange.from_status,
                ConversionStatusChange.to_status,
                ConversionStatusChange.from_refunded,
                ConversionStatusChange.to_refunded,
                ConversionStatusChange.note,
            )
            .where(ConversionStatusChange.conversion_id == conversion_id)
            .order_by(ConversionStatusChange.changed_at.desc(), ConversionStatusChange.id.desc())
        ).all()
        commissions = session.execute(
            select(
                PayoutSheet.period,
                PayoutSheet.state,
                CommissionLine.line_no,
                CommissionLine.commission,
                CommissionLine.trace,
            )
            .join(PayoutSheet, PayoutSheet.id == CommissionLine.sheet_id)
            .where(CommissionLine.conversion_id == conversion_id)
            .order_by(PayoutSheet.period, CommissionLine.line_no)
        ).all()
    view = ConversionRow(*row)
    estimate: tuple[CommissionView, ...] = ()
    total = None
    if commissions:
        note = ""
    elif conv.affiliate_id is None:
        note = "Organic: no affiliate brought this order, so it earns no commission."
    elif conv.status == "pending":
        note = "Pending: it earns commission once the shop approves it (a later import brings the new status)."
    elif conv.status != "approved":
        note = f"{conv.status.capitalize()} orders earn no commission."
    else:
        estimate, total, note = _estimate(db, conv, today)
    return ConversionDetail(
        row=view,
        affiliate_name=name,
        attribution_detail=conv.attribution_detail or "",
        coupon_code=conv.coupon_code,
        referral_code=conv.referral_code,
        visitor_id=conv.visitor_id,
        customer_email=conv.customer_email,
        lines=tuple(LineView(*line) for line in lines),
        history=tuple(StatusView(*h) for h in history),
        commissions=tuple(CommissionView(*c) for c in commissions),
        commission_note=note,
        estimate=estimate,
        estimate_total=total,
    )


def _estimate(db: Database, conv: Any, today: date | None) -> tuple[tuple[CommissionView, ...], Decimal | None, str]:
    """What the plan gives an approved order no sheet holds yet, as the sheet that will take it computes it: the
    first month from the order's own without an approved sheet takes it, priced in the order's own month
    (payout_months): the tier counts that month's approved orders, those already paid included, and the cap gives
    what earlier sheets left of it."""
    from desktop.services.commission_engine import PlanError
    from desktop.services.fraud_rules import plural
    from desktop.services.metrics import month_orders, plan_terms_loader
    from desktop.services.payout_build import program_today
    from desktop.services.payout_inputs import rate_boosts
    from desktop.services.payout_months import NOTHING_PAID, paid_before, price_month
    from desktop.services.payout_types import next_period
    from desktop.services.program_settings import program_in

    own = f"{conv.local_date:%Y-%m}"
    with db.read() as session:
        settings = program_in(session)
        if conv.currency != settings.currency:
            return (), None, (f"In {conv.currency}, not the program's {settings.currency}: no payout sheet takes "
                              "it, so it earns no commission.")  # fmt: skip
        closed = set(session.scalars(
            select(PayoutSheet.period).where(PayoutSheet.period >= own, PayoutSheet.state != "draft")
        ))  # fmt: skip
        period = own
        while period in closed:
            period = next_period(period)
        unpaid = and_(Conversion.paid_sheet_id.is_(None), Conversion.currency == settings.currency)
        orders = list(month_orders(session, own, [conv.affiliate_id], unpaid))
        lines = [line for _, _, order in orders for line in order]
        before = paid_before(session, {own: {conv.affiliate_id}}, settings.currency) if own != period else {}
        paid = before.get((conv.affiliate_id, own), NOTHING_PAID)
        plan_id = session.scalar(select(Affiliate.plan_id).where(Affiliate.id == conv.affiliate_id))
        first_plan = select(CommissionPlan.id).order_by(CommissionPlan.position, CommissionPlan.id).limit(1)
        plan_id = plan_id or session.scalar(first_plan)
        terms = plan_terms_loader(db)(plan_id) if plan_id is not None else None
        boost = rate_boosts(session, own).get(conv.affiliate_id)
    if terms is None:
        no_plan = "Not on a payout sheet yet, and there is no commission plan yet to estimate it by"
        return (), None, f"{no_plan}: create one on the Commission plans page."
    try:
        result = price_month(replace(terms, rate_boost=boost) if boost else terms, own, lines, paid,
                             late=own != period)  # fmt: skip
    except PlanError:  # a boost that would take a rate past 100 %: the plan's own rates then (as metrics does)
        result = price_month(terms, own, lines, paid, late=own != period)
    mine = tuple(
        CommissionView(period, "estimate", line.line_no, line.amount, line.trace)
        for line in result.lines
        if line.order_id == conv.order_id
    )
    basis = f"the {plural(len(orders), 'approved order')} this affiliate has in {own} on no approved sheet"
    paid_orders = len({line.order_id for line in paid.lines})
    if paid_orders:
        basis += f" and the {paid_orders:,} already paid (the tier counts the whole month)"
    if period == own:
        basis = basis.replace(" on no approved sheet", " so far")
        note = f"Not on a payout sheet yet. Estimate by today's plan, with {basis}; the {period} sheet decides."
    else:
        note = (f"Not on a payout sheet yet: the {own} sheet was approved without it, so it goes on the {period} "
                f"sheet, priced in {own}. Estimate by today's plan, with {basis}; that sheet decides.")  # fmt: skip
    if result.over_cap > 0:
        note += (f" The plan's cap takes {format_money(result.over_cap)} off the month's "
                 f"{format_money(result.gross)} in all.")  # fmt: skip
    elif result.cut_in_lines > 0:
        left = f", after the {format_money(paid.earned)} earlier sheets paid," if paid.earned else ""
        note += (f" {own}'s cap{left} leaves no room for {format_money(result.cut_in_lines)} of these orders' "
                 "commission: it is taken off the latest of them.")  # fmt: skip
    ready = conv.local_date + timedelta(days=settings.hold_days)
    if ready > (today or program_today(settings.timezone)):
        note += f" It can go on a sheet from {ready:%Y-%m-%d}, after the {settings.hold_days}-day hold."
    return mine, sum((view.commission for view in mine), ZERO), note
