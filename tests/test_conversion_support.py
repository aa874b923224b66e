"""Helpers shared by the conversion, click and attribution tests: a program, affiliates, files, table dumps."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import text

from desktop.db import Database
from desktop.models import Affiliate, CouponCode
from desktop.services.program_settings import ProgramSettings, save_program

DATA = Path(__file__).resolve().parent / "data" / "conversions"
TABLES = ("import_batch", "conversion", "conversion_line", "conversion_status_change", "click", "daily_clicks")
GENERIC = ["order_id", "occurred_at", "amount", "quantity", "sku", "affiliate_code", "coupon_code", "visitor_id",
           "status", "refunded_amount"]  # fmt: skip


def program(db: Database, **changes: Any) -> ProgramSettings:
    values: dict[str, Any] = {"currency": "USD", "timezone": "UTC", "cookie_days": 30, "attribution": "last_click",
                              "coupon_priority": True}  # fmt: skip
    values.update(changes)
    return save_program(db, ProgramSettings(**values))


def affiliates(db: Database, coupons: dict[str, Sequence[str]]) -> dict[str, int]:
    """Affiliates by code with their coupon codes; returns code -> id."""
    with db.write() as session:
        made = {}
        for code, codes in coupons.items():
            affiliate = Affiliate(code=code, name=code.title(), status="active")
            affiliate.coupons = [CouponCode(code=c, code_key=c.upper()) for c in codes]
            session.add(affiliate)
            session.flush()
            made[code] = affiliate.id
        return made


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def generic(path: Path, *rows: Sequence[Any], header: Sequence[str] = GENERIC) -> Path:
    """A generic orders file; each row padded to the header."""
    return write_csv(path, header, [list(row) + [""] * (len(header) - len(row)) for row in rows])


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the import tables, to compare the database before and after."""
    with db.engine.connect() as conn:
        order = {"conversion_line": "conversion_id, line_no"}
        return {
            table: [
                tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY {order.get(table, 'id')}"))
            ]
            for table in TABLES
        }


def orders(db: Database) -> dict[str, dict[str, Any]]:
    """Stored orders by order id, as plain values (amounts in cents)."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.order_id, c.status, c.amount, c.refunded_amount, c.net_amount, a.code, c.attribution, "
                "c.attribution_detail, c.occurred_at, c.local_date, c.coupon_code, c.referral_code, c.type, "
                "c.customer_email, c.currency FROM conversion c LEFT JOIN affiliate a ON a.id = c.affiliate_id"
            )
        ).all()
        lines = conn.execute(
            text(
                "SELECT c.order_id, l.line_no, l.sku, l.product, l.quantity, l.amount FROM conversion_line l "
                "JOIN conversion c ON c.id = l.conversion_id ORDER BY c.order_id, l.line_no"
            )
        ).all()
    keys = ("status", "amount", "refunded", "net", "affiliate", "attribution", "detail", "occurred_at", "local_date",
            "coupon", "referral", "type", "email", "currency")  # fmt: skip
    found = {row[0]: dict(zip(keys, row[1:], strict=True)) for row in rows}
    for order_id, _line_no, sku, product, quantity, amount in lines:
        found[order_id].setdefault("lines", []).append((sku, product, quantity, amount))
    return found
