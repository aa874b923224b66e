"""`affiliate-desk payouts build | approve | pay | export`: the payout sheet's life on the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

EXIT_OK = 0
FORMATS = ("xlsx", "csv", "paypal")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write it as YYYY-MM-DD") from exc


def add_payout_parsers(subparsers: Any) -> None:
    """Add `payouts build|approve|pay|export` to the main parser's subcommands; each sets `handler`."""
    payouts = subparsers.add_parser("payouts", help="payout sheets: build, approve, mark paid, export")
    actions = payouts.add_subparsers(dest="payouts_command", metavar="ACTION", required=True)

    build = actions.add_parser("build", help="build (or rebuild) the draft sheet of a month")
    build.add_argument("--period", required=True, metavar="YYYY-MM")
    build.add_argument(
        "--as-of", type=_day, metavar="YYYY-MM-DD", help="count the hold days from this date (default: today)"
    )
    build.set_defaults(handler=cmd_build)

    approve = actions.add_parser("approve", help="approve a draft sheet: its numbers are frozen")
    approve.add_argument("--period", required=True, metavar="YYYY-MM")
    approve.set_defaults(handler=cmd_approve)

    pay = actions.add_parser("pay", help="mark an approved sheet paid")
    pay.add_argument("--period", required=True, metavar="YYYY-MM")
    pay.add_argument("--reference", required=True, metavar="TEXT", help="the payment's reference (PayPal batch id)")
    pay.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="the day it was paid (default: today)")
    pay.set_defaults(handler=cmd_pay)

    export = actions.add_parser("export", help="write the sheet as Excel, CSV or PayPal Payouts files")
    export.add_argument("--period", required=True, metavar="YYYY-MM")
    export.add_argument("--format", required=True, choices=FORMATS)
    export.add_argument("-o", "--output", required=True, type=Path, metavar="FILE")
    export.set_defaults(handler=cmd_export)


def _open(args: argparse.Namespace) -> Any:
    from desktop.db import open_database

    return open_database(args.db)


def _progress() -> Callable[[int, int, str], None] | None:
    if not sys.stderr.isatty():
        return None

    def report(done: int, total: int, what: str) -> None:
        pct = 100 * done // total if total else 100
        sys.stderr.write(f"\r{pct:3d}% {what[:60]:<60}" + ("\n" if done >= total else ""))
        sys.stderr.flush()

    return report


def cmd_build(args: argparse.Namespace) -> int:
    from desktop.services.payouts import build_payout_sheet

    db = _open(args)
    try:
        summary = build_payout_sheet(db, args.period, as_of=args.as_of, progress=_progress())
    finally:
        db.dispose()
    verb = "rebuilt" if summary.rebuilt else "built"
    print(
        f"Payout sheet {summary.period} {verb} (draft, orders up to {summary.as_of.isoformat()}): "
        f"{summary.affiliates} affiliates, {summary.conversions} orders, commission {summary.commission:,.2f}; "
        f"{summary.paying} to pay {summary.payable:,.2f} {summary.currency}, {summary.carrying} carrying a balance"
        + (f", {summary.held} held" if summary.held else "")
        + "."
    )
    if summary.refunds:
        print(f"{summary.refunds} refund adjustment(s) for orders refunded after payment.")
    if summary.rebuilt:
        print(f"Changed since the last build: {len(summary.changes)} affiliate(s).")
        for change in summary.changes:
            print(f"  {change.affiliate_code}: {change.description}")
    for warning in summary.warnings:
        print(f"Note: {warning}")
    return EXIT_OK


def cmd_approve(args: argparse.Namespace) -> int:
    from desktop.services.payouts import approve_sheet

    db = _open(args)
    try:
        info = approve_sheet(db, args.period)
    finally:
        db.dispose()
    print(
        f"Payout sheet {info.period} approved: {info.paying} affiliates to pay {info.payable:,.2f} {info.currency}. "
        "Its numbers are frozen."
    )
    return EXIT_OK


def cmd_pay(args: argparse.Namespace) -> int:
    from desktop.services.payouts import mark_paid

    db = _open(args)
    try:
        info = mark_paid(db, args.period, args.reference, args.date)
    finally:
        db.dispose()
    paid_on = info.paid_on.isoformat() if info.paid_on else ""
    print(f"Payout sheet {info.period} marked paid on {paid_on} (reference {info.paid_reference}).")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from desktop.services.errors import BadInput
    from desktop.services.payouts import export_csv, export_paypal, export_xlsx

    output: Path = args.output
    if not output.parent.is_dir() and not output.is_dir():
        raise BadInput(f"cannot write {output}: the folder {output.parent} does not exist")
    wanted = ".xlsx" if args.format == "xlsx" else ".csv"
    if not output.is_dir() and output.suffix.lower() in (".xlsx", ".csv", ".xls") and output.suffix.lower() != wanted:
        # CSV text in a file named .xlsx does not open in Excel (nor the other way round)
        raise BadInput(f"{output.name}: --format {args.format} writes a {wanted} file; name it {output.stem}{wanted}")
    db = _open(args)
    try:
        if args.format == "xlsx":
            files = [export_xlsx(db, args.period, output, progress=_progress())]
        elif args.format == "csv":
            files = [export_csv(db, args.period, output)]
        else:
            files = export_paypal(db, args.period, output)
    finally:
        db.dispose()
    if not files:
        print(f"Nobody to pay on the {args.period} sheet: no PayPal file was written.")
    for path in files:
        print(f"Written: {path}")
    return EXIT_OK
