"""Fraud rules over traffic: click floods, conversion rates out of range, and coupon codes leaking to deal sites."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from desktop.models import Click, Conversion, DailyClicks
from desktop.services.fraud_rules import (
    LIVE,
    Finding,
    FraudSettings,
    Scope,
    chunks,
    listed,
    percent,
    period_label,
    period_of,
    plural,
    shift_period,
    short_hash,
)

NOT_REJECTED = (*LIVE, "refunded")


def _densest(times: list[datetime], seconds: int) -> tuple[int, int]:
    """The most clicks inside any `seconds`-long window, and the index its window starts at (two pointers)."""
    best, best_start, start = 0, 0, 0
    for end, moment in enumerate(times):
        while (moment - times[start]).total_seconds() > seconds:
            start += 1
        if end - start + 1 > best:
            best, best_start = end - start + 1, start
    return best, best_start


def click_flood(session: Session, scope: Scope, settings: FraudSettings) -> list[Finding]:
    """More than N clicks from one IP or one visitor within M seconds, on one affiliate's links."""
    k = Click.__table__.c
    limit, seconds = settings.flood_clicks, settings.flood_seconds
    floods: list[tuple[int, str, str, str, int, datetime, set[str]]] = []
    for column, what in ((k.ip, "IP"), (k.visitor_id, "visitor")):
        # Only sources with more clicks than the limit in the whole scope can flood: SQL finds those few.
        busy = (
            select(k.affiliate_id.label("affiliate_id"), column.label("source"))
            .where(column.is_not(None), *scope.dates(k.local_date))
            .group_by(k.affiliate_id, column)
            .having(func.count() > limit)
            .subquery()
        )
        query = (
            select(k.affiliate_id, column, k.clicked_at, k.visitor_id)
            .join(busy, and_(busy.c.affiliate_id == k.affiliate_id, busy.c.source == column))
            .where(*scope.dates(k.local_date))
            .order_by(k.affiliate_id, column, k.clicked_at)
        )
        runs: dict[tuple[int, str, str], list[tuple[datetime, str | None]]] = defaultdict(list)
        for affiliate_id, source, clicked_at, visitor in session.execute(query):
            runs[(affiliate_id, source, period_of(clicked_at))].append((clicked_at, visitor))
        for (affiliate_id, source, period), clicks in runs.items():
            times = [moment for moment, _ in clicks]
            count, start = _densest(times, seconds)
            if count > limit:
                visitors = {v for _, v in clicks[start : start + count] if v}
                floods.append((affiliate_id, period, what, source, count, times[start], visitors))
    orders = _orders_of_visitors(session, scope, {(f[0], f[1]): f[6] for f in floods})
    findings = []
    for affiliate_id, period, what, source, count, start_at, visitors in sorted(floods, key=lambda f: f[:4]):
        ids = tuple(cid for cid, visitor in orders.get((affiliate_id, period), ()) if visitor in visitors)
        evidence = (f"{plural(count, 'click')} from {what} {source} within {seconds} seconds on "
                    f"{start_at:%d %b %Y at %H:%M} (more than {limit} in {seconds} seconds is a flood)")  # fmt: skip
        evidence += f"; {plural(len(ids), 'order')} came from those visitors" if ids else "; no order came of them"
        findings.append(Finding("click_flood", affiliate_id, period, "high" if count > 5 * limit else "medium",
                                evidence, ids, f"{what}:{short_hash(source)}"))  # fmt: skip
    return findings


def _orders_of_visitors(
    session: Session, scope: Scope, wanted: dict[tuple[int, str], set[str]]
) -> dict[tuple[int, str], list[tuple[int, str]]]:
    c = Conversion.__table__.c
    visitors = sorted({v for values in wanted.values() for v in values})
    affiliates = sorted({affiliate for affiliate, _ in wanted})
    found: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for part in chunks(visitors):
        query = (
            select(c.id, c.affiliate_id, scope.month(c.local_date), c.visitor_id)
            .where(c.affiliate_id.in_(affiliates), c.visitor_id.in_(part), c.status.in_(LIVE))
            .where(*scope.dates(c.local_date))
            .order_by(c.occurred_at, c.id)
        )
        for cid, affiliate_id, period, visitor in session.execute(query):
            found[(affiliate_id, period)].append((cid, visitor))
    return found


def clicks_by_month(session: Session, scope: Scope, months_before: int = 0) -> dict[tuple[int, str], int]:
    """Clicks per (affiliate, month): the click log's count or the daily counts, whichever is larger.

    Shops send one or the other; taking the larger never counts a click twice when a month has both.
    """
    k, d = Click.__table__.c, DailyClicks.__table__.c
    logged = select(k.affiliate_id, scope.month(k.local_date), func.count()).where(
        *scope.dates(k.local_date, months_before)
    ).group_by(k.affiliate_id, scope.month(k.local_date))
    daily = select(d.affiliate_id, scope.month(d.day), func.sum(d.clicks)).where(
        *scope.dates(d.day, months_before)
    ).group_by(d.affiliate_id, scope.month(d.day))
    counts: dict[tuple[int, str], int] = {}
    for query in (logged, daily):
        for affiliate_id, period, count in session.execute(query):
            counts[(affiliate_id, period)] = max(counts.get((affiliate_id, period), 0), int(count or 0))
    return counts


def conversion_rate(session: Session, scope: Scope, settings: FraudSettings) -> list[Finding]:
    """Sales per click outside the expected range once an affiliate has enough sales in a month.

    Only sales that came through the affiliate's links (referral code or click) count: a coupon sale needs no click.
    """
    c = Conversion.__table__.c
    month = scope.month(c.local_date)
    query = (
        select(c.affiliate_id, month, func.count())
        .where(c.affiliate_id.is_not(None), c.type == "sale", c.status.in_(NOT_REJECTED))
        .where(c.attribution.in_(("referral", "click")), *scope.dates(c.local_date))
        .group_by(c.affiliate_id, month)
        .having(func.count() >= settings.rate_min_sales)
    )
    sales = {(affiliate_id, period): count for affiliate_id, period, count in session.execute(query)}
    if not sales:
        return []
    clicks = clicks_by_month(session, scope)
    months_with_clicks = {period for _, period in clicks}
    findings = []
    for (affiliate_id, period), count in sorted(sales.items()):
        seen = clicks.get((affiliate_id, period), 0)
        if not seen:
            if period not in months_with_clicks:
                continue  # no click data at all this month: nothing to compare with
            evidence = (f"{plural(count, 'sale')} through their links in {period_label(period)} but not one "
                        "click recorded for them, while other partners' clicks were")  # fmt: skip
            findings.append(Finding("conversion_rate", affiliate_id, period, "medium", evidence))
            continue
        rate = Decimal(count) / Decimal(seen)
        if settings.rate_low <= rate <= settings.rate_high:
            continue
        high = rate > settings.rate_high
        meaning = "faked clicks or orders" if high else "bought or robot traffic"
        evidence = (f"{plural(count, 'sale')} from {plural(seen, 'click')} in {period_label(period)}: a conversion "
                    f"rate of {percent(rate)}, {'above' if high else 'below'} the expected "
                    f"{percent(settings.rate_low)}–{percent(settings.rate_high)}; typical of {meaning} "
                    "(coupon sales not counted)")  # fmt: skip
        severity = "high" if (high and rate > 2 * settings.rate_high) else "medium"
        findings.append(Finding("conversion_rate", affiliate_id, period, severity, evidence))
    return findings


def coupon_leakage(session: Session, scope: Scope, settings: FraudSettings) -> list[Finding]:
    """Many coupon orders that never clicked the affiliate's links, while their coupon volume jumps.

    A month is judged only once the data reaches `coupon_baseline_months` back: without that, every coupon-heavy
    partner of a program's first imported months would look like a spike.
    """
    c = Conversion.__table__.c
    months = settings.coupon_baseline_months
    month = scope.month(c.local_date)
    coupon = (c.affiliate_id.is_not(None), c.attribution == "coupon", c.status.in_(NOT_REJECTED))
    first_day = session.scalar(select(func.min(c.local_date)))
    if first_day is None:
        return []
    judged_from = shift_period(period_of(first_day), months)
    totals = select(c.affiliate_id, month, func.count()).where(*coupon, *scope.dates(c.local_date, months))
    counts = {(a, p): n for a, p, n in session.execute(totals.group_by(c.affiliate_id, month))}
    # Volume first (cheap): only a spike of enough orders makes the click lookup worth it.
    spikes: dict[tuple[int, str], tuple[int, Decimal]] = {}
    for (affiliate_id, period), total in counts.items():
        usual = sum(counts.get((affiliate_id, shift_period(period, -n)), 0) for n in range(1, months + 1))
        average = Decimal(usual) / months
        if (scope.within(period) and period >= judged_from and total >= settings.coupon_min_orders
                and total >= settings.coupon_spike * max(average, settings.coupon_min_baseline)):  # fmt: skip
            spikes[(affiliate_id, period)] = (total, average)
    orders = _unclicked_orders(session, scope, sorted({a for a, _ in spikes}))
    findings = []
    for (affiliate_id, period), (total, average) in sorted(spikes.items()):
        rows = orders.get((affiliate_id, period), [])
        if len(rows) < settings.coupon_min_orders or 2 * len(rows) < total:
            continue  # most of them came through the affiliate's own links: a good month, not a leak
        codes = list(dict.fromkeys(code for _, code in rows if code))
        times = f"{(Decimal(total) / average):.1f} times" if average else "far above"
        evidence = (f"{plural(total, 'coupon order')} in {period_label(period)}, {times} their usual "
                    f"{average:.1f} a month; {len(rows):,} of them never clicked their links: the code "
                    f"{listed(codes) if codes else '(unknown)'} may be on a coupon or deal site")  # fmt: skip
        high = total >= 2 * settings.coupon_spike * max(average, settings.coupon_min_baseline)
        findings.append(Finding("coupon_leakage", affiliate_id, period, "high" if high else "medium", evidence,
                                tuple(cid for cid, _ in rows)))  # fmt: skip
    return findings


def _unclicked_orders(
    session: Session, scope: Scope, affiliates: list[int]
) -> dict[tuple[int, str], list[tuple[int, str | None]]]:
    """The coupon orders of these affiliates whose visitor never clicked the affiliate's links."""
    c, k = Conversion.__table__.c, Click.__table__.c
    # "+ 0" keeps the planner on the visitor index: by affiliate it would read all their clicks for every order.
    clicked = exists().where(k.visitor_id == c.visitor_id, k.affiliate_id + 0 == c.affiliate_id)
    found: dict[tuple[int, str], list[tuple[int, str | None]]] = defaultdict(list)
    for part in chunks(affiliates):
        query = (
            select(c.id, c.affiliate_id, scope.month(c.local_date), c.coupon_code)
            .where(c.affiliate_id.in_(part), c.attribution == "coupon", c.status.in_(NOT_REJECTED))
            .where(~and_(c.visitor_id.is_not(None), clicked), *scope.dates(c.local_date))
            .order_by(c.occurred_at, c.id)
        )
        for cid, affiliate_id, period, code in session.execute(query):
            found[(affiliate_id, period)].append((cid, code))
    return found
