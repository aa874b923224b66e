"""The payout CSV for the accountant and the PayPal Payouts upload files, written atomically and formula-safe."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

from desktop.db import Database
from desktop.services.errors import BadInput, RefusedByState
from desktop.services.payout_queries import sheet_of, sheet_rows
from desktop.services.payout_types import CSV_COLUMNS, MONEY_COLUMNS, SheetRow
from desktop.services.safe_files import FORMULA_TRIGGERS, atomic_write, csv_safe

PAYPAL_ROWS_PER_FILE = 5000
PAYPAL_ID_MAX = 30  # PayPal's customer id: at most 30 characters, no spaces
# A recipient PayPal takes, that no spreadsheet runs: it starts with a letter or digit, no separators inside.
_RECIPIENT = re.compile(r"^[A-Za-z0-9][^@\s,;\"']*@[^@\s,;\"']+\.[^@\s,;\"']+$")


def _cells(row: SheetRow) -> list[str | int]:
    cells: list[str | int] = []
    for column in CSV_COLUMNS:
        value = row.value(column)
        if column in MONEY_COLUMNS:
            cells.append(f"{value:.2f}")  # a dot and two decimals, the minus sign kept: a number, never text
        elif isinstance(value, int):
            cells.append(value)
        else:
            cells.append(csv_safe(str(value)))
    return cells


def export_csv(db: Database, period: str, path: Path | str) -> Path:
    """The sheet as CSV with exactly the payout columns (UTF-8 with a BOM, so Excel reads the names right)."""
    path = Path(path)
    with db.read() as session:
        rows = sheet_rows(session, sheet_of(session, period))
    with atomic_write(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(_cells(row) for row in rows)
    return path


def paypal_customer_id(code: str) -> str:
    """The affiliate code as PayPal's optional customer id, or nothing when PayPal (or a spreadsheet) would balk."""
    if len(code) > PAYPAL_ID_MAX or not code or code.startswith(FORMULA_TRIGGERS) or any(c.isspace() for c in code):
        return ""
    return code


def _paypal_rows(period: str, rows: list[SheetRow]) -> dict[str, list[list[str]]]:
    problems = []
    by_currency: dict[str, list[list[str]]] = defaultdict(list)
    for row in rows:
        if row.held or row.payable <= 0:
            continue
        recipient = row.payee_email
        if not recipient:
            problems.append(f"{row.affiliate_code}: no payee email, so PayPal cannot pay {row.payable:,.2f}")
            continue
        if not _RECIPIENT.match(recipient):
            problems.append(f"{row.affiliate_code}: the payee email {recipient!r} is not one PayPal can pay")
            continue
        note = f"Commission for {period}"
        by_currency[row.currency].append(
            [recipient, f"{row.payable:.2f}", row.currency, paypal_customer_id(row.affiliate_code), note, "PAYPAL"]
        )
    if problems:
        problems.append("Fix the payee emails on the Affiliates page (or hold those payouts); nothing was written.")
        raise BadInput(problems)
    return by_currency


def _part_names(target: Path, counts: dict[str, int]) -> dict[str, list[Path]]:
    """FILE itself for a single file; FILE-1, FILE-2 … (FILE-USD-1 … with several currencies) otherwise."""
    if sum(counts.values()) <= 1:
        return {currency: [target] for currency in counts}
    several = len(counts) > 1
    names: dict[str, list[Path]] = {}
    for currency, count in counts.items():
        tag = f"-{currency}" if several else ""
        names[currency] = [target.with_name(f"{target.stem}{tag}-{n}{target.suffix}") for n in range(1, count + 1)]
    return names


def _stale_parts(target: Path, written: set[Path]) -> list[Path]:
    """Earlier exports to the same name that this one replaces (a part 3 of 3 must not survive a 2-part export)."""
    pattern = re.compile(rf"^{re.escape(target.stem)}(-[A-Z]{{3}})?-\d+{re.escape(target.suffix)}$")
    found = (
        [p for p in target.parent.iterdir() if p.is_file() and pattern.match(p.name)] if target.parent.is_dir() else []
    )
    if target.exists():
        found.append(target)
    return [p for p in found if p not in written]


def export_paypal(db: Database, period: str, path: Path | str) -> list[Path]:
    """PayPal Payouts upload files of an approved sheet: the files written, in order.

    No header; recipient, amount, currency, affiliate code, note, PAYPAL; only affiliates with something payable
    and no hold; one currency per file and at most 5,000 rows each. A folder as `path` gets paypal-PERIOD.csv.
    """
    target = Path(path)
    if target.is_dir():
        target = target / f"paypal-{period}.csv"
    with db.read() as session:
        sheet = sheet_of(session, period)
        if sheet.state == "draft":
            raise RefusedByState(
                f"The sheet for {period} is a draft: approve it first, so the PayPal file pays its frozen numbers."
            )
        rows = sheet_rows(session, sheet)
    by_currency = _paypal_rows(period, rows)
    counts = {c: -(-len(lines) // PAYPAL_ROWS_PER_FILE) for c, lines in sorted(by_currency.items())}
    names = _part_names(target, counts)
    written: list[Path] = []
    for currency, lines in sorted(by_currency.items()):
        for index, part in enumerate(names[currency]):
            chunk = lines[index * PAYPAL_ROWS_PER_FILE : (index + 1) * PAYPAL_ROWS_PER_FILE]
            with atomic_write(part, "w", encoding="utf-8", newline="") as fh:
                csv.writer(fh).writerows(chunk)
            written.append(part)
    for stale in _stale_parts(target, set(written)):
        stale.unlink(missing_ok=True)
    return written
