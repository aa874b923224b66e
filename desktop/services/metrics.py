"""Performance metrics computed in SQL per affiliate, program and date range; each one is defined in docs/metrics.md."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import (
    Affiliate,
    Click,
    CommissionLine,
    CommissionPlan,
    Conversion,
    ConversionLine,
    DailyClicks,
    PayoutSheet,
    PlanVersion,
    RateReward,
)
from desktop.money import ZERO, format_money, from_cents, round_money, spread

if TYPE_CHECKING:
    from desktop.services.commission_engine import OrderLine, PeriodCommission, PlanTerms

HUNDREDTH = Decimal("0.01")
METRIC_LABELS = {
    "clicks": "Clicks",
    "orders": "Orders",
    "sales": "Sales",
    "revenue": "Revenue",
    "leads": "Leads",
    "signups": "Signups",
    "conversion_rate": "Conversion rate",
    "aov": "Average order value",
    "epc": "EPC",
    "commission": "Commission",
    "refund_rate": "Refund rate",
    "cost_of_sale": "Cost of sale",
    "affiliate_share": "Affiliate share of revenue",
}
PERCENT_METRICS = ("conversion_rate", "refund_rate", "cost_of_sale", "affiliate_share")
MONEY_METRICS = ("revenue", "aov", "epc", "commission")
LOWER_IS_BETTER = ("refund_rate", "cost_of_sale")


def format_value(metric: str, value: Decimal | int | None) -> str:
    """A metric's value as people read it: "1,234.50", "1,234", "3.25 %", or "—" when there is none."""
    if value is None:
        return "—"
    if metric in PERCENT_METRICS:
        return f"{Decimal(value):,.2f} %"
    if metric in MONEY_METRICS:
        return format_money(Decimal(value))
    return f"{int(value):,}"


# --- periods ---------------------------------------------------------------------------------------------------


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(period: str) -> date:
    """ "2026-10" -> 2026-10-01; ValueError for anything else."""
    year, _, month = period.partition("-")
    if len(period) != 7 or not (year.isdigit() and month.isdigit()):
        raise ValueError(f"{period!r} is not a period; write it like 2026-10")
    return date(int(year), int(month), 1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(period: str, count: int) -> str:
    start = first_day(period)
    index = start.year * 12 + start.month - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True, order=True)
class DateRange:
    """Calendar days from `start` to `end`, both included, in the program's time zone."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the range ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def month(cls, period: str) -> DateRange:
        start = first_day(period)
        return cls(start, month_end(start))

    @classmethod
    def months(cls, first: str, last: str) -> DateRange:
        return cls(first_day(first), month_end(first_day(last)))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def periods(self) -> list[str]:
        """The months the range touches, oldest first."""
        found, period = [], period_of(self.start)
        while period <= period_of(self.end):
            found.append(period)
            period = add_months(period, 1)
        return found

    @property
    def whole_months(self) -> bool:
        return self.start.day == 1 and self.end == month_end(self.end)

    def previous(self) -> DateRange:
        """What a range is compared with: the months before whole months, the same days of the month before a
        month-to-date range, otherwise as many days right before it."""
        if self.whole_months:
            count = len(self.periods)
            return DateRange.months(add_months(period_of(self.start), -count), add_months(period_of(self.end), -count))
        if self.start.day == 1 and period_of(self.start) == period_of(self.end):
            start = first_day(add_months(period_of(self.start), -1))
            return DateRange(start, min(start + timedelta(days=self.end.day - 1), month_end(start)))
        return DateRange(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    @property
    def label(self) -> str:
        if self.whole_months:
            first, last = self.start, self.end
            if period_of(first) == period_of(last):
                return first.strftime("%B %Y")
            if first.year == last.year:
                return f"{first.strftime('%b')} – {last.strftime('%b %Y')}"
            return f"{first.strftime('%b %Y')} – {last.strftime('%b %Y')}"
        if period_of(self.start) == period_of(self.end):  # "1 – 23 November 2026"
            return f"{self.start.day} – {self.end.day} {self.start.strftime('%B %Y')}"
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


# --- the numbers -------------------------------------------------------------------------------------------------


def percent_of(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Metrics:
    """The sums behind every metric; the rates are derived from them (None where they divide by zero)."""

    clicks: int = 0
    orders: int = 0  # sale orders of any status
    sales: int = 0  # approved sale orders
    revenue: Decimal = ZERO  # their net amount
    leads: int = 0
    signups: int = 0
    refunded: int = 0  # sale orders refunded in full
    commission: Decimal = ZERO  # before the cap

    @property
    def conversion_rate(self) -> Decimal | None:
        return percent_of(self.sales, self.clicks)

    @property
    def aov(self) -> Decimal | None:
        return round_money(self.revenue / self.sales) if self.sales else None

    @property
    def epc(self) -> Decimal | None:
        return round_money(self.commission / self.clicks) if self.clicks else None

    @property
    def refund_rate(self) -> Decimal | None:
        return percent_of(self.refunded, self.sales + self.refunded)

    @property
    def cost_of_sale(self) -> Decimal | None:
        return percent_of(self.commission, self.revenue)

    def value(self, metric: str) -> Decimal | None:
        """Any metric by name, as a Decimal (counts too), so targets and tiles can treat them alike."""
        if metric not in METRIC_LABELS or metric == "affiliate_share":
            raise ValueError(f"unknown metric {metric!r}")
        value = getattr(self, metric)
        return None if value is None else Decimal(value)

    def __add__(self, other: Metrics) -> Metrics:
        return Metrics(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Metrics)))


@dataclass(frozen=True)
class ProgramMetrics:
    affiliates: Metrics  # everything that came through affiliates
    organic_sales: int
    organic_revenue: Decimal

    @property
    def shop_revenue(self) -> Decimal:
        return self.affiliates.revenue + self.organic_revenue

    @property
    def affiliate_share(self) -> Decimal | None:
        return percent_of(self.affiliates.revenue, self.shop_revenue)

    def value(self, metric: str) -> Decimal | None:
        return self.affiliate_share if metric == "affiliate_share" else self.affiliates.value(metric)


# --- SQL ---------------------------------------------------------------------------------------------------------

_conv = Conversion.__table__
_click = Click.__table__
_daily = DailyClicks.__table__


def _cents(column: Any) -> Any:
    """A Money column read as the integer cents it holds (sums stay exact integers in SQL)."""
    return type_coerce(column, BigInteger)


def count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def sum_if(condition: ColumnElement[bool], column: Any) -> Any:
    return func.coalesce(func.sum(case((condition, _cents(column)), else_=0)), 0)


def conversion_sums(c: Any = _conv.c) -> tuple[Any, ...]:
    """orders, sales, revenue (cents), leads, signups, refunded: one pass over the covering indexes."""
    approved, sale = c.status == "approved", c.type == "sale"
    return (
        count_if(sale).label("orders"),
        count_if(and_(approved, sale)).label("sales"),
        sum_if(and_(approved, sale), c.net_amount).label("revenue"),
        count_if(and_(approved, c.type == "lead")).label("leads"),
        count_if(and_(approved, c.type == "signup")).label("signups"),
        count_if(and_(c.status == "refunded", sale)).label("refunded"),
    )


def in_range(column: Any, rng: DateRange) -> ColumnElement[bool]:
    return column.between(rng.start, rng.end)


def _only(column: Any, ids: Sequence[int] | None) -> list[ColumnElement[bool]]:
    """`column IN (ids)`; no condition for very many ids (PostgreSQL takes 65,535 parameters): callers keep theirs."""
    return [] if ids is None or len(ids) > 5_000 else [column.in_(list(ids))]


def logged_days_absent(daily: Any = _daily) -> ColumnElement[bool]:
    """A daily count only counts on a day the click log has no click of that affiliate (never twice)."""
    return ~exists().where(_click.c.affiliate_id == daily.c.affiliate_id, _click.c.local_date == daily.c.day)


def _clicks(session: Session, rng: DateRange, ids: Sequence[int] | None) -> dict[int, int]:
    log = (
        select(_click.c.affiliate_id, func.count())
        .where(in_range(_click.c.local_date, rng), *_only(_click.c.affiliate_id, ids))
        .group_by(_click.c.affiliate_id)
    )
    daily = (
        select(_daily.c.affiliate_id, func.sum(_daily.c.clicks))
        .where(in_range(_daily.c.day, rng), logged_days_absent(), *_only(_daily.c.affiliate_id, ids))
        .group_by(_daily.c.affiliate_id)
    )
    totals: dict[int, int] = defaultdict(int)
    for query in (log, daily):
        for affiliate_id, count in session.execute(query):
            totals[affiliate_id] += int(count)
    return totals


def _conversions(session: Session, rng: DateRange, ids: Sequence[int] | None) -> dict[int | None, Metrics]:
    query = (
        select(_conv.c.affiliate_id, *conversion_sums())
        .where(in_range(_conv.c.local_date, rng), *_only(_conv.c.affiliate_id, ids))
        .group_by(_conv.c.affiliate_id)
    )
    return {
        affiliate_id: Metrics(0, int(orders), int(sales), from_cents(revenue), int(leads), int(signups), int(refunded))
        for affiliate_id, orders, sales, revenue, leads, signups, refunded in session.execute(query)
    }


def _metrics(
    session: Session, rng: DateRange, ids: Sequence[int] | None, terms_for: TermsFor | None
) -> tuple[dict[int, Metrics], Metrics]:
    """Per affiliate, and the organic orders (no affiliate) beside them."""
    found = _conversions(session, rng, ids)
    organic = found.pop(None, Metrics())
    by_affiliate: dict[int, Metrics] = {k: v for k, v in found.items() if k is not None}
    for affiliate_id, clicks in _clicks(session, rng, ids).items():
        by_affiliate[affiliate_id] = replace(by_affiliate.get(affiliate_id, Metrics()), clicks=clicks)
    if terms_for is not None:
        for affiliate_id, amount in commissions(session, rng, ids, terms_for).items():
            by_affiliate[affiliate_id] = replace(by_affiliate.get(affiliate_id, Metrics()), commission=amount)
    return by_affiliate, organic


def metrics_by_affiliate(
    db: Database, rng: DateRange, affiliate_ids: Sequence[int] | None = None, *, commission: bool = True
) -> dict[int, Metrics]:
    """Each affiliate's metrics over the range: those asked for, or every affiliate with any activity in it."""
    with db.read() as session:
        return metrics_in(db, session, rng, affiliate_ids, commission=commission)


def metrics_in(
    db: Database, session: Session, rng: DateRange, affiliate_ids: Sequence[int] | None, *, commission: bool = True
) -> dict[int, Metrics]:
    """metrics_by_affiliate() inside the caller's session (target settlement writes in the same transaction)."""
    found, _ = _metrics(session, rng, affiliate_ids, plan_terms_loader(db) if commission else None)
    if affiliate_ids is None:
        return found
    return {affiliate_id: found.get(affiliate_id, Metrics()) for affiliate_id in affiliate_ids}


def affiliate_metrics(db: Database, affiliate_id: int, rng: DateRange) -> Metrics:
    return metrics_by_affiliate(db, rng, [affiliate_id])[affiliate_id]


def program_breakdown(
    db: Database, rng: DateRange, *, commission: bool = True
) -> tuple[ProgramMetrics, dict[int, Metrics]]:
    """The program (all affiliates together, the organic orders beside them) and each affiliate, in one pass."""
    with db.read() as session:
        by_affiliate, organic = _metrics(session, rng, None, plan_terms_loader(db) if commission else None)
    total = sum(by_affiliate.values(), Metrics())
    return ProgramMetrics(total, organic.sales, organic.revenue), by_affiliate


def program_metrics(db: Database, rng: DateRange) -> ProgramMetrics:
    return program_breakdown(db, rng)[0]


# --- the affiliates table's sortable columns -------------------------------------------------------------------


def window_sums(rng: DateRange, ids: Any = None) -> Any:
    """A subquery of sales, revenue, leads, signups (cents and counts as BIGINT) and clicks per affiliate over `rng`;
    `ids` (a SELECT of affiliate ids) limits it to one page of the table."""
    c, zero = _conv.c, literal(0, BigInteger)
    approved, sale = c.status == "approved", c.type == "sale"
    parts = [
        select(c.affiliate_id, count_if(and_(approved, sale)), sum_if(and_(approved, sale), c.net_amount),
               count_if(and_(approved, c.type == "lead")), count_if(and_(approved, c.type == "signup")), zero)
        .where(in_range(c.local_date, rng), c.affiliate_id.is_not(None))
        .group_by(c.affiliate_id),
        select(_click.c.affiliate_id, zero, zero, zero, zero, func.count())
        .where(in_range(_click.c.local_date, rng))
        .group_by(_click.c.affiliate_id),
        select(_daily.c.affiliate_id, zero, zero, zero, zero, func.sum(_daily.c.clicks))
        .where(in_range(_daily.c.day, rng), logged_days_absent())
        .group_by(_daily.c.affiliate_id),
    ]  # fmt: skip
    if ids is not None:
        parts = [part.where(part.selected_columns[0].in_(ids)) for part in parts]
    names = ("affiliate_id", "sales", "revenue", "leads", "signups", "clicks")
    both = union_all(
        *(
            part.with_only_columns(*(col.label(n) for col, n in zip(part.selected_columns, names, strict=True)))
            for part in parts
        )
    )
    u = both.subquery("activity")
    return (
        select(u.c.affiliate_id, *(cast(func.sum(u.c[name]), BigInteger).label(name) for name in names[1:]))
        .group_by(u.c.affiliate_id)
        .subquery("performance")
    )


def base_terms_commission(perf: Any) -> tuple[Any, Any]:
    """(the plans' current terms, to join on a plan id; commission cents at those base terms): the rate or flat amount
    per sale plus the lead and signup amounts, without tiers, product rules or cap, so that SQL can sort by it."""
    pv = PlanVersion.__table__.c
    latest = select(pv.plan_id, func.max(pv.version).label("version")).group_by(pv.plan_id).subquery()
    terms = (
        select(pv.plan_id, _cents(pv.sale_rate).label("rate"), _cents(pv.sale_amount).label("flat"),
               _cents(pv.lead_amount).label("lead"), _cents(pv.signup_amount).label("signup"))
        .join(latest, and_(latest.c.plan_id == pv.plan_id, latest.c.version == pv.version))
        .subquery("terms")
    )  # fmt: skip
    revenue, sales = func.coalesce(perf.c.revenue, 0), func.coalesce(perf.c.sales, 0)
    sale_part = case(
        (terms.c.rate.is_not(None), (revenue * terms.c.rate + 500_000) / 1_000_000),  # millionths, half-up to cents
        else_=sales * func.coalesce(terms.c.flat, 0),
    )
    commission = (
        sale_part
        + func.coalesce(perf.c.leads, 0) * func.coalesce(terms.c.lead, 0)
        + func.coalesce(perf.c.signups, 0) * func.coalesce(terms.c.signup, 0)
    )
    return terms, func.coalesce(commission, 0)


def default_plan_id() -> Any:
    """The first plan of the list, as a scalar subquery: affiliates without a plan earn by it."""
    return select(CommissionPlan.id).order_by(CommissionPlan.position, CommissionPlan.id).limit(1).scalar_subquery()


# --- commission --------------------------------------------------------------------------------------------------

TermsFor = Callable[[int], "PlanTerms | None"]


def plan_terms_loader(db: Database) -> TermsFor:
    """plans.plan_terms() of each plan's current version, read once per use."""
    from desktop.services.errors import RefusedByState
    from desktop.services.plans import plan_terms

    known: dict[int, PlanTerms | None] = {}

    def terms_for(plan_id: int) -> PlanTerms | None:
        if plan_id not in known:
            try:
                known[plan_id] = plan_terms(db, plan_id)
            except RefusedByState:  # deleted meanwhile
                known[plan_id] = None
        return known[plan_id]

    return terms_for


def commissions(session: Session, rng: DateRange, ids: Sequence[int] | None, terms_for: TermsFor) -> dict[int, Decimal]:
    """Commission before the cap per affiliate: an order's lines on a payout sheet, or the plan's estimate."""
    line, c = CommissionLine.__table__.c, _conv.c
    # A sheet holds orders up to its month's end, so only sheets from the range's first month on can hold them.
    sheets = list(session.scalars(select(PayoutSheet.id).where(PayoutSheet.period >= period_of(rng.start))))
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    if sheets:
        query = (
            select(line.affiliate_id, func.sum(_cents(line.commission)))
            .join(_conv, c.id == line.conversion_id)
            .where(line.sheet_id.in_(sheets), in_range(c.local_date, rng), *_only(line.affiliate_id, ids))
            .group_by(line.affiliate_id)
        )
        for affiliate_id, cents in session.execute(query):
            totals[affiliate_id] += from_cents(cents)
    for period in rng.periods:
        for affiliate_id, amount in _estimate(session, period, rng, ids, terms_for, bool(sheets)).items():
            totals[affiliate_id] += amount
    return dict(totals)


def _estimate(
    session: Session, period: str, rng: DateRange, ids: Sequence[int] | None, terms_for: TermsFor, sheets: bool
) -> dict[int, Decimal]:
    """The engine on the month's approved orders not on a sheet (tiers need the whole month), summed over `rng`."""
    not_on_sheet = ~exists().where(CommissionLine.__table__.c.conversion_id == _conv.c.id) if sheets else None
    lines: dict[int, list[OrderLine]] = defaultdict(list)
    counted: dict[int, set[str]] = defaultdict(set)
    for affiliate_id, day, order_lines in month_orders(session, period, ids, not_on_sheet):
        lines[affiliate_id].extend(order_lines)
        if rng.start <= day <= rng.end:
            counted[affiliate_id].add(order_lines[0].order_id)
    if not counted:
        return {}
    if sheets:  # the month's orders already paid count for its tier too, as on the sheet that will take these
        from desktop.services.payout_months import paid_before
        from desktop.services.program_settings import program_in

        paid = paid_before(session, {period: set(counted)}, program_in(session).currency)
        for (affiliate_id, _), before in paid.items():
            lines[affiliate_id][:0] = before.lines
    results = month_commissions(session, period, {aid: lines[aid] for aid in counted}, terms_for)
    return {
        affiliate_id: sum((x.amount for x in result.lines if x.order_id in counted[affiliate_id]), ZERO)
        for affiliate_id, result in results.items()
    }


def month_orders(
    session: Session,
    period: str,
    ids: Sequence[int] | None,
    condition: ColumnElement[bool] | None = None,
    *,
    earlier: bool = False,
) -> Iterator[tuple[int, date, list[OrderLine]]]:
    """(affiliate, day, lines) of each approved, attributed order of the month (meeting `condition`), as the
    engine takes them: the order's net amount spread over its lines. `earlier`: the earlier months' orders too
    (a payout sheet takes every unpaid order up to its month's end)."""
    c, line = _conv.c, ConversionLine.__table__.c
    query = (
        select(
            c.affiliate_id,
            c.id,
            c.order_id,
            c.occurred_at,
            c.local_date,
            c.type,
            _cents(c.net_amount),
            line.line_no,
            line.sku,
            line.quantity,
            _cents(line.amount),
        )  # fmt: skip
        .outerjoin(ConversionLine.__table__, line.conversion_id == c.id)
        .where(
            c.local_date <= DateRange.month(period).end if earlier else in_range(c.local_date, DateRange.month(period)),
            c.status == "approved",
            c.affiliate_id.is_not(None),
        )
        .where(*_only(c.affiliate_id, ids))
        .order_by(c.affiliate_id, c.id, line.line_no)
    )
    if condition is not None:
        query = query.where(condition)
    return _orders(session.execute(query))


def month_commissions(
    session: Session, period: str, lines: dict[int, list[OrderLine]], terms_for: TermsFor
) -> dict[int, PeriodCommission]:
    """Each affiliate's commission on `lines` by its plan's current version and the period's rate rewards (the
    lines' traces name them); affiliates whose plan is gone are left out."""
    from desktop.services.commission_engine import PlanError, compute_period

    plan_query = select(Affiliate.id, Affiliate.plan_id)
    if len(lines) <= 500:
        plan_query = plan_query.where(Affiliate.id.in_(list(lines)))
    plans: dict[int, int | None] = {affiliate_id: plan_id for affiliate_id, plan_id in session.execute(plan_query)}
    default = session.scalar(select(CommissionPlan.id).order_by(CommissionPlan.position, CommissionPlan.id).limit(1))
    boosts: dict[int, Decimal] = defaultdict(Decimal)
    for affiliate_id, boost in session.execute(
        select(RateReward.affiliate_id, RateReward.rate_boost).where(RateReward.period == period)
    ):
        boosts[affiliate_id] += boost
    found: dict[int, PeriodCommission] = {}
    for affiliate_id, affiliate_lines in lines.items():
        plan_id = plans.get(affiliate_id) or default
        terms = terms_for(plan_id) if plan_id is not None else None
        if terms is None:
            continue
        try:
            found[affiliate_id] = compute_period(replace(terms, rate_boost=boosts[affiliate_id]), affiliate_lines)
        except PlanError:  # a boost that would take a rate past 100 %: the plan's own rates then
            found[affiliate_id] = compute_period(terms, affiliate_lines)
    return found


def _orders(rows: Iterable[Any]) -> Iterator[tuple[int, date, list[OrderLine]]]:
    """(affiliate, day, lines) per order, from rows ordered by affiliate, order and line."""
    from desktop.services.commission_engine import OrderLine

    previous: Any = None
    for row in rows:  # most orders have one line (or none stored): they skip the grouping
        if previous is not None and row[1] == previous[0][1]:
            previous.append(row)
            continue
        if previous is not None:
            yield _order(previous, OrderLine)
        previous = [row]
    if previous is not None:
        yield _order(previous, OrderLine)


def _order(parts: list[Any], line_class: Any) -> tuple[int, date, list[OrderLine]]:
    affiliate_id, _, order_id, at, day, kind, net, line_no, *_ = parts[0]
    if line_no is None:  # stored without lines: one line of the order's net amount
        return affiliate_id, day, [line_class(order_id, 1, at, kind, from_cents(net))]
    amounts = [int(row[10] or 0) for row in parts]
    return (
        affiliate_id,
        day,
        [
            line_class(order_id, row[7], at, kind, from_cents(share), row[9] or 1, row[8])
            for row, share in zip(parts, spread(int(net), amounts), strict=True)
        ],
    )
