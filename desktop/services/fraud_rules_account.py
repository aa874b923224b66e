"""Fraud rules about affiliates' accounts: high refund rates, shared payee details, orders while not active."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from desktop.models import Affiliate, Conversion, StatusChange
from desktop.services.fraud_rules import (
    LIVE,
    Finding,
    FraudSettings,
    Scope,
    chunks,
    listed,
    partners,
    percent,
    period_label,
    period_of,
    plural,
    short_hash,
)

PARTNER_STATUSES = ("active", "paused", "terminated")  # have been paid or could be: payee details matter


def refund_rate(session: Session, scope: Scope, settings: FraudSettings) -> list[Finding]:
    """A month in which a quarter (by default) of an affiliate's sales revenue was refunded."""
    c = Conversion.__table__.c
    month = scope.month(c.local_date)
    refunded_value = case((c.status == "refunded", c.amount), else_=c.refunded_amount)
    was_refunded = case((or_(c.status == "refunded", c.refunded_amount > 0), 1), else_=0)
    query = (
        select(c.affiliate_id, month, func.count(), func.sum(was_refunded), func.sum(c.amount),
               func.sum(refunded_value), func.max(c.currency))  # fmt: skip
        .where(c.affiliate_id.is_not(None), c.type == "sale", c.status.in_((*LIVE, "refunded")))
        .where(*scope.dates(c.local_date))
        .group_by(c.affiliate_id, month)
        .having(func.count() >= settings.refund_min_orders)
    )
    flagged: dict[tuple[int, str], str] = {}
    severities: dict[tuple[int, str], str] = {}
    for affiliate_id, period, orders, refunds, gross, refunded, currency in session.execute(query):
        if not gross or gross <= 0:
            continue
        rate = Decimal(refunded) / Decimal(gross)
        if rate < settings.refund_rate:
            continue
        flagged[(affiliate_id, period)] = (
            f"{refunds:,} of {plural(orders, 'sale')} in {period_label(period)} refunded: {refunded:,.2f} of "
            f"{gross:,.2f} {currency}, a refund rate of {percent(rate)} (the limit is {percent(settings.refund_rate)})"
        )
        severities[(affiliate_id, period)] = "high" if rate >= 2 * settings.refund_rate else "medium"
    refunded_orders: dict[tuple[int, str], list[int]] = defaultdict(list)
    for part in chunks(sorted({affiliate_id for affiliate_id, _ in flagged})):
        query2 = (
            select(c.id, c.affiliate_id, month)
            .where(c.affiliate_id.in_(part), c.type == "sale", or_(c.status == "refunded", c.refunded_amount > 0))
            .where(c.status != "rejected", *scope.dates(c.local_date))
            .order_by(c.occurred_at, c.id)
        )
        for cid, affiliate_id, period in session.execute(query2):
            refunded_orders[(affiliate_id, period)].append(cid)
    return [
        Finding("refund_rate", affiliate_id, period, severities[(affiliate_id, period)], evidence,
                tuple(refunded_orders.get((affiliate_id, period), ())))  # fmt: skip
        for (affiliate_id, period), evidence in sorted(flagged.items())
    ]


def _mask_iban(iban: str) -> str:
    return f"{iban[:2]}…{iban[-4:]}" if len(iban) > 8 else iban


def shared_payee(session: Session, scope: Scope, settings: FraudSettings) -> list[Finding]:
    """Two or more partners paid to the same PayPal address or bank account: one person, several accounts."""
    a = Affiliate.__table__.c
    payee = func.lower(func.coalesce(a.payee_email, a.email))
    iban = func.upper(func.replace(a.bank_iban, " ", ""))
    groups: list[tuple[str, str, list[int]]] = []
    for value, what in ((payee, "payee e-mail"), (iban, "bank account")):
        shared = (
            select(value).where(value.is_not(None), value != "", a.status.in_(PARTNER_STATUSES))
            .group_by(value).having(func.count() > 1)
        )  # fmt: skip
        members: dict[str, list[int]] = defaultdict(list)
        for part in chunks(list(session.scalars(shared))):
            query = select(value, a.id).where(value.in_(part), a.status.in_(PARTNER_STATUSES)).order_by(a.id)
            for key, affiliate_id in session.execute(query):
                members[key].append(affiliate_id)
        groups.extend((what, key, ids) for key, ids in members.items())
    people = partners(session, {i for _, _, ids in groups for i in ids})
    findings = []
    for what, key, ids in groups:
        shown = key if what == "payee e-mail" else _mask_iban(key)
        terminated = any(people[i].status == "terminated" for i in ids)
        for affiliate_id in ids:
            others = [f"{people[i].label}{', terminated' if people[i].status == 'terminated' else ''}"
                      for i in ids if i != affiliate_id]  # fmt: skip
            evidence = (f"The {what} {shown} of {people[affiliate_id].name} is also the {what} of {listed(others)}: "
                        "one person may be collecting commission through several accounts")  # fmt: skip
            findings.append(Finding("shared_payee", affiliate_id, None, "high" if terminated else "medium", evidence,
                                    key=f"{what.split()[0]}:{short_hash(key)}"))  # fmt: skip
    return findings


def _inactive_since(changes: list[tuple[datetime, str]]) -> datetime | None:
    """When the affiliate stopped being active (None: never active), from their status history, oldest first."""
    since: datetime | None = None
    was_active = False
    for changed_at, status in changes:
        if status == "active":
            was_active, since = True, None
        elif since is None:
            since = changed_at
    return since if was_active else None


def inactive_affiliate(session: Session, scope: Scope, settings: FraudSettings) -> list[Finding]:
    """Orders credited to a partner after they were paused or terminated, or who was never approved."""
    c, a, h = Conversion.__table__.c, Affiliate.__table__.c, StatusChange.__table__.c
    candidates = list(
        session.scalars(
            select(c.affiliate_id).distinct().join(Affiliate, Affiliate.id == c.affiliate_id)
            .where(a.status != "active", c.status.in_(LIVE), *scope.dates(c.local_date))
        )
    )  # fmt: skip
    if not candidates:
        return []
    people = partners(session, candidates)
    history: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for part in chunks(candidates):
        query = select(h.affiliate_id, h.changed_at, h.to_status).where(h.affiliate_id.in_(part))
        for affiliate_id, changed_at, status in session.execute(query.order_by(h.changed_at, h.id)):
            history[affiliate_id].append((changed_at, status))
    since = {i: _inactive_since(history[i]) for i in candidates}
    found: dict[tuple[int, str], list[tuple[int, Decimal, str]]] = defaultdict(list)
    for part in chunks(candidates):
        live_orders = (
            select(c.id, c.affiliate_id, c.occurred_at, c.net_amount, c.currency)
            .where(c.affiliate_id.in_(part), c.status.in_(LIVE), *scope.dates(c.local_date))
            .order_by(c.occurred_at, c.id)
        )
        for cid, affiliate_id, occurred_at, amount, currency in session.execute(live_orders):
            start = since[affiliate_id]
            if start is None or occurred_at >= start:
                found[(affiliate_id, period_of(occurred_at))].append((cid, amount, currency))
    findings = []
    for (affiliate_id, period), orders in sorted(found.items()):
        person, start = people[affiliate_id], since[affiliate_id]
        total = sum((amount for _, amount, _ in orders), Decimal("0.00"))
        what = f"{plural(len(orders), 'order')} ({total:,.2f} {orders[0][2]}) in {period_label(period)}"
        if start is None:
            evidence = f"{what} credited to {person.name}, who was never an active partner (status: {person.status})"
        else:
            evidence = (f"{what} credited to {person.name} after they stopped being active on {start:%d %b %Y} "
                        f"(status now: {person.status})")  # fmt: skip
        severity = "high" if person.status in ("terminated", "rejected") else "medium"
        findings.append(Finding("inactive_affiliate", affiliate_id, period, severity, evidence,
                                tuple(cid for cid, _, _ in orders)))  # fmt: skip
    return findings
