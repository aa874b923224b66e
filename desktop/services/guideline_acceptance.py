"""Acceptance of guideline versions: who still has to accept the latest terms, who accepted, and recording it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from desktop.db import Database
from desktop.models import ACCEPTANCE_METHODS, Acceptance, Affiliate, GuidelineDocument, Onboarding
from desktop.models import GuidelineVersion as VersionRow
from desktop.services.errors import BadInput, ValidationFailed
from desktop.services.guideline_rows import document_row, latest_version_row, program_now

METHOD_LABELS = {"signed": "Signed", "email": "By email", "in_person": "In person"}


@dataclass(frozen=True)
class PendingAcceptance:
    affiliate_id: int
    code: str
    name: str
    email: str | None
    last_accepted: int | None  # the newest earlier version they accepted


@dataclass(frozen=True)
class AcceptanceRecord:
    affiliate_id: int
    code: str
    name: str
    number: int
    accepted_on: date
    method: str


def pending_acceptances(db: Database, kind: str = "terms") -> tuple[PendingAcceptance, ...]:
    """Active affiliates who have not accepted the latest version of the document; empty while unpublished."""
    with db.read() as session:
        doc = document_row(session, kind)
        latest = latest_version_row(session, doc.id)
        if latest is None:
            return ()
        accepted_latest = select(Acceptance.affiliate_id).where(Acceptance.version_id == latest.id)
        earlier = (
            select(Acceptance.affiliate_id, func.max(VersionRow.number).label("number"))
            .join(VersionRow, VersionRow.id == Acceptance.version_id)
            .where(VersionRow.document_id == doc.id)
            .group_by(Acceptance.affiliate_id)
            .subquery()
        )
        stmt = (
            select(Affiliate.id, Affiliate.code, Affiliate.name, Affiliate.email, earlier.c.number)
            .outerjoin(earlier, earlier.c.affiliate_id == Affiliate.id)
            .where(Affiliate.status == "active", Affiliate.id.not_in(accepted_latest))
            .order_by(Affiliate.name, Affiliate.code)
        )
        return tuple(PendingAcceptance(*row) for row in session.execute(stmt))


def list_acceptances(db: Database, kind: str, number: int | None = None) -> tuple[AcceptanceRecord, ...]:
    """Who accepted a version (the latest by default), the most recent first."""
    with db.read() as session:
        doc = document_row(session, kind)
        latest = latest_version_row(session, doc.id)
        target = number if number is not None else latest.number if latest is not None else 0
        stmt = (
            select(Affiliate.id, Affiliate.code, Affiliate.name, VersionRow.number, Acceptance.accepted_on)
            .add_columns(Acceptance.method)
            .join(Acceptance, Acceptance.affiliate_id == Affiliate.id)
            .join(VersionRow, VersionRow.id == Acceptance.version_id)
            .where(VersionRow.document_id == doc.id, VersionRow.number == target)
            .order_by(Acceptance.accepted_on.desc(), Affiliate.name)
        )
        return tuple(AcceptanceRecord(*row) for row in session.execute(stmt))


def record_acceptance(
    db: Database, affiliate_id: int, version_id: int, accepted_on: date, method: str
) -> AcceptanceRecord:
    """Record (or correct) that an affiliate accepted a version; the latest terms tick their onboarding step."""
    if method not in ACCEPTANCE_METHODS:
        raise ValidationFailed({"method": "Choose how they accepted: signed, by email or in person."})
    with db.write() as session:
        affiliate = session.get(Affiliate, affiliate_id)
        version = session.get(VersionRow, version_id)
        if affiliate is None or version is None:
            raise BadInput("That affiliate or version no longer exists; it may have been deleted.")
        now = program_now(session)
        if accepted_on > now.date():
            raise ValidationFailed({"accepted_on": "The date is in the future."})
        if accepted_on < version.published_at.date():
            raise ValidationFailed(
                {"accepted_on": f"Version {version.number} was published on {version.published_at:%d %b %Y}."}
            )
        row = session.scalars(
            select(Acceptance).where(Acceptance.affiliate_id == affiliate_id, Acceptance.version_id == version_id)
        ).first()
        if row is None:
            row = Acceptance(affiliate_id=affiliate_id, version_id=version_id)
            session.add(row)
        row.accepted_on, row.method, row.recorded_at = accepted_on, method, now
        doc = session.get(GuidelineDocument, version.document_id)
        latest = latest_version_row(session, version.document_id)
        if doc is not None and doc.kind == "terms" and latest is not None and latest.id == version.id:
            onboarding = session.scalars(select(Onboarding).where(Onboarding.affiliate_id == affiliate_id)).first()
            if onboarding is not None and not onboarding.terms_accepted:
                onboarding.terms_accepted = True
                if onboarding.goals_communicated and onboarding.asset_kit_sent:
                    onboarding.completed_at = onboarding.completed_at or now
        return AcceptanceRecord(affiliate.id, affiliate.code, affiliate.name, version.number, accepted_on, method)
