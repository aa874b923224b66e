"""The printed performance review of one affiliate for one month, as plain data (figures, texts and the chart)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from desktop.db import Database
from desktop.models import Adjustment, Affiliate, CommissionPlan, PayoutLine, PayoutSheet, RateReward, Target
from desktop.money import format_rate, round_money
from desktop.services.charts import trend_chart
from desktop.services.errors import BadInput
from desktop.services.feedback import FeedbackEntry, feedback_for_period
from desktop.services.metrics import (
    LOWER_IS_BETTER,
    METRIC_LABELS,
    MONEY_METRICS,
    PERCENT_METRICS,
    DateRange,
    Metrics,
    add_months,
    first_day,
    format_value,
    metrics_by_affiliate,
    month_end,
    program_breakdown,
)
from desktop.services.payout_types import check_period
from desktop.services.program_settings import get_program
from desktop.services.report_charts import ChartImage, chart_image
from desktop.services.targets import grown_goal, input_of, members, program_today, reward_text
from desktop.services.targets_progress import TargetView, list_targets

KPI_METRICS = ("revenue", "sales", "clicks", "conversion_rate", "aov", "epc", "commission", "refund_rate")
OPTIONAL_KPIS = ("leads", "signups")  # shown only when the program has any
SUM_METRICS = ("clicks", "sales", "revenue", "leads", "signups", "commission")
TREND_MONTHS = 6
TARGET_MARK = re.compile(r"\s*\[target \d+\]\s*$")


def plain_reason(reason: str) -> str:
    """A reason as the affiliate should read it: without the "[target 12]" mark settling uses to find its rows."""
    return TARGET_MARK.sub("", reason).strip()


def period_label(period: str) -> str:
    """ "2026-10" -> "October 2026"."""
    return first_day(period).strftime("%B %Y")


def change_text(metric: str, now: Decimal | None, before: Decimal | None) -> tuple[str, bool | None]:
    """How a value moved against the period before ("+12.5 %", "−0.40 pt" for percentages, "new") and whether
    that is good news (refunds and cost going down are)."""
    if now is None or before is None:
        return "", None
    if now == before:
        return "±0", None
    good = (now > before) != (metric in LOWER_IS_BETTER)
    if metric in PERCENT_METRICS:
        return f"{now - before:+.2f} pt".replace("-", "−"), good
    if not before:
        return "new", good
    return f"{(now - before) * 100 / before:+,.1f} %".replace("-", "−"), good


def program_average(metric: str, active: Sequence[Metrics]) -> Decimal | None:
    """Sums (clicks, sales, revenue, commission …) per active affiliate; rates (conversion, EPC, AOV, refunds) as
    the rate of all active affiliates together, so that a few tiny affiliates cannot skew them."""
    if not active:
        return None
    total = sum(active, Metrics())
    value = total.value(metric)
    if metric not in SUM_METRICS or value is None:
        return value
    average = value / len(active)
    return round_money(average) if metric in MONEY_METRICS else average.quantize(Decimal("0.1"))


def average_text(metric: str, value: Decimal | None) -> str:
    if value is not None and metric in SUM_METRICS and metric not in MONEY_METRICS:
        return f"{value:,.1f}"
    return format_value(metric, value)


@dataclass(frozen=True)
class KpiRow:
    metric: str
    label: str
    value: Decimal | None
    previous: Decimal | None
    average: Decimal | None  # program average (see program_average)
    value_text: str
    previous_text: str
    change: str
    good: bool | None
    average_text: str


@dataclass(frozen=True)
class TargetLine:
    """One target of the period as it counts for this affiliate."""

    metric_label: str
    scope: str  # "Personal target", "Tag blog", "All active affiliates"
    goal: Decimal
    actual: Decimal
    goal_text: str
    actual_text: str
    percent: Decimal
    state: str  # met | missed | running
    result: str  # "Met", "Missed", "Met so far", "In progress (80 %)"
    reward: str


@dataclass(frozen=True)
class RewardLine:
    kind: str  # Bonus | Better rate | Reward
    text: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class NextTarget:
    metric_label: str
    scope: str
    goal_text: str  # "10,545.86", or "+10% over October 2026" while October runs
    reward: str
    basis: str = ""  # for a growth goal worked out from this month: "+10% over October 2026"


@dataclass(frozen=True)
class ReviewData:
    program_name: str
    currency: str
    affiliate_id: int
    code: str
    name: str
    status: str
    plan: str | None
    joined_on: date | None
    period: str
    period_label: str
    previous_label: str
    next_label: str
    generated_on: date
    in_progress: bool  # the month is not over: the numbers are so far
    kpis: tuple[KpiRow, ...]
    targets: tuple[TargetLine, ...]
    trend: ChartImage
    trend_points: tuple[tuple[str, Decimal, Decimal], ...]  # (YYYY-MM, revenue, commission), oldest first
    rank: int | None  # by revenue among the active affiliates; None when not active or without revenue
    ranked: int  # how many active affiliates there are
    feedback: tuple[FeedbackEntry, ...]
    rewards: tuple[RewardLine, ...]
    next_targets: tuple[NextTarget, ...]
    # The month's payout sheet's (commission after the cap, what the cap took off), when one holds the affiliate:
    # the key figures count commission before the cap, as the dashboard does.
    sheet_commission: tuple[Decimal, Decimal] | None = None
    tied: int = 0  # other active affiliates with the same revenue (and so the same rank)
    selling: int = 0  # active affiliates with revenue in the month
    # What the key figures compare: the month and the month before, or while the month runs, its days so far and
    # the same days of the month before ("1–7 Dec 2026" against "1–7 Nov 2026").
    current_label: str = ""
    compared_label: str = ""

    @property
    def period_end(self) -> date:
        return month_end(first_day(self.period))

    @property
    def targets_met(self) -> int:
        return sum(1 for t in self.targets if t.state == "met")

    @property
    def rank_text(self) -> str:
        if self.rank is None and self.status != "active":
            return f"Not ranked: the affiliate is {self.status}, the ranking counts active affiliates."
        if self.rank is None:
            so_far = " so far" if self.in_progress else ""
            return (f"Not ranked: no revenue in {self.current_label or self.period_label}{so_far} "
                    f"({self.selling} of {self.ranked} active affiliates had some).")  # fmt: skip
        text = f"{self.rank} of {self.ranked} active affiliates by revenue"
        if self.tied:
            text += f", tied with {self.tied} other{'s' if self.tied != 1 else ''}"
        top = -(-self.rank * 100 // max(self.ranked, 1))  # rounded up: 3 of 40 is the top 8 %
        return text + (f" (top {top} %)" if top <= 50 and self.ranked > 1 else "")

    @property
    def title(self) -> str:
        return f"Performance review · {self.name} ({self.code}) · {self.period_label}"


@dataclass(frozen=True)
class _NextTarget:
    metric: str
    scope: str
    goal: Decimal | None
    growth: Decimal | None
    reward: str
    members: frozenset[int]


@dataclass(frozen=True)
class ReviewContext:
    """What every review of one month shares: computed once for a whole batch."""

    period: str
    today: date
    program_name: str
    currency: str
    active: tuple[int, ...]
    current: dict[int, Metrics]  # every affiliate with activity in the month
    months: dict[str, dict[int, Metrics]]  # the trend months, for the affiliates asked
    kpi_metrics: tuple[str, ...]
    targets: tuple[TargetView, ...]
    next_targets: tuple[_NextTarget, ...] = field(default=())
    so_far: DateRange | None = None  # while the month runs: its days to today
    compared: dict[int, Metrics] | None = None  # then: the same days of the month before, for the affiliates asked

    def metrics(self, period: str, affiliate_id: int) -> Metrics:
        if period == self.period:
            return self.current.get(affiliate_id, Metrics())
        return self.months.get(period, {}).get(affiliate_id, Metrics())


def review_context(db: Database, period: str, affiliate_ids: Sequence[int], today: date | None = None) -> ReviewContext:
    """Load the month's program numbers, targets and trend months once for the affiliates to review."""
    period = check_period(period)
    settings = get_program(db)
    with db.read() as session:
        today = today or program_today(session)
        active = tuple(session.scalars(select(Affiliate.id).where(Affiliate.status == "active").order_by(Affiliate.id)))
        upcoming = list(session.scalars(select(Target).where(Target.period == add_months(period, 1))))
        inputs = [(input_of(session, t), frozenset(members(session, t))) for t in upcoming]
    next_targets = tuple(
        _NextTarget(data.metric, scope_label(data.scope), data.goal, data.growth, reward_text(data), people)
        for data, people in inputs
    )
    if first_day(period) > today:
        raise BadInput(f"{period} has not started yet (today is {today.isoformat()}): there is nothing to review")
    program, current = program_breakdown(db, DateRange.month(period))
    ids = sorted(set(affiliate_ids))
    months = {
        p: metrics_by_affiliate(db, DateRange.month(p), ids)
        for p in (add_months(period, -k) for k in range(1, TREND_MONTHS))
    }
    optional = tuple(m for m in OPTIONAL_KPIS if program.affiliates.value(m))
    so_far = DateRange(first_day(period), today) if month_end(first_day(period)) >= today else None
    compared = metrics_by_affiliate(db, so_far.previous(), ids) if so_far else None
    return ReviewContext(
        period=period,
        today=today,
        program_name=settings.name,
        currency=settings.currency,
        active=active,
        current=current,
        months=months,
        kpi_metrics=KPI_METRICS[:3] + optional + KPI_METRICS[3:],
        targets=tuple(list_targets(db, DateRange.month(period), today)),
        next_targets=next_targets,
        so_far=so_far,
        compared=compared,
    )


def scope_label(scope: str) -> str:
    """Who a target is for, seen from the affiliate: "Personal target", "Tag blog", "All active affiliates"."""
    if scope == "all":
        return "All active affiliates"
    return f"Tag {scope[4:]}" if scope.startswith("tag:") else "Personal target"


def _kpis(context: ReviewContext, affiliate_id: int) -> tuple[KpiRow, ...]:
    mine = context.metrics(context.period, affiliate_id)
    before = context.metrics(add_months(context.period, -1), affiliate_id)
    if context.compared is not None:  # a month that runs: against the same days of the month before
        before = context.compared.get(affiliate_id, Metrics())
    active = [context.current.get(a, Metrics()) for a in context.active]
    rows = []
    for metric in context.kpi_metrics:
        now, then = mine.value(metric), before.value(metric)
        average = program_average(metric, active)
        change, good = change_text(metric, now, then)
        rows.append(KpiRow(metric, METRIC_LABELS[metric], now, then, average, format_value(metric, now),
                           format_value(metric, then), change, good, average_text(metric, average)))  # fmt: skip
    return tuple(rows)


def _targets(context: ReviewContext, affiliate_id: int) -> tuple[TargetLine, ...]:
    lines = []
    for view in context.targets:
        mine = next((m for m in view.members if m.affiliate_id == affiliate_id), None)
        if mine is None or view.state == "upcoming":
            continue
        metric = view.data.metric
        if view.state == "running":
            state = "met" if mine.met else "running"
            reached = mine.percent.quantize(Decimal(1), ROUND_HALF_UP)
            result = "Met so far" if mine.met else f"In progress ({reached:,} %)"
        else:
            state = "met" if mine.met else "missed"
            result = "Met" if mine.met else "Missed"
        lines.append(TargetLine(view.metric_label, scope_label(view.data.scope), mine.goal, mine.actual,
                                format_value(metric, mine.goal), format_value(metric, mine.actual), mine.percent,
                                state, result, view.reward_text))  # fmt: skip
    return tuple(lines)


def _rewards(
    db: Database, context: ReviewContext, affiliate_id: int, targets: Sequence[TargetView]
) -> list[RewardLine]:
    following = add_months(context.period, 1)
    with db.read() as session:
        bonuses = session.execute(
            select(Adjustment.kind, Adjustment.amount, Adjustment.reason)
            .where(Adjustment.affiliate_id == affiliate_id, Adjustment.period == context.period)
            .where(Adjustment.kind.in_(("bonus", "target_bonus")))
            .order_by(Adjustment.id)
        ).all()
        rates = session.execute(
            select(RateReward.rate_boost, RateReward.reason)
            .where(RateReward.affiliate_id == affiliate_id, RateReward.period == following)
            .order_by(RateReward.id)
        ).all()
    found = [RewardLine("Bonus", plain_reason(reason), amount) for _, amount, reason in bonuses]
    found += [RewardLine("Better rate", f"+{format_rate(boost)} commission rate in {period_label(following)}")
              for boost, _ in rates]  # fmt: skip
    for view in targets:
        mine = next((m for m in view.members if m.affiliate_id == affiliate_id), None)
        if mine is None or not mine.met or view.state not in ("settled", "ended"):
            continue
        if view.data.reward_text:
            found.append(RewardLine("Reward", f"{view.data.reward_text} ({view.metric_label} target met)"))
        if view.state == "ended" and view.data.bonus:
            found.append(RewardLine("Bonus", f"{view.metric_label} target met: due once the target is settled",
                                    view.data.bonus))  # fmt: skip
    return found


def _next_targets(context: ReviewContext, affiliate_id: int) -> tuple[NextTarget, ...]:
    found = []
    for target in context.next_targets:
        if affiliate_id not in target.members:
            continue
        basis = ""
        if target.growth is not None:
            goal = f"+{format_rate(target.growth)} over {period_label(context.period)}"
            if context.today > month_end(first_day(context.period)):  # the month is over: its actual is known
                actual = context.metrics(context.period, affiliate_id).value(target.metric)
                goal, basis = format_value(target.metric, grown_goal(target.metric, actual, target.growth)), goal
        else:
            goal = format_value(target.metric, target.goal)
        found.append(NextTarget(METRIC_LABELS[target.metric], target.scope, goal, target.reward, basis))
    return tuple(found)


def _affiliate(db: Database, affiliate_id: int) -> tuple[str, str, str, str | None, date | None]:
    with db.read() as session:
        row = session.execute(
            select(Affiliate.code, Affiliate.name, Affiliate.status, CommissionPlan.name, Affiliate.joined_on)
            .outerjoin(CommissionPlan, CommissionPlan.id == Affiliate.plan_id)
            .where(Affiliate.id == affiliate_id)
        ).first()
    if row is None:
        raise BadInput(f"There is no affiliate #{affiliate_id} (deleted meanwhile?)")
    code, name, status, plan, joined = row
    return code, name, status, plan, joined


def review_in(db: Database, context: ReviewContext, affiliate_id: int) -> ReviewData:
    """One affiliate's review from a month's shared context."""
    code, name, status, plan, joined = _affiliate(db, affiliate_id)
    periods = [add_months(context.period, -k) for k in range(TREND_MONTHS - 1, -1, -1)]
    points = tuple(
        (p, context.metrics(p, affiliate_id).revenue, context.metrics(p, affiliate_id).commission) for p in periods
    )
    chart = trend_chart(points, title=f"Revenue and commission ({context.currency})")
    mine = context.metrics(context.period, affiliate_id).revenue
    revenues = [context.current.get(other, Metrics()).revenue for other in context.active]
    rank = None
    if affiliate_id in context.active and mine > 0:  # nobody is "1 of 40" with nothing sold
        rank = 1 + sum(1 for other in revenues if other > mine)
    current, compared = period_label(context.period), period_label(add_months(context.period, -1))
    if context.so_far is not None:
        current, compared = days_label(context.so_far), days_label(context.so_far.previous())
    return ReviewData(
        program_name=context.program_name,
        currency=context.currency,
        affiliate_id=affiliate_id,
        code=code,
        name=name,
        status=status,
        plan=plan,
        joined_on=joined,
        period=context.period,
        period_label=period_label(context.period),
        previous_label=period_label(add_months(context.period, -1)),
        next_label=period_label(add_months(context.period, 1)),
        generated_on=context.today,
        in_progress=month_end(first_day(context.period)) >= context.today,
        kpis=_kpis(context, affiliate_id),
        targets=_targets(context, affiliate_id),
        trend=chart_image(chart),
        trend_points=points,
        rank=rank,
        ranked=len(context.active),
        feedback=feedback_for_period(db, affiliate_id, context.period),
        rewards=tuple(_rewards(db, context, affiliate_id, context.targets)),
        next_targets=_next_targets(context, affiliate_id),
        sheet_commission=_sheet_commission(db, context.period, affiliate_id),
        tied=sum(1 for other in revenues if other == mine) - 1 if rank is not None else 0,
        selling=sum(1 for other in revenues if other > 0),
        current_label=current,
        compared_label=compared,
    )


def days_label(rng: DateRange) -> str:
    """Days of one month as people write them: "1–7 Dec 2026", "1 Dec 2026"."""
    end = rng.end.strftime("%d %b %Y").lstrip("0")
    return end if rng.start == rng.end else f"{rng.start.day}–{end}"


def _sheet_commission(db: Database, period: str, affiliate_id: int) -> tuple[Decimal, Decimal] | None:
    with db.read() as session:
        found = session.execute(
            select(PayoutLine.commission, PayoutLine.over_cap)
            .join(PayoutSheet, PayoutSheet.id == PayoutLine.sheet_id)
            .where(PayoutSheet.period == period, PayoutLine.affiliate_id == affiliate_id)
        ).first()
    return (found[0], found[1]) if found else None


def review_data(db: Database, affiliate_id: int, period: str, today: date | None = None) -> ReviewData:
    """The performance review of one affiliate for one month (YYYY-MM)."""
    return review_in(db, review_context(db, period, [affiliate_id], today), affiliate_id)


def iter_reviews(
    db: Database, period: str, affiliate_ids: Sequence[int], today: date | None = None
) -> Iterator[ReviewData]:
    """Reviews for many affiliates, one at a time, sharing one month's context (the batch's data side)."""
    context = review_context(db, period, affiliate_ids, today)
    for affiliate_id in affiliate_ids:
        yield review_in(db, context, affiliate_id)
