"""Which affiliate an order belongs to, and why: coupon, referral code or click within the cookie window (DESIGN §7)."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable, KeysView, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import compress, repeat
from operator import is_
from typing import Any, NamedTuple

from sqlalchemy import Table, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import Affiliate, Click, Conversion, CouponCode
from desktop.services.program_settings import ProgramSettings, get_program, program_in

IN_CHUNK = 900  # keys per IN (...): below the bound-parameter limit of old SQLite builds
ORGANIC_DETAIL = "no coupon, referral code or click: organic"


class Attribution(NamedTuple):
    """Who gets an order and why (an immutable tuple: it is made once per imported order)."""

    reason: str  # coupon | referral | click | organic
    affiliate_id: int | None
    detail: str


@dataclass(frozen=True)
class AttributionRules:
    coupon_priority: bool = True
    cookie_days: int = 30
    click_rule: str = "last_click"  # or first_click

    @classmethod
    def of(cls, settings: ProgramSettings) -> AttributionRules:
        return cls(settings.coupon_priority, settings.cookie_days, settings.attribution)


def split_coupons(text: str | None) -> list[str]:
    """The codes of a coupon cell: "JANE10", "JANE10, SHIP" or "JANE10;SHIP"."""
    if not text:
        return []
    return [code.strip() for code in text.replace(";", ",").split(",") if code.strip()]


class AffiliateDirectory:
    """Affiliate codes and coupon codes, loaded in two queries, for looking up a file's signals."""

    def __init__(self, codes: Iterable[tuple[int, str]], coupons: Iterable[tuple[str, int]]) -> None:
        """`codes`: (affiliate id, affiliate code); `coupons`: (coupon code as the affiliate has it, affiliate id)."""
        self.code_of: dict[int, str] = {}
        self._by_code: dict[str, int] = {}
        by_upper: dict[str, int | None] = {}
        for affiliate_id, code in codes:
            self.code_of[affiliate_id] = code
            self._by_code[code] = affiliate_id
            upper = code.upper()
            by_upper[upper] = None if upper in by_upper else affiliate_id  # None: two codes differ only by case
        self._by_upper = by_upper
        self._coupons = {code.upper(): (code, affiliate_id) for code, affiliate_id in coupons}

    @classmethod
    def load(cls, session: Session) -> AffiliateDirectory:
        codes = session.execute(select(Affiliate.id, Affiliate.code))
        coupons = session.execute(select(CouponCode.code, CouponCode.affiliate_id))
        return cls(codes, coupons)

    def affiliate(self, code: str) -> int | None:
        """The affiliate with this code: exactly, else regardless of case when that is unambiguous."""
        found = self._by_code.get(code)
        return found if found is not None else self._by_upper.get(code.upper())

    def coupon(self, text: str | None) -> tuple[str, int] | None:
        """The first code of a coupon cell that belongs to an affiliate: (the code as the affiliate has it, id)."""
        for code in split_coupons(text):
            owner = self._coupons.get(code.upper())
            if owner is not None:
                return owner
        return None

    @property
    def has_coupons(self) -> bool:
        return bool(self._coupons)


class ClickIndex:
    """The clicks of some visitors, sorted by time, to find the first or last one inside a cookie window."""

    def __init__(self, clicks: Iterable[tuple[str, datetime, int]] = ()) -> None:
        self._times: dict[str, list[datetime]] = {}
        self._owners: dict[str, list[int]] = {}
        for visitor, clicked_at, affiliate_id in sorted(clicks):
            self._times.setdefault(visitor, []).append(clicked_at)
            self._owners.setdefault(visitor, []).append(affiliate_id)

    def __len__(self) -> int:
        return sum(len(times) for times in self._times.values())

    @property
    def visitors(self) -> KeysView[str]:
        """The visitors with at least one click here."""
        return self._times.keys()

    @classmethod
    def load(cls, session: Session, visitors: Collection[str], start: datetime, end: datetime) -> ClickIndex:
        """Clicks of these visitors with start < clicked_at <= end, in one query per 900 visitors."""
        wanted = sorted(visitors)
        rows: list[tuple[str, datetime, int]] = []
        if session.get_bind().dialect.name == "sqlite":
            # The visitors as one JSON parameter and the times as text, parsed by datetime (in C): a big import
            # asks for thousands of visitors per batch, and binding each (and converting each time through
            # SQLAlchemy) cost several times more than the look-ups.
            sql = ("SELECT visitor_id, clicked_at, affiliate_id FROM click WHERE visitor_id IN "
                   "(SELECT value FROM json_each(?)) AND clicked_at > ? AND clicked_at <= ?")  # fmt: skip
            bounds = (start.isoformat(" ", "microseconds"), end.isoformat(" ", "microseconds"))
            parse = datetime.fromisoformat
            found = session.connection().exec_driver_sql(sql, (json.dumps(wanted), *bounds)).all()
            rows.extend((v, parse(at), a) for v, at, a in found)
            return cls(rows)
        for first in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[first : first + IN_CHUNK]
            stmt = select(Click.visitor_id, Click.clicked_at, Click.affiliate_id).where(
                Click.visitor_id.in_(chunk), Click.clicked_at > start, Click.clicked_at <= end
            )
            rows.extend((v, at, a) for v, at, a in session.execute(stmt) if v is not None)
        return cls(rows)

    def find(self, visitor: str, occurred_at: datetime, rules: AttributionRules) -> tuple[datetime, int] | None:
        """The first or last click with occurred_at - cookie_days < clicked_at <= occurred_at."""
        times = self._times.get(visitor)
        if not times or rules.cookie_days <= 0:
            return None
        if rules.click_rule == "first_click":
            index = bisect_right(times, occurred_at - timedelta(days=rules.cookie_days))
            if index < len(times) and times[index] <= occurred_at:
                return times[index], self._owners[visitor][index]
            return None
        index = bisect_right(times, occurred_at) - 1
        if index >= 0 and times[index] > occurred_at - timedelta(days=rules.cookie_days):
            return times[index], self._owners[visitor][index]
        return None


def has_visitor_clicks(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(Click.visitor_id.is_not(None)))))


def attribute(
    rules: AttributionRules,
    *,
    occurred_at: datetime,
    coupon: tuple[str, int] | None,
    referral: tuple[str, int] | None,
    visitor_id: str | None,
    clicks: ClickIndex | None,
    unknown_coupon: str | None = None,
) -> Attribution:
    """DESIGN §7: with coupon priority coupon, referral code, click; without it referral code, click, coupon."""
    if coupon is not None and rules.coupon_priority:
        return Attribution("coupon", coupon[1], f"coupon {coupon[0]} (coupon priority)")
    beats = f" (coupon priority is off: it beats coupon {coupon[0]})" if coupon is not None else ""
    if referral is not None:
        return Attribution("referral", referral[1], f"referral code {referral[0]}{beats}")
    if visitor_id and clicks is not None:
        hit = clicks.find(visitor_id, occurred_at, rules)
        if hit is not None:
            return Attribution("click", hit[1], click_detail(rules, visitor_id, hit[0], occurred_at) + beats)
    if coupon is not None:
        return Attribution("coupon", coupon[1], f"coupon {coupon[0]} (no referral code or click)")
    if unknown_coupon:  # organic_detail(unknown_coupon), written out: this runs once per order that reaches here
        detail = f"organic: coupon {unknown_coupon} belongs to no affiliate, and no referral code or click"
        return Attribution("organic", None, detail)
    return Attribution("organic", None, ORGANIC_DETAIL)


def organic_detail(unknown_coupon: str | None = None, lost_referral: str | None = None) -> str:
    """Why an order is organic, naming what it did have: a coupon that is no affiliate's, a referral code whose
    affiliate is gone (when attributing again)."""
    had, missing = [], ["coupon", "referral code", "click"]
    if unknown_coupon:
        had.append(f"coupon {unknown_coupon} belongs to no affiliate")
        missing.remove("coupon")
    if lost_referral:
        had.append(f"referral code {lost_referral} is no affiliate's now")
        missing.remove("referral code")
    if not had:
        return ORGANIC_DETAIL
    return f"organic: {', '.join(had)}, and no {' or '.join(missing)}"


def click_detail(rules: AttributionRules, visitor_id: str, clicked_at: datetime, occurred_at: datetime) -> str:
    word = "first" if rules.click_rule == "first_click" else "last"
    days = (occurred_at - clicked_at).days
    before = "less than a day" if days == 0 else "1 day" if days == 1 else f"{days} days"
    return f"{word} click {clicked_at.isoformat(' ', 'minutes')} by visitor {visitor_id}, {before} before the order"


def signals(
    directory: AffiliateDirectory, coupon_text: str | None, referral_code: str | None
) -> tuple[tuple[str, int] | None, tuple[str, int] | None, str | None]:
    """(affiliate coupon, known referral code, first coupon that is no affiliate's) of an order's stored fields."""
    coupon = directory.coupon(coupon_text) if coupon_text else None
    unknown = None
    if coupon is None and coupon_text:
        codes = split_coupons(coupon_text)
        unknown = codes[0] if codes else None
    referral = None
    if referral_code:
        owner = directory.affiliate(referral_code)
        referral = (referral_code, owner) if owner is not None else None
    return coupon, referral, unknown


Signals = tuple[tuple[str, int] | None, tuple[str, int] | None, str | None]


class Attributor:
    """Attributes orders by their stored signals, remembering what clicks cannot change.

    A file names the same few hundred codes and coupons thousands of times; only orders that reach the click
    step are decided one by one.
    """

    def __init__(self, rules: AttributionRules, directory: AffiliateDirectory) -> None:
        self.rules = rules
        self.directory = directory
        self._signals: dict[tuple[str | None, str | None], Signals] = {}
        self._settled: dict[tuple[str | None, str | None], Attribution] = {}
        # decide_many's: by (coupon, referral code, whether the visitor has clicks to look at)
        self._by_signals: dict[tuple[str | None, str | None, bool], Attribution] = {}

    def signals(self, coupon_text: str | None, referral_code: str | None) -> Signals:
        """(affiliate coupon, known referral code, first coupon that is no affiliate's)."""
        key = (coupon_text, referral_code)
        found = self._signals.get(key)
        if found is None:
            found = self._signals[key] = signals(self.directory, coupon_text, referral_code)
        return found

    def needs_clicks(self, coupon_text: str | None, referral_code: str | None, visitor_id: str | None) -> bool:
        if not visitor_id:
            return False
        coupon, referral, _ = self.signals(coupon_text, referral_code)
        return referral is None and (coupon is None or not self.rules.coupon_priority)

    def decide(
        self,
        coupon_text: str | None,
        referral_code: str | None,
        visitor_id: str | None,
        occurred_at: datetime,
        clicks: ClickIndex | None,
    ) -> Attribution:
        key = (coupon_text, referral_code)
        known = self._settled.get(key)
        if known is not None:
            return known
        coupon, referral, unknown = self.signals(coupon_text, referral_code)
        found = attribute(self.rules, occurred_at=occurred_at, coupon=coupon, referral=referral,
                          visitor_id=visitor_id, clicks=clicks, unknown_coupon=unknown)  # fmt: skip
        if not self.needs_clicks(coupon_text, referral_code, "any visitor"):
            self._settled[key] = found  # decided before the click step: the same for every such order
        return found

    def decide_many(
        self,
        coupons: Sequence[str | None],
        referrals: Sequence[str | None],
        visitors: Sequence[str | None],
        whens: Sequence[datetime],
        clicks: ClickIndex | None,
    ) -> list[Attribution]:
        """decide() for columns of orders.

        An order whose visitor has no clicks in `clicks` is decided by its coupon and referral code alone, like
        every other order with the same two: those are looked up in one pass. Only orders whose visitor has
        clicks are decided one by one.
        """
        clicked = map(clicks.visitors.__contains__, visitors) if clicks is not None else [False] * len(visitors)
        keys = list(zip(coupons, referrals, clicked, strict=True))
        by_signals, settled = self._by_signals, self._settled
        found: list[Attribution | None] = list(map(by_signals.get, keys))
        if None in found:
            decide = self.decide
            for index in compress(range(len(found)), map(is_, found, repeat(None))):
                key = keys[index]
                known = by_signals.get(key)
                if known is None:
                    coupon, referral, has_clicks = key
                    if has_clicks:
                        known = decide(coupon, referral, visitors[index], whens[index], clicks)
                        if (coupon, referral) in settled:  # the clicks cannot change it
                            by_signals[key] = known
                    else:
                        known = by_signals[key] = decide(coupon, referral, None, whens[index], None)
                found[index] = known
        return found  # type: ignore[return-value]  # no None is left


# --- recomputing stored orders -------------------------------------------------------------------------------

RECOMPUTE_CHUNK = 5000
CODES_MENTIONED_AT_MOST = 200  # more changed codes than this: every order not on a sheet is looked at


def recompute_attribution(
    db: Database, *, since: date | None = None, progress: Callable[[int, int, str], None] | None = None
) -> int:
    """Attribute again every order not yet on an approved or paid sheet (from `since` on); the number changed."""
    settings = get_program(db)
    with db.write() as session:
        return recompute_in_session(session, AttributionRules.of(settings), since=since, progress=progress)


def codes_changed(before: tuple[str, Collection[str]] | None, after: tuple[str, Collection[str]]) -> set[str]:
    """The codes whose orders may go to someone else now: (affiliate code, coupon codes) before and after a save,
    `before` None for a new affiliate. Upper case, as codes are matched."""
    old_code, old_coupons = before if before is not None else ("", ())
    new_code, new_coupons = after
    changed = {code.upper() for code in old_coupons} ^ {code.upper() for code in new_coupons}
    if old_code != new_code:
        changed |= {old_code.upper(), new_code.upper()} - {""}
    return changed


def reattribute_mentioning(
    session: Session, codes: Collection[str], progress: Callable[[int, int, str], None] | None = None
) -> int:
    """Affiliate codes or coupons changed in this transaction: attribute again, by the program's rules, the orders
    not yet on an approved sheet that mention them (DESIGN §7). The number changed."""
    if not codes:
        return 0
    session.flush()  # the attribution reads the affiliates as they are now
    rules = AttributionRules.of(program_in(session))
    return recompute_in_session(session, rules, mentioning=codes, progress=progress)


def recompute_in_session(
    session: Session,
    rules: AttributionRules,
    *,
    since: date | None = None,
    mentioning: Collection[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> int:
    """The work of recompute_attribution inside the caller's transaction (a clicks import uses it).

    `mentioning`: only the orders whose coupon or referral code mentions one of these codes (any case) can
    change: an affiliate's code or coupons were changed. They are found in one pass; the attribution itself
    decides, as for every order.
    """
    attributor = Attributor(rules, AffiliateDirectory.load(session))
    with_clicks = has_visitor_clicks(session)
    table = Conversion.__table__
    assert isinstance(table, Table)
    columns = (
        table.c.id,
        table.c.occurred_at,
        table.c.coupon_code,
        table.c.referral_code,
        table.c.visitor_id,
        table.c.affiliate_id,
        table.c.attribution,
        table.c.attribution_detail,
    )
    conditions: list[Any] = [table.c.paid_sheet_id.is_(None)]
    if since is not None:
        conditions.append(table.c.local_date >= since)
    if mentioning is not None:
        keys = sorted({code.strip().upper() for code in mentioning if code.strip()})
        if not keys:
            return 0
        if len(keys) <= CODES_MENTIONED_AT_MOST:
            coupon, referral = func.upper(table.c.coupon_code), func.upper(table.c.referral_code)
            conditions.append(or_(referral.in_(keys), *(coupon.contains(key, autoescape=True) for key in keys)))
    change = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(affiliate_id=bindparam("b_affiliate"), attribution=bindparam("b_reason"),
                attribution_detail=bindparam("b_detail"))
    )  # fmt: skip
    changed = 0
    last_id = 0
    done = 0
    while True:
        stmt = select(*columns).where(and_(*conditions, table.c.id > last_id)).order_by(table.c.id)
        rows = session.execute(stmt.limit(RECOMPUTE_CHUNK)).all()
        if not rows:
            break
        last_id = rows[-1][0]
        updates = _reattribute(session, attributor, rows, with_clicks)
        if updates:
            session.execute(change, updates)
            changed += len(updates)
        done += len(rows)
        if progress is not None:
            progress(done, 0, f"Attributing orders again: {done:,} checked")
    return changed


def _reattribute(
    session: Session, attributor: Attributor, rows: Sequence[tuple[Any, ...]], with_clicks: bool
) -> list[dict[str, Any]]:
    rules = attributor.rules
    clicks = None
    if with_clicks and rules.cookie_days > 0:
        waiting = [row for row in rows if attributor.needs_clicks(row[2], row[3], row[4])]
        if waiting:
            start = min(row[1] for row in waiting) - timedelta(days=rules.cookie_days)
            clicks = ClickIndex.load(session, {row[4] for row in waiting}, start, max(row[1] for row in waiting))
    updates = []
    for cid, occurred_at, coupon_text, referral_code, visitor, affiliate_id, reason, detail in rows:
        found = attributor.decide(coupon_text, referral_code, visitor, occurred_at, clicks)
        new_detail = found.detail
        if found.reason == "organic" and referral_code:
            new_detail = organic_detail(attributor.signals(coupon_text, referral_code)[2], referral_code)
        if (found.affiliate_id, found.reason, new_detail) != (affiliate_id, reason, detail):
            updates.append(
                {"b_id": cid, "b_affiliate": found.affiliate_id, "b_reason": found.reason, "b_detail": new_detail}
            )
    return updates
