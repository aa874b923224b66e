"""Payout exports: the CSV's exact format, the PayPal rules, and text that never runs as a formula."""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select, update
from test_payout_helpers import add_affiliate, add_order, hold, setup_program, standard_plan

from desktop.db import Database
from desktop.models import Affiliate, Conversion, ConversionLine
from desktop.services.errors import BadInput
from desktop.services.payout_exports import _part_names, paypal_customer_id
from desktop.services.payouts import (
    CSV_COLUMNS,
    PAYPAL_ROWS_PER_FILE,
    add_adjustment,
    approve_sheet,
    build_payout_sheet,
    export_csv,
    export_paypal,
    export_xlsx,
    get_sheet,
    mark_paid,
)

D = Decimal
FEB = date(2026, 2, 10)
HOSTILE = ('=HYPERLINK("http://x","y")', "+1", "@SUM(1)", "-2+3", "\tTab")


@pytest.fixture
def sheet(db: Database) -> Database:
    """January: payable, below threshold, negative, held, hostile names and a hostile order id."""
    setup_program(db, threshold="50.00")
    plan = standard_plan(db)
    ids = [add_affiliate(db, f"A{i}", name, plan_id=plan) for i, name in enumerate(HOSTILE)]
    add_order(db, ids[0], "=1+1", date(2026, 1, 3), [("=cmd|' /C calc'!A0", "1000.00")])  # 100.00
    add_order(db, ids[1], "#2", date(2026, 1, 4), [("HAT", "200.00")])  # 20.00: below the threshold
    add_adjustment(db, "2026-01", ids[2], "adjustment", "-35.50", "=2+5 charged back")  # negative balance
    add_order(db, ids[3], "#3", date(2026, 1, 5), [("HAT", "750.00")])  # 75.00 but held
    hold(db, ids[3])
    add_order(db, ids[4], "#4", date(2026, 1, 6), [("HAT", "600.00")])  # 60.00
    build_payout_sheet(db, "2026-01", as_of=FEB)
    return db


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_the_csv_has_exactly_the_payout_columns_and_safe_text(sheet: Database, tmp_path: Path) -> None:
    path = export_csv(sheet, "2026-01", tmp_path / "payouts.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + ",".join(CSV_COLUMNS).encode() + b"\r\n")
    rows = read_csv(path)
    assert rows[0] == list(CSV_COLUMNS)
    by_code = {row[0]: dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert [by_code[f"A{i}"]["affiliate_name"] for i in range(5)] == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'@SUM(1)",
        "'-2+3",
        "'\tTab",
    ]
    assert by_code["A0"] | {"affiliate_name": ""} == {
        "affiliate_code": "A0", "affiliate_name": "", "payee_email": "a0@example.com", "currency": "USD",
        "sales": "1", "sales_revenue": "1000.00", "leads": "0", "signups": "0", "commission": "100.00",
        "over_cap": "0.00", "bonuses": "0.00", "adjustments": "0.00", "carried_in": "0.00", "payable": "100.00",
        "carried_out": "0.00",
    }  # fmt: skip
    assert (by_code["A2"]["adjustments"], by_code["A2"]["carried_out"]) == ("-35.50", "-35.50")  # numbers, signed
    assert (by_code["A3"]["payable"], by_code["A3"]["carried_out"]) == ("0.00", "75.00")  # held


def test_paypal_pays_only_payable_unheld_affiliates_without_a_header(sheet: Database, tmp_path: Path) -> None:
    approve_sheet(sheet, "2026-01")
    [path] = export_paypal(sheet, "2026-01", tmp_path / "paypal.csv")
    assert path == tmp_path / "paypal.csv"
    assert path.read_bytes() == (
        b"a0@example.com,100.00,USD,A0,Commission for 2026-01,PAYPAL\r\n"
        b"a4@example.com,60.00,USD,A4,Commission for 2026-01,PAYPAL\r\n"
    )
    [in_folder] = export_paypal(sheet, "2026-01", tmp_path)
    assert in_folder == tmp_path / "paypal-2026-01.csv"


def test_paypal_refuses_payees_without_a_usable_email(db: Database, tmp_path: Path) -> None:
    setup_program(db)
    plan = standard_plan(db)
    nobody = add_affiliate(db, "NOBODY", plan_id=plan, email=None)
    formula = add_affiliate(db, "FORMULA", plan_id=plan, payee_email="=x@example.com")
    add_order(db, nobody, "#1", date(2026, 1, 3), [("HAT", "1000.00")])
    add_order(db, formula, "#2", date(2026, 1, 3), [("HAT", "1000.00")])
    build_payout_sheet(db, "2026-01", as_of=FEB)
    approve_sheet(db, "2026-01")
    with pytest.raises(BadInput) as refused:
        export_paypal(db, "2026-01", tmp_path / "p.csv")
    assert [p.split(":")[0] for p in refused.value.problems[:2]] == ["FORMULA", "NOBODY"]
    assert not (tmp_path / "p.csv").exists()
    # The fix the message asks for works on the approved sheet: nobody was paid yet, the numbers stay frozen.
    with db.write() as session:
        session.execute(update(Affiliate).where(Affiliate.id == nobody).values(email="nobody@example.com"))
        session.execute(update(Affiliate).where(Affiliate.id == formula).values(payee_email="f@example.com"))
    [written] = export_paypal(db, "2026-01", tmp_path / "p.csv")
    assert [row[:2] for row in read_csv(written)] == [["f@example.com", "100.00"], ["nobody@example.com", "100.00"]]


def bulk_program(db: Database, count: int) -> None:
    """`count` affiliates with one 600.00 order each (60.00 payable), in two bulk statements."""
    setup_program(db)
    plan = standard_plan(db)
    stamp = datetime(2026, 1, 1)
    with db.write() as session:
        session.execute(
            insert(Affiliate),
            [{"code": f"P{i:05d}", "name": f"Partner {i}", "email": f"p{i}@example.com", "status": "active",
              "plan_id": plan, "total_followers": 0} for i in range(count)],
        )  # fmt: skip
        ids = session.scalars(select(Affiliate.id).order_by(Affiliate.code)).all()
        session.execute(
            insert(Conversion),
            [{"order_id": f"#{i}", "type": "sale", "occurred_at": stamp, "local_date": stamp.date(), "currency": "USD",
              "status": "approved", "amount": D("600.00"), "refunded_amount": D("0.00"), "net_amount": D("600.00"),
              "affiliate_id": aid, "attribution": "referral", "row_hash": str(i), "created_at": stamp,
              "updated_at": stamp} for i, aid in enumerate(ids)],
        )  # fmt: skip
        conversions = session.scalars(select(Conversion.id)).all()
        session.execute(
            insert(ConversionLine),
            [{"conversion_id": cid, "line_no": 1, "sku": "HAT", "quantity": 1, "amount": D("600.00")}
             for cid in conversions],
        )  # fmt: skip


def test_a_new_paypal_file_every_5000_rows_and_old_parts_replaced(db: Database, tmp_path: Path) -> None:
    bulk_program(db, PAYPAL_ROWS_PER_FILE + 1)
    build_payout_sheet(db, "2026-01", as_of=FEB)
    approve_sheet(db, "2026-01")
    target = tmp_path / "paypal.csv"
    target.write_text("an older single-file export\n")
    (tmp_path / "paypal-3.csv").write_text("a part 3 of an older export\n")
    (tmp_path / "paypal-notes.csv").write_text("not ours\n")
    files = export_paypal(db, "2026-01", target)
    assert files == [tmp_path / "paypal-1.csv", tmp_path / "paypal-2.csv"]
    first, second = (read_csv(path) for path in files)
    assert (len(first), len(second)) == (PAYPAL_ROWS_PER_FILE, 1)
    assert first[0] == ["p0@example.com", "60.00", "USD", "P00000", "Commission for 2026-01", "PAYPAL"]
    assert {row[2] for row in first + second} == {"USD"}
    assert not target.exists() and not (tmp_path / "paypal-3.csv").exists()  # stale exports would pay twice
    assert (tmp_path / "paypal-notes.csv").exists()


def test_part_names_put_each_currency_in_its_own_files(tmp_path: Path) -> None:
    target = tmp_path / "pay.csv"
    assert _part_names(target, {"USD": 1}) == {"USD": [target]}
    assert _part_names(target, {"EUR": 1, "USD": 2}) == {
        "EUR": [tmp_path / "pay-EUR-1.csv"],
        "USD": [tmp_path / "pay-USD-1.csv", tmp_path / "pay-USD-2.csv"],
    }
    assert paypal_customer_id("JANE10") == "JANE10"
    assert paypal_customer_id("-JANE") == ""  # would start a formula in a spreadsheet
    assert paypal_customer_id("X" * 31) == ""  # PayPal's limit is 30


def _exports(db: Database, folder: Path) -> tuple[bytes, bytes, list[list[object]]]:
    folder.mkdir()
    csv_bytes = export_csv(db, "2026-01", folder / "payouts.csv").read_bytes()
    [paypal] = export_paypal(db, "2026-01", folder / "paypal.csv")
    book = load_workbook(export_xlsx(db, "2026-01", folder / "payouts.xlsx"), read_only=True)
    cells = [[name, *row] for name in book.sheetnames for row in book[name].iter_rows(values_only=True)]
    book.close()
    return csv_bytes, paypal.read_bytes(), cells


def test_a_paid_sheet_keeps_whom_it_paid_when_the_affiliate_changes(sheet: Database, tmp_path: Path) -> None:
    """A new payee email, name or code later must not make the paid sheet's files name someone who was not paid."""
    add_adjustment(sheet, "2026-01", _id(sheet, "A4"), "bonus", "5.00", "launch bonus")
    build_payout_sheet(sheet, "2026-01", as_of=FEB)
    approve_sheet(sheet, "2026-01")
    mark_paid(sheet, "2026-01", "PAYPAL-BATCH-1", paid_on=FEB)
    before = _exports(sheet, tmp_path / "before")
    assert b"a4@example.com,65.00,USD,A4," in before[1]

    with sheet.write() as session:
        session.execute(update(Affiliate).where(Affiliate.code == "A4")
                        .values(code="NEW4", name="Somebody Else", payee_email="new@example.com"))  # fmt: skip
    assert _exports(sheet, tmp_path / "after") == before
    [row] = [row for row in get_sheet(sheet, "2026-01") if row.affiliate_code == "A4"]
    assert (row.affiliate_name, row.payee_email) == (HOSTILE[4], "a4@example.com")

    # A draft shows the affiliate as it is now.
    add_order(sheet, _id(sheet, "NEW4"), "#5", date(2026, 2, 6), [("HAT", "600.00")])
    build_payout_sheet(sheet, "2026-02", as_of=date(2026, 3, 10))
    [draft] = [row for row in get_sheet(sheet, "2026-02") if row.affiliate_id == _id(sheet, "NEW4")]
    assert (draft.affiliate_code, draft.affiliate_name, draft.payee_email) == (
        "NEW4", "Somebody Else", "new@example.com"
    )


def _id(db: Database, code: str) -> int:
    with db.read() as session:
        found = session.scalar(select(Affiliate.id).where(Affiliate.code == code))
    assert found is not None
    return found
