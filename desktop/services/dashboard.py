"""The dashboard's plain data: North Star, KPI tiles against the period before, leaders, chart series; one partner's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from desktop.db import Database
from desktop.models import Affiliate, Conversion
from desktop.money import ZERO, format_money, from_cents
from desktop.services.metrics import (
    LOWER_IS_BETTER,
    METRIC_LABELS,
    PERCENT_METRICS,
    DateRange,
    Metrics,
    ProgramMetrics,
    add_months,
    first_day,
    format_value,
    in_range,
    month_end,
    period_of,
    program_breakdown,
    sum_if,
)
from desktop.services.program_settings import NORTH_STAR_LABELS, get_program
from desktop.services.targets import program_today
from desktop.services.targets_progress import TargetView, list_targets

RANGE_CHOICES = {
    "this_month": "This month",
    "last_month": "Last month",
    "last_3_months": "Last 3 months",
    "last_12_months": "Last 12 months",
    "custom": "Custom…",
}
TILE_METRICS = ("revenue", "sales", "clicks", "conversion_rate", "aov", "epc", "commission", "refund_rate",
                "cost_of_sale", "affiliate_share")  # fmt: skip
# One sentence each, for the tiles' tooltips; docs/metrics.md has the full definitions.
METRIC_DEFINITIONS = {
    "clicks": "Clicks on affiliate links: the click log's clicks, or the daily count on days without a log.",
    "sales": "Approved sale orders through affiliates (one per order, however many lines).",
    "revenue": "Net amount of the affiliates' approved sale orders: after discounts and partial refunds.",
    "conversion_rate": "Sales ÷ clicks.",
    "aov": "Average order value: revenue ÷ sales.",
    "epc": "Earnings per click: commission ÷ clicks.",
    "commission": "Commission of the orders before the cap: the payout sheet's lines, or an estimate by the plan.",
    "refund_rate": "Sale orders refunded in full ÷ (approved + refunded sale orders).",
    "cost_of_sale": "Commission ÷ revenue.",
    "affiliate_share": "Affiliate revenue ÷ the shop's whole revenue (affiliate + organic).",
}
LEADERS = 10

if TYPE_CHECKING:
    from desktop.services.charts import Chart


@dataclass(frozen=True)
class MonthRevenue:
    period: str
    affiliate: Decimal
    organic: Decimal


def monthly_revenue(db: Database, last_period: str, months: int = 12) -> list[MonthRevenue]:
    """Approved sale revenue per month, affiliate and organic apart, for the `months` months up to `last_period`."""
    rng = DateRange.months(add_months(last_period, 1 - months), last_period)
    c = Conversion.__table__.c
    query = (
        select(
            c.local_date,
            sum_if(c.affiliate_id.is_not(None), c.net_amount),
            sum_if(c.affiliate_id.is_(None), c.net_amount),
        )
        .where(in_range(c.local_date, rng), c.status == "approved", c.type == "sale")
        .group_by(c.local_date)
    )
    totals = {period: [0, 0] for period in rng.periods}
    with db.read() as session:
        for day, affiliate, organic in session.execute(query):
            pair = totals[period_of(day)]
            pair[0] += int(affiliate)
            pair[1] += int(organic)
    return [MonthRevenue(period, from_cents(a), from_cents(o)) for period, (a, o) in totals.items()]


def date_range_for(choice: str, today: date, custom: DateRange | None = None) -> DateRange:
    """The range a selector choice means on `today`: whole months, except this month (to date) and a custom range."""
    this = period_of(today)
    if choice == "this_month":
        return DateRange(first_day(this), today)
    if choice == "last_month":
        return DateRange.month(add_months(this, -1))
    if choice == "last_3_months":
        return DateRange.months(add_months(this, -3), add_months(this, -1))
    if choice == "last_12_months":
        return DateRange.months(add_months(this, -12), add_months(this, -1))
    if choice == "custom" and custom is not None:
        return custom
    raise ValueError(f"unknown range {choice!r}; one of {', '.join(RANGE_CHOICES)}")


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str  # "12,340.00", "3.25 %"
    previous: str
    change: str  # "+12.5 %", "−0.40 pt" (percentages change in points), "new", or ""
    good: bool | None  # whether the change is good news (refunds and cost going down are); None: no change
    definition: str


@dataclass(frozen=True)
class NorthStar:
    label: str  # "Sales revenue"
    period: str
    goal: Decimal
    actual: Decimal
    text: str  # "12,340.00 of 25,000.00 USD"
    pace: str  # "on pace for 24,680.00 by the end of the month", or "" for a month that is over

    @property
    def percent(self) -> Decimal | None:
        return (self.actual * 100 / self.goal).quantize(Decimal("0.1")) if self.goal else None


@dataclass(frozen=True)
class Leader:
    rank: int
    affiliate_id: int
    code: str
    name: str
    metrics: Metrics


@dataclass(frozen=True)
class TargetBar:
    label: str  # "JANE10 · Revenue · 2026-10"
    percent: Decimal
    state: str  # met | missed | running


@dataclass(frozen=True)
class Dashboard:
    range: DateRange
    previous: DateRange
    program_name: str
    currency: str
    north_star: NorthStar
    tiles: tuple[Tile, ...]
    leaders: tuple[Leader, ...]
    months: tuple[MonthRevenue, ...]  # the 12 months up to the range's last one
    funnel: tuple[int, int, int]  # affiliate clicks, orders, approved sales
    targets: tuple[TargetBar, ...]
    has_orders: bool  # any order at all in the database (else the page explains where numbers come from)


def _change(metric: str, now: Decimal | None, before: Decimal | None) -> tuple[str, bool | None]:
    if now is None or before is None or now == before:
        return ("" if now is None or before is None else "±0"), None
    up = now > before
    good = up != (metric in LOWER_IS_BETTER)
    if metric in PERCENT_METRICS:
        return f"{now - before:+.2f} pt".replace("-", "−"), good
    if not before:
        return "new", good
    return f"{(now - before) * 100 / before:+.1f} %".replace("-", "−"), good


def tiles(current: ProgramMetrics, previous: ProgramMetrics) -> tuple[Tile, ...]:
    found = []
    for metric in TILE_METRICS:
        now, before = current.value(metric), previous.value(metric)
        change, good = _change(metric, now, before)
        found.append(Tile(metric, METRIC_LABELS[metric], format_value(metric, now), format_value(metric, before),
                          change, good, METRIC_DEFINITIONS[metric]))  # fmt: skip
    return tuple(found)


def north_star(
    db: Database, metric: str, goal: Decimal, month: str, today: date, currency: str, known: Metrics | None = None
) -> NorthStar:
    """The program's chosen metric for one month (through affiliates) against its monthly goal; `known`: its sums."""
    if known is None:
        known = program_breakdown(db, DateRange.month(month), commission=False)[0].affiliates
    actual = known.value(metric) or ZERO
    money = metric == "revenue"

    def written(value: Decimal) -> str:
        return format_money(value) if money else f"{int(value):,}"

    pace = ""
    start, end = first_day(month), month_end(first_day(month))
    if start <= today < end and actual:
        projected = actual * end.day / today.day
        pace = f"day {today.day} of {end.day}: on pace for {written(projected.quantize(Decimal('1')))}"
    unit = f" {currency}" if money else f" {metric}"
    text = f"{written(actual)} of {written(goal)}{unit}"
    if not goal:
        text = f"{written(actual)}{unit} · no monthly goal yet: set one on the Program page"
    return NorthStar(NORTH_STAR_LABELS.get(metric, metric), month, goal, actual, text, pace)


def target_bars(views: list[TargetView], limit: int = 12) -> tuple[TargetBar, ...]:
    """A bar per target (the latest `limit`): percent of goal reached, a group's as its sum over its members."""
    bars = []
    for view in views[:limit]:
        if not view.members:
            continue
        scope = view.data.scope if view.data.scope != "all" else "all active"
        label = f"{scope} · {view.metric_label} · {view.data.period}"
        running = view.state in ("running", "upcoming")
        if len(view.members) > 1:
            label += f" ({view.met}/{len(view.members)} {'so far' if running else 'met'})"
        state = "running" if running else "met" if view.met == len(view.members) else "missed"
        bars.append(TargetBar(label, view.attainment, state))
    return tuple(bars)


def dashboard_charts(dashboard: Dashboard) -> dict[str, Chart]:
    """The dashboard's four charts, built from its data (matplotlib loads here, on first use)."""
    from desktop.services.charts import (
        funnel_chart,
        revenue_by_month_chart,
        target_attainment_chart,
        top_affiliates_chart,
    )

    return {
        "revenue_by_month": revenue_by_month_chart(
            [(m.period, m.affiliate, m.organic) for m in dashboard.months], dashboard.currency
        ),
        "top_affiliates": top_affiliates_chart(
            [(leader.code, leader.metrics.revenue) for leader in dashboard.leaders], dashboard.currency
        ),
        "funnel": funnel_chart(*dashboard.funnel),
        "targets": target_attainment_chart([(bar.label, bar.percent, bar.state) for bar in dashboard.targets]),
    }


def get_dashboard(db: Database, rng: DateRange, today: date | None = None) -> Dashboard:
    settings = get_program(db)
    with db.read() as session:
        today = today or program_today(session)
        has_orders = session.scalar(select(Conversion.id).limit(1)) is not None
    current, by_affiliate = program_breakdown(db, rng)
    previous, _ = program_breakdown(db, rng.previous())
    ranked = sorted(by_affiliate.items(), key=lambda item: (-item[1].revenue, -item[1].sales, item[0]))
    ranked = [(aid, m) for aid, m in ranked if m.revenue or m.sales][:LEADERS]
    with db.read() as session:
        names = {a: (c, n) for a, c, n in session.execute(
            select(Affiliate.id, Affiliate.code, Affiliate.name).where(Affiliate.id.in_([a for a, _ in ranked]))
        )}  # fmt: skip
    leaders = tuple(Leader(n, aid, *names[aid], m) for n, (aid, m) in enumerate(ranked, start=1))
    month = period_of(rng.end)
    total = current.affiliates
    # The range is that month (or all of it so far): its sums are the North Star's too.
    whole = rng.start == first_day(month) and rng.end >= min(today, month_end(rng.end))
    return Dashboard(
        range=rng,
        previous=rng.previous(),
        program_name=settings.name,
        currency=settings.currency,
        north_star=north_star(db, settings.north_star_metric, settings.north_star_target, month, today,
                              settings.currency, total if whole else None),  # fmt: skip
        tiles=tiles(current, previous),
        leaders=leaders,
        months=tuple(monthly_revenue(db, month, 12)),
        funnel=(total.clicks, total.orders, total.sales),
        targets=target_bars(list_targets(db, rng, today)),
        has_orders=has_orders,
    )


# --- one affiliate ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AffiliatePerformance:
    affiliate_id: int
    trend: tuple[tuple[str, Metrics], ...]  # month by month, oldest first, the current month last
    last_30_days: Metrics
    window: DateRange  # those 30 days
    rank: int | None  # by revenue in those 30 days among the active affiliates; None when not active
    active: int
    targets: tuple[TargetView, ...]  # the targets that count for them, with only their own row


def affiliate_performance(
    db: Database, affiliate_id: int, today: date | None = None, months: int = 12
) -> AffiliatePerformance:
    from datetime import timedelta

    from desktop.services.metrics import metrics_in
    from desktop.services.targets_progress import affiliate_targets

    with db.read() as session:
        today = today or program_today(session)
        window = DateRange(today - timedelta(days=29), today)
        periods = DateRange.months(add_months(period_of(today), 1 - months), period_of(today)).periods
        trend = tuple((p, metrics_in(db, session, DateRange.month(p), [affiliate_id])[affiliate_id]) for p in periods)
        recent = metrics_in(db, session, window, [affiliate_id])[affiliate_id]
        active = list(session.scalars(select(Affiliate.id).where(Affiliate.status == "active")))
        revenue = metrics_in(db, session, window, None, commission=False)
    rank = None
    if affiliate_id in active:
        mine = recent.revenue
        rank = 1 + sum(1 for other in active if revenue.get(other, Metrics()).revenue > mine)
    return AffiliatePerformance(affiliate_id, trend, recent, window, rank, len(active),
                                tuple(affiliate_targets(db, affiliate_id, today=today)))  # fmt: skip
