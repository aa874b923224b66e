"""What a sheet is built from besides the orders: plans, rate rewards, holds, carried balances and adjustments."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import BigInteger, func, select, type_coerce
from sqlalchemy.orm import Session, selectinload

from desktop.models import (
    Adjustment,
    Affiliate,
    CommissionPlan,
    PayoutHold,
    PayoutLine,
    PayoutSheet,
    PlanVersion,
    RateReward,
)
from desktop.money import from_cents
from desktop.services.commission_engine import PlanTerms
from desktop.services.errors import RefusedByState
from desktop.services.payout_refunds import cents
from desktop.services.payout_types import BONUS_KINDS
from desktop.services.plans import PlanInput, ProductInput, TierInput, describe_plan, to_terms

RATE_SCALE = Decimal(1_000_000)  # the Rate column keeps millionths


@dataclass(frozen=True)
class PlanUsed:
    """A plan's current version, as the engine computes with it."""

    version_id: int
    plan_id: int
    label: str  # "Standard v2"
    description: str  # "10 % of sales · tiers from 2,000.00"
    terms: PlanTerms


def affiliate_plans(session: Session) -> tuple[dict[int, int | None], int | None]:
    """Each affiliate's plan id, and the default plan (the first of the list) for those without one."""
    plans = dict(session.execute(select(Affiliate.id, Affiliate.plan_id)).all())
    default = session.scalar(select(CommissionPlan.id).order_by(CommissionPlan.position, CommissionPlan.id).limit(1))
    return plans, default


def current_plans(session: Session, plan_ids: set[int]) -> dict[int, PlanUsed]:
    """The current version of each plan, read in the caller's transaction."""
    if not plan_ids:
        return {}
    top = (
        select(PlanVersion.plan_id, func.max(PlanVersion.version).label("version"))
        .where(PlanVersion.plan_id.in_(sorted(plan_ids)))
        .group_by(PlanVersion.plan_id)
        .subquery()
    )
    query = (
        select(PlanVersion, CommissionPlan.name)
        .join(top, (top.c.plan_id == PlanVersion.plan_id) & (top.c.version == PlanVersion.version))
        .join(CommissionPlan, CommissionPlan.id == PlanVersion.plan_id)
        .options(selectinload(PlanVersion.tiers), selectinload(PlanVersion.products))
    )
    used: dict[int, PlanUsed] = {}
    for version, name in session.execute(query):
        data = PlanInput(
            name=name,
            sale_rate=version.sale_rate,
            sale_amount=version.sale_amount,
            lead_amount=version.lead_amount,
            signup_amount=version.signup_amount,
            tier_basis=version.tier_basis,
            tier_mode=version.tier_mode,
            cap=version.cap,
            tiers=tuple(TierInput(t.min_value, t.sale_rate, t.sale_amount) for t in version.tiers),
            products=tuple(ProductInput(p.sku_glob, p.sale_rate, p.sale_amount) for p in version.products),
        )
        used[version.plan_id] = PlanUsed(
            version.id,
            version.plan_id,
            f"{name} v{version.version}",
            describe_plan(data),
            to_terms(data, version.version),
        )
    missing = plan_ids - set(used)
    if missing:
        raise RefusedByState("A commission plan was deleted while the sheet was being built; build it again.")
    return used


def rate_boosts(session: Session, period: str) -> dict[int, Decimal]:
    """Rate rewards for the period by affiliate (several rewards add up)."""
    query = (
        select(RateReward.affiliate_id, func.sum(type_coerce(RateReward.rate_boost, BigInteger)))
        .where(RateReward.period == period)
        .group_by(RateReward.affiliate_id)
    )
    return {aid: Decimal(int(total)) / RATE_SCALE for aid, total in session.execute(query) if total}


def terms_for(plan: PlanUsed, boost: Decimal | None) -> PlanTerms:
    return replace(plan.terms, rate_boost=boost) if boost else plan.terms


def open_holds(session: Session) -> set[int]:
    return set(session.scalars(select(PayoutHold.affiliate_id).where(PayoutHold.released_at.is_(None))))


def previous_sheet(session: Session, period: str) -> PayoutSheet | None:
    query = select(PayoutSheet).where(PayoutSheet.period < period).order_by(PayoutSheet.period.desc()).limit(1)
    return session.scalars(query).first()


def carried_balances(session: Session, sheet_id: int | None) -> dict[int, Decimal]:
    """What each affiliate carried out of the previous sheet."""
    if sheet_id is None:
        return {}
    query = select(PayoutLine.affiliate_id, cents(PayoutLine.carried_out)).where(
        PayoutLine.sheet_id == sheet_id, cents(PayoutLine.carried_out) != 0
    )
    return {aid: from_cents(int(value)) for aid, value in session.execute(query)}


def adjustment_sums(session: Session, after: str | None, period: str) -> dict[int, tuple[Decimal, Decimal]]:
    """(bonuses, adjustments) per affiliate over the periods the sheet covers: after the previous sheet, to its own."""
    query = select(Adjustment.affiliate_id, Adjustment.kind, func.sum(cents(Adjustment.amount))).where(
        Adjustment.period <= period
    )
    if after is not None:
        query = query.where(Adjustment.period > after)
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for affiliate_id, kind, total in session.execute(query.group_by(Adjustment.affiliate_id, Adjustment.kind)):
        sums[affiliate_id][0 if kind in BONUS_KINDS else 1] += int(total or 0)
    return {aid: (from_cents(bonus), from_cents(other)) for aid, (bonus, other) in sums.items()}
