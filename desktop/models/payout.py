"""Payout sheets: a period's commissions per affiliate, down to the order line, frozen once approved."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from desktop.models.base import Base

SHEET_STATES = ("draft", "approved", "paid")
ADJUSTMENT_KINDS = ("bonus", "adjustment", "refund", "target_bonus")


class PayoutSheet(Base):
    __tablename__ = "payout_sheet"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7), unique=True)  # YYYY-MM
    state: Mapped[str] = mapped_column(String(10), default="draft")
    currency: Mapped[str] = mapped_column(String(3))
    built_at: Mapped[datetime]
    built_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(100))
    paid_at: Mapped[datetime | None]
    paid_reference: Mapped[str | None] = mapped_column(String(200))
    settings_json: Mapped[str] = mapped_column(Text)  # the program settings and plan versions it was built with
    changes_json: Mapped[str | None] = mapped_column(Text)  # what changed since the previous build


class PayoutLine(Base):
    """One affiliate's row on a sheet: the columns of the payout CSV."""

    __tablename__ = "payout_line"
    __table_args__ = (UniqueConstraint("sheet_id", "affiliate_id", name="uq_payout_line_sheet_id_affiliate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("payout_sheet.id", ondelete="CASCADE"))
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="RESTRICT"), index=True)
    plan_version_id: Mapped[int | None] = mapped_column(ForeignKey("plan_version.id", ondelete="RESTRICT"))
    sales: Mapped[int] = mapped_column(default=0)
    sales_revenue: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    leads: Mapped[int] = mapped_column(default=0)
    signups: Mapped[int] = mapped_column(default=0)
    commission: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    over_cap: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    bonuses: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    adjustments: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    carried_in: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    payable: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    carried_out: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    held: Mapped[bool] = mapped_column(default=False)  # a payout hold was open: nothing paid, all carried
    # As they were at approval (NULL on a draft, which shows the affiliate as it is now): a paid sheet's exports
    # name whom it paid, whatever the affiliate's record says later.
    affiliate_code: Mapped[str | None] = mapped_column(String(64))
    affiliate_name: Mapped[str | None] = mapped_column(String(200))
    payee_email: Mapped[str | None] = mapped_column(String(254))


class CommissionLine(Base):
    """The commission of one order line on a sheet, with the rule that produced it."""

    __tablename__ = "commission_line"
    __table_args__ = (Index("ix_commission_line_sheet_affiliate", "sheet_id", "affiliate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("payout_sheet.id", ondelete="CASCADE"))
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="RESTRICT"))
    conversion_id: Mapped[int] = mapped_column(ForeignKey("conversion.id", ondelete="RESTRICT"), index=True)
    line_no: Mapped[int]
    amount: Mapped[Decimal]  # the commissionable amount of the line
    commission: Mapped[Decimal]
    rule: Mapped[str] = mapped_column(String(200))
    trace: Mapped[str] = mapped_column(Text)


class Adjustment(Base):
    """Money outside the commission lines: manual bonuses and corrections, refunds after payment, target bonuses."""

    __tablename__ = "adjustment"
    __table_args__ = (Index("ix_adjustment_period_affiliate", "period", "affiliate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="RESTRICT"))
    period: Mapped[str] = mapped_column(String(7))  # the sheet it lands on
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal]
    reason: Mapped[str] = mapped_column(Text)
    conversion_id: Mapped[int | None] = mapped_column(ForeignKey("conversion.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
