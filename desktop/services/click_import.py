"""Importing click logs or daily click counts (DESIGN §6 "Clicks CSV"), all or nothing, then attributing again."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.db import Database, placeholder
from desktop.models import Click, DailyClicks
from desktop.services.attribution import AffiliateDirectory, AttributionRules, recompute_in_session
from desktop.services.conversion_parse import ProblemList
from desktop.services.conversion_presets import given_twice, header_positions
from desktop.services.conversion_source import (
    CountedRows,
    DateOrderFound,
    check_date_order,
    data_rows,
    estimated_rows,
    find_date_order,
    unclear_dates,
)
from desktop.services.conversion_store import local_now, start_batch
from desktop.services.conversion_values import DATE_ORDERS, LocalClock
from desktop.services.errors import BadInput
from desktop.services.fraud import FraudCheck, check_after_import
from desktop.services.fraud_rules import plural
from desktop.services.program_settings import get_program
from desktop.services.tabular import Problem, TableError, open_table

Progress = Callable[[int, int, str], None]
BATCH_ROWS = 5000
CLICK_COLUMNS = ("clicked_at", "affiliate_code", "visitor_id", "ip", "landing_url", "referrer")
DAILY_COLUMNS = ("date", "affiliate_code", "clicks")
COLUMN_MEANINGS = {
    "clicked_at": "time of the click",
    "affiliate_code": "affiliate code",
    "visitor_id": "visitor (matched to orders)",
    "ip": "IP address (fraud checks)",
    "landing_url": "landing page",
    "referrer": "referring page",
    "date": "day",
    "clicks": "clicks that day",
}
WHOLE_NUMBER = re.compile(r"\d{1,3}(?:[,. \u00a0]\d{3})+|\d+")  # "1300", "1,300", "1.300"
MAX_LENGTH = {"visitor_id": 100, "ip": 45, "landing_url": 1000, "referrer": 1000}


@dataclass(frozen=True)
class ClickImportResult:
    file: str
    shape: str  # clicks (one row per click) | daily (counts per affiliate and day)
    rows: int
    new: int  # clicks added, or affiliate-days added
    updated: int  # affiliate-days whose count changed (daily counts only)
    unchanged: int  # clicks already there, or affiliate-days with the same count
    ignored_columns: tuple[str, ...]
    first_day: date | None
    last_day: date | None
    reattributed: int  # orders whose attribution changed because of the new clicks
    batch_id: int | None  # None for a dry run
    dry_run: bool
    fraud: FraudCheck | None = None  # the fraud rules over the months imported (None: a dry run)
    columns: tuple[tuple[str, str], ...] = ()  # (column in the file, what it is read as)
    date_order: str = "ymd"  # how dates that are not ISO 8601 were read (conversion_values.DATE_ORDERS)
    date_reason: str = ""  # when the file's dates showed it

    def lines(self) -> list[str]:
        """What the import did (or would do), in a few sentences: the command line's and the window's words."""
        verb = "would import" if self.dry_run else "imported"
        days = f" ({self.first_day})" if self.first_day else ""
        if self.first_day and self.last_day != self.first_day:
            days = f" ({self.first_day} to {self.last_day})"
        if self.shape == "daily":
            told = [f"{self.file}: daily click counts, {plural(self.rows, 'row')} {verb}: {self.new:,} affiliate-days "
                    f"new, {self.updated:,} updated, {self.unchanged:,} unchanged{days}."]  # fmt: skip
        else:
            again = "would be attributed again" if self.dry_run else "attributed again"
            reattributed = plural(self.reattributed, "order")
            # A row repeated in the file is skipped like a click stored before: both are "already there".
            there = "already there or repeated in the file" if self.unchanged else "already there"
            told = [f"{self.file}: {plural(self.rows, 'click')} {verb}: {self.new:,} new, "
                    f"{self.unchanged:,} {there}{days}."]  # fmt: skip
            if self.new:
                told.append(f"Orders {again} because of the new clicks: {reattributed} changed.")
        if self.ignored_columns:
            told.append(f"Columns not read: {', '.join(self.ignored_columns)}.")
        if self.date_order != "ymd":
            written = DATE_ORDERS[self.date_order].split(" (")[0]
            told.append(f"Dates other than ISO 8601 read as {written} ({self.date_reason or 'as asked'}).")
        if self.dry_run:
            told.append("Dry run: nothing was changed.")
        return told


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back once everything has been counted."""

    def __init__(self, result: ClickImportResult) -> None:
        self.result = result


def import_clicks(
    db: Database,
    path: Path | str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    date_order: str | None = None,
) -> ClickImportResult:
    """Import a clicks file in one transaction; problems raise BadInput and change nothing.

    A click already stored (same affiliate, time and visitor) is counted unchanged; a daily count replaces the
    stored one for its affiliate and day (rows of one affiliate and day in the same file are added up). After
    clicks, orders not yet on a paid sheet are attributed again from the first new click's day on. A dry run
    does all of it and rolls back. `progress` is called every 10,000 rows; if it raises, nothing is kept.
    Dates written day or month first are read as `date_order` says, else as the file's own dates show.
    """
    path = Path(path)
    settings = get_program(db)
    try:
        table = open_table(path)
    except TableError as exc:
        raise BadInput(exc.problems) from exc
    with table:
        shape, at, ignored = _columns(path.name, table.header)
        date_column = at["clicked_at" if shape == "clicks" else "date"]
        dates = DateOrderFound(check_date_order(date_order)) if date_order else find_date_order(path, None, date_column)
        if dates.order is None:
            raise BadInput([unclear_dates(path.name, table.header[date_column], dates)])
        source, holder = data_rows(table)
        rows = CountedRows(source, progress, estimated_rows(path), f"Reading {path.name}")
        names = {name: table.header[index] for name, index in at.items()}
        reader = _Clicks(LocalClock(settings.timezone, dates.order), at, names, ProblemList(path.name))
        try:
            with db.write() as session:
                batch = start_batch(session, "clicks", path.name, shape, local_now(settings.timezone))
                directory = AffiliateDirectory.load(session)
                if shape == "clicks":
                    new, updated, unchanged = _import_clicks(session, reader, directory, iter(rows), batch.id)
                else:
                    new, updated, unchanged = _import_daily(session, reader, directory, iter(rows), batch.id)
                reader.problems.take(holder)
                if reader.problems.problem_count:
                    raise BadInput(reader.problems.listed())
                batch.rows, batch.new, batch.updated, batch.unchanged = rows.count, new, updated, unchanged
                reattributed = 0
                if shape == "clicks" and new and reader.first is not None:
                    rules = AttributionRules.of(settings)
                    reattributed = recompute_in_session(session, rules, since=reader.first.date())
                result = ClickImportResult(
                    file=path.name,
                    shape=shape,
                    rows=rows.count,
                    new=new,
                    updated=updated,
                    unchanged=unchanged,
                    ignored_columns=ignored,
                    first_day=reader.first.date() if reader.first else None,
                    last_day=reader.last.date() if reader.last else None,
                    reattributed=reattributed,
                    batch_id=None if dry_run else batch.id,
                    dry_run=dry_run,
                    columns=tuple((table.header[index], COLUMN_MEANINGS[name]) for name, index in at.items()),
                    date_order=dates.order,
                    date_reason=dates.reason,
                )
                if dry_run:
                    raise _DryRun(result)
        except _DryRun as done:
            return done.result
        except TableError as exc:  # the rest of the file cannot be read: nothing was kept
            raise BadInput(exc.problems) from exc
    if result.batch_id is not None:  # click floods are found in what just came in
        saved = f"{result.new:,} {'affiliate-days' if shape == 'daily' else 'clicks'} saved. "
        result = replace(result, fraud=check_after_import(db, result.batch_id, progress=progress, saved=saved))
    return result


def _columns(file: str, header: list[str]) -> tuple[str, dict[str, int], tuple[str, ...]]:
    """The file's shape (clicks or daily), where our columns are, and the columns nobody reads."""
    keys = header_positions(header)
    wanted: tuple[str, ...]
    if "clicked_at" in keys:
        shape, wanted = "clicks", CLICK_COLUMNS
    elif "date" in keys and "clicks" in keys:
        shape, wanted = "daily", DAILY_COLUMNS
    else:
        message = "needs a 'clicked_at' column (one row per click) or 'date' and 'clicks' (daily counts)"
        raise BadInput([Problem(file, 1, None, message)])
    if "affiliate_code" not in keys:
        raise BadInput([Problem(file, 1, None, "the required column 'affiliate_code' is missing")])
    at = {name: keys[name] for name in wanted if name in keys}
    twice = given_twice(header, [header[index] for index in at.values()])
    if twice:
        raise BadInput([Problem(file, 1, None, message) for message in twice])
    ignored = tuple(name for index, name in enumerate(header) if index not in at.values() and name.strip())
    return shape, at, ignored


class _Clicks:
    """Reads and checks the cells of one row; remembers the first and last time seen."""

    def __init__(self, clock: LocalClock, at: dict[str, int], names: dict[str, str], problems: ProblemList) -> None:
        self.clock = clock
        self.at = at
        self.names = names
        self.problems = problems
        self.first: datetime | None = None
        self.last: datetime | None = None

    def cell(self, cells: list[str], name: str) -> str:
        index = self.at.get(name)
        return cells[index].strip() if index is not None else ""

    def affiliate(self, directory: AffiliateDirectory, line: int, cells: list[str]) -> int | None:
        code = self.cell(cells, "affiliate_code")
        if not code:
            self.problems.problem(line, self.names["affiliate_code"], "an affiliate code is required")
            return None
        found = directory.affiliate(code)
        if found is None:
            self.problems.problem(line, self.names["affiliate_code"], f"no affiliate has the code '{code}'")
        return found

    def when(self, line: int, cells: list[str], name: str) -> datetime | None:
        try:
            when = self.clock.local(self.cell(cells, name))
        except ValueError as exc:
            self.problems.problem(line, self.names[name], str(exc))
            return None
        if self.first is None or when < self.first:
            self.first = when
        if self.last is None or when > self.last:
            self.last = when
        return when

    def optional(self, line: int, cells: list[str], name: str) -> str | None:
        value = self.cell(cells, name)
        if len(value) > MAX_LENGTH[name]:
            self.problems.problem(line, self.names[name], f"is longer than {MAX_LENGTH[name]} characters")
        return value or None


def _import_clicks(
    session: Session, reader: _Clicks, directory: AffiliateDirectory, rows: Iterator[tuple[int, list[str]]], batch: int
) -> tuple[int, int, int]:
    """Insert each click unless the same one (affiliate, time, visitor, NULL visitors included) is there."""
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    mark = placeholder(conn.dialect.paramstyle)
    same_visitor = "visitor_id IS" if sqlite else "visitor_id IS NOT DISTINCT FROM"
    sql = (
        "INSERT INTO click (clicked_at, local_date, affiliate_id, visitor_id, ip, landing_url, referrer, batch_id) "
        f"SELECT {', '.join([mark] * 7)}, {int(batch)} WHERE NOT EXISTS (SELECT 1 FROM click "
        f"WHERE affiliate_id = {mark} AND clicked_at = {mark} AND {same_visitor} {mark})"
    )
    pending: list[tuple[Any, ...]] = []
    total = 0
    for line, cells in rows:
        affiliate_id = reader.affiliate(directory, line, cells)
        when = reader.when(line, cells, "clicked_at")
        visitor = reader.optional(line, cells, "visitor_id")
        extra = [reader.optional(line, cells, name) for name in ("ip", "landing_url", "referrer")]
        total += 1
        if affiliate_id is None or when is None or reader.problems.problem_count:
            continue
        stamp: Any = when.isoformat(" ", "microseconds") if sqlite else when
        day: Any = when.date().isoformat() if sqlite else when.date()
        pending.append((stamp, day, affiliate_id, visitor, *extra, affiliate_id, stamp, visitor))
        if len(pending) >= BATCH_ROWS:
            conn.exec_driver_sql(sql, pending)
            pending = []
    if pending and not reader.problems.problem_count:
        conn.exec_driver_sql(sql, pending)
    new = session.scalar(select(func.count()).select_from(Click).where(Click.batch_id == batch)) or 0
    return new, 0, total - new


def _import_daily(
    session: Session, reader: _Clicks, directory: AffiliateDirectory, rows: Iterator[tuple[int, list[str]]], batch: int
) -> tuple[int, int, int]:
    """Replace the count of each affiliate and day the file names."""
    counts: dict[tuple[int, date], int] = {}
    for line, cells in rows:
        affiliate_id = reader.affiliate(directory, line, cells)
        when = reader.when(line, cells, "date")
        text = reader.cell(cells, "clicks")
        if not WHOLE_NUMBER.fullmatch(text):
            reader.problems.problem(line, reader.names["clicks"], f"'{text}' is not a whole number of clicks")
            continue
        if affiliate_id is not None and when is not None:
            key = (affiliate_id, when.date())
            counts[key] = counts.get(key, 0) + int(re.sub(r"\D", "", text))
    if reader.problems.problem_count or not counts:
        return 0, 0, 0
    days = [day for _, day in counts]
    stored = {
        (affiliate_id, day): clicks
        for affiliate_id, day, clicks in session.execute(
            select(DailyClicks.affiliate_id, DailyClicks.day, DailyClicks.clicks).where(
                DailyClicks.day >= min(days), DailyClicks.day <= max(days)
            )
        )
    }
    changed = [(key, clicks) for key, clicks in counts.items() if stored.get(key) != clicks]
    new = sum(1 for key, _ in changed if key not in stored)
    conn = session.connection()
    mark = placeholder(conn.dialect.paramstyle)
    sqlite = conn.dialect.name == "sqlite"
    sql = (
        f"INSERT INTO daily_clicks (affiliate_id, day, clicks, batch_id) VALUES ({mark}, {mark}, {mark}, {int(batch)}) "
        "ON CONFLICT (affiliate_id, day) DO UPDATE SET clicks = excluded.clicks, batch_id = excluded.batch_id"
    )
    for first in range(0, len(changed), BATCH_ROWS):
        chunk = changed[first : first + BATCH_ROWS]
        conn.exec_driver_sql(sql, [(a, d.isoformat() if sqlite else d, c) for (a, d), c in chunk])
    return new, len(changed) - new, len(counts) - len(changed)
