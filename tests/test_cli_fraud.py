"""`affiliate-desk fraud scan`: the flags printed one per line, on a database file, with a parser of our own."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from test_fraud_helpers import add_affiliate, add_orders, series, setup_program

from desktop.cli_fraud import add_fraud_parsers, cmd_fraud_scan
from desktop.db import open_database
from desktop.services.fraud_queue import dismiss, list_flags


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="affiliate-desk")
    main.add_argument("--db")
    add_fraud_parsers(main.add_subparsers(dest="command"))
    return main


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    assert args.handler is cmd_fraud_scan
    return int(args.handler(args))


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = tmp_path / "cli.sqlite3"
    db = open_database(path)
    setup_program(db)
    jane = add_affiliate(db, "JANE10", "Jane Doe", email="jane.doe@gmail.com")
    add_orders(db, series("J", jane, 7, customer_email="jane.doe+1@gmail.com"))
    add_orders(db, series("K", jane, 2, customer_email="buyer@yopmail.com"))
    db.dispose()
    return str(path)


def test_fraud_scan_prints_each_flag_on_one_line(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--db", database, "fraud", "scan", "--period", "2026-10"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "HIGH    self_referral       JANE10 (Jane Doe) 2026-10: 7 orders from jane.doe+1@gmail.com, which is Jane "
        "Doe's own address with a +tag",
        "LOW     disposable_email    JANE10 (Jane Doe) 2026-10: 2 orders from buyer@yopmail.com: throwaway addresses "
        "made to be used once, common with fake or self-made orders",
        "2 open flags in 2026-10 (2 new).",
    ]


def test_a_rescan_reports_what_was_dismissed(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--db", database, "fraud", "scan"]) == 0
    db = open_database(database)
    dismiss(db, list_flags(db, rule="disposable_email")[0].id, "Known customer")
    db.dispose()
    capsys.readouterr()
    assert run(["--db", database, "fraud", "scan"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[-1] == "1 open flag in all data (0 new, 1 dismissed earlier, not shown)."


def test_a_bad_period_is_refused_by_the_parser(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        parser().parse_args(["--db", database, "fraud", "scan", "--period", "2026-13"])
    assert stop.value.code == 2
    assert "'2026-13' is not a period; write it as YYYY-MM" in capsys.readouterr().err


def test_flags_without_a_month_are_listed_apart_from_the_month(database: str, capsys) -> None:  # type: ignore[no-untyped-def]
    """Shared payee details belong to no month: a month's scan lists them apart and does not count them in it."""
    db = open_database(database)
    add_affiliate(db, "JANE2", "Jane Again", email="jane.doe@gmail.com")
    db.dispose()
    assert run(["--db", database, "fraud", "scan", "--period", "2030-01"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Not tied to a month:"
    assert len(lines) == 4 and all("shared_payee" in line for line in lines[1:3])
    assert lines[-1] == "0 open flags in 2030-01 and 2 not tied to a month (2 new)."
    assert run(["--db", database, "fraud", "scan"]) == 0  # all data: every flag counts, no month to set apart
    assert capsys.readouterr().out.splitlines()[-1].startswith("4 open flags in all data")
