"""The payout workbook for the accountant: summary with formula totals, order lines, adjustments and settings."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from desktop.db import Database
from desktop.money import from_cents
from desktop.services.payout_queries import (
    count_commission_lines,
    iter_commission_rows,
    sheet_adjustments,
    sheet_info,
    sheet_of,
    sheet_rows,
)
from desktop.services.payout_types import COUNT_COLUMNS, CSV_COLUMNS, MONEY_COLUMNS, SheetInfo, SheetRow, totals_of
from desktop.services.program_settings import get_program
from desktop.services.safe_files import EXCEL_MAX_CELL_CHARS, atomic_path, check_target, set_text_cell

Progress = Callable[[int, int, str], None]
SUMMARY_EXTRA = ("status", "plan")
LINE_COLUMNS = ("affiliate_code", "order_id", "date", "type", "line", "sku", "product", "quantity", "amount",
                "commission", "rule", "trace")  # fmt: skip
LINE_WIDTHS = (16, 16, 11, 8, 6, 16, 28, 9, 13, 13, 26, 90)
ADJUSTMENT_COLUMNS = ("affiliate_code", "affiliate_name", "period", "kind", "amount", "reason", "order_id",
                      "created_at", "created_by")  # fmt: skip
ADJUSTMENT_WIDTHS = (16, 26, 9, 13, 13, 60, 16, 18, 14)
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
# What openpyxl or Excel cannot store as is (control characters, lone surrogates): such text takes the slow path.
_NEEDS_CLEANING = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def money_format(currency: str) -> str:
    """Two decimals with the currency code, negative amounts with a minus sign: Excel files it as Currency."""
    return f"#,##0.00 [${currency}];-#,##0.00 [${currency}]"


class _Sheet:
    """A write-only worksheet that writes user text as text (never a formula) and notes what had to be cleaned."""

    def __init__(self, ws: WriteOnlyWorksheet, notes: list[str], money: str) -> None:
        self.ws = ws
        self.notes = notes
        self.money = money
        self.row = 0

    def text(self, value: str | None, column: str) -> Any:
        if not value:
            return None
        if (
            value[0] != "="
            and value not in ERROR_CODES
            and len(value) <= EXCEL_MAX_CELL_CHARS // 2
            and (not _NEEDS_CLEANING.search(value))
        ):
            return value  # openpyxl keeps this as a string already
        cell = WriteOnlyCell(self.ws)
        for warning in set_text_cell(cell, value):
            self.notes.append(f"{self.ws.title}, row {self.row + 1}, {column}: {warning}")
        return cell

    def _styled(self, value: Any, number_format: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value)
        cell.number_format = number_format
        return cell

    def amount(self, value: Decimal) -> WriteOnlyCell:
        return self._styled(value, self.money)

    def day(self, value: date | datetime | None, fmt: str = "yyyy-mm-dd") -> Any:
        return None if value is None else self._styled(value, fmt)

    def header(self, names: Iterable[str]) -> None:
        cells = []
        for name in names:
            cell = WriteOnlyCell(self.ws, name)
            cell.font = BOLD
            cell.fill = HEADER_FILL
            cells.append(cell)
        self.append(cells)

    def append(self, cells: list[Any]) -> None:
        self.ws.append(cells)
        self.row += 1


def _setup(ws: WriteOnlyWorksheet, widths: Iterable[float], frozen: str | None, rows: int, columns: int) -> None:
    """What must be set on a write-only sheet before its first row: widths, frozen panes, filter."""
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    if frozen:
        ws.freeze_panes = frozen
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(columns)}{rows + 1}"


def _print_setup(ws: WriteOnlyWorksheet, title: str) -> None:
    """Landscape pages as wide as the sheet, the header row on every page; set before the first row."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.oddHeader.center.text = f"{title} — {ws.title}"
    ws.oddFooter.center.text = "Page &P of &N"


def _summary_widths(rows: list[SheetRow]) -> list[float]:
    totals = totals_of(rows)

    def shown(row: SheetRow, column: str) -> str:
        return row.status if column == "status" else str(getattr(row, column))

    widths: list[float] = []
    for column in (*CSV_COLUMNS, *SUMMARY_EXTRA):
        longest = max((len(shown(row, column)) for row in rows), default=0)
        longest = max(longest, len(str(getattr(totals, column, ""))))  # the totals row is the widest number
        extra = 6 if column in MONEY_COLUMNS else 2  # room for the currency code and thousands separators
        widths.append(min(max(len(column) + 3, longest + extra), 48))
    return widths


def _write_summary(wb: Workbook, rows: list[SheetRow], info: SheetInfo, title: str, notes: list[str]) -> None:
    ws = wb.create_sheet("Summary")
    columns = (*CSV_COLUMNS, *SUMMARY_EXTRA)
    _setup(ws, _summary_widths(rows), "C2", len(rows), len(columns))
    _print_setup(ws, title)
    out = _Sheet(ws, notes, money_format(info.currency))
    out.header(columns)
    for row in rows:
        cells: list[Any] = []
        for column in CSV_COLUMNS:
            value = row.value(column)
            if column in MONEY_COLUMNS:
                cells.append(out.amount(value))  # type: ignore[arg-type]
            elif column in COUNT_COLUMNS:
                cells.append(value)
            else:
                cells.append(out.text(str(value), column))
        cells += [row.status, out.text(row.plan, "plan")]
        out.append(cells)
    last = len(rows) + 1
    totals: list[Any] = []
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        formula = f"=SUM({letter}2:{letter}{last})" if rows else 0
        if column in MONEY_COLUMNS:
            cell = WriteOnlyCell(ws, formula)
            cell.number_format = out.money
        elif column in COUNT_COLUMNS:
            cell = WriteOnlyCell(ws, formula)
            cell.number_format = "#,##0"
        else:
            cell = WriteOnlyCell(ws, "Total" if index == 1 else None)
        cell.font = BOLD
        totals.append(cell)
    out.append(totals)


def _write_lines(wb: Workbook, session: Any, sheet_id: int, currency: str, notes: list[str], title: str,
                 progress: Progress) -> None:  # fmt: skip
    ws = wb.create_sheet("Order lines")
    total = count_commission_lines(session, sheet_id)
    _setup(ws, LINE_WIDTHS, "C2", total, len(LINE_COLUMNS))
    _print_setup(ws, title)
    out = _Sheet(ws, notes, money_format(currency))
    out.header(LINE_COLUMNS)
    text, amount, day = out.text, out.amount, out.day
    for done, row in enumerate(iter_commission_rows(session, sheet_id), 1):
        code, _, order_id, local_date, kind, line_no, sku, product, quantity, cents, earned, rule, trace = row
        out.append([text(code, "affiliate_code"), text(order_id, "order_id"), day(local_date), kind, line_no,
                    text(sku, "sku"), text(product, "product"), quantity or 1, amount(from_cents(cents)),
                    amount(from_cents(earned)), text(rule, "rule"), text(trace, "trace")])  # fmt: skip
        if done % 10_000 == 0:
            progress(done, total, f"Writing order lines: {done:,} of {total:,}")


def _write_adjustments(wb: Workbook, session: Any, sheet: Any, currency: str, notes: list[str], title: str) -> None:
    ws = wb.create_sheet("Adjustments")
    adjustments = sheet_adjustments(session, sheet)
    _setup(ws, ADJUSTMENT_WIDTHS, "A2", len(adjustments), len(ADJUSTMENT_COLUMNS))
    _print_setup(ws, title)
    out = _Sheet(ws, notes, money_format(currency))
    out.header(ADJUSTMENT_COLUMNS)
    for adj in adjustments:
        reason = out.text(adj.reason, "reason")
        out.append([out.text(adj.affiliate_code, "affiliate_code"), out.text(adj.affiliate_name, "affiliate_name"),
                    adj.period, adj.kind.replace("_", " "), out.amount(adj.amount), reason,
                    out.text(adj.order_id, "order_id"), out.day(adj.created_at, "yyyy-mm-dd hh:mm"),
                    out.text(adj.created_by, "created_by")])  # fmt: skip


def _write_settings(wb: Workbook, info: SheetInfo, program_name: str, timezone: str, notes: list[str]) -> None:
    ws = wb.create_sheet("Settings")
    _setup(ws, (30, 90), None, 0, 2)
    out = _Sheet(ws, notes, money_format(info.currency))
    out.header(("setting", "value"))
    fmt = "yyyy-mm-dd hh:mm"
    values: list[tuple[str, Any]] = [
        ("program", out.text(program_name, "value")),
        ("period", info.period),
        ("state", info.state),
        ("currency", info.currency),
        ("time zone", timezone),
        ("payout threshold", out.amount(info.payout_threshold)),
        ("hold days", info.hold_days),
        ("orders up to", out.day(info.as_of)),
        ("built", out.day(info.built_at, fmt)),
        ("built by", out.text(info.built_by, "value")),
        ("approved", out.day(info.approved_at, fmt)),
        ("approved by", out.text(info.approved_by, "value")),
        ("paid on", out.day(info.paid_on)),
        ("payment reference", out.text(info.paid_reference, "value")),
    ]
    for name, value in values:
        out.append([name, value])
    out.append([])
    out.header(("plan version used", "terms"))
    for plan in info.plan_versions:
        label, _, terms = plan.partition(" · ")
        out.append([out.text(label, "plan"), out.text(terms, "terms")])
    if info.warnings:
        out.append([])
        out.header(("when built", "note"))
        for warning in info.warnings:
            out.append(["warning", warning])
    if notes:
        out.append([])
        out.header(("export note", "cell cleaned so Excel can store it"))
        for note in list(notes):
            out.append(["cleaned", note])


def export_xlsx(db: Database, period: str, path: Path | str, progress: Progress | None = None) -> Path:
    """The sheet as an Excel workbook (written to a temporary file, then renamed into place)."""
    report = progress or (lambda done, total, what: None)
    path = Path(path)
    check_target(path)  # before minutes of work on a big sheet
    info = sheet_info(db, period)
    program = get_program(db)
    notes: list[str] = []
    wb = Workbook(write_only=True)
    state = "DRAFT — not approved" if info.state == "draft" else info.state_text
    title = f"{program.name} — payouts {info.period} ({state})"
    with db.read() as session:
        sheet = sheet_of(session, period)
        rows = sheet_rows(session, sheet)
        report(0, 1, "Writing the summary")
        title = title[:180].replace("&", "&&")  # Excel keeps 255 characters; a lone & starts a code
        _write_summary(wb, rows, info, title, notes)
        _write_lines(wb, session, sheet.id, info.currency, notes, title, report)
        _write_adjustments(wb, session, sheet, info.currency, notes, title)
    _write_settings(wb, info, program.name, program.timezone, notes)
    report(1, 1, "Saving the workbook")
    with atomic_path(path) as temporary:
        wb.save(temporary)
    return path
