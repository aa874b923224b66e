"""The orders a payout sheet takes, streamed one affiliate at a time, and its commission lines written in bulk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from desktop.db import placeholder
from desktop.models import Conversion, ConversionLine
from desktop.money import from_cents, spread, to_cents
from desktop.services.commission_engine import OrderLine
from desktop.services.payout_refunds import cents
from desktop.services.payout_types import period_end

INSERT_BATCH = 5000
_LINE_COLUMNS = "sheet_id, affiliate_id, conversion_id, line_no, amount, commission, rule, trace"


@dataclass
class AffiliateOrders:
    """One affiliate's orders as they stream in."""

    affiliate_id: int
    lines: list[OrderLine] = field(default_factory=list)
    conversions: dict[str, int] = field(default_factory=dict)  # order_id -> conversion id


class LineWriter:
    """Commission lines go out in executemany batches of raw cents, while the order query is still streaming."""

    def __init__(self, session: Session, sheet_id: int) -> None:
        self.conn = session.connection()
        mark = placeholder(self.conn.dialect.paramstyle)
        self.sql = f"INSERT INTO commission_line ({_LINE_COLUMNS}) VALUES ({', '.join([mark] * 8)})"
        self.sheet_id = sheet_id
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0

    def add(self, affiliate_id: int, conversion_id: int, line_no: int, amount: int, commission: int,
            rule: str, trace: str) -> None:  # fmt: skip
        self.rows.append((self.sheet_id, affiliate_id, conversion_id, line_no, amount, commission, rule[:200], trace))
        if len(self.rows) >= INSERT_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.conn.exec_driver_sql(self.sql, self.rows)
            self.count += len(self.rows)
            self.rows = []


PAYOUT_COLUMNS = (
    "sheet_id", "affiliate_id", "plan_version_id", "sales", "sales_revenue", "leads", "signups", "commission",
    "over_cap", "bonuses", "adjustments", "carried_in", "payable", "carried_out", "held",
)  # fmt: skip


def insert_payout_lines(session: Session, rows: list[dict[str, Any]]) -> None:
    """The sheet's rows in one executemany of raw cents (ten thousand ORM inserts would take a while)."""
    if not rows:
        return
    conn = session.connection()
    mark = placeholder(conn.dialect.paramstyle)
    sql = f"INSERT INTO payout_line ({', '.join(PAYOUT_COLUMNS)}) VALUES ({', '.join([mark] * len(PAYOUT_COLUMNS))})"
    values = [tuple(to_cents(v) if isinstance(v, Decimal) else v for v in map(row.get, PAYOUT_COLUMNS)) for row in rows]
    conn.exec_driver_sql(sql, values)


def order_lines(session: Session, last_day: date, currency: str) -> Iterator[AffiliateOrders]:
    """The approved, attributed, unpaid orders up to `last_day`, one affiliate at a time (one streaming query)."""
    c, line = Conversion, ConversionLine
    query = (
        select(
            c.id,
            c.affiliate_id,
            c.order_id,
            c.type,
            c.occurred_at,
            cents(c.net_amount),
            line.line_no,
            line.sku,
            line.quantity,
            cents(line.amount),
        )  # fmt: skip
        .select_from(c)
        .outerjoin(line, line.conversion_id == c.id)
        .where(
            c.status == "approved",
            c.affiliate_id.is_not(None),
            c.paid_sheet_id.is_(None),
            c.local_date <= last_day,
            c.currency == currency,
        )
        .order_by(c.affiliate_id, c.id, line.line_no)
        .execution_options(stream_results=True, yield_per=INSERT_BATCH)
    )
    current: AffiliateOrders | None = None
    order: list[Any] = []

    def finish_order() -> None:
        assert current is not None
        cid, _, order_id, kind, occurred_at, net = order[0][:6]
        amounts = [int(row[9] or 0) for row in order] if order[0][6] is not None else [int(net)]
        for row, share in zip(order, spread(int(net), amounts), strict=True):
            number = row[6] if row[6] is not None else 1
            quantity = row[8] if row[8] is not None else 1
            current.lines.append(OrderLine(order_id, number, occurred_at, kind, from_cents(share), quantity, row[7]))
        current.conversions[order_id] = cid

    for row in session.connection().execute(query):
        if order and row[0] != order[0][0]:
            finish_order()
            order = []
        if current is None or row[1] != current.affiliate_id:
            if current is not None:
                yield current
            current = AffiliateOrders(row[1])
        order.append(row)
    if order:
        finish_order()
    if current is not None:
        yield current


def count_orders(session: Session, last_day: date, currency: str, period: str) -> tuple[int, int, int]:
    """(orders the sheet takes, orders of the period that wait, orders in another currency): one aggregation."""
    c = Conversion

    def count(*conditions: Any) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0))

    query = select(
        count(c.local_date <= last_day, c.currency == currency),
        count(c.local_date > last_day),
        count(c.local_date <= last_day, c.currency != currency),
    ).where(
        c.status == "approved",
        c.affiliate_id.is_not(None),
        c.paid_sheet_id.is_(None),
        c.local_date <= period_end(period),
    )
    taking, waiting, foreign = session.execute(query).one()
    return int(taking or 0), int(waiting or 0), int(foreign or 0)
