"""Demo targets: the last months' settled (some met, some missed), this month's running, cut from the demo's sales."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from desktop.db import Database
from desktop.models import Affiliate, Tag
from desktop.services.errors import RefusedByState
from desktop.services.metrics import DateRange, add_months, metrics_by_affiliate, period_of
from desktop.services.targets import TargetInput, program_today
from desktop.services.targets_settle import create_target

D = Decimal


def _round(value: Decimal, step: int) -> Decimal:
    """A goal a person would set: 1,234.56 -> 1,250.00 (step 50)."""
    return max(D(step), (value / step).quantize(D(1), rounding=ROUND_HALF_UP) * step).quantize(D("0.01"))


def _plan(db: Database, today: date) -> list[TargetInput]:
    this = period_of(today)
    months = [add_months(this, -n) for n in (3, 2, 1)]
    measured = {p: metrics_by_affiliate(db, DateRange.month(p), commission=False) for p in months}
    with db.read() as session:
        active = {a.id: a.code for a in session.scalars(select(Affiliate).where(Affiliate.status == "active"))}
        tags = {t.name for t in session.scalars(select(Tag))}
    targets: list[TargetInput] = []
    for index, period in enumerate(months):
        ranked = sorted(((m.revenue, aid) for aid, m in measured[period].items() if aid in active), reverse=True)
        # The best three of each month had revenue goals: two met them (a 10 % margin), one fell 20 % short.
        for place, (revenue, affiliate_id) in enumerate(ranked[:3]):
            factor = D("1.25") if place == (index % 3) else D("0.9")
            targets.append(TargetInput(active[affiliate_id], "revenue", period, goal=_round(revenue * factor, 50),
                                       bonus=D("100.00") if place == 0 else D("50.00"),
                                       reward_rate=D("0.01") if place == 1 else None))  # fmt: skip
        sales = sorted((m.sales for aid, m in measured[period].items() if aid in active), reverse=True)
        if sales:  # every active partner: the sales the busiest quarter of them made
            goal = D(max(1, sales[min(len(sales) - 1, len(sales) // 4)]))
            targets.append(TargetInput("all", "sales", period, goal=goal, bonus=D("20.00")))
    last = months[-1]
    ranked = sorted(((m.revenue, aid) for aid, m in measured[last].items() if aid in active), reverse=True)
    perk = "Early access to the spring collection"
    for place, (_, affiliate_id) in enumerate(ranked[:4]):  # this month: grow on last month, rewards to win
        targets.append(TargetInput(active[affiliate_id], "revenue", this, growth=D("0.1"),
                                   bonus=D("150.00") if place == 0 else D("75.00"),
                                   reward_text=perk if place == 1 else None))  # fmt: skip
    if "video" in tags:
        targets.append(TargetInput("tag:video", "clicks", this, growth=D("0.2"), reward_rate=D("0.02")))
    if "blog" in tags:
        feature = "A feature in the newsletter"
        targets.append(TargetInput("tag:blog", "conversion_rate", last, goal=D("2.50"), reward_text=feature))
    targets.append(TargetInput("all", "sales", this, goal=D(3), reward_text="A shout-out in the partner newsletter"))
    return targets


def load_demo_targets(db: Database, today: date | None = None) -> list[int]:
    """Create the demo's targets (the ended months settled at once); returns their ids.

    Call it after the demo's orders are in and before its payout sheets are built, so that the bonuses are on them.
    A target whose month an approved sheet already closed is left out.
    """
    with db.read() as session:
        today = today or program_today(session)
    ids = []
    for data in _plan(db, today):
        try:
            ids.append(create_target(db, data, today=today))
        except RefusedByState:
            continue
    return ids
