"""The `fraud` commands of the command line: `affiliate-desk fraud scan [--period YYYY-MM]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _period(text: str) -> str:
    from desktop.services.errors import BadInput
    from desktop.services.fraud_rules import parse_period

    try:
        return parse_period(text)
    except BadInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_fraud_parsers(subparsers: Any) -> None:
    """Add `fraud scan` to the main parser's sub-commands; the handler is in `handler` of the parsed args."""
    fraud = subparsers.add_parser("fraud", help="fraud and quality monitoring")
    fraud_sub = fraud.add_subparsers(dest="fraud_command", metavar="ACTION", required=True)
    scan = fraud_sub.add_parser(
        "scan", help="run the fraud rules and print the flags", description="Run every fraud rule over one month "
        "(or all data), keep the flags for review in the window, and print the open ones: severity, rule, "
        "affiliate, evidence.",
    )  # fmt: skip
    scan.add_argument("--period", type=_period, metavar="YYYY-MM", help="only this month (default: all data)")
    scan.set_defaults(handler=cmd_fraud_scan)


def cmd_fraud_scan(args: argparse.Namespace) -> int:
    from desktop.db import open_database
    from desktop.services.fraud import scan

    db = open_database(args.db)
    try:
        result = scan(db, args.period, progress=_progress() if sys.stderr.isatty() else None)
    finally:
        db.dispose()
    # Some rules (shared payee details) look at no month: with --period they are listed apart, not counted in it.
    undated = [flag for flag in result.open_flags if args.period and flag.period is None]
    dated = [flag for flag in result.open_flags if not (args.period and flag.period is None)]
    for flag in dated:
        print(flag.line)
    if undated:
        print("Not tied to a month:")
        for flag in undated:
            print(flag.line)
    where = f"in {args.period}" if args.period else "in all data"
    confirmed = sum(1 for flag in result.flags if flag.state == "confirmed")
    summary = f"{_flags(len(dated))} {where}" + (f" and {len(undated)} not tied to a month" if undated else "")
    details = [f"{result.new} new"]
    if result.removed:
        details.append(f"{result.removed} no longer found and removed")
    if result.kept_dismissed:
        details.append(f"{result.kept_dismissed} dismissed earlier, not shown")
    if confirmed:
        details.append(f"{confirmed} confirmed earlier, not shown")
    print(f"{summary} ({', '.join(details)}).")
    return 0


def _flags(count: int) -> str:
    return f"{count} open flag{'s' if count != 1 else ''}"


def _progress() -> Any:
    def report(done: int, total: int, what: str) -> None:
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{100 * done // max(total, 1):3d}% {what[:60]:<60}{end}")
        sys.stderr.flush()

    return report
