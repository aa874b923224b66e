"""The order payout sheets live in: one draft at most, always the latest; approved and paid sheets never change."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.models import PayoutSheet
from desktop.services.errors import RefusedByState


def sheet_states(session: Session) -> dict[str, str]:
    """Every sheet's state by period."""
    return dict(session.execute(select(PayoutSheet.period, PayoutSheet.state)).all())


def latest_closed_period(session: Session) -> str | None:
    """The latest period whose sheet is approved or paid: nothing at or before it can change any more."""
    closed = [period for period, state in sheet_states(session).items() if state != "draft"]
    return max(closed) if closed else None


def sheet_for_update(session: Session, period: str) -> PayoutSheet | None:
    query = select(PayoutSheet).where(PayoutSheet.period == period).with_for_update()
    return session.scalars(query).first()


def refuse_frozen(sheet: PayoutSheet, what: str) -> None:
    if sheet.state == "paid":
        raise RefusedByState(
            f"The payout sheet for {sheet.period} is paid (reference {sheet.paid_reference}); {what} is refused: "
            "a paid sheet never changes. Corrections go on the next sheet as adjustments."
        )
    if sheet.state != "draft":
        raise RefusedByState(
            f"The payout sheet for {sheet.period} is approved; {what} is refused: its numbers are frozen. "
            "Corrections go on the next sheet as adjustments."
        )


def check_can_build(session: Session, period: str) -> PayoutSheet | None:
    """The draft to replace (or None for a first build); RefusedByState when the period cannot be built now."""
    sheet = sheet_for_update(session, period)
    if sheet is not None:
        refuse_frozen(sheet, "building it again")
    states = sheet_states(session)
    later_closed = sorted(p for p, state in states.items() if p > period and state != "draft")
    if later_closed:
        raise RefusedByState(
            f"The sheet for {later_closed[-1]} is already {states[later_closed[-1]]}: a sheet for the earlier month "
            f"{period} can no longer be built (its orders went on later sheets)."
        )
    other_drafts = sorted(p for p, state in states.items() if state == "draft" and p != period)
    earlier = [p for p in other_drafts if p < period]
    if earlier:
        raise RefusedByState(
            f"The sheet for {earlier[-1]} is still a draft: approve it first, so that {period} starts from its "
            "carried balances."
        )
    if other_drafts:
        raise RefusedByState(
            f"There is a draft sheet for {other_drafts[0]}, a later month: delete that draft first, build and approve "
            f"{period}, then build {other_drafts[0]} again."
        )
    return sheet


def check_open_for_adjustments(session: Session, period: str) -> None:
    """Manual lines may go on a period only while no approved or paid sheet covers it."""
    closed = latest_closed_period(session)
    if closed is not None and period <= closed:
        state = sheet_states(session).get(period)
        if state is not None and state != "draft":
            raise RefusedByState(
                f"The payout sheet for {period} is {state}: its numbers are frozen. "
                "Put the bonus or adjustment on the next period instead."
            )
        raise RefusedByState(
            f"The sheet for {closed} is already {sheet_states(session)[closed]}, so {period} is closed: "
            "put the bonus or adjustment on a later period."
        )
