"""The `import conversions` and `import clicks` commands (wired into desktop/cli.py's `import` group)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from desktop.services.conversion_presets import PRESET_LABELS, PRESETS

EXIT_OK = 0


def add_import_parsers(import_subparsers: Any) -> None:
    """Add `conversions FILE [--preset ...] [--dry-run]` and `clicks FILE [--dry-run]` to the import group."""
    conversions = import_subparsers.add_parser(
        "conversions",
        help="import orders (generic CSV, or a Shopify, WooCommerce or Stripe export)",
        description="Import orders, all or nothing. The preset is recognised from the header when not given.",
    )
    conversions.add_argument("file", type=Path, metavar="FILE")
    conversions.add_argument("--preset", choices=PRESETS, help="the file's shape (default: recognised from its header)")
    conversions.add_argument("--dry-run", action="store_true", help="check the file and say what would change")
    conversions.set_defaults(handler=cmd_import_conversions)
    clicks = import_subparsers.add_parser(
        "clicks",
        help="import a click log (clicked_at, affiliate_code, ...) or daily counts (date, affiliate_code, clicks)",
    )
    clicks.add_argument("file", type=Path, metavar="FILE")
    clicks.add_argument("--dry-run", action="store_true", help="check the file and say what would change")
    clicks.set_defaults(handler=cmd_import_clicks)


def cmd_import_conversions(args: argparse.Namespace) -> int:
    from desktop.db import open_database
    from desktop.services.conversion_import import import_conversions

    db = open_database(args.db)
    try:
        result = import_conversions(
            db, args.file, preset=args.preset, dry_run=args.dry_run, progress=_progress_printer()
        )
    finally:
        db.dispose()
    for line in conversion_summary_lines(result.summary, dry_run=result.dry_run):
        print(line)
    return EXIT_OK


def conversion_summary_lines(summary: Any, *, dry_run: bool) -> list[str]:
    """What the import did (or would do), in a few lines for the terminal."""
    label = PRESET_LABELS.get(summary.preset, summary.preset)
    verb = "would import" if dry_run else "imported"
    lines = [
        f"{summary.file}: {label} ({summary.preset_reason}).",
        f"{summary.orders:,} orders from {summary.rows:,} rows {verb}: {summary.new:,} new, "
        f"{summary.updated:,} updated, {summary.unchanged:,} unchanged.",
    ]
    reasons = dict(summary.by_attribution)
    lines.append(
        f"Attribution: {reasons.get('coupon', 0):,} by coupon, {reasons.get('referral', 0):,} by referral code, "
        f"{reasons.get('click', 0):,} by click, {summary.organic:,} organic."
    )
    if summary.status_changes:
        lines.append(f"Status or refund changed on {summary.status_changes:,} orders (kept in their history).")
    if summary.paid_orders_changed:
        lines.append(
            f"{summary.paid_orders_changed:,} changed orders are on a paid sheet: only status and refund taken."
        )
    if summary.unknown_coupons:
        shown = ", ".join(f"{code} ({count:,})" for code, count in summary.unknown_coupons[:10])
        more = f" and {len(summary.unknown_coupons) - 10:,} more" if len(summary.unknown_coupons) > 10 else ""
        lines.append(f"Unknown coupons (no affiliate's): {shown}{more}.")
    for why, count in summary.skipped:
        lines.append(f"Skipped {count:,} rows: {why}.")
    if summary.ignored_columns:
        lines.append(f"Columns not read: {', '.join(summary.ignored_columns)}.")
    lines.append(f"Amounts read with {'a dot' if summary.decimal_separator == '.' else 'a comma'} as decimal "
                 f"separator ({summary.decimal_reason}).")  # fmt: skip
    if dry_run:
        lines.append("Dry run: nothing was changed.")
    return lines


def cmd_import_clicks(args: argparse.Namespace) -> int:
    from desktop.db import open_database
    from desktop.services.click_import import import_clicks

    db = open_database(args.db)
    try:
        result = import_clicks(db, args.file, dry_run=args.dry_run, progress=_progress_printer())
    finally:
        db.dispose()
    verb = "would import" if result.dry_run else "imported"
    if result.shape == "daily":
        print(f"{result.file}: daily click counts, {result.rows:,} rows {verb}: {result.new:,} affiliate-days new, "
              f"{result.updated:,} updated, {result.unchanged:,} unchanged.")  # fmt: skip
    else:
        print(f"{result.file}: {result.rows:,} clicks {verb}: {result.new:,} new, "
              f"{result.unchanged:,} already there.")  # fmt: skip
        print(f"Orders attributed again: {result.reattributed:,} changed.")
    if result.ignored_columns:
        print(f"Columns not read: {', '.join(result.ignored_columns)}.")
    if result.dry_run:
        print("Dry run: nothing was changed.")
    return EXIT_OK


def _progress_printer() -> Any:
    from desktop.cli import _progress_printer as printer  # imported late: desktop.cli imports this module

    return printer()
