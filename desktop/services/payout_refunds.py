"""Refunds after payment: orders on an approved or paid sheet that lost commission become negative adjustments."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from sqlalchemy import BigInteger, and_, func, or_, select, tuple_, type_coerce
from sqlalchemy.orm import Session

from desktop.models import Adjustment, CommissionLine, Conversion, PayoutLine, PayoutSheet
from desktop.money import from_cents

CHUNK = 500
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RefundAdjustment:
    affiliate_id: int
    conversion_id: int
    amount: Decimal  # negative when commission is taken back, positive when a refund was reversed
    reason: str


def cents(column: Any) -> Any:
    """The column's raw integer cents (sums and comparisons without the Money type's conversion)."""
    return type_coerce(column, BigInteger)


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


@dataclass(frozen=True, slots=True)
class _Paid:
    conversion_id: int
    order_id: str
    status: str
    net: int  # cents now
    sheet_id: int
    affiliate_id: int
    paid_net: int  # cents of the lines when the sheet paid them
    paid_commission: int  # cents, before the cap


def _changed_paid_orders(session: Session) -> list[_Paid]:
    """Orders on approved or paid sheets that are no longer approved, or were refunded in part."""
    c = Conversion
    rows = session.execute(
        select(c.id, c.order_id, c.status, cents(c.net_amount), c.paid_sheet_id).where(
            c.paid_sheet_id.is_not(None), or_(c.status != "approved", cents(c.refunded_amount) > 0)
        )
    ).all()
    if not rows:
        return []
    found: list[_Paid] = []
    line = CommissionLine
    for part in chunks(rows):
        by_id = {row[0]: row for row in part}
        query = (
            select(
                line.conversion_id,
                line.affiliate_id,
                func.sum(cents(line.amount)),
                func.sum(cents(line.commission)),
            )
            .join(Conversion, and_(Conversion.id == line.conversion_id, Conversion.paid_sheet_id == line.sheet_id))
            .where(line.conversion_id.in_(list(by_id)))
            .group_by(line.conversion_id, line.affiliate_id)
        )
        for conversion_id, affiliate_id, paid_net, paid_commission in session.execute(query):
            cid, order_id, status, net, sheet_id = by_id[conversion_id]
            found.append(
                _Paid(cid, order_id, status, int(net), sheet_id, affiliate_id, int(paid_net), int(paid_commission))
            )
    found.sort(key=lambda paid: paid.conversion_id)
    return found


def _cap_shares(session: Session, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, int]]:
    """(sheet, affiliate) -> (commission, gross) in cents: the share of the gross the cap let through."""
    wanted = sorted(set(pairs))
    shares: dict[tuple[int, int], tuple[int, int]] = {}
    line = PayoutLine
    for part in chunks(wanted):
        query = select(line.sheet_id, line.affiliate_id, cents(line.commission), cents(line.over_cap)).where(
            tuple_(line.sheet_id, line.affiliate_id).in_(list(part))
        )
        for sheet_id, affiliate_id, commission, over_cap in session.execute(query):
            shares[(sheet_id, affiliate_id)] = (int(commission), int(commission) + int(over_cap))
    return shares


def _already_adjusted(session: Session, conversion_ids: Sequence[int], period: str) -> dict[int, tuple[int, int]]:
    """Refund adjustments made before for each order (on earlier sheets): (cents in all, id of the first)."""
    done: dict[int, tuple[int, int]] = {}
    for part in chunks(conversion_ids):
        query = (
            select(Adjustment.conversion_id, func.sum(cents(Adjustment.amount)), func.min(Adjustment.id))
            .where(Adjustment.conversion_id.in_(list(part)), Adjustment.kind == "refund", Adjustment.period != period)
            .group_by(Adjustment.conversion_id)
        )
        done.update((cid, (int(total), first)) for cid, total, first in session.execute(query) if cid is not None)
    return done


def _periods(session: Session, sheet_ids: Iterable[int]) -> dict[int, str]:
    query = select(PayoutSheet.id, PayoutSheet.period).where(PayoutSheet.id.in_(sorted(set(sheet_ids))))
    return dict(session.execute(query).all())


def _earns_now(p: _Paid) -> int:
    """The order's commission as it stands now, in cents (before any cap)."""
    if p.status != "approved":
        return 0
    if p.paid_net > 0 and p.net < p.paid_net:
        share = Decimal(p.paid_commission) * Decimal(max(p.net, 0)) / Decimal(p.paid_net)
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return p.paid_commission


def refund_adjustments(session: Session, period: str) -> list[RefundAdjustment]:
    """What the sheet of `period` must take back (or give back) for orders paid on earlier sheets.

    An order earns now what its lines earned when paid, in proportion to what is left of its amount (nothing when
    it is refunded, rejected or pending again). Per affiliate and paid sheet, the orders are taken in the order
    their changes were first recorded: each one's adjustment is how much its change moves the month's commission,
    the cap of that month included (a refund the cap had already cut costs nothing, and is recorded at 0.00).
    Earlier refund adjustments are deducted, so each change is taken back once.
    """
    paid = _changed_paid_orders(session)
    if not paid:
        return []
    shares = _cap_shares(session, ((p.sheet_id, p.affiliate_id) for p in paid))
    done = _already_adjusted(session, [p.conversion_id for p in paid], period)
    periods = _periods(session, (p.sheet_id for p in paid))
    groups: dict[tuple[int, int], list[_Paid]] = defaultdict(list)
    for p in paid:
        groups[(p.sheet_id, p.affiliate_id)].append(p)
    made: list[RefundAdjustment] = []
    for key in sorted(groups):
        commission, gross = shares.get(key, (0, 0))
        capped = gross > commission  # the cap cut that month: it stays the most the month can pay
        orders = sorted(groups[key], key=lambda p: (0, done[p.conversion_id][1]) if p.conversion_id in done
                        else (1, p.conversion_id))  # fmt: skip
        before = commission
        for p in orders:
            loss = p.paid_commission - _earns_now(p)
            gross -= loss
            total = min(commission, gross) if capped else gross
            target, before = total - before, total
            recorded = done.get(p.conversion_id)
            if recorded is None and loss == 0:
                continue
            change = target - (recorded[0] if recorded else 0)
            if recorded is not None and change == 0:
                continue
            reason = _reason(p, periods[p.sheet_id], from_cents(change), from_cents(loss))
            made.append(RefundAdjustment(p.affiliate_id, p.conversion_id, from_cents(change), reason))
    return made


def _reason(p: _Paid, paid_period: str, change: Decimal, loss: Decimal) -> str:
    where = f"paid on the {paid_period} sheet"
    if change > 0:
        return f"Order {p.order_id} ({where}): refund reversed, commission given back"
    if p.status != "approved":
        what = f"Order {p.order_id} ({where}) is now {p.status}"
    else:
        refunded = from_cents(p.paid_net - max(p.net, 0))
        what = f"Order {p.order_id} ({where}): {refunded:,.2f} of {from_cents(p.paid_net):,.2f} refunded after payment"
    if change == 0:
        return f"{what}: nothing to take back, the cap had cut that month by more than its {loss:,.2f}"
    if change != -loss:
        return f"{what}: its commission of {loss:,.2f} taken back as far as the cap had paid it"
    return f"{what}: its commission taken back"


def insert_refund_adjustments(
    session: Session, period: str, adjustments: list[RefundAdjustment], now: datetime, user: str
) -> None:
    for made in adjustments:
        session.add(
            Adjustment(
                affiliate_id=made.affiliate_id,
                period=period,
                kind="refund",
                amount=made.amount,
                reason=made.reason,
                conversion_id=made.conversion_id,
                created_at=now,
                created_by=user,
            )
        )
    session.flush()
