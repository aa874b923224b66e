"""Affiliates: create, validate, edit, change status, annotate and delete partners; read one partner's detail."""

from __future__ import annotations

import getpass
import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import (
    AFFILIATE_STATUSES,
    SOCIAL_PLATFORMS,
    Affiliate,
    AffiliateNote,
    CommissionPlan,
    CouponCode,
    Program,
    SocialProfile,
    StatusChange,
    Tag,
    affiliate_tag,
)
from desktop.services.affiliate_queries import (
    COPIED_FIELDS,
    SORT_KEYS,
    AffiliateDetail,
    AffiliateFilter,
    AffiliateGone,
    AffiliateInput,
    AffiliateRow,
    NoteView,
    SocialInput,
    SocialView,
    StatusChangeView,
    affiliate_ids,
    count_affiliates,
    delete_refusal,
    get_affiliate,
    list_affiliates,
    list_tags,
    load_affiliate_row,
    normalized_input,
)
from desktop.services.errors import BadInput, RefusedByState, ValidationFailed

# The screens import everything from here; the read side lives in affiliate_queries.
__all__ = [
    "SORT_KEYS",
    "AffiliateDetail",
    "AffiliateFilter",
    "AffiliateInput",
    "AffiliateRow",
    "NoteView",
    "SocialInput",
    "SocialView",
    "StatusChangeView",
    "add_note",
    "affiliate_ids",
    "change_status",
    "count_affiliates",
    "create_affiliate",
    "current_user",
    "delete_affiliate",
    "get_affiliate",
    "list_affiliates",
    "list_tags",
    "update_affiliate",
    "validate_affiliate",
]

REASON_REQUIRED = ("terminated", "rejected")  # moves that must say why, for the history
CODE_RE = re.compile(r"^[A-Za-z0-9_-]+$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")
BIC_RE = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
MAX_FOLLOWERS = 1_000_000_000
MAX_TOTAL_FOLLOWERS = 2_147_483_647  # the column is a 32-bit integer on PostgreSQL
TEXT_LIMITS = dict(name=200, email=254, phone=40, website=500, country=60, payee_email=254, bank_account_name=200)
_ID_CHUNK = 900  # ids per IN (...): far below every backend's limit on bound parameters


def current_user() -> str:
    """Who is making a change, for the history: the login name, or "manager" when there is none."""
    try:
        name = getpass.getuser().strip()
    except (OSError, KeyError, ImportError):  # no login name: some services and containers
        return "manager"
    return name[:100] or "manager"


# --- input cleaning and validation ---------------------------------------------------------------------------


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host or any(c.isspace() for c in url):
        return "a web address starting with http:// or https://, like https://example.com"
    if "." not in host and host != "localhost":
        return f"{host!r} is not a full host name, like example.com"
    if len(url) > 500:
        return "at most 500 characters"
    return None


def _iban_ok(iban: str) -> bool:
    if not IBAN_RE.match(iban):
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def _social_problems(socials: Sequence[SocialInput]) -> list[str]:
    problems: list[str] = []
    for number, social in enumerate(socials, start=1):
        row = f"row {number}"
        if social.platform not in SOCIAL_PLATFORMS:
            problems.append(f"{row}: platform must be one of {', '.join(SOCIAL_PLATFORMS)}")
        if not social.handle and not social.url:
            problems.append(f"{row}: give a handle or a link")
        if social.handle and len(social.handle) > 200:
            problems.append(f"{row}: handle has more than 200 characters")
        url_problem = _url_problem(social.url) if social.url else None
        if url_problem:
            problems.append(f"{row}: link must be {url_problem}")
        if social.followers < 0:
            problems.append(f"{row}: followers must be 0 or more")
        elif social.followers > MAX_FOLLOWERS:
            problems.append(f"{row}: followers must be at most {MAX_FOLLOWERS:,}")
        rate = social.engagement_rate
        if rate is not None:
            if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100):
                problems.append(f"{row}: engagement must be between 0 and 100 %")
            elif rate != rate.quantize(Decimal("0.01")):
                problems.append(f"{row}: engagement has at most two decimals, like 3.25")
    return problems


def _problems(session: Session, data: AffiliateInput, affiliate_id: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    others = Affiliate.id != affiliate_id if affiliate_id is not None else Affiliate.id.isnot(None)
    if not data.code:
        errors["code"] = "Give the affiliate a code (letters, digits, - and _)"
    elif len(data.code) > 64:
        errors["code"] = "At most 64 characters"
    elif not CODE_RE.match(data.code):
        errors["code"] = "Only letters (A–Z), digits, - and _; no spaces"
    else:
        owner = session.execute(
            select(Affiliate.code, Affiliate.name).where(func.lower(Affiliate.code) == data.code.lower(), others)
        ).first()
        if owner is not None:
            errors["code"] = f"{owner.code} is already the code of {owner.name}"
    if not data.name:
        errors["name"] = "Give the affiliate's name"
    for key in ("email", "payee_email"):
        value = getattr(data, key)
        if value and not EMAIL_RE.match(value):
            errors[key] = f"{value!r} is not an email address, like jane@example.com"
    if data.website:
        problem = _url_problem(data.website)
        if problem:
            errors["website"] = problem[:1].upper() + problem[1:]
    for key, limit in TEXT_LIMITS.items():
        value = getattr(data, key)
        if key not in errors and value and len(value) > limit:
            errors[key] = f"At most {limit} characters"
    if data.status not in AFFILIATE_STATUSES:
        errors["status"] = "One of " + ", ".join(AFFILIATE_STATUSES)
    elif affiliate_id is not None and data.status in REASON_REQUIRED and not data.status_reason:
        current = session.scalar(select(Affiliate.status).where(Affiliate.id == affiliate_id))
        if current is not None and current != data.status:
            errors["status_reason"] = f"Say why they are {data.status}; the reason is kept in their history"
    if data.joined_on is not None and data.joined_on > _now(session).date():
        errors["joined_on"] = "Cannot be in the future"
    if len("; ".join(data.niches)) > 500 or any(";" in n for n in data.niches):
        errors["niches"] = "At most 500 characters in all, without ';'"
    bad_tags = [t for t in data.tags if len(t) > 60 or "," in t or ";" in t]
    if bad_tags:
        errors["tags"] = f"{bad_tags[0]!r}: a tag has at most 60 characters and no ',' or ';'"
    if data.bank_iban and not _iban_ok(data.bank_iban):
        errors["bank_iban"] = "Not a valid IBAN (check the country code, check digits and length)"
    if data.bank_bic and not BIC_RE.match(data.bank_bic):
        errors["bank_bic"] = "A BIC has 8 or 11 letters and digits, like DEUTDEFF"
    if data.plan_id is not None and session.get(CommissionPlan, data.plan_id) is None:
        errors["plan_id"] = "This commission plan no longer exists; choose another"
    coupon_problem = _coupon_problem(session, data.coupon_codes, affiliate_id)
    if coupon_problem:
        errors["coupon_codes"] = coupon_problem
    social_problems = _social_problems(data.socials)
    if not social_problems and sum(s.followers for s in data.socials) > MAX_TOTAL_FOLLOWERS:
        social_problems.append(f"more than {MAX_TOTAL_FOLLOWERS:,} followers in all")
    if social_problems:
        errors["socials"] = "; ".join(social_problems)
    return errors


def _coupon_problem(session: Session, codes: Sequence[str], affiliate_id: int | None) -> str | None:
    bad = [c for c in codes if len(c) > 64 or not CODE_RE.match(c)]
    if bad:
        return f"{bad[0]!r}: a coupon code has only letters (A–Z), digits, - and _, at most 64"
    seen: set[str] = set()
    for code in codes:
        if code.upper() in seen:
            return f"{code} is in the list twice"
        seen.add(code.upper())
    if not codes:
        return None
    query = (
        select(CouponCode.code, Affiliate.code.label("owner_code"), Affiliate.name)
        .join(Affiliate, Affiliate.id == CouponCode.affiliate_id)
        .where(CouponCode.code_key.in_(seen))
        .order_by(CouponCode.code_key)
    )
    if affiliate_id is not None:
        query = query.where(CouponCode.affiliate_id != affiliate_id)
    taken = session.execute(query).all()
    if not taken:
        return None
    return "; ".join(f"{row.code} is already the coupon of {row.name} ({row.owner_code})" for row in taken)


def validate_affiliate(db: Database, data: AffiliateInput, affiliate_id: int | None = None) -> dict[str, str]:
    """Messages keyed by field name ("code", "socials", ...); empty when the affiliate can be saved."""
    with db.read() as session:
        return _problems(session, normalized_input(data), affiliate_id)


# --- changes -------------------------------------------------------------------------------------------------


def _now(session: Session) -> datetime:
    """Now, in the program's time zone (stored times are program-local), to the second."""
    name = session.scalar(select(Program.timezone).where(Program.id == 1))
    try:
        zone = ZoneInfo(name) if name else None
    except (ValueError, KeyError):
        zone = None
    return datetime.now(zone).replace(tzinfo=None, microsecond=0)


def _resolve_tags(session: Session, names: Sequence[str]) -> list[Tag]:
    """Existing tags by name, ignoring case (tags are few: matched in Python, Unicode-aware); new ones created."""
    if not names:
        return []
    known = {tag.name.casefold(): tag for tag in session.scalars(select(Tag))}
    tags = []
    for name in names:
        tag = known.get(name.casefold())
        if tag is None:
            tag = known[name.casefold()] = Tag(name=name)
            session.add(tag)
        tags.append(tag)
    return tags


def _drop_unused_tags(session: Session) -> None:
    session.flush()
    unused = delete(Tag).where(Tag.id.not_in(select(affiliate_tag.c.tag_id)))
    session.execute(unused, execution_options={"synchronize_session": False})


def _record_history(
    session: Session,
    from_statuses: dict[int, str | None],
    to_status: str,
    now: datetime,
    who: str | None,
    reason: str | None,
) -> None:
    """One status_change row per affiliate id (mapped to the status it leaves), in one bulk insert."""
    if from_statuses:
        who = (who or current_user())[:100]
        common = {"changed_at": now, "to_status": to_status, "changed_by": who, "reason": reason}
        rows = [{"affiliate_id": i, "from_status": old, **common} for i, old in from_statuses.items()]
        session.execute(insert(StatusChange), rows)


def _apply(session: Session, row: Affiliate, data: AffiliateInput, now: datetime) -> None:
    tags = _resolve_tags(session, data.tags)  # before the row changes: this query may autoflush
    for key in COPIED_FIELDS:
        setattr(row, key, getattr(data, key))
    if row.status == "active" and row.joined_on is None:
        row.joined_on = now.date()  # an approval without a date joined today
    row.niches = "; ".join(data.niches) or None
    row.total_followers = sum(s.followers for s in data.socials)
    row.updated_at = now
    row.tags = tags
    row.socials = [
        SocialProfile(
            platform=s.platform, handle=s.handle, url=s.url, followers=s.followers, engagement_rate=s.engagement_rate
        )
        for s in data.socials
    ]
    # Coupons are kept (same row, maybe a new spelling) rather than deleted and re-inserted: a re-insert of the
    # same code_key in the same flush would hit the unique constraint before the delete.
    wanted = {code.upper(): code for code in data.coupon_codes}
    for coupon in list(row.coupons):
        if coupon.code_key in wanted:
            coupon.code = wanted.pop(coupon.code_key)
        else:
            row.coupons.remove(coupon)
    row.coupons.extend(CouponCode(code=code, code_key=key) for key, code in wanted.items())


def create_affiliate(db: Database, data: AffiliateInput, *, changed_by: str | None = None) -> int:
    """Add an affiliate and the first entry of its status history; returns its id. Raises ValidationFailed."""
    data = normalized_input(data)
    with db.write() as session:
        errors = _problems(session, data, None)
        if errors:
            raise ValidationFailed(errors)
        now = _now(session)
        row = Affiliate(created_at=now)
        _apply(session, row, data, now)
        session.add(row)
        session.flush()
        _record_history(session, {row.id: None}, row.status, now, changed_by, data.status_reason)
        new_id = row.id
        _reattribute(session, None, (row.code, [c.code for c in row.coupons]))
    return new_id


def _reattribute(session: Session, before: tuple[str, list[str]] | None, after: tuple[str, list[str]]) -> None:
    """Codes or coupons changed: the orders that mention them may belong to someone else now, in this transaction."""
    from desktop.services.attribution import codes_changed, reattribute_mentioning  # it reads affiliates: import late

    reattribute_mentioning(session, codes_changed(before, after))


def update_affiliate(db: Database, affiliate_id: int, data: AffiliateInput, *, changed_by: str | None = None) -> None:
    """Save an edited affiliate; a new status goes into the history with data.status_reason."""
    data = normalized_input(data)
    with db.write() as session:
        row = load_affiliate_row(session, affiliate_id)
        errors = _problems(session, data, affiliate_id)
        if errors:
            raise ValidationFailed(errors)
        now = _now(session)
        old_status = row.status
        before = (row.code, [c.code for c in row.coupons])
        _apply(session, row, data, now)
        if row.status != old_status:
            _record_history(session, {row.id: old_status}, row.status, now, changed_by, data.status_reason)
        _drop_unused_tags(session)
        _reattribute(session, before, (row.code, [c.code for c in row.coupons]))


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _ID_CHUNK):
        yield ids[start : start + _ID_CHUNK]


def change_status(
    db: Database,
    affiliate_ids: Sequence[int],
    new_status: str,
    reason: str | None = None,
    *,
    changed_by: str | None = None,
) -> int:
    """Move affiliates to a status in one transaction; returns how many changed (those already there are skipped).

    Any move is allowed; terminating or rejecting needs a reason (BadInput). An unknown id changes nothing
    (LookupError).
    """
    status = new_status.strip().lower()
    if status not in AFFILIATE_STATUSES:
        raise BadInput(f"unknown status {new_status!r}; one of {', '.join(AFFILIATE_STATUSES)}")
    reason = (reason or "").strip() or None
    if status in REASON_REQUIRED and not reason:
        raise BadInput(f"Say why they are {status}: the reason is kept in their history.")
    ids = list(dict.fromkeys(affiliate_ids))
    with db.write() as session:
        now = _now(session)
        current: dict[int, str] = {}
        for chunk in _chunks(ids):
            rows = session.execute(select(Affiliate.id, Affiliate.status).where(Affiliate.id.in_(chunk)))
            current.update({i: old for i, old in rows})
        missing = [i for i in ids if i not in current]
        if missing:
            raise AffiliateGone(missing)
        changing = [i for i in ids if current[i] != status]
        unsynced: dict[str, Any] = {"execution_options": {"synchronize_session": False}}  # no ORM rows loaded here
        for chunk in _chunks(changing):
            in_chunk = Affiliate.id.in_(chunk)
            session.execute(update(Affiliate).where(in_chunk).values(status=status, updated_at=now), **unsynced)
            if status == "active":  # an approval without a date joined today
                joined = update(Affiliate).where(in_chunk, Affiliate.joined_on.is_(None)).values(joined_on=now.date())
                session.execute(joined, **unsynced)
        _record_history(session, {i: current[i] for i in changing}, status, now, changed_by, reason)
        return len(changing)


def add_note(db: Database, affiliate_id: int, text: str, *, author: str | None = None) -> None:
    body = text.strip()
    if not body:
        raise BadInput("the note is empty: write something first")
    with db.write() as session:
        if session.get(Affiliate, affiliate_id) is None:
            raise AffiliateGone([affiliate_id])
        note = AffiliateNote(affiliate_id=affiliate_id, written_at=_now(session), text=body)
        note.author = (author or current_user())[:100]
        session.add(note)


def delete_affiliate(db: Database, affiliate_id: int) -> None:
    """Delete an affiliate entered by mistake; one with history is refused (RefusedByState)."""
    with db.write() as session:
        row = load_affiliate_row(session, affiliate_id)
        refusal = delete_refusal(session, row)
        if refusal:
            raise RefusedByState(refusal)
        session.delete(row)
        _drop_unused_tags(session)
