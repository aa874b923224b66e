"""Demo data for fraud and communication: a few planted frauds the rules catch, feedback, a sent newsletter."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update

from desktop.db import Database
from desktop.models import Affiliate, Click, Conversion
from desktop.services.attribution import AttributionRules, ClickIndex, attribute
from desktop.services.errors import RefusedByState
from desktop.services.feedback import FeedbackInput, add_feedback
from desktop.services.fraud import ScanResult, scan
from desktop.services.fraud_rules import period_bounds, period_of, shift_period
from desktop.services.messages import create_newsletter, record_sent
from desktop.services.program_settings import get_program

ORDER_PREFIX = "DEMO-FRAUD-"
FLOOD_IP = "203.0.113.66"  # TEST-NET-3: never a real visitor
FEEDBACK = (
    ("praise", "Great unboxing video of the new tent; the pinned link brought a record week."),
    ("coaching", "Suggested putting the discount code in the first line of the description, not the last."),
    ("reward", "Sent the trail-running vest as thanks for reaching the revenue target."),
    ("coaching", "Walked through the new banner sizes; they will refresh the sidebar next week."),
)


@dataclass(frozen=True)
class DemoFraudSummary:
    period: str
    planted: tuple[str, ...]  # what was planted, one sentence each
    scan: ScanResult
    feedback: int
    newsletter_id: int | None


def _order(number: int, affiliate: Any, when: datetime, amount: str, currency: str, **extra: Any) -> dict[str, Any]:
    order_id = f"{ORDER_PREFIX}{number:03d}"
    row = {
        "order_id": order_id, "type": "sale", "occurred_at": when, "local_date": when.date(), "currency": currency,
        "status": "approved", "amount": Decimal(amount), "refunded_amount": Decimal("0.00"),
        "net_amount": Decimal(amount), "affiliate_id": affiliate.id, "attribution": "referral",
        "attribution_detail": f"referral code {affiliate.code}", "referral_code": affiliate.code,
        "row_hash": hashlib.sha256(order_id.encode()).hexdigest(), "created_at": when, "updated_at": when,
    }  # fmt: skip
    row.update(extra)
    return row


def load_demo_fraud(db: Database, today: date | None = None) -> DemoFraudSummary:
    """Plant frauds into the demo's previous month, scan, and add feedback and a sent newsletter.

    Needs the demo's affiliates (at least six active ones with an e-mail address); refuses to plant twice.
    """
    today = today or date.today()
    period = shift_period(period_of(today), -1)
    start, _ = period_bounds(period)
    settings = get_program(db)
    currency = settings.currency
    with db.read() as session:
        if session.scalar(select(Conversion.id).where(Conversion.order_id.like(f"{ORDER_PREFIX}%")).limit(1)):
            raise RefusedByState("The demo frauds are already planted in this database.")
        people = session.execute(
            select(Affiliate.id, Affiliate.code, Affiliate.name, Affiliate.email, Affiliate.payee_email)
            .where(Affiliate.status == "active", Affiliate.email.like("%@%")).order_by(Affiliate.id).limit(6)
        ).all()  # fmt: skip
    if len(people) < 6:
        raise RefusedByState("The demo frauds need at least six active affiliates with an e-mail address.")
    cheat, flooder, refunder, throwaway, twin, original = people
    at = [datetime.combine(start + timedelta(days=day), time(10 + day % 8, 15)) for day in range(28)]
    local, _, domain = (cheat.email or "").partition("@")
    orders = [_order(n, cheat, at[3 + 4 * n], f"{79 + 11 * n}.00", currency, customer_email=f"{local}+deal@{domain}")
              for n in range(5)]  # fmt: skip
    refunded = {"status": "refunded", "refunded_amount": Decimal("120.00"), "net_amount": Decimal("0.00")}
    orders += [_order(10 + n, refunder, at[2 + 3 * n], "120.00", currency, customer_email=f"buyer{n}@example.org",
                      **(refunded if n % 2 else {})) for n in range(8)]  # fmt: skip
    orders += [_order(20, throwaway, at[6], "64.50", currency, customer_email="trailfan88@mailinator.com"),
               _order(21, throwaway, at[17], "142.00", currency, customer_email="k.l.m@yopmail.com")]  # fmt: skip
    flood_start = datetime.combine(start + timedelta(days=11), time(14, 2))
    clicks = [{"clicked_at": flood_start + timedelta(seconds=2 * n), "local_date": flood_start.date(),
               "affiliate_id": flooder.id, "visitor_id": f"demo-flood-{n:02d}", "ip": FLOOD_IP,
               "landing_url": "https://shop.example.com/tents", "referrer": None} for n in range(40)]  # fmt: skip
    bought = flood_start + timedelta(minutes=3)
    index = ClickIndex([(row["visitor_id"], row["clicked_at"], flooder.id) for row in clicks])
    rules = AttributionRules.of(settings)  # attributed as an import would: the flood's click
    flood = attribute(rules, occurred_at=bought, coupon=None, referral=None, visitor_id="demo-flood-07", clicks=index)
    orders.append(_order(30, flooder, bought, "39.90", currency, attribution=flood.reason, referral_code=None,
                         visitor_id="demo-flood-07", attribution_detail=flood.detail))  # fmt: skip
    shared = twin.payee_email if twin.payee_email and "@" in twin.payee_email else twin.email
    with db.write() as session:
        session.execute(insert(Conversion), orders)
        session.execute(insert(Click), clicks)
        session.execute(update(Affiliate).where(Affiliate.id == original.id).values(payee_email=shared))
    planted = (
        f"{cheat.name} ({cheat.code}) bought 5 times with their own address and a +tag",
        f"40 clicks on {flooder.name}'s links from the IP {FLOOD_IP} within 80 seconds",
        f"{refunder.name} had 4 of 8 sales refunded",
        f"{throwaway.name} got 2 orders from throwaway e-mail addresses",
        f"{original.name} and {twin.name} are paid to the same PayPal address {shared}",
    )
    found = scan(db)
    feedback = 0
    for n, (kind, text) in enumerate(FEEDBACK):
        add_feedback(db, people[n % 5 + 1].id, FeedbackInput(kind, text, at[5 + 5 * n]), author="manager")
        feedback += 1
    warning = FeedbackInput("warning", "Orders with your own e-mail address earn no commission; they were rejected.",
                            at[25])  # fmt: skip
    add_feedback(db, cheat.id, warning, author="manager")
    newsletter = create_newsletter(db, shift_period(period, -1))
    record_sent(db, newsletter, "mail_client")
    return DemoFraudSummary(period, planted, found, feedback + 1, newsletter)
