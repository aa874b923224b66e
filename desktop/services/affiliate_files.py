"""Affiliates in from CSV/XLSX files: a preview and an all-or-nothing import (the export is in affiliate_export)."""

from __future__ import annotations

import getpass
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import AFFILIATE_STATUSES, Affiliate, CommissionPlan, CouponCode, SocialProfile, StatusChange, Tag
from desktop.models import affiliate_tag as AffiliateTag
from desktop.services.affiliate_export import COLUMNS, IN_CHUNK, PLATFORMS, chunks, export_affiliates, select_in
from desktop.services.attribution import codes_changed, reattribute_mentioning
from desktop.services.errors import BadInput
from desktop.services.guideline_rows import program_now
from desktop.services.safe_files import FORMULA_TRIGGERS
from desktop.services.tabular import Problem, Table, TableError, normalise_header, open_table

# The export and the file's columns live in affiliate_export; the screens, the CLI and the tests import them from here.
__all__ = [
    "COLUMNS",
    "MAX_FOLLOWERS",
    "PLATFORMS",
    "PROGRESS_EVERY",
    "SAMPLE_ROWS",
    "ImportPreview",
    "ImportResult",
    "Progress",
    "export_affiliates",
    "import_affiliates",
    "preview_affiliate_import",
]

Progress = Callable[[int, int, str], None]
_ALIASES = {
    "affiliate_code": "code",
    "e_mail": "email",
    "coupons": "coupon_codes",
    "coupon_code": "coupon_codes",
    "paypal_email": "payee_email",
    "tag": "tags",
    "twitter": "x",
    "twitter_followers": "x_followers",
}
_PLAIN = ("name", "email", "website", "joined_on", "phone", "country", "audience")  # stored as the file says
_LISTS = ("coupon_codes", "tags", "niches")
_MAX_LENGTH = {"name": 200, "website": 500, "phone": 40, "country": 60, "audience": 20_000}
# A new affiliate is compared with this empty one, and inserted as it plus what the file says.
_NEW_ROW: dict[str, Any] = {
    **dict.fromkeys((*_PLAIN, "status", "plan_id", "payee_email", "niches")),
    "total_followers": 0,
}
_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_EMAIL = re.compile(r"[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+")
_URL = re.compile(r"(?i)(https?://|www\.)")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]00:00(?::00)?)?")  # Excel dates may come with a midnight time
_THOUSANDS = re.compile(r"\d{1,3}([,.' \u00a0\u202f])\d{3}(?:\1\d{3})*")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[^"]*?(\d+)"')
MAX_FOLLOWERS = 1_000_000_000
SAMPLE_ROWS = 20
PROGRESS_EVERY = 500


@dataclass(frozen=True)
class ImportPreview:
    """What importing a file would do; no `problems` means it can be imported."""

    file: str
    kind: str  # "csv" or "xlsx"
    encoding: str | None
    delimiter: str | None
    columns: tuple[tuple[str, str], ...]  # (header as written in the file, what it means)
    new: int
    updated: int
    unchanged: int
    problems: tuple[Problem, ...]
    header: tuple[str, ...]
    sample: tuple[tuple[str, ...], ...]  # the first rows, as written in the file

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ImportResult:
    file: str
    new: int
    updated: int
    unchanged: int


@dataclass
class _Row:
    line: int
    code: str
    values: dict[str, Any]  # parsed values of the columns the file has


@dataclass
class _Parsed:
    file: str
    table: Table | None = None
    headers: dict[str, str] = field(default_factory=dict)  # column -> header as written, in file order
    sample: list[tuple[str, ...]] = field(default_factory=list)
    rows: list[_Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Changes:
    """Everything an import will write; an affiliate is its id, or its code while it is still to be added."""

    problems: list[Problem] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    coupons: dict[int | str, list[str]] = field(default_factory=dict)  # whole new lists
    tags: dict[int | str, list[str]] = field(default_factory=dict)  # tag keys (casefolded names)
    new_tags: dict[str, str] = field(default_factory=dict)  # key -> name as first written
    socials: list[dict[str, Any]] = field(default_factory=list)
    social_updates: list[dict[str, Any]] = field(default_factory=list)
    social_deletes: list[int] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)  # status changes
    codes_changed: set[str] = field(default_factory=set)  # codes and coupons whose orders may change hands


def preview_affiliate_import(db: Database, path: Path | str, *, progress: Progress | None = None) -> ImportPreview:
    """Read and check the whole file against the database, change nothing, and say what an import would do."""
    parsed = _read(Path(path), progress)
    with db.read() as session:
        changes = _reconcile(session, parsed)
    table = parsed.table
    return ImportPreview(
        file=parsed.file,
        kind=table.kind if table else Path(path).suffix.lstrip(".").lower(),
        encoding=table.encoding if table else None,
        delimiter=table.delimiter if table else None,
        columns=tuple((header, COLUMNS[key]) for key, header in parsed.headers.items()),
        new=len(changes.new),
        updated=len(changes.updates),
        unchanged=changes.unchanged,
        problems=tuple(_all_problems(parsed, changes)),
        header=tuple(table.header if table else ()),
        sample=tuple(parsed.sample),
    )


def import_affiliates(db: Database, path: Path | str, *, progress: Progress | None = None) -> ImportResult:
    """Import the file in one transaction; with any problem raise BadInput listing them all and change nothing.

    `progress(done, total, what)` is called every few hundred rows; an exception from it rolls everything back.
    """
    parsed = _read(Path(path), progress)
    with db.write() as session:
        changes = _reconcile(session, parsed)
        if problems := _all_problems(parsed, changes):
            raise BadInput(problems)
        _apply(session, changes, f"import from {parsed.file}", progress)
        reattribute_mentioning(session, changes.codes_changed, progress)
    return ImportResult(parsed.file, len(changes.new), len(changes.updates), changes.unchanged)


# --- reading and checking the file ----------------------------------------------------------------------------


def _read(path: Path, progress: Progress | None) -> _Parsed:
    parsed = _Parsed(path.name)
    try:
        parsed.table = table = open_table(path)
    except TableError as exc:
        parsed.problems.extend(exc.problems)
        return parsed
    with table:
        positions = _map_header(parsed, table.header)
        estimate = _estimate_rows(path, table.kind)
        first_line: dict[tuple[str, str], int] = {}  # ("code" or "coupon_codes", upper-cased value) -> line
        word = "rows" if table.kind == "xlsx" else "lines"
        try:
            for count, (line, cells) in enumerate(table.rows(), start=1):
                if len(parsed.sample) < SAMPLE_ROWS:
                    parsed.sample.append(tuple(cells))
                elif positions is None:
                    break
                if progress is not None and count % PROGRESS_EVERY == 0:
                    progress(count, max(estimate, count), f"Checking row {count:,}")
                if positions is None or (row := _parse_row(parsed, line, cells, positions)) is None:
                    continue
                coupons = row.values.get("coupon_codes", ())
                for key, value in [("code", row.code), *(("coupon_codes", coupon) for coupon in coupons)]:
                    if (first := first_line.setdefault((key, value.upper()), line)) != line:
                        message = (
                            f"code {_show(value)} is on {word} {first} and {line}; codes must be unique"
                            if key == "code"
                            else f"coupon {_show(value)} is given on {word} {first} and {line}"
                        )
                        parsed.problems.append(Problem(parsed.file, line, parsed.headers[key], message))
                if not parsed.problems or parsed.problems[-1].line != line:
                    parsed.rows.append(row)
        except TableError as exc:
            parsed.problems.extend(exc.problems)
        parsed.problems.extend(table.problems)
        if table.problem_count > len(table.problems):
            unlisted = table.problem_count - len(table.problems)
            parsed.problems.append(Problem(parsed.file, None, None, f"{unlisted:,} more rows are too wide"))
    return parsed


def _map_header(parsed: _Parsed, header: list[str]) -> list[tuple[int, str]] | None:
    """Positions of the known columns; None (with problems) when the header is unusable."""
    positions: list[tuple[int, str]] = []
    for index, text in enumerate(header):
        key = _ALIASES.get(normalise_header(text), normalise_header(text))
        if not key:
            parsed.problems.append(Problem(parsed.file, 1, None, f"column {index + 1} has no name in the header"))
        elif key not in COLUMNS:
            message = f"unknown column {_show(text)}; the columns are: {', '.join(COLUMNS)}"
            parsed.problems.append(Problem(parsed.file, 1, text, message))
        elif key in parsed.headers:
            message = f"the column is given twice (also as {_show(parsed.headers[key])})"
            parsed.problems.append(Problem(parsed.file, 1, text, message))
        else:
            parsed.headers[key] = text
            positions.append((index, key))
    for required in ("code", "name"):
        if required not in parsed.headers:
            parsed.problems.append(Problem(parsed.file, 1, None, f"the required column '{required}' is missing"))
    return None if parsed.problems else positions


def _parse_row(parsed: _Parsed, line: int, cells: list[str], positions: list[tuple[int, str]]) -> _Row | None:
    values: dict[str, Any] = {}
    before = len(parsed.problems)
    for index, key in positions:
        try:
            values[key] = _parse_cell(key, cells[index])
        except ValueError as exc:
            parsed.problems.append(Problem(parsed.file, line, parsed.headers[key], str(exc)))
    return _Row(line, values.pop("code"), values) if len(parsed.problems) == before else None


def _parse_cell(key: str, raw: str) -> Any:
    value = raw.strip()
    if value[:1] == "'" and value[1:2] and value[1] in FORMULA_TRIGGERS:
        value = value[1:]  # the guard our own CSV export puts before text that looks like a formula
    if _CONTROL.search(value):
        raise ValueError("contains control characters; remove them")
    if not value:
        if key in ("code", "name"):
            raise ValueError(f"the {key} is required")
        return [] if key in _LISTS else None
    if key == "code" and not _CODE.fullmatch(value):
        raise ValueError(f"{_show(value)} is not a valid code: use letters, digits, - and _ (at most 64)")
    if key == "status" and value.lower() not in AFFILIATE_STATUSES:
        raise ValueError(f"unknown status {_show(value)}; use one of: {', '.join(AFFILIATE_STATUSES)}")
    if key in ("email", "payee_email") and (len(value) > 254 or not _EMAIL.fullmatch(value)):
        raise ValueError(f"{_show(value)} is not an email address")
    if key in PLATFORMS:
        limit = 500 if _URL.match(value) else 200
        if len(value) > limit:
            raise ValueError(f"is longer than {limit} characters")
        return (None, value) if limit == 500 else (value, None)  # (handle, url)
    if len(value) > _MAX_LENGTH.get(key, 1_000):
        raise ValueError(f"is longer than {_MAX_LENGTH.get(key, 1_000)} characters")
    parse = {
        "status": str.lower,
        "joined_on": _parse_date,
        "coupon_codes": _parse_coupons,
        "tags": _parse_tags,
        "niches": _parse_niches,
    }.get(key, _parse_followers if key.endswith("_followers") else str)
    return parse(value)


def _parse_date(value: str) -> date:
    if match := _DATE.fullmatch(value):
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            pass
    raise ValueError(f"{_show(value)} is not a date; write it as YYYY-MM-DD")


def _parse_followers(value: str) -> int:
    if not value.isdigit() and not _THOUSANDS.fullmatch(value):
        raise ValueError(f"{_show(value)} is not a whole number of followers (like 12300 or 12,300)")
    if (number := int(re.sub(r"\D", "", value))) > MAX_FOLLOWERS:
        raise ValueError(f"{number:,} followers is more than {MAX_FOLLOWERS:,}")
    return number


def _split(text: str | None) -> list[str]:
    """The distinct items of a ;-separated list (case does not matter), in their order."""
    items: dict[str, str] = {}
    for part in (text or "").split(";"):
        if item := part.strip():
            items.setdefault(item.upper(), item)
    return list(items.values())


def _parse_coupons(value: str) -> list[str]:
    coupons = _split(value)
    for coupon in coupons:
        if len(coupon) > 64 or any(char.isspace() or char == "," for char in coupon):
            hint = "at most 64 characters" if len(coupon) > 64 else "separate coupon codes with ';'"
            raise ValueError(f"{_show(coupon)} is not a coupon code ({hint})")
    return coupons


def _parse_tags(value: str) -> list[str]:
    if long := [tag for tag in _split(value) if len(tag) > 60]:
        raise ValueError(f"the tag {_show(long[0])} is longer than 60 characters")
    return _split(value)


def _parse_niches(value: str) -> list[str]:
    if len("; ".join(_split(value))) > 500:
        raise ValueError("the niches are longer than 500 characters")
    return _split(value)


def _show(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _estimate_rows(path: Path, kind: str) -> int:
    """Rows in the file, roughly, for progress only: CSV lines, or the worksheets' declared size."""
    try:
        if kind == "csv":
            with path.open("rb") as fh:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        with zipfile.ZipFile(path) as archive:
            sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
            found = (_DIMENSION.search(archive.open(name).read(4096)) for name in sheets)
            return max((int(match.group(1)) for match in found if match), default=0)
    except (OSError, zipfile.BadZipFile):
        return 0


def _all_problems(parsed: _Parsed, changes: _Changes) -> list[Problem]:
    return sorted(parsed.problems + changes.problems, key=lambda problem: problem.line or 0)


# --- comparing with the database, and writing -----------------------------------------------------------------


def _reconcile(session: Session, parsed: _Parsed) -> _Changes:
    """Check the rows against the database (plans, coupons) and work out every change, writing nothing."""
    changes, present, now = _Changes(), set(parsed.headers), datetime.now().replace(microsecond=0)
    today = program_now(session).date()
    plans = session.execute(select(CommissionPlan.id, CommissionPlan.name).order_by(CommissionPlan.position)).all()
    plan_ids = {name.casefold(): plan_id for plan_id, name in reversed(plans)}
    code_by_id = {affiliate_id: code for affiliate_id, code in session.execute(select(Affiliate.id, Affiliate.code))}
    id_by_code = {code.upper(): affiliate_id for affiliate_id, code in code_by_id.items()}
    ids = [id_by_code[row.code.upper()] for row in parsed.rows if row.code.upper() in id_by_code]
    existing = {row.id: row for row in select_in(session, select(Affiliate.__table__), Affiliate.id, ids)}
    holders: dict[str, int] = {}
    old_coupons: dict[int, list[str]] = defaultdict(list)
    if "coupon_codes" in present:
        keys = {coupon.upper() for row in parsed.rows for coupon in row.values["coupon_codes"]}
        stmt = select(CouponCode.affiliate_id, CouponCode.code, CouponCode.code_key)
        holders.update((key, holder) for holder, _, key in select_in(session, stmt, CouponCode.code_key, keys))
        for holder, code, _ in select_in(session, stmt, CouponCode.affiliate_id, ids):
            old_coupons[holder].append(code)
    # A coupon may move to another affiliate when its holder's row in this file no longer lists it.
    released = {
        coupon.upper()
        for row in parsed.rows
        if "coupon_codes" in row.values
        for coupon in old_coupons.get(id_by_code.get(row.code.upper(), 0), ())
        if coupon.upper() not in {c.upper() for c in row.values["coupon_codes"]}
    }
    tag_keys = {name.casefold() for name in session.scalars(select(Tag.name))}
    old_tags: dict[int, set[str]] = defaultdict(set)
    if "tags" in present:
        stmt = select(AffiliateTag.c.affiliate_id, Tag.name).join(Tag, Tag.id == AffiliateTag.c.tag_id)
        for affiliate_id, name in select_in(session, stmt, AffiliateTag.c.affiliate_id, ids):
            old_tags[affiliate_id].add(name.casefold())
    old_socials: dict[int, list[Any]] = defaultdict(list)
    if social_columns := any(p in present or f"{p}_followers" in present for p in PLATFORMS):
        for profile in select_in(session, select(SocialProfile.__table__), SocialProfile.affiliate_id, ids):
            old_socials[profile.affiliate_id].append(profile)
    for row in parsed.rows:
        values, affiliate_id, before = row.values, id_by_code.get(row.code.upper()), len(changes.problems)
        plan_id = plan_ids.get(values["plan"].casefold()) if values.get("plan") else None
        if values.get("plan") and plan_id is None:
            known = ", ".join(repr(name) for _, name in plans) or "there are no commission plans yet"
            changes.problems.append(_problem(parsed, row, "plan", f"unknown plan {_show(values['plan'])} ({known})"))
        if (joined := values.get("joined_on")) and joined > today:  # the affiliate form's rule: it could not be saved
            message = f"{_show(joined.isoformat())} is in the future (today is {today.isoformat()}): not a joining date"
            changes.problems.append(_problem(parsed, row, "joined_on", message))
        for coupon in values.get("coupon_codes", ()):
            holder = holders.get(coupon.upper())
            if holder is not None and holder != affiliate_id and coupon.upper() not in released:
                message = f"coupon {_show(coupon)} already belongs to affiliate {code_by_id[holder]}"
                changes.problems.append(_problem(parsed, row, "coupon_codes", message))
        if len(changes.problems) > before:
            continue
        for tag in values.get("tags", ()):
            if tag.casefold() not in tag_keys:
                changes.new_tags.setdefault(tag.casefold(), tag)
        is_new = affiliate_id is None
        key: int | str = row.code if affiliate_id is None else affiliate_id
        old = _NEW_ROW if affiliate_id is None else existing[affiliate_id]._mapping
        diff = {column: values[column] for column in _PLAIN if column in values and values[column] != old[column]}
        if (status := values.get("status") or ("active" if is_new else None)) and status != old["status"]:
            diff["status"] = status
            changes.history.append({"affiliate_id": key, "from_status": old["status"], "to_status": status})
        if (plan_id := plan_id or (plans[0].id if is_new and plans else None)) and plan_id != old["plan_id"]:
            diff["plan_id"] = plan_id
        if "niches" in values and values["niches"] != _split(old["niches"]):
            diff["niches"] = "; ".join(values["niches"]) or None
        email = values.get("email", old["email"])
        payee, stored = values.get("payee_email") or email, old["payee_email"]
        # No stored payee means "pay the email": it stays so unless the file names another address.
        if (is_new or "payee_email" in values) and payee != stored and (is_new or stored or payee != email):
            diff["payee_email"] = payee
        changed = False
        if "coupon_codes" in values and sorted(values["coupon_codes"]) != sorted(old_coupons[affiliate_id or 0]):
            changes.coupons[key], changed = values["coupon_codes"], True
        had = None if is_new else (row.code, old_coupons[affiliate_id or 0])
        has = values.get("coupon_codes", had[1] if had else ())
        changes.codes_changed |= codes_changed(had, (row.code, has))
        if "tags" in values and {tag.casefold() for tag in values["tags"]} != old_tags[affiliate_id or 0]:
            changes.tags[key], changed = [tag.casefold() for tag in values["tags"]], True
        if social_columns:
            total, socials_changed = _update_socials(changes, key, values, old_socials.get(affiliate_id or 0, []))
            changed = changed or socials_changed
            if total != old["total_followers"]:
                diff["total_followers"] = total
        if is_new:
            changes.new.append({**_NEW_ROW, **diff, "code": row.code, "created_at": now, "updated_at": now})
        elif diff or changed:
            changes.updates.append({**diff, "id": affiliate_id, "updated_at": now})
        else:
            changes.unchanged += 1
    return changes


def _update_socials(changes: _Changes, key: int | str, values: dict[str, Any], profiles: list[Any]) -> tuple[int, bool]:
    """Queue one affiliate's social profile changes; returns its follower total afterwards and whether any changed."""
    firsts: dict[str, Any] = {}
    for profile in sorted(profiles, key=lambda profile: profile.id):
        firsts.setdefault(profile.platform, profile)
    touched = [p for p in PLATFORMS if p in values or f"{p}_followers" in values]
    total = sum(p.followers for p in profiles if p.platform not in touched or firsts[p.platform] is not p)
    changed = False
    for platform in touched:
        current = firsts.get(platform)
        handle, url, followers = (current.handle, current.url, current.followers) if current else (None, None, 0)
        if platform in values:
            handle, url = values[platform] or (None, None)
        if f"{platform}_followers" in values:
            followers = values[f"{platform}_followers"] or 0
        # A profile with nothing left in it goes, unless it holds what the file cannot say (an engagement rate).
        keep = bool(handle or url or followers) or (current is not None and current.engagement_rate is not None)
        total += followers if keep else 0
        profile = {"handle": handle, "url": url, "followers": followers}
        if current is None and keep:
            changes.socials.append({"affiliate_id": key, "platform": platform, **profile})
        elif current is not None and not keep:
            changes.social_deletes.append(current.id)
        elif current is not None and (handle, url, followers) != (current.handle, current.url, current.followers):
            changes.social_updates.append({"id": current.id, **profile})
        else:
            continue
        changed = True
    return total, changed


def _apply(session: Session, changes: _Changes, reason: str, progress: Progress | None) -> None:
    total, done = len(changes.new) + len(changes.updates) + 1, 0
    quiet = {"synchronize_session": False}
    whole = {"render_nulls": True}  # keep None in every row: rows of one shape go out as one executemany
    if changes.new_tags:
        session.execute(insert(Tag), [{"name": name} for name in changes.new_tags.values()])
    tag_ids = {name.casefold(): tag_id for tag_id, name in session.execute(select(Tag.id, Tag.name))}
    new_ids: dict[str, int] = {}
    for chunk in chunks(changes.new, PROGRESS_EVERY):
        stmt = insert(Affiliate).returning(Affiliate.id, Affiliate.code)
        new_ids.update((code, new_id) for new_id, code in session.execute(stmt, chunk, execution_options=whole))
        done += len(chunk)
        if progress is not None:
            progress(done, total, f"Added {done:,} affiliates")
    for chunk in chunks(changes.updates, PROGRESS_EVERY):
        session.execute(update(Affiliate), chunk, execution_options=quiet)
        done += len(chunk)
        if progress is not None:
            progress(done, total, f"Updated {done - len(changes.new):,} affiliates")

    def owner(key: int | str) -> int:
        return new_ids[key] if isinstance(key, str) else key

    for ids in chunks([owner(key) for key in changes.coupons], IN_CHUNK):
        session.execute(delete(CouponCode).where(CouponCode.affiliate_id.in_(ids)), execution_options=quiet)
    for ids in chunks([owner(key) for key in changes.tags], IN_CHUNK):
        session.execute(delete(AffiliateTag).where(AffiliateTag.c.affiliate_id.in_(ids)))
    for ids in chunks(changes.social_deletes, IN_CHUNK):
        session.execute(delete(SocialProfile).where(SocialProfile.id.in_(ids)), execution_options=quiet)
    if changes.social_updates:
        session.execute(update(SocialProfile), changes.social_updates, execution_options=quiet)
    stamp = {"changed_at": datetime.now().replace(microsecond=0), "changed_by": _user(), "reason": reason}
    inserts = (
        (
            CouponCode,
            [
                {"affiliate_id": owner(key), "code": code, "code_key": code.upper()}
                for key, codes in changes.coupons.items()
                for code in codes
            ],
        ),
        (
            AffiliateTag,
            [
                {"affiliate_id": owner(key), "tag_id": tag_ids[tag]}
                for key, tags in changes.tags.items()
                for tag in tags
            ],
        ),
        (SocialProfile, [{**row, "affiliate_id": owner(row["affiliate_id"])} for row in changes.socials]),
        (StatusChange, [{**row, **stamp, "affiliate_id": owner(row["affiliate_id"])} for row in changes.history]),
    )
    for model, rows in inserts:
        for chunk in chunks(rows, 5_000):
            session.execute(insert(model), chunk, execution_options=whole)
    if progress is not None:
        progress(total, total, "Saved")


def _problem(parsed: _Parsed, row: _Row, key: str, message: str) -> Problem:
    return Problem(parsed.file, row.line, parsed.headers[key], message)


def _user() -> str:
    try:
        return getpass.getuser()[:100] or "import"
    except (OSError, KeyError):
        return "import"
