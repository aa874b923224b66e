"""What-if: a past period replayed under an edited, unsaved plan, against what it paid; nothing is written."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, literal, null, or_, select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import Affiliate, CommissionLine, Conversion, ConversionLine, PayoutLine, PayoutSheet
from desktop.money import ZERO, format_money, from_cents
from desktop.services.commission_engine import OrderLine, PlanError, PlanTerms
from desktop.services.errors import BadInput, RefusedByState, ValidationFailed
from desktop.services.metrics import DateRange, default_plan_id
from desktop.services.payout_build import program_today
from desktop.services.payout_inputs import current_plans, rate_boosts
from desktop.services.payout_months import (
    NOTHING_PAID,
    MonthCommission,
    PaidBefore,
    by_month,
    combined,
    paid_before,
    price_month,
)
from desktop.services.payout_orders import count_orders, order_lines
from desktop.services.payout_queries import count_commission_lines
from desktop.services.payout_refunds import cents
from desktop.services.payout_types import check_period, period_end, period_of, period_start, previous_period
from desktop.services.plan_input import PlanInput, terms_problems, to_terms
from desktop.services.program_settings import program_in

Progress = Callable[[int, int, str], None]
_REPORT_EVERY = 500  # affiliates between two progress reports
_STREAM_ROWS = 5000
_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class WhatIfRow:
    """One affiliate of the plan: the period's paid commission against the edited plan's, both after their cap."""

    affiliate_id: int
    code: str
    name: str
    sales: int
    revenue: Decimal
    did_pay: Decimal
    would_pay: Decimal
    would_over_cap: Decimal  # what the edited plan's cap cuts from this affiliate

    @property
    def difference(self) -> Decimal:
        return self.would_pay - self.did_pay


@dataclass(frozen=True)
class WhatIfResult:
    plan_id: int
    plan_name: str
    period: str  # "2026-10"
    label: str  # "October 2026"
    currency: str
    basis: str  # "payout sheet 2026-10 (paid)" or "current plan, no sheet yet"
    sheet_state: str | None  # the state of the period's sheet that paid it; None: no sheet, the saved plan's figures
    rows: tuple[WhatIfRow, ...]  # the largest rise first
    sales: int
    revenue: Decimal
    did_pay: Decimal
    would_pay: Decimal
    earlier_orders: int = 0  # no sheet yet: orders of earlier months no sheet took, which its sheet would take too

    @property
    def difference(self) -> Decimal:
        return self.would_pay - self.did_pay

    @property
    def change_percent(self) -> Decimal | None:
        """The difference as a percentage of what was paid, to a tenth; None when nothing was paid."""
        if not self.did_pay:
            return None
        return (self.difference * 100 / self.did_pay).quantize(_TENTH, rounding=ROUND_HALF_UP)

    @property
    def summary(self) -> str:
        """ "Under the edited plan, October 2026 would have paid 10,912.40 instead of 9,880.35: +1,032.05 (+10.4 %)
        for 41 affiliates"."""
        if not self.rows:
            return f"No affiliate on {self.plan_name} has approved orders in {self.label}: there is nothing to replay."
        who = "1 affiliate" if len(self.rows) == 1 else f"{len(self.rows):,} affiliates"
        change = f"{_signed(self.difference)}"
        if self.change_percent is not None:
            change += f" ({'+' if self.change_percent > 0 else ''}{self.change_percent} %)"
        return (
            f"Under the edited plan, {self.label} would have paid {format_money(self.would_pay)} "
            f"instead of {format_money(self.did_pay)}: {change} for {who}"
        )


@dataclass(frozen=True)
class PeriodChoice:
    period: str
    label: str  # "October 2026"
    sheet_state: str | None  # the state of the period's payout sheet; None when it has none yet


@dataclass(frozen=True)
class WhatIfPeriods:
    choices: tuple[PeriodChoice, ...]  # newest first
    default: str | None  # the last complete month, or the newest one before it


def _signed(amount: Decimal) -> str:
    return f"+{format_money(amount)}" if amount > 0 else format_money(amount)


def _label(period: str) -> str:
    return DateRange.month(period).label


# --- which months -------------------------------------------------------------------------------------------


def _paid_later(states: dict[str, str], period: str) -> str | None:
    """The first approved or paid sheet after a period without its own sheet: it took the period's orders."""
    if period in states:
        return None
    later = sorted(p for p, state in states.items() if p > period and state != "draft")
    return later[0] if later else None


def periods_available(db: Database, today: date | None = None) -> WhatIfPeriods:
    """Months with approved, attributed orders that can be replayed (not those paid on a later month's sheet)."""
    with db.read() as session:
        today = today or program_today(program_in(session).timezone)
        c = Conversion
        days = session.scalars(
            select(c.local_date).where(c.status == "approved", c.affiliate_id.is_not(None)).group_by(c.local_date)
        )
        months = {period_of(day) for day in days}
        states: dict[str, str] = dict(session.execute(select(PayoutSheet.period, PayoutSheet.state)).all())
    months = {p for p in months | set(states) if _paid_later(states, p) is None}
    ordered = sorted(months, reverse=True)
    choices = tuple(PeriodChoice(p, _label(p), states.get(p)) for p in ordered)
    last_complete = previous_period(period_of(today))
    default = next((p for p in ordered if p <= last_complete), ordered[-1] if ordered else None)
    return WhatIfPeriods(choices, default)


# --- the replay ----------------------------------------------------------------------------------------------


def _on_plan(plan_id: int) -> Any:
    """The ids of the plan's affiliates, as a subquery: those without a plan earn by the default plan."""
    return select(Affiliate.id).where(
        or_(Affiliate.plan_id == plan_id, and_(Affiliate.plan_id.is_(None), default_plan_id() == plan_id))
    )


def _edited_terms(data: PlanInput, plan_name: str) -> PlanTerms:
    data = replace(data, name=data.name.strip() or plan_name)  # the name does not change what anyone earns
    problems = terms_problems(data)
    if problems:
        raise ValidationFailed(problems)
    return to_terms(data)


def _with_boost(terms: PlanTerms, boost: Decimal | None) -> PlanTerms:
    return replace(terms, rate_boost=boost) if boost else terms


class _Months:
    """What a sheet of `period` needs to price an affiliate's lines the way it does (payout_months): each month on
    its own, with its rate rewards and what earlier sheets paid of it."""

    def __init__(
        self, session: Session, period: str, boosts: dict[int, Decimal], paid: dict[tuple[int, str], PaidBefore]
    ) -> None:
        self.session, self.period, self.paid = session, period, paid
        self.boosts: dict[str, dict[int, Decimal]] = {period: boosts}

    def price(self, terms: PlanTerms, affiliate_id: int, lines: list[OrderLine], who: str) -> MonthCommission:
        priced = []
        for month, month_lines in by_month(lines).items():
            if month not in self.boosts:
                self.boosts[month] = rate_boosts(self.session, month)
            try:
                priced.append(price_month(_with_boost(terms, self.boosts[month].get(affiliate_id)), month, month_lines,
                                          self.paid.get((affiliate_id, month), NOTHING_PAID),
                                          late=month != self.period))  # fmt: skip
            except PlanError as exc:  # a rate reward that takes a rate past 100 %, as a sheet would refuse it too
                raise BadInput(f"{who}, with the rate reward of {month}: {exc}") from exc
        return combined(self.period, priced)


def _late_months(groups: list[tuple[int, list[OrderLine]]], period: str) -> dict[str, set[int]]:
    late: dict[str, set[int]] = defaultdict(set)
    for affiliate_id, lines in groups:
        for month in by_month(lines):
            if month != period:
                late[month].add(affiliate_id)
    return late


def _sheet_groups(session: Session, sheet_id: int, plan_id: int, skus: bool) -> Iterator[tuple[int, list[OrderLine]]]:
    """The order lines the sheet took for the plan's affiliates, at the amounts it took them, one affiliate at a time.

    Leaner than payout_queries.commission_line_query(): no trace texts, in the index's order rather than by code, and
    the SKUs and quantities only for a plan with product rules (nothing else looks at them)."""
    cl, c, line = CommissionLine, Conversion, ConversionLine
    query = (
        select(
            cl.affiliate_id,
            c.order_id,
            cl.line_no,
            c.occurred_at,
            c.type,
            cents(cl.amount),
            line.quantity if skus else literal(1),
            line.sku if skus else null(),
        )  # fmt: skip
        .join(c, c.id == cl.conversion_id)
        .where(cl.sheet_id == sheet_id, cl.affiliate_id.in_(_on_plan(plan_id)))
        .order_by(cl.affiliate_id)
        .execution_options(stream_results=True, yield_per=_STREAM_ROWS)
    )
    if skus:
        query = query.outerjoin(line, and_(line.conversion_id == cl.conversion_id, line.line_no == cl.line_no))
    affiliate_id: int | None = None
    lines: list[OrderLine] = []
    for part in session.connection().execute(query).partitions():
        for aid, order_id, line_no, occurred_at, kind, amount, quantity, sku in part:
            if aid != affiliate_id:
                if affiliate_id is not None:
                    yield affiliate_id, lines
                affiliate_id, lines = aid, []
            lines.append(OrderLine(order_id, line_no, occurred_at, kind, from_cents(amount), quantity or 1, sku))
    if affiliate_id is not None:
        yield affiliate_id, lines


@dataclass(frozen=True, slots=True)
class _Replayed:
    """The figures kept of one affiliate's replay (not the lines and their traces: 100,000 of them add up)."""

    affiliate_id: int
    did_pay: Decimal
    sales: int
    revenue: Decimal
    would_pay: Decimal
    would_over_cap: Decimal

    @classmethod
    def of(cls, affiliate_id: int, did_pay: Decimal, would: MonthCommission) -> _Replayed:
        return cls(affiliate_id, did_pay, would.sales, would.sales_revenue, would.commission, would.over_cap)


def _replay_sheet(
    session: Session, sheet: PayoutSheet, plan_id: int, edited: PlanTerms, boosts: dict[int, Decimal],
    who: Callable[[int], str], report: Progress,
) -> list[_Replayed]:  # fmt: skip
    query = select(PayoutLine.affiliate_id, cents(PayoutLine.commission)).where(
        PayoutLine.sheet_id == sheet.id, PayoutLine.affiliate_id.in_(_on_plan(plan_id))
    )
    paid: dict[int, int] = {aid: int(commission) for aid, commission in session.execute(query)}
    total = max(count_commission_lines(session, sheet.id), 1)
    replayed: list[_Replayed] = []
    done = 0
    groups = list(_sheet_groups(session, sheet.id, plan_id, bool(edited.products)))
    currency = program_in(session).currency
    before = paid_before(session, _late_months(groups, sheet.period), currency, sheets_before=sheet.period)
    months = _Months(session, sheet.period, boosts, before)
    for affiliate_id, lines in groups:
        would = months.price(edited, affiliate_id, lines, who(affiliate_id))
        replayed.append(_Replayed.of(affiliate_id, from_cents(paid.get(affiliate_id, 0)), would))
        done += len(lines)
        if len(replayed) % _REPORT_EVERY == 0:
            report(min(done, total), total, f"Replaying the {sheet.period} sheet: {done:,} order lines")
    return replayed


def _replay_open(
    session: Session, period: str, plan_id: int, current: PlanTerms, edited: PlanTerms, boosts: dict[int, Decimal],
    who: Callable[[int], str], report: Progress,
) -> tuple[int, list[_Replayed]]:  # fmt: skip
    """The orders a sheet of the period would take (the whole month), under the saved plan and the edited one;
    with the number of those orders that are from earlier months."""
    currency = program_in(session).currency
    last_day = period_end(period)
    start = datetime.combine(period_start(period), datetime.min.time())
    on_plan = set(session.scalars(_on_plan(plan_id)))
    total = max(count_orders(session, last_day, currency, period)[0], 1)
    replayed: list[_Replayed] = []
    earlier: set[str] = set()
    done = 0
    groups = [(g.affiliate_id, g.lines) for g in order_lines(session, last_day, currency) if g.affiliate_id in on_plan]
    months = _Months(session, period, boosts, paid_before(session, _late_months(groups, period), currency))
    for affiliate_id, lines in groups:
        done += len({line.order_id for line in lines})
        did = months.price(current, affiliate_id, lines, who(affiliate_id))
        would = months.price(edited, affiliate_id, lines, who(affiliate_id))
        replayed.append(_Replayed.of(affiliate_id, did.commission, would))
        earlier.update(line.order_id for line in lines if line.occurred_at < start)
        if len(replayed) % _REPORT_EVERY == 0:
            report(min(done, total), total, f"Replaying {period}: {done:,} orders")
    return len(earlier), replayed


def what_if(db: Database, plan_id: int, data: PlanInput, period: str, progress: Progress | None = None) -> WhatIfResult:
    """Each affiliate of the plan with orders in the period: what it paid (the period's payout sheet, in any state,
    or the saved plan when there is no sheet yet) against what the edited plan would pay on the same order lines,
    rate rewards and caps included. Reads only: the plan stays as it is stored."""
    period = check_period(period)
    report = progress or (lambda done, total, what: None)
    with db.read() as session:
        plan = current_plans(session, {plan_id})[plan_id]  # RefusedByState when the plan was deleted
        plan_name = plan.terms.name
        edited = _edited_terms(data, plan_name)
        settings = program_in(session)
        query = select(Affiliate.id, Affiliate.code, Affiliate.name).where(Affiliate.id.in_(_on_plan(plan_id)))
        people: dict[int, tuple[str, str]] = {aid: (code, name) for aid, code, name in session.execute(query)}

        def who(affiliate_id: int) -> str:
            code, name = people.get(affiliate_id, (f"#{affiliate_id}", ""))
            return f"{code} ({name})" if name else code

        boosts = rate_boosts(session, period)
        report(0, 1, f"Replaying {_label(period)} under the edited plan")
        sheet = session.scalars(select(PayoutSheet).where(PayoutSheet.period == period)).first()
        earlier, state = 0, sheet.state if sheet else None
        if sheet is not None:
            replayed = _replay_sheet(session, sheet, plan_id, edited, boosts, who, report)
            basis = f"payout sheet {period} ({sheet.state})"
        else:
            states = dict(session.execute(select(PayoutSheet.period, PayoutSheet.state)).all())
            later = _paid_later(states, period)
            if later is not None:
                raise RefusedByState(
                    f"{period} has no payout sheet of its own: its orders were paid on the {later} sheet. "
                    f"Replay {later} instead."
                )
            earlier, replayed = _replay_open(session, period, plan_id, plan.terms, edited, boosts, who, report)
            basis = "current plan, no sheet yet"
    rows = [
        WhatIfRow(
            affiliate_id=r.affiliate_id,
            code=people.get(r.affiliate_id, (f"#{r.affiliate_id}", ""))[0],
            name=people.get(r.affiliate_id, ("", ""))[1],
            sales=r.sales,
            revenue=r.revenue,
            did_pay=r.did_pay,
            would_pay=r.would_pay,
            would_over_cap=r.would_over_cap,
        )
        for r in replayed
    ]
    rows.sort(key=lambda row: (-row.difference, row.code.casefold()))
    return WhatIfResult(
        plan_id=plan_id,
        plan_name=plan_name,
        period=period,
        label=_label(period),
        currency=settings.currency,
        basis=basis,
        sheet_state=state,
        rows=tuple(rows),
        sales=sum(row.sales for row in rows),
        revenue=sum((row.revenue for row in rows), ZERO),
        did_pay=sum((row.did_pay for row in rows), ZERO),
        would_pay=sum((row.would_pay for row in rows), ZERO),
        earlier_orders=earlier,
    )
