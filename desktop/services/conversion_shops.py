"""Readers of the shops' own order exports (FORMATS.md): Shopify, WooCommerce's Order Import Export plugin, Stripe."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from desktop.money import spread
from desktop.services.conversion_parse import OrderChecks, OrderRecord, ReadContext, Rows, product_name
from desktop.services.conversion_presets import (
    REFERRAL_KEYS,
    SHOPIFY_COLUMNS,
    STRIPE_COLUMNS,
    WOOCOMMERCE_COLUMNS,
    WOOCOMMERCE_LINE,
    header_positions,
    normalise_header,
    referral_columns,
)

# Shopify's Financial Status -> (our status); a partial refund stays approved with its refunded amount.
SHOPIFY_STATUS = {
    "paid": "approved",
    "pending": "pending",
    "authorized": "pending",
    "partially_paid": "pending",
    "partially_refunded": "approved",
    "refunded": "refunded",
    "voided": "rejected",
    "expired": "rejected",
}
WOOCOMMERCE_STATUS = {
    "completed": "approved",
    "processing": "approved",
    "pending": "pending",
    "on-hold": "pending",
    "cancelled": "rejected",
    "failed": "rejected",
    "refunded": "refunded",
}
STRIPE_STATUS = {
    "paid": "approved",
    "succeeded": "approved",
    "partially refunded": "approved",
    "refunded": "refunded",
    "pending": "pending",
    "uncaptured": "pending",
    "failed": "rejected",
    "canceled": "rejected",
    "cancelled": "rejected",
}
_WOO_LINE_NUMBER = re.compile(r"\d+")


class ShopReader:
    """Column lookup by the shop's header names, shared by the three shop readers."""

    preset = ""
    naive_is_utc = False
    columns: dict[str, str] = {}
    date_key: str | None = None  # the column of the order's date, when the export may write it day or month first
    # How the export names a column its shop's affiliate app filled: (prefix, suffix) around one of REFERRAL_KEYS.
    referral_names: tuple[str, str] | None = None

    def __init__(self, header: Sequence[str]) -> None:
        self.header = list(header)
        self.keys = header_positions(header)
        self.names: dict[str, str] = {}
        for key, meaning in self.columns.items():
            if key in self.keys:
                self.names.setdefault(meaning.split(" ")[0], self.header[self.keys[key]])
        self.referral_at = referral_columns(self.keys, *self.referral_names) if self.referral_names else []
        if self.referral_at:
            self.names.setdefault("affiliate_code", self.header[self.referral_at[0]])

    def at(self, key: str) -> int:
        return self.keys.get(key, -1)

    def column(self, key: str) -> str:
        """The file's own name of a column, by its normalised key."""
        return self.header[self.keys[key]] if key in self.keys else key

    def described_columns(self) -> tuple[tuple[str, str], ...]:
        used = [(self.keys[key], meaning) for key, meaning in self.columns.items() if key in self.keys]
        used += [(index, "affiliate_code") for index in self.referral_at]
        return tuple((self.header[index], meaning) for index, meaning in sorted(used))

    def date_column(self) -> int | None:
        return self.keys.get(self.date_key) if self.date_key else None

    def referral(self, cells: list[str]) -> str:
        """The first referral code the affiliate app's columns give ("" for none)."""
        return next((text for index in self.referral_at if (text := cells[index].strip())), "")

    def referral_column(self) -> str:
        return self.names.get("affiliate_code", "affiliate_code")

    def status(self, ctx: ReadContext, line: int, text: str, table: dict[str, str]) -> str:
        status = table.get(text.strip().lower())
        if status is None:
            known = ", ".join(table)
            ctx.problem(line, self.names.get("status"), f"'{text.strip()}' is not a status this export uses ({known})")
            return "pending"
        return status

    def duplicate(self, ctx: ReadContext, seen: set[str], line: int, order_id: str) -> None:
        if order_id in seen:
            ctx.problem(line, self.names.get("order_id"), f"order {order_id} appears more than once in the file")
        seen.add(order_id)


class ShopifyReader(ShopReader):
    """One row per line item; the order's fields on its first row only; rows grouped by Name."""

    preset = "shopify"
    columns = SHOPIFY_COLUMNS
    date_key = "created_at"

    def amount_texts(self, cells: list[str]) -> Iterable[str]:
        keys = ("lineitem_price", "lineitem_discount", "subtotal", "refunded_amount")
        return [cells[self.keys[key]] for key in keys if key in self.keys]

    def orders(self, rows: Rows, ctx: ReadContext) -> Iterator[OrderRecord]:
        group: list[tuple[int, list[str]]] = []
        name_at = self.at("name")
        seen: set[str] = set()
        for line, cells in rows:
            if group and cells[name_at].strip() != group[0][1][name_at].strip():
                record = self._order(ctx, group, seen)
                if record is not None:
                    yield record
                group = []
            group.append((line, cells))
        if group:
            record = self._order(ctx, group, seen)
            if record is not None:
                yield record

    def _cell(self, cells: list[str], key: str) -> str:
        index = self.keys.get(key)
        return cells[index].strip() if index is not None else ""

    def _referral(self, cells: list[str]) -> str | None:
        return shopify_referral(self._cell(cells, "note_attributes"), self._cell(cells, "tags"))

    def _order(self, ctx: ReadContext, group: list[tuple[int, list[str]]], seen: set[str]) -> OrderRecord | None:
        checks = OrderChecks(ctx, self.names)
        start, first = group[0]
        order_id = self._cell(first, "name")
        if not order_id:
            ctx.problem(start, self.names["order_id"], "the order's Name is empty")
            return None
        self.duplicate(ctx, seen, start, order_id)
        financial = self._cell(first, "financial_status")
        if not financial:
            ctx.problem(start, self.names["status"], "is empty on the order's first row")
        status = self.status(ctx, start, financial, SHOPIFY_STATUS) if financial else "pending"
        if self._cell(first, "cancelled_at"):
            status = "rejected"
        lines = []
        amount = 0
        for line, cells in group:
            price = ctx.cents(line, self.column("lineitem_price"), cells[self.keys["lineitem_price"]])
            quantity_text = self._cell(cells, "lineitem_quantity")
            quantity = int(quantity_text) if quantity_text.isdigit() else -1
            if quantity < 0:
                ctx.problem(line, self.column("lineitem_quantity"), f"'{quantity_text}' is not a whole number of items")
                quantity = 0
            discount_text = self._cell(cells, "lineitem_discount")
            discount = ctx.cents(line, self.column("lineitem_discount"), discount_text) if discount_text else 0
            cents = (price or 0) * quantity - (discount or 0)
            if cents < 0:
                ctx.problem(line, self.column("lineitem_discount"), "the discount is more than the line's price")
                cents = 0
            sku = checks.text(line, "sku", self._cell(cells, "lineitem_sku"))
            lines.append((sku, product_name(self._cell(cells, "lineitem_name")), quantity, cents))
            amount += cents
        subtotal_text = self._cell(first, "subtotal")
        subtotal = ctx.cents(start, self.column("subtotal"), subtotal_text) if subtotal_text else None
        if subtotal is not None and 0 <= subtotal < amount:
            # A discount on the whole order (a discount code's amount off) is in Subtotal, not in the lines'
            # own discounts: it is spread over the lines in proportion, as a partial refund is.
            shares = spread(subtotal, [line[3] for line in lines])
            lines = [(*line[:3], share) for line, share in zip(lines, shares, strict=True)]
            amount = subtotal
        refund_text = self._cell(first, "refunded_amount")
        refunded = ctx.cents(start, self.names["refunded_amount"], refund_text) if refund_text else None
        if refunded is not None:
            # Shopify's Refunded Amount includes shipping and taxes, which the order's amount leaves out.
            refunded = min(refunded, amount)
        return checks.record(
            order_id,
            start,
            checks.when(start, self._cell(first, "created_at")),
            type="sale",
            currency=checks.currency(start, self._cell(first, "currency")),
            status=status,
            amount=amount,
            refunded=checks.refund(start, status, amount, refunded),
            coupon=checks.text(start, "coupon_code", self._cell(first, "discount_code")),
            referral=checks.text(start, "affiliate_code", self._referral(first) or ""),
            visitor=None,
            email=checks.text(start, "customer_email", self._cell(first, "email")),
            lines=lines,
        )


def shopify_referral(note_attributes: str, tags: str) -> str | None:
    """The referral code an affiliate app left on a Shopify order: a note attribute ("affiliate: JANE10", one
    per line) or else a tag ("ref:JANE10", tags separated by commas), under one of REFERRAL_KEYS."""
    for text, separator in ((note_attributes, "\n"), (tags, ",")):
        for part in text.split(separator):
            key, mark, value = part.partition(":")
            if not mark:
                key, mark, value = part.partition("=")
            if mark and value.strip() and normalise_header(key) in REFERRAL_KEYS:
                return value.strip()
    return None


def _packed(text: str) -> dict[str, str]:
    """ "name:Tent|sku:TENT-1|quantity:2" -> {"name": "Tent", "sku": "TENT-1", "quantity": "2"}."""
    values: dict[str, str] = {}
    for part in text.split("|"):
        key, _, value = part.partition(":")
        values.setdefault(key.strip().lower(), value.strip())
    return values


class WooCommerceReader(ShopReader):
    """One row per order; line items packed into line_item_N cells, coupons and refunds into *_items cells."""

    preset = "woocommerce"
    columns = WOOCOMMERCE_COLUMNS
    date_key = "order_date"
    referral_names = ("meta:", "")  # the plugin exports an order's custom fields as meta:KEY columns

    def __init__(self, header: Sequence[str]) -> None:
        super().__init__(header)
        numbered = [(int(_WOO_LINE_NUMBER.search(key).group()), index)  # type: ignore[union-attr]
                    for key, index in self.keys.items() if WOOCOMMERCE_LINE.fullmatch(key)]  # fmt: skip
        self.line_columns = [index for _, index in sorted(numbered)]

    def described_columns(self) -> tuple[tuple[str, str], ...]:
        return super().described_columns() + tuple((self.header[i], "order line") for i in self.line_columns)

    def amount_texts(self, cells: list[str]) -> Iterable[str]:
        texts = [_packed(cells[index]).get("total", "") for index in self.line_columns if cells[index]]
        refunds = cells[self.keys["refund_items"]] if "refund_items" in self.keys else ""
        texts.extend(_packed(item).get("amount", "") for item in refunds.split(";") if item.strip())
        return texts

    def orders(self, rows: Rows, ctx: ReadContext) -> Iterator[OrderRecord]:
        checks = OrderChecks(ctx, self.names)
        seen: set[str] = set()
        for line, cells in rows:
            record = self._order(ctx, checks, seen, line, cells)
            if record is not None:
                yield record

    def _order(
        self, ctx: ReadContext, checks: OrderChecks, seen: set[str], line: int, cells: list[str]
    ) -> OrderRecord | None:
        def cell(key: str) -> str:
            index = self.keys.get(key)
            return cells[index].strip() if index is not None else ""

        order_id = cell("order_id")
        if not order_id:
            ctx.problem(line, self.names["order_id"], "an order id is required")
            return None
        self.duplicate(ctx, seen, line, order_id)
        status_text = cell("status").lower().removeprefix("wc-")
        if status_text == "checkout-draft":
            ctx.skip("checkout drafts (not orders yet)")
            return None
        status = self.status(ctx, line, status_text, WOOCOMMERCE_STATUS)
        lines = []
        for index in self.line_columns:
            if not cells[index].strip():
                continue
            item = _packed(cells[index])
            column = self.header[index]
            cents = ctx.cents(line, column, item.get("total", "")) or 0
            quantity_text = item.get("quantity", "1") or "1"
            if not quantity_text.isdigit():
                ctx.problem(line, column, f"quantity '{quantity_text}' is not a whole number of items")
            sku = checks.text(line, "sku", item.get("sku", ""))
            quantity = int(quantity_text) if quantity_text.isdigit() else 0
            lines.append((sku, product_name(item.get("name", "")), quantity, cents))
        if not lines:
            ctx.problem(line, None, f"order {order_id} has no line items (line_item_1, line_item_2, ...)")
        amount = sum(entry[3] for entry in lines)
        refunded: int | None = None
        for refund in cell("refund_items").split(";"):
            if refund.strip():
                part = ctx.cents(line, self.names["refunded_amount"], _packed(refund).get("amount", ""))
                refunded = (refunded or 0) + (part or 0)
        if refunded is not None:
            refunded = min(refunded, amount)  # refund_items include shipping and taxes, which the amount leaves out
        coupons = [_packed(item).get("code", "") for item in cell("coupon_items").split(";") if item.strip()]
        return checks.record(
            order_id,
            line,
            checks.when(line, cell("order_date")),
            type="sale",
            currency=checks.currency(line, cell("order_currency")),
            status=status,
            amount=amount,
            refunded=checks.refund(line, status, amount, refunded),
            coupon=checks.text(line, "coupon_code", ",".join(code for code in coupons if code)),
            referral=checks.text(line, "affiliate_code", self.referral(cells)),
            visitor=None,
            email=checks.text(line, "customer_email", cell("customer_email") or cell("billing_email")),
            lines=lines,
        )


class StripeReader(ShopReader):
    """One payment per row; `Created (UTC)` times; an `affiliate (metadata)` column carries the referral code."""

    preset = "stripe"
    naive_is_utc = True
    columns = STRIPE_COLUMNS
    referral_names = ("", "_(metadata)")

    def amount_texts(self, cells: list[str]) -> Iterable[str]:
        return [cells[self.keys[key]] for key in ("amount", "amount_refunded") if key in self.keys]

    def orders(self, rows: Rows, ctx: ReadContext) -> Iterator[OrderRecord]:
        checks = OrderChecks(ctx, self.names)
        seen: set[str] = set()
        created = next(key for key in ("created_date_(utc)", "created_(utc)") if key in self.keys)
        for line, cells in rows:

            def cell(key: str, cells: list[str] = cells) -> str:
                index = self.keys.get(key)
                return cells[index].strip() if index is not None else ""

            order_id = cell("id")
            if not order_id:
                ctx.problem(line, self.names["order_id"], "a payment id is required")
                continue
            self.duplicate(ctx, seen, line, order_id)
            status = self.status(ctx, line, cell("status"), STRIPE_STATUS)
            amount = ctx.cents(line, self.names["amount"], cell("amount")) or 0
            refund_text = cell("amount_refunded")
            refunded = ctx.cents(line, self.names["refunded_amount"], refund_text) if refund_text else None
            record = checks.record(
                order_id,
                line,
                checks.when(line, cell(created), naive_is_utc=True),
                type="sale",
                currency=checks.currency(line, cell("currency")),
                status=status,
                amount=amount,
                refunded=checks.refund(line, status, amount, refunded),
                coupon=checks.text(line, "coupon_code", cell("coupon_(metadata)")),
                referral=checks.text(line, "affiliate_code", self.referral(cells)),
                visitor=None,
                email=checks.text(line, "customer_email", cell("customer_email")),
                lines=[(None, product_name(cell("description")), 1, amount)],
            )
            if record is not None:
                yield record
