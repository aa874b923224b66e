"""Rows for the fraud, quality and message tests, written straight into the tables (Core inserts)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from desktop.db import Database
from desktop.models import Affiliate, Click, Conversion, DailyClicks, StatusChange
from desktop.services.program_settings import ProgramSettings, save_program

OCT = datetime(2026, 10, 5, 12, 0)


def setup_program(db: Database) -> None:
    save_program(db, ProgramSettings(name="Acme Outdoor Partners", timezone="UTC", currency="USD"))


def add_affiliate(
    db: Database,
    code: str,
    name: str | None = None,
    *,
    email: str | None = None,
    payee_email: str | None = None,
    status: str = "active",
    iban: str | None = None,
    plan_id: int | None = None,
    history: Iterable[tuple[datetime, str]] = (),
) -> int:
    row = {"code": code, "name": name or code.title(), "email": email, "payee_email": payee_email, "status": status,
           "bank_iban": iban, "plan_id": plan_id, "total_followers": 0}  # fmt: skip
    with db.write() as session:
        session.execute(insert(Affiliate), [row])
        affiliate_id = session.scalar(select(Affiliate.id).where(Affiliate.code == code))
        changes = [{"affiliate_id": affiliate_id, "changed_at": at, "to_status": to, "changed_by": "test"}
                   for at, to in history]  # fmt: skip
        if changes:
            session.execute(insert(StatusChange), changes)
    assert affiliate_id is not None
    return affiliate_id


def order(
    order_id: str, affiliate_id: int | None, when: datetime = OCT, amount: str = "50.00", **extra: Any
) -> dict[str, Any]:
    """One order row; `extra` overrides any column (status, customer_email, attribution, refunded_amount…)."""
    refunded = Decimal(extra.pop("refunded_amount", "0.00"))
    row = {
        "order_id": order_id, "type": "sale", "occurred_at": when, "local_date": when.date(), "currency": "USD",
        "status": "approved", "amount": Decimal(amount), "refunded_amount": refunded,
        "net_amount": Decimal(amount) - refunded, "affiliate_id": affiliate_id,
        "attribution": "referral" if affiliate_id else "organic", "coupon_code": None, "visitor_id": None,
        "customer_email": None, "row_hash": hashlib.sha256(order_id.encode()).hexdigest(), "created_at": when,
        "updated_at": when,
    }  # fmt: skip
    row.update(extra)
    return row


def add_orders(db: Database, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the orders; their ids in the same order."""
    with db.write() as session:
        session.execute(insert(Conversion), rows)
        ids = dict(session.execute(select(Conversion.order_id, Conversion.id)).all())
    return [ids[row["order_id"]] for row in rows]


def series(prefix: str, affiliate_id: int, count: int, *, start: datetime = OCT, every: timedelta = timedelta(hours=7),
           **extra: Any) -> list[dict[str, Any]]:  # fmt: skip
    """`count` orders of one affiliate, hours apart, different customers, unless `extra` says otherwise."""
    rows = []
    for n in range(count):
        values = {"customer_email": f"{prefix.lower()}-buyer{n}@example.org", **extra}
        rows.append(order(f"{prefix}-{n:03d}", affiliate_id, start + n * every, **values))
    return rows


def add_clicks(db: Database, affiliate_id: int, times: Iterable[datetime], *, ip: str | None = None,
               visitor: str | None = None, prefix: str = "v") -> None:  # fmt: skip
    rows = [{"clicked_at": at, "local_date": at.date(), "affiliate_id": affiliate_id, "ip": ip,
             "visitor_id": visitor or f"{prefix}{affiliate_id}-{n}"} for n, at in enumerate(times)]  # fmt: skip
    with db.write() as session:
        session.execute(insert(Click), rows)


def add_daily_clicks(db: Database, affiliate_id: int, day: date, clicks: int) -> None:
    with db.write() as session:
        session.execute(insert(DailyClicks), [{"affiliate_id": affiliate_id, "day": day, "clicks": clicks}])
