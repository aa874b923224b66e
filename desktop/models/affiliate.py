"""Affiliates: the partners who bring sales."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from desktop.models.base import Base

AFFILIATE_STATUSES = ("prospect", "applied", "screening", "active", "paused", "terminated", "rejected")


class Affiliate(Base):
    __tablename__ = "affiliate"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    joined_on: Mapped[date | None]
