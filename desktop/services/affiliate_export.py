"""Affiliates out to CSV/XLSX files, formula-safe; the file's columns, which the import reads back, are set here."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import AFFILIATE_STATUSES, Affiliate, CommissionPlan, CouponCode, SocialProfile, Tag
from desktop.models import affiliate_tag as AffiliateTag
from desktop.services.errors import BadInput
from desktop.services.safe_files import atomic_path, atomic_write, check_target, csv_safe, set_text_cell

PLATFORMS = ("instagram", "youtube", "tiktok", "x", "blog")
_LABELS = {"instagram": "Instagram", "youtube": "YouTube", "tiktok": "TikTok", "x": "X", "blog": "Blog"}
COLUMNS: dict[str, str] = {  # the file's columns, in export order, with what each one means
    "code": "Affiliate code (required)", "name": "Name (required)", "email": "Email", "status": "Status",
    "plan": "Commission plan (its name)", "coupon_codes": "Coupon codes (separated by ;)",
    "payee_email": "PayPal email (default: the email)", "website": "Website",
    "joined_on": "Joined on (YYYY-MM-DD)", "tags": "Tags (separated by ;)",
    **{key: f"{_LABELS[p]} {what}" for p in PLATFORMS for key, what in ((p, "handle or URL"),
                                                                         (f"{p}_followers", "followers"))},
    "phone": "Phone", "country": "Country", "niches": "Niches (separated by ;)", "audience": "Audience",
}
IN_CHUNK = 900  # keys per IN (...): below SQLite's oldest limit on bound parameters


def export_affiliates(
    db: Database, path: Path | str, *, affiliate_ids: Sequence[int] | None = None, status: str | None = None
) -> int:
    """Write affiliates (all, the given ids, or those with `status`) to .csv or .xlsx; returns the row count."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise BadInput(f"{path.name}: affiliates are exported to a .csv or .xlsx file")
    if status is not None and status not in AFFILIATE_STATUSES:
        raise BadInput(f"unknown status {status!r}; use one of: {', '.join(AFFILIATE_STATUSES)}")
    with db.read() as session:
        rows = _export_rows(session, affiliate_ids, status)
    if path.suffix.lower() == ".xlsx":
        _write_xlsx(path, rows)
        return len(rows)
    with atomic_write(path, "w", encoding="utf-8-sig", newline="") as fh:  # the BOM tells Excel it is UTF-8
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for row in rows:  # numbers and ISO dates never start like a formula; text goes through csv_safe
            writer.writerow(["" if v is None else str(v) if isinstance(v, int | date) else csv_safe(v) for v in row])
    return len(rows)


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    return (items[start : start + size] for start in range(0, len(items), size))


def select_in(session: Session, stmt: Any, column: Any, keys: Iterable[Any] | None) -> list[Any]:
    """The rows of `stmt` whose `column` is one of `keys` (every row when `keys` is None), a few queries at most."""
    if keys is None:
        return list(session.execute(stmt))
    rows: list[Any] = []
    for chunk in chunks(sorted(set(keys)), IN_CHUNK):
        rows.extend(session.execute(stmt.where(column.in_(chunk))))
    return rows


def _export_rows(session: Session, ids: Sequence[int] | None, status: str | None) -> list[list[Any]]:
    stmt = select(Affiliate.__table__)
    if status is not None:
        stmt = stmt.where(Affiliate.status == status)
    affiliates = sorted(select_in(session, stmt, Affiliate.id, ids), key=lambda row: row.code.upper())
    wanted = None if ids is None and status is None else [row.id for row in affiliates]
    plans = {plan_id: name for plan_id, name in session.execute(select(CommissionPlan.id, CommissionPlan.name))}
    coupons: dict[int, list[str]] = defaultdict(list)
    stmt_coupons = select(CouponCode.affiliate_id, CouponCode.code)
    for affiliate_id, code in select_in(session, stmt_coupons, CouponCode.affiliate_id, wanted):
        coupons[affiliate_id].append(code)
    tags: dict[int, list[str]] = defaultdict(list)
    stmt_tags = select(AffiliateTag.c.affiliate_id, Tag.name).join(Tag, Tag.id == AffiliateTag.c.tag_id)
    for affiliate_id, name in select_in(session, stmt_tags, AffiliateTag.c.affiliate_id, wanted):
        tags[affiliate_id].append(name)
    socials: dict[tuple[int, str], Any] = {}
    profiles = select_in(session, select(SocialProfile.__table__), SocialProfile.affiliate_id, wanted)
    for profile in sorted(profiles, key=lambda profile: profile.id):
        socials.setdefault((profile.affiliate_id, profile.platform), profile)
    rows: list[list[Any]] = []
    for a in affiliates:
        row = [a.code, a.name, a.email, a.status, plans.get(a.plan_id), "; ".join(sorted(coupons[a.id])),
               a.payee_email, a.website, a.joined_on, "; ".join(sorted(tags[a.id], key=str.casefold))]
        for platform in PLATFORMS:
            profile = socials.get((a.id, platform))
            row += [profile.url or profile.handle, profile.followers] if profile is not None else [None, None]
        rows.append([*row, a.phone, a.country, a.niches, a.audience])
    return rows


def _write_xlsx(path: Path, rows: list[list[Any]]) -> None:
    check_target(path)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Affiliates")
    for index, key in enumerate(COLUMNS):
        longest = max((len(str(row[index] or "")) for row in rows[:2_000]), default=0)
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(max(len(key), longest) + 2, 50)
    last = f"{get_column_letter(len(COLUMNS))}{len(rows) + 1}"
    # Write-only sheets leave out <dimension>; without it readers (openpyxl's read-only too) scan the whole sheet.
    sheet.calculate_dimension = lambda: f"A1:{last}"
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_cell(sheet, key, bold=True) for key in COLUMNS])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    sheet.auto_filter.ref = f"A1:{last}"
    with atomic_path(path) as temporary:
        workbook.save(temporary)


def _xlsx_cell(sheet: Any, value: Any, *, bold: bool = False) -> WriteOnlyCell | None:
    if value is None:
        return None
    cell = WriteOnlyCell(sheet)
    if isinstance(value, str):
        set_text_cell(cell, value)  # never a formula, whatever the text starts with
    else:
        cell.value = value  # followers stay numbers; dates stay dates
        cell.number_format = "yyyy-mm-dd" if isinstance(value, date) else "General"
    if bold:
        cell.font = Font(bold=True)
    return cell
