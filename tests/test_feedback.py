"""The feedback log per affiliate: add, list by month and kind, edit, delete, and the printed review's section."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from test_fraud_helpers import add_affiliate, setup_program

from desktop.db import Database
from desktop.services.errors import RefusedByState, ValidationFailed
from desktop.services.feedback import (
    FeedbackInput,
    add_feedback,
    delete_feedback,
    feedback_for_period,
    get_feedback,
    list_feedback,
    update_feedback,
    validate_feedback,
)


@pytest.fixture
def jane(db: Database) -> int:
    setup_program(db)
    return add_affiliate(db, "JANE", "Jane Doe")


def test_feedback_is_listed_newest_first_and_filtered(db: Database, jane: int) -> None:
    other = add_affiliate(db, "TOM", "Tom")
    add_feedback(db, jane, FeedbackInput("praise", "Great tent video", date(2026, 10, 3)), author="anna")
    add_feedback(db, jane, FeedbackInput("coaching", "  Pin the link  ", date(2026, 10, 20)), author="anna")
    add_feedback(db, jane, FeedbackInput("warning", "Coupon on a deal site", date(2026, 9, 28)), author="anna")
    add_feedback(db, other, FeedbackInput("reward", "Sent a jacket", date(2026, 10, 5)), author="anna")
    assert [e.text for e in list_feedback(db, jane)] == ["Pin the link", "Great tent video", "Coupon on a deal site"]
    assert [e.kind for e in list_feedback(db, jane, period="2026-10")] == ["coaching", "praise"]
    assert [e.kind_label for e in list_feedback(db, jane, kind="warning")] == ["Warning"]
    review = feedback_for_period(db, jane, "2026-10")
    assert [(e.written_on, e.kind, e.author) for e in review] == [
        (date(2026, 10, 3), "praise", "anna"), (date(2026, 10, 20), "coaching", "anna")]  # fmt: skip


def test_editing_and_deleting(db: Database, jane: int) -> None:
    entry = add_feedback(db, jane, FeedbackInput("praise", "Nice", date(2026, 10, 3)))
    assert get_feedback(db, entry).author  # the login name, or "manager"
    update_feedback(db, entry, FeedbackInput("reward", "Sent the vest", None))
    changed = get_feedback(db, entry)
    assert (changed.kind, changed.text, changed.written_on) == ("reward", "Sent the vest", date(2026, 10, 3))
    delete_feedback(db, entry)
    assert list_feedback(db, jane) == ()
    delete_feedback(db, entry)  # already gone: nothing to do
    with pytest.raises(RefusedByState):
        update_feedback(db, entry, FeedbackInput("praise", "x"))


def test_bad_entries_are_refused_field_by_field(db: Database, jane: int) -> None:
    assert validate_feedback(FeedbackInput("shouting", " ", date(1999, 1, 1))) == {
        "kind": "Choose praise, coaching, warning or reward.",
        "text": "Write what you told them or noticed.",
        "written_on": "Give a date from 2000 on.",
    }
    with pytest.raises(ValidationFailed):
        add_feedback(db, jane, FeedbackInput("praise", ""))
    with pytest.raises(RefusedByState, match="no longer exists"):
        add_feedback(db, 999, FeedbackInput("praise", "Hello"))
    entry = add_feedback(db, jane, FeedbackInput("praise", "Today"))
    assert get_feedback(db, entry).written_on == datetime.now(UTC).date()  # today in the program's time zone
