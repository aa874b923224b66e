"""A sheet's life: approve (numbers frozen), mark paid, delete a draft; manual bonuses and adjustments."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import Adjustment, Affiliate, CommissionLine, Conversion, PayoutLine, PayoutSheet
from desktop.money import MoneyError, parse_money
from desktop.services.affiliates import current_user
from desktop.services.errors import BadInput, RefusedByState
from desktop.services.payout_build import Progress, rebuild
from desktop.services.payout_guards import check_open_for_adjustments, refuse_frozen, sheet_for_update
from desktop.services.payout_queries import freeze_payees, sheet_info
from desktop.services.payout_types import MANUAL_KINDS, SheetInfo, check_period, period_start
from desktop.services.plans import freeze_versions_in

REFERENCE_MAX = 200
REASON_MAX = 2000
AMOUNT_LIMIT = Decimal("10000000.00")


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _draft(session: Session, period: str, what: str) -> PayoutSheet:
    sheet = sheet_for_update(session, period)
    if sheet is None:
        raise RefusedByState(f"There is no payout sheet for {period} yet: build it first.")
    refuse_frozen(sheet, what)
    return sheet


def approve_sheet(db: Database, period: str, progress: Progress | None = None) -> SheetInfo:
    """Freeze a draft: its orders are marked paid by it and its plan versions frozen; its numbers never change again
    (whom it pays is frozen when it is marked paid).

    The draft is computed again first (same as-of date); when anything behind it changed since it was built, the
    approval is refused and the draft stays as it was: build it again and review the changes.
    """
    period = check_period(period)
    with db.write() as session:
        sheet = _draft(session, period, "approving it again")
        record = json.loads(sheet.settings_json or "{}")
        as_of = date.fromisoformat(record["as_of"])
        built = rebuild(session, sheet, period, as_of, progress)
        if built.digest != record.get("digest"):
            raise RefusedByState(
                f"The data behind the {period} sheet changed since it was built at {sheet.built_at:%Y-%m-%d %H:%M} "
                "(orders, adjustments, plans, holds or settings): build it again, review what changed, then approve."
            )
        on_sheet = select(CommissionLine.conversion_id).where(CommissionLine.sheet_id == sheet.id)
        session.execute(
            update(Conversion).where(Conversion.id.in_(on_sheet)).values(paid_sheet_id=sheet.id),
            execution_options={"synchronize_session": False},
        )
        versions = session.scalars(
            select(PayoutLine.plan_version_id)
            .where(PayoutLine.sheet_id == sheet.id, PayoutLine.plan_version_id.is_not(None))
            .distinct()
        )
        freeze_versions_in(session, [v for v in versions if v is not None])
        sheet.state = "approved"
        sheet.approved_at = _now()
        sheet.approved_by = current_user()
    return sheet_info(db, period)


def earliest_payment_day(period: str, as_of: date | None, today: date | None = None) -> date:
    """The first day a sheet can have been paid on: the day it counted its orders up to (never after today).

    Not the approval day: a sheet paid by PayPal on the 5th may be approved and marked paid in the program on the
    10th (the demo's past months are approved today and paid back then). Before its orders were counted, though,
    nobody knew what to pay. A sheet without that day falls back to its month's first day.
    """
    return min(as_of or period_start(period), today or date.today())


def mark_paid(db: Database, period: str, reference: str, paid_on: date | None = None) -> SheetInfo:
    """Record the payment of an approved sheet: the payment's reference and date (from the day its orders were
    counted up to until today)."""
    period = check_period(period)
    reference = (reference or "").strip()
    paid_on = paid_on or date.today()
    problems = []
    if not reference:
        problems.append("Give the payment's reference (the PayPal batch id or the bank transfer's reference).")
    elif len(reference) > REFERENCE_MAX:
        problems.append(f"The reference has at most {REFERENCE_MAX} characters.")
    if paid_on > date.today():
        problems.append(f"The payment date {paid_on.isoformat()} is in the future.")
    if problems:
        raise BadInput(problems)
    with db.write() as session:
        sheet = sheet_for_update(session, period)
        if sheet is None:
            raise RefusedByState(f"There is no payout sheet for {period} yet: build it first.")
        if sheet.state == "draft":
            raise RefusedByState(f"The sheet for {period} is a draft: approve it before marking it paid.")
        if sheet.state == "paid":
            raise RefusedByState(
                f"The sheet for {period} was already marked paid on {sheet.paid_at:%Y-%m-%d} "
                f"(reference {sheet.paid_reference}); a paid sheet never changes."
            )
        as_of = json.loads(sheet.settings_json or "{}").get("as_of")
        earliest = earliest_payment_day(period, date.fromisoformat(as_of) if as_of else None)
        if paid_on < earliest:
            raise BadInput(
                f"The payment date {paid_on.isoformat()} is before {earliest.isoformat()}, the day the {period} "
                "sheet counted its orders up to: it cannot have been paid earlier."
            )
        # Whom it paid, kept as they were (a later change to the affiliate must not rewrite who was paid). Not at
        # approval: a payee email missing or mistyped then could never be put right for the PayPal file.
        freeze_payees(session, sheet.id)
        sheet.state = "paid"
        sheet.paid_reference = reference
        sheet.paid_at = datetime.combine(paid_on, time())
    return sheet_info(db, period)


def delete_draft(db: Database, period: str) -> None:
    """Throw a draft away (its refund adjustments go with it; manual ones stay for the next build)."""
    period = check_period(period)
    with db.write() as session:
        sheet = _draft(session, period, "deleting it")
        session.execute(delete(CommissionLine).where(CommissionLine.sheet_id == sheet.id))
        session.execute(delete(PayoutLine).where(PayoutLine.sheet_id == sheet.id))
        session.execute(
            delete(Adjustment).where(
                Adjustment.period == period, Adjustment.kind == "refund", Adjustment.conversion_id.is_not(None)
            )
        )
        session.delete(sheet)


def add_adjustment(db: Database, period: str, affiliate_id: int, kind: str, amount: Decimal | str, reason: str) -> int:
    """A manual bonus or adjustment with its reason, on a period not yet approved; its id.

    It shows on the period's sheet once the draft is built again.
    """
    period = check_period(period)
    problems = []
    if kind not in MANUAL_KINDS:
        problems.append(f"The kind is bonus or adjustment, not {kind!r}.")
    try:
        value = parse_money(amount)
    except MoneyError as exc:
        problems.append(str(exc))
        value = Decimal(0)
    if value == 0 and not problems:
        problems.append("The amount must not be 0.")
    elif abs(value) >= AMOUNT_LIMIT:
        problems.append("The amount is too large.")
    elif kind == "bonus" and value < 0:
        problems.append("A bonus is positive; take money back with an adjustment.")
    reason = (reason or "").strip()
    if not reason:
        problems.append("Give a reason: it is shown on the sheet and in the exports.")
    elif len(reason) > REASON_MAX:
        problems.append(f"The reason has at most {REASON_MAX} characters.")
    if problems:
        raise BadInput(problems)
    with db.write() as session:
        if session.get(Affiliate, affiliate_id) is None:
            raise BadInput(f"There is no affiliate #{affiliate_id}.")
        check_open_for_adjustments(session, period)
        adjustment = Adjustment(
            affiliate_id=affiliate_id,
            period=period,
            kind=kind,
            amount=value,
            reason=reason,
            conversion_id=None,
            created_at=_now(),
            created_by=current_user(),
        )
        session.add(adjustment)
        session.flush()
        return adjustment.id


def remove_adjustment(db: Database, adjustment_id: int) -> None:
    """Remove a manual bonus or adjustment from a period that is still open."""
    with db.write() as session:
        adjustment = session.get(Adjustment, adjustment_id)
        if adjustment is None:
            return
        check_open_for_adjustments(session, adjustment.period)
        if adjustment.kind not in MANUAL_KINDS:
            source = "a target that was met" if adjustment.kind == "target_bonus" else "an order refunded after payment"
            raise RefusedByState(
                f"This {adjustment.kind.replace('_', ' ')} comes from {source}; it is not removed by hand."
            )
        session.delete(adjustment)
