"""Finding a guideline document and its latest version in a session, and the program clock that dates them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.models import Acceptance, GuidelineDocument, Program
from desktop.models import GuidelineVersion as VersionRow
from desktop.services.errors import BadInput
from desktop.services.timezones import is_valid_timezone

KIND_TITLES = {
    "brand": "Brand guidelines",
    "acceptable_content": "Acceptable content",
    "prohibited_practices": "Prohibited practices",
    "terms": "Terms and conditions",
    "commission_terms": "Commission and cookie terms",
}


def document_row(session: Session, kind: str) -> GuidelineDocument:
    row = session.scalars(select(GuidelineDocument).where(GuidelineDocument.kind == kind)).first()
    if row is None:
        raise BadInput(f"There is no {KIND_TITLES.get(kind, kind)!r} document yet.")
    return row


def latest_version_row(session: Session, document_id: int) -> VersionRow | None:
    stmt = select(VersionRow).where(VersionRow.document_id == document_id).order_by(VersionRow.number.desc())
    return session.scalars(stmt.limit(1)).first()


def program_now(session: Session) -> datetime:
    """The program's local time, without an offset (how the database keeps times)."""
    program = session.get(Program, 1)
    if program is not None and is_valid_timezone(program.timezone):
        return datetime.now(ZoneInfo(program.timezone)).replace(tzinfo=None)
    return datetime.now()


def latest_terms(session: Session) -> VersionRow | None:
    """The latest published version of the terms and conditions, if they were ever published."""
    doc = session.scalars(select(GuidelineDocument).where(GuidelineDocument.kind == "terms")).first()
    return latest_version_row(session, doc.id) if doc is not None else None


def accepted(session: Session, affiliate_id: int, version: VersionRow) -> bool:
    stmt = select(Acceptance.id).where(Acceptance.affiliate_id == affiliate_id, Acceptance.version_id == version.id)
    return session.scalars(stmt.limit(1)).first() is not None
