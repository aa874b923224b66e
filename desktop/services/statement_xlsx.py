"""The affiliate statement as an Excel workbook: summary, orders with commission, adjustments and payouts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from desktop.db import Database
from desktop.services.metrics import DateRange
from desktop.services.payout_workbook import money_format
from desktop.services.safe_files import atomic_path, set_text_cell
from desktop.services.statements import StatementData, statement_data

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
ORDER_COLUMNS = (("order_id", 18), ("date", 12), ("type", 8), ("status", 10), ("amount", 14), ("refunded", 14),
                 ("net_amount", 14), ("commission", 14), ("commission_from", 24))  # fmt: skip
ADJUSTMENT_COLUMNS = (("period", 9), ("kind", 20), ("amount", 14), ("reason", 70), ("order_id", 18))
PAYOUT_COLUMNS = (("period", 9), ("sheet", 10), ("commission", 14), ("over_cap", 14), ("bonuses", 14),
                  ("adjustments", 14), ("carried_in", 14), ("payable", 14), ("carried_out", 14),
                  ("status", 34))  # fmt: skip
MONEY = ("amount", "refunded", "net_amount", "commission", "over_cap", "bonuses", "adjustments", "carried_in",
         "payable", "carried_out")  # fmt: skip


class _Writer:
    """Rows into one worksheet: user text always as text (never a formula), money as formatted numbers."""

    def __init__(self, ws: Worksheet, currency: str) -> None:
        self.ws = ws
        self.money = money_format(currency)
        self.row = 0

    def put(self, values: Sequence[Any], formats: Sequence[str | None] = (), bold: bool = False) -> int:
        """One row; `formats` per column: a number format, "money", or None."""
        self.row += 1
        for column, value in enumerate(values, 1):
            cell = self.ws.cell(row=self.row, column=column)
            if isinstance(value, str):
                set_text_cell(cell, value)
            else:
                cell.value = value
            wanted = formats[column - 1] if column <= len(formats) else None
            if wanted:
                cell.number_format = self.money if wanted == "money" else wanted
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            if bold:
                cell.font = BOLD
        return self.row

    def header(self, columns: Sequence[tuple[str, float]]) -> None:
        self.put([name for name, _ in columns], bold=True)
        for index, (_, width) in enumerate(columns, 1):
            self.ws.cell(row=self.row, column=index).fill = HEADER_FILL
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.freeze_panes = f"A{self.row + 1}"

    def totals(self, columns: Sequence[tuple[str, float]], first: int, last: int) -> None:
        """A totals row whose money columns are SUM formulas over the rows above (ours, never user text)."""
        self.row += 1
        for index, (name, _) in enumerate(columns, 1):
            cell = self.ws.cell(row=self.row, column=index)
            cell.font = BOLD
            if index == 1:
                cell.value = "Total"
            elif name in MONEY:
                letter = get_column_letter(index)
                cell.value = f"=SUM({letter}{first}:{letter}{last})" if last >= first else 0
                cell.number_format = self.money

    def table(self, columns: Sequence[tuple[str, float]], rows: Sequence[Sequence[Any]], totals: bool = True) -> None:
        self.header(columns)
        first = self.row + 1
        formats = ["money" if name in MONEY else None for name, _ in columns]
        for values in rows:
            self.put(values, formats)
        last = self.row
        if rows:
            self.ws.auto_filter.ref = f"A{first - 1}:{get_column_letter(len(columns))}{last}"
        if totals:
            self.totals(columns, first, last)


def _summary(wb: Workbook, data: StatementData) -> None:
    ws = wb.active
    assert ws is not None
    ws.title = "Statement"
    out = _Writer(ws, data.currency)
    out.put([f"{data.program_name} — affiliate statement"])
    ws.cell(row=1, column=1).font = TITLE
    out.put(["Affiliate", f"{data.name} ({data.code})"])
    out.put(["Payee e-mail", data.payee_email or ""])
    out.put(["Period", data.range_label])
    out.put(["From", data.range.start])
    out.put(["To", data.range.end])
    out.put(["Currency", data.currency])
    out.put(["Generated on", data.generated_on])
    out.put([])
    m = data.metrics
    out.put(["Activity", "Value"], bold=True)
    rate = None if m.conversion_rate is None else m.conversion_rate / 100
    activity: list[tuple[str, Any, str]] = [
        ("Clicks", m.clicks, "#,##0"),
        ("Sales (approved orders)", m.sales, "#,##0"),
        ("Revenue (net of the approved sales)", m.revenue, "money"),
        ("Leads", m.leads, "#,##0"),
        ("Signups", m.signups, "#,##0"),
        ("Conversion rate", rate, "0.00%"),
        ("Earnings per click", m.epc, "money"),
    ]
    for label, value, number_format in activity:
        out.put([label, value], [None, number_format])
    out.put([])
    out.put(["Money", "Amount"], bold=True)
    money: list[tuple[str, Decimal]] = [
        ("Commission on the orders", data.commission_total),
        ("Cut by the plan's cap", -data.over_cap_total),
        ("of which estimated (not yet on a payout sheet)", data.estimated_total),
        ("Bonuses", data.bonuses_total),
        ("Adjustments", data.adjustments_total),
        ("Paid out", data.paid_total),
    ]
    for label, amount in money:
        out.put([label, amount], [None, "money"])
    ws.column_dimensions["A"].width = 46
    ws.column_dimensions["B"].width = 28
    for row in ws.iter_rows(min_col=2, max_col=2):
        row[0].alignment = Alignment(horizontal="left")


PART_CRITERIA = {  # SUMIFS criteria on the status and type columns for each part of the net total
    "sale": ('"approved"', '"sale"'),
    "other": ('"approved"', '"<>sale"'),
}


def _orders(wb: Workbook, data: StatementData) -> None:
    out = _Writer(wb.create_sheet("Orders"), data.currency)
    out.table(ORDER_COLUMNS, [
        [o.order_id, o.day, o.type, o.status, o.amount, o.refunded, o.net, o.commission, o.source]
        for o in data.orders
    ])  # fmt: skip
    if not data.orders:
        return
    # Under the totals, the net total's parts as formulas over the rows: the approved sales are the revenue on
    # the Statement sheet; pending, rejected and refunded orders are in the total but earn nothing.
    names = [name for name, _ in ORDER_COLUMNS]
    first, last = 2, out.row - 1

    def cells(name: str) -> str:
        letter = get_column_letter(names.index(name) + 1)
        return f"${letter}${first}:${letter}${last}"

    for part in data.net_parts:
        status = '"' + part.key.replace('"', '""') + '"'  # a status from the data, quoted as a formula's text
        wanted, of_kind = PART_CRITERIA.get(part.key, (status, None))
        criteria = f"{cells('status')},{wanted}" + (f",{cells('type')},{of_kind}" if of_kind else "")
        orders = f"{part.orders:,} order{'' if part.orders == 1 else 's'}"
        out.put([f"of which {orders} {part.label}"])
        for name in ("net_amount", "commission"):
            cell = out.ws.cell(row=out.row, column=names.index(name) + 1)
            cell.value = f"=SUMIFS({cells(name)},{criteria})"
            cell.number_format = out.money


def _adjustments(wb: Workbook, data: StatementData) -> None:
    out = _Writer(wb.create_sheet("Adjustments"), data.currency)
    out.table(ADJUSTMENT_COLUMNS, [[a.period, a.kind_label, a.amount, a.reason, a.order_id or ""]
                                   for a in data.adjustments])  # fmt: skip


def _payouts(wb: Workbook, data: StatementData) -> None:
    out = _Writer(wb.create_sheet("Payouts"), data.currency)
    out.table(PAYOUT_COLUMNS, [
        [p.period, p.state, p.commission, p.over_cap, p.bonuses, p.adjustments, p.carried_in, p.payable,
         p.carried_out, p.status_text]
        for p in data.payouts
    ], totals=False)  # fmt: skip


def statement_workbook(data: StatementData) -> Workbook:
    wb = Workbook()
    _summary(wb, data)
    _orders(wb, data)
    _adjustments(wb, data)
    _payouts(wb, data)
    return wb


def export_statement_xlsx(db: Database, affiliate_id: int, period: str | DateRange, path: Path | str) -> Path:
    """Write the statement workbook under a temporary name, then rename it into place (all or nothing)."""
    path = Path(path)
    workbook = statement_workbook(statement_data(db, affiliate_id, period))
    with atomic_path(path) as temporary:
        workbook.save(temporary)
    return path
