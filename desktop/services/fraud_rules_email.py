"""Fraud rules that read customer e-mails: self-referrals, duplicate orders and throwaway addresses."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from desktop.models import Conversion
from desktop.services.fraud_rules import (
    LIVE,
    SEVERITY_RANK,
    Finding,
    FraudSettings,
    Scope,
    chunks,
    listed,
    partners,
    period_of,
    plural,
)

# --- e-mail addresses -------------------------------------------------------------------------------------

DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}


def split_email(address: str) -> tuple[str, str] | None:
    local, at, domain = address.strip().lower().rpartition("@")
    return (local, domain) if at and local and domain else None


def normalize_email(address: str) -> str | None:
    """The address a mailbox really receives: case, dots and "+tags" ignored ("J.Doe+1@x.com" -> "jdoe@x.com")."""
    parts = split_email(address)
    if parts is None:
        return None
    local, domain = parts
    return f"{local.split('+', 1)[0].replace('.', '')}@{DOMAIN_ALIASES.get(domain, domain)}"


def edit_distance(a: str, b: str, limit: int) -> int | None:
    """Levenshtein distance when it is at most `limit` (None otherwise); banded, so cheap for a small limit."""
    if abs(len(a) - len(b)) > limit:
        return None
    if a == b:
        return 0
    # Pigeonhole: `limit` edits cannot touch all of limit + 1 pieces of `b`, so one piece must appear in `a`.
    size = max(1, len(b) // (limit + 1))
    if not any(b[i : i + size] in a for i in range(0, len(b), size)):
        return None
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i] + [limit + 1] * len(b)
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            cost = 0 if char == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if min(current) > limit:
            return None
        previous = current
    return previous[-1] if previous[-1] <= limit else None


def how_close(customer: str, own: str, settings: FraudSettings) -> tuple[str, str] | None:
    """How a customer's address relates to one of the affiliate's own, as a phrase around "{whose}" (the
    address's owner, like "Jane Doe's own address"), and the severity; None when they are unrelated."""
    customer, own = customer.strip().lower(), own.strip().lower()
    if customer == own:
        return "which is {whose}", "high"
    c_parts, o_parts = split_email(customer), split_email(own)
    norm_customer, norm_own = normalize_email(customer), normalize_email(own)
    if c_parts is None or o_parts is None or norm_customer is None or norm_own is None:
        return None
    if norm_customer == norm_own:
        (c_local, c_domain), (o_local, o_domain) = c_parts, o_parts
        c_name, o_name = c_local.split("+", 1)[0], o_local.split("+", 1)[0]
        ways = []
        if "+" in c_local and c_local != o_local:
            ways.append("with a +tag")
        if c_name != o_name:
            ways.append("with its dots moved" if c_name.count(".") and o_name.count(".") else
                        "with dots added" if c_name.count(".") > o_name.count(".") else "without its dots")
        if c_domain != o_domain:
            ways.append(f"at {c_domain} instead of {o_domain}")
        return "which is {whose} " + " and ".join(ways or ["written differently"]), "high"
    distance = settings.self_referral_max_distance
    if distance and len(norm_own.split("@")[0]) >= settings.self_referral_min_local:
        steps = edit_distance(norm_customer, norm_own, distance)
        if steps:
            return f"{plural(steps, 'character')} away from {{whose}} {own}", "medium"
    return None


@lru_cache(maxsize=1)
def disposable_domains() -> frozenset[str]:
    """The throwaway e-mail domains shipped in resources/disposable_domains.txt."""
    from desktop.resources import resource_path

    text = resource_path("disposable_domains.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def is_disposable(address: str) -> bool:
    parts = split_email(address)
    if parts is None:
        return False
    domain = parts[1]
    return domain in disposable_domains() or domain.partition(".")[2] in disposable_domains()


# --- rules that read customer e-mails --------------------------------------------------------------------


def _orders_of(
    session: Session, scope: Scope, wanted: dict[tuple[int, str], set[str]]
) -> dict[tuple[int, str], list[int]]:
    """Ids of the live orders of (affiliate, period) whose lower-cased customer e-mail is one of those wanted."""
    c = Conversion.__table__.c
    email, month = func.lower(c.customer_email), scope.month(c.local_date)
    emails = sorted({e for values in wanted.values() for e in values})
    found: dict[tuple[int, str], list[int]] = defaultdict(list)
    affiliates = sorted({affiliate for affiliate, _ in wanted})
    for part in chunks(emails):
        query = (
            select(c.id, c.affiliate_id, month, email)
            .where(c.affiliate_id.in_(affiliates), email.in_(part), c.status.in_(LIVE), *scope.dates(c.local_date))
            .order_by(c.occurred_at, c.id)
        )
        for cid, affiliate, period, address in session.execute(query):
            if address in wanted.get((affiliate, period), ()):
                found[(affiliate, period)].append(cid)
    return found


def self_referral(session: Session, scope: Scope, settings: FraudSettings) -> list[Finding]:
    """Orders whose customer is the affiliate: the same address, or nearly (case, dots, +tags, a typo)."""
    c = Conversion.__table__.c
    email, month = func.lower(c.customer_email), scope.month(c.local_date)
    query = (
        select(c.affiliate_id, month, email, func.count())
        .where(c.affiliate_id.is_not(None), c.customer_email.is_not(None), c.status.in_(LIVE))
        .where(*scope.dates(c.local_date))
        .group_by(c.affiliate_id, month, email)
    )
    owns: dict[int, list[tuple[str, str, str]]] = {}  # affiliate: (address, normalised, whose)
    names: dict[int, str] = {}
    for partner in partners(session).values():
        names[partner.id] = partner.name
        for own, whose in ((partner.email, "own address"), (partner.payee_email, "payee address")):
            norm = normalize_email(own or "")
            if own and norm and all(norm != known for _, known, _ in owns.get(partner.id, [])):
                owns.setdefault(partner.id, []).append((own.strip().lower(), norm, whose))
    limit = settings.self_referral_max_distance
    matches: dict[tuple[int, str], list[tuple[str, int, str, str]]] = defaultdict(list)
    for affiliate_id, period, customer, count in session.execute(query):
        candidates = owns.get(affiliate_id)
        norm = normalize_email(customer or "") if candidates else None
        if not candidates or norm is None:
            continue
        for own, own_norm, whose in candidates:
            # Cheap tests first: a million customers are compared, almost none of them match.
            far = abs(len(norm) - len(own_norm)) > limit or edit_distance(norm, own_norm, limit) is None
            if norm != own_norm and far:
                continue
            close = how_close(customer, own, settings)
            if close is not None:
                phrase, severity = close
                what = phrase.format(whose=f"{names[affiliate_id]}'s {whose}")
                matches[(affiliate_id, period)].append((customer, count, what, severity))
                break
    orders = _orders_of(session, scope, {key: {m[0] for m in found} for key, found in matches.items()})
    findings = []
    for (affiliate_id, period), found in sorted(matches.items()):
        found.sort(key=lambda m: (-m[1], m[0]))
        parts = [f"{plural(count, 'order')} from {customer}, {what}" for customer, count, what, _ in found]
        severity = max((m[3] for m in found), key=SEVERITY_RANK.__getitem__)
        evidence = "; ".join(parts[:3]) + (f"; and {plural(len(parts) - 3, 'more address', 'more addresses')}"
                                           if len(parts) > 3 else "")  # fmt: skip
        findings.append(Finding("self_referral", affiliate_id, period, severity, evidence,
                                tuple(orders.get((affiliate_id, period), ()))))  # fmt: skip
    return findings


def duplicate_orders(session: Session, scope: Scope, settings: FraudSettings) -> list[Finding]:
    """Orders of one affiliate from the same customer (or visitor) for the same amount, minutes apart."""
    c = Conversion.__table__.c
    who = func.coalesce(func.lower(c.customer_email), c.visitor_id)
    base = (c.affiliate_id.is_not(None), c.type == "sale", c.status.in_(LIVE), who.is_not(None),
            *scope.dates(c.local_date))  # fmt: skip
    # One pass with a window count: joining the repeated (affiliate, customer, amount) groups back to the orders
    # searched all of an affiliate's orders once per group (5,000 groups of a 50,000-order affiliate: 6 minutes).
    repeats = func.count().over(partition_by=(c.affiliate_id, who, c.amount))
    rows = (
        select(c.id, c.order_id, c.affiliate_id, who.label("who"), c.customer_email, c.amount, c.currency,
               c.occurred_at, repeats.label("repeats"))
        .where(*base)
        .subquery()
    )  # fmt: skip
    r = rows.c
    query = (
        select(r.id, r.order_id, r.affiliate_id, r.who, r.customer_email, r.amount, r.currency, r.occurred_at)
        .where(r.repeats > 1)
        .order_by(r.affiliate_id, r.who, r.amount, r.occurred_at, r.id)
    )
    window = settings.duplicate_window_minutes * 60
    sets: dict[tuple[int, str], list[list[tuple[Any, ...]]]] = defaultdict(list)
    run: list[tuple[Any, ...]] = []
    for row in [tuple(r) for r in session.execute(query)]:
        same = bool(run) and row[2:4] + row[5:6] == run[-1][2:4] + run[-1][5:6]
        if same and (row[7] - run[-1][7]).total_seconds() <= window:
            run.append(row)
            continue
        if len(run) > 1:
            sets[(run[0][2], period_of(run[0][7]))].append(run)
        run = [row]
    if len(run) > 1:
        sets[(run[0][2], period_of(run[0][7]))].append(run)
    findings = []
    for (affiliate_id, period), found in sorted(sets.items()):
        if not scope.within(period):
            continue
        extra = sum(len(s) - 1 for s in found)
        first = max(found, key=len)
        minutes = max(1, round((first[-1][7] - first[0][7]).total_seconds() / 60))
        source = first[0][4].lower() if first[0][4] else f"visitor {first[0][3]}"
        numbers = ", ".join(f"#{r[1]}" for r in first[:4]) + (", …" if len(first) > 4 else "")
        evidence = (f"{plural(len(first), 'order')} of {first[0][5]:,.2f} {first[0][6]} from {source} within "
                    f"{plural(minutes, 'minute')} on {first[0][7]:%d %b %Y} ({numbers})")  # fmt: skip
        if len(found) > 1:
            evidence += f"; {plural(len(found) - 1, 'more set')} of repeats like it"
        ids = tuple(r[0] for s in found for r in s)
        findings.append(Finding("duplicate_orders", affiliate_id, period, "high" if extra >= 5 else "medium",
                                evidence, ids))  # fmt: skip
    return findings


def disposable_email(session: Session, scope: Scope, settings: FraudSettings) -> list[Finding]:
    """Orders from customers with throwaway addresses (the list in resources/disposable_domains.txt)."""
    c = Conversion.__table__.c
    domains = sorted(disposable_domains())
    domain = scope.domain(c.customer_email)
    query = (
        select(c.id, c.affiliate_id, scope.month(c.local_date), func.lower(c.customer_email))
        .where(c.affiliate_id.is_not(None), c.customer_email.is_not(None), c.status.in_(LIVE))
        .where(or_(domain.in_(domains), scope.parent_domain(domain).in_(domains)), *scope.dates(c.local_date))
        .order_by(c.occurred_at, c.id)
    )
    found: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for cid, affiliate_id, period, address in session.execute(query):
        found[(affiliate_id, period)].append((cid, address))
    findings = []
    for (affiliate_id, period), orders in sorted(found.items()):
        if len(orders) < settings.disposable_min_orders:
            continue
        addresses = list(dict.fromkeys(address for _, address in orders))
        evidence = (f"{plural(len(orders), 'order')} from {listed(addresses)}: throwaway addresses made to be "
                    "used once, common with fake or self-made orders")  # fmt: skip
        findings.append(Finding("disposable_email", affiliate_id, period, "medium" if len(orders) >= 3 else "low",
                                evidence, tuple(cid for cid, _ in orders)))  # fmt: skip
    return findings
