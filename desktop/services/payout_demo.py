"""Demo payouts: the past months' sheets built, approved and paid; the last complete month left as a draft."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import func, select

from desktop.db import Database
from desktop.models import Conversion, PayoutSheet
from desktop.services.errors import RefusedByState
from desktop.services.payout_build import build_payout_sheet
from desktop.services.payout_queries import get_sheet, list_sheets
from desktop.services.payout_state import add_adjustment, approve_sheet, mark_paid
from desktop.services.payout_types import SheetInfo, next_period, next_period_start, period_of

Progress = Callable[[int, int, str], None]
BUILT_ON_DAY = 3  # sheets of past months were built on the 3rd of the next month
PAID_ON_DAY = 8


def demo_periods(first_day: date, today: date) -> list[str]:
    """Every month from the first order's to the last complete one."""
    last = period_of(today.replace(day=1) - timedelta(days=1))
    periods = []
    period = period_of(first_day)
    while period <= last:
        periods.append(period)
        period = next_period(period)
    return periods


def load_demo_payouts(db: Database, today: date, progress: Progress | None = None) -> list[SheetInfo]:
    """Build every past month's sheet from the demo orders: all approved and paid but the last, left a draft.

    The draft month's top earner gets a thank-you bonus after a first build, so the page shows what changed since
    the last build and the drill-down an adjustment with its reason. A database with payout sheets is refused.
    """
    report = progress or (lambda done, total, what: None)
    with db.read() as session:
        if session.scalar(select(func.count()).select_from(PayoutSheet)):
            raise RefusedByState("This database has payout sheets already; demo payouts go into a fresh demo only.")
        first = session.scalar(select(func.min(Conversion.local_date)).where(Conversion.affiliate_id.is_not(None)))
    if first is None:
        return []
    periods = demo_periods(first, today)
    for number, period in enumerate(periods):
        report(number, len(periods), f"Payout sheet {period}")
        last = number == len(periods) - 1
        built_on = min(next_period_start(period) + timedelta(days=BUILT_ON_DAY - 1), today)
        if last:
            _thank_the_top_earner(db, period, built_on)
            build_payout_sheet(db, period, as_of=today)  # what building it again from the page does, too
            continue
        build_payout_sheet(db, period, as_of=built_on)
        approve_sheet(db, period)
        paid_on = min(next_period_start(period) + timedelta(days=PAID_ON_DAY - 1), today)
        mark_paid(db, period, f"PAYPAL-{period.replace('-', '')}-{number + 1:04d}", paid_on)
    report(len(periods), len(periods), "Payout sheets ready")
    return list_sheets(db)


def _thank_the_top_earner(db: Database, period: str, as_of: date) -> None:
    """A first build of the month, to find whom to thank."""
    build_payout_sheet(db, period, as_of=as_of)
    rows = [row for row in get_sheet(db, period) if row.commission > 0]
    if rows:
        top = max(rows, key=lambda row: (row.commission, row.affiliate_code))
        add_adjustment(db, period, top.affiliate_id, "bonus", "50.00", f"Top performer of {period}: thank you!")
