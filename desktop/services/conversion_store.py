"""Writing imported orders in bulk: new orders and their lines, changed orders with their status history."""

from __future__ import annotations

import getpass
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from operator import itemgetter
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Index, Table, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, DropIndex

from desktop.db import placeholder
from desktop.models import Conversion, ConversionLine, ImportBatch
from desktop.services.attribution import IN_CHUNK, Attribution
from desktop.services.conversion_columns import OrderBatch
from desktop.services.conversion_parse import OrderRecord
from desktop.services.row_hash import Line, fingerprint

_NEW_COLUMNS = (
    "id, order_id, type, occurred_at, local_date, status, amount, refunded_amount, net_amount, "
    "affiliate_id, attribution, attribution_detail, coupon_code, referral_code, visitor_id, customer_email, row_hash"
)
_LINE_COLUMNS = "conversion_id, line_no, sku, product, quantity, amount"
_HISTORY_COLUMNS = "conversion_id, from_status, to_status, from_refunded, to_refunded"
CURRENCY_CODE = re.compile(r"[A-Z]{3}")
# Indexes whose keys arrive in random order: for a file bigger than the table they are built once at the end.
DEFERRED_INDEXES = ("ix_conversion_affiliate_date", "ix_conversion_date")
DEFER_FROM_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """What the database already holds for an order id, to compare a re-import with."""

    id: int
    row_hash: str
    status: str
    amount: int  # cents
    refunded: int  # cents
    paid_sheet_id: int | None


def stored_orders(session: Session, order_ids: Sequence[str], *, fingerprints: bool = True) -> dict[str, StoredOrder]:
    """The stored orders among these ids, one query per 900 ids.

    Orders stored without a fingerprint (read the quick way: see row_hash) get it made from what is stored,
    unless `fingerprints` is False (only asking which orders exist).
    """
    table = Conversion.__table__
    columns = (table.c.order_id, table.c.id, table.c.row_hash, table.c.status, table.c.amount,
               table.c.refunded_amount, table.c.paid_sheet_id)  # fmt: skip
    found: dict[str, StoredOrder] = {}
    for first in range(0, len(order_ids), IN_CHUNK):
        chunk = order_ids[first : first + IN_CHUNK]
        for order_id, cid, row_hash, status, amount, refunded, paid in session.execute(
            select(*columns).where(table.c.order_id.in_(chunk))
        ):
            found[order_id] = StoredOrder(cid, row_hash, status, _cents(amount), _cents(refunded), paid)
    unprinted = [order.id for order in found.values() if not order.row_hash]
    if fingerprints and unprinted:
        made = _fingerprints(session, unprinted)
        found = {key: replace(order, row_hash=made[order.id]) if not order.row_hash else order
                 for key, order in found.items()}  # fmt: skip
    return found


def _fingerprints(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """row_hash.fingerprint of stored orders, from their stored fields and lines."""
    c, lc = Conversion.__table__.c, ConversionLine.__table__.c
    made: dict[int, str] = {}
    for first in range(0, len(ids), IN_CHUNK):
        chunk = ids[first : first + IN_CHUNK]
        lines: dict[int, list[Line]] = {cid: [] for cid in chunk}
        for cid, sku, product, quantity, amount in session.execute(
            select(lc.conversion_id, lc.sku, lc.product, lc.quantity, lc.amount)
            .where(lc.conversion_id.in_(chunk))
            .order_by(lc.conversion_id, lc.line_no)
        ):
            lines[cid].append((sku, product, quantity, _cents(amount)))
        for cid, order_id, kind, when, currency, status, amount, refunded, coupon, referral, visitor, email in (
            session.execute(
                select(c.id, c.order_id, c.type, c.occurred_at, c.currency, c.status, c.amount, c.refunded_amount,
                       c.coupon_code, c.referral_code, c.visitor_id, c.customer_email).where(c.id.in_(chunk))
            )
        ):  # fmt: skip
            stamp = when.isoformat(" ", "microseconds")
            made[cid] = fingerprint(order_id, kind, stamp, currency, status, _cents(amount), _cents(refunded),
                                    coupon, referral, visitor, email, lines[cid])  # fmt: skip
    return made


class Executor(Protocol):
    """Where the store's statements go: this process's connection, or a writer process (bulk_writer)."""

    dialect_name: str
    paramstyle: str

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def many_columns(self, sql: str, columns: Sequence[Sequence[Any]]) -> None:
        """many() with the rows given as columns (cheaper to hand over to another process)."""


class ConnectionExecutor:
    """Statements on a connection of this process, in its transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect_name = conn.dialect.name
        self.paramstyle = conn.dialect.paramstyle

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.conn.exec_driver_sql(sql, list(rows))

    def many_columns(self, sql: str, columns: Sequence[Sequence[Any]]) -> None:
        if columns and columns[0]:
            self.conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.exec_driver_sql(sql, tuple(params)).scalar()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.exec_driver_sql(sql, tuple(params))


class ConversionStore:
    """Bulk statements in the caller's write transaction (Money columns hold integer cents), a batch per call.

    They bypass the ORM on purpose: a million-line file would otherwise build a million objects. Times are
    written as SQLAlchemy writes them on SQLite, so ORM queries and SQL comparisons see one format.
    """

    def __init__(self, target: Session | Executor, *, batch_id: int, now: datetime, note: str, currency: str) -> None:
        if not CURRENCY_CODE.fullmatch(currency):
            raise ValueError(f"not a currency code: {currency!r}")
        self.db = ConnectionExecutor(target.connection()) if isinstance(target, Session) else target
        self.sqlite = self.db.dialect_name == "sqlite"
        mark = placeholder(self.db.paramstyle)
        self._now: Any = now.isoformat(" ", "microseconds") if self.sqlite else now
        self._note = note
        self._next_id = 0
        self._deferred: list[Index] = []
        # the fixed values are ours (an id, a validated currency code, our clock), never the file's
        fixed = f"'{currency}', {int(batch_id)}, '{self._now}', '{self._now}'"
        into = f"INSERT INTO conversion ({_NEW_COLUMNS}, currency, batch_id, created_at, updated_at)"
        line_target = f"INSERT INTO conversion_line ({_LINE_COLUMNS})"
        # The quick way's columns (insert_batch) give a missing affiliate as 0 and a missing text as "", which the
        # statement turns into NULL: Python's sqlite3 binds None through its adapter look-up, 4x slower than a
        # string and 13x slower than an int (a million-line import would bind nearly three million of them).
        if self.sqlite:  # ?4 and ?6, ?7 are bound once and used twice: fewer values to hand over per order
            values = "?1, ?2, ?3, ?4, substr(?4, 1, 10), ?5, ?6, ?7, ?6 - ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14"
            self._insert = f"{into} VALUES ({values}, ?15, {fixed})"
            unprinted = ("?1, ?2, ?3, ?4, substr(?4, 1, 10), ?5, ?6, ?7, ?6 - ?7, NULLIF(?8, 0), ?9, ?10, "
                         "NULLIF(?11, ''), NULLIF(?12, ''), NULLIF(?13, ''), NULLIF(?14, '')")  # fmt: skip
        else:
            self._insert = f"{into} VALUES ({', '.join([mark] * 17)}, {fixed})"
            unprinted = ", ".join([*[mark] * 9, f"NULLIF({mark}, 0)", mark, mark, *[f"NULLIF({mark}, '')"] * 4])
        self._insert_unprinted = f"{into} VALUES ({unprinted}, '', {fixed})"
        self._insert_line = f"{line_target} VALUES ({', '.join([mark] * 6)})"
        blank = f"NULLIF({mark}, '')"
        self._insert_blank_line = f"{line_target} VALUES ({mark}, {mark}, {blank}, {blank}, {mark}, {mark})"
        self._delete_lines = f"DELETE FROM conversion_line WHERE conversion_id = {mark}"
        sets = ", ".join(f"{name.strip()} = {mark}" for name in _NEW_COLUMNS.split(",")[2:])
        self._update = (
            f"UPDATE conversion SET {sets}, currency = '{currency}', batch_id = {int(batch_id)}, "
            f"updated_at = {mark} WHERE id = {mark}"
        )
        self._update_paid = (
            f"UPDATE conversion SET status = {mark}, refunded_amount = {mark}, net_amount = {mark}, row_hash = {mark}, "
            f"batch_id = {int(batch_id)}, updated_at = {mark} WHERE id = {mark}"
        )
        self._history = (
            f"INSERT INTO conversion_status_change ({_HISTORY_COLUMNS}, changed_at, batch_id, note) "
            f"VALUES ({', '.join([mark] * 6)}, {int(batch_id)}, {mark})"
        )

    def defer_indexes(self, expected_rows: int) -> None:
        """Drop the random-order indexes for a big file into a smaller table; finish() builds them again.

        Inside the transaction: a failed or cancelled import gets them back with everything else.
        """
        if not self.sqlite or expected_rows < DEFER_FROM_ROWS:
            return
        stored = self.db.scalar("SELECT COUNT(*) FROM conversion") or 0
        if stored > expected_rows:
            return
        table = Conversion.__table__
        assert isinstance(table, Table)
        for index in table.indexes:
            if index.name in DEFERRED_INDEXES:
                self.db.execute(str(DropIndex(index).compile(dialect=_SQLITE)))
                self._deferred.append(index)

    def insert(self, records: Sequence[OrderRecord]) -> None:
        if not records:
            return
        ids = self._reserve_ids(len(records))
        lines: list[tuple[Any, ...]] = []
        rows: list[tuple[Any, ...]]
        if self.sqlite:
            rows = [(cid, r.order_id, r.type, r.stamp, r.status, r.amount, r.refunded, r.affiliate_id, r.attribution,
                     r.detail, r.coupon, r.referral, r.visitor, r.email, r.row_hash)
                    for cid, r in zip(ids, records, strict=True)]  # fmt: skip
        else:
            rows = [(cid, r.order_id, r.type, r.occurred_at, r.occurred_at.date(), r.status, r.amount, r.refunded,
                     r.amount - r.refunded, r.affiliate_id, r.attribution, r.detail, r.coupon, r.referral, r.visitor,
                     r.email, r.row_hash) for cid, r in zip(ids, records, strict=True)]  # fmt: skip
        for cid, r in zip(ids, records, strict=True):
            for number, (sku, product, quantity, cents) in enumerate(r.lines, 1):
                lines.append((cid, number, sku, product, quantity, cents))
        self._run(self._insert, rows)
        self._run(self._insert_line, lines)

    def insert_batch(self, batch: OrderBatch, found: Sequence[Attribution]) -> None:
        """insert() for orders read the quick way, a column at a time; `found` is each order's attribution.

        They are stored without a fingerprint (row_hash ''): stored_orders makes it when a re-import needs it.
        """
        ids = self._reserve_ids(len(batch))
        reasons, details = list(map(_reason, found)), list(map(_detail, found))
        affiliates = [attribution[1] or 0 for attribution in found]  # 0: none (see __init__)
        b = batch
        if self.sqlite:
            columns: list[Sequence[Any]] = [ids, b.order_ids, b.kinds, b.stamps, b.statuses, b.amounts, b.refunded,
                                            affiliates, reasons, details, b.coupons, b.referrals, b.visitors,
                                            b.emails]  # fmt: skip
        else:
            columns = [ids, b.order_ids, b.kinds, b.whens, [when.date() for when in b.whens], b.statuses, b.amounts,
                       b.refunded, list(map(int.__sub__, b.amounts, b.refunded)), affiliates, reasons, details,
                       b.coupons, b.referrals, b.visitors, b.emails]  # fmt: skip
        self.db.many_columns(self._insert_unprinted, columns)
        conversion_ids = list(map(ids.__getitem__, b.line_order))
        line_columns: list[Sequence[Any]] = [conversion_ids, b.line_no, b.skus, b.products, b.quantities, b.cents]
        self.db.many_columns(self._insert_blank_line, line_columns)

    def update(self, changes: Sequence[tuple[StoredOrder, OrderRecord]]) -> int:
        """Apply re-imported orders; those on an approved or paid sheet take only their status and refund. History
        rows made."""
        full: list[tuple[Any, ...]] = []
        paid: list[tuple[Any, ...]] = []
        history: list[tuple[Any, ...]] = []
        lines: list[tuple[Any, ...]] = []
        now = self._now
        for old, r in changes:
            if old.paid_sheet_id is None:
                stamp: Any = r.stamp if self.sqlite else r.occurred_at
                day: Any = r.stamp[:10] if self.sqlite else r.occurred_at.date()
                full.append((r.type, stamp, day, r.status, r.amount, r.refunded, r.amount - r.refunded, r.affiliate_id,
                             r.attribution, r.detail, r.coupon, r.referral, r.visitor, r.email, r.row_hash, now,
                             old.id))  # fmt: skip
                lines.extend(
                    (old.id, number, sku, product, quantity, cents)
                    for number, (sku, product, quantity, cents) in enumerate(r.lines, 1)
                )
                note = self._note
            else:
                paid.append((r.status, r.refunded, old.amount - r.refunded, r.row_hash, now, old.id))
                note = f"{self._note}; on an approved or paid payout sheet, so only its status and refund changed"
            if (old.status, old.refunded) != (r.status, r.refunded):
                history.append((old.id, old.status, r.status, old.refunded, r.refunded, now, note))
        self._run(self._delete_lines, [(row[-1],) for row in full])
        self._run(self._update, full)
        self._run(self._insert_line, lines)
        self._run(self._update_paid, paid)
        self._run(self._history, history)
        return len(history)

    def finish(self) -> None:
        """Build the deferred indexes."""
        for index in self._deferred:
            self.db.execute(str(CreateIndex(index).compile(dialect=_SQLITE)))
        self._deferred = []

    def _run(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.db.many(sql, rows)

    def _reserve_ids(self, count: int) -> list[int]:
        if self.sqlite:
            if not self._next_id:  # the write lock is held, so nobody else takes ids meanwhile
                top = self.db.scalar("SELECT COALESCE(MAX(id), 0) FROM conversion")
                self._next_id = (top or 0) + 1
            first, self._next_id = self._next_id, self._next_id + count
            return list(range(first, first + count))
        sql = "SELECT nextval(pg_get_serial_sequence('conversion', 'id')) FROM generate_series(1, %s)"
        assert isinstance(self.db, ConnectionExecutor)  # the writer process is for SQLite only
        return [row[0] for row in self.db.conn.exec_driver_sql(sql, (count,))]


_SQLITE = sqlite.dialect()
_reason = itemgetter(0)
_detail = itemgetter(2)


def start_batch(session: Session, kind: str, file: str, preset: str, now: datetime) -> ImportBatch:
    """The import's batch row, counted at the end; its id marks every row the import writes."""
    batch = ImportBatch(kind=kind, file_name=file[:500], preset=preset, imported_at=now, imported_by=_user(),
                        rows=0, new=0, updated=0, unchanged=0)  # fmt: skip
    session.add(batch)
    session.flush()
    return batch


def start_batch_in(db: Executor, kind: str, file: str, preset: str, now: datetime) -> int:
    """start_batch through an executor (this process's transaction, or a writer process's): the batch's id."""
    mark = placeholder(db.paramstyle)
    when: Any = now.isoformat(" ", "microseconds") if db.dialect_name == "sqlite" else now
    sql = ("INSERT INTO import_batch (kind, file_name, preset, imported_at, imported_by, rows, new, updated, "
           f"unchanged) VALUES ({', '.join([mark] * 5)}, 0, 0, 0, 0) RETURNING id")  # fmt: skip
    return int(db.scalar(sql, (kind, file[:500], preset, when, _user())))


def count_batch_in(db: Executor, batch_id: int, preset: str, rows: int, new: int, updated: int, unchanged: int) -> None:
    mark = placeholder(db.paramstyle)
    sets = ", ".join(f"{name} = {mark}" for name in ("preset", "rows", "new", "updated", "unchanged"))
    values = (preset, rows, new, updated, unchanged, batch_id)
    db.execute(f"UPDATE import_batch SET {sets} WHERE id = {mark}", values)



def local_now(timezone: str) -> datetime:
    """The program's wall time, to the second (how the database keeps times)."""
    return datetime.now(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)


def _user() -> str:
    try:
        return (getpass.getuser() or "manager")[:100]
    except Exception:  # no login name on this computer (a service account without a passwd entry)
        return "manager"


def _cents(value: Any) -> int:
    """Cents of a Money value read through Core (a Decimal)."""
    return int(value * 100)
