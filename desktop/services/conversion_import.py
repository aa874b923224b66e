"""Importing an order file: a preview of what it would do, and the all-or-nothing import with attribution."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import compress, count
from operator import itemgetter
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import Conversion
from desktop.money import from_cents
from desktop.services.attribution import (
    IN_CHUNK,
    AffiliateDirectory,
    Attribution,
    AttributionRules,
    Attributor,
    ClickIndex,
    has_visitor_clicks,
)
from desktop.services.bulk_writer import WriterProcess
from desktop.services.conversion_columns import OrderBatch
from desktop.services.conversion_mappings import fitting_mapping
from desktop.services.conversion_parse import OrderRecord, ReadContext, Rows
from desktop.services.conversion_presets import PresetChoice
from desktop.services.conversion_source import (
    CountedRows,
    CsvRows,
    OrderReader,
    ReaderChoice,
    check_date_order,
    choose_reader,
    data_rows,
    estimated_rows,
    fewer_collections,
    find_convention,
    find_date_order,
    unclear_dates,
)
from desktop.services.conversion_store import (
    ConnectionExecutor,
    ConversionStore,
    Executor,
    StoredOrder,
    count_batch_in,
    local_now,
    start_batch_in,
    stored_orders,
)
from desktop.services.conversion_values import AmountReader, LocalClock
from desktop.services.errors import BadInput
from desktop.services.fraud import FraudCheck, check_after_import
from desktop.services.program_settings import ProgramSettings, get_program
from desktop.services.tabular import Problem, Table, TableError, open_table

Progress = Callable[[int, int, str], None]
BATCH_ORDERS = 5000
WRITER_FROM_ROWS = 100_000  # a CSV file of this many lines into SQLite is written by a second process
SAMPLE_ORDERS = 50
ATTRIBUTION_ORDER = ("coupon", "referral", "click", "organic")


@dataclass(frozen=True)
class OrderPreview:
    """One order as it would be imported, for the preview table."""

    order_id: str
    line: int
    occurred_at: datetime  # program-local
    type: str
    status: str
    amount: Decimal
    refunded_amount: Decimal
    currency: str
    lines: int
    affiliate_code: str | None
    attribution: str
    attribution_detail: str
    change: str  # new | updated | unchanged


@dataclass(frozen=True)
class ConversionSummary:
    """What a file holds and what importing it does (or did)."""

    file: str
    preset: str  # generic | shopify | woocommerce | stripe | mapping
    preset_reason: str
    columns: tuple[tuple[str, str], ...]  # (the file's column, what it is read as)
    ignored_columns: tuple[str, ...]
    decimal_separator: str
    decimal_reason: str
    rows: int = 0
    orders: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    by_attribution: tuple[tuple[str, int], ...] = ()  # (coupon|referral|click|organic, orders)
    unknown_coupons: tuple[tuple[str, int], ...] = ()  # (code that is no affiliate's, orders), most used first
    skipped: tuple[tuple[str, int], ...] = ()  # (why, rows) left out on purpose, e.g. checkout drafts
    status_changes: int = 0
    paid_orders_changed: int = 0  # on an approved or paid payout sheet: only their status and refund were updated
    amount: Decimal = Decimal("0.00")
    first_day: date | None = None
    last_day: date | None = None
    currency: str = ""  # the program's: every amount is in it (orders in another one are problems)
    date_order: str = "ymd"  # how dates that are not ISO 8601 were read (conversion_values.DATE_ORDERS)
    date_reason: str = ""  # when the file's dates showed it: "'13/10/2026' on line 5 shows it"
    dates_unclear: str = ""  # the first date that could be day or month first, when no date shows which
    today: date | None = None  # the program's today when the file was read

    @property
    def future_note(self) -> str:
        """A word when orders are dated after today: a mistyped year lands in a month nobody looks at."""
        if self.last_day is None or self.today is None or self.last_day <= self.today:
            return ""
        return (f"The latest order is dated {self.last_day.isoformat()}, after today ({self.today.isoformat()}): "
                "check the dates in the file (a mistyped year?).")  # fmt: skip

    @property
    def amounts_note(self) -> str:
        """How amounts were read, one sentence for the command line and the window alike."""
        separator = "a dot" if self.decimal_separator == "." else "a comma"
        why = f" ({self.decimal_reason})" if self.decimal_reason else ""
        return f"Amounts read with {separator} as decimal separator{why}."

    @property
    def organic(self) -> int:
        return dict(self.by_attribution).get("organic", 0)


@dataclass(frozen=True)
class ConversionPreview:
    summary: ConversionSummary
    sample: tuple[OrderPreview, ...]
    problems: tuple[Problem, ...]
    problem_count: int

    @property
    def ok(self) -> bool:
        return self.problem_count == 0


@dataclass(frozen=True)
class ConversionImportResult:
    summary: ConversionSummary
    batch_id: int | None  # None for a dry run
    dry_run: bool
    fraud: FraudCheck | None = None  # None: a dry run, or not asked for


def preview_conversions(
    db: Database,
    path: Path | str,
    *,
    preset: str | None = None,
    mapping: Mapping[str, str] | None = None,
    date_order: str | None = None,
    progress: Progress | None = None,
) -> ConversionPreview:
    """Read the whole file and say what importing it would do; problems are listed, nothing is written."""
    run = _Run(db, Path(path), preset, mapping, progress, date_order)
    run.execute(write=False)
    return ConversionPreview(run.summary(), tuple(run.sample), tuple(run.problems()), run.problem_count)


def import_conversions(
    db: Database,
    path: Path | str,
    *,
    preset: str | None = None,
    mapping: Mapping[str, str] | None = None,
    date_order: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    check_fraud: bool = True,
) -> ConversionImportResult:
    """Import orders in one transaction; any problem raises BadInput listing them all, and nothing changes.

    A dry run reads and checks everything the same way and writes nothing. `progress(done, total, what)` is
    called every 10,000 rows; if it raises, the import is rolled back (that is how the window cancels).
    After the import the fraud rules look at the months it touched, unless `check_fraud` is False (the
    benchmark times them apart). They report progress too; stopping them there keeps the saved orders and
    skips the check (FraudCheck.stopped).
    `date_order` (a mapping's: conversion_values.DATE_ORDERS) reads dates that are not ISO 8601 day or month
    first; a saved mapping found for the file brings its own.
    """
    run = _Run(db, Path(path), preset, mapping, progress, date_order)
    batch_id = run.execute(write=not dry_run)
    if run.problem_count:  # a dry run's problems (a real run raised inside its transaction)
        raise BadInput(run.problems())
    fraud = None
    if batch_id is not None and check_fraud:  # the rules look at what just came in
        fraud = check_after_import(db, batch_id, progress=progress, saved=f"{run.tally.orders:,} orders saved. ")
    return ConversionImportResult(run.summary(), batch_id, dry_run, fraud)


@dataclass
class _Tally:
    rows: int = 0
    orders: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
    paid_changed: int = 0
    cents: int = 0
    first: datetime | None = None
    last: datetime | None = None
    reasons: Counter[str] = field(default_factory=Counter)
    unknown_coupons: Counter[str] = field(default_factory=Counter)


class _Run:
    """One pass over a file: read orders, attribute them batch by batch, and write them when asked to."""

    def __init__(
        self,
        db: Database,
        path: Path,
        preset: str | None,
        mapping: Mapping[str, str] | None,
        progress: Progress | None,
        date_order: str | None = None,
    ) -> None:
        self.db, self.path, self.preset, self.mapping, self.progress = db, path, preset, mapping, progress
        self.date_order = check_date_order(date_order) if date_order is not None else "ymd"
        self.date_given = date_order is not None  # else the file's dates show it (find_date_order)
        self.date_reason = ""
        self.dates_unclear = ""  # the first date that could be either, when no date shows which
        self.settings: ProgramSettings = get_program(db)
        self.rules = AttributionRules.of(self.settings)
        self.tally = _Tally()
        self.sample: list[OrderPreview] = []
        self.ctx: ReadContext | None = None
        self.header_problems: list[Problem] = []
        self.preset_name, self.preset_reason = preset or "unknown", ""
        self.columns: tuple[tuple[str, str], ...] = ()
        self.ignored: tuple[str, ...] = ()
        self.decimal = (".", "")
        self.pending: list[OrderRecord] = []
        self.batches: list[OrderBatch] = []  # read the quick way, waiting for their clicks to be looked up
        self.batched = 0

    # --- results ---

    @property
    def problem_count(self) -> int:
        return len(self.header_problems) + (self.ctx.problem_count if self.ctx else 0)

    def problems(self) -> list[Problem]:
        return self.header_problems + (self.ctx.listed() if self.ctx is not None else [])

    def summary(self) -> ConversionSummary:
        t = self.tally
        unknown = tuple(sorted(t.unknown_coupons.items(), key=lambda item: (-item[1], item[0])))
        return ConversionSummary(
            file=self.path.name,
            preset=self.preset_name,
            preset_reason=self.preset_reason,
            columns=self.columns,
            ignored_columns=self.ignored,
            decimal_separator=self.decimal[0],
            decimal_reason=self.decimal[1],
            rows=t.rows,
            orders=t.orders,
            new=t.new,
            updated=t.updated,
            unchanged=t.unchanged,
            by_attribution=tuple((reason, t.reasons[reason]) for reason in ATTRIBUTION_ORDER),
            unknown_coupons=unknown,
            skipped=tuple(sorted(self.ctx.skipped.items())) if self.ctx else (),
            status_changes=t.status_changes,
            paid_orders_changed=t.paid_changed,
            amount=from_cents(t.cents),
            currency=self.settings.currency,
            first_day=t.first.date() if t.first else None,
            last_day=t.last.date() if t.last else None,
            date_order=self.date_order,
            date_reason=self.date_reason,
            dates_unclear=self.dates_unclear,
            today=self._now().date(),
        )

    # --- the pass ---

    def execute(self, *, write: bool) -> int | None:
        """Read the file; with `write`, in one transaction that a problem (BadInput) or a cancel rolls back."""
        name = self.path.name
        try:
            table = open_table(self.path)
        except TableError as exc:
            self.header_problems = list(exc.problems)
            return None
        with table:
            chosen = self._choose_reader(table.header)
            self.preset_name, self.preset_reason = chosen.choice.name, chosen.choice.reason
            self.ignored = chosen.ignored
            if chosen.reader is None or chosen.problems:
                self.header_problems = [Problem(name, 1, None, message) for message in chosen.problems]
                return None
            self.columns = chosen.reader.described_columns()
            estimate = estimated_rows(self.path)
            source, holder = data_rows(table)
            rows = CountedRows(source, self.progress, estimate, f"Reading {name}")
            try:
                return self._pass(holder, chosen.reader, rows, estimate, write=write)
            except TableError as exc:  # the rest of the file cannot be read: nothing was kept
                self.header_problems.extend(exc.problems)
                if write:
                    raise BadInput(self.problems()) from exc
                return None

    def _choose_reader(self, header: Sequence[str]) -> ReaderChoice:
        """The preset or mapping asked for; else the export the header looks like; else the saved mapping that
        fits it (made for this shop's files in an earlier import)."""
        chosen = choose_reader(header, self.preset, self.mapping)
        if chosen.choice.name == "unknown":  # neither asked for nor recognised
            saved = fitting_mapping(self.db, header)
            if saved is not None:
                self.date_order, self.date_given = saved.date_order, True
                reason = f"the saved mapping '{saved.name}', whose columns are all in this file"
                return replace(choose_reader(header, None, saved.as_dict()), choice=PresetChoice("mapping", reason))
        return chosen

    def _pass(
        self, table: Table | CsvRows, reader: OrderReader, rows: CountedRows, estimate: int, *, write: bool
    ) -> int | None:
        name = self.path.name
        convention, ahead = find_convention(self.path, rows, reader)
        self.decimal = (convention.separator, convention.reason)
        if not self.date_given:
            dates = find_date_order(self.path, ahead, reader.date_column())
            if dates.order is None:
                column = reader.date_column()
                self.header_problems.append(
                    unclear_dates(name, reader.header[column] if column is not None else None, dates)
                )
                self.dates_unclear = dates.text
                return None
            self.date_order, self.date_reason = dates.order, dates.reason
        clock = LocalClock(self.settings.timezone, self.date_order)
        ctx = self.ctx = ReadContext(name, AmountReader(convention), clock, self.settings.currency)
        if not write:
            with self.db.read() as session:
                self._read(session, reader, ahead, rows, None)
                ctx.take(table)
            self._check_rows()
            self._done(rows)
            return None
        with self._transaction(estimate) as db:
            batch_id = start_batch_in(db, "conversions", name, self.preset_name, self._now())
            note = f"re-imported from {name}"
            store = ConversionStore(db, batch_id=batch_id, now=self._now(), note=note, currency=ctx.currency)
            store.defer_indexes(estimate)
            # Reads go through a second session: the database as it was, while this transaction writes.
            with self.db.read() as lookups:
                self._read(lookups, reader, ahead, rows, store)
            if self.progress is not None:  # the last rows, the indexes and the commit take a moment for a big file
                self.progress(rows.count, rows.count, f"Saving {self.tally.orders:,} orders…")
            store.finish()
            ctx.take(table)
            self._check_rows()
            if self.problem_count:
                raise BadInput(self.problems())
            t = self.tally
            count_batch_in(db, batch_id, self.preset_name, t.rows, t.new, t.updated, t.unchanged)
            self._done(rows)  # still inside the transaction: a cancel here keeps nothing either
        return batch_id

    @contextmanager
    def _transaction(self, estimate: int) -> Iterator[Executor]:
        """The import's one write transaction: this process's, or for a big file into SQLite a second process's
        (bulk_writer), which writes while this one reads. An exception rolls either back."""
        if self.db.is_sqlite and self.db.path is not None and estimate >= WRITER_FROM_ROWS:
            with WriterProcess(self.db.path) as writer:
                writer.begin()  # the write lock: from here on nobody else changes affiliates, coupons or orders
                yield writer
                writer.commit()
            return
        with self.db.write() as session:
            yield ConnectionExecutor(session.connection())

    def _check_rows(self) -> None:
        """A file of only a header (blank lines aside) is a mistake, not an import of nothing."""
        if not self.tally.rows:
            self.header_problems.append(Problem(self.path.name, None, None, "has no orders: only a header"))

    def _done(self, rows: CountedRows) -> None:
        if self.progress is not None:
            self.progress(rows.count, rows.count, f"{self.path.name}: {self.tally.orders:,} orders read")

    def _read(
        self, session: Session, reader: OrderReader, ahead: Rows, rows: CountedRows, store: ConversionStore | None
    ) -> None:
        """Read every order, batch by batch; `session` only reads (affiliates, stored orders, clicks)."""
        assert self.ctx is not None
        self.directory = AffiliateDirectory.load(session)
        self.attributor = Attributor(self.rules, self.directory)
        self.had_orders = session.scalar(select(Conversion.id).limit(1)) is not None
        self.with_clicks = self.rules.cookie_days > 0 and has_visitor_clicks(session)
        try:
            with fewer_collections():
                for item in reader.orders(ahead, self.ctx):
                    if type(item) is OrderBatch:
                        self._flush(session, reader, store)  # the orders before it first: ids follow the file
                        self.batches.append(item)
                        self.batched += len(item)
                        if self.batched >= BATCH_ORDERS:
                            self._flush_batches(session, reader, store)
                        continue
                    self._flush_batches(session, reader, store)
                    self.pending.append(item)  # type: ignore[arg-type]
                    if len(self.pending) >= BATCH_ORDERS:
                        self._flush(session, reader, store)
                self._flush_batches(session, reader, store)
                self._flush(session, reader, store)
        finally:
            self.tally.rows = rows.count

    def _flush(self, session: Session, reader: OrderReader, store: ConversionStore | None) -> None:
        """Attribute a batch of orders, sort them into new, updated and unchanged, and write them."""
        records, self.pending = self.pending, []
        if not records:
            return
        ctx, tally, attributor = self.ctx, self.tally, self.attributor
        assert ctx is not None
        existing = stored_orders(session, [r.order_id for r in records]) if self.had_orders else {}
        clicks = self._clicks(session, records)
        new: list[OrderRecord] = []
        changed: list[tuple[StoredOrder, OrderRecord]] = []
        reasons = tally.reasons
        decide = attributor.decide
        kept = self._kept(session, existing) if existing else {}
        for record in records:
            result = decide(record.coupon, record.referral, record.visitor, record.occurred_at, clicks)
            if record.coupon and result[0] != "coupon" or record.referral and result[0] != "referral":
                self._note_signals(reader, record)
            if kept:
                result = kept.get(record.order_id, result)
            record.attribution, record.affiliate_id, record.detail = result
            reasons[result[0]] += 1
            if not existing:
                new.append(record)
                continue
            old = existing.get(record.order_id)
            if old is None:
                new.append(record)
            elif old.row_hash != record.row_hash:
                self._check_update(old, record)
                changed.append((old, record))
        if len(self.sample) < SAMPLE_ORDERS:
            for record in records[: SAMPLE_ORDERS - len(self.sample)]:
                old = existing.get(record.order_id)
                change = "new" if old is None else "unchanged" if old.row_hash == record.row_hash else "updated"
                self.sample.append(self._preview(record, change))
        tally.orders += len(records)
        tally.new += len(new)
        tally.updated += len(changed)
        tally.unchanged += len(records) - len(new) - len(changed)
        tally.status_changes += sum(1 for old, r in changed if (old.status, old.refunded) != (r.status, r.refunded))
        tally.cents += sum(r.amount for r in records)
        first = min(r.occurred_at for r in records)
        last = max(r.occurred_at for r in records)
        tally.first = first if tally.first is None else min(first, tally.first)
        tally.last = last if tally.last is None else max(last, tally.last)
        if store is not None and not ctx.problem_count:
            store.insert(new)
            store.update(changed)

    def _flush_batches(self, session: Session, reader: OrderReader, store: ConversionStore | None) -> None:
        """_flush for orders read the quick way, a column at a time, with one look-up of clicks for them all.

        Orders already stored, and the preview's first orders, go through _flush as records.
        """
        batches, self.batches, self.batched = self.batches, [], 0
        quick = []
        for batch in batches:
            known = self.had_orders and stored_orders(session, batch.order_ids, fingerprints=False)
            if len(self.sample) < SAMPLE_ORDERS or known:
                self.pending = batch.records()
                self._flush(session, reader, store)
            else:
                quick.append(batch)
        if not quick:
            return
        batch = OrderBatch.joined(quick)  # one look-up of clicks; two messages to a writer process
        clicks = self._clicks_of(session, batch.coupons, batch.referrals, batch.visitors, batch.whens)
        self._flush_batch(reader, store, batch, clicks)

    def _flush_batch(
        self, reader: OrderReader, store: ConversionStore | None, batch: OrderBatch, clicks: ClickIndex | None
    ) -> None:
        ctx, tally = self.ctx, self.tally
        assert ctx is not None
        found = self.attributor.decide_many(batch.coupons, batch.referrals, batch.visitors, batch.whens, clicks)
        reasons = list(map(itemgetter(0), found))
        noted = [index for index, coupon, referral, reason in zip(count(), batch.coupons, batch.referrals, reasons)
                 if (coupon and reason != "coupon") or (referral and reason != "referral")]  # fmt: skip
        for index in noted:
            self._note(reader, batch.lines[index], batch.coupons[index], batch.referrals[index])
        tally.reasons.update(reasons)
        tally.orders += len(batch)
        tally.new += len(batch)
        tally.cents += sum(batch.amounts)
        first, last = min(batch.whens), max(batch.whens)
        tally.first = first if tally.first is None else min(first, tally.first)
        tally.last = last if tally.last is None else max(last, tally.last)
        if store is not None and not ctx.problem_count:
            store.insert_batch(batch, found)

    def _note_signals(self, reader: OrderReader, record: OrderRecord) -> None:
        self._note(reader, record.line, record.coupon, record.referral)

    def _note(self, reader: OrderReader, line: int, coupon: str | None, referral_code: str | None) -> None:
        """A referral code nobody has is a problem; a coupon nobody has is only counted."""
        assert self.ctx is not None
        _, referral, unknown = self.attributor.signals(coupon, referral_code)
        if unknown:
            self.tally.unknown_coupons[unknown.upper()] += 1
        if referral_code and referral is None:
            message = f"no affiliate has the code '{referral_code}'"
            self.ctx.problem(line, reader.referral_column(), message)

    def _kept(self, session: Session, existing: Mapping[str, StoredOrder]) -> dict[str, Attribution]:
        """The stored attribution of the orders already on an approved or paid payout sheet, by order id: a
        re-import takes only their status and refund (ConversionStore.update), so theirs is what the summary
        counts and the preview shows."""
        frozen = {old.id: order_id for order_id, old in existing.items() if old.paid_sheet_id is not None}
        if not frozen:
            return {}
        ids = list(frozen)
        stored = select(Conversion.id, Conversion.attribution, Conversion.affiliate_id, Conversion.attribution_detail)
        kept: dict[str, Attribution] = {}
        for first in range(0, len(ids), IN_CHUNK):
            chunk = ids[first : first + IN_CHUNK]
            for cid, reason, affiliate_id, detail in session.execute(stored.where(Conversion.id.in_(chunk))):
                kept[frozen[cid]] = Attribution(reason, affiliate_id, detail or "")
        return kept

    def _check_update(self, old: StoredOrder, record: OrderRecord) -> None:
        if old.paid_sheet_id is None:
            return
        self.tally.paid_changed += 1
        if record.refunded > old.amount:
            assert self.ctx is not None
            message = (f"order {record.order_id} is on an approved or paid payout sheet with the amount "
                       f"{from_cents(old.amount)}; its refund {from_cents(record.refunded)} cannot be more than "
                       "that")  # fmt: skip
            self.ctx.problem(record.line, None, message)

    def _clicks(self, session: Session, records: list[OrderRecord]) -> ClickIndex | None:
        """The clicks of the visitors whose orders no coupon or referral code settles, in one query per 900."""
        if not self.with_clicks:
            return None
        coupons = [r.coupon for r in records]
        referrals = [r.referral for r in records]
        return self._clicks_of(
            session, coupons, referrals, [r.visitor for r in records], [r.occurred_at for r in records]
        )

    def _clicks_of(
        self,
        session: Session,
        coupons: Sequence[str | None],
        referrals: Sequence[str | None],
        visitors: Sequence[str | None],
        whens: Sequence[datetime],
    ) -> ClickIndex | None:
        if not self.with_clicks:
            return None
        needs = self.attributor.needs_clicks
        waiting = [index for index in compress(range(len(visitors)), visitors)
                   if needs(coupons[index], referrals[index], visitors[index])]  # fmt: skip
        if not waiting:
            return None
        times = [whens[index] for index in waiting]
        start = min(times) - timedelta(days=self.rules.cookie_days)
        wanted = {visitor for index in waiting if (visitor := visitors[index])}
        return ClickIndex.load(session, wanted, start, max(times))

    def _preview(self, record: OrderRecord, change: str) -> OrderPreview:
        code = self.directory.code_of.get(record.affiliate_id) if record.affiliate_id is not None else None
        return OrderPreview(
            order_id=record.order_id,
            line=record.line,
            occurred_at=record.occurred_at,
            type=record.type,
            status=record.status,
            amount=from_cents(record.amount),
            refunded_amount=from_cents(record.refunded),
            currency=record.currency,
            lines=len(record.lines),
            affiliate_code=code,
            attribution=record.attribution,
            attribution_detail=record.detail,
            change=change,
        )

    def _now(self) -> datetime:
        return local_now(self.settings.timezone)
