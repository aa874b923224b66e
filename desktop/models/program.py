"""The program's settings: one row that says how this affiliate program works."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from desktop.models.base import Base

ATTRIBUTION_RULES = ("last_click", "first_click")
NORTH_STAR_METRICS = ("revenue", "sales", "leads", "signups", "clicks")


class Program(Base):
    __tablename__ = "program"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    name: Mapped[str] = mapped_column(String(200), default="My affiliate program")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    cookie_days: Mapped[int] = mapped_column(default=30)
    attribution: Mapped[str] = mapped_column(String(20), default="last_click")
    coupon_priority: Mapped[bool] = mapped_column(default=True)
    payout_threshold: Mapped[Decimal] = mapped_column(default=Decimal("50.00"))
    hold_days: Mapped[int] = mapped_column(default=0)
    north_star_metric: Mapped[str] = mapped_column(String(20), default="revenue")
    # An amount for revenue, a whole count for the other metrics (validated by the settings service).
    north_star_target: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    configured: Mapped[bool] = mapped_column(default=False)
    # ";"-separated niches the program looks for in recruits (fit score: audience match)
    target_niches: Mapped[str] = mapped_column(String(500), default="")
    # The shop's referral link with "{code}" where the affiliate's code goes; "" until the program sets it.
    referral_link_template: Mapped[str] = mapped_column(String(500), default="")
