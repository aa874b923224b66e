"""The affiliate statement: every order with its commission (sheet or estimate), bonuses, adjustments and payouts;
the XLSX export with its formula-safe text cells, written all or nothing."""

from __future__ import annotations

import csv
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_report_helpers import FORMULA_ORDER, FORMULA_REASON, TODAY, build_world

from desktop.db import Database
from desktop.services.errors import BadInput
from desktop.services.metrics import DateRange
from desktop.services.statement_xlsx import export_statement_xlsx
from desktop.services.statements import statement_data

D = Decimal


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    return build_world(db)


def test_every_order_with_its_commission(db: Database, world: dict[str, int]) -> None:
    statement = statement_data(db, world["JANE"], "2026-10", today=TODAY)
    assert (statement.name, statement.code, statement.range_label, statement.payee_email) == (
        "Jane Griffin", "JANE", "October 2026", "jane@example.com")  # fmt: skip
    orders = [(o.order_id, o.status, o.net, o.commission, o.source) for o in statement.orders]
    assert orders == [
        ("J-101", "approved", D("150.00"), D("15.00"), "sheet 2026-10 (draft)"),
        ("J-102", "approved", D("250.00"), D("25.00"), "sheet 2026-10 (draft)"),
        (FORMULA_ORDER, "approved", D("500.00"), D("50.00"), "sheet 2026-10 (draft)"),  # 600.00, 100.00 refunded
        ("J-104", "pending", D("80.00"), None, "pending: no commission"),
    ]
    assert (statement.metrics.clicks, statement.metrics.sales, statement.metrics.revenue) == (100, 3, D("900.00"))
    assert statement.commission_total == D("90.00") and statement.estimated_total == D("0.00")


def test_bonuses_adjustments_and_payouts(db: Database, world: dict[str, int]) -> None:
    statement = statement_data(db, world["JANE"], DateRange.months("2026-09", "2026-10"), today=TODAY)
    assert statement.range_label == "Sep – Oct 2026"
    assert [(a.kind_label, a.amount) for a in statement.adjustments] == [
        ("Target bonus", D("50.00")), ("Target bonus", D("10.00")), ("Bonus", D("25.00"))]  # fmt: skip
    assert statement.adjustments[2].reason == FORMULA_REASON
    assert (statement.bonuses_total, statement.adjustments_total) == (D("85.00"), D("0.00"))
    payouts = [(p.period, p.state, p.commission, p.bonuses, p.payable, p.status_text) for p in statement.payouts]
    assert payouts == [
        ("2026-09", "paid", D("30.00"), D("0.00"), D("30.00"), "Paid 2026-10-07 · PP-0915"),
        ("2026-10", "draft", D("90.00"), D("85.00"), D("175.00"), "Draft: may still change"),
    ]
    assert statement.paid_total == D("30.00")
    assert [o.order_id for o in statement.orders][0] == "S-100"


def test_orders_not_on_a_sheet_get_the_plans_estimate(db: Database, world: dict[str, int]) -> None:
    statement = statement_data(db, world["JANE"], "2026-11", today=TODAY)
    [order] = statement.orders
    # 10 % plus the +2 % rate Jane earned for November by meeting October's revenue target.
    assert (order.order_id, order.commission, order.estimated, order.source) == ("J-105", D("24.00"), True, "estimate")
    assert statement.estimated_total == D("24.00") and statement.payouts == ()


def test_an_unknown_affiliate_or_period_is_bad_input(db: Database, world: dict[str, int]) -> None:
    with pytest.raises(BadInput, match="no affiliate"):
        statement_data(db, 999, "2026-10")
    with pytest.raises(BadInput, match="not a period"):
        statement_data(db, world["JANE"], "2026/10")


def test_the_workbook_holds_every_order_as_text_safe_cells(db: Database, world: dict[str, int], tmp_path: Path) -> None:
    path = export_statement_xlsx(db, world["JANE"], DateRange.months("2026-09", "2026-10"), tmp_path / "jane.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["Statement", "Orders", "Adjustments", "Payouts"]
    summary = {row[0]: row[1] for row in book["Statement"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Affiliate"] == "Jane Griffin (JANE)"
    assert (summary["Clicks"], summary["Sales (approved orders)"], summary["Revenue (net of the approved sales)"]) == (
        150,
        4,
        1200,
    )
    assert summary["Commission on the orders"] == 120 and summary["Paid out"] == 30

    orders = book["Orders"]
    header = [c.value for c in orders[1]]
    assert header[:4] == ["order_id", "date", "type", "status"] and orders.freeze_panes == "A2"
    rows = {row[0].value: row for row in orders.iter_rows(min_row=2)
            if row[0].value not in (None, "Total") and not str(row[0].value).startswith("of which")}  # fmt: skip
    assert set(rows) == {"S-100", "J-101", "J-102", FORMULA_ORDER, "J-104"}
    formula_cell = rows[FORMULA_ORDER][0]
    assert formula_cell.data_type == "s" and formula_cell.value == FORMULA_ORDER  # text, never run as a formula
    commission = header.index("commission")
    assert rows["J-102"][commission].value == 25 and "USD" in rows["J-102"][commission].number_format
    assert rows["J-104"][commission].value is None  # pending: earns nothing
    total = next(row for row in orders.iter_rows(min_row=2) if row[0].value == "Total")
    assert total[commission].data_type == "f" and total[commission].value.startswith("=SUM(")

    reasons = [row[3] for row in book["Adjustments"].iter_rows(min_row=2) if row[0].value not in (None, "Total")]
    reason = next(cell for cell in reasons if cell.value == FORMULA_REASON)
    assert reason.data_type == "s"
    for sheet in book.worksheets:  # the only formulas are our totals and the parts of the orders' net total
        for row in sheet.iter_rows():
            for cell in row:
                ours = row[0].value == "Total" or str(row[0].value).startswith("of which")
                assert cell.data_type != "f" or ours, f"{sheet.title}!{cell.coordinate}"
    payouts = [tuple(c.value for c in row[:2]) + (row[-1].value,) for row in book["Payouts"].iter_rows(min_row=2)]
    assert ("2026-09", "paid", "Paid 2026-10-07 · PP-0915") in payouts


def test_a_failed_export_leaves_the_old_file_alone(db: Database, world: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "jane.xlsx"
    path.write_bytes(b"the old statement")
    with pytest.raises(BadInput):
        export_statement_xlsx(db, 999, "2026-10", path)
    assert path.read_bytes() == b"the old statement"
    assert [p.name for p in tmp_path.iterdir() if "jane" in p.name] == ["jane.xlsx"]  # no temporary file left


def test_the_orders_net_total_splits_into_the_revenue_and_what_earns_nothing(
    db: Database, world: dict[str, int], tmp_path: Path
) -> None:
    """October: 980.00 of orders, of which 900.00 approved sales (the summary's revenue) and 80.00 pending; the
    PDF says so under the Net column, the workbook with formulas that LibreOffice computes to the same numbers."""
    from desktop.views.statement_html import statement_html

    statement = statement_data(db, world["JANE"], "2026-10", today=TODAY)
    parts = [(p.key, p.orders, p.net) for p in statement.net_parts]
    assert parts == [("sale", 3, D("900.00")), ("pending", 1, D("80.00"))]
    assert statement.net_total == D("980.00") == sum((p.net for p in statement.net_parts), D(0))
    assert statement.net_parts[0].net == statement.metrics.revenue
    html = statement_html(statement).html
    assert "of which 3 orders approved sales: the revenue in the summary" in html
    assert "of which 1 order pending: no commission until approved" in html
    assert "980.00" in html and "80.00" in html

    path = export_statement_xlsx(db, world["JANE"], "2026-10", tmp_path / "jane.xlsx")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice is not None, "LibreOffice is missing: `scripts/system-deps.sh test` installs it"
    profile = (tmp_path / "lo-profile").as_uri()  # our own, so that parallel runs do not collide
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=180)  # fmt: skip
    rows = list(csv.reader((tmp_path / "jane-Orders.csv").open(encoding="utf-8")))
    values = {row[0]: (row[6], row[7]) for row in rows[1:]}
    assert values["Total"] == ("980", "90")
    assert values["of which 3 orders approved sales: the revenue in the summary"] == ("900", "90")
    assert values["of which 1 order pending: no commission until approved"] == ("80", "0")
