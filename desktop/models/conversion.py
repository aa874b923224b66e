"""Imported sales, leads and signups (orders with their lines), clicks, and the import batches they came in."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from desktop.models.base import Base

CONVERSION_TYPES = ("sale", "lead", "signup")
CONVERSION_STATUSES = ("approved", "pending", "rejected", "refunded")
# Why an order went to its affiliate (or to nobody).
ATTRIBUTION_REASONS = ("coupon", "referral", "click", "organic")


class ImportBatch(Base):
    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # conversions | clicks | affiliates
    file_name: Mapped[str] = mapped_column(String(500))
    preset: Mapped[str | None] = mapped_column(String(30))
    imported_at: Mapped[datetime]
    imported_by: Mapped[str] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(default=0)
    new: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)


class Conversion(Base):
    """One order (or lead, or signup) as the shop exported it, with its attribution."""

    __tablename__ = "conversion"
    __table_args__ = (
        # Covering indexes: per-affiliate period sums read only the index.
        Index("ix_conversion_affiliate_date", "affiliate_id", "local_date", "status", "type", "net_amount"),
        Index("ix_conversion_date", "local_date", "status", "type", "affiliate_id", "net_amount"),
        # Partial: most orders have no visitor and are on no paid sheet, and lookups always ask for a value.
        Index("ix_conversion_visitor", "visitor_id", sqlite_where=text("visitor_id IS NOT NULL"),
              postgresql_where=text("visitor_id IS NOT NULL")),
        Index("ix_conversion_paid_sheet_id", "paid_sheet_id", sqlite_where=text("paid_sheet_id IS NOT NULL"),
              postgresql_where=text("paid_sheet_id IS NOT NULL")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(String(100), unique=True)  # the shop's order number
    type: Mapped[str] = mapped_column(String(10), default="sale")
    occurred_at: Mapped[datetime]  # program-local wall time
    local_date: Mapped[date]  # its calendar day in the program's time zone: the period it belongs to
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default="approved")
    amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))  # sum of the lines
    refunded_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    net_amount: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))  # amount - refunded: commissionable
    affiliate_id: Mapped[int | None] = mapped_column(ForeignKey("affiliate.id", ondelete="RESTRICT"))
    attribution: Mapped[str] = mapped_column(String(10), default="organic")
    attribution_detail: Mapped[str | None] = mapped_column(Text)  # "coupon JANE10", "last click 2026-10-03 …"
    coupon_code: Mapped[str | None] = mapped_column(String(64))
    referral_code: Mapped[str | None] = mapped_column(String(64))  # the file's affiliate_code
    visitor_id: Mapped[str | None] = mapped_column(String(100))
    customer_email: Mapped[str | None] = mapped_column(String(254))
    row_hash: Mapped[str] = mapped_column(String(64))  # of the imported fields: identical re-import = unchanged
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"), index=True)
    paid_sheet_id: Mapped[int | None] = mapped_column(ForeignKey("payout_sheet.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ConversionLine(Base):
    """A line of an order, kept in order of (order, line number): on SQLite the table is that B-tree itself."""

    __tablename__ = "conversion_line"
    __table_args__ = {"sqlite_with_rowid": False}

    conversion_id: Mapped[int] = mapped_column(ForeignKey("conversion.id", ondelete="CASCADE"), primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str | None] = mapped_column(String(100))
    product: Mapped[str | None] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(default=1)
    amount: Mapped[Decimal]


class ConversionStatusChange(Base):
    __tablename__ = "conversion_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversion_id: Mapped[int] = mapped_column(ForeignKey("conversion.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime]
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    from_refunded: Mapped[Decimal | None]
    to_refunded: Mapped[Decimal]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)


class Click(Base):
    __tablename__ = "click"
    __table_args__ = (
        Index("ix_click_visitor_time", "visitor_id", "clicked_at"),
        Index("ix_click_affiliate_date", "affiliate_id", "local_date"),
        Index("ix_click_date", "local_date", "affiliate_id"),
        UniqueConstraint("affiliate_id", "clicked_at", "visitor_id", name="uq_click_affiliate_id_clicked_at_visitor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clicked_at: Mapped[datetime]  # program-local wall time
    local_date: Mapped[date]
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="RESTRICT"))
    visitor_id: Mapped[str | None] = mapped_column(String(100))
    ip: Mapped[str | None] = mapped_column(String(45))
    landing_url: Mapped[str | None] = mapped_column(String(1000))
    referrer: Mapped[str | None] = mapped_column(String(1000))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))


class DailyClicks(Base):
    """Click counts per affiliate and day, for shops that only export totals."""

    __tablename__ = "daily_clicks"
    __table_args__ = (
        UniqueConstraint("affiliate_id", "day", name="uq_daily_clicks_affiliate_id_day"),
        Index("ix_daily_clicks_day", "day", "affiliate_id", "clicks"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="RESTRICT"))
    day: Mapped[date]
    clicks: Mapped[int]
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id", ondelete="SET NULL"))


class ColumnMapping(Base):
    """A saved column mapping for a shop export the presets don't know."""

    __tablename__ = "column_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # conversions | clicks | affiliates
    # {"columns": {"our field": "their header", ...}, "date_order": "dmy"} (before: the columns alone)
    mapping_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
