"""Values in order and click files: amounts by the file's decimal convention, times in the program's zone."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import compress, repeat
from operator import is_
from zoneinfo import ZoneInfo

DOT, COMMA = ".", ","
_SPACES = re.compile("[ \u00a0\u202f]")
# An amount with an optional thousands separator every three digits and at most two decimals, per convention.
_AMOUNT = {
    DOT: re.compile(r"(-?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d*))?"),
    COMMA: re.compile(r"(-?)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d*))?"),
}
_NAMES = {DOT: "a dot", COMMA: "a comma"}
_UTC_WORDS = re.compile(r"\s*(UTC|GMT)$", re.IGNORECASE)
# How a file writes its dates when not as ISO 8601 (which is always understood): said by the user (the mapping
# dialog, the import window, --dates) or shown by the file's own dates, never guessed row by row. 03/10/2026 is
# 3 October for "dmy", 10 March for "mdy".
DATE_ORDERS = {
    "ymd": "year-month-day (2026-10-03)",
    "dmy": "day/month/year (03/10/2026, 3.10.2026)",
    "mdy": "month/day/year (10/03/2026)",
}
_ISO_START = re.compile(r"\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")  # year first: 2026-10-03, 2026/10/03, 2026.10.3
_NUMERIC_START = re.compile(r"\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_TIME = r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?)?"
_NUMERIC_DATE = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})" + _TIME)
_YEAR_FIRST_DATE = re.compile(r"(\d{4})[./](\d{1,2})[./](\d{1,2})" + _TIME)  # 2026/10/03 14:05 (ISO has dashes)


@dataclass(frozen=True)
class DecimalConvention:
    """How a file writes its amounts: the decimal separator and why we think so."""

    separator: str  # DOT or COMMA
    reason: str

    @property
    def name(self) -> str:
        return f"{_NAMES[self.separator]} decimal separator"


def shown_separator(text: str) -> str | None:
    """The decimal separator an amount text proves, or None when it can't tell ("399", "1,234", "1.234")."""
    text = text.strip()
    has_dot, has_comma = "." in text, "," in text
    if has_dot and has_comma:
        return DOT if text.rfind(".") > text.rfind(",") else COMMA
    if not (has_dot or has_comma):
        return None
    mark = "." if has_dot else ","
    other = COMMA if mark == "." else DOT
    if text.count(mark) > 1:  # "1,234,567": a thousands separator, so the decimal one is the other
        return other
    decimals = len(text) - text.index(mark) - 1
    if decimals == 3:
        return None  # "1,234" is a thousand and some, or one and a bit: the file has to say
    return mark if decimals in (1, 2) else None  # "12,5", "399,00", "12.50"


class ConventionFinder:
    """Decides a file's decimal separator from its amount cells: the first one that shows it settles the file.

    Cells that disagree with it are reported as errors when the file is read, never re-guessed per row.
    """

    def __init__(self) -> None:
        self.found: DecimalConvention | None = None

    def feed(self, line: int, texts: Iterable[str]) -> bool:
        """True once the convention is known."""
        for text in texts:
            if text and (separator := shown_separator(text)) is not None:
                self.found = DecimalConvention(separator, f"'{text.strip()}' on line {line} shows it")
                return True
        return False

    def result(self, default: str = DOT) -> DecimalConvention:
        if self.found is not None:
            return self.found
        return DecimalConvention(
            default, f"no amount in the file shows its decimal separator; the program's ({_NAMES[default]}) is used"
        )


class AmountReader:
    """Amounts in integer cents, read by one decimal convention for the whole file."""

    def __init__(self, convention: DecimalConvention) -> None:
        self.convention = convention
        self._match = _AMOUNT[convention.separator].fullmatch
        self._separator = convention.separator
        mark = re.escape(convention.separator)
        self._plain_column = re.compile(rf"(?:[0-9]+{mark}[0-9][0-9]\n)*[0-9]+{mark}[0-9][0-9]")
        self._seen: dict[str, int] = {}

    CACHE_SIZE = 50_000  # prices repeat: a shop has a few hundred

    def cents(self, text: str) -> int:
        """The amount in cents; ValueError with a message for the user when it isn't one."""
        known = self._seen.get(text)
        if known is None:
            known = self._read(text)
            if len(self._seen) >= self.CACHE_SIZE:
                self._seen.clear()
            self._seen[text] = known
        return known

    def cents_many(self, texts: Sequence[str]) -> list[int]:
        """cents() of each text; ValueError at the first that is no amount.

        A column of plain amounts with two decimals ("1234.50") is read in one go: one regular expression checks
        them all, and int() reads them without the separator. (Looking each up in the cache costs more: a big
        dictionary misses the processor's caches.)
        """
        if texts:
            joined = "\n".join(texts)
            if self._plain_column.fullmatch(joined):
                return list(map(int, joined.replace(self._separator, "").split("\n")))
        found: list[int | None] = list(map(self._seen.get, texts))
        if None in found:
            cents = self.cents
            for index in compress(range(len(found)), map(is_, found, repeat(None))):
                found[index] = cents(texts[index])
        return found  # type: ignore[return-value]  # no None is left

    def _read(self, text: str) -> int:
        whole, mark, decimals = text.partition(self._separator)
        if whole.isdigit() and whole.isascii() and (not mark or (decimals.isdigit() and len(decimals) <= 2)):
            # the common "1234.50": plain digits, no sign, no thousands separator
            if not mark:
                return int(whole) * 100
            return int(whole) * 100 + int(decimals) * (10 if len(decimals) == 1 else 1)
        match = self._match(text)
        if match is None:
            cleaned = _SPACES.sub("", text.strip())
            match = self._match(cleaned)
            if match is None:
                raise ValueError(self._not_an_amount(text))
        sign, whole, decimals = match.groups()
        if decimals is None or decimals == "":
            cents = int(whole.replace(",", "").replace(".", "")) * 100
        elif len(decimals) > 2:
            raise ValueError(f"'{text.strip()}' has more than two decimals ({self.convention.name} in this file)")
        else:
            cents = int(whole.replace(",", "").replace(".", "")) * 100 + int(decimals.ljust(2, "0"))
        return -cents if sign else cents

    def _not_an_amount(self, text: str) -> str:
        shown = text.strip()
        if not shown:
            return "an amount is required"
        example = "1,234.50" if self.convention.separator == DOT else "1.234,50"
        return (
            f"'{shown}' is not an amount written with {self.convention.name}, which this file uses "
            f"({self.convention.reason}); write it like {example}"
        )


def date_order_shown(text: str) -> str | None:
    """How one date is written, as far as it shows: "ymd" (ISO 8601), "dmy" (a day above 12 comes first), "mdy"
    (it comes second), "either" (03/10/2026 could be both); None for a blank or something else."""
    if _ISO_START.match(text):
        return "ymd"
    numbers = _NUMERIC_START.match(text)
    if numbers is None:
        return None
    first, second = int(numbers.group(1)), int(numbers.group(2))
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return "either" if first <= 12 and second <= 12 else None


def both_readings(text: str) -> str:
    """What a date that could be either means each way: "3 October 2026 or 10 March 2026" ("" for another text)."""
    numbers = _NUMERIC_START.match(text)
    if numbers is None:
        return ""
    first, second, year = map(int, numbers.groups())
    try:
        day_first, month_first = date(year, second, first), date(year, first, second)
    except ValueError:
        return ""
    return f"{_spelled(day_first)} or {_spelled(month_first)}"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip


def _spelled(day: date) -> str:
    """3 October 2026, whatever the locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


class LocalClock:
    """Turns file timestamps into the program's wall time: offsets converted, naive ones taken as local (or UTC)."""

    CACHE_SIZE = 50_000  # files often repeat a time (dates without time, orders of the same minute)

    def __init__(self, timezone: str, date_order: str = "ymd") -> None:
        if date_order not in DATE_ORDERS:
            raise ValueError(f"unknown date order {date_order!r} (known: {', '.join(DATE_ORDERS)})")
        self.zone = ZoneInfo(timezone)
        self.date_order = date_order
        self._seen: dict[bool, dict[str, tuple[datetime, str]]] = {False: {}, True: {}}  # by naive_is_utc

    def local(self, text: str, *, naive_is_utc: bool = False) -> datetime:
        """A naive datetime in the program's zone; ValueError with a message when the text is no timestamp."""
        return self.local_stamped(text, naive_is_utc=naive_is_utc)[0]

    def local_stamped(self, text: str, *, naive_is_utc: bool = False) -> tuple[datetime, str]:
        """local(), with the time as SQLAlchemy writes it on SQLite ("2026-10-03 14:05:00.000000")."""
        seen = self._seen[naive_is_utc]
        known = seen.get(text)
        if known is not None:
            return known
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            when = self._unusual(text)
        if when.tzinfo is None and naive_is_utc:
            when = when.replace(tzinfo=UTC)
        if when.tzinfo is not None:
            when = when.astimezone(self.zone).replace(tzinfo=None)
        if len(seen) >= self.CACHE_SIZE:
            seen.clear()
        found = seen[text] = (when, when.isoformat(" ", "microseconds"))
        return found

    def stamped_many(self, texts: Sequence[str]) -> list[tuple[datetime, str]]:
        """local_stamped() of each text (naive ones local); ValueError at the first that is no timestamp."""
        found: list[tuple[datetime, str] | None] = list(map(self._seen[False].get, texts))
        if None in found:
            stamped = self.local_stamped
            for index in compress(range(len(found)), map(is_, found, repeat(None))):
                found[index] = stamped(texts[index])
        return found  # type: ignore[return-value]  # no None is left

    def _unusual(self, text: str) -> datetime:
        """Spaces around it, "UTC" written after it, or (when the file says so) day or month first."""
        raw = text.strip()
        if not raw:
            raise ValueError("a date or date-time is required")
        cleaned = _UTC_WORDS.sub("+00:00", raw) if raw[-1:] in "CcTt" else raw
        try:
            return datetime.fromisoformat(cleaned)
        except ValueError:
            pass
        year_first = _YEAR_FIRST_DATE.fullmatch(raw)
        if year_first is not None:  # never ambiguous: year, month, day
            year, month, day, *clock = year_first.groups()
            return self._made(f"'{raw}' is not a date or date-time", year, month, day, *clock)
        if self.date_order != "ymd":
            return self._numeric(raw)
        raise ValueError(f"'{raw}' is not a date or date-time; write it like 2026-10-03 or 2026-10-03T14:05:00+02:00")

    def _numeric(self, raw: str) -> datetime:
        """03/10/2026, 3.10.2026 14:05, 10/03/2026 2:05 PM: day or month first as self.date_order says."""
        found = _NUMERIC_DATE.fullmatch(raw)
        example = "03/10/2026 or 03/10/2026 14:05" if self.date_order == "dmy" else "10/03/2026 or 10/03/2026 2:05 PM"
        written = DATE_ORDERS[self.date_order].split(" (")[0]
        problem = f"'{raw}' is not a date written {written}, as this file's dates are; write it like {example}"
        if found is None:
            raise ValueError(problem)
        first, second, year, *clock = found.groups()
        day, month = (first, second) if self.date_order == "dmy" else (second, first)
        return self._made(problem, year, month, day, *clock)

    @staticmethod
    def _made(
        problem: str,
        year: str,
        month: str,
        day: str,
        hour: str | None,
        minute: str | None,
        seconds: str | None,
        half: str | None,
    ) -> datetime:
        """The datetime of a date's parts and an optional time with AM/PM; ValueError with `problem` when there is
        no such day or time."""
        hours = int(hour or 0)
        if half is not None:
            if not 1 <= hours <= 12:
                raise ValueError(problem)
            hours = hours % 12 + (12 if half in "Pp" else 0)
        try:
            return datetime(int(year), int(month), int(day), hours, int(minute or 0), int(seconds or 0))
        except ValueError:
            raise ValueError(f"{problem} (there is no such day or time)") from None
