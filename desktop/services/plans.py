"""Commission plans: create, edit (a new version once a payout sheet froze the current one), list and delete."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from desktop.db import Database
from desktop.models import Affiliate, CommissionPlan, PlanProductRule, PlanTier, PlanVersion
from desktop.services.commission_engine import PlanTerms
from desktop.services.errors import RefusedByState, ValidationFailed
from desktop.services.plan_input import (
    TIER_BASES,
    TIER_MODES,
    PlanInput,
    ProductInput,
    TierInput,
    demo_plans,
    describe_plan,
    terms_problems,
    to_terms,
)

__all__ = [
    "TIER_BASES",
    "TIER_MODES",
    "PlanDetail",
    "PlanInput",
    "PlanSaveResult",
    "PlanSummary",
    "PlanVersionInfo",
    "ProductInput",
    "TierInput",
    "create_plan",
    "current_version_id",
    "default_plan_id",
    "delete_plan",
    "demo_plans",
    "describe_plan",
    "freeze_version",
    "freeze_versions_in",
    "get_plan",
    "list_plans",
    "load_demo_plans",
    "plan_problems",
    "plan_terms",
    "plans_by_name",
    "save_plan_in",
    "terms_problems",
    "to_terms",
    "update_plan",
    "validate_plan_input",
]


@dataclass(frozen=True)
class PlanSaveResult:
    version: int
    new_version: bool  # the current version was frozen, so the change went into a new one
    changed: bool = True  # False when the plan already said exactly this


@dataclass(frozen=True)
class PlanSummary:
    id: int
    name: str
    version: int
    description: str  # "10 % of sales · tiers from 2,000.00 · cap 1,000.00"
    affiliates: int
    frozen: bool = False  # the current version was used by an approved payout sheet


class PlanVersionInfo(NamedTuple):
    version: int
    created_at: datetime
    frozen: bool


@dataclass(frozen=True)
class PlanDetail:
    id: int
    name: str
    version: int
    data: PlanInput
    versions: tuple[PlanVersionInfo, ...]  # oldest first
    affiliates: int = 0

    @property
    def frozen(self) -> bool:
        """Saving a change makes a new version: this one was used by an approved payout sheet."""
        return bool(self.versions) and self.versions[-1].frozen


# --- validation ---------------------------------------------------------------------------------------


def plan_problems(session: Session, data: PlanInput, plan_id: int | None = None) -> dict[str, str]:
    """terms_problems() plus the rules that need the database: the name is not another plan's."""
    errors = terms_problems(data)
    if "name" not in errors:
        other = _plan_named(session, data.name)
        if other is not None and other.id != plan_id:
            errors["name"] = f"There is already a plan named {other.name}."
    return errors


def validate_plan_input(db: Database, data: PlanInput, plan_id: int | None = None) -> dict[str, str]:
    """Messages keyed by field (see terms_problems); empty when the plan can be saved."""
    with db.read() as session:
        return plan_problems(session, data, plan_id)


# --- saving --------------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _plan_named(session: Session, name: str) -> CommissionPlan | None:
    """Names are unique regardless of case and surrounding spaces: "standard" is "Standard"."""
    wanted = name.strip().casefold()
    return next((plan for plan in session.scalars(select(CommissionPlan)) if plan.name.casefold() == wanted), None)


def _cleaned(data: PlanInput) -> PlanInput:
    products = tuple(replace(rule, sku_glob=rule.sku_glob.strip()) for rule in data.products)
    return replace(data, name=data.name.strip(), products=products)


def _fill(version: PlanVersion, data: PlanInput) -> None:
    version.sale_rate = data.sale_rate
    version.sale_amount = data.sale_amount
    version.lead_amount = data.lead_amount
    version.signup_amount = data.signup_amount
    version.tier_basis = data.tier_basis
    version.tier_mode = data.tier_mode
    version.cap = data.cap
    version.tiers = [
        PlanTier(min_value=t.min_value, sale_rate=t.sale_rate, sale_amount=t.sale_amount) for t in data.tiers
    ]
    version.products = [
        PlanProductRule(position=i, sku_glob=p.sku_glob, sale_rate=p.sale_rate, sale_amount=p.sale_amount)
        for i, p in enumerate(data.products)
    ]


def _input_of(name: str, version: PlanVersion) -> PlanInput:
    return PlanInput(
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


def _current_version(session: Session, plan_id: int) -> PlanVersion:
    """The plan's highest version, locked against a payout sheet freezing it meanwhile (PostgreSQL)."""
    query = (
        select(PlanVersion)
        .where(PlanVersion.plan_id == plan_id)
        .order_by(PlanVersion.version.desc())
        .limit(1)
        .with_for_update()
    )
    version = session.scalars(query).first()
    if version is None:
        raise RefusedByState("This plan no longer exists; it may have been deleted meanwhile.")
    return version


def save_plan_in(session: Session, data: PlanInput, plan_id: int | None = None) -> tuple[int, PlanSaveResult]:
    """Create (plan_id None) or update a plan inside the caller's transaction; ValidationFailed when bad."""
    data = _cleaned(data)
    errors = plan_problems(session, data, plan_id)
    if errors:
        raise ValidationFailed(errors)
    now = _now()
    if plan_id is None:
        last = session.scalar(select(func.max(CommissionPlan.position)))
        plan = CommissionPlan(name=data.name, position=0 if last is None else last + 1, created_at=now)
        version = PlanVersion(version=1, created_at=now, frozen=False)
        _fill(version, data)
        plan.versions.append(version)
        session.add(plan)
        session.flush()
        return plan.id, PlanSaveResult(version=1, new_version=True)

    current = _current_version(session, plan_id)
    plan = current.plan
    renamed = plan.name != data.name
    plan.name = data.name
    if _input_of(data.name, current) == data:
        return plan_id, PlanSaveResult(version=current.version, new_version=False, changed=renamed)
    if not current.frozen:
        _fill(current, data)
        session.flush()
        return plan_id, PlanSaveResult(version=current.version, new_version=False)
    # An approved sheet computed with the current version: it stays exactly as it was, the change is new.
    newer = PlanVersion(version=current.version + 1, created_at=now, frozen=False)
    _fill(newer, data)
    plan.versions.append(newer)
    session.flush()
    return plan_id, PlanSaveResult(version=newer.version, new_version=True)


def create_plan(db: Database, data: PlanInput) -> int:
    with db.write() as session:
        plan_id, _ = save_plan_in(session, data)
    return plan_id


def update_plan(db: Database, plan_id: int, data: PlanInput) -> PlanSaveResult:
    with db.write() as session:
        _, result = save_plan_in(session, data, plan_id)
    return result


def delete_plan(db: Database, plan_id: int) -> None:
    """Delete a plan nobody uses and no approved sheet was built with; otherwise RefusedByState."""
    with db.write() as session:
        plan = session.get(CommissionPlan, plan_id)
        if plan is None:
            return
        users = session.scalar(select(func.count()).select_from(Affiliate).where(Affiliate.plan_id == plan_id)) or 0
        if users:
            who = "1 affiliate is" if users == 1 else f"{users} affiliates are"
            raise RefusedByState(f"{who} on the plan {plan.name}; move them to another plan first.")
        if any(version.frozen for version in plan.versions):
            raise RefusedByState(
                f"An approved payout sheet was built with the plan {plan.name}; it stays for the record."
            )
        session.delete(plan)


def freeze_version(db: Database, version_id: int) -> None:
    """Mark a plan version as used by an approved payout sheet: from now on, edits make a new version."""
    with db.write() as session:
        freeze_versions_in(session, [version_id])


def freeze_versions_in(session: Session, version_ids: list[int]) -> None:
    """freeze_version() inside the caller's transaction (the payout sheet's approval)."""
    for version in session.scalars(select(PlanVersion).where(PlanVersion.id.in_(version_ids))):
        version.frozen = True


# --- reading ------------------------------------------------------------------------------------------


def _loaded_plans(session: Session, plan_id: int | None = None) -> list[CommissionPlan]:
    query = (
        select(CommissionPlan)
        .options(selectinload(CommissionPlan.versions).selectinload(PlanVersion.tiers))
        .options(selectinload(CommissionPlan.versions).selectinload(PlanVersion.products))
        .order_by(CommissionPlan.position, CommissionPlan.id)
    )
    if plan_id is not None:
        query = query.where(CommissionPlan.id == plan_id)
    return list(session.scalars(query))


def _affiliate_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Affiliate.plan_id, func.count()).where(Affiliate.plan_id.is_not(None)).group_by(Affiliate.plan_id)
    )
    return {plan_id: count for plan_id, count in rows if plan_id is not None}


def list_plans(db: Database) -> list[PlanSummary]:
    """Every plan with its current version, in list order (the first is the default for new affiliates)."""
    with db.read() as session:
        counts = _affiliate_counts(session)
        summaries = []
        for plan in _loaded_plans(session):
            current = plan.versions[-1]
            description = describe_plan(_input_of(plan.name, current))
            summaries.append(
                PlanSummary(plan.id, plan.name, current.version, description, counts.get(plan.id, 0), current.frozen)
            )
        return summaries


def get_plan(db: Database, plan_id: int) -> PlanDetail:
    with db.read() as session:
        plans = _loaded_plans(session, plan_id)
        if not plans:
            raise RefusedByState("This plan no longer exists; it may have been deleted meanwhile.")
        plan = plans[0]
        current = plan.versions[-1]
        versions = tuple(PlanVersionInfo(v.version, v.created_at, v.frozen) for v in plan.versions)
        users = _affiliate_counts(session).get(plan.id, 0)
        return PlanDetail(plan.id, plan.name, current.version, _input_of(plan.name, current), versions, users)


def plans_by_name(session: Session) -> dict[str, int]:
    """Plan ids by case-folded name, for files that name plans."""
    return {plan.name.casefold(): plan.id for plan in session.scalars(select(CommissionPlan))}


def current_version_id(db: Database, plan_id: int) -> int:
    """The id of the plan's current version: what a payout sheet records and freezes."""
    with db.read() as session:
        return _current_version(session, plan_id).id


def plan_terms(db: Database, plan_id: int, version: int | None = None) -> PlanTerms:
    """The engine's terms of a plan: its current version, or the one asked for."""
    with db.read() as session:
        plan = session.get(CommissionPlan, plan_id)
        chosen = None
        if plan is not None and plan.versions:
            chosen = plan.versions[-1] if version is None else next(
                (v for v in plan.versions if v.version == version), None
            )
        if plan is None or chosen is None:
            raise RefusedByState(f"There is no plan {plan_id}" + (f" version {version}" if version else "") + ".")
        return to_terms(_input_of(plan.name, chosen), chosen.version)


def default_plan_id(db: Database) -> int | None:
    """The first plan of the list: new affiliates get it unless told otherwise."""
    with db.read() as session:
        query = select(CommissionPlan.id).order_by(CommissionPlan.position, CommissionPlan.id).limit(1)
        return session.scalar(query)


def load_demo_plans(db: Database) -> list[int]:
    """Create the demo plans (a plan of the same name is updated instead); their ids in list order."""
    ids = []
    with db.write() as session:
        known = plans_by_name(session)
        for data in demo_plans():
            plan_id, _ = save_plan_in(session, data, known.get(data.name.casefold()))
            ids.append(plan_id)
    return ids
