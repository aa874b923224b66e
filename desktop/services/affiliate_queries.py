"""Reading affiliates: the table (filter, search, sort; one SQL query a page), tags, one partner's form and detail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session, selectinload

from desktop.db import Database
from desktop.models import (
    AFFILIATE_STATUSES,
    Affiliate,
    AffiliateNote,
    CommissionPlan,
    CouponCode,
    Screening,
    StatusChange,
    Tag,
    affiliate_tag,
)
from desktop.money import from_cents, round_money
from desktop.services.errors import RefusedByState
from desktop.services.metrics import DateRange, base_terms_commission, default_plan_id, percent_of, window_sums

PERFORMANCE_KEYS = ("revenue_30d", "conversion_rate_30d", "epc_30d")  # the last 30 days, computed in the page query
SORT_KEYS = ("code", "name", "status", "tags", "joined_on", "total_followers", *PERFORMANCE_KEYS)
WINDOW_DAYS = 30
TAG_SEPARATOR = ", "


class AffiliateGone(RefusedByState, LookupError):
    """No affiliate with that id (deleted in another window, say): a LookupError the screens show like any refusal."""

    def __init__(self, ids: Sequence[int]):
        shown = ", ".join(str(i) for i in ids[:10]) + (" …" if len(ids) > 10 else "")
        super().__init__(f"there is no affiliate with id {shown} (any more: deleted in another window?)")


_affiliate = Affiliate.__table__
_tag = Tag.__table__
_coupon = CouponCode.__table__


@dataclass(frozen=True)
class AffiliateFilter:
    search: str = ""  # case-insensitive, over code, name, email, coupon codes and tag names
    statuses: tuple[str, ...] = ()  # empty: every status
    tag: str | None = None  # only affiliates with this tag (case-insensitive)


@dataclass(frozen=True)
class AffiliateRow:
    id: int
    code: str
    name: str
    status: str
    tags: str  # "blog, eu", sorted
    joined_on: date | None
    total_followers: int
    email: str | None
    # The last 30 days (docs/metrics.md): revenue and sales of approved sale orders, clicks, and the commission at
    # the plan's base terms (no tiers, product rules or cap) that EPC divides, so that SQL can sort 10,000 rows.
    revenue_30d: Decimal = Decimal("0.00")
    sales_30d: int = 0
    clicks_30d: int = 0
    commission_30d: Decimal = Decimal("0.00")

    @property
    def conversion_rate_30d(self) -> Decimal | None:
        """Sales ÷ clicks in percent, two decimals; None without clicks."""
        return percent_of(self.sales_30d, self.clicks_30d)

    @property
    def epc_30d(self) -> Decimal | None:
        return round_money(self.commission_30d / self.clicks_30d) if self.clicks_30d else None


def _conditions(flt: AffiliateFilter, table: Any, is_sqlite: bool) -> list[ColumnElement[bool]]:
    """The WHERE clause of a filter, on `table` (the affiliate table or an alias of it)."""
    conditions: list[ColumnElement[bool]] = []
    if flt.statuses:
        conditions.append(table.c.status.in_(flt.statuses))
    tag = (flt.tag or "").strip()
    if tag:
        tag_ids = select(_tag.c.id).where(or_(_tag.c.name == tag, func.lower(_tag.c.name) == tag.lower()))
        tagged = select(affiliate_tag.c.affiliate_id).where(affiliate_tag.c.tag_id.in_(tag_ids))
        conditions.append(table.c.id.in_(tagged))
    text = flt.search.strip()
    if text:
        # The pattern is built here, not in SQL, so it is not recomputed for every row. SQLite's LIKE ignores the
        # case of ASCII letters by itself (lower() would only double the cost); PostgreSQL needs ILIKE.
        pattern = "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"

        def matches(column: Any, value: str = pattern) -> ColumnElement[bool]:
            return column.like(value, escape="/") if is_sqlite else column.ilike(value, escape="/")

        # Uncorrelated IN (...) sets: computed once per query, not once per affiliate.
        by_coupon = select(_coupon.c.affiliate_id).where(_coupon.c.code_key.like(pattern.upper(), escape="/"))
        tag_ids = select(_tag.c.id).where(matches(_tag.c.name))
        by_tag = select(affiliate_tag.c.affiliate_id).where(affiliate_tag.c.tag_id.in_(tag_ids))
        conditions.append(
            or_(
                matches(table.c.code),
                matches(table.c.name),
                matches(table.c.email),
                table.c.id.in_(by_coupon),
                table.c.id.in_(by_tag),
            )
        )
    return conditions


def _tags_column(table: Any, is_sqlite: bool) -> Any:
    """The affiliate's tag names joined by ", " in alphabetical order, NULL when it has none."""
    if is_sqlite:
        # SQLite before 3.44 has no ORDER BY inside group_concat: it keeps the order of an ordered subquery.
        names = (
            select(_tag.c.name.label("name"))
            .join(affiliate_tag, affiliate_tag.c.tag_id == _tag.c.id)
            .where(affiliate_tag.c.affiliate_id == table.c.id)
            .order_by(func.lower(_tag.c.name), _tag.c.name)
            .correlate(table)
            .subquery()
        )
        return select(func.aggregate_strings(names.c.name, TAG_SEPARATOR)).scalar_subquery()
    return (
        select(
            func.string_agg(
                _tag.c.name, aggregate_order_by(literal(TAG_SEPARATOR), func.lower(_tag.c.name), _tag.c.name)
            )
        )
        .join(affiliate_tag, affiliate_tag.c.tag_id == _tag.c.id)
        .where(affiliate_tag.c.affiliate_id == table.c.id)
        .correlate(table)
        .scalar_subquery()
    )


def _order_by(
    table: Any, sort: str, descending: bool, is_sqlite: bool, performance: dict[str, Any] | None = None
) -> list[Any]:
    """The sort key, then code and id so that equal keys always come in the same order."""
    if sort not in SORT_KEYS:
        raise ValueError(f"unknown sort key {sort!r}; one of {', '.join(SORT_KEYS)}")
    key: Any
    if sort in PERFORMANCE_KEYS:
        assert performance is not None
        key = performance[sort]
    elif sort == "code":
        key = func.lower(table.c.code)
    elif sort == "name":
        key = func.lower(table.c.name)
    elif sort == "status":  # the pipeline's order, not the alphabet's
        key = case({status: rank for rank, status in enumerate(AFFILIATE_STATUSES)}, value=table.c.status, else_=99)
    elif sort == "tags":
        key = func.lower(_tags_column(table, is_sqlite))
    else:
        key = table.c[sort]
    primary = key.desc() if descending else key.asc()
    if sort in ("tags", "joined_on", "conversion_rate_30d", "epc_30d"):
        primary = primary.nulls_last()  # the same on SQLite and PostgreSQL: blanks at the end either way
    tie_breaks = [] if sort == "code" else [func.lower(table.c.code)]
    return [primary, *tie_breaks, table.c.id]


def _performance(table: Any, window: DateRange, ids: Any = None) -> tuple[Any, dict[str, Any]]:
    """`table` joined with its last-30-days sums, and the columns and sort keys read from them."""
    perf = window_sums(window, ids)
    terms, commission = base_terms_commission(perf)
    joined = table.outerjoin(perf, perf.c.affiliate_id == table.c.id).outerjoin(
        terms, terms.c.plan_id == func.coalesce(table.c.plan_id, default_plan_id())
    )
    clicks = func.nullif(func.coalesce(perf.c.clicks, 0), 0)
    columns = {
        "revenue_30d": func.coalesce(perf.c.revenue, 0),
        "sales_30d": func.coalesce(perf.c.sales, 0),
        "clicks_30d": func.coalesce(perf.c.clicks, 0),
        "commission_30d": commission,
        # Integer ratios, as exact as the shown values: sales per million clicks, ten-thousandths of a cent per click.
        "conversion_rate_30d": func.coalesce(perf.c.sales, 0) * 1_000_000 / clicks,
        "epc_30d": commission * 10_000 / clicks,
    }
    return joined, columns


def _page_query(
    flt: AffiliateFilter, sort: str, descending: bool, offset: int, limit: int, is_sqlite: bool, window: DateRange
) -> Select[Any]:
    # The inner query picks the page's ids (sorting only narrow rows); the outer one reads those rows and
    # aggregates their tags, so the tag subquery runs for one page, not for every matching affiliate.
    # The 30-day sums are computed for every matching affiliate only when the table is sorted by one of them.
    inner_table = _affiliate.alias("matching")
    names = ("revenue_30d", "sales_30d", "clicks_30d", "commission_30d")
    carried: list[Any] = []
    source: Any = inner_table
    keys: dict[str, Any] | None = None
    if sort in PERFORMANCE_KEYS:  # the page carries the sums out, so that they are computed once
        source, keys = _performance(inner_table, window)
        carried = [keys[name].label(name) for name in names]
    page = (
        select(inner_table.c.id, *carried)
        .select_from(source)
        .where(*_conditions(flt, inner_table, is_sqlite))
        .order_by(*_order_by(inner_table, sort, descending, is_sqlite, keys))
        .offset(offset)
        .limit(limit)
        .subquery("page")
    )
    table = _affiliate
    if carried:
        joined: Any = table
        performance: dict[str, Any] = {name: page.c[name] for name in names}
        clicks = func.nullif(page.c.clicks_30d, 0)
        performance["conversion_rate_30d"] = page.c.sales_30d * 1_000_000 / clicks
        performance["epc_30d"] = page.c.commission_30d * 10_000 / clicks
    else:
        joined, performance = _performance(table, window, select(page.c.id))
    return (
        select(
            *(table.c[name] for name in ("id", "code", "name", "status")),
            _tags_column(table, is_sqlite).label("tags"),
            *(table.c[name] for name in ("joined_on", "total_followers", "email")),
            *(performance[name] for name in names),
        )
        .select_from(joined)
        .join(page, page.c.id == table.c.id)
        .order_by(*_order_by(table, sort, descending, is_sqlite, performance))
    )


def _sorted_tags(text: str | None) -> str:
    if not text:
        return ""
    return TAG_SEPARATOR.join(sorted(text.split(TAG_SEPARATOR), key=lambda name: (name.casefold(), name)))


def count_affiliates(db: Database, flt: AffiliateFilter) -> int:
    query = select(func.count()).select_from(_affiliate).where(*_conditions(flt, _affiliate, db.is_sqlite))
    with db.read() as session:
        return int(session.scalar(query) or 0)


def list_affiliates(
    db: Database,
    flt: AffiliateFilter,
    *,
    sort: str = "code",
    descending: bool = False,
    offset: int = 0,
    limit: int = 200,
    today: date | None = None,
) -> list[AffiliateRow]:
    """One page of the affiliates matching `flt`, in a stable order, with their last 30 days; one SQL query.

    The 30 days end `today` (default: this computer's date, which spares the page a query for the program's zone).
    """
    if offset < 0 or limit < 0:
        raise ValueError("offset and limit cannot be negative")
    end = today or date.today()
    window = DateRange(end - timedelta(days=WINDOW_DAYS - 1), end)
    query = _page_query(flt, sort, descending, offset, limit, db.is_sqlite, window)
    with db.read() as session:
        rows = session.execute(query).all()
    # Positional, in AffiliateRow's order: a page is built in well under a millisecond.
    return [
        AffiliateRow(id_, code, name, status, _sorted_tags(tags), joined_on, followers, email,
                     from_cents(int(revenue)), int(sales), int(clicks), from_cents(int(commission)))
        for id_, code, name, status, tags, joined_on, followers, email, revenue, sales, clicks, commission in rows
    ]  # fmt: skip


def affiliate_ids(db: Database, flt: AffiliateFilter) -> list[int]:
    """Every id matching `flt`, in code order: for "select all" and exports."""
    query = (
        select(_affiliate.c.id)
        .where(*_conditions(flt, _affiliate, db.is_sqlite))
        .order_by(func.lower(_affiliate.c.code), _affiliate.c.id)
    )
    with db.read() as session:
        return list(session.scalars(query))


def list_tags(db: Database) -> list[str]:
    """Every tag name, alphabetically (case-insensitive)."""
    with db.read() as session:
        names = list(session.scalars(select(_tag.c.name)))
    return sorted(names, key=lambda name: (name.casefold(), name))


# --- one affiliate ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SocialInput:
    platform: str
    handle: str | None = None
    url: str | None = None
    followers: int = 0
    engagement_rate: Decimal | None = None  # percent: 3.25 means 3.25 %


@dataclass(frozen=True)
class AffiliateInput:
    code: str
    name: str
    email: str | None = None
    status: str = "active"
    joined_on: date | None = None
    phone: str | None = None
    website: str | None = None
    audience: str | None = None
    niches: tuple[str, ...] = ()
    country: str | None = None
    payee_email: str | None = None
    bank_account_name: str | None = None
    bank_iban: str | None = None
    bank_bic: str | None = None
    plan_id: int | None = None
    tags: tuple[str, ...] = ()
    coupon_codes: tuple[str, ...] = ()
    socials: tuple[SocialInput, ...] = ()
    status_reason: str | None = None  # why, when the status changes


# Columns that take the form's value as it is (the others are lists or derived).
COPIED_FIELDS = tuple(
    f.name
    for f in fields(AffiliateInput)
    if f.name not in ("niches", "tags", "coupon_codes", "socials", "status_reason")
)


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _distinct(items: Sequence[str]) -> tuple[str, ...]:
    """Stripped, blanks dropped, duplicates (ignoring case) dropped, first spelling kept."""
    seen: dict[str, str] = {}
    for item in items:
        item = item.strip()
        if item and item.casefold() not in seen:
            seen[item.casefold()] = item
    return tuple(seen.values())


def normalized_input(data: AffiliateInput) -> AffiliateInput:
    """The form's values as they are stored: trimmed, blanks as None, lists without repeats, codes upper-cased."""
    socials = tuple(
        replace(s, platform=s.platform.strip().lower(), handle=_text(s.handle), url=_text(s.url)) for s in data.socials
    )
    # Every text field stripped, blanks become None; then the fields with their own rules.
    values: dict[str, Any] = {f.name: _text(v) for f in fields(data) if isinstance(v := getattr(data, f.name), str)}
    iban, bic = values.get("bank_iban"), values.get("bank_bic")
    values.update(
        code=data.code.strip(),
        name=data.name.strip(),
        status=data.status.strip().lower(),
        niches=_distinct(data.niches),
        bank_iban=iban.replace(" ", "").upper() if iban else None,
        bank_bic=bic.replace(" ", "").upper() if bic else None,
        tags=_distinct(data.tags),
        coupon_codes=tuple(c.strip() for c in data.coupon_codes if c.strip()),  # duplicates stay: they are an error
        socials=socials,
    )
    return replace(data, **values)


@dataclass(frozen=True)
class SocialView:
    platform: str
    handle: str | None
    url: str | None
    followers: int
    engagement_rate: Decimal | None


@dataclass(frozen=True)
class NoteView:
    written_at: datetime
    author: str
    text: str


@dataclass(frozen=True)
class StatusChangeView:
    changed_at: datetime
    from_status: str | None
    to_status: str
    changed_by: str
    reason: str | None


@dataclass(frozen=True)
class AffiliateDetail:
    id: int
    data: AffiliateInput  # every field filled, status_reason None: what the edit dialog loads
    plan_name: str | None
    total_followers: int
    created_at: datetime | None
    socials: tuple[SocialView, ...]
    notes: tuple[NoteView, ...]  # newest first
    history: tuple[StatusChangeView, ...]  # newest first
    can_delete: bool
    delete_refusal: str | None


def load_affiliate_row(session: Session, affiliate_id: int) -> Affiliate:
    """The ORM row with its tags, socials and coupons, for services working inside one session."""
    row = session.scalar(
        select(Affiliate)
        .where(Affiliate.id == affiliate_id)
        .options(selectinload(Affiliate.tags), selectinload(Affiliate.socials), selectinload(Affiliate.coupons))
    )
    if row is None:
        raise AffiliateGone([affiliate_id])
    return row


def delete_refusal(session: Session, row: Affiliate) -> str | None:
    """Why an affiliate cannot be deleted (it has history worth keeping), or None."""
    notes, changes, screened = session.execute(
        select(
            select(func.count()).where(AffiliateNote.affiliate_id == row.id).scalar_subquery(),
            select(func.count()).where(StatusChange.affiliate_id == row.id).scalar_subquery(),
            select(func.count()).where(Screening.affiliate_id == row.id).scalar_subquery(),
        )
    ).one()
    history = []
    if notes:
        history.append(f"{notes} note{'s' if notes != 1 else ''}")
    if changes > 1:
        history.append(f"{changes} status changes")
    if screened:
        history.append("a screening record")
    if not history:
        return None
    why = f"{row.name} ({row.code}) cannot be deleted: they have history ({', '.join(history)})"
    if row.status in ("terminated", "rejected"):
        return f"{why}; they stay on file as {row.status}, so the history is kept"
    return f"{why}; terminate them instead, so the history is kept"


def get_affiliate(db: Database, affiliate_id: int) -> AffiliateDetail:
    """Everything about one affiliate; LookupError when there is none with this id."""
    with db.read() as session:
        row = load_affiliate_row(session, affiliate_id)
        plan_name = session.scalar(select(CommissionPlan.name).where(CommissionPlan.id == row.plan_id))
        notes = session.scalars(
            select(AffiliateNote)
            .where(AffiliateNote.affiliate_id == affiliate_id)
            .order_by(AffiliateNote.written_at.desc(), AffiliateNote.id.desc())
        ).all()
        history = session.scalars(
            select(StatusChange)
            .where(StatusChange.affiliate_id == affiliate_id)
            .order_by(StatusChange.changed_at.desc(), StatusChange.id.desc())
        ).all()
        refusal = delete_refusal(session, row)
        socials = tuple(SocialView(s.platform, s.handle, s.url, s.followers, s.engagement_rate) for s in row.socials)
        data = AffiliateInput(
            **{key: getattr(row, key) for key in COPIED_FIELDS},
            niches=tuple(n.strip() for n in (row.niches or "").split(";") if n.strip()),
            tags=tuple(sorted((t.name for t in row.tags), key=lambda n: (n.casefold(), n))),
            coupon_codes=tuple(c.code for c in row.coupons),
            socials=tuple(SocialInput(s.platform, s.handle, s.url, s.followers, s.engagement_rate) for s in socials),
        )
        return AffiliateDetail(
            id=row.id,
            data=data,
            plan_name=plan_name,
            total_followers=row.total_followers,
            created_at=row.created_at,
            socials=socials,
            notes=tuple(NoteView(n.written_at, n.author, n.text) for n in notes),
            history=tuple(
                StatusChangeView(h.changed_at, h.from_status, h.to_status, h.changed_by, h.reason) for h in history
            ),
            can_delete=refusal is None,
            delete_refusal=refusal,
        )
