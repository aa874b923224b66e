"""The payout workbook: its sheets, formats and safe text, and its totals as a real spreadsheet computes them."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_payout_helpers import add_affiliate, add_order, hold, setup_program, standard_plan

from desktop.db import Database
from desktop.services.payouts import (
    CSV_COLUMNS,
    add_adjustment,
    approve_sheet,
    build_payout_sheet,
    export_xlsx,
    get_sheet,
    totals_of,
)

D = Decimal
FEB = date(2026, 2, 10)
HOSTILE = ('=HYPERLINK("http://x","y")', "+1", "@SUM(1)", "-2+3", "#N/A")
MONEY = ("sales_revenue", "commission", "over_cap", "bonuses", "adjustments", "carried_in", "payable", "carried_out")


@pytest.fixture
def workbook(db: Database, tmp_path: Path) -> tuple[Database, Path]:
    setup_program(db, threshold="50.00")
    plan = standard_plan(db, cap="150.00", tiers=(("1000.00", "12"),))
    ids = [add_affiliate(db, f"A{i}", name, plan_id=plan) for i, name in enumerate(HOSTILE)]
    add_order(db, ids[0], "=1+1", date(2026, 1, 3), [("=cmd|' /C calc'!A0", "1000.00"), ("HAT", "333.33")])
    add_order(db, ids[0], "#1b", date(2026, 1, 4), [("TENT", "99.99", 3)])
    add_order(db, ids[1], "#2", date(2026, 1, 4), [("HAT", "200.00")])
    add_adjustment(db, "2026-01", ids[2], "adjustment", "-35.55", "=2+5 charged back")
    add_adjustment(db, "2026-01", ids[4], "bonus", "12.34", "@team thanks\x07 with a bell")
    add_order(db, ids[3], "#3", date(2026, 1, 5), [("HAT", "750.10")])
    hold(db, ids[3])
    add_order(db, ids[4], "#4", date(2026, 1, 6), [("HAT", "600.05")], refunded="0.05")
    build_payout_sheet(db, "2026-01", as_of=FEB)
    approve_sheet(db, "2026-01")
    return db, export_xlsx(db, "2026-01", tmp_path / "payouts.xlsx")


def test_the_workbook_has_its_four_sheets_with_formats_and_safe_text(workbook: tuple[Database, Path]) -> None:
    db, path = workbook
    wb = load_workbook(path)
    assert wb.sheetnames == ["Summary", "Order lines", "Adjustments", "Settings"]
    summary = wb["Summary"]
    header = [cell.value for cell in summary[1]]
    assert header[: len(CSV_COLUMNS)] == list(CSV_COLUMNS) and header[-2:] == ["status", "plan"]
    rows = get_sheet(db, "2026-01")
    names = [summary.cell(row=r, column=2) for r in range(2, len(rows) + 2)]
    assert [cell.value for cell in names] == list(HOSTILE)
    assert {cell.data_type for cell in names} == {"s"}  # text, never a formula or an error value
    negative = summary.cell(row=4, column=CSV_COLUMNS.index("carried_out") + 1)
    assert (negative.value, negative.data_type) == (-35.55, "n")
    assert negative.number_format == "#,##0.00 [$USD];-#,##0.00 [$USD]"
    total_row = len(rows) + 2
    payable_col = CSV_COLUMNS.index("payable") + 1
    assert summary.cell(row=total_row, column=1).value == "Total"
    assert summary.cell(row=total_row, column=payable_col).value == f"=SUM(N2:N{total_row - 1})"
    assert summary.freeze_panes == "C2"
    assert summary.auto_filter.ref == f"A1:Q{total_row - 1}"
    assert summary.page_setup.orientation == "landscape"
    assert (summary.page_setup.fitToWidth, summary.page_setup.fitToHeight) == (1, 0)
    assert summary.sheet_properties.pageSetUpPr.fitToPage
    assert summary.print_title_rows == "$1:$1"
    widths = {letter: summary.column_dimensions[letter].width for letter in "ABCDEFGHIJKLMNOPQ"}
    assert min(widths.values()) >= 8 and widths["B"] >= len(HOSTILE[0])  # the longest name fits

    lines = wb["Order lines"]
    header = [cell.value for cell in lines[1]]
    assert header == ["affiliate_code", "order_id", "date", "type", "line", "sku", "product", "quantity", "amount",
                      "commission", "rule", "trace"]  # fmt: skip
    first = {name: lines.cell(row=2, column=i + 1) for i, name in enumerate(header)}
    assert (first["order_id"].value, first["order_id"].data_type) == ("=1+1", "s")
    assert (first["sku"].value, first["sku"].data_type) == ("=cmd|' /C calc'!A0", "s")
    assert first["date"].is_date and first["commission"].value == 120.0
    assert "12 % of 1,000.00 = 120.00" in first["trace"].value
    assert lines.max_row == 1 + 6 and lines.freeze_panes == "C2" and lines.auto_filter.ref == "A1:L7"

    adjustments = wb["Adjustments"]
    reasons = {row[0].value: row[5] for row in adjustments.iter_rows(min_row=2)}
    assert (reasons["A2"].value, reasons["A2"].data_type) == ("=2+5 charged back", "s")
    assert reasons["A4"].value == "@team thanks with a bell"  # the bell character Excel cannot store is gone

    settings = {row[0].value: row[1].value for row in wb["Settings"].iter_rows(min_row=2) if row[0].value}
    assert settings["program"] == "Acme Outdoor" and settings["state"] == "approved"
    assert settings["payout threshold"] == 50 and settings["hold days"] == 0
    assert settings["plan version used"] == "terms"
    assert settings["Standard v1"].startswith("10 % of sales")
    assert any("control character" in str(value) for key, value in settings.items() if key == "cleaned")


def convert_with_libreoffice(path: Path, out: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice is not None, "LibreOffice is missing: `scripts/system-deps.sh test` installs it"
    # Raw values (not "as shown"), comma-separated, UTF-8; a profile of our own so parallel runs do not collide.
    target = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false"
    profile = (out / "lo-profile").as_uri()
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", target, "--outdir", str(out),
         str(path)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    converted = out / (path.stem + ".csv")
    assert result.returncode == 0 and converted.exists(), result.stdout + result.stderr
    return converted


def test_a_real_spreadsheet_computes_the_same_totals(workbook: tuple[Database, Path], tmp_path: Path) -> None:
    db, path = workbook
    out = tmp_path / "libreoffice"
    out.mkdir()
    with convert_with_libreoffice(path, out).open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    header, body, total = table[0], table[1:-1], table[-1]
    rows = get_sheet(db, "2026-01")
    assert [line[1] for line in body] == list(HOSTILE)  # the spreadsheet shows the names, it runs none of them
    expected = totals_of(rows)
    assert total[0] == "Total"
    for column in MONEY:
        computed = Decimal(total[header.index(column)]).quantize(Decimal("0.01"))
        assert computed == getattr(expected, column), column
    for column in ("sales", "leads", "signups"):
        assert int(total[header.index(column)]) == getattr(expected, column)
    assert Decimal(body[2][header.index("carried_out")]) == D("-35.55")
    assert expected.payable == D("150.00") + D("60.00") + D("12.34")
