"""Targets for affiliates and what they earn when met: bonuses, better rates next period, recognition."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from desktop.models.base import Base, Rate

TARGET_METRICS = ("revenue", "sales", "leads", "signups", "clicks", "conversion_rate", "epc")
REWARD_KINDS = ("bonus", "rate", "product", "recognition")


class Target(Base):
    __tablename__ = "target"
    __table_args__ = (Index("ix_target_period", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(100))  # an affiliate code, "tag:NAME" or "all" (active affiliates)
    affiliate_id: Mapped[int | None] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"))
    tag: Mapped[str | None] = mapped_column(String(60))
    metric: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    goal: Mapped[Decimal | None]  # absolute goal (count, amount, or percent with two decimals)
    growth: Mapped[Decimal | None] = mapped_column(Rate())  # or growth over the previous period's actual
    bonus: Mapped[Decimal | None]  # money into that period's payout sheet when met
    reward_rate: Mapped[Decimal | None] = mapped_column(Rate())  # extra commission rate for the next period
    reward_text: Mapped[str | None] = mapped_column(Text)  # a product or recognition
    created_at: Mapped[datetime]


class TargetResult(Base):
    """A target settled for one affiliate when its period ended (or its current progress while it runs)."""

    __tablename__ = "target_result"
    __table_args__ = (UniqueConstraint("target_id", "affiliate_id", name="uq_target_result_target_id_affiliate"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("target.id", ondelete="CASCADE"))
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"), index=True)
    goal_value: Mapped[Decimal]  # the goal that applied to this affiliate (growth turned into a number)
    actual: Mapped[Decimal]
    met: Mapped[bool]
    settled_at: Mapped[datetime | None]


class RateReward(Base):
    """A better commission rate for one affiliate in one period, earned by a met target."""

    __tablename__ = "rate_reward"
    __table_args__ = (Index("ix_rate_reward_affiliate_period", "affiliate_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))  # the period the better rate applies to
    rate_boost: Mapped[Decimal] = mapped_column(Rate())
    reason: Mapped[str] = mapped_column(Text)
    target_result_id: Mapped[int | None] = mapped_column(ForeignKey("target_result.id", ondelete="CASCADE"))
