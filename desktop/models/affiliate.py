"""Affiliates and recruits: partner records, their socials, tags, coupons, notes and status history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desktop.models.base import Base

# prospect -> applied -> screening -> active -> paused -> terminated, or rejected at any stage before active.
AFFILIATE_STATUSES = ("prospect", "applied", "screening", "active", "paused", "terminated", "rejected")
PIPELINE_STATUSES = ("prospect", "applied", "screening")
SOCIAL_PLATFORMS = ("instagram", "youtube", "tiktok", "x", "blog", "facebook", "pinterest", "twitch", "other")

affiliate_tag = Table(
    "affiliate_tag",
    Base.metadata,
    Column("affiliate_id", ForeignKey("affiliate.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(Base):
    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)


class Affiliate(Base):
    __tablename__ = "affiliate"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    joined_on: Mapped[date | None]
    phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(500))
    audience: Mapped[str | None] = mapped_column(Text)  # who follows them, in the manager's words
    niches: Mapped[str | None] = mapped_column(String(500))  # ";"-separated, matched against program.target_niches
    country: Mapped[str | None] = mapped_column(String(60))
    payee_email: Mapped[str | None] = mapped_column(String(254))  # PayPal; falls back to email
    bank_account_name: Mapped[str | None] = mapped_column(String(200))
    bank_iban: Mapped[str | None] = mapped_column(String(64))
    bank_bic: Mapped[str | None] = mapped_column(String(20))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("commission_plan.id", ondelete="RESTRICT"), index=True)
    total_followers: Mapped[int] = mapped_column(default=0)  # kept equal to the sum over social_profile
    created_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]

    tags: Mapped[list[Tag]] = relationship(secondary=affiliate_tag, order_by=Tag.name)
    socials: Mapped[list[SocialProfile]] = relationship(
        back_populates="affiliate", cascade="all, delete-orphan", order_by="SocialProfile.id"
    )
    coupons: Mapped[list[CouponCode]] = relationship(
        back_populates="affiliate", cascade="all, delete-orphan", order_by="CouponCode.code"
    )


class SocialProfile(Base):
    __tablename__ = "social_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    handle: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    followers: Mapped[int] = mapped_column(default=0)
    engagement_rate: Mapped[Decimal | None]  # percent with two decimals: 3.25 means 3.25 %

    affiliate: Mapped[Affiliate] = relationship(back_populates="socials")


class CouponCode(Base):
    __tablename__ = "coupon_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    code_key: Mapped[str] = mapped_column(String(64), unique=True)  # upper-cased: unique regardless of case

    affiliate: Mapped[Affiliate] = relationship(back_populates="coupons")


class AffiliateNote(Base):
    __tablename__ = "affiliate_note"
    __table_args__ = (Index("ix_affiliate_note_affiliate_written", "affiliate_id", "written_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"))
    written_at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)


class StatusChange(Base):
    __tablename__ = "status_change"
    __table_args__ = (Index("ix_status_change_affiliate_changed", "affiliate_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"))
    changed_at: Mapped[datetime]
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    changed_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)


class Screening(Base):
    """The checklist an applicant goes through before approval."""

    __tablename__ = "screening"
    __table_args__ = (UniqueConstraint("affiliate_id", name="uq_screening_affiliate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"))
    website_reviewed: Mapped[bool] = mapped_column(default=False)
    backlinks_checked: Mapped[bool] = mapped_column(default=False)
    socials_verified: Mapped[bool] = mapped_column(default=False)
    reviews_checked: Mapped[bool] = mapped_column(default=False)
    risk_rating: Mapped[str | None] = mapped_column(String(10))  # low | medium | high
    decision: Mapped[str | None] = mapped_column(String(10))  # approved | rejected
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    notes: Mapped[str | None] = mapped_column(Text)


class Onboarding(Base):
    """What a newly approved affiliate has been given; shown on the affiliate until complete."""

    __tablename__ = "onboarding"
    __table_args__ = (UniqueConstraint("affiliate_id", name="uq_onboarding_affiliate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"))
    started_at: Mapped[datetime]
    goals_communicated: Mapped[bool] = mapped_column(default=False)
    terms_accepted: Mapped[bool] = mapped_column(default=False)
    asset_kit_sent: Mapped[bool] = mapped_column(default=False)
    completed_at: Mapped[datetime | None]
