"""Reading payout sheets: the periods with their state, a sheet's rows, and one row's order lines and adjustments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import Session, aliased

from desktop.db import Database
from desktop.models import (
    Adjustment,
    Affiliate,
    CommissionLine,
    CommissionPlan,
    Conversion,
    ConversionLine,
    PayoutLine,
    PayoutSheet,
    PlanVersion,
)
from desktop.money import from_cents
from desktop.services.errors import RefusedByState
from desktop.services.payout_changes import load_changes
from desktop.services.payout_refunds import cents
from desktop.services.payout_types import (
    MANUAL_KINDS,
    AdjustmentRow,
    CommissionLineRow,
    LineDetails,
    SheetInfo,
    SheetRow,
    check_period,
)


def _info(sheet: PayoutSheet, affiliates: int, payable: int, paying: int) -> SheetInfo:
    record: dict[str, Any] = json.loads(sheet.settings_json or "{}")
    program = record.get("program", {})
    changes, previous = load_changes(sheet.changes_json)
    return SheetInfo(
        id=sheet.id,
        period=sheet.period,
        state=sheet.state,
        currency=sheet.currency,
        built_at=sheet.built_at,
        built_by=sheet.built_by,
        approved_at=sheet.approved_at,
        approved_by=sheet.approved_by,
        paid_on=sheet.paid_at.date() if sheet.paid_at else None,
        paid_reference=sheet.paid_reference,
        as_of=date.fromisoformat(record["as_of"]) if record.get("as_of") else None,
        hold_days=int(program.get("hold_days", 0)),
        payout_threshold=Decimal(program.get("payout_threshold", "0.00")),
        plan_versions=tuple(f"{p['plan']} · {p['terms']}" for p in record.get("plans", [])),
        warnings=tuple(record.get("warnings", [])),
        changes=changes,
        previous_build=previous,
        affiliates=affiliates,
        payable=from_cents(payable),
        paying=paying,
    )


def _sheet_sums(session: Session, sheet_id: int | None = None) -> dict[int, tuple[int, int, int]]:
    payable = cents(PayoutLine.payable)
    query = select(
        PayoutLine.sheet_id, func.count(), func.sum(payable), func.sum(case((payable > 0, 1), else_=0))
    ).group_by(PayoutLine.sheet_id)
    if sheet_id is not None:
        query = query.where(PayoutLine.sheet_id == sheet_id)
    return {sid: (int(n), int(total or 0), int(paying or 0)) for sid, n, total, paying in session.execute(query)}


def list_sheets(db: Database) -> list[SheetInfo]:
    """Every sheet, the latest period first."""
    with db.read() as session:
        sums = _sheet_sums(session)
        sheets = session.scalars(select(PayoutSheet).order_by(PayoutSheet.period.desc()))
        return [_info(sheet, *sums.get(sheet.id, (0, 0, 0))) for sheet in sheets]


def sheet_of(session: Session, period: str) -> PayoutSheet:
    sheet = session.scalars(select(PayoutSheet).where(PayoutSheet.period == check_period(period))).first()
    if sheet is None:
        raise RefusedByState(f"There is no payout sheet for {period} yet: build it first.")
    return sheet


def sheet_info(db: Database, period: str) -> SheetInfo:
    with db.read() as session:
        sheet = sheet_of(session, period)
        return _info(sheet, *_sheet_sums(session, sheet.id).get(sheet.id, (0, 0, 0)))


def payee_of(payee_email: str | None, email: str | None) -> str:
    """Where PayPal pays an affiliate: the payee email, else the contact email."""
    return (payee_email or "").strip() or (email or "").strip()


def freeze_payees(session: Session, sheet_id: int) -> None:
    """Keep on a paid sheet's lines whom they paid: the affiliate's code, name and payee email of now."""
    a = Affiliate
    rows = session.execute(
        select(PayoutLine.id, a.code, a.name, a.payee_email, a.email)
        .join(a, a.id == PayoutLine.affiliate_id)
        .where(PayoutLine.sheet_id == sheet_id)
    )
    values = [{"id": line_id, "affiliate_code": code, "affiliate_name": name, "payee_email": payee_of(payee, email)}
              for line_id, code, name, payee, email in rows]  # fmt: skip
    if values:  # one executemany by primary key: a line per affiliate, 10,000 at most
        session.execute(update(PayoutLine), values)


def _row_query(sheet: PayoutSheet) -> Any:
    line, a = PayoutLine, Affiliate
    return (
        select(line, a.code, a.name, a.payee_email, a.email, CommissionPlan.name, PlanVersion.version)
        .join(a, a.id == line.affiliate_id)
        .outerjoin(PlanVersion, PlanVersion.id == line.plan_version_id)
        .outerjoin(CommissionPlan, CommissionPlan.id == PlanVersion.plan_id)
        .where(line.sheet_id == sheet.id)
    )


def _row(sheet: PayoutSheet, found: Any) -> SheetRow:
    line, code, name, payee, email, plan, version = found
    frozen = line.affiliate_code is not None  # paid: whom it paid, as they were then
    payee_email = line.payee_email or "" if frozen else payee_of(payee, email)
    if not payee_email and sheet.state == "approved":  # frozen empty at approval by an earlier version: not paid yet
        payee_email = payee_of(payee, email)
    return SheetRow(
        affiliate_id=line.affiliate_id,
        affiliate_code=line.affiliate_code if frozen else code,
        affiliate_name=line.affiliate_name or "" if frozen else name,
        payee_email=payee_email,
        currency=sheet.currency,
        sales=line.sales,
        sales_revenue=line.sales_revenue,
        leads=line.leads,
        signups=line.signups,
        commission=line.commission,
        over_cap=line.over_cap,
        bonuses=line.bonuses,
        adjustments=line.adjustments,
        carried_in=line.carried_in,
        payable=line.payable,
        carried_out=line.carried_out,
        held=line.held,
        plan=f"{plan} v{version}" if plan else "",
    )


def sheet_rows(session: Session, sheet: PayoutSheet) -> list[SheetRow]:
    query = _row_query(sheet).order_by(func.coalesce(PayoutLine.affiliate_code, Affiliate.code))
    return [_row(sheet, found) for found in session.execute(query)]


def get_sheet(db: Database, period: str) -> list[SheetRow]:
    """One row per affiliate on the period's sheet, by affiliate code."""
    with db.read() as session:
        return sheet_rows(session, sheet_of(session, period))


def covered_periods(session: Session, sheet: PayoutSheet) -> tuple[str | None, str]:
    """The adjustment periods a sheet takes: after the previous sheet's period, up to its own."""
    previous = session.scalar(select(func.max(PayoutSheet.period)).where(PayoutSheet.period < sheet.period))
    return previous, sheet.period


def _adjustment_query(session: Session, sheet: PayoutSheet) -> Any:
    after, upto = covered_periods(session, sheet)
    code = func.coalesce(PayoutLine.affiliate_code, Affiliate.code)  # as paid (see freeze_payees)
    on_sheet = and_(PayoutLine.sheet_id == sheet.id, PayoutLine.affiliate_id == Adjustment.affiliate_id)
    query = (
        select(Adjustment, code, func.coalesce(PayoutLine.affiliate_name, Affiliate.name), Conversion.order_id)
        .join(Affiliate, Affiliate.id == Adjustment.affiliate_id)
        .outerjoin(PayoutLine, on_sheet)
        .outerjoin(Conversion, Conversion.id == Adjustment.conversion_id)
        .where(Adjustment.period <= upto)
        .order_by(code, Adjustment.period, Adjustment.id)
    )
    return query.where(Adjustment.period > after) if after else query


def sheet_adjustments(session: Session, sheet: PayoutSheet, affiliate_id: int | None = None) -> list[AdjustmentRow]:
    query = _adjustment_query(session, sheet)
    if affiliate_id is not None:
        query = query.where(Adjustment.affiliate_id == affiliate_id)
    open_ = sheet.state == "draft"
    return [
        AdjustmentRow(
            id=adj.id,
            affiliate_id=adj.affiliate_id,
            affiliate_code=code,
            affiliate_name=name,
            period=adj.period,
            kind=adj.kind,
            amount=adj.amount,
            reason=adj.reason,
            order_id=order_id,
            created_at=adj.created_at,
            created_by=adj.created_by,
            removable=open_ and adj.kind in MANUAL_KINDS,
        )
        for adj, code, name, order_id in session.execute(query)
    ]


def commission_line_query(sheet_id: int, affiliate_id: int | None = None) -> Any:
    """Commission lines with their order's date and the line's SKU, by affiliate code, date, order and line."""
    cl, c, line = CommissionLine, Conversion, ConversionLine
    affiliate, payout = aliased(Affiliate), aliased(PayoutLine)
    code = func.coalesce(payout.affiliate_code, affiliate.code)  # as paid (see freeze_payees)
    query = (
        select(
            code,
            cl.conversion_id,
            c.order_id,
            c.local_date,
            c.type,
            cl.line_no,
            line.sku,
            line.product,
            line.quantity,
            cents(cl.amount),
            cents(cl.commission),
            cl.rule,
            cl.trace,
        )  # fmt: skip
        .join(c, c.id == cl.conversion_id)
        .join(affiliate, affiliate.id == cl.affiliate_id)
        .outerjoin(payout, and_(payout.sheet_id == cl.sheet_id, payout.affiliate_id == cl.affiliate_id))
        .outerjoin(line, and_(line.conversion_id == cl.conversion_id, line.line_no == cl.line_no))
        .where(cl.sheet_id == sheet_id)
        .order_by(code, c.local_date, c.order_id, cl.line_no)
    )
    return query.where(cl.affiliate_id == affiliate_id) if affiliate_id is not None else query


def line_row(found: Any) -> CommissionLineRow:
    _, cid, order_id, day, kind, line_no, sku, product, quantity, amount, commission, rule, trace = found
    return CommissionLineRow(cid, order_id, day, kind, line_no, sku, product, quantity or 1,
                             from_cents(int(amount)), from_cents(int(commission)), rule, trace)  # fmt: skip


def iter_commission_rows(session: Session, sheet_id: int) -> Iterator[Any]:
    """Every commission line of a sheet as commission_line_query's raw row (amounts in cents), streamed."""
    query = commission_line_query(sheet_id).execution_options(stream_results=True, yield_per=5000)
    yield from session.connection().execute(query)


def count_commission_lines(session: Session, sheet_id: int) -> int:
    return int(session.scalar(select(func.count()).where(CommissionLine.sheet_id == sheet_id)) or 0)


def sheet_line_details(db: Database, period: str, affiliate_id: int) -> LineDetails:
    """The order lines (with their traces) and the adjustments behind one affiliate's row."""
    with db.read() as session:
        sheet = sheet_of(session, period)
        found = session.execute(_row_query(sheet).where(PayoutLine.affiliate_id == affiliate_id)).first()
        if found is None:
            raise RefusedByState(f"Affiliate #{affiliate_id} is not on the {period} sheet (was it built again?).")
        lines = tuple(line_row(r) for r in session.execute(commission_line_query(sheet.id, affiliate_id)))
        adjustments = tuple(sheet_adjustments(session, sheet, affiliate_id))
        return LineDetails(sheet.period, sheet.state, _row(sheet, found), lines, adjustments)
