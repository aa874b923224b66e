"""Test data for the payout tests: program, plans, affiliates and orders written straight into the tables.

Orders go in with Core inserts (not through the order import), exactly as the import leaves them: an order row with
its amount, refund and net amount, and one row per order line.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import insert, select, update

from desktop.db import Database
from desktop.models import (
    Adjustment,
    Affiliate,
    Conversion,
    ConversionLine,
    PayoutHold,
    RateReward,
)
from desktop.money import parse_money
from desktop.services.plans import PlanInput, TierInput, create_plan
from desktop.services.program_settings import ProgramSettings, save_program

D = Decimal
STAMP = datetime(2026, 1, 1, 9, 0)


def setup_program(db: Database, *, threshold: str = "50.00", hold_days: int = 0, currency: str = "USD") -> None:
    save_program(
        db,
        ProgramSettings(
            name="Acme Outdoor",
            currency=currency,
            timezone="UTC",
            payout_threshold=D(threshold),
            hold_days=hold_days,
        ),
    )


def standard_plan(db: Database, *, cap: str | None = None, tiers: tuple[tuple[str, str], ...] = ()) -> int:
    """10 % of sales, lead 2.00, optional revenue tiers ("min", "rate %") and cap."""
    return create_plan(
        db,
        PlanInput(
            name="Standard",
            sale_rate=D("0.10"),
            lead_amount=D("2.00"),
            cap=D(cap) if cap else None,
            tiers=tuple(TierInput(D(low), sale_rate=D(rate) / 100) for low, rate in tiers),
        ),
    )


def add_affiliate(
    db: Database,
    code: str,
    name: str | None = None,
    *,
    plan_id: int | None = None,
    email: str | None = "",
    payee_email: str | None = None,
) -> int:
    with db.write() as session:
        session.execute(
            insert(Affiliate),
            {
                "code": code,
                "name": name or code.title(),
                "email": f"{code.lower()}@example.com" if email == "" else email,
                "payee_email": payee_email,
                "status": "active",
                "plan_id": plan_id,
                "total_followers": 0,
                "created_at": STAMP,
                "updated_at": STAMP,
            },
        )
        return int(session.scalar(select(Affiliate.id).where(Affiliate.code == code)) or 0)


def add_order(
    db: Database,
    affiliate_id: int | None,
    order_id: str,
    day: date,
    lines: list[tuple[str | None, str]] | list[tuple[str | None, str, int]],
    *,
    kind: str = "sale",
    status: str = "approved",
    refunded: str = "0.00",
    currency: str = "USD",
    at: time = time(12, 0),
) -> int:
    """An order with its lines ((sku, amount) or (sku, amount, quantity)); returns the conversion id."""
    amounts = [parse_money(line[1]) for line in lines]
    total = sum(amounts, D("0.00"))
    refund = parse_money(refunded)
    when = datetime.combine(day, at)
    with db.write() as session:
        session.execute(
            insert(Conversion),
            {
                "order_id": order_id,
                "type": kind,
                "occurred_at": when,
                "local_date": day,
                "currency": currency,
                "status": status,
                "amount": total,
                "refunded_amount": refund,
                "net_amount": total - refund,
                "affiliate_id": affiliate_id,
                "attribution": "referral" if affiliate_id else "organic",
                "row_hash": hashlib.sha256(order_id.encode()).hexdigest(),
                "created_at": when,
                "updated_at": when,
            },
        )
        cid = int(session.scalar(select(Conversion.id).where(Conversion.order_id == order_id)) or 0)
        session.execute(
            insert(ConversionLine),
            [
                {
                    "conversion_id": cid,
                    "line_no": number,
                    "sku": line[0],
                    "quantity": line[2] if len(line) > 2 else 1,  # type: ignore[misc]
                    "amount": amount,
                }
                for number, (line, amount) in enumerate(zip(lines, amounts, strict=True), 1)
            ],
        )
    return cid


def change_order(db: Database, order_id: str, *, status: str | None = None, refunded: str | None = None) -> None:
    """What a re-import does to an order: a new status or refund (an order on a paid sheet keeps its lines)."""
    with db.write() as session:
        order = session.scalars(select(Conversion).where(Conversion.order_id == order_id)).one()
        values: dict[str, object] = {"updated_at": datetime.now().replace(microsecond=0)}
        if status is not None:
            values["status"] = status
        if refunded is not None:
            values["refunded_amount"] = parse_money(refunded)
            values["net_amount"] = order.amount - parse_money(refunded)
        session.execute(update(Conversion).where(Conversion.id == order.id).values(**values))


def hold(db: Database, affiliate_id: int, reason: str = "Fraud review") -> int:
    with db.write() as session:
        row = PayoutHold(affiliate_id=affiliate_id, since=STAMP, reason=reason, released_at=None)
        session.add(row)
        session.flush()
        return row.id


def release(db: Database, hold_id: int) -> None:
    with db.write() as session:
        row = session.get(PayoutHold, hold_id)
        assert row is not None
        row.released_at = datetime.now().replace(microsecond=0)
        row.released_by = "tester"


def rate_reward(db: Database, affiliate_id: int, period: str, boost: str) -> None:
    with db.write() as session:
        session.add(RateReward(affiliate_id=affiliate_id, period=period, rate_boost=D(boost), reason="Target met"))


def target_bonus(db: Database, affiliate_id: int, period: str, amount: str) -> None:
    """What the targets engine writes when a target is met."""
    with db.write() as session:
        session.add(
            Adjustment(
                affiliate_id=affiliate_id,
                period=period,
                kind="target_bonus",
                amount=parse_money(amount),
                reason="Target met: revenue 5,000.00",
                conversion_id=None,
                created_at=STAMP,
                created_by="targets",
            )
        )


def test_an_order_is_stored_as_the_import_stores_it(db: Database) -> None:
    setup_program(db)
    anna = add_affiliate(db, "ANNA")
    cid = add_order(db, anna, "#1", date(2026, 1, 5), [("HAT", "30.00"), ("TENT", "70.00", 2)], refunded="10.00")
    with db.read() as session:
        order = session.get(Conversion, cid)
        assert order is not None
        assert (order.amount, order.refunded_amount, order.net_amount) == (D("100.00"), D("10.00"), D("90.00"))
        lines = session.scalars(select(ConversionLine).where(ConversionLine.conversion_id == cid)).all()
        assert [(line.line_no, line.sku, line.quantity, line.amount) for line in lines] == [
            (1, "HAT", 1, D("30.00")),
            (2, "TENT", 2, D("70.00")),
        ]
