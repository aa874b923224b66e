"""Targets: set them for an affiliate, a tag or all active affiliates, and follow their progress while they run."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import TARGET_METRICS, Affiliate, PayoutSheet, Program, StatusChange, Tag, Target, affiliate_tag
from desktop.money import ZERO, MoneyError, format_money, format_rate, parse_money
from desktop.services.commission_engine import takes_rate_boost
from desktop.services.errors import RefusedByState
from desktop.services.metrics import (
    DateRange,
    Metrics,
    add_months,
    first_day,
    format_value,
    metrics_in,
    month_end,
)
from desktop.services.payout_inputs import affiliate_plans, current_plans

COUNT_METRICS = ("sales", "leads", "signups", "clicks")
MAX_GROWTH = Decimal(10)  # 1,000 %
TOO_LARGE = Decimal(10) ** 15  # far past any goal or bonus, and still exact to the cent
UNIT = {"revenue": Decimal("0.01"), "epc": Decimal("0.01"), "conversion_rate": Decimal("0.01")}  # else 1
PERCENT_GOALS = ("conversion_rate",)  # the goal is a percentage with two decimals
METRIC_NAMES = {"conversion_rate": "conversion rate", "epc": "EPC"}  # else the metric's own name


@dataclass(frozen=True)
class TargetInput:
    """What the form and the program file say; exactly one of goal and growth."""

    scope: str  # an affiliate code, "tag:NAME" or "all" (every active affiliate)
    metric: str
    period: str  # YYYY-MM
    goal: Decimal | None = None  # an amount, a count, or a percentage with two decimals (3.25 = 3.25 %)
    growth: Decimal | None = None  # a fraction over the previous period's actual: Decimal("0.2") = 20 %
    bonus: Decimal | None = None  # into that period's payout sheet when met
    reward_rate: Decimal | None = None  # added to the commission rate next period when met
    reward_text: str | None = None  # a product or recognition


def goal_text(data: TargetInput) -> str:
    if data.growth is not None:
        return f"+{format_rate(data.growth)} over {add_months(data.period, -1)}"
    return format_value(data.metric, data.goal)


def reward_text(data: TargetInput) -> str:
    parts = []
    if data.bonus:
        parts.append(f"bonus {format_money(data.bonus)}")
    if data.reward_rate:
        parts.append(f"+{format_rate(data.reward_rate)} rate in {add_months(data.period, 1)}")
    if data.reward_text:
        parts.append(data.reward_text)
    return ", ".join(parts) or "no reward"


# --- reading numbers ----------------------------------------------------------------------------------------------


def parse_goal(text: str, metric: str) -> Decimal:
    """A goal as typed: an amount or a count ("5000.00", "25"), or for a rate metric a percentage ("3.5%" or "3.5").

    Raises MoneyError with words for the user; a % sign on an amount or a count is refused, never dropped.
    """
    raw = text.strip()
    if raw.endswith("%"):
        if metric not in PERCENT_GOALS:
            label = METRIC_NAMES.get(metric, metric)
            raise MoneyError(f"{text!r}: a {label} goal is not a percentage; write it without the % sign")
        raw = raw[:-1].strip()
    return parse_money(raw)  # "1e40" is refused there, as too large


def parse_growth(text: str) -> Decimal:
    """A growth as typed, "20%" or "20", as the fraction Decimal("0.2"); MoneyError for anything not a number."""
    raw = text.strip().removesuffix("%").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise MoneyError(f"{text!r} is not a percentage (write it like 20%)") from exc
    if not value.is_finite():
        raise MoneyError(f"{text!r} is not a percentage (write it like 20%)")
    return value / 100


# --- time --------------------------------------------------------------------------------------------------------


def program_today(session: Session) -> date:
    """Today in the program's time zone: a period ends when its last day is over there."""
    name = session.scalar(select(Program.timezone).where(Program.id == 1))
    try:
        zone = ZoneInfo(name) if name else None
    except (ValueError, KeyError):
        zone = None
    return datetime.now(zone).date()


def program_today_of(db: Database) -> date:
    with db.read() as session:
        return program_today(session)


def now_in(session: Session) -> datetime:
    name = session.scalar(select(Program.timezone).where(Program.id == 1))
    try:
        return datetime.now(ZoneInfo(name) if name else None).replace(tzinfo=None, microsecond=0)
    except (ValueError, KeyError):
        return datetime.now().replace(microsecond=0)


def has_ended(period: str, today: date) -> bool:
    return month_end(first_day(period)) < today


# --- validation --------------------------------------------------------------------------------------------------


def normalized(data: TargetInput) -> TargetInput:
    scope = data.scope.strip()
    if scope.casefold() == "all":
        scope = "all"
    elif scope.casefold().startswith("tag:"):
        scope = "tag:" + scope[4:].strip()
    text = (data.reward_text or "").strip() or None
    return replace(data, scope=scope, metric=data.metric.strip().lower(), period=data.period.strip(), reward_text=text)


def find_affiliate(session: Session, code: str) -> Affiliate | None:
    row = session.scalar(select(Affiliate).where(Affiliate.code == code))
    return row or session.scalar(select(Affiliate).where(func.lower(Affiliate.code) == code.lower()))


def find_tag(session: Session, name: str) -> Tag | None:
    return next((t for t in session.scalars(select(Tag)) if t.name.casefold() == name.casefold()), None)


def target_problems(session: Session, data: TargetInput) -> dict[str, str]:
    """Messages keyed by field (scope, metric, period, goal, bonus, reward_rate, reward_text)."""
    errors: dict[str, str] = {}
    for field, value in (("goal", data.goal), ("goal", data.growth), ("bonus", data.bonus),
                         ("reward_rate", data.reward_rate)):  # fmt: skip
        if value is not None and not (value.is_finite() and abs(value) < TOO_LARGE):
            # NaN and infinity cannot even be compared, and a value past 28 digits cannot be rounded
            errors[field] = f"{value} is not a number" if not value.is_finite() else f"{value} is too large"
    if data.scope == "all":
        pass
    elif data.scope.startswith("tag:"):
        if not data.scope[4:]:
            errors["scope"] = 'Name the tag, like "tag:blog"'
        elif find_tag(session, data.scope[4:]) is None:
            errors["scope"] = f"No affiliate has the tag {data.scope[4:]!r}"
    elif not data.scope:
        errors["scope"] = 'Choose an affiliate, a tag ("tag:NAME") or "all"'
    elif find_affiliate(session, data.scope) is None:
        errors["scope"] = f"There is no affiliate with the code {data.scope!r}"
    if data.metric not in TARGET_METRICS:
        errors["metric"] = "One of " + ", ".join(TARGET_METRICS)
    try:
        first_day(data.period)
    except ValueError:
        errors["period"] = "A month, written like 2026-10"
    if (data.goal is None) == (data.growth is None):
        errors["goal"] = "Give either a goal or a growth over the previous period, one of the two"
    elif "goal" in errors:
        pass
    elif data.goal is not None:
        errors.update(_goal_problem(data.metric, data.goal))
    elif data.growth is not None and not ZERO <= data.growth <= MAX_GROWTH:
        errors["goal"] = "Growth is between 0 % and 1,000 %"
    if "bonus" in errors or data.bonus is None:
        pass
    elif data.bonus < 0 or data.bonus != data.bonus.quantize(Decimal("0.01")):
        errors["bonus"] = "An amount of 0 or more, with at most two decimals"
    if "reward_rate" in errors or data.reward_rate is None:
        pass
    elif not ZERO < data.reward_rate <= 1:
        errors["reward_rate"] = "A better rate between 0 % and 100 %"
    elif "scope" not in errors and "period" not in errors:
        problem = _flat_plan_problem(session, data.scope, data.period, data.reward_rate)
        if problem:
            errors["reward_rate"] = problem
    if data.reward_text is not None and len(data.reward_text) > 500:
        errors["reward_text"] = "At most 500 characters"
    return errors


def _flat_plan_problem(session: Session, scope: str, period: str, rate: Decimal) -> str | None:
    """A better rate adds to percentage rates: refused for anyone whose plan pays a flat amount per order."""
    if scope == "all" or scope.startswith("tag:"):
        tag = None if scope == "all" else find_tag(session, scope[4:])
        ids = member_ids(session, None, tag.name if tag else None, period)
    else:
        affiliate = find_affiliate(session, scope)
        ids = [affiliate.id] if affiliate else []
    plans, default = affiliate_plans(session)
    plan_of = {affiliate_id: plan_id for affiliate_id in ids if (plan_id := plans.get(affiliate_id) or default)}
    used = current_plans(session, set(plan_of.values()))
    flat = [affiliate_id for affiliate_id, plan_id in plan_of.items() if not takes_rate_boost(used[plan_id].terms)]
    if not flat:
        return None
    names = sorted({used[plan_of[affiliate_id]].label.rsplit(" v", 1)[0] for affiliate_id in flat})
    plan_words = f"the plan {names[0]!r} pays" if len(names) == 1 else f"the plans {', '.join(map(repr, names))} pay"
    reward = f"+{format_rate(rate)}"
    if len(ids) == 1:
        return (f"A better rate ({reward}) changes nothing here: {plan_words} a flat amount per order, not a "
                "percentage. Give a bonus instead.")  # fmt: skip
    codes = sorted(session.scalars(select(Affiliate.code).where(Affiliate.id.in_(flat))))
    who = ", ".join(codes[:5]) + (f" and {len(codes) - 5} more" if len(codes) > 5 else "")
    return (f"A better rate ({reward}) would change nothing for {who}: {plan_words} a flat amount per order, not "
            "a percentage. Give a bonus instead, or a tag without them.")  # fmt: skip


def _goal_problem(metric: str, goal: Decimal) -> dict[str, str]:
    if goal <= 0:
        return {"goal": "The goal must be more than zero"}
    if metric in COUNT_METRICS and goal != goal.to_integral_value():
        return {"goal": f"A whole number of {metric}"}
    if goal != goal.quantize(Decimal("0.01")):
        return {"goal": "At most two decimals"}
    if metric == "conversion_rate" and goal > 100:
        return {"goal": "A conversion rate is at most 100 %"}
    return {}


def affiliate_choices(db: Database, keep: str | None = None) -> list[tuple[str, str]]:
    """(code, label) of the affiliates a target can be for: active and paused ones, by name.

    `keep` is the code of the affiliate a target being edited is for: listed whatever their status, with the status
    in the label ("Mateo Patel (MATEOPAT) (terminated)"), so that editing never moves a target to someone else.
    """
    query = select(Affiliate.code, Affiliate.name, Affiliate.status)
    query = query.where(Affiliate.status.in_(("active", "paused")) | (Affiliate.code == (keep or "")))
    with db.read() as session:
        rows = sorted(session.execute(query), key=lambda row: row[1].casefold())
    return [(code, f"{name} ({code})" + ("" if status in ("active", "paused") else f" ({status})"))
            for code, name, status in rows]  # fmt: skip


def validate_target(db: Database, data: TargetInput) -> dict[str, str]:
    with db.read() as session:
        return target_problems(session, normalized(data))


# --- who a target is for, and how far they are -------------------------------------------------------------------


def members(session: Session, target: Target) -> list[int]:
    """The affiliates a target counts for: the one named, or those of the tag or program active in its month."""
    return member_ids(session, target.affiliate_id, target.tag, target.period)


def member_ids(session: Session, affiliate_id: int | None, tag_name: str | None, period: str) -> list[int]:
    """The one affiliate named, or the affiliates (of the tag) active at some moment of `period`, by their status
    history: approved after the month, or paused, terminated or joined before it began, they have no part in it.

    Before the first entry of the history an affiliate had the status that entry left; before the entry that made
    the record, the status it was made with (an active partner entered late was already active: their older orders
    and targets count), though not before a joining date given as earlier than the record itself.
    """
    if affiliate_id is not None:
        return [affiliate_id]
    a, h = Affiliate, StatusChange
    start = datetime.combine(first_day(period), time.min)
    end = datetime.combine(month_end(first_day(period)) + timedelta(days=1), time.min)

    def first(column: Any, *where: Any, latest: bool = False) -> Any:
        order = (h.changed_at.desc(), h.id.desc()) if latest else (h.changed_at, h.id)
        return select(column).where(h.affiliate_id == a.id, *where).order_by(*order).limit(1).scalar_subquery()

    status_at_start = first(h.to_status, h.changed_at <= start, latest=True)  # None: the history begins later
    before_history = func.coalesce(first(func.coalesce(h.from_status, h.to_status)), a.status)
    joined_after = and_(a.joined_on.is_not(None), a.joined_on < func.date(a.created_at), a.joined_on >= end.date())
    became_active = exists().where(
        h.affiliate_id == a.id, h.to_status == "active", h.changed_at >= start, h.changed_at < end
    )
    active_at_start = or_(
        status_at_start == "active",
        and_(status_at_start.is_(None), before_history == "active", ~joined_after),
    )
    query = select(a.id).where(or_(active_at_start, became_active))
    if tag_name:
        tag = find_tag(session, tag_name)
        if tag is None:
            return []
        query = query.join(affiliate_tag, affiliate_tag.c.affiliate_id == a.id).where(affiliate_tag.c.tag_id == tag.id)
    return list(session.scalars(query.order_by(a.id)))


def grown_goal(metric: str, previous: Decimal | None, growth: Decimal) -> Decimal:
    """The previous actual times (1 + growth), rounded up to the metric's unit; from nothing, the smallest step."""
    unit = UNIT.get(metric, Decimal(1))
    if not previous:
        return unit
    steps = (previous * (1 + growth) / unit).to_integral_value(rounding=ROUND_CEILING)
    return (steps * unit).quantize(Decimal("0.01"))


def measure(
    db: Database, session: Session, targets: list[Target], ids: dict[int, list[int]]
) -> dict[tuple[int, int], tuple[Decimal, Decimal]]:
    """(goal, actual) per (target, affiliate), with one set of queries per period measured."""
    wanted: dict[str, set[int]] = defaultdict(set)
    needs_commission: set[str] = set()
    for target in targets:
        periods = [target.period] + ([add_months(target.period, -1)] if target.growth is not None else [])
        for period in periods:
            wanted[period] |= set(ids[target.id])
            if target.metric == "epc":
                needs_commission.add(period)
    measured: dict[str, dict[int, Metrics]] = {
        period: metrics_in(db, session, DateRange.month(period), sorted(people), commission=period in needs_commission)
        for period, people in wanted.items()
        if people
    }
    found: dict[tuple[int, int], tuple[Decimal, Decimal]] = {}
    for target in targets:
        for affiliate_id in ids[target.id]:
            actual = measured[target.period][affiliate_id].value(target.metric) or ZERO
            if target.growth is not None:
                before = measured[add_months(target.period, -1)][affiliate_id].value(target.metric)
                goal = grown_goal(target.metric, before, target.growth)
            else:
                goal = target.goal or ZERO
            found[(target.id, affiliate_id)] = (goal, actual.quantize(Decimal("0.01")))
    return found


def closed_from(session: Session, period: str) -> str | None:
    """An approved or paid sheet of `period` or later: money for `period` can no longer reach a sheet."""
    query = select(PayoutSheet.period).where(PayoutSheet.period >= period, PayoutSheet.state.in_(("approved", "paid")))
    return session.scalar(query.order_by(PayoutSheet.period).limit(1))


def is_frozen(session: Session, target: Target) -> bool:
    """A sheet of its month or later is approved: its bonus (and a better rate, one month later) can no longer land."""
    return closed_from(session, target.period) is not None


def refuse_if_frozen(session: Session, target: Target, what: str) -> None:
    closed = closed_from(session, target.period)
    if closed is not None:
        raise RefusedByState(
            f"The payout sheet for {closed} is approved, so the rewards of {target.period} can no longer change: "
            f"{what} is refused."
        )


def input_of(session: Session, target: Target) -> TargetInput:
    scope = target.scope
    if target.affiliate_id is not None:
        scope = session.scalar(select(Affiliate.code).where(Affiliate.id == target.affiliate_id)) or scope
    return TargetInput(scope, target.metric, target.period, target.goal, target.growth, target.bonus,
                       target.reward_rate, target.reward_text)  # fmt: skip
