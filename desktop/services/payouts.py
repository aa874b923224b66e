"""Payout sheets in one place: build, review, approve, pay and export (the page and the command line use this)."""

from __future__ import annotations

from desktop.services.payout_build import build_payout_sheet
from desktop.services.payout_exports import PAYPAL_ROWS_PER_FILE, export_csv, export_paypal
from desktop.services.payout_queries import get_sheet, list_sheets, sheet_info, sheet_line_details
from desktop.services.payout_state import (
    add_adjustment,
    approve_sheet,
    delete_draft,
    mark_paid,
    remove_adjustment,
)
from desktop.services.payout_types import (
    CSV_COLUMNS,
    MANUAL_KINDS,
    AdjustmentRow,
    CommissionLineRow,
    LineDetails,
    PayableChange,
    SheetInfo,
    SheetRow,
    SheetSummary,
    SheetTotals,
    check_period,
    period_of,
    previous_period,
    totals_of,
)
from desktop.services.payout_workbook import export_xlsx

__all__ = [
    "CSV_COLUMNS",
    "MANUAL_KINDS",
    "PAYPAL_ROWS_PER_FILE",
    "AdjustmentRow",
    "CommissionLineRow",
    "LineDetails",
    "PayableChange",
    "SheetInfo",
    "SheetRow",
    "SheetSummary",
    "SheetTotals",
    "add_adjustment",
    "approve_sheet",
    "build_payout_sheet",
    "check_period",
    "delete_draft",
    "export_csv",
    "export_paypal",
    "export_xlsx",
    "get_sheet",
    "list_sheets",
    "mark_paid",
    "period_of",
    "previous_period",
    "remove_adjustment",
    "sheet_info",
    "sheet_line_details",
    "totals_of",
]
