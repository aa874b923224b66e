"""The order files we read: the generic columns, the shop presets, telling them apart by header, and mapped columns."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from desktop.services.tabular import normalise_header

PRESETS = ("generic", "shopify", "woocommerce", "stripe")
PRESET_LABELS = {
    "generic": "generic conversions file",
    "shopify": "Shopify orders export",
    "woocommerce": "WooCommerce orders export (Order Import Export plugin)",
    "stripe": "Stripe payments export",
    "mapping": "mapped columns",
}
# Our fields (DESIGN §6 "Conversions CSV") with what each one means, for the column-mapping dialog.
FIELDS: dict[str, str] = {
    "order_id": "Order number (required; rows sharing it are one order)",
    "occurred_at": "Date or date-time of the order (required)",
    "type": "Type: sale, lead or signup (default sale)",
    "amount": "Line amount after discounts, without shipping and tax (required for sales)",
    "quantity": "Quantity (default 1)",
    "sku": "Product SKU",
    "product": "Product name",
    "currency": "Currency (default the program's)",
    "affiliate_code": "Affiliate (referral) code",
    "coupon_code": "Coupon code(s)",
    "visitor_id": "Visitor id (matches clicks)",
    "customer_email": "Customer email",
    "status": "Status: approved, pending, rejected or refunded (default approved)",
    "refunded_amount": "Refunded part of the order",
}
ORDER_FIELDS = (
    "occurred_at",
    "type",
    "currency",
    "affiliate_code",
    "coupon_code",
    "visitor_id",
    "customer_email",
    "status",
    "refunded_amount",
)
LINE_FIELDS = ("amount", "quantity", "sku", "product")

# Shop exports: our meaning of each of their columns (by normalised header), the required ones first.
SHOPIFY_COLUMNS = {
    "name": "order_id",
    "created_at": "occurred_at",
    "financial_status": "status",
    "lineitem_quantity": "quantity",
    "lineitem_price": "amount",
    "lineitem_discount": "line discount",
    "subtotal": "order discount (Subtotal: the lines after every discount)",
    "lineitem_sku": "sku",
    "lineitem_name": "product",
    "currency": "currency",
    "discount_code": "coupon_code",
    "refunded_amount": "refunded_amount",
    "cancelled_at": "cancelled: rejected",
    "email": "customer_email",
    "note_attributes": "affiliate_code (a note attribute affiliate, ref or referral)",
    "tags": "affiliate_code (a tag affiliate:CODE or ref:CODE)",
}
# Keys under which shops' affiliate apps leave a referral code: in a Shopify order's Note Attributes or Tags, as
# a WooCommerce order meta column ("meta:_affiliate_code": leading underscores do not count), as Stripe metadata
# ("ref (metadata)").
REFERRAL_KEYS = frozenset({"affiliate", "affiliate_code", "aff", "ref", "ref_code", "referral", "referral_code",
                           "referrer", "partner"})  # fmt: skip
SHOPIFY_REQUIRED = ("Name", "Created at", "Financial Status", "Lineitem quantity", "Lineitem price")
WOOCOMMERCE_COLUMNS = {
    "order_id": "order_id",
    "order_date": "occurred_at",
    "status": "status",
    "order_currency": "currency",
    "coupon_items": "coupon_code",
    "refund_items": "refunded_amount",
    "customer_email": "customer_email",
    "billing_email": "customer_email (when customer_email is empty)",
}
WOOCOMMERCE_REQUIRED = ("order_id", "order_date", "status")
WOOCOMMERCE_LINE = re.compile(r"line_item_\d+")
STRIPE_COLUMNS = {
    "id": "order_id",
    "created_date_(utc)": "occurred_at (UTC)",
    "created_(utc)": "occurred_at (UTC)",
    "amount": "amount",
    "amount_refunded": "refunded_amount",
    "currency": "currency",
    "status": "status",
    "customer_email": "customer_email",
    "description": "product",
    "coupon_(metadata)": "coupon_code",
}
STRIPE_REQUIRED = ("id", "Amount", "Currency", "Status")
STRIPE_CREATED = ("created_date_(utc)", "created_(utc)")


@dataclass(frozen=True)
class PresetChoice:
    name: str
    reason: str


def referral_columns(keys: dict[str, int], prefix: str = "", suffix: str = "") -> list[int]:
    """The columns, in the file's order, named prefix + one of REFERRAL_KEYS + suffix (normalised names)."""
    found = [
        index
        for key, index in keys.items()
        if key.startswith(prefix)
        and key.endswith(suffix)
        and key[len(prefix) : len(key) - len(suffix)].lstrip("_") in REFERRAL_KEYS
    ]
    return sorted(found)


def header_positions(header: Sequence[str]) -> dict[str, int]:
    """Normalised header name -> column index (the first of duplicates)."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(normalise_header(name), index)
    return positions


def given_twice(header: Sequence[str], read: Iterable[str]) -> list[str]:
    """Problems for the columns read (header names) that the header gives twice: which one holds the values is
    anyone's guess, and the first was read silently."""
    places: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        if name.strip():
            places.setdefault(normalise_header(name), []).append(index + 1)
    problems = []
    for theirs in dict.fromkeys(read):
        found = places.get(normalise_header(theirs), [])
        if len(found) > 1:
            where = ", ".join(map(str, found[:-1])) + f" and {found[-1]}"
            problems.append(f"the column '{theirs.strip()}' is given twice (columns {where}): keep one, or rename "
                            "the other")  # fmt: skip
    return problems


def detect_preset(header: Sequence[str]) -> PresetChoice | None:
    """Which export a header belongs to, with the columns that tell; None when it looks like none of them."""
    keys = header_positions(header)

    def shown(*names: str) -> str:
        written = [header[keys[name]] for name in names if name in keys]
        return ", ".join(written[:-1]) + f" and {written[-1]}" if len(written) > 1 else written[0]

    if all(name in keys for name in ("name", "financial_status", "lineitem_price")):
        evidence = shown("name", "financial_status", "lineitem_price")
        return PresetChoice("shopify", f"{PRESET_LABELS['shopify']}: the header has {evidence}")
    lines = [name for name in keys if WOOCOMMERCE_LINE.fullmatch(name)]
    if "order_id" in keys and "order_date" in keys and (lines or "order_currency" in keys):
        evidence = shown("order_id", "order_date", lines[0] if lines else "order_currency")
        return PresetChoice("woocommerce", f"{PRESET_LABELS['woocommerce']}: the header has {evidence}")
    created = next((name for name in STRIPE_CREATED if name in keys), None)
    if "id" in keys and created and "amount" in keys:
        return PresetChoice("stripe", f"{PRESET_LABELS['stripe']}: the header has {shown('id', created, 'amount')}")
    if "order_id" in keys and ("occurred_at" in keys or "amount" in keys):
        evidence = shown("order_id", "occurred_at" if "occurred_at" in keys else "amount")
        return PresetChoice("generic", f"{PRESET_LABELS['generic']}: the header has {evidence}")
    return None


@dataclass(frozen=True)
class GenericColumns:
    """Where each of our fields is in a generic (or mapped) file, and the columns nobody reads."""

    positions: dict[str, int]
    ignored: tuple[str, ...]
    problems: tuple[str, ...]  # header-level problems, without file name


def resolve_generic(header: Sequence[str], mapping: Mapping[str, str] | None = None) -> GenericColumns:
    """Our fields in a file: as the mapping says ({our field: their header}), else by their own names."""
    keys = header_positions(header)
    positions: dict[str, int] = {}
    problems: list[str] = []
    for field, theirs in (mapping or {}).items():
        if field not in FIELDS:
            problems.append(f"the mapping names an unknown field '{field}' (known: {', '.join(FIELDS)})")
            continue
        if not theirs or not theirs.strip():
            continue
        index = keys.get(normalise_header(theirs))
        if index is None:
            problems.append(f"the mapping reads {field} from a column '{theirs}' that the file does not have")
        else:
            positions[field] = index
    for field in FIELDS:
        if field not in positions and field in keys and keys[field] not in positions.values():
            positions[field] = keys[field]
    for required in missing_fields(positions):
        if required == "amount":
            problems.append("the column 'amount' is missing (required for sales)")
        else:
            problems.append(f"the required column '{required}' is missing")
    used = set(positions.values())
    ignored = tuple(name for index, name in enumerate(header) if index not in used and name.strip())
    return GenericColumns(positions, ignored, tuple(problems))


def missing_fields(chosen: Collection[str]) -> list[str]:
    """The required fields a generic file or mapping lacks: order number and date always; the amount unless the
    file says each order's type (a file of leads and sign-ups has no amounts; its sales still need one, row by
    row)."""
    missing = [field for field in ("order_id", "occurred_at") if field not in chosen]
    if "amount" not in chosen and "type" not in chosen:
        missing.append("amount")
    return missing


def missing_columns(header: Sequence[str], required: Sequence[str]) -> list[str]:
    """Required shop columns (named as the shop writes them) that the header lacks."""
    keys = header_positions(header)
    return [name for name in required if normalise_header(name) not in keys]
