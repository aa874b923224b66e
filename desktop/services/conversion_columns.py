"""The generic reader's quick way through a block of rows: a column at a time, for blocks with nothing unusual.

A million-line file is mostly ordinary rows. Checking it one order at a time costs a dozen Python steps per order;
checking a block of thousands a column at a time ("is every status one we know?", "is every amount a plain
amount?") lets C loops (map, zip, set, max) do the work. The first thing out of the ordinary (a problem, a refund,
a long text, a row of an order that fills in the order's fields) sends the whole block the careful way instead,
order by order (_OrderFinisher in conversion_parse), which finds and words every problem. Both ways give the same
records: tests compare them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate, chain, compress, repeat
from operator import eq, itemgetter, mul, ne, not_, or_
from typing import TYPE_CHECKING, Any

from desktop.models import CONVERSION_STATUSES, CONVERSION_TYPES
from desktop.services.conversion_presets import LINE_FIELDS, ORDER_FIELDS
from desktop.services.row_hash import Line, fingerprint

if TYPE_CHECKING:
    from desktop.services.conversion_parse import OrderRecord, ReadContext

PLAIN_LENGTH = 64  # order-level texts up to this long are within every limit (MAX_LENGTH in conversion_parse)
SKU_LENGTH = 100
PRODUCT_LENGTH = 300
_TYPES = frozenset(CONVERSION_TYPES)
_STATUSES = frozenset(CONVERSION_STATUSES)


@dataclass(slots=True)
class OrderBatch:
    """Orders read the quick way, a column per field (order-level, then line-level); attribution comes later.

    Texts a row leaves empty (coupon, referral code, visitor, email, SKU, product) are "" here, not None: the
    quick path never needs the difference, and the writer binds "" far faster than None (see ConversionStore).
    records() gives them as None, as the careful way does.
    """

    order_ids: list[str]
    lines: list[int]  # where each order starts in the file
    kinds: list[str]
    whens: list[datetime]
    stamps: list[str]
    currency: str
    statuses: list[str]
    amounts: list[int]
    refunded: list[int]
    coupons: list[str]
    referrals: list[str]
    visitors: list[str]
    emails: list[str]
    line_order: list[int]  # for each line, the index of its order
    line_no: list[int]  # 1, 2, ... within its order
    skus: list[str]
    products: list[str]
    quantities: list[int]
    cents: list[int]
    make: Callable[..., OrderRecord]

    def __len__(self) -> int:
        return len(self.order_ids)

    def hashes(self) -> list[str]:
        """The orders' fingerprints (only stored orders and the preview's need them: see row_hash)."""
        lines = self.order_lines()
        return list(map(fingerprint, self.order_ids, self.kinds, self.stamps, repeat(self.currency), self.statuses,
                        self.amounts, self.refunded, self.coupons, self.referrals, self.visitors, self.emails,
                        lines))  # fmt: skip

    def order_lines(self) -> list[list[Line]]:
        """Each order's lines, with None for a missing SKU or product (as the careful way gives them)."""
        order_lines: list[list[Line]] = [[] for _ in self.order_ids]
        lines = zip(_nones(self.skus), _nones(self.products), self.quantities, self.cents, strict=True)
        for index, line in zip(self.line_order, lines, strict=True):
            order_lines[index].append(line)
        return order_lines

    @classmethod
    def joined(cls, batches: Sequence[OrderBatch]) -> OrderBatch:
        """One batch of the orders of several, in their order."""
        if len(batches) == 1:
            return batches[0]
        first = batches[0]
        columns: dict[str, Any] = {}
        for name in cls.__slots__:
            if name not in ("currency", "make", "line_order"):
                columns[name] = list(chain.from_iterable(getattr(batch, name) for batch in batches))
        line_order: list[int] = []
        offset = 0
        for batch in batches:
            line_order.extend(map(offset.__add__, batch.line_order))
            offset += len(batch)
        return cls(currency=first.currency, make=first.make, line_order=line_order, **columns)

    def records(self) -> list[OrderRecord]:
        """The same orders as OrderRecords (for the preview's sample, and for orders already stored)."""
        order_lines = self.order_lines()
        return list(map(self.make, self.order_ids, self.lines, self.kinds, self.whens, self.stamps,
                        repeat(self.currency), self.statuses, self.amounts, self.refunded, _nones(self.coupons),
                        _nones(self.referrals), _nones(self.visitors), _nones(self.emails), order_lines,
                        self.hashes()))  # fmt: skip


class Unusual(Exception):
    """The block needs the careful way (raised before anything was reported or remembered)."""


class ColumnFinisher:
    """The orders of a block of rows (complete orders only) as one OrderBatch, or Unusual."""

    def __init__(self, ctx: ReadContext, positions: dict[str, int], record: Callable[..., OrderRecord]) -> None:
        self.ctx = ctx
        self.record = record
        self.id_at = positions["order_id"]
        self.order_at = [positions.get(key) for key in ORDER_FIELDS]
        self.line_at = [positions.get(key) for key in LINE_FIELDS]
        self.currency = ctx.currency
        self._kinds: dict[str, str] = {}
        self._statuses: dict[str, str] = {}
        self._quantities: dict[str, int] = {}

    def finish(self, lines: list[int], rows: list[list[str]], seen: set[str]) -> OrderBatch:
        """The block's orders; `seen` (order ids met so far) gains theirs only when this succeeds."""
        count = len(rows)
        ids = list(map(str.strip, map(_getter(self.id_at), rows)))
        is_start = list(map(ne, ids, [None, *ids[:-1]]))
        starts = list(compress(range(count), is_start))
        order_ids = list(map(ids.__getitem__, starts))
        if "" in order_ids or len(set(order_ids)) != len(order_ids) or not seen.isdisjoint(order_ids):
            raise Unusual
        single = len(starts) == count
        ends = [*starts[1:], count]
        columns = [self._column(rows, at, count) for at in self.order_at]
        if single:
            line_order, line_no = list(range(count)), [1] * count
        else:
            line_order = list(map(int.__sub__, accumulate(is_start), repeat(1)))  # 0-based order of every row
            line_no = list(map(int.__sub__, range(1, count + 1), map(starts.__getitem__, line_order)))
            self._check_later_rows(columns, is_start, starts, line_order, count)
        when, kind, currency, referral, coupon, visitor, email, status, refund = (
            list(map(str.strip, column)) if single else list(map(str.strip, map(column.__getitem__, starts)))
            for column in columns
        )
        if any(refund) or (any(currency) and set(currency) - {"", self.currency} and self._other_currency(currency)):
            raise Unusual
        for texts in (order_ids, referral, coupon, visitor, email):
            if max(map(len, texts)) > PLAIN_LENGTH:
                raise Unusual
        kinds = self._normalized(kind, self._kinds, "sale", _TYPES)
        statuses = self._normalized(status, self._statuses, "approved", _STATUSES)
        try:
            stamped = self.ctx.clock.stamped_many(when)
            cents = self.ctx.amounts.cents_many(self._column(rows, self.line_at[0], count))
        except ValueError:
            raise Unusual from None
        if min(cents) < 0:
            raise Unusual
        quantities = self._quantities_of(self._column(rows, self.line_at[1], count))
        sku_texts = list(map(str.strip, self._column(rows, self.line_at[2], count)))
        if max(map(len, sku_texts)) > SKU_LENGTH:
            raise Unusual
        product_texts = self._products_of(rows, count)
        amounts = cents if single else _sums(cents, starts, ends)
        refunded = list(map(mul, amounts, map(eq, statuses, repeat("refunded"))))
        seen.update(order_ids)
        return OrderBatch(
            order_ids=order_ids,
            lines=list(map(lines.__getitem__, starts)),
            kinds=kinds,
            whens=list(map(_when, stamped)),
            stamps=list(map(_stamp, stamped)),
            currency=self.currency,
            statuses=statuses,
            amounts=amounts,
            refunded=refunded,
            coupons=coupon,
            referrals=referral,
            visitors=visitor,
            emails=email,
            line_order=line_order,
            line_no=line_no,
            skus=sku_texts,
            products=product_texts,
            quantities=quantities,
            cents=cents,
            make=self.record,
        )

    @staticmethod
    def _column(rows: list[list[str]], at: int | None, count: int) -> list[str]:
        return [""] * count if at is None else list(map(_getter(at), rows))

    @staticmethod
    def _check_later_rows(
        columns: list[list[str]], is_start: list[bool], starts: list[int], line_order: list[int], count: int
    ) -> None:
        """An order's later rows may only repeat its first row's fields or leave them empty."""
        later = list(compress(range(count), map(not_, is_start)))
        first = list(map(starts.__getitem__, map(line_order.__getitem__, later)))
        for column in columns:
            values = list(map(column.__getitem__, later))
            if not any(values):
                continue
            firsts = list(map(column.__getitem__, first))
            if not all(map(or_, map(not_, values), map(eq, values, firsts))):
                raise Unusual

    def _other_currency(self, currency: list[str]) -> bool:
        return any(code.upper() != self.currency for code in set(currency) if code)

    @staticmethod
    def _normalized(texts: list[str], known: dict[str, str], default: str, allowed: frozenset[str]) -> list[str]:
        for text in set(texts) - known.keys():
            value = text.lower() if text else default
            if value not in allowed:
                raise Unusual
            known[text] = value
        return list(map(known.__getitem__, texts))

    def _quantities_of(self, texts: list[str]) -> list[int]:
        known = self._quantities
        for text in set(texts) - known.keys():
            if text == "1" or not text:
                known[text] = 1
                continue
            try:
                quantity = int(text)
            except ValueError:
                raise Unusual from None
            if quantity < 0:
                raise Unusual
            known[text] = quantity
        return list(map(known.__getitem__, texts))

    def _products_of(self, rows: list[list[str]], count: int) -> list[str]:
        """Product names as stored ("" for none): trimmed, and cut to PRODUCT_LENGTH."""
        at = self.line_at[3]
        if at is None:
            return [""] * count
        return [text.strip()[:PRODUCT_LENGTH] for text in self._column(rows, at, count)]


def _getter(at: int) -> Callable[[Sequence[str]], str]:
    return itemgetter(at)


def _sums(cents: list[int], starts: list[int], ends: list[int]) -> list[int]:
    totals = [0, *accumulate(cents)]
    return list(map(int.__sub__, map(totals.__getitem__, ends), map(totals.__getitem__, starts)))


_when = itemgetter(0)
_stamp = itemgetter(1)


def _nones(texts: list[str]) -> list[str | None]:
    return [text or None for text in texts]
