"""Building a period's payout sheet: one streaming query through the commission engine into bulk inserts."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import Adjustment, CommissionLine, PayoutLine, PayoutSheet
from desktop.money import ZERO, from_cents, to_cents
from desktop.services.affiliates import current_user
from desktop.services.commission_engine import OrderLine, PlanError
from desktop.services.errors import BadInput, RefusedByState
from desktop.services.payout_changes import changes_between, store_changes
from desktop.services.payout_guards import check_can_build
from desktop.services.payout_inputs import (
    PlanUsed,
    adjustment_sums,
    affiliate_plans,
    carried_balances,
    current_plans,
    open_holds,
    previous_sheet,
    rate_boosts,
    terms_for,
)
from desktop.services.payout_months import (
    NOTHING_PAID,
    MonthCommission,
    by_month,
    combined,
    paid_before,
    price_month,
)
from desktop.services.payout_orders import (
    AffiliateOrders,
    LineWriter,
    count_orders,
    insert_payout_lines,
    order_lines,
)
from desktop.services.payout_refunds import cents, insert_refund_adjustments, refund_adjustments
from desktop.services.payout_types import PayableChange, SheetSummary, check_period, period_end, period_start
from desktop.services.program_settings import ProgramSettings, program_in

Progress = Callable[[int, int, str], None]
PRICED_TOGETHER = 500  # affiliates priced as a batch: one look-up of what earlier sheets paid of their late months


@dataclass(frozen=True)
class Built:
    """What a (re)build wrote, and the fingerprint approval compares."""

    digest: str
    affiliates: int
    paying: int
    held: int
    carrying: int
    payable: Decimal
    commission: Decimal
    conversions: int
    commission_lines: int
    waiting: int
    refunds: int
    last_day: date
    plans: tuple[PlanUsed, ...]
    warnings: tuple[str, ...]
    rows: dict[int, tuple[Decimal, Decimal]]  # affiliate -> (payable, carried_out)


def rebuild(session: Session, sheet: PayoutSheet, period: str, as_of: date, progress: Progress | None) -> Built:
    """Replace the draft's lines with a fresh computation, in the caller's transaction."""
    report = progress or (lambda done, total, what: None)
    settings = program_in(session)
    now, user = datetime.now().replace(microsecond=0), current_user()
    last_day = min(period_end(period), as_of - timedelta(days=settings.hold_days))
    digest = hashlib.sha256(f"{period}|{as_of}|{settings.payout_threshold}|{settings.currency}".encode())

    session.execute(delete(CommissionLine).where(CommissionLine.sheet_id == sheet.id))
    session.execute(delete(PayoutLine).where(PayoutLine.sheet_id == sheet.id))
    session.execute(
        delete(Adjustment).where(
            Adjustment.period == period, Adjustment.kind == "refund", Adjustment.conversion_id.is_not(None)
        )
    )
    refunds = refund_adjustments(session, period)
    insert_refund_adjustments(session, period, refunds, now, user)
    for refund in refunds:
        digest.update(f"R{refund.affiliate_id}|{refund.conversion_id}|{refund.amount}".encode())

    taking, waiting, foreign = count_orders(session, last_day, settings.currency, period)
    report(0, max(taking, 1), f"Computing the commissions of {taking:,} orders")
    plan_of, default_plan = affiliate_plans(session)
    boosts: dict[str, dict[int, Decimal]] = {}
    plans: dict[int, PlanUsed] = {}
    results: dict[int, tuple[MonthCommission, PlanUsed]] = {}
    writer = LineWriter(session, sheet.id)
    done = 0
    earlier_orders, earlier_cut = 0, ZERO  # orders of earlier months on this sheet, and what their caps took

    def price(groups: list[tuple[AffiliateOrders, dict[str, list[OrderLine]]]]) -> None:
        """Each affiliate's months priced in their own month (payout_months); what earlier sheets paid of the late
        months is looked up for a whole batch of affiliates at once."""
        nonlocal done, earlier_orders, earlier_cut
        late: dict[str, set[int]] = defaultdict(set)
        for group, months in groups:
            for month in months:
                if month != period:
                    late[month].add(group.affiliate_id)
        before = paid_before(session, late, settings.currency) if late else {}
        for group, months in groups:
            plan_id = plan_of.get(group.affiliate_id) or default_plan
            if plan_id is None:
                raise RefusedByState("There is no commission plan yet: create one on the Commission plans page first.")
            if plan_id not in plans:
                plans.update(current_plans(session, {plan_id}))
            plan = plans[plan_id]
            priced = []
            try:
                for month, lines in months.items():
                    if month not in boosts:
                        boosts[month] = rate_boosts(session, month)
                    terms = terms_for(plan, boosts[month].get(group.affiliate_id))
                    paid = before.get((group.affiliate_id, month), NOTHING_PAID)
                    priced.append(price_month(terms, month, lines, paid, late=month != period))
                    if month != period:
                        earlier_orders += len({line.order_id for line in lines})
                        earlier_cut += priced[-1].cut_in_lines
            except (PlanError, ValueError) as exc:
                raise BadInput(f"affiliate #{group.affiliate_id}, plan {plan.label}: {exc}") from exc
            computed = combined(period, priced)
            amounts = {(line.order_id, line.line_no): line.amount for line in group.lines}
            for line in computed.lines:
                amount = to_cents(amounts[(line.order_id, line.line_no)])
                commission = to_cents(line.amount)
                conversion_id = group.conversions[line.order_id]
                writer.add(group.affiliate_id, conversion_id, line.line_no, amount, commission, line.rule, line.trace)
                digest.update(
                    f"{conversion_id}|{line.line_no}|{amount}|{commission}|{line.rule}|{line.trace}\n".encode()
                )
            results[group.affiliate_id] = (computed, plan)
            done += len(group.conversions)
        report(done, max(taking, 1), f"Computing commissions: {done:,} of {taking:,} orders")

    batch: list[tuple[AffiliateOrders, dict[str, list[OrderLine]]]] = []
    for group in order_lines(session, last_day, settings.currency):
        batch.append((group, by_month(group.lines)))
        if len(batch) == PRICED_TOGETHER:
            price(batch)
            batch = []
    price(batch)
    writer.flush()
    report(taking, max(taking, 1), "Writing the sheet")

    prev = previous_sheet(session, period)
    carried = carried_balances(session, prev.id if prev else None)
    adjustments = adjustment_sums(session, prev.period if prev else None, period)
    held = open_holds(session)
    rows = _payout_rows(sheet.id, results, carried, adjustments, held, settings.payout_threshold)
    insert_payout_lines(session, rows)
    balances: dict[int, tuple[Decimal, Decimal]] = {}
    for row in rows:
        balances[row["affiliate_id"]] = (row["payable"], row["carried_out"])
        digest.update(("P" + "|".join(str(row[key]) for key in sorted(row)) + "\n").encode())
    used = tuple(sorted({plan.version_id: plan for _, plan in results.values()}.values(), key=lambda p: p.label))
    warnings = _warnings(period, as_of, settings.hold_days, waiting, foreign, settings.currency)
    if earlier_orders:
        orders = "1 order" if earlier_orders == 1 else f"{earlier_orders:,} orders"
        cut = f"; their months' caps took {earlier_cut:,.2f} off them" if earlier_cut else ""
        warnings += (f"{orders} of earlier months (held back, approved or imported late) are on this sheet, each "
                     f"priced in its own month{cut}: see their lines' traces.",)  # fmt: skip
    return Built(
        digest=digest.hexdigest(),
        affiliates=len(rows),
        paying=sum(1 for row in rows if row["payable"] > 0),
        held=sum(1 for row in rows if row["held"]),
        carrying=sum(1 for row in rows if row["carried_out"] != 0),
        payable=sum((row["payable"] for row in rows), ZERO),
        commission=sum((row["commission"] for row in rows), ZERO),
        conversions=done,
        commission_lines=writer.count,
        waiting=waiting,
        refunds=len(refunds),
        last_day=last_day,
        plans=used,
        warnings=warnings,
        rows=balances,
    )


def _payout_rows(
    sheet_id: int,
    results: dict[int, tuple[MonthCommission, PlanUsed]],
    carried: dict[int, Decimal],
    adjustments: dict[int, tuple[Decimal, Decimal]],
    held: set[int],
    threshold: Decimal,
) -> list[dict[str, Any]]:
    rows = []
    for affiliate_id in sorted(set(results) | set(carried) | set(adjustments)):
        computed, plan = results.get(affiliate_id, (None, None))
        bonuses, other = adjustments.get(affiliate_id, (ZERO, ZERO))
        carried_in = carried.get(affiliate_id, ZERO)
        commission = computed.commission if computed else ZERO
        balance = carried_in + commission + bonuses + other
        on_hold = affiliate_id in held
        pays = not on_hold and balance > 0 and balance >= threshold
        rows.append(
            {
                "sheet_id": sheet_id,
                "affiliate_id": affiliate_id,
                "plan_version_id": plan.version_id if plan else None,
                "sales": computed.sales if computed else 0,
                "sales_revenue": computed.sales_revenue if computed else ZERO,
                "leads": computed.leads if computed else 0,
                "signups": computed.signups if computed else 0,
                "commission": commission,
                "over_cap": computed.over_cap if computed else ZERO,
                "bonuses": bonuses,
                "adjustments": other,
                "carried_in": carried_in,
                "payable": balance if pays else ZERO,
                "carried_out": ZERO if pays else balance,
                "held": on_hold,
            }
        )
    return rows


def _warnings(period: str, as_of: date, hold_days: int, waiting: int, foreign: int, currency: str) -> tuple[str, ...]:
    found = []
    if as_of < period_end(period):
        found.append(f"{period} is not over as of {as_of.isoformat()}: later orders of the month go on the next sheet.")
    if waiting:
        orders = "1 order" if waiting == 1 else f"{waiting:,} orders"
        why = f"younger than the {hold_days} hold days" if hold_days else f"after {as_of.isoformat()}"
        found.append(f"{orders} of {period} {why} wait for the next sheet.")
    if foreign:
        found.append(f"{foreign:,} orders are not in {currency}, the program's currency, and were left out.")
    return tuple(found)


def build_payout_sheet(
    db: Database, period: str, *, as_of: date | None = None, progress: Progress | None = None
) -> SheetSummary:
    """Build (or rebuild) the draft sheet of a period in one transaction; RefusedByState once it is approved."""
    period = check_period(period)
    from desktop.services.targets_settle import settle_due_targets  # targets build on payouts: import late

    settle_due_targets(db, as_of)  # targets of finished months first, so their bonuses are on this sheet
    with db.write() as session:
        settings = program_in(session)
        as_of = as_of or program_today(settings.timezone)
        if period_start(period) > as_of:
            raise BadInput(f"{period} has not started yet (as of {as_of.isoformat()}): there is nothing to pay")
        sheet = check_can_build(session, period)
        now, user = datetime.now().replace(microsecond=0), current_user()
        before: dict[int, tuple[Decimal, Decimal]] | None = None
        previous_build: datetime | None = None
        if sheet is None:
            sheet = PayoutSheet(period=period, state="draft", currency=settings.currency, built_at=now,
                                built_by=user, settings_json="{}")  # fmt: skip
            session.add(sheet)
            session.flush()
        else:
            before = _balances(session, sheet.id)
            previous_build = sheet.built_at
        built = rebuild(session, sheet, period, as_of, progress)
        changes: tuple[PayableChange, ...] = ()
        if before is not None:
            changes = changes_between(session, before, built.rows)
            sheet.changes_json = store_changes(previous_build, changes)
        sheet.currency = settings.currency
        sheet.built_at, sheet.built_by = now, user
        sheet.settings_json = json.dumps(_settings_record(settings, as_of, built), ensure_ascii=False)
    return SheetSummary(
        period=period,
        state="draft",
        currency=settings.currency,
        affiliates=built.affiliates,
        paying=built.paying,
        held=built.held,
        carrying=built.carrying,
        payable=built.payable,
        commission=built.commission,
        conversions=built.conversions,
        commission_lines=built.commission_lines,
        waiting=built.waiting,
        refunds=built.refunds,
        rebuilt=before is not None,
        changes=changes,
        warnings=built.warnings,
        as_of=as_of,
    )


def program_today(timezone: str) -> date:
    """Today in the program's time zone: the day hold days are counted from."""
    try:
        return datetime.now(ZoneInfo(timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return date.today()


def _balances(session: Session, sheet_id: int) -> dict[int, tuple[Decimal, Decimal]]:
    query = select(PayoutLine.affiliate_id, cents(PayoutLine.payable), cents(PayoutLine.carried_out)).where(
        PayoutLine.sheet_id == sheet_id
    )
    return {aid: (from_cents(int(p)), from_cents(int(c))) for aid, p, c in session.execute(query)}


def _settings_record(settings: ProgramSettings, as_of: date, built: Built) -> dict[str, Any]:
    return {
        "program": {
            "name": settings.name,
            "currency": settings.currency,
            "timezone": settings.timezone,
            "payout_threshold": f"{settings.payout_threshold:.2f}",
            "hold_days": settings.hold_days,
        },
        "as_of": as_of.isoformat(),
        "last_day": built.last_day.isoformat(),
        "plans": [{"version_id": p.version_id, "plan": p.label, "terms": p.description} for p in built.plans],
        "digest": built.digest,
        "warnings": list(built.warnings),
    }
