"""Traffic quality per affiliate (0–100, explained) from refunds, conversion rate and fraud flags; cap advice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import Affiliate, Click, Conversion, DailyClicks, FraudFlag
from desktop.money import format_money, round_money
from desktop.services.fraud import now_local
from desktop.services.fraud_rules import (
    DEFAULT_SETTINGS,
    FraudSettings,
    Scope,
    chunks,
    percent,
    period_of,
    plural,
    shift_period,
)
from desktop.services.plans import plan_terms

WINDOW_DAYS = 90  # the score looks at the last 90 days: recent enough to change, long enough to mean something
REFUND_FREE = Decimal("0.05")  # refunds up to 5 % of revenue are normal retail and cost nothing
REFUND_WORST = Decimal("0.35")  # at 35 % the full refund deduction applies
REFUND_POINTS = 40
RATE_POINTS = 20
# An open high flag alone makes a partner "fair", a confirmed one "poor"; dismissed flags cost nothing.
FLAG_POINTS = {("open", "high"): 30, ("open", "medium"): 20, ("open", "low"): 8,
               ("confirmed", "high"): 60, ("confirmed", "medium"): 40, ("confirmed", "low"): 20}  # fmt: skip
FLAG_POINTS_MAX = 80
GOOD, POOR = 80, 50  # scores from 80 are good, under 50 poor
CAP_MONTHS = 3  # complete months the cap suggestion looks back on
CAP_ROOM = Decimal("1.25")  # a suggested cap leaves good partners 25 % room to grow


@dataclass(frozen=True)
class QualityScore:
    affiliate_id: int
    score: int  # 0 (worst) to 100 (clean traffic)
    grade: str  # good | fair | poor
    explanation: tuple[str, ...]  # one sentence per part of the score, with its deduction
    refund_rate: Decimal | None  # None: too few sales to judge
    conversion_rate: Decimal | None  # None: too few link sales or no clicks
    open_flags: int
    confirmed_flags: int

    @property
    def text(self) -> str:
        """For a table cell: "72 · fair"."""
        return f"{self.score} · {self.grade}"


@dataclass(frozen=True)
class CapSuggestion:
    plan_id: int
    current_cap: Decimal | None
    suggested_cap: Decimal
    direction: str  # lower | raise | set
    reason: str  # the explanation to show next to the cap field
    poor_affiliates: tuple[str, ...]  # "Tom Novak (41)"


def _grade(score: int) -> str:
    return "good" if score >= GOOD else "fair" if score >= POOR else "poor"


def _stats(session: Session, ids: list[int], start: date, end: date) -> dict[int, tuple[int, Decimal, Decimal, int]]:
    """(sales, gross revenue, refunded revenue, sales through links) per affiliate in [start, end)."""
    c = Conversion
    refunded = case((c.status == "refunded", c.amount), else_=c.refunded_amount)
    link = case((c.attribution.in_(("referral", "click")), 1), else_=0)
    found: dict[int, tuple[int, Decimal, Decimal, int]] = {}
    for part in chunks(ids):
        query = (
            select(c.affiliate_id, func.count(), func.sum(c.amount), func.sum(refunded), func.sum(link))
            .where(c.affiliate_id.in_(part), c.type == "sale", c.status.in_(("approved", "pending", "refunded")))
            .where(c.local_date >= start, c.local_date < end)
            .group_by(c.affiliate_id)
        )
        for affiliate_id, sales, gross, back, links in session.execute(query):
            found[affiliate_id] = (int(sales), gross or Decimal(0), back or Decimal(0), int(links or 0))
    return found


def _clicks(session: Session, ids: list[int], start: date, end: date) -> dict[int, int]:
    """Clicks per affiliate: the click log or the daily counts, whichever is larger (see clicks_by_month)."""
    counts: dict[int, int] = defaultdict(int)
    for part in chunks(ids):
        logged = select(Click.affiliate_id, func.count()).where(
            Click.affiliate_id.in_(part), Click.local_date >= start, Click.local_date < end
        ).group_by(Click.affiliate_id)
        daily = select(DailyClicks.affiliate_id, func.sum(DailyClicks.clicks)).where(
            DailyClicks.affiliate_id.in_(part), DailyClicks.day >= start, DailyClicks.day < end
        ).group_by(DailyClicks.affiliate_id)
        for query in (logged, daily):
            for affiliate_id, count in session.execute(query):
                counts[affiliate_id] = max(counts[affiliate_id], int(count or 0))
    return counts


def _flags(session: Session, ids: list[int]) -> dict[int, dict[tuple[str, str], int]]:
    found: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for part in chunks(ids):
        query = (
            select(FraudFlag.affiliate_id, FraudFlag.state, FraudFlag.severity, func.count())
            .where(FraudFlag.affiliate_id.in_(part), FraudFlag.state.in_(("open", "confirmed")))
            .group_by(FraudFlag.affiliate_id, FraudFlag.state, FraudFlag.severity)
        )
        for affiliate_id, state, severity, count in session.execute(query):
            found[int(affiliate_id or 0)][(state, severity)] = int(count)
    return found


def _score(
    affiliate_id: int,
    stats: tuple[int, Decimal, Decimal, int] | None,
    clicks: int,
    flags: dict[tuple[str, str], int],
    settings: FraudSettings,
) -> QualityScore:
    lines: list[str] = []
    deduction = 0
    sales, gross, back, links = stats or (0, Decimal(0), Decimal(0), 0)
    refund_rate = conversion = None
    if sales >= settings.refund_min_orders and gross > 0:
        refund_rate = back / gross
        share = min(Decimal(1), max(Decimal(0), (refund_rate - REFUND_FREE) / (REFUND_WORST - REFUND_FREE)))
        points = int((share * REFUND_POINTS).to_integral_value())
        deduction += points
        lines.append(f"Refunds: {percent(refund_rate)} of sales revenue in the last {WINDOW_DAYS} days"
                     + (f" (−{points})" if points else ", normal"))  # fmt: skip
    else:
        lines.append(f"Refunds: too few sales in the last {WINDOW_DAYS} days to judge ({plural(sales, 'sale')})")
    if links >= settings.rate_min_sales and clicks:
        conversion = Decimal(links) / Decimal(clicks)
        expected = f"{percent(settings.rate_low)}–{percent(settings.rate_high)}"
        if settings.rate_low <= conversion <= settings.rate_high:
            lines.append(f"Conversion rate: {percent(conversion)} of {plural(clicks, 'click')}, within {expected}")
        else:
            deduction += RATE_POINTS
            lines.append(f"Conversion rate: {percent(conversion)} of {plural(clicks, 'click')}, outside the "
                         f"expected {expected} (−{RATE_POINTS})")  # fmt: skip
    else:
        lines.append("Conversion rate: not enough link sales and clicks to judge")
    flag_points = min(FLAG_POINTS_MAX, sum(FLAG_POINTS.get(key, 0) * n for key, n in flags.items()))
    open_flags = sum(n for (state, _), n in flags.items() if state == "open")
    confirmed = sum(n for (state, _), n in flags.items() if state == "confirmed")
    if open_flags or confirmed:
        parts = [plural(n, f"{state} flag") for state, n in (("open", open_flags), ("confirmed", confirmed)) if n]
        lines.append(f"Fraud flags: {' and '.join(parts)} (−{flag_points})")
    else:
        lines.append("Fraud flags: none open or confirmed")
    deduction += flag_points
    score = max(0, 100 - deduction)
    return QualityScore(affiliate_id, score, _grade(score), tuple(lines), refund_rate, conversion, open_flags,
                        confirmed)  # fmt: skip


def quality_scores(
    db: Database, affiliate_ids: Iterable[int], *, as_of: date | None = None,
    settings: FraudSettings = DEFAULT_SETTINGS,
) -> dict[int, QualityScore]:  # fmt: skip
    """The traffic quality of each affiliate over the last 90 days; a few queries per 900 affiliates."""
    ids = sorted(set(affiliate_ids))
    if not ids:
        return {}
    with db.read() as session:
        end = (as_of or now_local(session).date()) + timedelta(days=1)
        start = end - timedelta(days=WINDOW_DAYS)
        stats, clicks, flags = _stats(session, ids, start, end), _clicks(session, ids, start, end), _flags(session, ids)
    return {i: _score(i, stats.get(i), clicks.get(i, 0), flags.get(i, {}), settings) for i in ids}


# --- cap advice -----------------------------------------------------------------------------------------


def _nice_ceiling(amount: Decimal) -> Decimal:
    """Up to the next 50.00 (next 100.00 from 1,000 on): caps people can remember."""
    step = Decimal(50) if amount < 1000 else Decimal(100)
    return max(step, (amount / step).to_integral_value(rounding=ROUND_CEILING) * step).quantize(Decimal("0.01"))


def _monthly_commission(db: Database, plan_id: int, ids: list[int], as_of: date) -> dict[int, Decimal]:
    """Each affiliate's best month of the last complete months, estimated at the plan's base rate."""
    terms = plan_terms(db, plan_id)
    first = shift_period(period_of(as_of), -CAP_MONTHS)
    start, end = date.fromisoformat(f"{first}-01"), date.fromisoformat(f"{period_of(as_of)}-01")
    best: dict[int, Decimal] = defaultdict(Decimal)
    c = Conversion
    with db.read() as session:
        month = Scope((), db.is_sqlite).month(c.local_date)
        for part in chunks(ids):
            query = (
                select(c.affiliate_id, month, func.sum(c.net_amount), func.count())
                .where(c.affiliate_id.in_(part), c.type == "sale", c.status == "approved")
                .where(c.local_date >= start, c.local_date < end)
                .group_by(c.affiliate_id, month)
            )
            for affiliate, _, revenue, orders in session.execute(query):
                affiliate_id = int(affiliate or 0)
                if terms.sale_rate is not None:
                    earned = round_money((revenue or Decimal(0)) * terms.sale_rate)
                else:
                    earned = (terms.sale_amount or Decimal(0)) * orders
                best[affiliate_id] = max(best[affiliate_id], earned)
    return best


def suggested_cap(db: Database, plan_id: int, *, as_of: date | None = None) -> CapSuggestion | None:
    """A cap change the plan's traffic quality calls for, or None when the cap is right as it is.

    Poor-quality partners on the plan: a cap just above what the best good-quality partner earns in a month limits
    what bad traffic can cost without cutting anyone honest. Only good partners: a cap they keep hitting is raised.
    """
    with db.read() as session:
        today = as_of or now_local(session).date()
        active = select(Affiliate.id).where(Affiliate.plan_id == plan_id, Affiliate.status == "active")
        ids = list(session.scalars(active))
        names = dict(session.execute(select(Affiliate.id, Affiliate.name).where(Affiliate.plan_id == plan_id)).all())
    if not ids:
        return None
    current = plan_terms(db, plan_id).cap
    scores = quality_scores(db, ids, as_of=today)
    earned = _monthly_commission(db, plan_id, ids, today)
    poor = sorted((s for s in scores.values() if s.grade == "poor"), key=lambda s: s.score)
    good = [i for i, s in scores.items() if s.grade == "good"]
    best_good = max((earned.get(i, Decimal(0)) for i in good), default=Decimal(0))
    basis = "estimated at the plan's base rate over the last 3 complete months"
    if poor:
        if not best_good:
            return None  # nothing honest to measure a cap against yet
        proposed = _nice_ceiling(best_good * CAP_ROOM)
        if current is not None and current <= proposed:
            return None
        who = tuple(f"{names.get(s.affiliate_id, s.affiliate_id)} ({s.score})" for s in poor)
        reason = (f"{plural(len(poor), 'partner')} on this plan {'has' if len(poor) == 1 else 'have'} poor traffic "
                  f"quality ({', '.join(who[:3])}{', …' if len(who) > 3 else ''}). A cap of {format_money(proposed)} "
                  f"limits what bad traffic can cost; your best good-quality partner earned at most "
                  f"{format_money(best_good)} in a month ({basis}).")  # fmt: skip
        return CapSuggestion(plan_id, current, proposed, "set" if current is None else "lower", reason, who)
    if current is None:
        return None
    capped = [i for i in good if earned.get(i, Decimal(0)) >= current]
    if not capped:
        return None
    proposed = _nice_ceiling(max(earned[i] for i in capped) * CAP_ROOM)
    reason = (f"{plural(len(capped), 'good-quality partner')} reached the cap of {format_money(current)} "
              f"({basis}) and no partner on this plan has poor traffic: a cap of {format_money(proposed)} "
              "lets them earn what they bring.")  # fmt: skip
    return CapSuggestion(plan_id, current, proposed, "raise", reason, ())
