"""Reading user-supplied CSV and XLSX tables row by row, with exact file/line/column positions for errors."""

import codecs
import csv
import datetime as dt
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Protocol

# A declared total above this is refused before openpyxl sees the archive (zip bombs). Python's zipfile never
# inflates a member past its declared size, so checking the declared sizes is enough.
MAX_XLSX_UNCOMPRESSED_BYTES = 1 << 30
# Row problems kept in Table.problems; the rest are only counted, so a broken file stays small in memory.
MAX_LISTED_PROBLEMS = 200
CSV_DELIMITERS = (",", ";", "\t", "|")

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm"})
_SCAN_CHUNK_BYTES = 1 << 18
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls
_CP1252_UNDEFINED = re.compile(b"[\x81\x8d\x8f\x90\x9d]")
_HEADER_SEPARATORS = re.compile(r"[\s_\-]+")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as precisely as the reader knows."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        # Spreadsheet users count rows, CSV users count lines.
        word = "row" if Path(self.file).suffix.lower() in XLSX_SUFFIXES else "line"
        parts = [self.file]
        if self.line is not None:
            parts.append(f"{word} {self.line}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return f"{', '.join(parts)}: {self.message}"


class TableError(Exception):
    """A file that cannot be read as a table (or, via Table.raise_for_problems, rows that were rejected)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)

    def __reduce__(self) -> tuple[type["TableError"], tuple[list[Problem]]]:
        return (type(self), (self.problems,))


def _fail(file: str, message: str, line: int | None = None) -> TableError:
    return TableError([Problem(file, line, None, message)])


class _Source(Protocol):
    # One iterator per source: open_table takes the header from it, Table.rows() continues with the rest.
    records: Iterator[tuple[int, list[str]]]

    def close(self) -> None: ...


@dataclass(eq=False)
class Table:
    """An open table: `header` is read, `rows()` streams the rest once. Use as a context manager.

    Row-level faults (a row with more non-empty cells than the header has columns) do not stop reading: the
    row is left out of `rows()` and a Problem is appended to `problems` *before* the next row is yielded, so a
    caller can check `problems` at any point, or call `raise_for_problems()` after the loop. `problem_count`
    counts all of them, `problems` keeps the first MAX_LISTED_PROBLEMS. Faults that make the rest of the file
    unreadable (damaged archive, an unclosed quote, undecodable bytes) raise TableError from `rows()`.
    """

    path: Path
    header: list[str]
    encoding: str | None
    delimiter: str | None
    kind: str
    sheet: str | None = None
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    _source: _Source | None = field(default=None, init=False, repr=False)
    _started: bool = field(default=False, init=False, repr=False)

    def __enter__(self) -> "Table":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Yield (line or row number, cells aligned to `header`, padded with ""); blank rows are skipped.

        Cells are the text as in the file, not stripped. The stream can be iterated only once.
        """
        if self._started:
            raise RuntimeError("Table.rows() can be iterated only once")
        if self._source is None:
            raise RuntimeError("the table is closed")
        self._started = True
        return self._aligned_rows(self._source.records)

    def raise_for_problems(self) -> None:
        """Raise TableError listing the row problems found so far, if any."""
        if not self.problem_count:
            return
        listed = list(self.problems)
        unlisted = self.problem_count - len(listed)
        if unlisted:
            more = f"{unlisted:,} more rows with problems not listed"
            listed.append(Problem(self.path.name, None, None, more))
        raise TableError(listed)

    def _aligned_rows(self, records: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
        width = len(self.header)
        for line, cells in records:
            used = _used_width(cells)
            if used == 0:
                continue
            if used > width:
                self._add_problem(line, self._too_wide_message(used, width))
                continue
            if len(cells) > width:
                cells = cells[:width]  # only empty cells beyond the header, as spreadsheets like to write
            elif len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield line, cells

    def _too_wide_message(self, used: int, width: int) -> str:
        message = f"the row has {used} cells but the header has only {width} columns"
        if self.kind == "csv":
            message += f" (is there an unquoted '{self.delimiter}' in a value?)"
        return message

    def _add_problem(self, line: int, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(Problem(self.path.name, line, None, message))


def normalise_header(name: str) -> str:
    """Key for matching column names, case-insensitive: " Paid-at " and "paid_at" both give "paid_at"."""
    return _HEADER_SEPARATORS.sub("_", name.strip().lower())


def open_table(path: Path | str, *, sheet: str | None = None) -> Table:
    """Open a CSV or XLSX file and read its header; every failure is a TableError with a readable message.

    XLSX is recognised by its suffix or ZIP signature; `sheet` picks a worksheet (default: the active one).
    """
    path = Path(path)
    name = path.name
    try:
        with path.open("rb") as probe:
            magic = probe.read(len(_OLE_MAGIC))
    except OSError as exc:
        raise _fail(name, f"cannot be opened: {exc.strerror or exc}") from exc
    if magic.startswith(_OLE_MAGIC) or path.suffix.lower() == ".xls":
        raise _fail(name, "is an old Excel 97-2003 (.xls) file; save it as .xlsx or CSV and import that")
    if path.suffix.lower() in XLSX_SUFFIXES or magic.startswith(_ZIP_MAGIC):
        xlsx = _XlsxSource(path, name, sheet)
        return _with_header(Table(path, [], None, None, "xlsx", sheet=xlsx.sheet), xlsx)
    encoding = _detect_encoding(path, name)
    csv_source = _CsvSource(path, name, encoding)
    return _with_header(Table(path, [], encoding, csv_source.delimiter, "csv"), csv_source)


def _with_header(table: Table, source: _Source) -> Table:
    try:
        for _line, cells in source.records:
            used = _used_width(cells)
            if used:
                table.header = [cell.strip() for cell in cells[:used]]
                break
        else:
            raise _fail(table.path.name, "is empty: there is no header row")
    except BaseException:
        source.close()
        raise
    table._source = source
    return table


def _used_width(cells: list[str]) -> int:
    """Number of cells up to and including the last one that is not blank."""
    for index in range(len(cells) - 1, -1, -1):
        if cells[index].strip():
            return index + 1
    return 0


# --- CSV ----------------------------------------------------------------------------------------------------


def _detect_encoding(path: Path, name: str) -> str:
    """UTF-8 (with or without BOM) if every byte decodes as such, else cp1252; UTF-16/32 by their BOM.

    The whole file is scanned in chunks: an export can be ASCII for a million lines and have its first "é" at
    the end, and decoding must not fail half-way through an import.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines_before = 0
    utf8_error_line: int | None = None
    cp1252_error_line: int | None = None
    with path.open("rb") as raw:
        head = raw.read(4)
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            return "utf-32"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        has_bom = head.startswith(codecs.BOM_UTF8)
        raw.seek(0)
        while chunk := raw.read(_SCAN_CHUNK_BYTES):
            if b"\x00" in chunk:
                line = lines_before + chunk[: chunk.index(b"\x00")].count(b"\n") + 1
                raise _fail(name, "contains NUL bytes: it is not a text (CSV) file", line)
            if chunk.isascii() and not decoder.getstate()[0]:  # plain ASCII (most exports): both decode it
                lines_before += chunk.count(b"\n")
                continue
            if utf8_error_line is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    utf8_error_line = lines_before + exc.object[: exc.start].count(b"\n") + 1
            if cp1252_error_line is None and (bad := _CP1252_UNDEFINED.search(chunk)):
                cp1252_error_line = lines_before + chunk[: bad.start()].count(b"\n") + 1
            lines_before += chunk.count(b"\n")
        if utf8_error_line is None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_error_line = lines_before + 1
    if utf8_error_line is None:
        return "utf-8-sig" if has_bom else "utf-8"
    if has_bom:
        raise _fail(name, "starts with a UTF-8 mark but contains bytes that are not UTF-8", utf8_error_line)
    if cp1252_error_line is not None:
        raise _fail(name, "is neither UTF-8 nor Windows-1252 text; save it as CSV UTF-8", cp1252_error_line)
    return "cp1252"


def _detect_delimiter(first_line: str) -> str:
    """The candidate that occurs most often outside quotes in the header line; "," on a tie or none."""
    counts = dict.fromkeys(CSV_DELIMITERS, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(CSV_DELIMITERS, key=lambda candidate: counts[candidate])  # max keeps the first of equals
    return best if counts[best] else ","


class _CsvSource:
    def __init__(self, path: Path, name: str, encoding: str) -> None:
        self._name = name
        self._at_eof = False
        try:
            self._file: IO[str] = path.open(encoding=encoding, newline="")
        except OSError as exc:
            raise _fail(name, f"cannot be opened: {exc.strerror or exc}") from exc
        try:
            self.delimiter = self._sniff()
        except BaseException:
            self._file.close()
            raise
        self._reader = csv.reader(self._lines(), delimiter=self.delimiter)
        self.records = self._records()

    def _sniff(self) -> str:
        try:
            for text in self._file:
                if text.strip():
                    return _detect_delimiter(text)
        except UnicodeDecodeError as exc:
            raise _fail(self._name, f"cannot be decoded: {exc.reason}") from exc
        finally:
            self._file.seek(0)
        return ","

    def _lines(self) -> Iterator[str]:
        yield from self._file
        self._at_eof = True

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        while True:
            # line_num counts physical lines consumed so far, so a quoted multi-line field still reports the
            # line the record starts on.
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                message = f"is not valid CSV ({exc}); is a quote opened on this line never closed?"
                raise _fail(self._name, message, start) from exc
            except UnicodeDecodeError as exc:
                raise _fail(self._name, f"cannot be decoded: {exc.reason}", start) from exc
            if self._at_eof:
                # The reader only pulls past the last line when a quoted field is still open.
                raise _fail(self._name, "a quote opened on this line is never closed", start)
            yield start, cells

    def close(self) -> None:
        self._file.close()


# --- XLSX ---------------------------------------------------------------------------------------------------


def _check_archive(handle: IO[bytes], name: str) -> None:
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise _fail(name, "is damaged or is not an Excel .xlsx workbook") from exc
    finally:
        handle.seek(0)
    declared = sum(member.file_size for member in members)
    if declared > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise _fail(
            name,
            f"would unpack to {declared:,} bytes, more than the {MAX_XLSX_UNCOMPRESSED_BYTES:,} allowed; "
            "it was not opened",
        )
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or not any(entry.startswith("xl/") for entry in names):
        raise _fail(name, "is a ZIP archive but not an Excel .xlsx workbook")


class _XlsxSource:
    def __init__(self, path: Path, name: str, sheet: str | None) -> None:
        self._name = name
        try:
            self._handle: IO[bytes] = path.open("rb")
        except OSError as exc:
            raise _fail(name, f"cannot be opened: {exc.strerror or exc}") from exc
        self._workbook: Any = None
        try:
            _check_archive(self._handle, name)
            try:
                # A file object, not the path: openpyxl refuses paths whose suffix it does not know.
                from openpyxl import load_workbook  # here, not at import: it costs start-up time

                self._workbook = load_workbook(self._handle, read_only=True, data_only=True)
            except Exception as exc:  # openpyxl raises anything from KeyError to XML errors on bad input
                raise _fail(name, f"cannot be read as an Excel workbook ({exc})") from exc
            from openpyxl.worksheet._read_only import ReadOnlyWorksheet

            worksheets = [ws for ws in self._workbook.worksheets if isinstance(ws, ReadOnlyWorksheet)]
            if sheet is not None:
                chosen = next((ws for ws in worksheets if ws.title == sheet), None)
                if chosen is None:
                    titles = ", ".join(f"'{ws.title}'" for ws in worksheets) or "none"
                    raise _fail(name, f"has no worksheet named '{sheet}' (worksheets: {titles})")
            else:
                active = self._workbook.active
                chosen = active if isinstance(active, ReadOnlyWorksheet) else next(iter(worksheets), None)
                if chosen is None:
                    raise _fail(name, "has no worksheets")
        except BaseException:
            self.close()
            raise
        self._worksheet = chosen
        self.sheet: str = chosen.title
        self.records = self._records()

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        worksheet = self._worksheet
        # Declared dimensions are often wrong (or a million rows of formatting); read what is really there.
        worksheet.reset_dimensions()
        number = 0
        try:
            for number, cells in enumerate(worksheet.iter_rows(min_row=1, min_col=1), start=1):
                yield number, [_cell_text(cell) for cell in cells]
        except TableError:
            raise
        except Exception as exc:  # damaged XML or ZIP data found while streaming
            raise _fail(self._name, f"cannot be read any further ({exc})", number + 1) from exc

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None
        self._handle.close()


def _cell_text(cell: Any) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and _is_date_only_format(cell.number_format):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _is_date_only_format(number_format: str | None) -> bool:
    from openpyxl.styles.numbers import is_datetime

    return bool(number_format) and is_datetime(number_format) == "date"


def float_text(value: float) -> str:
    """Shortest decimal text of a float without exponent or float artefacts: 19.9 -> "19.9", 20.0 -> "20"."""
    if not math.isfinite(value):
        return repr(value)
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
