"""The private feedback log per affiliate: praise, coaching, warnings and rewards, dated, for reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import FEEDBACK_KINDS, Affiliate, Feedback
from desktop.services.affiliates import current_user
from desktop.services.errors import RefusedByState, ValidationFailed
from desktop.services.fraud import now_local
from desktop.services.fraud_rules import period_bounds

KIND_LABELS = {"praise": "Praise", "coaching": "Coaching", "warning": "Warning", "reward": "Reward"}
MAX_TEXT = 5000


@dataclass(frozen=True)
class FeedbackInput:
    kind: str
    text: str
    written_on: date | None = None  # None: today


@dataclass(frozen=True)
class FeedbackEntry:
    id: int
    affiliate_id: int
    kind: str
    written_on: date
    text: str
    author: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def validate_feedback(data: FeedbackInput) -> dict[str, str]:
    """Messages keyed by field (kind, text, written_on); empty when the entry can be saved."""
    errors: dict[str, str] = {}
    if data.kind not in FEEDBACK_KINDS:
        errors["kind"] = "Choose praise, coaching, warning or reward."
    if not data.text.strip():
        errors["text"] = "Write what you told them or noticed."
    elif len(data.text) > MAX_TEXT:
        errors["text"] = f"At most {MAX_TEXT:,} characters."
    if data.written_on is not None and data.written_on.year < 2000:
        errors["written_on"] = "Give a date from 2000 on."
    return errors


def _checked(data: FeedbackInput) -> FeedbackInput:
    errors = validate_feedback(data)
    if errors:
        raise ValidationFailed(errors)
    return FeedbackInput(data.kind, data.text.strip(), data.written_on)


def _entry(row: Feedback) -> FeedbackEntry:
    return FeedbackEntry(row.id, row.affiliate_id, row.kind, row.written_on, row.text, row.author)


def _row(session: Session, feedback_id: int) -> Feedback:
    row = session.get(Feedback, feedback_id)
    if row is None:
        raise RefusedByState("This feedback entry no longer exists.")
    return row


def add_feedback(db: Database, affiliate_id: int, data: FeedbackInput, *, author: str | None = None) -> int:
    """Write a feedback entry for an affiliate; its id."""
    data = _checked(data)
    with db.write() as session:
        if session.get(Affiliate, affiliate_id) is None:
            raise RefusedByState("This affiliate no longer exists.")
        row = Feedback(affiliate_id=affiliate_id, kind=data.kind, text=data.text,
                       written_on=data.written_on or now_local(session).date(),
                       author=(author or current_user())[:100])  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def update_feedback(db: Database, feedback_id: int, data: FeedbackInput) -> None:
    data = _checked(data)
    with db.write() as session:
        row = _row(session, feedback_id)
        row.kind, row.text = data.kind, data.text
        if data.written_on is not None:
            row.written_on = data.written_on


def delete_feedback(db: Database, feedback_id: int) -> None:
    with db.write() as session:
        row = session.get(Feedback, feedback_id)
        if row is not None:
            session.delete(row)


def get_feedback(db: Database, feedback_id: int) -> FeedbackEntry:
    with db.read() as session:
        return _entry(_row(session, feedback_id))


def list_feedback(
    db: Database, affiliate_id: int, *, period: str | None = None, kind: str | None = None
) -> tuple[FeedbackEntry, ...]:
    """An affiliate's feedback, newest first; only one month's ("2026-10") or one kind's when asked."""
    query = select(Feedback).where(Feedback.affiliate_id == affiliate_id)
    if period is not None:
        start, end = period_bounds(period)
        query = query.where(Feedback.written_on >= start, Feedback.written_on < end)
    if kind is not None:
        query = query.where(Feedback.kind == kind)
    with db.read() as session:
        rows = session.scalars(query.order_by(Feedback.written_on.desc(), Feedback.id.desc()))
        return tuple(_entry(row) for row in rows)


def feedback_for_period(db: Database, affiliate_id: int, period: str) -> tuple[FeedbackEntry, ...]:
    """One month's feedback in the order it was written: the "Feedback" section of the printed review."""
    return tuple(reversed(list_feedback(db, affiliate_id, period=period)))
