"""Guideline documents with published versions and acceptances; the marketing asset library and kits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from desktop.models.base import Base

GUIDELINE_KINDS = ("brand", "acceptable_content", "prohibited_practices", "terms", "commission_terms")
ACCEPTANCE_METHODS = ("signed", "email", "in_person")
ASSET_KINDS = ("image", "pdf", "video", "document", "social_post", "email_copy")


class GuidelineDocument(Base):
    __tablename__ = "guideline_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    draft_markdown: Mapped[str] = mapped_column(Text, default="")  # being edited, not yet published
    requires_acceptance: Mapped[bool] = mapped_column(default=False)


class GuidelineVersion(Base):
    __tablename__ = "guideline_version"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_guideline_version_document_id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("guideline_document.id", ondelete="CASCADE"))
    number: Mapped[int]
    markdown: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime]
    published_by: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str | None] = mapped_column(Text)  # what changed, for the announcement


class Acceptance(Base):
    __tablename__ = "acceptance"
    __table_args__ = (UniqueConstraint("affiliate_id", "version_id", name="uq_acceptance_affiliate_id_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("guideline_version.id", ondelete="CASCADE"), index=True)
    accepted_on: Mapped[date]
    method: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[datetime]


class Asset(Base):
    __tablename__ = "asset"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str | None] = mapped_column(String(64), unique=True)  # of the file; None for text assets
    stored_name: Mapped[str | None] = mapped_column(String(100))  # generated: "<sha256>.<ext>" in the library
    original_name: Mapped[str | None] = mapped_column(String(500))  # metadata only, never part of a path
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)  # social post or email copy text, with {coupon} {link} fields
    mime_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(default=0)
    width: Mapped[int | None]
    height: Mapped[int | None]
    tags: Mapped[str] = mapped_column(String(500), default="")  # ";"-separated
    campaign: Mapped[str | None] = mapped_column(String(100), index=True)
    expires_on: Mapped[date | None]
    created_at: Mapped[datetime]


class KitSent(Base):
    __tablename__ = "kit_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    affiliate_id: Mapped[int | None] = mapped_column(ForeignKey("affiliate.id", ondelete="CASCADE"), index=True)
    campaign: Mapped[str | None] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime]
    manifest_json: Mapped[str] = mapped_column(Text)


class KitItem(Base):
    __tablename__ = "kit_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_id: Mapped[int] = mapped_column(ForeignKey("kit_sent.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="RESTRICT"), index=True)
