"""Opening an order file: which reader reads it (preset, detected or mapped), its decimal convention, counted rows."""

from __future__ import annotations

import csv
import gc
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Protocol

from desktop.services.conversion_columns import OrderBatch
from desktop.services.conversion_parse import BLOCK_ROWS, GenericReader, OrderRecord, ReadContext, Rows
from desktop.services.conversion_presets import (
    PRESET_LABELS,
    PRESETS,
    SHOPIFY_REQUIRED,
    STRIPE_CREATED,
    STRIPE_REQUIRED,
    WOOCOMMERCE_REQUIRED,
    PresetChoice,
    detect_preset,
    given_twice,
    header_positions,
    missing_columns,
    resolve_generic,
)
from desktop.services.conversion_shops import ShopifyReader, StripeReader, WooCommerceReader
from desktop.services.conversion_values import (
    DATE_ORDERS,
    DOT,
    ConventionFinder,
    DecimalConvention,
    both_readings,
    date_order_shown,
)
from desktop.services.errors import BadInput
from desktop.services.tabular import (
    MAX_LISTED_PROBLEMS,
    XLSX_SUFFIXES,
    Problem,
    Table,
    TableError,
    open_table,
)

Progress = Callable[[int, int, str], None]
PROGRESS_EVERY = 10_000
LOOKAHEAD_ROWS = 1000
_SHOP_REQUIRED = {"shopify": SHOPIFY_REQUIRED, "woocommerce": WOOCOMMERCE_REQUIRED, "stripe": STRIPE_REQUIRED}


class OrderReader(Protocol):
    preset: str
    header: list[str]

    def described_columns(self) -> tuple[tuple[str, str], ...]: ...

    def amount_texts(self, cells: list[str]) -> Iterable[str]: ...

    def date_column(self) -> int | None: ...

    def referral_column(self) -> str: ...

    def orders(self, rows: Rows, ctx: ReadContext) -> Iterator[OrderRecord | OrderBatch]: ...


@dataclass(frozen=True)
class ReaderChoice:
    reader: OrderReader | None
    choice: PresetChoice
    ignored: tuple[str, ...]
    problems: tuple[str, ...]  # header-level, without the file name


def choose_reader(header: Sequence[str], preset: str | None, mapping: Mapping[str, str] | None) -> ReaderChoice:
    """The reader for a header: the mapping's, the named preset's, else the one the header looks like."""
    if mapping:
        if preset not in (None, "generic"):
            problem = f"a column mapping replaces the {preset} preset; give one or the other"
            return ReaderChoice(None, PresetChoice("mapping", ""), (), (problem,))
        columns = resolve_generic(header, mapping)
        shown = ", ".join(f"{field} <- '{theirs}'" for field, theirs in mapping.items() if theirs)
        choice = PresetChoice("mapping", f"{PRESET_LABELS['mapping']}: {shown}")
        generic = GenericReader(header, columns.positions)
        return ReaderChoice(generic, choice, columns.ignored, (*columns.problems, *_twice(header, generic)))
    if preset is None:
        detected = detect_preset(header)
        if detected is None:
            problem = ("cannot tell which export this is: the header has none of the generic, Shopify, WooCommerce "
                       "or Stripe columns, and no saved column mapping fits it; choose a preset, or map its columns "
                       "once (Map columns… in the import window) and save the mapping")  # fmt: skip
            return ReaderChoice(None, PresetChoice("unknown", ""), (), (problem,))
        choice = detected
    elif preset not in PRESETS:
        problem = f"unknown preset '{preset}' (known: {', '.join(PRESETS)})"
        return ReaderChoice(None, PresetChoice(preset, ""), (), (problem,))
    else:
        choice = PresetChoice(preset, f"{PRESET_LABELS[preset]}, as chosen")
    if choice.name == "generic":
        columns = resolve_generic(header)
        generic = GenericReader(header, columns.positions)
        return ReaderChoice(generic, choice, columns.ignored, (*columns.problems, *_twice(header, generic)))
    missing = missing_columns(header, _SHOP_REQUIRED[choice.name])
    problems = [f"the required column '{name}' is missing" for name in missing]
    if choice.name == "stripe" and not any(key in header_positions(header) for key in STRIPE_CREATED):
        problems.append("the required column 'Created date (UTC)' (or 'Created (UTC)') is missing")
    readers: dict[str, type[ShopifyReader | WooCommerceReader | StripeReader]] = {
        "shopify": ShopifyReader,
        "woocommerce": WooCommerceReader,
        "stripe": StripeReader,
    }
    reader = readers[choice.name](header)
    used = {theirs for theirs, _ in reader.described_columns()}
    ignored = tuple(name for name in header if name.strip() and name not in used)
    return ReaderChoice(reader, choice, ignored, (*problems, *_twice(header, reader)))


def _twice(header: Sequence[str], reader: OrderReader) -> list[str]:
    return given_twice(header, [theirs for theirs, _meaning in reader.described_columns()])


Block = tuple[list[int], list[list[str]]]  # the file lines of some rows, and their cells


class Ahead(Iterator[tuple[int, list[str]]]):
    """The rows of a file after a look at its first ones: one at a time, or (blocks()) many at a time.

    A reader uses one way or the other, never both.
    """

    def __init__(self, taken: list[Block], rest: Iterator[Block]) -> None:
        self._taken = taken
        self._rest = rest
        self._rows = self._one_by_one()

    def __next__(self) -> tuple[int, list[str]]:
        return next(self._rows)

    @property
    def taken(self) -> list[Block]:
        """The blocks looked at before reading on (until blocks() hands them over)."""
        return self._taken

    def _one_by_one(self) -> Iterator[tuple[int, list[str]]]:
        for lines, cells in self.blocks():
            yield from zip(lines, cells, strict=True)

    def blocks(self) -> Iterator[Block]:
        taken, self._taken = self._taken, []
        yield from taken
        yield from self._rest


def find_convention(
    path: Path, rows: CountedRows, reader: OrderReader, default: str = DOT
) -> tuple[DecimalConvention, Ahead]:
    """The file's decimal separator, from the first amount cell that shows one, and the rows to read on with.

    The first rows are looked at as they are read; only a file that hasn't told after LOOKAHEAD_ROWS rows is
    read a second time, to its end if need be (a file of "1,234"s only takes the program's convention).
    """
    finder = ConventionFinder()
    blocks = rows.blocks(BLOCK_ROWS)
    taken: list[Block] = []
    looked = 0
    found = False
    for lines, cells in blocks:
        taken.append((lines, cells))
        for line, row in zip(lines, cells, strict=True):
            looked += 1
            if finder.feed(line, reader.amount_texts(row)):
                found = True
                break
            if looked >= LOOKAHEAD_ROWS:
                with open_table(path) as again:
                    for later, later_cells in again.rows():
                        if later > line and finder.feed(later, reader.amount_texts(later_cells)):
                            break
                found = True
                break
        if found:
            break
    return finder.result(default), Ahead(taken, blocks)


@dataclass(frozen=True)
class DateOrderFound:
    """How a file writes its dates, from the first date that shows it; `order` None when none does (every date
    could be day or month first): then `line` and `text` are the first such date."""

    order: str | None
    reason: str = ""  # "'13/10/2026' on line 5 shows it"
    line: int = 0
    text: str = ""


class DateOrderScan:
    """Looks at a file's dates one row at a time for the first that shows how they are written."""

    def __init__(self, column: int) -> None:
        self.column = column
        self.unclear: tuple[int, str] | None = None  # the first date that could be either

    def look(self, line: int, cells: list[str]) -> DateOrderFound | None:
        """The answer, once this row gives it: ISO 8601 as the file's first date, or a day above 12."""
        text = cells[self.column] if self.column < len(cells) else ""
        shown = date_order_shown(text)
        if shown == "ymd" and self.unclear is None:
            return DateOrderFound("ymd")
        if shown in ("dmy", "mdy"):
            return DateOrderFound(shown, f"'{text.strip()}' on line {line} shows it")
        if shown == "either" and self.unclear is None:
            self.unclear = (line, text.strip())
        return None

    def rest(self, path: Path, after: int = 0) -> DateOrderFound:
        """Read the file (again) past line `after` for the answer, to its end if need be."""
        with open_table(path) as again:
            for line, row in again.rows():
                if line > after and (found := self.look(line, row)) is not None:
                    return found
        if self.unclear is None:  # no date at all: each row's own date is checked as it is read
            return DateOrderFound("ymd")
        return DateOrderFound(None, line=self.unclear[0], text=self.unclear[1])


def find_date_order(path: Path, ahead: Ahead | None, column: int | None) -> DateOrderFound:
    """A file whose first date is ISO 8601 is read as such at once. Otherwise the first date written day first
    (13/10/2026) or month first (10/13/2026) decides: in the rows looked at already (`ahead`), else further on,
    read again to the end if need be, as find_convention() does."""
    if column is None:
        return DateOrderFound("ymd")
    scan = DateOrderScan(column)
    last = 0
    for lines, cells in ahead.taken if ahead is not None else []:
        for line, row in zip(lines, cells, strict=True):
            found = scan.look(line, row)
            if found is not None:
                return found
            last = line
    if ahead is not None and scan.unclear is None:  # no date in the first rows: each row's is checked as read
        return DateOrderFound("ymd")
    return scan.rest(path, last)


def check_date_order(order: str) -> str:
    """A date order the user gave, or BadInput naming the known ones."""
    if order not in DATE_ORDERS:
        raise BadInput(f"unknown date order '{order}' (known: {', '.join(DATE_ORDERS)})")
    return order


def unclear_dates(file: str, column: str | None, dates: DateOrderFound) -> Problem:
    """The problem of a file whose dates could all be day or month first: the first one, read both ways."""
    message = (
        f"'{dates.text}' could be day first or month first ({both_readings(dates.text)}), and no date in the file "
        "shows which: say how the file writes dates (in the import window, 'Dates are written'; on the command "
        "line, --dates dmy or --dates mdy)"
    )
    return Problem(file, dates.line, column, message)


class CsvRows:
    """The data rows of a CSV table, as Table.rows() gives them, with less work per row.

    A million rows pass through here: the cells are aligned to the header only when their number differs,
    and a blank row is looked for only when its first cell is blank. Rows with more cells than the header are
    left out and listed in `problems`, as Table does.
    """

    def __init__(self, table: Table) -> None:
        self.table = table
        self.problems: list[Problem] = []
        self.problem_count = 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        with self.table.path.open(encoding=self.table.encoding, newline="") as handle:
            yield from self._rows_of(handle, None, None)

    def _rows_of(
        self, handle: Iterable[str], skipped: int | None, limit: int | None
    ) -> Iterator[tuple[int, list[str]]]:
        """The data rows from the handle's position: after the header (skipped None), else after that many lines
        (at most `limit` raw rows then)."""
        table, width = self.table, len(self.table.header)
        ended = False

        def lines() -> Iterator[str]:
            nonlocal ended
            yield from handle
            ended = True

        reader = csv.reader(lines(), delimiter=table.delimiter or ",")
        offset = skipped or 0
        if skipped is None:
            for cells in reader:  # up to the header: the first row that is not blank
                if any(cell.strip() for cell in cells):
                    break
        taken = 0
        while limit is None or taken < limit:
            start = offset + reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                message = f"is not valid CSV ({exc}); is a quote opened on this line never closed?"
                raise TableError([Problem(table.path.name, start, None, message)]) from exc
            taken += 1
            if ended:  # the reader only reads past the last line when a quoted cell is still open
                raise TableError([Problem(table.path.name, start, None, "a quote opened here is never closed")])
            if len(cells) != width:
                aligned = self._aligned(start, cells, width)
                if aligned is None:
                    continue
                cells = aligned
            elif not cells[0].strip() and not any(cell.strip() for cell in cells):
                continue
            yield start, cells

    def blocks(self, size: int) -> Iterator[Block]:
        """The rows as __iter__ gives them, `size` raw rows at a time, with C loops for ordinary blocks.

        A block whose rows span more lines than one each (a quoted cell with line breaks), the last block (where
        a quote left open would show) and a block the csv module rejects are read again from the file, row by
        row, the way __iter__ reads them: the same lines, the same problems. Which block is the last is known
        when the next read comes back short, so each full block waits for the next read.
        """
        table, width = self.table, len(self.table.header)
        with table.path.open(encoding=table.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=table.delimiter or ",")
            for cells in reader:  # up to the header: the first row that is not blank
                if any(cell.strip() for cell in cells):
                    break
            waiting: tuple[int, list[list[str]], int] | None = None  # a full block: its first line, rows, last line
            while True:
                before = reader.line_num
                try:
                    block: list[list[str]] | None = list(islice(reader, size))
                except csv.Error:
                    block = None
                if block is not None and len(block) == size:
                    if waiting is not None:
                        yield self._checked(*waiting, width)
                    waiting = (before, block, reader.line_num)
                    continue
                if waiting is not None:  # the last full block, unless rows follow
                    if block:
                        yield self._checked(*waiting, width)
                    else:
                        yield from self._again(waiting[0], size)
                if block is None or block:  # the short last block, or the one the csv module rejected
                    yield from self._again(before, size)
                if block is None:
                    message = "could not be read as CSV from here on"
                    raise TableError([Problem(table.path.name, before + 1, None, message)])
                return

    def _checked(self, before: int, block: list[list[str]], after: int, width: int) -> Block:
        """An ordinary block with its lines; one with rows spanning lines is read again."""
        if after - before != len(block):
            again = list(self._again(before, len(block)))
            return again[0] if again else ([], [])
        numbers = list(range(before + 1, before + 1 + len(block)))
        firsts = map(str.strip, map(itemgetter(0), block))
        if len(set(map(len, block))) != 1 or len(block[0]) != width or not all(firsts):
            numbers, block = self._ordinary(numbers, block, width)
        return numbers, block

    def _ordinary(self, numbers: list[int], block: list[list[str]], width: int) -> Block:
        """The rows __iter__ would give: blank ones left out, the others aligned to the header."""
        kept_lines: list[int] = []
        kept: list[list[str]] = []
        for line, cells in zip(numbers, block, strict=True):
            if len(cells) != width:
                aligned = self._aligned(line, cells, width)
                if aligned is None:
                    continue
                cells = aligned
            elif not cells[0].strip() and not any(cell.strip() for cell in cells):
                continue
            kept_lines.append(line)
            kept.append(cells)
        return kept_lines, kept

    def _again(self, skip: int, size: int) -> Iterator[Block]:
        """Up to `size` raw rows from line skip + 1, read row by row (__iter__'s way): one block, then the problem
        that stopped them, if one did."""
        table = self.table
        numbers: list[int] = []
        block: list[list[str]] = []
        with table.path.open(encoding=table.encoding, newline="") as handle:
            deque(islice(handle, skip), maxlen=0)
            try:
                for line, cells in self._rows_of(handle, skip, size):
                    numbers.append(line)
                    block.append(cells)
            except TableError:
                if numbers:
                    yield numbers, block
                raise
        if numbers:
            yield numbers, block

    def _aligned(self, line: int, cells: list[str], width: int) -> list[str] | None:
        used = len(cells)
        while used and not cells[used - 1].strip():
            used -= 1
        if used == 0:
            return None
        if used > width:
            self.problem_count += 1
            if len(self.problems) < MAX_LISTED_PROBLEMS:
                message = f"the row has {used} cells but the header has only {width} columns"
                message += f" (is there an unquoted '{self.table.delimiter}' in a value?)"
                self.problems.append(Problem(self.table.path.name, line, None, message))
            return None
        return cells[:width] if len(cells) > width else cells + [""] * (width - len(cells))


def data_rows(table: Table) -> tuple[Iterable[tuple[int, list[str]]], Table | CsvRows]:
    """The table's rows, and what holds the rows it left out: the quick reader for CSV files."""
    if table.kind == "csv":
        rows = CsvRows(table)
        return rows, rows
    return table.rows(), table


def estimated_rows(path: Path) -> int:
    """Lines of a CSV file (for progress), counted on the raw bytes; 0 (unknown) for a workbook."""
    if path.suffix.lower() in XLSX_SUFFIXES:
        return 0
    count = 0
    with path.open("rb") as raw:
        while chunk := raw.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def _blocks_of(rows: Iterable[tuple[int, list[str]]], size: int) -> Iterator[Block]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield [line for line, _ in chunk], [cells for _, cells in chunk]


_gc_lock = threading.Lock()
_gc_users = 0
_gc_threshold: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the young-generation collector far less often while a big file streams through.

    A million rows allocate millions of short-lived lists; with the default threshold the collector runs every
    700 allocations and walks the growing heap (about a quarter of an import's time). Nothing is disabled.
    """
    global _gc_users, _gc_threshold
    with _gc_lock:
        if _gc_users == 0:
            _gc_threshold = gc.get_threshold()
            gc.set_threshold(50_000, *_gc_threshold[1:])
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0 and _gc_threshold is not None:
                gc.set_threshold(*_gc_threshold)


class CountedRows:
    """The rows of a table, counted, with progress every PROGRESS_EVERY rows (a raising callback cancels).

    progress(done, total, what) gets the file line reached and the file's lines (0 when unknown: a workbook).
    """

    def __init__(self, rows: Iterable[tuple[int, list[str]]], progress: Progress | None, total: int, what: str) -> None:
        self._rows = rows
        self._progress = progress
        self._total = total
        self._what = what
        self.count = 0

    def blocks(self, size: int) -> Iterator[Block]:
        """The rows a block at a time (CsvRows reads them so; other tables are cut into blocks here)."""
        progress, total, what = self._progress, self._total, self._what
        source = self._rows.blocks(size) if isinstance(self._rows, CsvRows) else _blocks_of(self._rows, size)
        count = 0
        try:
            for lines, cells in source:
                before, count = count, count + len(lines)
                if progress is not None and count // PROGRESS_EVERY > before // PROGRESS_EVERY:
                    for reached in range((before // PROGRESS_EVERY + 1) * PROGRESS_EVERY, count + 1, PROGRESS_EVERY):
                        line = lines[reached - before - 1]
                        self.count = reached
                        progress(line, max(total, line) if total else 0, f"{what}: {reached:,} rows")
                yield lines, cells
        finally:
            self.count = count

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        progress, total, what = self._progress, self._total, self._what
        count = 0
        try:
            for item in self._rows:
                count += 1
                if progress is not None and count % PROGRESS_EVERY == 0:
                    self.count = count
                    progress(item[0], max(total, item[0]) if total else 0, f"{what}: {count:,} rows")
                yield item
        finally:
            self.count = count
