"""The program report of one month: KPIs against the goals, top performers, targets, charts and the payouts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from desktop.db import Database
from desktop.models import Affiliate
from desktop.services.charts import funnel_chart, revenue_by_month_chart, target_attainment_chart, top_affiliates_chart
from desktop.services.dashboard import NorthStar, Tile, get_dashboard
from desktop.services.errors import RefusedByState
from desktop.services.metrics import DateRange, Metrics, add_months, format_value, metrics_by_affiliate
from desktop.services.payout_queries import get_sheet, sheet_info
from desktop.services.payout_types import check_period, totals_of
from desktop.services.report_charts import ChartImage, chart_image
from desktop.services.report_review import days_label, period_label
from desktop.services.targets import program_today
from desktop.services.targets_progress import list_targets


@dataclass(frozen=True)
class TopPerformer:
    rank: int
    code: str
    name: str
    metrics: Metrics

    def text(self, metric: str) -> str:
        return format_value(metric, self.metrics.value(metric))


@dataclass(frozen=True)
class ProgramTarget:
    scope: str
    metric_label: str
    goal_text: str
    members: int
    met: int
    attainment: Decimal  # percent of the group's goal reached
    state: str  # met | missed | running (met: every member met it)

    @property
    def result(self) -> str:
        if self.state == "running":
            return f"Running: {self.met} of {self.members} met so far"
        word = "Met" if self.state == "met" else "Missed"
        return f"{word}: {self.met} of {self.members} met"


@dataclass(frozen=True)
class PayoutSummary:
    """The month's payout sheet in sums: carried in + commission + bonuses + adjustments = payable + carried out."""

    state: str  # draft | approved | paid
    state_text: str
    affiliates: int
    paying: int  # with something payable
    held: int  # on hold: nothing paid, whatever the balance
    carrying: int  # not held, balance carried on (below the threshold or negative)
    commission: Decimal  # after the caps
    over_cap: Decimal
    bonuses: Decimal
    adjustments: Decimal
    payable: Decimal
    carried_out: Decimal
    carried_in: Decimal = Decimal("0.00")

    @property
    def settled(self) -> int:
        """Affiliates on the sheet with a zero balance: nothing to pay, nothing to carry."""
        return self.affiliates - self.paying - self.held - self.carrying

    @property
    def balance(self) -> Decimal:
        return self.carried_in + self.commission + self.bonuses + self.adjustments

    @property
    def pay_word(self) -> str:
        """What happens to the payable amounts: only a paid sheet has paid anybody."""
        return "paid" if self.state == "paid" else "to pay"


@dataclass(frozen=True)
class ProgramReportData:
    program_name: str
    currency: str
    period: str
    period_label: str
    previous_label: str  # the month before (where the payouts' carried-in amounts come from)
    generated_on: date
    in_progress: bool
    north_star: NorthStar
    kpis: tuple[Tile, ...]  # against the month before; while the month runs, its days so far against the same days
    kpi_label: str  # the key figures' own column: the month, or its days so far ("1–7 Dec 2026")
    kpi_previous_label: str  # what they are set against: the month before, or the same days of it
    active_affiliates: int  # active today (the status has no history): not a count of the month
    selling_affiliates: int  # with at least one approved sale in the month, whatever their status today
    selling_not_active: int  # of those, how many are paused or terminated today
    top: tuple[TopPerformer, ...]
    targets: tuple[ProgramTarget, ...]
    payouts: PayoutSummary | None  # None: no sheet built for the month yet
    charts: tuple[ChartImage, ...]

    @property
    def title(self) -> str:
        return f"Program report · {self.program_name} · {self.period_label}"


def _targets(db: Database, period: str, today: date) -> tuple[ProgramTarget, ...]:
    found = []
    for view in list_targets(db, DateRange.month(period), today):
        if not view.members:
            continue
        if view.state in ("running", "upcoming"):
            state = "running"
        else:
            state = "met" if view.met == len(view.members) else "missed"
        found.append(ProgramTarget(view.scope_label, view.metric_label, view.goal_text, len(view.members), view.met,
                                   view.attainment, state))  # fmt: skip
    return tuple(found)


def _payouts(db: Database, period: str) -> PayoutSummary | None:
    try:
        info = sheet_info(db, period)
        rows = get_sheet(db, period)
    except RefusedByState:  # not built yet
        return None
    t = totals_of(rows)
    carrying = sum(1 for row in rows if not row.held and row.payable <= 0 and row.carried_out != 0)
    return PayoutSummary(info.state, info.state_text, t.affiliates, t.paying, t.held, carrying, t.commission,
                         t.over_cap, t.bonuses, t.adjustments, t.payable, t.carried_out, t.carried_in)  # fmt: skip


def program_report_data(db: Database, period: str, today: date | None = None) -> ProgramReportData:
    """Everything the program report of a month (YYYY-MM) shows, charts rendered at print resolution."""
    period = check_period(period)
    rng = DateRange.month(period)
    with db.read() as session:
        today = today or program_today(session)
        active_ids = set(session.scalars(select(Affiliate.id).where(Affiliate.status == "active")))
    # a month that runs is set against the same days of the month before, not against all of that month
    shown = DateRange(rng.start, today) if rng.start <= today < rng.end else rng
    dashboard = get_dashboard(db, shown, today)
    selling = {a for a, m in metrics_by_affiliate(db, rng, commission=False).items() if m.sales}
    top = tuple(TopPerformer(x.rank, x.code, x.name, x.metrics) for x in dashboard.leaders)
    targets = _targets(db, period, today)
    currency = dashboard.currency
    charts = [
        revenue_by_month_chart([(m.period, m.affiliate, m.organic) for m in dashboard.months], currency),
        top_affiliates_chart([(f"{x.name} ({x.code})", x.metrics.revenue) for x in top], currency),
        funnel_chart(*dashboard.funnel),
    ]
    if dashboard.targets:
        charts.append(target_attainment_chart([(b.label, b.percent, b.state) for b in dashboard.targets]))
    return ProgramReportData(
        program_name=dashboard.program_name,
        currency=currency,
        period=period,
        period_label=period_label(period),
        previous_label=period_label(add_months(period, -1)),
        kpi_label=period_label(period) if shown == rng else days_label(shown),
        kpi_previous_label=period_label(add_months(period, -1)) if shown == rng else days_label(shown.previous()),
        generated_on=today,
        in_progress=rng.end >= today,
        north_star=dashboard.north_star,
        kpis=dashboard.tiles,
        active_affiliates=len(active_ids),
        selling_affiliates=len(selling),
        selling_not_active=len(selling - active_ids),
        top=top,
        targets=targets,
        payouts=_payouts(db, period),
        charts=tuple(chart_image(chart) for chart in charts),
    )
