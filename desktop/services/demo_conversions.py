"""Demo sales: a year of Shopify-like orders and clicks for the demo affiliates, attributed as an import would be."""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from desktop.db import Database, placeholder
from desktop.models import Affiliate, Conversion, CouponCode
from desktop.services.attribution import AffiliateDirectory, AttributionRules, Attributor, ClickIndex
from desktop.services.conversion_parse import OrderRecord, make_record
from desktop.services.conversion_store import ConversionStore, local_now, start_batch
from desktop.services.errors import RefusedByState
from desktop.services.program_settings import get_program

Progress = Callable[[int, int, str], None]
# (sku, product, price in cents): outdoor gear, gift cards and bundles (commission plans treat GIFT-* apart)
CATALOGUE = (
    ("TENT-2P", "Ridgeline 2-person tent", 24900),
    ("TENT-4P", "Basecamp 4-person tent", 42900),
    ("BAG-20", "Summit -7 °C sleeping bag", 18900),
    ("PAD-1", "Self-inflating sleeping pad", 8900),
    ("STOVE-1", "Pocket gas stove", 4990),
    ("LAMP-1", "Headlamp 400 lm", 3450),
    ("BOOT-42", "Trail boots", 15900),
    ("JACKET-M", "Rain shell jacket", 19900),
    ("PACK-45", "Trekking backpack 45 l", 16900),
    ("SOCK-3", "Merino socks, 3 pairs", 2990),
    ("BOTTLE-1", "Insulated bottle", 2490),
    ("GIFT-25", "Gift card 25", 2500),
    ("GIFT-50", "Gift card 50", 5000),
    ("BUNDLE-CAMP", "Camping starter bundle", 49900),
    ("BUNDLE-HIKE", "Day-hike bundle", 27900),
)
SEASON = {1: 0.8, 2: 0.75, 3: 0.9, 4: 1.0, 5: 1.05, 6: 1.0, 7: 0.95, 8: 0.95, 9: 1.0, 10: 1.1, 11: 1.6, 12: 1.9}
SHOP_COUPONS = ("WELCOME10", "SPRING15", "FREESHIP")  # the shop's own codes: no affiliate's
ORGANIC_SHARE = 0.4
ORDERS_PER_AFFILIATE_YEAR = 50  # on average; a log-normal spread makes a few partners far better than others
NOISE_CLICKS_PER_ORDER = 8  # clicks that never turn into an order (a conversion rate of about 10 %)
BUSY_SECONDS = tuple(hour * 3600 for hour in (9, 11, 13, 18, 20, 21, 22))
MAX_NOISE_CLICKS = 300_000  # keeps a 10,000-affiliate demo quick
FULL_SIZE_PARTNERS = 1500  # beyond this many active partners the average falls: big programs have a long tail
BATCH = 5000


def load_demo_conversions(
    db: Database, *, months: int = 12, seed: int = 7, today: date, progress: Progress | None = None
) -> int:
    """Add `months` of demo orders (and clicks) before `today`; the number of orders made.

    Refused when the database already has orders. Active and paused affiliates bring about 60 % of the
    orders, by their coupons, referral codes and clicks; the rest are organic.
    """
    report = progress or (lambda done, total, what: None)
    settings = get_program(db)
    rules = AttributionRules.of(settings)
    with db.read() as session:
        if session.scalar(select(exists().where(Conversion.id.is_not(None)))):
            raise RefusedByState(f"{db.display_name} already has orders; demo orders go only into a database without")
        partners = _partners(session)
    maker = _DemoOrders(random.Random(seed), partners, today, months, rules, settings.currency)
    orders, clicks = maker.build()
    report(0, len(orders), f"Attributing {len(orders):,} demo orders")
    index = ClickIndex((visitor, at, affiliate_id) for at, affiliate_id, visitor in clicks)
    with db.write() as session:
        attributor = Attributor(rules, AffiliateDirectory.load(session))
        now = local_now(settings.timezone)
        batch = start_batch(session, "conversions", "demo data", "shopify", now)
        _insert_clicks(session, clicks, batch.id)
        _insert_clicks(session, maker.noise(random.Random(seed + 1)), batch.id)
        store = ConversionStore(session, batch_id=batch.id, now=now, note="demo", currency=settings.currency)
        for first in range(0, len(orders), BATCH):
            chunk = orders[first : first + BATCH]
            for r in chunk:
                r.attribution, r.affiliate_id, r.detail = attributor.decide(
                    r.coupon, r.referral, r.visitor, r.occurred_at, index
                )
            store.insert(chunk)
            report(first + len(chunk), len(orders), "Writing demo orders")
        store.finish()
        batch.rows = batch.new = len(orders)
    return len(orders)


def _partners(session: Session) -> list[tuple[int, str, str, date | None, list[str]]]:
    """(id, code, status, joined on, coupon codes) of the active and paused affiliates."""
    coupons: dict[int, list[str]] = {}
    for affiliate_id, code in session.execute(select(CouponCode.affiliate_id, CouponCode.code)):
        coupons.setdefault(affiliate_id, []).append(code)
    rows = session.execute(
        select(Affiliate.id, Affiliate.code, Affiliate.status, Affiliate.joined_on)
        .where(Affiliate.status.in_(("active", "paused")))
        .order_by(Affiliate.id)
    )
    return [(aid, code, status, joined, coupons.get(aid, [])) for aid, code, status, joined in rows]


class _DemoOrders:
    """Draws the orders and clicks; deterministic for a seed."""

    def __init__(
        self,
        rng: random.Random,
        partners: list[tuple[int, str, str, date | None, list[str]]],
        today: date,
        months: int,
        rules: AttributionRules,
        currency: str,
    ) -> None:
        self.rng = rng
        self.currency = currency
        self.partners = partners
        self.today = today
        self.start = today - timedelta(days=round(months * 365 / 12))
        self.rules = rules
        days = [self.start + timedelta(days=n) for n in range((today - self.start).days)]
        self.days = days
        # cumulative weights: more in November and December, a little more at weekends
        self.cumulative = list(accumulate(SEASON[d.month] * (1.25 if d.weekday() >= 5 else 1.0) for d in days))
        self.midnights = [datetime.combine(day, time()) for day in days]
        self.clicks: list[tuple[datetime, int, str]] = []  # (clicked_at, affiliate id, visitor) that led to orders
        self.visitors = 0
        self.traffic: list[tuple[int, int, date]] = []  # (affiliate id, orders, first day): for the other clicks

    def build(self) -> tuple[list[OrderRecord], list[tuple[datetime, int, str]]]:
        rng = self.rng
        years = len(self.days) / 365
        mean = ORDERS_PER_AFFILIATE_YEAR * years * min(1.0, FULL_SIZE_PARTNERS / max(1, len(self.partners)))
        drafts: list[tuple[datetime, dict[str, Any]]] = []
        for affiliate_id, code, status, joined, coupons in self.partners:
            quality = math.exp(rng.gauss(0, 0.9) - 0.405)  # log-normal with mean 1
            count = max(1, round(quality * mean * (0.5 if status == "paused" else 1)))
            first_day = max(self.start, joined or self.start)
            for when in self._times(count, first_day):
                drafts.append((when, self._signals(affiliate_id, code, coupons, when)))
            self.traffic.append((affiliate_id, count, first_day))
        organic = round(len(drafts) * ORGANIC_SHARE / (1 - ORGANIC_SHARE)) if drafts else 200
        for when in self._times(organic, self.start):
            signal: dict[str, Any] = {}
            if rng.random() < 0.15:
                signal["coupon"] = rng.choice(SHOP_COUPONS)
            drafts.append((when, signal))
        drafts.sort(key=lambda draft: draft[0])
        orders = [self._order(number, when, signal) for number, (when, signal) in enumerate(drafts, 1001)]
        return orders, self.clicks

    def _times(self, count: int, first_day: date) -> list[datetime]:
        """`count` moments from `first_day` on, drawn by the seasonal weights, at busy hours."""
        rng, cumulative, midnights = self.rng, self.cumulative, self.midnights
        start = min(max(0, (first_day - self.start).days), len(midnights) - 1)
        low = cumulative[start - 1] if start else 0.0
        span = cumulative[-1] - low
        return [midnights[bisect(cumulative, low + rng.random() * span)] + timedelta(seconds=rng.choice(BUSY_SECONDS)
                + rng.randrange(3600)) for _ in range(count)]  # fmt: skip

    def _visitor(self) -> str:
        self.visitors += 1
        return f"v-{self.visitors:07d}"

    def _signals(self, affiliate_id: int, code: str, coupons: list[str], when: datetime) -> dict[str, Any]:
        rng = self.rng
        channel = rng.random()
        if coupons and channel < 0.45:
            signal: dict[str, Any] = {"coupon": rng.choice(coupons)}
            if rng.random() < 0.1:  # the coupon also beats someone else's click (coupon priority)
                signal["visitor"] = self._clicked_by(rng.choice(self.partners)[0], when)
            return signal
        if channel < 0.7:
            return {"referral": code}
        visitor = self._clicked_by(affiliate_id, when)
        return {"visitor": visitor}

    def _clicked_by(self, affiliate_id: int, when: datetime) -> str:
        """A visitor with one to three clicks for the affiliate inside the cookie window before `when`."""
        rng = self.rng
        visitor = self._visitor()
        window = max(1, self.rules.cookie_days) * 24 * 60
        for minutes in rng.sample(range(5, window), rng.choice((1, 1, 2, 3))):
            self.clicks.append((when - timedelta(minutes=minutes), affiliate_id, visitor))
        return visitor

    def noise(self, rng: random.Random) -> Iterator[tuple[datetime, int, str]]:
        """The clicks that never became an order, drawn lazily (there can be a million of them)."""
        wanted = sum(orders for _, orders, _ in self.traffic) * NOISE_CLICKS_PER_ORDER
        scale = min(1.0, MAX_NOISE_CLICKS / wanted) if wanted else 1.0
        self.rng = rng
        for affiliate_id, orders, first_day in self.traffic:
            for when in self._times(round(orders * NOISE_CLICKS_PER_ORDER * scale), first_day):
                yield when, affiliate_id, self._visitor()

    def _order(self, number: int, when: datetime, signal: dict[str, Any]) -> OrderRecord:
        rng = self.rng
        lines: list[tuple[str | None, str | None, int, int]] = []
        percent = 90 if "coupon" in signal else 100  # the affiliate's coupon takes 10 % off
        first = rng.randrange(len(CATALOGUE))
        for step in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):  # 7 and 15 share no divisor: distinct items
            sku, product, price = CATALOGUE[(first + 7 * step) % len(CATALOGUE)]
            quantity = 1 if sku.startswith("BUNDLE") else rng.choice((1, 1, 1, 1, 2, 3))
            cents = (price * quantity * percent + 50) // 100  # integer cents, rounded half-up
            lines.append((sku, product, quantity, cents))
        amount = sum(line[3] for line in lines)
        status, refunded = "approved", 0
        age = (self.today - when.date()).days
        draw = rng.random()
        if age < 14 and draw < 0.5:
            status = "pending"
        elif draw < 0.04:
            status, refunded = "refunded", amount
        elif draw < 0.07 and len(lines) > 1:
            refunded = lines[-1][3]  # one item sent back
        elif draw < 0.08:
            status = "rejected"
        return make_record(f"#{number}", 0, "sale", when, self.currency, status, amount, refunded, signal.get("coupon"),
                           signal.get("referral"), signal.get("visitor"), f"customer{number}@example.com",
                           lines)  # fmt: skip


def _insert_clicks(session: Session, clicks: Iterable[tuple[datetime, int, str]], batch_id: int) -> None:
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    mark = placeholder(conn.dialect.paramstyle)
    sql = (
        "INSERT INTO click (clicked_at, local_date, affiliate_id, visitor_id, batch_id) "
        f"VALUES ({mark}, {mark}, {mark}, {mark}, {int(batch_id)})"
    )
    rows: list[tuple[Any, ...]] = []
    for at, affiliate_id, visitor in clicks:
        stamp: Any = at.isoformat(" ", "microseconds") if sqlite else at
        rows.append((stamp, stamp[:10] if sqlite else at.date(), affiliate_id, visitor))
        if len(rows) >= 20_000:
            conn.exec_driver_sql(sql, rows)
            rows = []
    if rows:
        conn.exec_driver_sql(sql, rows)
