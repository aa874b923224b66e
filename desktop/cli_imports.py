"""The `import conversions` and `import clicks` commands (wired into desktop/cli.py's `import` group)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.services.conversion_presets import PRESETS
from desktop.services.conversion_values import DATE_ORDERS

if TYPE_CHECKING:
    from desktop.services.conversion_import import ConversionSummary
    from desktop.services.fraud import FraudCheck

EXIT_OK = 0


DATES_HELP = (
    "how the file writes dates that are not ISO 8601: dmy (03/10/2026 is 3 October) or mdy (10 March); "
    "default: as the file's own dates show (a day above 12)"
)


def add_import_parsers(import_subparsers: Any) -> None:
    """Add `conversions FILE [--preset ...] [--dry-run]` and `clicks FILE [--dry-run]` to the import group."""
    conversions = import_subparsers.add_parser(
        "conversions",
        help="import orders (generic CSV, or a Shopify, WooCommerce or Stripe export)",
        description="Import orders, all or nothing. The preset is recognised from the header when not given.",
    )
    conversions.add_argument("file", type=Path, metavar="FILE")
    shape = conversions.add_mutually_exclusive_group()
    shape.add_argument("--preset", choices=PRESETS, help="the file's shape (default: recognised from its header)")
    shape.add_argument(
        "--mapping",
        metavar="NAME",
        help="read the file with a column mapping saved in the window's Map columns dialog (without --preset or "
        "--mapping, a saved mapping whose columns are all in the file is used when no preset fits)",
    )
    conversions.add_argument(
        "--dates",
        choices=tuple(DATE_ORDERS),
        help=DATES_HELP + ", or as the mapping says",
    )
    conversions.add_argument("--dry-run", action="store_true", help="check the file and say what would change")
    conversions.set_defaults(handler=cmd_import_conversions)
    clicks = import_subparsers.add_parser(
        "clicks",
        help="import a click log (clicked_at, affiliate_code, ...) or daily counts (date, affiliate_code, clicks)",
    )
    clicks.add_argument("file", type=Path, metavar="FILE")
    clicks.add_argument("--dates", choices=tuple(DATE_ORDERS), help=DATES_HELP)
    clicks.add_argument("--dry-run", action="store_true", help="check the file and say what would change")
    clicks.set_defaults(handler=cmd_import_clicks)


def cmd_import_conversions(args: argparse.Namespace) -> int:
    from desktop.db import open_database
    from desktop.services.conversion_import import import_conversions
    from desktop.services.conversion_mappings import get_saved_mapping
    from desktop.services.fraud import describe_fraud_check

    db = open_database(args.db)
    try:
        saved = get_saved_mapping(db, args.mapping) if args.mapping else None
        result = import_conversions(
            db,
            args.file,
            preset=args.preset,
            mapping=saved.as_dict() if saved else None,
            date_order=args.dates or (saved.date_order if saved else None),
            dry_run=args.dry_run,
            progress=_progress_printer(),
        )
    finally:
        db.dispose()
    lines = conversion_summary_lines(
        result.summary, dry_run=result.dry_run, mapping_name=args.mapping, dates_asked=bool(args.dates)
    )
    for line in lines:
        print(line)
    if result.fraud is not None:
        print(describe_fraud_check(result.fraud, "orders") + _fraud_hint(result.fraud))
    return EXIT_OK


def _fraud_hint(check: FraudCheck) -> str:
    period = f" --period {check.periods[0]}" if len(check.periods) == 1 else ""
    if check.stopped:
        return " `affiliate-desk fraud scan` checks them."
    return f" `affiliate-desk fraud scan{period}` lists the flags." if check.open_flags else ""


def conversion_summary_lines(
    summary: ConversionSummary, *, dry_run: bool, mapping_name: str | None = None, dates_asked: bool = False
) -> list[str]:
    """What the import did (or would do), in a few lines for the terminal."""
    from desktop.services.fraud_rules import plural  # late, like the commands' imports: not on the start-up path

    verb = "would import" if dry_run else "imported"
    reasons = dict(summary.by_attribution)
    lines = [
        f"{summary.file}: read with {_shape(summary, mapping_name)}.",
        f"{plural(summary.orders, 'order')} from {plural(summary.rows, 'row')} {verb}: {summary.new:,} new, "
        f"{summary.updated:,} updated, {summary.unchanged:,} unchanged.",
        f"Attribution: {reasons.get('coupon', 0):,} by coupon, {reasons.get('referral', 0):,} by referral code, "
        f"{reasons.get('click', 0):,} by click, {summary.organic:,} organic.",
    ]
    if summary.status_changes:
        lines.append(f"Status or refund changed on {plural(summary.status_changes, 'order')} (kept in their history).")
    if summary.paid_orders_changed:
        paid = plural(summary.paid_orders_changed, "changed order")
        lines.append(f"{paid} on an approved or paid payout sheet: only status and refund were taken.")
    if summary.unknown_coupons:
        shown = ", ".join(f"{code} ({count:,})" for code, count in summary.unknown_coupons[:10])
        more = f" and {len(summary.unknown_coupons) - 10:,} more" if len(summary.unknown_coupons) > 10 else ""
        lines.append(f"Unknown coupons (no affiliate's): {shown}{more}.")
    for why, rows in summary.skipped:
        lines.append(f"Skipped {plural(rows, 'row')}: {why}.")
    if summary.future_note:
        lines.append(summary.future_note)
    if summary.ignored_columns:
        lines.append(f"Columns not read: {', '.join(summary.ignored_columns)}.")
    lines.append(summary.amounts_note)
    if summary.date_order != "ymd":
        written = DATE_ORDERS[summary.date_order].split(" (")[0]
        why = summary.date_reason or ("as --dates says" if dates_asked else "as the mapping says")
        lines.append(f"Dates other than ISO 8601 read as {written} ({why}).")
    if dry_run:
        lines.append("Dry run: nothing was changed.")
    return lines


def _shape(summary: ConversionSummary, mapping_name: str | None) -> str:
    """How the file was read: "the shopify preset (...)", "the saved mapping 'My till' (...)"."""
    if summary.preset != "mapping":
        return f"the {summary.preset} preset ({summary.preset_reason})"
    if mapping_name:
        return f"the saved mapping '{mapping_name}' ({summary.preset_reason})"
    return summary.preset_reason  # found by the import: it names the mapping itself


def cmd_import_clicks(args: argparse.Namespace) -> int:
    from desktop.db import open_database
    from desktop.services.click_import import import_clicks
    from desktop.services.fraud import describe_fraud_check

    db = open_database(args.db)
    try:
        result = import_clicks(db, args.file, dry_run=args.dry_run, progress=_progress_printer(), date_order=args.dates)
    finally:
        db.dispose()
    for line in result.lines():
        print(line)
    if result.fraud is not None:
        print(describe_fraud_check(result.fraud, "clicks") + _fraud_hint(result.fraud))
    return EXIT_OK


def _progress_printer() -> Any:
    from desktop.cli import _progress_printer as printer  # imported late: desktop.cli imports this module

    return printer()
