"""Three months of payouts through `payouts build | approve | pay | export`, every figure worked out by hand."""

from __future__ import annotations

import argparse
import csv
import io
from contextlib import redirect_stdout
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from test_payout_helpers import add_affiliate, add_order, change_order, setup_program, standard_plan

from desktop.cli_payouts import add_payout_parsers
from desktop.db import Database, DatabaseError, open_database
from desktop.models import Adjustment, Conversion, PlanVersion
from desktop.services.errors import ServiceError
from desktop.services.payouts import SheetRow, add_adjustment, get_sheet, list_sheets

D = Decimal


def cli(db_path: Path, *argv: str) -> tuple[int, str, str]:
    """The payouts commands in-process, with the exit codes the main command line gives their errors."""
    parser = argparse.ArgumentParser(prog="affiliate-desk")
    parser.add_argument("--db")
    add_payout_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["--db", str(db_path), *argv])
    out = io.StringIO()
    with redirect_stdout(out):
        try:
            return args.handler(args), out.getvalue(), ""
        except (ServiceError, DatabaseError) as exc:
            return exc.exit_code, out.getvalue(), str(exc)


def figures(db: Database, period: str) -> dict[str, tuple[object, ...]]:
    """code -> (sales, revenue, leads, commission, over_cap, bonuses, adjustments, carried_in, payable, carried_out)"""

    def row(r: SheetRow) -> tuple[object, ...]:
        return (r.sales, r.sales_revenue, r.leads, r.commission, r.over_cap, r.bonuses, r.adjustments,
                r.carried_in, r.payable, r.carried_out)  # fmt: skip

    return {r.affiliate_code: row(r) for r in get_sheet(db, period)}


@pytest.fixture
def program(tmp_path: Path) -> tuple[Path, Database, dict[str, int]]:
    path = tmp_path / "desk.sqlite3"
    db = open_database(path)
    setup_program(db, threshold="50.00")
    # 10 % of sales; 12 % on every sale once the month's revenue reaches 2,000.00; leads 2.00; cap 300.00.
    plan = standard_plan(db, cap="300.00", tiers=(("2000.00", "12"),))
    ids = {code: add_affiliate(db, code, plan_id=plan) for code in ("ANNA", "BEN", "CARA")}
    yield path, db, ids
    db.dispose()


def test_three_months_of_payouts_end_to_end(program: tuple[Path, Database, dict[str, int]], tmp_path: Path) -> None:
    path, db, ids = program
    anna, ben, cara = ids["ANNA"], ids["BEN"], ids["CARA"]

    # --- January ------------------------------------------------------------------------------------------
    add_order(db, anna, "A1", date(2026, 1, 5), [("TENT", "1500.00")])
    add_order(db, anna, "A2", date(2026, 1, 9), [("BOOT", "400.00"), ("HAT", "300.00")])
    add_order(db, anna, "A6", date(2026, 1, 12), [("TENT", "999.00")], status="rejected")  # earns nothing
    add_order(db, ben, "B1", date(2026, 1, 7), [("TENT", "3000.00")])
    add_order(db, ben, "B2", date(2026, 1, 20), [("TENT", "1000.00")])
    add_order(db, cara, "C1", date(2026, 1, 15), [("HAT", "300.00")])
    add_order(db, cara, "C3", date(2026, 1, 30), [("BOOT", "200.00")], status="pending")  # approved in February
    add_order(db, None, "ORGANIC", date(2026, 1, 3), [("HAT", "80.00")])  # nobody's

    code, out, _ = cli(path, "payouts", "build", "--period", "2026-01", "--as-of", "2026-02-05")  # paid after it
    assert code == 0, out
    assert "3 affiliates" in out and "2 to pay 564.00 USD" in out
    jan = figures(db, "2026-01")
    # ANNA: 2,200.00 of revenue reaches the 12 % tier for the whole month: 180.00 + 48.00 + 36.00 = 264.00.
    assert jan["ANNA"] == (2, D("2200.00"), 0, D("264.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"),
                           D("264.00"), D("0.00"))  # fmt: skip
    # BEN: 4,000.00 at 12 % = 360.00 + 120.00 = 480.00, cut to the cap of 300.00: 180.00 over cap.
    assert jan["BEN"] == (2, D("4000.00"), 0, D("300.00"), D("180.00"), D("0.00"), D("0.00"), D("0.00"),
                          D("300.00"), D("0.00"))  # fmt: skip
    # CARA: 300.00 at 10 % = 30.00, below the 50.00 threshold: nothing paid, 30.00 carried.
    assert jan["CARA"] == (1, D("300.00"), 0, D("30.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"),
                           D("0.00"), D("30.00"))  # fmt: skip

    assert cli(path, "payouts", "approve", "--period", "2026-01")[0] == 0
    code, out, _ = cli(path, "payouts", "pay", "--period", "2026-01", "--reference", "PP-2026-01", "--date",
                       "2026-02-10")  # fmt: skip
    assert code == 0 and "PP-2026-01" in out
    with db.read() as session:
        paid = set(session.scalars(select(Conversion.order_id).where(Conversion.paid_sheet_id.is_not(None))))
        assert paid == {"A1", "A2", "B1", "B2", "C1"}
        assert all(session.scalars(select(PlanVersion.frozen)))

    # --- February: A1 refunded after payment, C3 approved late, a bonus added after a first build ----------
    change_order(db, "A1", status="refunded", refunded="1500.00")
    change_order(db, "C3", status="approved")
    add_order(db, anna, "A4", date(2026, 2, 3), [("HAT", "500.00")])
    add_order(db, cara, "C2", date(2026, 2, 14), [("TENT", "250.00")])

    assert cli(path, "payouts", "build", "--period", "2026-02", "--as-of", "2026-03-05")[0] == 0
    assert figures(db, "2026-02")["CARA"][8] == D("75.00")
    add_adjustment(db, "2026-02", cara, "bonus", "10.00", "Spring campaign thank-you")
    code, out, _ = cli(path, "payouts", "build", "--period", "2026-02", "--as-of", "2026-03-05")
    assert code == 0
    assert "Changed since the last build: 1 affiliate(s)." in out
    assert "CARA: payable 75.00 → 85.00" in out
    feb = figures(db, "2026-02")
    # ANNA: A4 500.00 at 10 % = 50.00; A1's 180.00 taken back: 50.00 - 180.00 = -130.00, carried as a debt.
    assert feb["ANNA"] == (1, D("500.00"), 0, D("50.00"), D("0.00"), D("0.00"), D("-180.00"), D("0.00"),
                           D("0.00"), D("-130.00"))  # fmt: skip
    # CARA: C2 25.00 + the late C3 20.00 (10 % of 450.00) + bonus 10.00 + 30.00 carried in = 85.00, paid.
    assert feb["CARA"] == (2, D("450.00"), 0, D("45.00"), D("0.00"), D("10.00"), D("0.00"), D("30.00"),
                           D("85.00"), D("0.00"))  # fmt: skip
    assert "BEN" not in feb  # nothing new and nothing carried
    with db.read() as session:
        [refund] = session.scalars(select(Adjustment).where(Adjustment.kind == "refund")).all()
        assert (refund.period, refund.amount, refund.affiliate_id) == ("2026-02", D("-180.00"), anna)
        assert "A1" in refund.reason and "refunded" in refund.reason

    assert cli(path, "payouts", "pay", "--period", "2026-02", "--reference", "x")[0] == 3  # still a draft
    assert cli(path, "payouts", "export", "--period", "2026-02", "--format", "paypal", "-o",
               str(tmp_path / "feb.csv"))[0] == 3  # fmt: skip
    assert cli(path, "payouts", "approve", "--period", "2026-02")[0] == 0
    assert cli(path, "payouts", "pay", "--period", "2026-02", "--reference", "PP-2026-02", "--date",
               "2026-03-10")[0] == 0  # fmt: skip

    # --- March: B2 refunded (the cap had cut more than its commission), ANNA over the cap, BEN's lead --------
    change_order(db, "B2", status="refunded", refunded="1000.00")
    add_order(db, anna, "A5", date(2026, 3, 2), [("TENT", "2600.00")])
    add_order(db, ben, "B3", date(2026, 3, 8), [(None, "0.00")], kind="lead")

    code, out, _ = cli(path, "payouts", "build", "--period", "2026-03")
    assert code == 0
    mar = figures(db, "2026-03")
    # ANNA: 2,600.00 at 12 % = 312.00, cut to 300.00 (12.00 over cap); -130.00 carried in: 170.00 paid.
    assert mar["ANNA"] == (1, D("2600.00"), 0, D("300.00"), D("12.00"), D("0.00"), D("0.00"), D("-130.00"),
                           D("170.00"), D("0.00"))  # fmt: skip
    # BEN: B2 earned 120.00, but without it January still reaches 360.00 > the 300.00 cap: nothing taken back.
    # His lead earns 2.00, below the threshold: carried.
    assert mar["BEN"] == (0, D("0.00"), 1, D("2.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"),
                          D("0.00"), D("2.00"))  # fmt: skip
    assert "CARA" not in mar
    with db.read() as session:
        ben_refund = session.scalars(select(Adjustment).where(Adjustment.period == "2026-03")).one()
        assert ben_refund.amount == D("0.00") and "B2" in ben_refund.reason and "cap" in ben_refund.reason
    assert cli(path, "payouts", "build", "--period", "2026-03")[0] == 0  # a rebuild makes no second refund line
    with db.read() as session:
        assert len(session.scalars(select(Adjustment).where(Adjustment.kind == "refund")).all()) == 2
    assert cli(path, "payouts", "approve", "--period", "2026-03")[0] == 0

    csv_path = tmp_path / "march.csv"
    code, out, _ = cli(path, "payouts", "export", "--period", "2026-03", "--format", "csv", "-o", str(csv_path))
    assert code == 0 and str(csv_path) in out
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh)) == [
            ["affiliate_code", "affiliate_name", "payee_email", "currency", "sales", "sales_revenue", "leads",
             "signups", "commission", "over_cap", "bonuses", "adjustments", "carried_in", "payable", "carried_out"],
            ["ANNA", "Anna", "anna@example.com", "USD", "1", "2600.00", "0", "0", "300.00", "12.00", "0.00", "0.00",
             "-130.00", "170.00", "0.00"],
            ["BEN", "Ben", "ben@example.com", "USD", "0", "0.00", "1", "0", "2.00", "0.00", "0.00", "0.00", "0.00",
             "0.00", "2.00"],
        ]  # fmt: skip
    paypal = tmp_path / "march-paypal.csv"
    code, out, _ = cli(path, "payouts", "export", "--period", "2026-03", "--format", "paypal", "-o", str(paypal))
    assert code == 0
    assert paypal.read_bytes() == b"anna@example.com,170.00,USD,ANNA,Commission for 2026-03,PAYPAL\r\n"
    xlsx = tmp_path / "march.xlsx"
    assert cli(path, "payouts", "export", "--period", "2026-03", "--format", "xlsx", "-o", str(xlsx))[0] == 0
    assert xlsx.stat().st_size > 0

    assert [(s.period, s.state, s.payable) for s in list_sheets(db)] == [
        ("2026-03", "approved", D("170.00")),
        ("2026-02", "paid", D("85.00")),
        ("2026-01", "paid", D("564.00")),
    ]


def test_frozen_sheets_are_refused_with_exit_3(program: tuple[Path, Database, dict[str, int]]) -> None:
    path, db, ids = program
    add_order(db, ids["ANNA"], "A1", date(2026, 1, 5), [("TENT", "1500.00")])
    assert cli(path, "payouts", "build", "--period", "2026-01")[0] == 0
    assert cli(path, "payouts", "approve", "--period", "2026-01")[0] == 0
    before = figures(db, "2026-01")
    add_order(db, ids["ANNA"], "A2", date(2026, 1, 6), [("TENT", "900.00")])  # arrives after approval

    code, _, error = cli(path, "payouts", "build", "--period", "2026-01")
    assert code == 3 and "approved" in error
    assert cli(path, "payouts", "approve", "--period", "2026-01")[0] == 3
    assert cli(path, "payouts", "build", "--period", "2025-12")[0] == 3  # before an approved sheet
    assert cli(path, "payouts", "pay", "--period", "2026-01", "--reference", "R1")[0] == 0
    code, _, error = cli(path, "payouts", "pay", "--period", "2026-01", "--reference", "R2")
    assert code == 3 and "R1" in error
    assert cli(path, "payouts", "build", "--period", "2026-01")[0] == 3
    assert figures(db, "2026-01") == before


def test_bad_input_exits_2_and_a_missing_sheet_3(program: tuple[Path, Database, dict[str, int]]) -> None:
    path, _, _ = program
    assert cli(path, "payouts", "build", "--period", "2026-13")[0] == 2
    assert cli(path, "payouts", "build", "--period", "2099-01")[0] == 2  # has not started
    assert cli(path, "payouts", "approve", "--period", "2026-01")[0] == 3  # nothing built yet
    with pytest.raises(SystemExit) as exited:
        cli(path, "payouts", "build", "--period", "2026-01", "--as-of", "tomorrow")
    assert exited.value.code == 2


def test_a_file_named_for_another_format_is_refused(
    program: tuple[Path, Database, dict[str, int]], tmp_path: Path
) -> None:
    """PayPal's CSV text in a file named .xlsx opens in no spreadsheet program."""
    path, _, _ = program
    target = tmp_path / "oct.xlsx"
    code, _, error = cli(path, "payouts", "export", "--period", "2026-01", "--format", "paypal", "-o", str(target))
    assert code == 2 and not target.exists()
    assert error == "oct.xlsx: --format paypal writes a .csv file; name it oct.csv"


def test_an_export_never_replaces_the_database_or_a_folder(
    program: tuple[Path, Database, dict[str, int]], tmp_path: Path
) -> None:
    """`-o` naming the open database turned it into a 700-byte CSV, and said "Written"."""
    path, _, _ = program
    assert cli(path, "payouts", "build", "--period", "2026-01")[0] == 0
    before = path.read_bytes()[:100]
    code, _, error = cli(path, "payouts", "export", "--period", "2026-01", "--format", "csv", "-o", str(path))
    assert code == 2 and error.startswith(f"{path} is a database") and "nothing was written" in error
    assert path.read_bytes()[:100] == before and open_database(path).is_sqlite
    folder = tmp_path / "payouts.csv"
    folder.mkdir()
    code, _, error = cli(path, "payouts", "export", "--period", "2026-01", "--format", "xlsx", "-o", str(folder))
    assert code == 2 and error == f"{folder} is a folder: give a file name in it; nothing was written"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp.csv") or ".tmp" in p.name]
