"""Every order is priced in its own month, whichever sheet pays it (DESIGN §4: tiers and caps are per period).

A sheet takes every approved order not yet on an approved sheet up to its last day: its own month's, and earlier
months' that came due late (held back by `hold_days`, approved or imported after their month's sheet). Each month's
orders are priced together: the tier counts all of that month's approved orders, those earlier sheets already paid
included, and the cap gives the month only what earlier sheets left of it. So a hold delays a payment and never
changes it: a held order earns what it would have earned on time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from desktop.models import CommissionLine, Conversion, PayoutSheet
from desktop.money import ZERO, from_cents
from desktop.services.commission_engine import LineCommission, OrderLine, PlanTerms, compute_period
from desktop.services.metrics import month_orders
from desktop.services.payout_refunds import cents, chunks
from desktop.services.payout_types import period_end, period_start

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class PaidBefore:
    """What earlier sheets hold of one affiliate's month: its approved lines (for the tier) and what they earned."""

    lines: tuple[OrderLine, ...] = ()
    earned: Decimal = ZERO  # the commission lines of the month's orders on approved sheets, before any cap


@dataclass(frozen=True)
class MonthCommission:
    """One affiliate's orders of one month that no approved sheet holds yet, priced within their month."""

    period: str
    lines: tuple[LineCommission, ...]  # these orders' lines only, in time order
    gross: Decimal
    over_cap: Decimal  # what the cap leaves the sheet's own month no room for (cut from the sheet's row)
    commission: Decimal
    sales: int
    sales_revenue: Decimal
    leads: int
    signups: int
    cut_in_lines: Decimal = ZERO  # a late month's: what its cap left no room for, taken off its lines


NOTHING_PAID = PaidBefore()


def combined(period: str, months: Sequence[MonthCommission]) -> MonthCommission:
    """One affiliate's months on one sheet, added up (lines in month order)."""
    if len(months) == 1:
        return months[0]
    return MonthCommission(
        period=period,
        lines=tuple(line for month in months for line in month.lines),
        gross=sum((month.gross for month in months), ZERO),
        over_cap=sum((month.over_cap for month in months), ZERO),
        commission=sum((month.commission for month in months), ZERO),
        cut_in_lines=sum((month.cut_in_lines for month in months), ZERO),
        sales=sum(month.sales for month in months),
        sales_revenue=sum((month.sales_revenue for month in months), ZERO),
        leads=sum(month.leads for month in months),
        signups=sum(month.signups for month in months),
    )


def month_of(line: OrderLine) -> str:
    """The YYYY-MM of an order line (its time is the program's wall time, as local_date is)."""
    return f"{line.occurred_at.year:04d}-{line.occurred_at.month:02d}"


def by_month(lines: Iterable[OrderLine]) -> dict[str, list[OrderLine]]:
    months: dict[str, list[OrderLine]] = defaultdict(list)
    for line in lines:
        months[month_of(line)].append(line)
    return dict(sorted(months.items()))


def price_month(terms: PlanTerms, period: str, unpaid: Sequence[OrderLine], before: PaidBefore, *,
                late: bool = False) -> MonthCommission:  # fmt: skip
    """The month's unpaid lines priced with all its approved lines; the cap is what earlier sheets left.

    `late`: the month is not the sheet's own. Its lines' traces say so, and what its cap leaves no room for is
    taken off its latest lines themselves (their traces say how much), not off the sheet's row: the sheet's own
    month keeps its cap there, and the month an order belongs to shows every cent of its commission.
    """
    if not before.lines and not late:  # the sheet's own month, the common case: the engine's figures as they are
        computed = compute_period(terms, unpaid)
        return MonthCommission(period, computed.lines, computed.gross, computed.over_cap, computed.commission,
                               computed.sales, computed.sales_revenue, computed.leads, computed.signups)  # fmt: skip
    computed = compute_period(terms, [*before.lines, *unpaid])
    wanted = {(line.order_id, line.line_no) for line in unpaid}
    lines = [line for line in computed.lines if (line.order_id, line.line_no) in wanted]
    if late:
        note = f"{label(period)} order, priced in its own month · "
        lines = [LineCommission(x.order_id, x.line_no, x.amount, x.rule, note + x.trace) for x in lines]
    gross = sum((line.amount for line in lines), ZERO)
    over_cap = ZERO
    if terms.cap is not None:
        room = max(ZERO, terms.cap - min(terms.cap, before.earned))
        over_cap = max(ZERO, gross - room)
    cut = ZERO
    if late and over_cap > 0:
        cap = terms.cap or ZERO
        said = f"; {label(period)}'s cap of {cap:,.2f}" + (f", {before.earned:,.2f} of it paid on earlier sheets,"
                                                             if before.earned else "")  # fmt: skip
        left = over_cap
        for index in range(len(lines) - 1, -1, -1):  # the latest lines first: the cap is reached last
            line = lines[index]
            if left <= 0 or line.amount <= 0:
                continue
            taken = min(line.amount, left)
            left -= taken
            kept = line.amount - taken
            lines[index] = LineCommission(line.order_id, line.line_no, kept, line.rule,
                                          f"{line.trace}{said} leaves {kept:,.2f}")  # fmt: skip
        cut, over_cap = over_cap, ZERO
        gross = sum((line.amount for line in lines), ZERO)
    sales = {line.order_id for line in unpaid if line.type == "sale"}
    return MonthCommission(
        period=period,
        lines=tuple(lines),
        gross=gross,
        over_cap=over_cap,
        commission=gross - over_cap,
        cut_in_lines=cut,
        sales=len(sales),
        sales_revenue=sum((line.amount for line in unpaid if line.type == "sale"), ZERO),
        leads=len({line.order_id for line in unpaid if line.type == "lead"}),
        signups=len({line.order_id for line in unpaid if line.type == "signup"}),
    )


def label(period: str) -> str:
    """"Mar 2026"."""
    return f"{_MONTHS[int(period[5:7]) - 1]} {period[:4]}"


def paid_before(
    session: Session, wanted: dict[str, set[int]], currency: str, *, sheets_before: str | None = None
) -> dict[tuple[int, str], PaidBefore]:
    """For each month and affiliates in `wanted` (month -> affiliate ids): what approved sheets already hold of
    their orders of that month (only sheets of months before `sheets_before`, when given: replaying a sheet).
    A few queries per month, 900 affiliates at a time."""
    c, cl = Conversion, CommissionLine
    found: dict[tuple[int, str], PaidBefore] = {}
    for month, affiliates in sorted(wanted.items()):
        start, end = period_start(month), period_end(month)
        for chunk in chunks(sorted(affiliates)):
            in_month = and_(c.affiliate_id.in_(chunk), c.local_date >= start, c.local_date <= end,
                            c.paid_sheet_id.is_not(None))  # fmt: skip
            if sheets_before is not None:
                earlier = select(PayoutSheet.id).where(PayoutSheet.period < sheets_before)
                in_month = and_(in_month, c.paid_sheet_id.in_(earlier))
            earned: dict[int, int] = defaultdict(int)
            for affiliate_id, amount in session.execute(
                select(c.affiliate_id, cents(cl.commission))
                .join(cl, and_(cl.conversion_id == c.id, cl.sheet_id == c.paid_sheet_id))
                .where(in_month)
            ):
                earned[affiliate_id] += int(amount)
            lines: dict[int, list[OrderLine]] = defaultdict(list)
            for affiliate_id, _, order in month_orders(session, month, chunk, and_(in_month, c.currency == currency)):
                lines[affiliate_id].extend(order)
            for affiliate_id in chunk:
                if affiliate_id in earned or affiliate_id in lines:
                    found[(affiliate_id, month)] = PaidBefore(tuple(lines.get(affiliate_id, ())),
                                                              from_cents(earned.get(affiliate_id, 0)))  # fmt: skip
    return found
