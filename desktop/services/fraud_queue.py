"""The fraud review queue: flags with their evidence and orders, dismiss or confirm them, and payout holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import (
    Affiliate,
    Conversion,
    ConversionStatusChange,
    FraudFlag,
    FraudFlagConversion,
    PayoutHold,
)
from desktop.services.affiliates import current_user
from desktop.services.errors import RefusedByState, ValidationFailed
from desktop.services.fraud import FlagSummary, flag_summaries, now_local
from desktop.services.fraud_rules import RULE_LABELS, chunks, plural

ACTIONS = {"reject_orders": "Reject the orders", "hold_payout": "Hold the affiliate's payout"}
REJECTABLE = ("approved", "pending")
REJECT_NOTE = "Rejected after fraud review: {reason}"


@dataclass(frozen=True)
class FlagOrder:
    """An order behind a flag."""

    conversion_id: int
    order_id: str
    occurred_at: datetime
    customer_email: str | None
    amount: Decimal
    net_amount: Decimal
    currency: str
    status: str
    attribution: str
    coupon_code: str | None
    visitor_id: str | None
    on_paid_sheet: bool  # on an approved or paid payout sheet: corrected by adjustment, never rejected here


@dataclass(frozen=True)
class HoldView:
    id: int
    affiliate_id: int
    affiliate_code: str
    affiliate_name: str
    since: datetime
    reason: str
    flag_id: int | None
    released_at: datetime | None
    released_by: str | None

    @property
    def open(self) -> bool:
        return self.released_at is None


@dataclass(frozen=True)
class FlagDetail:
    flag: FlagSummary
    orders: tuple[FlagOrder, ...]
    holds: tuple[HoldView, ...]  # holds made by confirming this flag

    @property
    def rejectable(self) -> int:
        """Orders that "Reject the orders" would change."""
        return sum(1 for o in self.orders if o.status in REJECTABLE and not o.on_paid_sheet)

    @property
    def on_paid_sheets(self) -> int:
        return sum(1 for o in self.orders if o.status in REJECTABLE and o.on_paid_sheet)


@dataclass(frozen=True)
class ConfirmResult:
    action: str
    rejected: int  # orders set to rejected
    left_on_paid_sheets: int  # orders on an approved or paid sheet, left as they are
    hold_id: int | None
    message: str  # what happened, in the user's words


# --- the queue -----------------------------------------------------------------------------------------


def _filters(
    state: str | None, rule: str | None, severity: str | None, affiliate_id: int | None, period: str | None
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    for column, value in ((FraudFlag.state, state), (FraudFlag.rule, rule), (FraudFlag.severity, severity),
                          (FraudFlag.affiliate_id, affiliate_id), (FraudFlag.period, period)):  # fmt: skip
        if value is not None:
            where.append(column == value)
    return where


def list_flags(
    db: Database,
    *,
    state: str | None = "open",
    rule: str | None = None,
    severity: str | None = None,
    affiliate_id: int | None = None,
    period: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[FlagSummary]:
    """Flags matching every filter given (None: any), open first, the worst first."""
    with db.read() as session:
        where = _filters(state, rule, severity, affiliate_id, period)
        return flag_summaries(session, where, limit=limit, offset=offset)


def flag_counts(db: Database) -> dict[str, int]:
    """How many flags are in each state (open, dismissed, confirmed)."""
    with db.read() as session:
        rows = session.execute(select(FraudFlag.state, func.count()).group_by(FraudFlag.state))
        counts = {state: 0 for state in ("open", "dismissed", "confirmed")}
        counts.update({state: int(count) for state, count in rows})
        return counts


def _flag(session: Session, flag_id: int) -> FraudFlag:
    flag = session.get(FraudFlag, flag_id)
    if flag is None:
        raise RefusedByState("This flag no longer exists: a rescan found its evidence gone.")
    return flag


def _orders(session: Session, flag_id: int) -> list[FlagOrder]:
    c = Conversion
    query = (
        select(c.id, c.order_id, c.occurred_at, c.customer_email, c.amount, c.net_amount, c.currency, c.status,
               c.attribution, c.coupon_code, c.visitor_id, c.paid_sheet_id.is_not(None))  # fmt: skip
        .join(FraudFlagConversion, FraudFlagConversion.conversion_id == c.id)
        .where(FraudFlagConversion.flag_id == flag_id)
        .order_by(c.occurred_at, c.id)
    )
    return [
        FlagOrder(cid, order, at, email, amount, net, currency, status, attribution, coupon, visitor, bool(paid))
        for cid, order, at, email, amount, net, currency, status, attribution, coupon, visitor, paid
        in session.execute(query)
    ]


def flag_detail(db: Database, flag_id: int) -> FlagDetail:
    """A flag with the orders behind it and the holds it caused."""
    with db.read() as session:
        _flag(session, flag_id)
        summary = flag_summaries(session, [FraudFlag.id == flag_id])[0]
        holds = _holds(session, [PayoutHold.flag_id == flag_id])
        return FlagDetail(summary, tuple(_orders(session, flag_id)), tuple(holds))


def _resolve(flag: FraudFlag, state: str, reason: str, by: str | None, now: datetime) -> None:
    flag.state, flag.resolution, flag.resolved_at, flag.resolved_by = state, reason, now, (by or current_user())[:100]


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed({"reason": "Write the reason: it is kept with the flag."})
    return reason


def dismiss(db: Database, flag_id: int, reason: str, *, by: str | None = None) -> None:
    """Close a flag as a false alarm; rescans find it again but never reopen it."""
    reason = _reason(reason)
    with db.write() as session:
        flag = _flag(session, flag_id)
        if flag.state != "open":
            raise RefusedByState(f"This flag was already {flag.state}.")
        _resolve(flag, "dismissed", reason, by, now_local(session))


def confirm(db: Database, flag_id: int, action: str, reason: str, *, by: str | None = None) -> ConfirmResult:
    """Confirm a flag and act on it: reject its orders, or hold the affiliate's payout until released."""
    reason = _reason(reason)
    if action not in ACTIONS:
        raise ValidationFailed({"action": f"Choose one of: {', '.join(ACTIONS)}"})
    with db.write() as session:
        flag = _flag(session, flag_id)
        if flag.state != "open":
            raise RefusedByState(f"This flag was already {flag.state}.")
        now, who = now_local(session), (by or current_user())[:100]
        label = RULE_LABELS.get(flag.rule, flag.rule)
        rejected = left = 0
        hold_id = None
        if action == "reject_orders":
            rejected, left = _reject(session, flag_id, reason, now)
            if not rejected and not left:
                raise RefusedByState("This flag has no orders left to reject; hold the payout instead.")
            message = f"{plural(rejected, 'order')} rejected; the reason is in their history."
            if left:
                message += (f" {plural(left, 'order')} on an approved or paid payout sheet stayed as they are: "
                            "correct them with a refund adjustment on the next sheet.")  # fmt: skip
        else:
            if flag.affiliate_id is None:
                raise RefusedByState("This flag is not about one affiliate; there is no payout to hold.")
            hold_id = _hold(session, flag.affiliate_id, f"{label}: {reason}", flag.id, now)
            message = "Payout held: the affiliate stays out of PayPal files and shows as held until released."
        _resolve(flag, "confirmed", reason, who, now)
        flag.action = action
        return ConfirmResult(action, rejected, left, hold_id, message)


def _reject(session: Session, flag_id: int, reason: str, now: datetime) -> tuple[int, int]:
    """Reject the flag's live orders not on an approved or paid sheet, each with a history entry."""
    c = Conversion
    rows = session.execute(
        select(c.id, c.status, c.refunded_amount, c.paid_sheet_id)
        .join(FraudFlagConversion, FraudFlagConversion.conversion_id == c.id)
        .where(FraudFlagConversion.flag_id == flag_id, c.status.in_(REJECTABLE))
    ).all()
    changing = [(cid, status, refunded) for cid, status, refunded, sheet in rows if sheet is None]
    note = REJECT_NOTE.format(reason=reason)
    for part in chunks([cid for cid, _, _ in changing]):
        session.execute(
            update(c).where(c.id.in_(part), c.paid_sheet_id.is_(None)).values(status="rejected", updated_at=now)
        )
    if changing:
        history = [{"conversion_id": cid, "changed_at": now, "from_status": status, "to_status": "rejected",
                    "from_refunded": refunded, "to_refunded": refunded, "note": note}
                   for cid, status, refunded in changing]  # fmt: skip
        session.execute(insert(ConversionStatusChange), history)
    return len(changing), len(rows) - len(changing)


# --- payout holds --------------------------------------------------------------------------------------


def _hold(session: Session, affiliate_id: int, reason: str, flag_id: int | None, now: datetime) -> int:
    hold = PayoutHold(affiliate_id=affiliate_id, since=now, reason=reason, flag_id=flag_id)
    session.add(hold)
    session.flush()
    return hold.id


def hold_payout(db: Database, affiliate_id: int, reason: str) -> int:
    """Hold an affiliate's payout by hand (without a flag); the hold's id."""
    reason = _reason(reason)
    with db.write() as session:
        if session.get(Affiliate, affiliate_id) is None:
            raise RefusedByState("This affiliate no longer exists.")
        return _hold(session, affiliate_id, reason, None, now_local(session))


def release_hold(db: Database, hold_id: int, by: str | None = None) -> None:
    """End a hold: the affiliate's balance is paid with the next sheet built."""
    with db.write() as session:
        hold = session.get(PayoutHold, hold_id)
        if hold is None:
            raise RefusedByState("This hold no longer exists.")
        if hold.released_at is not None:
            raise RefusedByState(f"This hold was already released by {hold.released_by}.")
        hold.released_at, hold.released_by = now_local(session), (by or current_user())[:100]


def _holds(session: Session, where: list[ColumnElement[bool]]) -> list[HoldView]:
    query = (
        select(PayoutHold, Affiliate.code, Affiliate.name)
        .join(Affiliate, Affiliate.id == PayoutHold.affiliate_id)
        .where(*where)
        .order_by(PayoutHold.released_at.is_not(None), PayoutHold.since.desc(), PayoutHold.id.desc())
    )
    return [
        HoldView(h.id, h.affiliate_id, code, name, h.since, h.reason, h.flag_id, h.released_at, h.released_by)
        for h, code, name in session.execute(query)
    ]


def list_holds(db: Database, *, include_released: bool = False, affiliate_id: int | None = None) -> list[HoldView]:
    """Payout holds, open ones first, newest first."""
    where: list[ColumnElement[bool]] = [] if include_released else [PayoutHold.released_at.is_(None)]
    if affiliate_id is not None:
        where.append(PayoutHold.affiliate_id == affiliate_id)
    with db.read() as session:
        return _holds(session, where)


def held_affiliate_ids_in(session: Session) -> frozenset[int]:
    """Affiliates with an open hold, inside the caller's transaction (the payout sheet's build)."""
    return frozenset(session.scalars(select(PayoutHold.affiliate_id).where(PayoutHold.released_at.is_(None))))


def held_affiliate_ids(db: Database) -> frozenset[int]:
    with db.read() as session:
        return held_affiliate_ids_in(session)
