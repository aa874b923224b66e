"""Fraud flags and payout holds; feedback and messages (newsletters, announcements) to affiliates."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop.models.base import Base

FLAG_STATES = ("open", "dismissed", "confirmed")
SEVERITIES = ("low", "medium", "high")
FEEDBACK_KINDS = ("praise", "coaching", "warning", "reward")
MESSAGE_KINDS = ("newsletter", "announcement")


class FraudFlag(Base):
    __tablename__ = "fraud_flag"
    __table_args__ = (Index("ix_fraud_flag_state_affiliate", "state", "affiliate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(200), unique=True)  # a rescan finds the same flag, not a new one
    affiliate_id: Mapped[int | None] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"), index=True)
    period: Mapped[str | None] = mapped_column(String(7))
    severity: Mapped[str] = mapped_column(String(10))
    evidence: Mapped[str] = mapped_column(Text)  # plain-language explanation
    state: Mapped[str] = mapped_column(String(10), default="open")
    raised_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolution: Mapped[str | None] = mapped_column(Text)  # the reason given when dismissing or confirming
    action: Mapped[str | None] = mapped_column(String(20))  # reject_orders | hold_payout


class FraudFlagConversion(Base):
    __tablename__ = "fraud_flag_conversion"

    flag_id: Mapped[int] = mapped_column(ForeignKey("fraud_flag.id", ondelete="CASCADE"), primary_key=True)
    conversion_id: Mapped[int] = mapped_column(
        ForeignKey("conversion.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PayoutHold(Base):
    """While a hold is open the affiliate is shown as held on payout sheets and left out of PayPal files."""

    __tablename__ = "payout_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"), index=True)
    since: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("fraud_flag.id", ondelete="SET NULL"))
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(100))


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_affiliate_written", "affiliate_id", "written_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    written_on: Mapped[date]
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))


class Message(Base):
    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    body_markdown: Mapped[str] = mapped_column(Text)
    period: Mapped[str | None] = mapped_column(String(7))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    sent_via: Mapped[str | None] = mapped_column(String(20))  # mail_client | eml | html


class MessageRecipient(Base):
    __tablename__ = "message_recipient"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), index=True)
    affiliate_id: Mapped[int | None] = mapped_column(ForeignKey("affiliate.id", ondelete="SET NULL"), index=True)
    email: Mapped[str] = mapped_column(String(254))
