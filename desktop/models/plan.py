"""Commission plans: a plan keeps its identity, its terms live in versions (frozen once a sheet used them)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desktop.models.base import Base, Rate


class CommissionPlan(Base):
    __tablename__ = "commission_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(default=0)  # the first plan is the default for new affiliates
    created_at: Mapped[datetime]

    versions: Mapped[list[PlanVersion]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanVersion.version"
    )


class PlanVersion(Base):
    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("plan_id", "version", name="uq_plan_version_plan_id_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("commission_plan.id", ondelete="CASCADE"))
    version: Mapped[int]
    created_at: Mapped[datetime]
    sale_rate: Mapped[Decimal | None] = mapped_column(Rate())
    sale_amount: Mapped[Decimal | None]
    lead_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    signup_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    tier_basis: Mapped[str] = mapped_column(String(10), default="revenue")
    tier_mode: Mapped[str] = mapped_column(String(10), default="all")
    cap: Mapped[Decimal | None]
    # Set when an approved payout sheet used this version: from then on an edit makes a new version.
    frozen: Mapped[bool] = mapped_column(default=False)

    plan: Mapped[CommissionPlan] = relationship(back_populates="versions")
    tiers: Mapped[list[PlanTier]] = relationship(cascade="all, delete-orphan", order_by="PlanTier.min_value")
    products: Mapped[list[PlanProductRule]] = relationship(
        cascade="all, delete-orphan", order_by="PlanProductRule.position"
    )


class PlanTier(Base):
    __tablename__ = "plan_tier"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id", ondelete="CASCADE"), index=True)
    min_value: Mapped[Decimal]  # revenue, or a number of sales (whole)
    sale_rate: Mapped[Decimal | None] = mapped_column(Rate())
    sale_amount: Mapped[Decimal | None]


class PlanProductRule(Base):
    __tablename__ = "plan_product_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    sku_glob: Mapped[str] = mapped_column(String(100))
    sale_rate: Mapped[Decimal | None] = mapped_column(Rate())
    sale_amount: Mapped[Decimal | None]
