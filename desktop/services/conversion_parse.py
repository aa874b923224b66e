"""From rows of an order file to checked order records: the generic reader and the rules every preset shares."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from operator import itemgetter
from typing import Protocol

from desktop.models import CONVERSION_STATUSES, CONVERSION_TYPES
from desktop.money import from_cents
from desktop.services.conversion_columns import ColumnFinisher, OrderBatch, Unusual
from desktop.services.conversion_presets import LINE_FIELDS, ORDER_FIELDS
from desktop.services.conversion_values import AmountReader, LocalClock
from desktop.services.row_hash import fingerprint
from desktop.services.tabular import MAX_LISTED_PROBLEMS, Problem, Table

Rows = Iterator[tuple[int, list[str]]]
MAX_LENGTH = {"order_id": 100, "sku": 100, "coupon_code": 64, "affiliate_code": 64, "visitor_id": 100,
              "customer_email": 254}  # fmt: skip
PRODUCT_LENGTH = 300
BLOCK_ROWS = 1024  # rows read (conversion_source) and checked (conversion_columns) together


@dataclass(slots=True)
class OrderRecord:
    """One order as read from a file, amounts in cents, time in the program's zone; attribution filled later."""

    order_id: str
    line: int  # where the order starts in the file
    type: str
    occurred_at: datetime
    stamp: str  # occurred_at as SQLAlchemy writes it on SQLite: "2026-10-03 14:05:00.000000"
    currency: str
    status: str
    amount: int
    refunded: int
    coupon: str | None
    referral: str | None
    visitor: str | None
    email: str | None
    lines: list[tuple[str | None, str | None, int, int]]  # sku, product, quantity, cents
    row_hash: str
    affiliate_id: int | None = None
    attribution: str = "organic"
    detail: str = ""


def make_record(
    order_id: str,
    line: int,
    kind: str,
    when: datetime | tuple[datetime, str],
    currency: str,
    status: str,
    amount: int,
    refunded: int,
    coupon: str | None,
    referral: str | None,
    visitor: str | None,
    email: str | None,
    lines: list[tuple[str | None, str | None, int, int]],
) -> OrderRecord:
    """The record with its fingerprint: equal fingerprints mean that a re-import changes nothing.

    `when` may come with its text as stored on SQLite (LocalClock.local_stamped), which saves formatting it.
    """
    if isinstance(when, tuple):
        when, stamp = when
    else:
        stamp = when.isoformat(" ", "microseconds")
    print_ = fingerprint(order_id, kind, stamp, currency, status, amount, refunded, coupon, referral, visitor, email,
                         lines)  # fmt: skip
    return OrderRecord(order_id, line, kind, when, stamp, currency, status, amount, refunded, coupon, referral,
                       visitor, email, lines, print_)  # fmt: skip


class RowsWithProblems(Protocol):
    problems: list[Problem]
    problem_count: int


class ProblemList:
    """Every problem of a file is counted; the first MAX_LISTED_PROBLEMS are kept with their place."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.problem_count = 0

    def problem(self, line: int | None, column: str | None, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(Problem(self.file, line, column, message))

    def take(self, table: Table | RowsWithProblems) -> None:
        """Add the rows the table reader left out (too many cells)."""
        for problem in table.problems:
            self.problem(problem.line, problem.column, problem.message)
        self.problem_count += table.problem_count - len(table.problems)

    def listed(self) -> list[Problem]:
        """The kept problems in file order, and a last line counting the others."""
        listed = sorted(self.problems, key=lambda p: p.line or 0)
        unlisted = self.problem_count - len(self.problems)
        if unlisted:
            listed.append(Problem(self.file, None, None, f"{unlisted:,} more problems not listed"))
        return listed


class ReadContext(ProblemList):
    """What every order reader needs: where problems go, and how to read amounts, times and the currency."""

    def __init__(self, file: str, amounts: AmountReader, clock: LocalClock, currency: str) -> None:
        super().__init__(file)
        self.amounts = amounts
        self.clock = clock
        self.currency = currency
        self.skipped: dict[str, int] = {}  # why -> rows left out on purpose

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def cents(self, line: int, column: str, text: str) -> int | None:
        """Cents of a cell that must hold a non-negative amount; None (and a problem) when it doesn't."""
        try:
            value = self.amounts.cents(text)
        except ValueError as exc:
            self.problem(line, column, str(exc))
            return None
        if value < 0:
            self.problem(line, column, f"'{text.strip()}' is negative")
            return None
        return value


class OrderChecks:
    """The rules of DESIGN §4/§6 that hold whatever the file's shape; header names are the file's own."""

    def __init__(self, ctx: ReadContext, names: dict[str, str]) -> None:
        self.ctx = ctx
        self.names = names  # our field -> the file's column name, for messages

    def text(self, line: int, key: str, value: str) -> str | None:
        if not value:
            return None
        limit = MAX_LENGTH.get(key)
        if limit is not None and len(value) > limit:
            self.ctx.problem(line, self.names.get(key, key), f"is longer than {limit} characters")
        return value

    def when(self, line: int, text: str, *, naive_is_utc: bool = False) -> datetime | None:
        try:
            return self.ctx.clock.local(text, naive_is_utc=naive_is_utc)
        except ValueError as exc:
            self.ctx.problem(line, self.names.get("occurred_at", "occurred_at"), str(exc))
            return None

    def currency(self, line: int, text: str) -> str:
        code = text.strip().upper() or self.ctx.currency
        if code != self.ctx.currency:
            column = self.names.get("currency", "currency")
            self.ctx.problem(line, column, f"{code} is not the program's currency {self.ctx.currency}")
        return code

    def refund(self, line: int, status: str, amount: int, refunded: int | None) -> int:
        """The refunded part: all of it for a refunded order without an amount; never more than the order."""
        if refunded is None or (status == "refunded" and refunded == 0):
            return amount if status == "refunded" else 0
        if refunded > amount:
            column = self.names.get("refunded_amount", "refunded_amount")
            message = f"the refund {from_cents(refunded)} is more than the order's amount {from_cents(amount)}"
            self.ctx.problem(line, column, message)
        return refunded

    def record(
        self,
        order_id: str,
        line: int,
        when: datetime | None,
        *,
        type: str,
        currency: str,
        status: str,
        amount: int,
        refunded: int,
        coupon: str | None,
        referral: str | None,
        visitor: str | None,
        email: str | None,
        lines: list[tuple[str | None, str | None, int, int]],
    ) -> OrderRecord | None:
        if when is None or self.text(line, "order_id", order_id) is None:
            return None
        return make_record(order_id, line, type, when, currency, status, amount, refunded, coupon, referral,
                           visitor, email, lines)  # fmt: skip


def product_name(text: str) -> str | None:
    text = text.strip()
    return text[:PRODUCT_LENGTH] if text else None


class GenericReader:
    """DESIGN §6 "Conversions CSV": one row per order line, rows sharing order_id (next to each other) one order."""

    preset = "generic"

    def __init__(self, header: Sequence[str], positions: dict[str, int]) -> None:
        self.header = list(header)
        self.positions = positions
        self.names = {key: self.header[index] for key, index in positions.items()}

    def described_columns(self) -> tuple[tuple[str, str], ...]:
        return tuple((self.header[index], key) for key, index in sorted(self.positions.items(), key=lambda i: i[1]))

    def amount_texts(self, cells: list[str]) -> Iterable[str]:
        return [cells[self.positions[key]] for key in ("amount", "refunded_amount") if key in self.positions]

    def date_column(self) -> int | None:
        return self.positions.get("occurred_at")

    def referral_column(self) -> str:
        return self.names.get("affiliate_code", "affiliate_code")

    def orders(self, rows: Rows, ctx: ReadContext) -> Iterator[OrderRecord | OrderBatch]:
        """Orders as their last row is read, a block of rows at a time (the last order waits for the next block).

        A block goes the quick way (conversion_columns: one OrderBatch) unless something in it is unusual; then
        the careful way, an OrderRecord per order.
        """
        finisher = _OrderFinisher(ctx, self.names, self.header, self.positions)
        columns = ColumnFinisher(ctx, self.positions, OrderRecord)
        id_at = self.positions["order_id"]
        seen: set[str] = set()
        held_lines: list[int] = []
        held: list[list[str]] = []
        for lines, cells in _blocks(rows):
            if held:
                lines[:0], cells[:0] = held_lines, held
            if not cells:
                continue
            last = cells[-1][id_at].strip()
            cut = len(cells) - 1
            while cut > 0 and cells[cut - 1][id_at].strip() == last:
                cut -= 1
            held_lines, held = lines[cut:], cells[cut:]
            if cut:
                yield from self._block(lines[:cut], cells[:cut], ctx, finisher, columns, seen)
        if held:
            yield from self._block(held_lines, held, ctx, finisher, columns, seen)

    def _block(
        self,
        lines: list[int],
        cells: list[list[str]],
        ctx: ReadContext,
        finisher: _OrderFinisher,
        columns: ColumnFinisher,
        seen: set[str],
    ) -> Iterable[OrderRecord | OrderBatch]:
        try:
            return [columns.finish(lines, cells, seen)]
        except Unusual:
            return self._careful(list(zip(lines, cells, strict=True)), ctx, finisher, seen)

    def _careful(
        self, block: list[tuple[int, list[str]]], ctx: ReadContext, finisher: _OrderFinisher, seen: set[str]
    ) -> Iterator[OrderRecord]:
        """Order by order, every problem found and worded; rows sharing an order id next to each other are one."""
        width = len(self.header)
        id_at = self.positions["order_id"]
        finish = finisher.finish
        current: str | None = None
        raw_id = None
        group: list[tuple[int, list[str]]] = []
        for line, cells in block:
            if len(cells) == width:
                cells = [*cells, ""]  # the columns the file lacks are read from here
            raw = cells[id_at]
            if raw != raw_id:
                raw_id = raw
                order_id = raw.strip()
                if order_id != current:
                    if current:
                        record = finish(current, group)
                        if record is not None:
                            yield record
                    current, group = order_id, [(line, cells)]
                    if not order_id:
                        ctx.problem(line, self.names["order_id"], "an order id is required")
                    elif order_id in seen:
                        ctx.problem(line, self.names["order_id"],
                                    f"order {order_id} appeared before, apart from this row: the rows of one order "
                                    "must be next to each other")  # fmt: skip
                    seen.add(order_id)
                    continue
            if not current:
                ctx.problem(line, self.names["order_id"], "an order id is required")
            group.append((line, cells))
        if current:
            record = finish(current, group)
            if record is not None:
                yield record


def _blocks(rows: Iterable[tuple[int, list[str]]]) -> Iterator[tuple[list[int], list[list[str]]]]:
    """Blocks of rows: the file's own when it reads so (conversion_source.Ahead), else cut here."""
    blocks = getattr(rows, "blocks", None)
    if blocks is not None:
        yield from blocks()
        return
    iterator = iter(rows)
    while chunk := list(islice(iterator, BLOCK_ROWS)):
        yield [line for line, _ in chunk], [cells for _, cells in chunk]


class _OrderFinisher:
    """Turns the rows of one generic order into its record, checking every rule on the way.

    It runs once per order of files with a million lines: the common case is kept to a few plain steps, and
    every unusual cell goes to a slower method that explains the problem.
    """

    def __init__(self, ctx: ReadContext, names: dict[str, str], header: list[str], positions: dict[str, int]) -> None:
        self.ctx = ctx
        self.checks = OrderChecks(ctx, names)
        self.names = names
        self.header = header
        self.cents = ctx.amounts.cents
        self.local = ctx.clock.local_stamped
        self.currency = ctx.currency
        blank = len(header)  # the empty cell appended to every row
        self.order_columns = [positions.get(key, blank) for key in ORDER_FIELDS]
        self.order_fields = itemgetter(*self.order_columns)
        self.line_fields = itemgetter(*(positions.get(key, blank) for key in LINE_FIELDS))

    def finish(self, order_id: str, rows: list[tuple[int, list[str]]]) -> OrderRecord | None:
        start, first = rows[0]
        values = self.order_fields(first)
        if len(rows) > 1:
            values = self._merged(order_id, rows, values)
        when_text, type_text, currency, referral, coupon, visitor, email, status_text, refund_text = map(
            str.strip, values
        )
        kind = type_text.lower() if type_text else "sale"
        status = status_text.lower() if status_text else "approved"
        if kind not in CONVERSION_TYPES or status not in CONVERSION_STATUSES:
            self._bad_kind(start, kind, type_text, status, status_text)
        cents_of, line_fields = self.cents, self.line_fields
        amount = 0
        lines = []
        for line, cells in rows:
            text, quantity_text, sku, product = line_fields(cells)
            try:
                cents = cents_of(text)
            except ValueError as exc:
                cents = self._bad_amount(line, text, kind, exc)
            if cents < 0:
                cents = self._bad_amount(line, text, kind, None)
            quantity = 1 if quantity_text == "1" or not quantity_text else self._quantity(line, quantity_text)
            if sku:
                sku = sku.strip()
                if len(sku) > 100:
                    self.checks.text(line, "sku", sku)
            amount += cents
            lines.append((sku or None, product_name(product) if product else None, quantity, cents))
        try:
            when: tuple[datetime, str] | None = self.local(when_text)
        except ValueError as exc:
            self.ctx.problem(start, self.names["occurred_at"], str(exc))
            when = None
        refunded = self.ctx.cents(start, self.names["refunded_amount"], refund_text) if refund_text else None
        if currency and currency.upper() != self.currency:
            self.checks.currency(start, currency)
        if when is None:
            return None
        if len(order_id) > 64 or len(coupon) > 64 or len(referral) > 64 or len(visitor) > 64 or len(email) > 64:
            self._long_texts(start, order_id, coupon, referral, visitor, email)
        if refunded is not None or status == "refunded":
            refunded = self.checks.refund(start, status, amount, refunded)
        return make_record(order_id, start, kind, when, self.currency, status, amount, refunded or 0,
                           coupon or None, referral or None, visitor or None, email or None, lines)  # fmt: skip

    def _merged(self, order_id: str, rows: list[tuple[int, list[str]]], values: tuple[str, ...]) -> tuple[str, ...]:
        """The order's fields over all its rows: a later row fills an empty one, and may not differ."""
        merged = [value.strip() for value in values]
        start = rows[0][0]
        for line, cells in rows[1:]:
            for slot, value in enumerate(self.order_fields(cells)):
                value = value.strip()
                if not value or value == merged[slot]:
                    continue
                if merged[slot]:
                    column = self.header[self.order_columns[slot]]
                    message = f"'{value}' differs from '{merged[slot]}' on line {start}, in the same order {order_id}"
                    self.ctx.problem(line, column, message)
                else:
                    merged[slot] = value
        return tuple(merged)

    def _bad_kind(self, start: int, kind: str, type_text: str, status: str, status_text: str) -> None:
        if kind not in CONVERSION_TYPES:
            self.ctx.problem(start, self.names["type"], f"'{type_text}' is not a type; use sale, lead or signup")
        if status not in CONVERSION_STATUSES:
            known = ", ".join(CONVERSION_STATUSES)
            self.ctx.problem(start, self.names["status"], f"'{status_text}' is not a status; use {known}")

    def _long_texts(self, start: int, *values: str) -> None:
        for key, value in zip(("order_id", "coupon_code", "affiliate_code", "visitor_id", "customer_email"), values,
                              strict=True):  # fmt: skip
            self.checks.text(start, key, value)

    def _bad_amount(self, line: int, text: str, kind: str, error: ValueError | None) -> int:
        """0 for a lead's or signup's empty amount; otherwise a problem (and 0, to read on)."""
        column = self.names.get("amount", "amount")
        if not text.strip():
            if kind == "sale":
                self.ctx.problem(line, column, "an amount is required for a sale")
        elif error is not None:
            self.ctx.problem(line, column, str(error))
        else:
            self.ctx.problem(line, column, f"'{text.strip()}' is negative")
        return 0

    def _quantity(self, line: int, text: str) -> int:
        try:
            quantity = int(text)
        except ValueError:
            quantity = -1
        if quantity < 0:
            self.ctx.problem(line, self.names["quantity"], f"'{text.strip()}' is not a whole number of items")
            return 1
        return quantity
