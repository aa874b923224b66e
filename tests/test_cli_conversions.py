"""`import conversions` and `import clicks` on the command line: summaries, dry runs, exit codes via BadInput."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from test_conversion_support import DATA, dump, generic, orders, program, write_csv
from test_conversion_support import affiliates as make_affiliates

from desktop.cli_imports import add_import_parsers
from desktop.db import open_database
from desktop.models import Affiliate
from desktop.services.errors import BadInput


def parser() -> argparse.ArgumentParser:
    """The shape desktop/cli.py gives it: a global --db and an `import` group."""
    top = argparse.ArgumentParser(prog="affiliate-desk")
    top.add_argument("--db")
    commands = top.add_subparsers(dest="command")
    group = commands.add_parser("import").add_subparsers(dest="import_command", metavar="WHAT", required=True)
    add_import_parsers(group)
    return top


def run(*argv: str) -> int:
    args = parser().parse_args(argv)
    return int(args.handler(args))


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "desk.sqlite3"
    db = open_database(path)
    program(db, currency="USD", timezone="UTC")
    make_affiliates(db, {"JANE": ["JANE10"], "TOM": []})
    db.dispose()
    return path


def test_import_conversions_prints_a_summary(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--db", str(database), "import", "conversions", str(DATA / "shopify_orders.csv")) == 0
    out = capsys.readouterr().out
    assert "shopify_orders.csv: read with the shopify preset (Shopify orders export: the header has Name" in out
    assert "8 orders from 11 rows imported: 8 new, 0 updated, 0 unchanged." in out
    assert "by coupon" in out and "organic." in out
    assert "Unknown coupons (no affiliate's): SUMMER5 (1)." in out
    assert out.endswith("Fraud check of October 2026, November 2026: nothing suspicious found.\n")
    assert (
        run("--db", str(database), "import", "conversions", str(DATA / "shopify_orders.csv"), "--preset", "shopify")
        == 0
    )
    assert "0 new, 0 updated, 8 unchanged" in capsys.readouterr().out


def test_dry_run_changes_nothing(database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = generic(tmp_path / "orders.csv", ["A-1", "2026-10-03", "10.00", "", "", "TOM"])
    db = open_database(database)
    before = dump(db)
    assert run("--db", str(database), "import", "conversions", str(path), "--dry-run") == 0
    assert dump(db) == before
    db.dispose()
    out = capsys.readouterr().out
    assert "1 order from 1 row would import: 1 new" in out and "Dry run: nothing was changed." in out
    assert "Fraud check" not in out


def test_the_fraud_check_after_an_import_says_what_it_found(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = open_database(database)
    with db.write() as session:
        session.add(Affiliate(code="GONE", name="Gone Partner", status="paused"))
    db.dispose()
    path = generic(tmp_path / "orders.csv", ["G-1", "2026-10-03", "10.00", "", "", "GONE"])
    assert run("--db", str(database), "import", "conversions", str(path)) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == ("Fraud check of October 2026: 1 new flag, 1 open to review. "
                    "`affiliate-desk fraud scan --period 2026-10` lists the flags.")  # fmt: skip


def test_ctrl_c_during_the_fraud_check_keeps_the_import_and_says_so(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.services import fraud

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(fraud, "run_after_import", interrupted)
    path = generic(tmp_path / "orders.csv", ["A-1", "2026-10-03", "10.00", "", "", "TOM"])
    assert run("--db", str(database), "import", "conversions", str(path)) == 0
    out = capsys.readouterr().out
    assert "1 order from 1 row imported: 1 new" in out
    assert out.endswith("The fraud check was stopped: the orders are saved, but not yet checked for fraud. "
                        "`affiliate-desk fraud scan` checks them.\n")  # fmt: skip
    db = open_database(database)
    assert len(orders(db)) == 1
    db.dispose()


def test_problems_are_raised_for_the_cli_to_print(database: Path, tmp_path: Path) -> None:
    path = generic(tmp_path / "orders.csv", ["A-1", "2026-10-03", "10.00", "", "", "NOBODY"])
    with pytest.raises(BadInput) as excinfo:
        run("--db", str(database), "import", "conversions", str(path))
    assert excinfo.value.exit_code == 2
    assert str(excinfo.value) == "orders.csv, line 2, column 'affiliate_code': no affiliate has the code 'NOBODY'"


def test_an_unknown_preset_is_refused_by_argparse(database: Path) -> None:
    with pytest.raises(SystemExit) as excinfo:
        run("--db", str(database), "import", "conversions", "x.csv", "--preset", "amazon")
    assert excinfo.value.code == 2


def test_import_clicks(database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path / "clicks.csv", ["clicked_at", "affiliate_code", "visitor_id"], [
        ["2026-10-01 10:00", "JANE", "v-1"], ["2026-10-01 11:00", "TOM", "v-2"],
    ])  # fmt: skip
    assert run("--db", str(database), "import", "clicks", str(path), "--dry-run") == 0
    assert "2 clicks would import: 2 new" in capsys.readouterr().out
    assert run("--db", str(database), "import", "clicks", str(path)) == 0
    out = capsys.readouterr().out
    assert "clicks.csv: 2 clicks imported: 2 new, 0 already there (2026-10-01)." in out
    assert "Orders attributed again because of the new clicks: 0 orders changed." in out
    assert out.endswith("Fraud check of October 2026: nothing suspicious found.\n")
    again = write_csv(tmp_path / "again.csv", ["clicked_at", "affiliate_code", "visitor_id"], [
        ["2026-10-01 10:00", "JANE", "v-1"], ["2026-10-02 09:00", "JANE", "v-3"], ["2026-10-02 09:00", "JANE", "v-3"],
    ])  # fmt: skip
    assert run("--db", str(database), "import", "clicks", str(again)) == 0
    out = capsys.readouterr().out
    assert "again.csv: 3 clicks imported: 1 new, 2 already there or repeated in the file" in out
    assert run("--db", str(database), "import", "clicks", str(again)) == 0
    out = capsys.readouterr().out
    assert "0 new, 3 already there or repeated in the file" in out and "attributed again" not in out
    daily = write_csv(tmp_path / "daily.csv", ["date", "affiliate_code", "clicks"], [["2026-10-01", "JANE", "40"]])
    assert run("--db", str(database), "import", "clicks", str(daily)) == 0
    assert "daily click counts, 1 row imported: 1 affiliate-days new" in capsys.readouterr().out


def test_a_saved_mapping_by_name_or_by_fit(database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.services.conversion_mappings import save_mapping

    db = open_database(database)
    save_mapping(db, "Till", {"order_id": "Ref", "occurred_at": "When", "amount": "Total", "affiliate_code": "Partner"})
    db.dispose()
    path = write_csv(tmp_path / "till.csv", ["Ref", "When", "Total", "Partner"], [["T-1", "2026-10-03", "9.50", "TOM"]])
    assert run("--db", str(database), "import", "conversions", str(path), "--mapping", "Till", "--dry-run") == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == ("till.csv: read with the saved mapping 'Till' (mapped columns: order_id <- 'Ref', "
                     "occurred_at <- 'When', amount <- 'Total', affiliate_code <- 'Partner').")  # fmt: skip
    assert run("--db", str(database), "import", "conversions", str(path)) == 0
    out = capsys.readouterr().out
    assert out.startswith("till.csv: read with the saved mapping 'Till', whose columns are all in this file.\n")
    assert "1 order from 1 row imported: 1 new" in out
    with pytest.raises(BadInput, match=r"no saved column mapping named 'Tll' \(saved: Till\)"):
        run("--db", str(database), "import", "conversions", str(path), "--mapping", "Tll")
    with pytest.raises(SystemExit):  # one or the other
        run("--db", str(database), "import", "conversions", str(path), "--mapping", "Till", "--preset", "generic")
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_mapping_for_day_first_dates(database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.services.conversion_mappings import save_mapping

    db = open_database(database)
    save_mapping(db, "EU till", {"order_id": "Ref", "occurred_at": "When", "amount": "Total"}, date_order="dmy")
    db.dispose()
    path = write_csv(tmp_path / "till.csv", ["Ref", "When", "Total"], [["T-1", "24/10/2026 14:05", "9,50"]])
    assert run("--db", str(database), "import", "conversions", str(path), "--mapping", "EU till") == 0
    out = capsys.readouterr().out
    assert "Dates other than ISO 8601 read as day/month/year (as the mapping says).\n" in out
    db = open_database(database)
    assert orders(db)["T-1"]["occurred_at"].startswith("2026-10-24 14:05") and orders(db)["T-1"]["amount"] == 950
    db.dispose()


def test_dates_day_or_month_first_are_shown_by_the_file_or_said_with_dates(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No row is guessed on its own: the first date with a day above 12 tells the whole file; a file where every
    date could be either is refused (line and column) until --dates says."""
    header = ["order_id", "occurred_at", "amount"]
    shown = write_csv(tmp_path / "us.csv", header, [["U-1", "10/03/2026 2:05 PM", "9.50"],
                                                    ["U-2", "10/24/2026", "4.00"]])  # fmt: skip
    assert run("--db", str(database), "import", "conversions", str(shown)) == 0
    out = capsys.readouterr().out
    assert "Dates other than ISO 8601 read as month/day/year ('10/24/2026' on line 3 shows it).\n" in out
    db = open_database(database)
    assert orders(db)["U-1"]["occurred_at"].startswith("2026-10-03 14:05")  # 3 October, by U-2's date
    db.dispose()

    unclear = write_csv(tmp_path / "eu.csv", header, [["E-1", "03/10/2026", "9.50"], ["E-2", "04/10/2026", "4.00"]])
    with pytest.raises(BadInput) as excinfo:
        run("--db", str(database), "import", "conversions", str(unclear))
    assert [str(p) for p in excinfo.value.problems] == [
        "eu.csv, line 2, column 'occurred_at': '03/10/2026' could be day first or month first (3 October 2026 or "
        "10 March 2026), and no date in the file shows which: say how the file writes dates (in the import "
        "window, 'Dates are written'; on the command line, --dates dmy or --dates mdy)"
    ]
    assert run("--db", str(database), "import", "conversions", str(unclear), "--dates", "dmy") == 0
    assert "read as day/month/year (as --dates says).\n" in capsys.readouterr().out
    db = open_database(database)
    assert orders(db)["E-1"]["occurred_at"].startswith("2026-10-03") and "E-2" in orders(db)
    db.dispose()
    # --dates against what the file shows: the dates that cannot be read so are errors, and nothing is saved
    with pytest.raises(BadInput, match=r"line 3, column 'occurred_at': '10/24/2026' is not a date written day"):
        run("--db", str(database), "import", "conversions", str(shown), "--dates", "dmy")
