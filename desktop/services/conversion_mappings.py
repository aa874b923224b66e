"""Saved column mappings for order files the presets don't know: {our field: their column}, by name."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path

from sqlalchemy import delete, select

from desktop.db import Database
from desktop.models import ColumnMapping
from desktop.services.conversion_presets import FIELDS, header_positions, normalise_header
from desktop.services.conversion_store import local_now
from desktop.services.conversion_values import DATE_ORDERS, date_order_shown
from desktop.services.errors import BadInput, ValidationFailed
from desktop.services.program_settings import get_program
from desktop.services.tabular import TableError, open_table

KIND = "conversions"


@dataclass(frozen=True)
class SavedMapping:
    name: str
    mapping: tuple[tuple[str, str], ...]  # (our field, their column), in FIELDS order
    created_at: datetime
    date_order: str = "ymd"  # how the file writes dates that are not ISO 8601 (conversion_values.DATE_ORDERS)

    def as_dict(self) -> dict[str, str]:
        return dict(self.mapping)


def validate_mapping(name: str, mapping: Mapping[str, str]) -> dict[str, str]:
    """Messages keyed by "name" or by our field; empty when the mapping can be saved."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Give the mapping a name"
    elif len(name.strip()) > 100:
        errors["name"] = "At most 100 characters"
    if not any(str(theirs or "").strip() for theirs in mapping.values()):
        errors["mapping"] = "Map at least one column"
    for field, theirs in mapping.items():
        if field not in FIELDS:
            errors[field] = f"Unknown field; known: {', '.join(FIELDS)}"
        elif not isinstance(theirs, str):
            errors[field] = "The column name must be text"
        elif len(theirs) > 200:
            errors[field] = "At most 200 characters"
    return errors


def save_mapping(db: Database, name: str, mapping: Mapping[str, str], *, date_order: str = "ymd") -> SavedMapping:
    """Save (or replace) the mapping under this name, with the way its files write dates."""
    errors = validate_mapping(name, mapping)
    if date_order not in DATE_ORDERS:
        errors["date_order"] = f"Unknown date order; known: {', '.join(DATE_ORDERS)}"
    if errors:
        raise ValidationFailed(errors)
    cleaned = {field: mapping[field].strip() for field in FIELDS if mapping.get(field, "").strip()}
    now = local_now(get_program(db).timezone)
    with db.write() as session:
        row = session.scalar(
            select(ColumnMapping).where(ColumnMapping.name == name.strip(), ColumnMapping.kind == KIND)
        )
        if row is None:
            row = ColumnMapping(name=name.strip(), kind=KIND, created_at=now, mapping_json="{}")
            session.add(row)
        row.mapping_json = json.dumps({"columns": cleaned, "date_order": date_order}, ensure_ascii=False)
        return _saved(row)


def list_mappings(db: Database) -> tuple[SavedMapping, ...]:
    with db.read() as session:
        rows = session.scalars(select(ColumnMapping).where(ColumnMapping.kind == KIND).order_by(ColumnMapping.name))
        return tuple(_saved(row) for row in rows)


def get_saved_mapping(db: Database, name: str) -> SavedMapping:
    """The mapping saved under this name; BadInput when there is none."""
    with db.read() as session:
        row = session.scalar(
            select(ColumnMapping).where(ColumnMapping.name == name.strip(), ColumnMapping.kind == KIND)
        )
        if row is None:
            names = session.scalars(select(ColumnMapping.name).where(ColumnMapping.kind == KIND)
                                    .order_by(ColumnMapping.name)).all()  # fmt: skip
            known = f"saved: {', '.join(names)}" if names else "none is saved yet: the window's Map columns… saves one"
            raise BadInput(f"there is no saved column mapping named '{name}' ({known})")
        return _saved(row)


def fitting_mapping(db: Database, header: Sequence[str]) -> SavedMapping | None:
    """The saved mapping made for files like this one: every column it names is in the header.

    Of several, the one naming the most columns (then the first by name): a mapping for a richer export of
    the same shop wins over a bare one.
    """
    keys = header_positions(header)
    fitting = [saved for saved in list_mappings(db)
               if saved.mapping and all(normalise_header(theirs) in keys for _, theirs in saved.mapping)]  # fmt: skip
    return max(fitting, key=lambda saved: len(saved.mapping), default=None)


# What other exports call our fields (normalised as header names are), most telling first: the mapping dialog
# proposes these, and the user checks them. "ref" is left out on purpose: an order reference or a referral code?
SYNONYMS: dict[str, tuple[str, ...]] = {
    "order_id": ("order_id", "order_number", "order_no", "order", "order_#", "order_ref", "reference", "invoice",
                 "invoice_number", "invoice_no", "transaction_id", "transaction", "receipt", "receipt_number"),
    "occurred_at": ("occurred_at", "order_date", "date", "created_at", "created", "sale_date", "purchase_date",
                    "paid_at", "date_time", "datetime", "timestamp", "time", "when"),
    "type": ("type", "conversion_type", "kind"),
    "amount": ("amount", "line_amount", "line_total", "net_amount", "net", "subtotal", "total", "order_total",
               "order_value", "sale_amount", "value", "revenue", "price"),
    "quantity": ("quantity", "qty", "units", "count"),
    "sku": ("sku", "product_code", "item_code", "article_number", "article"),
    "product": ("product", "product_name", "item_name", "item", "title", "description"),
    "currency": ("currency", "currency_code", "curr"),
    "affiliate_code": ("affiliate_code", "affiliate", "affiliate_id", "partner_code", "partner", "referral_code",
                       "referral", "referrer", "promoter", "influencer"),
    "coupon_code": ("coupon_code", "coupon", "coupons", "discount_code", "discount", "promo_code", "promo",
                    "voucher_code", "voucher"),
    "visitor_id": ("visitor_id", "visitor", "session_id", "client_id"),
    "customer_email": ("customer_email", "email", "e_mail", "buyer_email", "billing_email", "mail"),
    "status": ("status", "order_status", "payment_status", "financial_status", "state"),
    "refunded_amount": ("refunded_amount", "refunded", "refund_amount", "refund", "amount_refunded"),
}  # fmt: skip
SAMPLE_ROWS = 3


@dataclass(frozen=True)
class MappingProposal:
    """What the mapping dialog shows for a file: its columns, a few values of each, and our guess."""

    header: tuple[str, ...]
    samples: dict[str, tuple[str, ...]]  # column -> its first non-empty values (SAMPLE_ROWS)
    dates: dict[str, str | None]  # column -> guess_date_order of its first 200 values
    guessed: dict[str, str]  # our field -> their column, from the column names alone
    error: str  # the file cannot be read ("" when it can)


def propose_mapping(path: Path) -> MappingProposal:
    """Read a file's header and first rows, and guess which column holds which field (SYNONYMS)."""
    try:
        with open_table(path) as table:
            header = tuple(table.header)
            values: dict[str, list[str]] = {name: [] for name in header}
            for _, cells in islice(table.rows(), 200):
                for name, cell in zip(header, cells, strict=False):
                    if cell.strip():
                        values[name].append(cell.strip())
    except TableError as exc:
        return MappingProposal((), {}, {}, {}, str(exc))
    samples = {name: tuple(found[:SAMPLE_ROWS]) for name, found in values.items()}
    dates = {name: guess_date_order(found) for name, found in values.items()}
    return MappingProposal(header, samples, dates, suggest_mapping(header), "")


def guess_date_order(values: Sequence[str]) -> str | None:
    """How these dates are written, when they show it: "ymd" (ISO 8601), "dmy" (a day above 12 comes first),
    "mdy" (it comes second); None when they don't (03/10/2026 only): the user has to say."""
    found = {shown for value in values if (shown := date_order_shown(value)) in DATE_ORDERS}
    return found.pop() if len(found) == 1 else None


def suggest_mapping(header: Sequence[str]) -> dict[str, str]:
    """Our field -> their column, for the columns whose names say it; each column used once."""
    keys = header_positions(header)
    guessed: dict[str, str] = {}
    taken: set[int] = set()
    for rank in range(max(map(len, SYNONYMS.values()))):  # every field's best name before anyone's second best
        for field, names in SYNONYMS.items():
            if field in guessed or rank >= len(names):
                continue
            index = keys.get(names[rank])
            if index is not None and index not in taken:
                guessed[field] = header[index]
                taken.add(index)
    return {field: guessed[field] for field in FIELDS if field in guessed}


def delete_mapping(db: Database, name: str) -> bool:
    with db.write() as session:
        result = session.execute(
            delete(ColumnMapping).where(ColumnMapping.name == name.strip(), ColumnMapping.kind == KIND)
        )
        return bool(getattr(result, "rowcount", 0))


def _saved(row: ColumnMapping) -> SavedMapping:
    stored = json.loads(row.mapping_json or "{}")
    # {"columns": {...}, "date_order": ...}; mappings saved before dates could be day-first are the columns alone
    columns = stored["columns"] if isinstance(stored.get("columns"), dict) else stored
    pairs = tuple((field, str(columns[field])) for field in FIELDS if field in columns)
    order = stored.get("date_order") if stored.get("date_order") in DATE_ORDERS else "ymd"
    return SavedMapping(row.name, pairs, row.created_at, order)
